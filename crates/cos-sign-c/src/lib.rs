//! C API over `cos-sign-core`: Tencent Cloud COS request signing (`q-sign-algorithm=sha1`)
//! for firmware and any C program. `no_std`, no allocator, `panic = "abort"`.
//!
//! Layer: directly on `cos-sign-core`, the only crate with `unsafe` code (the FFI edge). It is
//! not the SDK facade: no hosts, credentials or clock (those are `cos-sign-std`, which needs
//! an allocator); the caller passes exactly what is signed.
//!
//! Conventions (the header `include/cos_sign.h` is generated from this file by cbindgen):
//! - Every function returns a [`CosSignStatus`]; nothing is written to an output on failure,
//!   except the needed length on `COS_SIGN_STATUS_BUFFER_TOO_SMALL`.
//! - Strings are [`CosSignStr`] (pointer + length, no NUL needed), checked as UTF-8. A NULL
//!   pointer is accepted only with length 0 (the empty string).
//! - Outputs go into caller buffers (`buf`, `cap`) with the length written to `*len`; the
//!   text is not NUL-terminated. With a buffer too small (`buf` may be NULL when `cap` is 0)
//!   the status is `COS_SIGN_STATUS_BUFFER_TOO_SMALL` and `*len` is the size needed.
//! - A request carries at most [`COS_SIGN_MAX_PAIRS`] params and as many headers.
//!
//! Which headers and params to sign (the SDK's allow-list, the `host` header) is the
//! caller's choice: exactly those given are signed.
#![no_std]

mod ffi;

pub use ffi::*;

/// Aborts: the library never panics on any input (the core returns typed errors and this
/// crate checks every pointer and length), so this is only reached on a bug.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    unsafe extern "C" {
        // C's `abort` (newlib, glibc, musl...): the library is linked into C programs.
        fn abort() -> !;
    }
    // SAFETY: `abort` takes nothing and does not return.
    unsafe { abort() }
}

/// The unwinding personality routine that the precompiled `core` of hosted targets refers to
/// (its unwind tables name it). Nothing unwinds with `panic = "abort"`, so it is never called;
/// bare-metal targets (`target_os = "none"`) have `core` built without it.
#[cfg(not(target_os = "none"))]
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
