//! PUT Object - Copy and Upload Part - Copy: `x-cos-copy-source` names an object of this
//! server.

use http_body_util::BodyExt;
use hyper::{Response, StatusCode};
use percent_encoding::percent_decode_str;

use super::State;
use super::acl::{Acl, Permission};
use super::bucket::{invalid_argument, xml_response};
use super::crc64;
use super::encryption::{self, AES256, SSE_HEADER};
use super::error::CosError;
use super::multipart::{
    check_part_size, no_such_upload, part_number_of, part_write_error, upload_of, write_error,
};
use super::object_ops::{ByteRange, Condition, evaluate, precondition_failed, stored_headers};
use super::overwrite;
use super::request::{VerifiedRequest, bucket_from_host, check_key, digits, valid_bucket};
use super::response::{Body, Ctx};
use super::store::{Content, ContentBody, Meta};
use super::tagging::{STORED_NAME, Tags};
use super::xml::{XmlOut, iso8601};

/// The bucket and key of an `x-cos-copy-source` value:
/// `<bucket>.cos.<region>.myqcloud.com/<percent-encoded key>`, as the COS SDKs write it, or
/// S3's `[/]<bucket>/<percent-encoded key>` (OpenDAL's COS service sends `/<bucket>/<key>`),
/// maybe with `?versionId=null`.
pub(crate) fn parse_source(value: &str) -> Result<(String, String), CosError> {
    let bad = || {
        invalid_argument("x-cos-copy-source is not <bucket>.<endpoint>/<key> or /<bucket>/<key>.")
    };
    let value = value.trim();
    let value = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .unwrap_or(value);
    let (host, path) = value.split_once('/').ok_or_else(bad)?;
    // `?versionId=null` names the object itself (see `versions`); no other version exists.
    let path = match path.split_once('?') {
        None => path,
        Some((path, "versionId=null")) => path,
        Some(_) => return Err(super::versions::invalid_version()),
    };
    let (host, path) = match host {
        // `/<bucket>/<key>`
        "" => path.split_once('/').ok_or_else(bad)?,
        _ => (host, path),
    };
    let named = match host.contains('.') {
        true => bucket_from_host(host).map(str::to_owned),
        false => percent_decode_str(host)
            .decode_utf8()
            .ok()
            .map(|b| b.into_owned()),
    };
    let bucket = named
        .map(|b| b.to_ascii_lowercase())
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

/// The source object named by `x-cos-copy-source` (already parsed): 404 `NoSuchKey` when
/// there is none, 412 `PreconditionFailed` when an `x-cos-copy-source-If-*` condition does
/// not hold (COS answers 412 for each of the four, If-None-Match and If-Modified-Since too).
///
/// An unsigned request reads only a source that an unsigned GET could read (see
/// `anonymous`): one that grants AllUsers `READ` itself, or through its bucket when its ACL
/// is `default`; anything else is 403 `AccessDenied`, decided on the object read and before
/// its conditions, so neither its bytes nor whether it matches a condition reach anyone
/// unsigned. A missing source is 404 only where its bucket grants AllUsers `READ` (anyone
/// may list it anyway), 403 elsewhere, as for GET.
async fn open_source(
    state: &State,
    vreq: &VerifiedRequest,
    bucket: &str,
    key: &str,
) -> Result<(Meta, Content), CosError> {
    let bucket_acl = if vreq.anonymous {
        Some(super::acl::bucket_acl(state, bucket).await?)
    } else {
        None
    };
    let found = state
        .store
        .get(bucket, key, false)
        .await
        .map_err(CosError::storage)?;
    if let Some(bucket_acl) = &bucket_acl {
        let readable = match &found {
            Some((meta, _)) => super::acl::anonymous_may_read(&Acl::of(&meta.headers), bucket_acl),
            None => bucket_acl.all_users_may(Permission::Read),
        };
        if !readable {
            return Err(CosError::access_denied("Access Denied."));
        }
    }
    let Some((meta, Some(content))) = found else {
        return Err(CosError::no_such_key());
    };
    super::append::check_copy_source(&meta.headers)?;
    let cond = evaluate(|n| vreq.header(&format!("x-cos-copy-source-{n}")), &meta);
    if cond != Condition::Proceed {
        return Err(precondition_failed());
    }
    Ok((meta, content))
}

/// The bytes of a source object to copy, read chunk by chunk.
struct SourceBytes(ContentBody);

impl SourceBytes {
    /// `range` of `content` (`None`: nothing).
    async fn new(mut content: Content, range: Option<ByteRange>) -> Result<Self, CosError> {
        let Some(range) = range else {
            return Ok(Self(ContentBody::new(content, 0)));
        };
        content.skip(range.first).await.map_err(CosError::storage)?;
        Ok(Self(ContentBody::new(
            content,
            range.last - range.first + 1,
        )))
    }

    async fn next(&mut self) -> Result<Option<bytes::Bytes>, CosError> {
        while let Some(frame) = self.0.frame().await {
            if let Ok(data) = frame.map_err(CosError::storage)?.into_data() {
                return Ok(Some(data));
            }
        }
        Ok(None)
    }
}

/// All the bytes of an object of `len` bytes (`None`: it has none).
fn whole(len: u64) -> Option<ByteRange> {
    len.checked_sub(1).map(|last| ByteRange { first: 0, last })
}

/// `x-cos-copy-source-range` against a source of `len` bytes. COS documents it as
/// `bytes=first-last`, zero-based offsets, both given; absent (or empty, as the Python SDK
/// sends it without a range) it means the whole object. As S3 answers it: another form is
/// 400 `InvalidArgument`, and so is a range that is reversed or passes the object's end.
fn copy_range(value: Option<&str>, len: u64) -> Result<Option<ByteRange>, CosError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(whole(len));
    };
    let (first, last) = value
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| digits(a).zip(digits(b)))
        .ok_or_else(|| {
            invalid_argument(
                "The x-cos-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy.",
            )
        })?;
    if first > last || last >= len {
        return Err(invalid_argument(format!(
            "Range specified is not valid for source object of size: {len}"
        )));
    }
    Ok(Some(ByteRange { first, last }))
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
    // The copy's tags: the source's (Copy, the default) or this request's `x-cos-tagging`
    // (Replaced), whatever the metadata directive says.
    let new_tags = match vreq.header("x-cos-tagging-directive") {
        None => None,
        Some(d) if d.eq_ignore_ascii_case("copy") => None,
        Some(d) if d.eq_ignore_ascii_case("replaced") => {
            Some(Tags::from_query(vreq.header(STORED_NAME).unwrap_or(""))?)
        }
        Some(_) => {
            return Err(invalid_argument(
                "x-cos-tagging-directive must be Copy or Replaced.",
            ));
        }
    };
    // Encrypted only when this request asks for it (COS does not carry it over).
    let encrypted = encryption::requested(|n| vreq.header(n))?.is_some();
    let changes = replace || new_tags.is_some() || encrypted;
    if !changes && src_bucket == vreq.bucket && src_key == vreq.key {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata.",
        ));
    }
    let forbid = overwrite::forbidden(vreq)?;
    overwrite::check_absent(state, &vreq.bucket, &vreq.key, forbid).await?;
    let (meta, content) = open_source(state, vreq, &src_bucket, &src_key).await?;
    // The source's tags would be copied (the default directive), but reading them is GET
    // Object tagging's permission and writing them PUT Object tagging's, which no ACL grants
    // (see `anonymous`): an unsigned copy of a tagged source is refused, not silently
    // stripped of them.
    if vreq.anonymous && meta.headers.iter().any(|(n, _)| n == STORED_NAME) {
        return Err(CosError::access_denied("Access Denied."));
    }
    if meta.len > state.limits.max_object_size {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "The source object exceeds the maximum allowed object size.",
        ));
    }
    let mut headers = if replace {
        stored_headers(vreq)?
    } else {
        meta.headers.clone()
    };
    new_tags
        .unwrap_or_else(|| Tags::of(&meta.headers))
        .store_in(&mut headers);
    // The copy's ACL is this request's, `default` when it sends none: COS copies no ACL.
    Acl::of_object_request(|n| vreq.header(n))?.store_in(&mut headers);
    headers.retain(|(n, _)| n != SSE_HEADER);
    if encrypted {
        headers.push((SSE_HEADER.to_owned(), AES256.to_owned()));
    }
    let mut upload = state
        .store
        .begin(&vreq.bucket, &vreq.key, headers)
        .await
        .map_err(CosError::storage)?;
    let mut source = SourceBytes::new(content, whole(meta.len)).await?;
    while let Some(chunk) = source.next().await? {
        upload.write(&chunk).await.map_err(write_error)?;
    }
    if upload.len() != meta.len {
        return Err(CosError::internal("the source object changed while copied"));
    }
    let now = state.now();
    let crc = upload.crc64();
    let etag = overwrite::commit(upload, state, now, forbid).await?;
    let mut x = XmlOut::new("CopyObjectResult");
    x.field("ETag", &format!("\"{etag}\""))
        .field("LastModified", &iso8601(now));
    let resp = xml_response(ctx, StatusCode::OK, x.finish());
    Ok(crc64::echo(encryption::echo(resp, encrypted), crc))
}

