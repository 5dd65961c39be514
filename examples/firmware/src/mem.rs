//! Byte-at-a-time `memcpy`, `memmove`, `memset` and their ARM EABI (`__aeabi_*`) entry
//! points, in place of compiler-builtins' speed-tuned ones (word-sized, unrolled: about
//! 3.3 KiB of `.text` on thumbv7em). The linker takes these strong definitions over
//! compiler-builtins' weak ones. Signing copies a few hundred bytes at most, so the speed
//! lost does not matter here; the flash saved does. This is the usual trade of a
//! flash-constrained build (newlib-nano makes the same); build with
//! `--no-default-features` to get compiler-builtins' routines and compare.
//!
//! The loops use volatile accesses so that LLVM cannot recognise them as `memcpy`/`memset`
//! idioms and call these functions from themselves.

use core::ptr::{read_volatile, write_volatile};

// The C names below are only entry points: a call to a function named `memcpy` (or
// `memset`, ...) is itself turned back into `llvm.memcpy` by LLVM, which lowers to
// `__aeabi_memcpy`: every entry point calls these three instead.

/// Copies `n` bytes forwards.
///
/// # Safety
/// `dst` and `src` valid for `n` bytes; if they overlap, `dst` is not above `src`.
#[inline(always)]
unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
    let mut i = 0;
    while i < n {
        // SAFETY: both are valid for `n` bytes (the caller's contract).
        unsafe { write_volatile(dst.add(i), read_volatile(src.add(i))) };
        i += 1;
    }
}

/// Copies `n` bytes, backwards when `dst` is above `src` (overlap allowed).
///
/// # Safety
/// `dst` and `src` valid for `n` bytes.
#[inline(never)]
unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
    if (dst as usize) <= (src as usize) {
        // SAFETY: forwards reads each byte before it can be overwritten.
        unsafe { copy_forward(dst, src, n) };
        return;
    }
    let mut i = n;
    while i > 0 {
        i -= 1;
        // SAFETY: valid for `n` bytes; backwards as `dst` is above `src`.
        unsafe { write_volatile(dst.add(i), read_volatile(src.add(i))) };
    }
}

/// Sets `n` bytes to `c`.
///
/// # Safety
/// `dst` valid for `n` bytes.
#[inline(never)]
unsafe fn fill(dst: *mut u8, c: u8, n: usize) {
    let mut i = 0;
    while i < n {
        // SAFETY: valid for `n` bytes (the caller's contract).
        unsafe { write_volatile(dst.add(i), c) };
        i += 1;
    }
}

/// # Safety
/// As C's `memcpy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: memcpy's contract is stronger than copy's.
    unsafe { copy(dst, src, n) };
    dst
}

/// # Safety
/// As C's `memmove`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the same contract.
    unsafe { copy(dst, src, n) };
    dst
}

/// # Safety
/// As C's `memset`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the same contract; C truncates `c` to a byte.
    unsafe { fill(dst, c as u8, n) };
    dst
}

// The ARM RTABI (§4.3.4) entry points the compiler calls. The 4- and 8-byte-aligned variants
// are aliases (no code of their own).

/// # Safety
/// `dst` and `src` valid for `n` bytes (they may overlap).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memmove(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { copy(dst, src, n) };
}

/// # Safety
/// `dst` valid for `n` bytes. Note the RTABI's argument order: length before value.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memset(dst: *mut u8, n: usize, c: i32) {
    // SAFETY: the same contract; the value is truncated to a byte, as C does.
    unsafe { fill(dst, c as u8, n) };
}

/// # Safety
/// `dst` valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memclr(dst: *mut u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { fill(dst, 0, n) };
}

core::arch::global_asm!(
    ".global __aeabi_memcpy, __aeabi_memcpy4, __aeabi_memcpy8",
    ".global __aeabi_memmove4, __aeabi_memmove8",
    ".global __aeabi_memset4, __aeabi_memset8, __aeabi_memclr4, __aeabi_memclr8",
    // A forward copy is a memmove: `copy` picks the direction.
    ".thumb_set __aeabi_memcpy, __aeabi_memmove",
    ".thumb_set __aeabi_memcpy4, __aeabi_memmove",
    ".thumb_set __aeabi_memcpy8, __aeabi_memmove",
    ".thumb_set __aeabi_memmove4, __aeabi_memmove",
    ".thumb_set __aeabi_memmove8, __aeabi_memmove",
    ".thumb_set __aeabi_memset4, __aeabi_memset",
    ".thumb_set __aeabi_memset8, __aeabi_memset",
    ".thumb_set __aeabi_memclr4, __aeabi_memclr",
    ".thumb_set __aeabi_memclr8, __aeabi_memclr",
);
