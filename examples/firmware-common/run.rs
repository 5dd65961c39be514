//! What both Rust firmwares run: `examples/firmware` (Cortex-M4, QEMU mps2-an386) and
//! `examples/riscv-firmware` (riscv32imc, QEMU virt) include this file as a module
//! (`#[path = "../../firmware-common/run.rs"] mod run;`) and call [`run`] with their
//! [`Board`]: the stack pointer and a line on the host's stdout (semihosting).
//!
//! [`run`] signs the `doc-put-no-date` vector (crates/cos-sign-core/tests/data/signatures.json)
//! and one pre-signed GET with params and the `host` header, writes both texts into stack
//! buffers (there is no allocator), prints them, and reports the stack high-water mark of each
//! signing call (derive + sign + write the texts): a region below the stack pointer is painted
//! before the call and scanned after it. The output buffers belong to the caller (`run`: 512 +
//! 1024 bytes) and are not counted; everything the call itself needs is.
//!
//! Output, one `key: value` line each (scripts/lib/firmware-checks.sh checks them):
//!
//! ```text
//! authorization: q-sign-algorithm=sha1&q-ak=...
//! presigned-query: q-sign-algorithm=sha1&q-ak=...&response-content-disposition=...
//! stack-authorization: <bytes>
//! stack-presigned: <bytes>
//! stack: <bytes>
//! stack-calibration: <bytes>
//! ```
//!
//! `stack-calibration` is what the same measurement reports for a function that puts a
//! zeroed 1024-byte array on its stack: a little more than 1024 when the method works.

use core::hint::black_box;
use core::ptr;

use cos_sign_core::{Error, KeyTime, Request, SigningKey};

/// What [`run`] needs from the board.
pub trait Board {
    /// The stack pointer (inlined into the caller, whose stack pointer it reads).
    fn sp() -> u32;
    /// Writes `label`, `value` and a newline to the host's stdout (no `core::fmt`: it is big).
    fn line(label: &[u8], value: &[u8]);
}

// The `doc-put-no-date` vector, as published by Tencent Cloud.
const DOC_SECRET_ID: &str = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
const DOC_SECRET_KEY: &[u8] = b"BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
const DOC_KEY_TIME: KeyTime = KeyTime::new(1_557_989_151, 1_557_996_351);
const DOC_METHOD: &str = "PUT";
const DOC_PATH: &str = "/exampleobject(腾讯云)";
const DOC_HEADERS: [(&str, &str); 6] = [
    (
        "Host",
        "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
    ),
    ("Content-Type", "text/plain"),
    ("Content-Length", "13"),
    ("Content-MD5", "mQ/fVh815F3k6TAUm8m0eg=="),
    ("x-cos-acl", "private"),
    ("x-cos-grant-read", "uin=\"100000000011\""),
];

// The pre-signed GET. examples/firmware/presign_oracle.py asks qcloud_cos for the same URL
// (`get_presigned_url` with `time.time()` frozen at NOW): keep the two in step.
const PRESIGN_NOW: u64 = 1_700_000_000;
const PRESIGN_EXPIRES: u64 = 3600;
const PRESIGN_METHOD: &str = "GET";
const PRESIGN_PATH: &str = "/docs/report 2024(腾讯云).pdf";
const PRESIGN_PARAMS: [(&str, &str); 2] = [
    (
        "response-content-disposition",
        "attachment; filename=\"report 2024.pdf\"",
    ),
    ("versionId", "MTg0NDUxNTc1NjIzMTQ1MDAwODg"),
];
const PRESIGN_HOST: [(&str, &str); 1] = [(
    "host",
    "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
)];

/// Bytes painted below the stack pointer before a measured call.
const PAINT_BYTES: u32 = 16 * 1024;
/// Room left unpainted right below the stack pointer, for `paint` and `lowest_touched`
/// (inlined: they only use registers) and the call itself.
const MARGIN_BYTES: u32 = 256;
const PATTERN: u32 = 0xA5C3_5A3C;
/// Stack used on purpose by `calibrate`.
const CALIBRATION_BYTES: usize = 1024;

/// Signs both requests, prints the texts and the stack figures; false on any error.
pub fn run<B: Board>() -> bool {
    let mut auth = [0u8; 512];
    let mut query = [0u8; 1024];

    let (auth_len, stack_auth) = measure::<B>(sign_doc_put, &mut auth);
    let (query_len, stack_query) = measure::<B>(presign_get, &mut query);
    let (_, stack_calibration) = measure::<B>(calibrate, &mut []);

    let mut ok = match (text(&auth, auth_len), text(&query, query_len)) {
        (Some(a), Some(q)) => {
            B::line(b"authorization: ", a);
            B::line(b"presigned-query: ", q);
            true
        }
        _ => {
            B::line(b"error: ", b"signing failed");
            false
        }
    };
    let stack = stack_auth.zip(stack_query).map(|(a, q)| a.max(q));
    for (label, used) in [
        (&b"stack-authorization: "[..], stack_auth),
        (b"stack-presigned: ", stack_query),
        (b"stack: ", stack),
        (b"stack-calibration: ", stack_calibration),
    ] {
        let mut digits = [0u8; 10];
        match used {
            Some(n) => B::line(label, decimal(n, &mut digits)),
            None => {
                B::line(label, b"unknown");
                ok = false;
            }
        }
    }
    ok
}

