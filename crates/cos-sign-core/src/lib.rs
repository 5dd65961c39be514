//! Tencent Cloud COS request signing (`q-sign-algorithm=sha1`) for any target: `no_std`,
//! no allocator, no `unsafe`, no panics.
//!
//! ```text
//! KeyTime      = "<start>;<end>"
//! SignKey      = hex(HMAC-SHA1(SecretKey, KeyTime))
//! HttpString   = lower(method) \n path \n params \n headers \n
//! StringToSign = "sha1\n" KeyTime "\n" hex(SHA1(HttpString)) "\n"
//! Signature    = hex(HMAC-SHA1(SignKey, StringToSign))
//! ```
//!
//! The canonical string is streamed into SHA-1 as it is produced; names are sorted by their
//! encoded, lowercased form without materialising it. Every text ([`Text`]) is written on
//! demand into a buffer the caller owns; a buffer that is too small is
//! [`Error::BufferTooSmall`], never a truncation.
//!
//! Verification ([`verify_request`], [`ParsedAuthorization::verify`]) follows COS: the field
//! names are in [`fields`]; a `q-*` field twice is an error; of several headers or params in
//! a [`Request`] whose names are equal once encoded and lowercased, the **last** one is
//! verified, so a caller acting on such a request must act on that same occurrence (or refuse
//! duplicates, as the local server does).
//!
//! Beside signing, [`crc64`] computes the CRC-64 COS sends as `x-cos-hash-crc64ecma`, with
//! the combination of two pieces' CRCs, so that clients can check the bytes they send and
//! receive.
//!
//! ```
//! use cos_sign_core::{KeyTime, Request, SigningKey};
//!
//! let key = SigningKey::derive(b"BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", KeyTime::new(1557989151, 1557996351));
//! let headers = [
//!     ("Host", "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"),
//!     ("Content-Type", "text/plain"),
//!     ("Content-Length", "13"),
//!     ("Content-MD5", "mQ/fVh815F3k6TAUm8m0eg=="),
//!     ("x-cos-acl", "private"),
//!     ("x-cos-grant-read", "uin=\"100000000011\""),
//! ];
//! let req = Request::new("PUT", "/exampleobject(腾讯云)").headers(&headers);
//! let signed = key.sign(&req)?;
//! assert_eq!(signed.signature(), "fc4e4717b501da12715d5fc84a4880a87ad2b7ab");
//!
//! let mut buf = [0u8; 512];
//! let auth = signed.authorization("AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q").write_into(&mut buf)?;
//! assert!(auth.ends_with("&q-signature=fc4e4717b501da12715d5fc84a4880a87ad2b7ab"));
//! # Ok::<(), cos_sign_core::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod crc64;
mod encode;
mod error;
pub mod fields;
mod keytime;
mod post;
mod sha;
mod sign;
mod sink;
#[cfg(target_arch = "x86_64")]
mod sse;
mod template;
mod text;
mod verify;

/// The unit tests' generator of inputs: a seeded xorshift64 (the same inputs every run).
#[cfg(test)]
fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

pub use encode::is_unreserved;
pub use error::{Error, ParseError, VerifyError};
pub use keytime::KeyTime;
pub use post::{Base64, PostSignature, policy_base64};
pub use sign::{
    AuthorizationText, HttpString, NameList, ParamsQuery, Request, Signed, SigningKey,
    StringToSignOwned,
};
pub use template::{Fill, Template};
pub use text::Text;
pub use verify::{
    AuthorizationSource, MAX_SECRET_ID, ParsedAuthorization, Rebuilt, RequestAuthError,
    verify_request,
};
