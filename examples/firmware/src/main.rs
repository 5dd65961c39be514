//! cos-sign-core on a Cortex-M4, run under QEMU (`mps2-an386`).
//!
//! It runs `examples/firmware-common/run.rs`, shared with `examples/riscv-firmware`: signs the
//! `doc-put-no-date` vector and one pre-signed GET with params and the `host` header into stack
//! buffers (there is no allocator), prints both texts through semihosting, and reports the
//! stack high-water mark of each signing call (the output and its format are described
//! there). It exits through semihosting `SYS_EXIT` (status 0, or 1 on any error), so QEMU
//! terminates.
#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hio};

#[cfg(feature = "compact-mem")]
mod mem;
#[path = "../../firmware-common/run.rs"]
mod run;

/// The mps2-an386 board under QEMU: the main stack pointer, semihosting's stdout.
struct Mps2;

impl run::Board for Mps2 {
    #[inline(always)]
    fn sp() -> u32 {
        cortex_m::register::msp::read()
    }

    fn line(label: &[u8], value: &[u8]) {
        line(label, value);
    }
}

#[entry]
fn main() -> ! {
    exit(run::run::<Mps2>())
}

/// Writes `label`, `value` and a newline to the host's stdout (no `core::fmt`: it is big).
fn line(label: &[u8], value: &[u8]) {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(label);
        let _ = out.write_all(value);
        let _ = out.write_all(b"\n");
    }
}

/// Ends the QEMU run, with status 0 when `ok` and 1 otherwise.
fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    line(b"error: ", b"hard fault");
    exit(false)
}

/// Says so and makes QEMU exit with a failure; the message is not formatted (no `core::fmt`).
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    line(b"error: ", b"panic");
    exit(false)
}
