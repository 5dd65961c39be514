//! `x-cos-forbid-overwrite`, which COS takes on PUT Object, PUT Object - Copy, Initiate
//! Multipart Upload and Complete Multipart Upload: `true` keeps the request from replacing an
//! object of the same key, 409 `FileAlreadyExists`. COS applies it to buckets that never had
//! versioning, which on this server (no versioning) is every bucket.
//!
//! The check lands with the write: the object is stored only where the key has none, under
//! the store's lock (`Upload::commit_over` with `Version::NONE`), so of two racing uploads
//! that both forbid it, one stores and the other is refused. PUT Object, PUT Object - Copy
//! and Initiate also refuse before any work when the key already has an object. Initiate does
//! not carry the header to Complete: Complete forbids it when it is sent itself.

use std::time::SystemTime;

use hyper::StatusCode;

use super::State;
use super::bucket::invalid_argument;
use super::error::CosError;
use super::request::VerifiedRequest;
use super::store::{Upload, Version};

pub(crate) const HEADER: &str = "x-cos-forbid-overwrite";

/// Whether the request forbids replacing an object: `true` (in any case) yes; `false` or no
/// header no; any other value 400 `InvalidArgument`.
pub(crate) fn forbidden(vreq: &VerifiedRequest) -> Result<bool, CosError> {
    match vreq.header(HEADER).map(str::trim) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(invalid_argument(
            "x-cos-forbid-overwrite must be true or false.",
        )),
    }
}

/// 409 `FileAlreadyExists`.
pub(crate) fn already_exists() -> CosError {
    CosError::new(
        StatusCode::CONFLICT,
        "FileAlreadyExists",
        "The object already exists and x-cos-forbid-overwrite forbids replacing it.",
    )
}

/// When `forbid`: 409 when `key` has an object now (before an upload's work; the commit
/// checks again).
pub(crate) async fn check_absent(
    state: &State,
    bucket: &str,
    key: &str,
    forbid: bool,
) -> Result<(), CosError> {
    if !forbid {
        return Ok(());
    }
    match state.store.get(bucket, key, true).await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(already_exists()),
        Err(e) => Err(CosError::storage(e)),
    }
}

/// Makes `upload` the object, last modified at `now`: when `forbid`, only where its key has
/// none (409 `FileAlreadyExists` when one was there or landed meanwhile, nothing stored);
/// else over any. Returns the ETag.
pub(crate) async fn commit(
    upload: Upload,
    state: &State,
    now: SystemTime,
    forbid: bool,
) -> Result<String, CosError> {
    if !forbid {
        return upload
            .commit(&state.store, now)
            .await
            .map_err(CosError::storage);
    }
    upload
        .commit_over(&state.store, now, &Version::NONE)
        .await
        .map_err(CosError::storage)?
        .ok_or_else(already_exists)
}
