//! APPEND Object: `POST /<key>?append&position=<n>` with the bytes to add
//! (<https://cloud.tencent.com/document/product/436/7741>).
//!
//! - The first append (`position=0`, no object) creates an *appendable* object with the
//!   request's metadata, ACL, tags and encryption, stored as PUT stores them; later appends
//!   add bytes only (their headers are neither checked nor applied: COS "does not check the
//!   storage class of later appends" and keeps the object's).
//! - `position` must equal the object's length: else 409 `PositionNotEqualToLength`; a
//!   normal object (PUT, Complete, Copy, POST Object) is 409 `ObjectNotAppendable`, and any
//!   of those over an appendable object makes it normal. A missing or malformed `position`
//!   is 400 `InvalidArgument`; a body without `Content-Length` 411 `MissingContentLength`.
//! - The answer is 200 with `x-cos-next-append-position` (the new length), the whole
//!   object's `x-cos-hash-crc64ecma`, and `ETag`, the
//!   MD5 of the whole object after the append (COS documents it as "the unique identifier of
//!   the object"; after the first append it is the MD5 of that append, as in COS's example).
//!   GET and HEAD answer `x-cos-object-type: appendable`; the next position is their
//!   `Content-Length`.
//!
//! Each append writes a new object (the current bytes, then the body, streamed) and puts it
//! in place only if the object it read is still there ([`Upload::commit_over`]), under the
//! store's lock: of two appends at one position one lands and the other is 409, a reader
//! sees the object before or after an append and never a part of one, and on disk a crash
//! leaves the object as it was. That costs a copy of the object per append, which a local
//! test server can afford (the object stays under `--max-object-size`, and in memory under
//! the store's cap).
//!
//! [`Upload::commit_over`]: super::store::Upload::commit_over

use super::aws_chunked::ReqBody;
use hyper::{Response, StatusCode};
use md5::{Digest, Md5};

use super::State;
use super::body::{closing, content_md5, next_chunk};
use super::crc64;
use super::encryption;
use super::error::CosError;
use super::multipart::write_error;
use super::object_ops::stored_headers;
use super::request::{VerifiedRequest, digits};
use super::response::{Body, Ctx, Refused, discard_expecting, etag_response};
use super::store::{Content, Version};

/// The stored header that marks an appendable object, returned by GET and HEAD as COS does.
pub(crate) const OBJECT_TYPE: &str = "x-cos-object-type";
/// Its value.
pub(crate) const APPENDABLE: &str = "appendable";
/// The answer's header naming the next position.
const NEXT_POSITION: &str = "x-cos-next-append-position";

/// Whether an object's stored headers mark it appendable.
pub(crate) fn is_appendable(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(n, v)| n == OBJECT_TYPE && v == APPENDABLE)
}

fn position_mismatch() -> CosError {
    CosError::new(
        StatusCode::CONFLICT,
        "PositionNotEqualToLength",
        "The position of the append does not equal the length of the object.",
    )
}

fn not_appendable() -> CosError {
    CosError::new(
        StatusCode::CONFLICT,
        "ObjectNotAppendable",
        "The operation is not valid for the current state of the object.",
    )
}

fn too_large(max: u64) -> CosError {
    CosError::new(
        StatusCode::BAD_REQUEST,
        "EntityTooLarge",
        format!("Your proposed upload exceeds the maximum allowed object size ({max} bytes)."),
    )
}

/// What an append starts from: the object it extends (its bytes, headers and version), or
/// none.
struct Base {
    headers: Vec<(String, String)>,
    content: Option<Content>,
    version: Version,
}

