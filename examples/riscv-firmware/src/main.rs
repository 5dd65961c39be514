//! cos-sign-core on RISC-V (`riscv32imc-unknown-none-elf`, the class of the ESP32-C3), run
//! under QEMU's `virt` board.
//!
//! It runs `examples/firmware-common/run.rs`, shared with `examples/firmware` (Cortex-M4):
//! signs the `doc-put-no-date` vector and one pre-signed GET with params and the `host` header
//! into stack buffers (there is no allocator), prints both texts through semihosting, and
//! reports the stack high-water mark of each signing call (the output and its format are
//! described there). It exits through semihosting `SYS_EXIT` (status 0, or 1 on any error).
#![no_std]
#![no_main]

mod rt;
#[path = "../../firmware-common/run.rs"]
mod run;

/// QEMU's virt board: the stack pointer and semihosting of src/rt.rs.
struct Virt;

impl run::Board for Virt {
    #[inline(always)]
    fn sp() -> u32 {
        rt::sp()
    }

    fn line(label: &[u8], value: &[u8]) {
        rt::line(label, value);
    }
}

/// Called by `_start` (src/rt.rs) with the stack set and `.bss` zeroed.
extern "C" fn main() -> ! {
    rt::exit(run::run::<Virt>())
}
