//! Tencent Cloud COS request signing for applications, on top of [`cos_sign_core`] (the
//! layer above the `no_std` core; `cos-sign-http` and `cos-sign-qcloud` sit on it). It holds
//! no I/O beyond reading the environment and a profile file, and no Python emulation: the
//! byte-for-byte qcloud_cos facade is the `cos-sign-qcloud` crate.
//!
//! - [`credentials`]: secret id/key/token/expiry held safely, and providers (static,
//!   environment, profile file, chain, caching);
//! - [`config`]: the COS endpoint, host and URL rules, validated;
//! - [`method`]: the HTTP methods COS takes;
//! - [`clock`]: system or fixed time with a run-time skew correction;
//! - [`rules`]: the signing rules shared with the compatibility layer (header allow-list,
//!   key-time window, host signing, one signing-key cache);
//! - [`percent`]: the percent codec of URLs;
//! - [`signer`]: the Rust API — pre-signed requests, Authorization headers, object URLs, with
//!   the temporary-key token added and signed.
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
//! # Refusals
//!
//! Everything qcloud_cos 1.9.44 refuses, [`config::Endpoint`] refuses with the SDK's message
//! ([`config::ConfigError::Sdk`]): a malformed region or bucket, an empty key, a scheme other
//! than `http`/`https`, neither region nor endpoint. It also refuses
//! ([`config::ConfigError::UnsafeHost`]) values that would move the request to another host
//! or break its URL: an appid holding `/ ? # @ \ : [ ] %`, whitespace or a control character;
//! an endpoint, CI endpoint, domain or IP holding `/ ? # @ \`, whitespace, a control character
//! or a character whose NFKC form holds one of `/?#@:` (such as `＠`), or whose authority does
//! not parse as `host[:port]` / `[IPv6][:port]`; an empty domain or IP. Hosts are compared and
//! signed in ASCII lowercase.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clock;
pub mod config;
pub mod credentials;
pub mod method;
pub mod percent;
pub mod rules;
pub mod signer;

#[cfg(test)]
mod test_rng;