/// Derives the doc vector's SignKey, signs its PUT and writes the Authorization into `out`.
#[inline(never)]
fn sign_doc_put(out: &mut [u8]) -> Result<usize, Error> {
    let key = SigningKey::derive(DOC_SECRET_KEY, DOC_KEY_TIME);
    let req = Request::new(DOC_METHOD, DOC_PATH).headers(&DOC_HEADERS);
    // Used where it is returned: `?` would move it into a second copy on the stack.
    let result = key.sign(&req);
    let signed = result.as_ref().map_err(|e| *e)?;
    Ok(signed.authorization(DOC_SECRET_ID).write_into(out)?.len())
}

/// Signs the GET in the SDK's window and writes `<q-* pairs>&<params>` into `out`, as
/// qcloud_cos's `get_presigned_url` puts them after the `?`.
#[inline(never)]
fn presign_get(out: &mut [u8]) -> Result<usize, Error> {
    let key = SigningKey::derive(
        DOC_SECRET_KEY,
        KeyTime::sdk_window(PRESIGN_NOW, PRESIGN_EXPIRES),
    );
    let req = Request::new(PRESIGN_METHOD, PRESIGN_PATH)
        .params(&PRESIGN_PARAMS)
        .headers(&PRESIGN_HOST);
    let result = key.sign(&req);
    let signed = result.as_ref().map_err(|e| *e)?;
    let len = signed.presigned_query(DOC_SECRET_ID).write_into(out)?.len();
    let too_small = Error::BufferTooSmall {
        needed: len + 1,
        available: out.len(),
    };
    let (amp, rest) = out
        .get_mut(len..)
        .and_then(|r| r.split_first_mut())
        .ok_or(too_small)?;
    *amp = b'&';
    Ok(len + 1 + signed.params_query().write_into(rest)?.len())
}

/// Uses a known amount of stack, `CALIBRATION_BYTES` and its own frame, to check
/// [`measure`]: it should report a little more than `CALIBRATION_BYTES`.
#[inline(never)]
fn calibrate(_: &mut [u8]) -> Result<usize, Error> {
    let mut block = [0u8; CALIBRATION_BYTES];
    // Makes the zeroed array exist on the stack, every byte written.
    black_box(&mut block);
    Ok(0)
}

/// Runs `f(buf)` with the stack below the current stack pointer painted, and returns its
/// result with the most stack it used, in bytes from the stack pointer at the call: `None`
/// when that cannot be told (nothing below the margin touched, or the whole painted region).
fn measure<B: Board>(
    f: fn(&mut [u8]) -> Result<usize, Error>,
    buf: &mut [u8],
) -> (Option<usize>, Option<u32>) {
    let sp = B::sp();
    let top = sp - MARGIN_BYTES;
    let bottom = top - PAINT_BYTES;
    paint(bottom, top);
    // black_box: `f` is called, not inlined into this frame, so all of its stack is below `sp`.
    let result = black_box(f)(buf).ok();
    let used = lowest_touched(bottom, top)
        .filter(|&addr| addr > bottom)
        .map(|addr| sp - addr);
    (result, used)
}

/// Fills `[bottom, top)` with `PATTERN`, word by word.
#[inline(always)]
fn paint(bottom: u32, top: u32) {
    let mut addr = bottom;
    while addr < top {
        // SAFETY: `[bottom, top)` is free stack below the stack pointer, and above the
        // program's static data (both boards' RAM is MiBs, the painted region 16 KiB).
        unsafe { ptr::write_volatile(addr as *mut u32, PATTERN) };
        addr += 4;
    }
}

/// The lowest address in `[bottom, top)` whose word is no longer `PATTERN`.
#[inline(always)]
fn lowest_touched(bottom: u32, top: u32) -> Option<u32> {
    let mut addr = bottom;
    while addr < top {
        // SAFETY: as in `paint`; the region is only read.
        if unsafe { ptr::read_volatile(addr as *const u32) } != PATTERN {
            return Some(addr);
        }
        addr += 4;
    }
    None
}

fn text(buf: &[u8], len: Option<usize>) -> Option<&[u8]> {
    buf.get(..len?)
}

/// `n` in decimal, in the tail of `digits`.
fn decimal(mut n: u32, digits: &mut [u8; 10]) -> &[u8] {
    let mut i = digits.len();
    while i > 0 {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.get(i..).unwrap_or_default()
}
