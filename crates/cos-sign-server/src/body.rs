//! Request bodies read whole or chunk by chunk, each chunk within the server's idle timeout,
//! and the `Content-MD5` a body is checked against.

use super::aws_chunked::ReqBody;
use base64::Engine;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::StatusCode;
use md5::{Digest, Md5};

use super::State;
use super::error::CosError;
use super::request::VerifiedRequest;
use super::response::{Refused, drain};

/// A refusal after the body was partly read: the connection closes.
pub(crate) fn closing(error: CosError) -> Refused {
    Refused { error, close: true }
}

/// 400 `RequestTimeout`: a body (or a form's fields) did not arrive in time.
pub(crate) fn request_timeout() -> CosError {
    CosError::new(
        StatusCode::BAD_REQUEST,
        "RequestTimeout",
        "Your socket connection to the server was not read from or written to within the timeout period.",
    )
}

/// The next chunk of a request body, within the server's idle timeout.
pub(crate) async fn next_chunk(
    state: &State,
    body: &mut ReqBody,
) -> Result<Option<Bytes>, CosError> {
    loop {
        let frame = match tokio::time::timeout(state.limits.body_idle_timeout, body.frame()).await {
            Err(_) => return Err(request_timeout()),
            Ok(f) => f,
        };
        match frame {
            None => return Ok(None),
            Some(Err(e)) => return Err(e.into_cos()),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

/// A whole small request body (at most `limit` bytes).
pub(crate) async fn read_small_body(
    state: &State,
    mut body: ReqBody,
    limit: usize,
) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    while let Some(chunk) = next_chunk(state, &mut body).await.map_err(closing)? {
        if out.len() + chunk.len() > limit {
            return Err(closing(CosError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size.",
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The decoded `Content-MD5`, if sent.
pub(crate) fn content_md5(vreq: &VerifiedRequest) -> Result<Option<[u8; 16]>, CosError> {
    match vreq.header("content-md5") {
        None => Ok(None),
        Some(v) => base64::engine::general_purpose::STANDARD
            .decode(v.trim())
            .ok()
            .and_then(|d| <[u8; 16]>::try_from(d).ok())
            .map(Some)
            .ok_or_else(|| {
                CosError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidDigest",
                    "The Content-MD5 you specified is not valid.",
                )
            }),
    }
}

/// The whole body of a request that sends a small document (tags, an ACL, CORS rules, a
/// delete list): at most `limit` bytes, checked against its `Content-MD5` when sent. With
/// `md5_required`, a request without one is refused (400 `MissingContentMD5`) and its body
/// discarded.
pub(crate) async fn read_checked_body(
    state: &State,
    vreq: &VerifiedRequest,
    body: ReqBody,
    limit: usize,
    md5_required: bool,
) -> Result<Vec<u8>, Refused> {
    let expected = content_md5(vreq).and_then(|m| match m {
        None if md5_required && !vreq.body_covered() => Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "MissingContentMD5",
            "Missing required header for this request: Content-MD5.",
        )),
        m => Ok(m),
    });
    let expected = match expected {
        Ok(m) => m,
        Err(error) => {
            let close = drain(state, body).await;
            return Err(Refused { error, close });
        }
    };
    let body = read_small_body(state, body, limit).await?;
    if expected.is_some_and(|e| e != <[u8; 16]>::from(Md5::digest(&body))) {
        return Err(CosError::bad_digest().into());
    }
    Ok(body)
}