/// The checks made before any byte of the body is read: the append's position, its
/// `Content-MD5` and length, the object it extends (its type and length), then the limits.
async fn check(
    state: &State,
    vreq: &VerifiedRequest,
    declared: Option<u64>,
) -> Result<(u64, Option<[u8; 16]>, Base), CosError> {
    let position = vreq.param("position").and_then(digits).ok_or_else(|| {
        CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "position must be given, a number of bytes.",
        )
    })?;
    let md5 = content_md5(vreq)?;
    let Some(len) = declared else {
        return Err(CosError::new(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        ));
    };
    let found = state
        .store
        .get_versioned(&vreq.bucket, &vreq.key, false)
        .await
        .map_err(CosError::storage)?;
    let base = match found {
        None if position != 0 => return Err(position_mismatch()),
        None => {
            let mut headers = stored_headers(vreq)?;
            headers.push((OBJECT_TYPE.to_owned(), APPENDABLE.to_owned()));
            Base {
                headers,
                content: None,
                version: Version::NONE,
            }
        }
        Some((meta, content, version)) => {
            if !is_appendable(&meta.headers) {
                return Err(not_appendable());
            }
            if meta.len != position {
                return Err(position_mismatch());
            }
            Base {
                headers: meta.headers,
                content,
                version,
            }
        }
    };
    // The object's size limit, then the memory store's room, the object replaced counted as
    // freed.
    let max = state.limits.max_object_size;
    if position.saturating_add(len) > max {
        return Err(too_large(max));
    }
    if let Some(room) = state.store.room_for(&vreq.bucket, &vreq.key)
        && position.saturating_add(len) > room
    {
        return Err(write_error(super::store::WriteError::Full));
    }
    Ok((position, md5, base))
}

/// POST Object?append&position=N.
pub(crate) async fn append(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    mut body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let declared = hyper::body::Body::size_hint(&body).exact();
    let (position, expected_md5, base) = match check(state, vreq, declared).await {
        Ok(c) => c,
        Err(error) => {
            let expect = vreq.header("expect").map(str::as_bytes);
            let close = discard_expecting(state, expect, body).await;
            return Err(Refused { error, close });
        }
    };
    let encrypted = encryption::is_encrypted(&base.headers);
    let mut upload = state
        .store
        .begin(&vreq.bucket, &vreq.key, base.headers)
        .await
        .map_err(|e| closing(CosError::storage(e)))?;
    if let Some(content) = base.content {
        let mut buf = vec![0u8; 256 * 1024];
        upload
            .write_content(content, &mut buf)
            .await
            .map_err(|e| closing(write_error(e)))?;
    }
    if upload.len() != position {
        return Err(closing(position_mismatch()));
    }
    let max = state.limits.max_object_size;
    let mut part = Md5::new();
    while let Some(chunk) = next_chunk(state, &mut body).await.map_err(closing)? {
        if upload.len().saturating_add(chunk.len() as u64) > max {
            return Err(closing(too_large(max)));
        }
        upload
            .write(&chunk)
            .await
            .map_err(|e| closing(write_error(e)))?;
        part.update(&chunk);
    }
    if expected_md5.is_some_and(|e| e != <[u8; 16]>::from(part.finalize())) {
        return Err(CosError::bad_digest().into());
    }
    let (next, crc) = (upload.len(), upload.crc64());
    let etag = upload
        .commit_over(&state.store, state.now(), &base.version)
        .await
        .map_err(CosError::storage)?
        .ok_or_else(position_mismatch)?;
    let mut resp = crc64::echo(encryption::echo(etag_response(ctx, &etag), encrypted), crc);
    resp.headers_mut().insert(NEXT_POSITION, next.into());
    Ok(resp)
}

/// Refuses to copy an appendable object (PUT Object - Copy, Upload Part - Copy): COS says
/// appendable objects "cannot be copied" without naming the error; this server answers as
/// S3 does an operation the object's state does not allow, 403 `InvalidObjectState`.
pub(crate) fn check_copy_source(headers: &[(String, String)]) -> Result<(), CosError> {
    if is_appendable(headers) {
        return Err(CosError::new(
            StatusCode::FORBIDDEN,
            "InvalidObjectState",
            "An appendable object cannot be copied.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendable_is_the_stored_mark_only() {
        let h = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
        assert!(is_appendable(&h(OBJECT_TYPE, APPENDABLE)));
        assert!(!is_appendable(&h(OBJECT_TYPE, "normal")));
        assert!(!is_appendable(&h("x-cos-meta-type", APPENDABLE)));
        assert!(!is_appendable(&[]));
        let e = check_copy_source(&h(OBJECT_TYPE, APPENDABLE)).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (403, "InvalidObjectState"));
        assert!(check_copy_source(&[]).is_ok());
    }
}
