/* Reset for the Cortex-M4 of mps2-an386: the vector table (initial stack pointer and reset
 * handler; every fault goes to one handler that reports and exits), FPU on (the library is
 * built for thumbv7em-none-eabihf), .bss zeroed, semihosting handles opened, main, exit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern uint32_t __stack_top, __bss_start, __bss_end;
extern void initialise_monitor_handles(void);
extern int main(void);

void reset_handler(void);
static void fault_handler(void);

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, reset_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler,
    fault_handler,
};

void reset_handler(void) {
  /* CPACR: full access to CP10 and CP11 (the FPU). */
  volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
  *cpacr |= 0xFu << 20;
  __asm volatile("dsb\n isb" ::: "memory");
  for (volatile uint32_t *p = &__bss_start; p < &__bss_end; p++) *p = 0;
  initialise_monitor_handles();
  exit(main());
}

static void fault_handler(void) {
  static const char msg[] = "error: fault\n";
  fwrite(msg, 1, sizeof msg - 1, stdout);
  exit(1);
}
