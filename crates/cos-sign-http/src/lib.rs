//! Tencent Cloud COS over HTTP, on top of `cos-sign-std`: the client layer.
//!
//! * [`client`]: an async client on `reqwest` ([`Client`]) that signs requests, bounds
//!   every wait ([`Timeouts`]), retries transient failures ([`RetryPolicy`]), corrects clock
//!   skew, and moves pre-signed transfers;
//! * [`bucket`]: [`Bucket`], the object calls of one bucket by key, multipart calls;
//! * [`service`]: buckets themselves: create and delete ([`Bucket::create_bucket`],
//!   [`Bucket::delete_bucket`]) and list ([`Client::list_buckets`], GET Service);
//! * [`uploads`]: List Multipart Uploads ([`Bucket::list_uploads`]), the unfinished
//!   uploads to resume or abort;
//! * [`transfer`]: [`TransferOptions`] and the big-file engines (multipart uploads with
//!   parallel parts and resume, parallel ranged downloads, checked before the rename);
//! * integrity: MD5 ETags, and COS's CRC-64 (`x-cos-hash-crc64ecma`) of the bytes sent
//!   (PUT, each part, Complete from the parts' CRCs) and received (GET, downloads, the
//!   ranges' CRCs combined), a mismatch being [`ClientError::Crc64`] (see the README);
//! * [`retry`]: what is retried and how long to wait;
//! * [`providers`]: network credential providers (CVM role, STS, TKE web identity), async,
//!   served through std's single-flight [`RefreshingProvider`](cos_sign_std::credentials::RefreshingProvider),
//!   and the default chain;
//! * [`error`]: the one error type, [`ClientError`].
//!
//! Not here: the local COS-compatible server, which is its own crate (`cos-sign-server`,
//! on `cos-sign-core` only), so a client build carries no server code. Layer: above
//! `cos-sign-std`; below `cos-sign-cli`.
#![deny(missing_docs)]

pub mod bucket;
pub mod client;
mod crc;
pub mod error;
mod options;
mod output;
pub mod providers;
pub mod retry;
pub mod service;
pub mod transfer;
pub mod uploads;

pub use bucket::{
    Bucket, DELETE_BATCH, GET_LIMIT, KeyError, ListOptions, ListPage, ObjectSummary, PartInfo,
};
pub use client::{
    Client, ClientBuilder, DownloadOutput, GetOutput, ObjectMeta, Timeouts, UploadOutput, check_get,
};
pub use cos_sign_std::method::Method;
pub use cos_sign_std::signer::PresignedRequest;
pub use error::{ClientError, CosError, Crc64Check, TimeoutKind};
pub use options::is_secret_header;
pub use retry::RetryPolicy;
pub use service::{BucketList, BucketSummary, ListBucketsOptions};
pub use transfer::TransferOptions;
pub use uploads::{ListUploadsOptions, UploadPage, UploadSummary};

/// Lowercase hex of bytes: the one hex codec of this crate.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}
