//! qcloud_cos 1.9.44's signing API (`CosConfig`, `CosS3Client.get_auth`, `get_presigned_url`,
//! `get_presigned_download_url`, `get_object_url`, `CosS3Auth`) reproduced byte for byte in
//! Rust, errors included: the layer between [`cos_sign_std`] (whose rules it shares: header
//! allow-list, key-time window, host signing, signing-key cache) and the `cos_sign` Python
//! module, which only converts Python values and raises the exceptions named here. It is not
//! an API for Rust programs: those use `cos_sign_std::signer`.
//!
//! **Why its own crate.** The SDK's quirks (Python's `quote`, `urlsplit` and its `ValueError`s,
//! Unicode 14 `str.lower`, a regex `$` that accepts a trailing newline, `str(None)`) must not
//! leak into std's Rust API, and must be covered by `cargo test` (the binding is a `cdylib`
//! that cannot link a test harness without libpython). A feature of std would still compile
//! the quirks into std's namespace; a module of the binding would not be testable by cargo.
//! All the Python behaviour is in [`python`]; the rest of the crate says where the SDK uses it.
//!
//! - [`python`]: the Python standard-library behaviour the SDK relies on;
//! - [`config`]: `CosConfig` ([`SdkConfig`], built from [`SdkOptions`]);
//! - [`call`]: one signing call ([`SdkCall`] → [`Presigned`]), signed once;
//! - [`error`]: [`SdkError`] and its [`ErrorKind`] (the exception class).
//!
//! Quirks reproduced on purpose: the header allow-list, the host taken from the URL's
//! hostname (`urlparse` semantics, with its `ValueError`s) when signing the host and no `host`
//! header is given, names lowercased after quoting with the later of two equal names winning,
//! `get_presigned_url` splitting the Authorization on `&` and `=` into a dict (a SecretId
//! containing `&` gives a `ValueError`, one containing `&k=v` adds a pair), the token never
//! added (users pass it in `Params`), `set_credential` without a token raising `AttributeError`
//! after having set the id and key, `get_auth` on an anonymous config returning `""` and
//! `get_presigned_url` on it raising `ValueError`.
//!
//! # Refusals added beyond qcloud_cos
//!
//! qcloud_cos 1.9.44 refuses (with `CosClientError`) an empty or malformed region
//! (`^[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]$`), an empty or malformed bucket
//! (`^[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]$` or one character), an empty key, a scheme other
//! than `http`/`https`, secrets with a leading or trailing space, and neither region nor
//! endpoint. Everything it refuses, this crate refuses too (with the same exception class). This crate also refuses (as [`ErrorKind::Refused`], raised by the binding as
//! `CosRefusedError`, a `CosClientError`) values the
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
//! 6. more than 4096 params or more than 4096 headers in one signature;
//! 7. where the SDK formats a `str` subclass (`"{}".format`, whose text the binding passes
//!    beside: [`Bucket::Formatted`], [`SdkOptions::region_format`],
//!    [`SdkOptions::scheme_format`], [`SdkCall::key_format`], [`SdkCall::method_lowered`]), a
//!    bucket or region format that would not be a safe host part, a scheme format `urlsplit`
//!    would not read as a scheme, and a method whose own `lower()` keeps ASCII capitals (the
//!    signature lowercases them).
//!
//! The Rust API (`cos_sign_std::config::Endpoint`, `cos_sign_std::signer`) is stricter still about endpoint, domain
//! and IP: the authority must parse (balanced, valid `[...]` IPv6 brackets) and may end only
//! in a `:<1-5 digits>` port. This crate keeps the SDK's behaviour for those (the URL as
//! built, and `urlsplit`'s `ValueError` when signing), since they cannot name another host.
//!
//! Each check applies where the value is used (building a URL or a host), so a setting a call

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod call;
pub mod config;
pub mod error;
pub mod pairs;
pub mod python;

pub use call::{
    Op, Presigned, SdkCall, Stage, error_before, keeps_header, object_url, sign, sign_into,
    sign_returned,
};
pub use config::{Bucket, SdkConfig, SdkKey, SdkOptions};
pub use error::{ErrorKind, SdkError};
pub use pairs::Pairs;
