//! PUT Object - Copy: `x-cos-copy-source` names an object of this server.

use hyper::{Response, StatusCode};
use percent_encoding::percent_decode_str;
use tokio::io::AsyncReadExt;

use super::State;
use super::bucket::{invalid_argument, xml_response};
use super::error::CosError;
use super::object_ops::{Condition, evaluate, precondition_failed, stored_headers};
use super::request::{VerifiedRequest, bucket_from_host, check_key, valid_bucket};
use super::response::{Body, Ctx};
use super::store::{Content, WriteError};
use super::xml::{XmlOut, iso8601};

/// The bucket and key of an `x-cos-copy-source` value:
/// `<bucket>.cos.<region>.myqcloud.com/<percent-encoded key>`, as the SDKs write it. A
/// version (`?versionId=`) is not supported.
pub(crate) fn parse_source(value: &str) -> Result<(String, String), CosError> {
    let bad = || invalid_argument("x-cos-copy-source is not <bucket>.<endpoint>/<key>.");
    let value = value.trim();
    let value = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .unwrap_or(value);
    let (host, path) = value.split_once('/').ok_or_else(bad)?;
    if path.contains('?') {
        return Err(super::error::not_implemented("copy of an object version"));
    }
    let bucket = bucket_from_host(host)
        .map(str::to_ascii_lowercase)
        .filter(|b| valid_bucket(b))
        .ok_or_else(bad)?;
    let key = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| bad())?
        .into_owned();
    if key.is_empty() {
        return Err(bad());
    }
    check_key(&key)?;
    Ok((bucket, key))
}

fn io_error(e: std::io::Error) -> CosError {
    CosError::internal(format!("storage failed: {e}"))
}

/// PUT Object - Copy.
pub(crate) async fn copy(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let (src_bucket, src_key) = parse_source(vreq.header("x-cos-copy-source").unwrap_or(""))?;
    let replace = match vreq.header("x-cos-metadata-directive") {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("copy") => false,
        Some(d) if d.eq_ignore_ascii_case("replaced") => true,
        Some(_) => {
            return Err(invalid_argument(
                "x-cos-metadata-directive must be Copy or Replaced.",
            ));
        }
    };
    if !replace && src_bucket == vreq.bucket && src_key == vreq.key {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata.",
        ));
    }
    let found = state
        .store
        .get(&src_bucket, &src_key, false)
        .await
        .map_err(io_error)?;
    let Some((meta, Some(content))) = found else {
        return Err(CosError::no_such_key());
    };
    let cond = evaluate(|n| vreq.header(&format!("x-cos-copy-source-{n}")), &meta);
    if cond != Condition::Proceed {
        return Err(precondition_failed());
    }
    if meta.len > state.limits.max_object_size {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "The source object exceeds the maximum allowed object size.",
        ));
    }
    let headers = if replace {
        stored_headers(vreq)?
    } else {
        meta.headers.clone()
    };
    let mut upload = state
        .store
        .begin(&vreq.bucket, &vreq.key, headers)
        .await
        .map_err(io_error)?;
    let write = |e: WriteError| match e {
        WriteError::Full => CosError::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "The memory store is full (see --memory-store-cap).",
        ),
        WriteError::Io(e) => io_error(e),
    };
    match content {
        Content::Memory(b) => upload.write(&b).await.map_err(write)?,
        Content::File(f) => {
            let mut f = f.take(meta.len);
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = f.read(&mut buf).await.map_err(io_error)?;
                let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                    break;
                };
                upload.write(chunk).await.map_err(write)?;
            }
        }
    }
    if upload.len() != meta.len {
        return Err(CosError::internal("the source object changed while copied"));
    }
    let now = state.now();
    let etag = upload.commit(&state.store, now).await.map_err(io_error)?;
    let mut x = XmlOut::new("CopyObjectResult");
    x.field("ETag", &format!("\"{etag}\""))
        .field("LastModified", &iso8601(now));
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources() {
        assert_eq!(
            parse_source("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/a/b%20c%E4%B8%AD")
                .unwrap(),
            ("examplebucket-1250000000".to_owned(), "a/b c中".to_owned())
        );
        assert!(parse_source("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/").is_err());
        assert!(parse_source("no-slash").is_err());
        assert!(parse_source("127.0.0.1/key").is_err());
        let e = parse_source("b-1.cos.ap-beijing.myqcloud.com/k?versionId=1").unwrap_err();
        assert_eq!(e.code, "NotImplemented");
    }
}