/// Upload Part - Copy: PUT Object?partNumber=N&uploadId=ID with `x-cos-copy-source` and
/// maybe `x-cos-copy-source-range`. The part is written as Upload Part writes one (the same
/// part-number, upload and size checks, the memory store's room), its ETag the MD5 of the
/// copied bytes.
pub(crate) async fn upload_part_copy(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let number = part_number_of(vreq)?;
    let (id, info) = upload_of(state, vreq).await?;
    let encrypted = encryption::is_encrypted(&info.headers);
    let (src_bucket, src_key) = parse_source(vreq.header("x-cos-copy-source").unwrap_or(""))?;
    let (meta, content) = open_source(state, vreq, &src_bucket, &src_key).await?;
    let range = copy_range(vreq.header("x-cos-copy-source-range"), meta.len)?;
    let len = range.map_or(0, |r| r.last - r.first + 1);
    check_part_size(state, vreq, &id, number, len)?;
    let mut part = state
        .parts
        .begin_part(&vreq.bucket, &id, number)
        .await
        .map_err(CosError::storage)?
        .ok_or_else(no_such_upload)?;
    let mut source = SourceBytes::new(content, range).await?;
    while let Some(chunk) = source.next().await? {
        part.write(&chunk).await.map_err(part_write_error)?;
    }
    if part.len() != len {
        return Err(CosError::internal("the source object changed while copied"));
    }
    let now = state.now();
    let crc = part.crc64();
    let etag = part
        .commit(&state.parts, now)
        .await
        .map_err(CosError::storage)?
        .ok_or_else(no_such_upload)?;
    let mut x = XmlOut::new("CopyPartResult");
    x.field("ETag", &format!("\"{etag}\""))
        .field("LastModified", &iso8601(now));
    let resp = xml_response(ctx, StatusCode::OK, x.finish());
    Ok(crc64::echo(encryption::echo(resp, encrypted), crc))
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
        // S3's form, with and without the leading slash.
        let want = ("examplebucket-1250000000".to_owned(), "a/b c".to_owned());
        assert_eq!(
            parse_source("/examplebucket-1250000000/a/b%20c").unwrap(),
            want
        );
        assert_eq!(
            parse_source("examplebucket-1250000000/a/b%20c").unwrap(),
            want
        );
        for bad in [
            "/examplebucket-1250000000/",
            "/examplebucket-1250000000",
            "//k",
            "/no_such:bucket/k",
            "/Bad Bucket/k",
        ] {
            assert!(parse_source(bad).is_err(), "{bad}");
        }
        let e = parse_source("b-1.cos.ap-beijing.myqcloud.com/k?versionId=1").unwrap_err();
        assert_eq!(e.code, "InvalidArgument");
        assert_eq!(
            parse_source("/b-1/k?versionId=null").unwrap(),
            ("b-1".to_owned(), "k".to_owned())
        );
    }

    #[test]
    fn copy_ranges() {
        let r = |first, last| Some(Some(ByteRange { first, last }));
        let ok = |v, len| copy_range(v, len).ok();
        assert_eq!(ok(None, 10), r(0, 9));
        assert_eq!(ok(Some(""), 10), r(0, 9));
        assert_eq!(ok(None, 0), Some(None));
        assert_eq!(ok(Some("bytes=0-9"), 10), r(0, 9));
        assert_eq!(ok(Some(" bytes=3-3 "), 10), r(3, 3));
        for bad in [
            "bytes=0-10",
            "bytes=4-3",
            "bytes=0-",
            "bytes=-1",
            "0-1",
            "bytes=+1-2",
            "bytes=0-1,2-3",
            "bytes=a-b",
            "items=0-1",
            "bytes=99999999999999999999-1",
        ] {
            let e = copy_range(Some(bad), 10).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.code),
                (400, "InvalidArgument"),
                "{bad}"
            );
        }
    }
}
