//! Tencent Cloud COS request signing for applications, on top of [`cos_sign_core`]:
//!
//! - [`credentials`]: secret id/key/token/expiry held safely, and providers (static,
//!   environment, profile file, chain, caching);
//! - [`config`]: the COS endpoint, host and URL rules of qcloud_cos 1.9.44, validated;
//! - [`clock`]: system or fixed time with a run-time skew correction;
//! - [`signer`]: the Rust API — pre-signed URLs, Authorization headers, object URLs, with the
//!   temporary-key token added and signed, and signing keys reused within a key time;
//! - [`compat`]: a facade that reproduces qcloud_cos's `CosConfig`/`CosS3Client` signing
//!   calls byte for byte, errors included (the Python binding is a thin adapter over it).
//!
//! ```
//! use cos_sign_std::{clock::Clock, config::Endpoint, credentials::{Credentials, StaticProvider}};
//! use cos_sign_std::{method::Method, signer::{SignOptions, Signer}};
//!
//! let signer = Signer::new(
//!     StaticProvider::new(Credentials::new("AKIDexample", "secretkey")),
//!     Endpoint::from_region("ap-guangzhou")?,
//! )
//! .with_clock(Clock::fixed(1_700_000_000));
//! let url = signer.presign(Method::Put, "examplebucket-1250000000", "a.txt", &SignOptions::default())?.url;
//! assert!(url.starts_with("https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt?q-sign-algorithm=sha1&q-ak=AKIDexample&q-sign-time=1699999940%3B1700000300&"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Refusals added beyond qcloud_cos
//!
//! qcloud_cos 1.9.44 refuses (with `CosClientError`) an empty or malformed region
//! (`^[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]$`), an empty or malformed bucket
//! (`^[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]$` or one character), an empty key, a scheme other
//! than `http`/`https`, secrets with a leading or trailing space, and neither region nor
//! endpoint. Everything it refuses, this crate refuses too (in [`compat`] with the same
//! exception class). This crate also refuses (in [`compat`] as `CosClientError`) values the
//! SDK lets through although they move the request to another host or break its URL:
//!
//! 1. a **region** or **bucket** that matches the SDK's pattern only thanks to a **trailing
//!    newline** (Python's `re.match(...$)` accepts `"ap-beijing\n"` and `"bucket\n"`;
//!    `urlsplit` then silently drops the newline from the signed host);
//! 2. an **appid** that contains `/ ? # @ \ : [ ] %`, whitespace, a control character or
//!    a character whose NFKC form contains one of `/?#@:` (such as `＠` or `℀`): the SDK
//!    appends any appid to the bucket label, so `Appid="1@evil.com"` moves the host to
//!    `evil.com`;
//! 3. an **endpoint**, **CI endpoint**, **domain** or **IP** that contains `/ ? # @ \`,
//!    whitespace, a control character or such an NFKC character, and an **empty** domain or
//!    IP (the SDK builds `https:///key` from `Domain=""`);
//! 4. a **port** (compat: the text of `str(Port)`) that is not all decimal digits
//!    (`Port="80@evil.com"` would move the host);
//! 5. a key time whose start or end is negative (`now - 60 < 0` or `now + Expired < 0`);
//! 6. more than 4096 params or more than 4096 headers in one signature.
//!
//! The Rust API ([`config::Endpoint`], [`signer`]) is stricter still about endpoint, domain
//! and IP: the authority must parse (balanced, valid `[...]` IPv6 brackets) and may end only
//! in a `:<1-5 digits>` port. [`compat`] keeps the SDK's behaviour for those (the URL as
//! built, and `urlsplit`'s `ValueError` when signing), since they cannot name another host.
//!
//! Each check applies where the value is used (building a URL or a host), so a setting a call
//! does not use does not make that call fail, as in the SDK.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clock;
pub mod compat;
pub mod config;
pub mod credentials;
pub mod method;
mod py;
pub mod signer;

use cos_sign_core::{Error as CoreError, Request, SigningKey};

/// The header names the SDK signs (besides `x-cos-*` and `x-ci-*`), lowercase.
pub const SIGNED_HEADERS: [&str; 17] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-type",
    "content-md5",
    "content-length",
    "expect",
    "expires",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "origin",
    "range",
    "transfer-encoding",
    "pic-operations",
];

/// Whether qcloud_cos signs a header of this name: its lowercase (Python `str.lower()`) form is
/// in [`SIGNED_HEADERS`] or starts with `x-cos-` or `x-ci-`.
pub fn is_signed_header(name: &str) -> bool {
    let check =
        |l: &str| SIGNED_HEADERS.contains(&l) || l.starts_with("x-cos-") || l.starts_with("x-ci-");
    if name.is_ascii() {
        // ASCII: compare case-insensitively, without building the lowercase copy
        let b = name.as_bytes();
        let prefix =
            |p: &str| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes());
        return prefix("x-cos-")
            || prefix("x-ci-")
            || SIGNED_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h));
    }
    check(&py::lower(name))
}

/// The largest number of params (and of headers) one signature takes.
pub const MAX_PAIRS: usize = 4096;

/// Which text of a signature to render.
#[derive(Clone, Copy)]
pub(crate) enum Form {
    /// The Authorization header value.
    Header,
    /// The `q-*` pairs of a pre-signed URL.
    Query,
}

/// Signs with a capacity fitted to the pair count and renders the chosen form.
pub(crate) fn sign_text(
    key: &SigningKey,
    secret_id: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    form: Form,
) -> Result<String, CoreError> {
    fn go<const N: usize>(
        key: &SigningKey,
        secret_id: &str,
        req: Request<'_, N>,
        form: Form,
    ) -> Result<String, CoreError> {
        let signed = key.sign(&req)?;
        let text = match form {
            Form::Header => signed.authorization(secret_id),
            Form::Query => signed.presigned_query(secret_id),
        };
        let mut buf = [0u8; 1024];
        match text.write_into(&mut buf) {
            Ok(s) => Ok(s.to_owned()),
            Err(CoreError::BufferTooSmall { needed, .. }) => {
                let mut big = vec![0u8; needed];
                Ok(text.write_into(&mut big)?.to_owned())
            }
            Err(e) => Err(e),
        }
    }
    if params.len() > MAX_PAIRS {
        return Err(CoreError::TooManyParams { max: MAX_PAIRS });
    }
    if headers.len() > MAX_PAIRS {
        return Err(CoreError::TooManyHeaders { max: MAX_PAIRS });
    }
    let req = Request::new(method, path).params(params).headers(headers);
    let n = params.len().max(headers.len());
    if n <= 32 {
        go(key, secret_id, req, form)
    } else if n <= 512 {
        go(key, secret_id, req.with_capacity::<512>(), form)
    } else {
        go(key, secret_id, req.with_capacity::<MAX_PAIRS>(), form)
    }
}

/// `params` as `urlencode` renders them: `quote_plus(name)=quote_plus(value)` joined by `&`,
/// in the order given.
pub fn urlencode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        py::quote_plus_into(&mut out, k);
        out.push('=');
        py::quote_plus_into(&mut out, v);
    }
    out
}
