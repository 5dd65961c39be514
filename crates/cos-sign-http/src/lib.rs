//! Tencent Cloud COS over HTTP, on top of `cos-sign-std`.
//!
//! [`client`]: an async client on `reqwest` that signs requests with a
//! [`cos_sign_std::signer::Signer`], object calls, streaming pre-signed transfers, typed COS
//! errors ([`CosError`]) and clock-skew correction; [`providers`]: network credential
//! providers (CVM role).
//!
//! Not here: the local COS-compatible server, which is its own crate (`cos-sign-server`,
//! on `cos-sign-core` only), so a client build carries no server code.
#![deny(missing_docs)]

pub mod client;
pub mod error;
pub mod providers;

pub use client::{Client, ClientBuilder};
pub use error::{CosError, Error};
