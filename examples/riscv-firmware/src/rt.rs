//! The little runtime a bare RISC-V hart needs, for QEMU's virt board: the reset code
//! (stack pointer, `.bss` zeroed, trap vector), and semihosting (write to the host's stdout,
//! exit), with no runtime crate.

use core::arch::{asm, global_asm};

global_asm!(
    ".section .text.init, \"ax\"",
    ".global _start",
    "_start:",
    // No linker relaxation against an unset global pointer.
    ".option push",
    ".option norelax",
    "    la sp, __stack_top",
    "    la t0, _trap",
    "    csrw mtvec, t0",
    "    la t0, __bss_start",
    "    la t1, __bss_end",
    "1:  bgeu t0, t1, 2f",
    "    sw zero, 0(t0)",
    "    addi t0, t0, 4",
    "    j 1b",
    "2:  call {main}",
    "3:  j 3b",
    // The trap vector: mtvec needs 4-byte alignment (Rust functions have 2 here).
    ".balign 4",
    "_trap:",
    "    j {trap}",
    ".option pop",
    trap = sym trap_entry,
    main = sym crate::main,
);

/// Any trap (illegal instruction, misaligned or faulting access...) ends the run.
extern "C" fn trap_entry() -> ! {
    line(b"error: ", b"trap");
    exit(false)
}

const SYS_OPEN: usize = 0x01;
const SYS_WRITE: usize = 0x05;
const SYS_EXIT: usize = 0x18;
/// `ADP_Stopped_ApplicationExit`: QEMU exits with status 0.
const EXIT_SUCCESS: usize = 0x20026;
/// `ADP_Stopped_RunTimeErrorUnknown`: QEMU exits with status 1.
const EXIT_FAILURE: usize = 0x20023;

/// One semihosting call: `op` in a0, `arg` in a1, the result in a0. The three instructions
/// are the RISC-V semihosting sequence (uncompressed, in this order) that QEMU recognises.
fn semihost(op: usize, arg: usize) -> usize {
    let mut r = op;
    // SAFETY: the `ebreak` is a semihosting request that QEMU serves (it reads `arg` as
    // the call's parameter, a block that lives as long as this call); the `slli`/`srai` on
    // x0 do nothing.
    unsafe {
        asm!(
            ".option push",
            ".option norvc",
            ".balign 16",
            "slli x0, x0, 0x1f",
            "ebreak",
            "srai x0, x0, 7",
            ".option pop",
            inout("a0") r,
            in("a1") arg,
            options(nostack),
        );
    }
    r
}

/// The host's stdout as a semihosting handle (`:tt` opened for writing), if it opens.
fn stdout() -> Option<usize> {
    static TT: &[u8] = b":tt\0";
    // { name, mode 4 ("w"), length of the name }
    let block = [TT.as_ptr() as usize, 4, 3];
    let h = semihost(SYS_OPEN, block.as_ptr() as usize);
    (h != usize::MAX).then_some(h)
}

/// Writes `label`, `value` and a newline to the host's stdout.
pub fn line(label: &[u8], value: &[u8]) {
    if let Some(h) = stdout() {
        for part in [label, value, b"\n"] {
            let block = [h, part.as_ptr() as usize, part.len()];
            semihost(SYS_WRITE, block.as_ptr() as usize);
        }
    }
}

/// Ends the QEMU run, with status 0 when `ok` and 1 otherwise.
pub fn exit(ok: bool) -> ! {
    semihost(SYS_EXIT, if ok { EXIT_SUCCESS } else { EXIT_FAILURE });
    loop {
        core::hint::spin_loop();
    }
}

/// The stack pointer.
#[inline(always)]
pub fn sp() -> u32 {
    let sp: u32;
    // SAFETY: reads a register.
    unsafe { asm!("mv {}, sp", out(reg) sp, options(nomem, nostack)) };
    sp
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    line(b"error: ", b"panic");
    exit(false)
}
