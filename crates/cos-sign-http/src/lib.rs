//! Tencent Cloud COS over HTTP.
//!
//! [`server`]: a local COS-compatible object server (PUT/GET/HEAD/DELETE Object) that verifies
//! every request as COS does, for trying clients and firmware without a cloud account.
//!
//! [`client`]: an async client on `reqwest` that signs requests with a
//! [`cos_sign_std::signer::Signer`], object calls, streaming pre-signed transfers, typed COS
//! errors ([`CosError`]) and clock-skew correction; [`providers`]: network credential
//! providers (CVM role).
#![deny(missing_docs)]

pub mod server;

pub mod client;
pub mod error;
pub mod providers;

pub use client::{Client, ClientBuilder};
pub use error::{CosError, Error};
