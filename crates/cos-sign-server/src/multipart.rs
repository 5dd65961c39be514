//! Multipart upload: Initiate, Upload Part, Complete, Abort, List Parts, List Multipart
//! Uploads.

use super::aws_chunked::ReqBody;
use hyper::{Response, StatusCode};

use super::State;
use super::body::{closing, content_md5, next_chunk, read_small_body};
use super::bucket::{
    Listing, common_prefix, enc, invalid_argument, listing_xml, max_param, owner, storage_class,
    url_encoding, xml_response,
};
use super::crc64;
use super::encryption;
use super::error::CosError;
use super::object_ops::stored_headers;
use super::overwrite;
use super::parts::{UploadInfo, multipart_etag};
use super::request::{VerifiedRequest, digits};
use super::response::{Body, Ctx, Refused, drain, etag_response, no_content};
use super::store::WriteError;
use super::xml::{XmlOut, iso8601, malformed};

/// Part numbers COS accepts.
const PART_NUMBERS: std::ops::RangeInclusive<u32> = 1..=10_000;
/// Smallest part but the last.
pub(crate) const MIN_PART: u64 = 1024 * 1024;
/// Largest XML request body read (Complete with 10,000 parts fits easily).
pub(crate) const MAX_XML_BODY: usize = 2 * 1024 * 1024;

pub(crate) fn write_error(e: WriteError) -> CosError {
    match e {
        WriteError::Full => CosError::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "The memory store is full (see --memory-store-cap).",
        ),
        WriteError::Io(e) => CosError::storage(e),
    }
}

pub(crate) fn no_such_upload() -> CosError {
    CosError::new(
        StatusCode::NOT_FOUND,
        "NoSuchUpload",
        "The specified multipart upload does not exist.",
    )
}

/// The upload named by `uploadId`, checked to belong to this key. An unsigned request
/// reaches only an upload an unsigned request initiated ([`UploadInfo::anonymous`]); one
/// that a signed request initiated is 403 `AccessDenied` to it, so no one can add parts to,
/// or complete, the owner's upload without a signature (see `anonymous`).
pub(crate) async fn upload_of(
    state: &State,
    vreq: &VerifiedRequest,
) -> Result<(String, UploadInfo), CosError> {
    let id = vreq.param("uploadId").ok_or_else(no_such_upload)?;
    match state
        .parts
        .info(&vreq.bucket, id)
        .await
        .map_err(CosError::storage)?
    {
        Some(info) if info.key == vreq.key => {
            if vreq.anonymous && !info.anonymous {
                return Err(CosError::access_denied("Access Denied."));
            }
            Ok((id.to_owned(), info))
        }
        _ => Err(no_such_upload()),
    }
}

/// POST Object?uploads. An unsigned request's upload is marked as such
/// ([`UploadInfo::anonymous`]).
pub(crate) async fn initiate(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let (bucket, key) = (vreq.bucket.as_str(), vreq.key.as_str());
    let headers = stored_headers(vreq)?;
    overwrite::check_absent(state, bucket, key, overwrite::forbidden(vreq)?).await?;
    let encrypted = encryption::is_encrypted(&headers);
    let id = state
        .parts
        .create(bucket, key, headers, state.now(), vreq.anonymous)
        .await
        .map_err(CosError::storage)?;
    let mut x = XmlOut::new("InitiateMultipartUploadResult");
    x.field("Bucket", bucket)
        .field("Key", key)
        .field("UploadId", &id);
    Ok(encryption::echo(
        xml_response(ctx, StatusCode::OK, x.finish()),
        encrypted,
    ))
}

/// PUT Object?partNumber=N&uploadId=ID.
pub(crate) async fn upload_part(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    mut body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let bucket = vreq.bucket.as_str();
    let checked = async {
        let number = part_number_of(vreq)?;
        let md5 = content_md5(vreq)?;
        let (id, info) = upload_of(state, vreq).await?;
        if let Some(n) = hyper::body::Body::size_hint(&body).exact() {
            check_part_size(state, vreq, &id, number, n)?;
        }
        let encrypted = encryption::is_encrypted(&info.headers);
        Ok::<_, CosError>((number, md5, id, encrypted))
    }
    .await;
    let (number, expected, id, encrypted) = match checked {
        Ok(c) => c,
        Err(error) => {
            let close = drain(state, body).await;
            return Err(Refused { error, close });
        }
    };
    let Some(mut part) = state
        .parts
        .begin_part(bucket, &id, number)
        .await
        .map_err(|e| closing(CosError::storage(e)))?
    else {
        return Err(closing(no_such_upload()));
    };
    while let Some(chunk) = next_chunk(state, &mut body).await.map_err(closing)? {
        if part.len().saturating_add(chunk.len() as u64) > state.limits.max_object_size {
            return Err(closing(CosError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed part size.",
            )));
        }
        part.write(&chunk)
            .await
            .map_err(|e| closing(part_write_error(e)))?;
    }
    if expected.is_some_and(|e| e != part.digest()) {
        return Err(CosError::bad_digest().into());
    }
    let crc = part.crc64();
    let etag = part
        .commit(&state.parts, state.now())
        .await
        .map_err(CosError::storage)?
        .ok_or_else(no_such_upload)?;
    let resp = encryption::echo(etag_response(ctx, &etag), encrypted);
    Ok(crc64::echo(resp, crc))
}

/// The `partNumber` of a part request (Upload Part, Upload Part - Copy): 1 to 10000.
pub(crate) fn part_number_of(vreq: &VerifiedRequest) -> Result<u32, CosError> {
    vreq.param("partNumber")
        .and_then(part_number)
        .filter(|n| PART_NUMBERS.contains(n))
        .ok_or_else(|| invalid_argument("partNumber must be an integer from 1 to 10000."))
}

/// Refuses a part of `len` bytes (known before it is written) larger than a part may be, or
/// than the memory store's room, the part it replaces counted as freed.
pub(crate) fn check_part_size(
    state: &State,
    vreq: &VerifiedRequest,
    id: &str,
    number: u32,
    len: u64,
) -> Result<(), CosError> {
    let max = state.limits.max_object_size;
    if len > max {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            format!("Your proposed upload exceeds the maximum allowed part size ({max} bytes)."),
        ));
    }
    if state
        .parts
        .room_for(&vreq.bucket, id, number)
        .is_some_and(|room| len > room)
    {
        return Err(write_error(WriteError::Full));
    }
    Ok(())
}

/// The error of a refused [`PartWriter`](super::parts::PartWriter) write.
pub(crate) fn part_write_error(e: std::io::Error) -> CosError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        write_error(WriteError::Full)
    } else {
        CosError::storage(e)
    }
}

/// A part number as a request writes it (see [`digits`]); past `u32::MAX` it saturates
/// there, above every part number.
fn part_number(s: &str) -> Option<u32> {
    digits(s).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn invalid_part(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidPart", message)
}

/// The (part number, ETag) list of a Complete Multipart Upload body.
pub(crate) fn complete_list(body: &[u8]) -> Result<Vec<(u32, String)>, CosError> {
    let root = super::xml::parse(body)?;
    if root.name != "CompleteMultipartUpload" {
        return Err(malformed());
    }
    let mut out = Vec::new();
    for part in root.all("Part") {
        let number = part
            .child("PartNumber")
            .and_then(|n| part_number(n.text.trim()))
            .ok_or_else(malformed)?;
        let etag = part.child("ETag").ok_or_else(malformed)?.text.trim();
        let etag = etag.strip_prefix('"').unwrap_or(etag);
        let etag = etag.strip_suffix('"').unwrap_or(etag);
        out.push((number, etag.to_ascii_lowercase()));
    }
    if out.is_empty() || out.len() > 10_000 {
        return Err(malformed());
    }
    Ok(out)
}

/// POST Object?uploadId=ID: joins the listed parts into the object.
pub(crate) async fn complete(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let (id, info) = match upload_of(state, vreq).await {
        Ok(f) => f,
        Err(error) => {
            let close = drain(state, body).await;
            return Err(Refused { error, close });
        }
    };
    let body = read_small_body(state, body, MAX_XML_BODY).await?;
    join_parts(state, ctx, vreq, &id, info, &body)
        .await
        .map_err(Refused::from)
}

async fn join_parts(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    id: &str,
    info: UploadInfo,
    body: &[u8],
) -> Result<Response<Body>, CosError> {
    let (bucket, key) = (vreq.bucket.as_str(), vreq.key.as_str());
    let forbid = overwrite::forbidden(vreq)?;
    overwrite::check_absent(state, bucket, key, forbid).await?;
    let wanted = complete_list(body)?;
    if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        ));
    }
    let stored = state
        .parts
        .parts(bucket, id)
        .await
        .map_err(CosError::storage)?
        .ok_or_else(no_such_upload)?;
    let mut chosen = Vec::with_capacity(wanted.len());
    for (i, (number, etag)) in wanted.iter().enumerate() {
        let part = stored
            .iter()
            .find(|p| p.number == *number && &p.etag == etag)
            .ok_or_else(|| {
                invalid_part(format!(
                    "Part {number} could not be found, or its ETag does not match."
                ))
            })?;
        if i + 1 < wanted.len() && part.size < MIN_PART {
            return Err(CosError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooSmall",
                format!("Part {number} is smaller than the minimum allowed part size (1 MB)."),
            ));
        }
        chosen.push(part.clone());
    }
    let etags: Vec<&str> = chosen.iter().map(|p| p.etag.as_str()).collect();
    let etag = multipart_etag(&etags).ok_or_else(|| invalid_part("A part ETag is not valid."))?;
    let total: u64 = chosen.iter().map(|p| p.size).sum();
    if total > state.limits.max_object_size {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "EntityTooLarge",
            "The object would exceed the maximum allowed object size.",
        ));
    }
    let encrypted = encryption::is_encrypted(&info.headers);
    let mut upload = state
        .store
        .begin_with_etag(bucket, key, info.headers, Some(etag.clone()))
        .await
        .map_err(CosError::storage)?;
    let mut buf = vec![0u8; 256 * 1024];
    for part in &chosen {
        let content = state
            .parts
            .open_part(bucket, id, part)
            .await
            .map_err(|_| invalid_part(format!("Part {} is gone.", part.number)))?;
        upload
            .write_content(content, &mut buf)
            .await
            .map_err(write_error)?;
    }
    let crc = upload.crc64();
    overwrite::commit(upload, state, state.now(), forbid).await?;
    state
        .parts
        .remove(bucket, id)
        .await
        .map_err(CosError::storage)?;

    let location = format!(
        "{}/{}",
        ctx.resource.split('/').next().unwrap_or(bucket),
        key
    );
    let mut x = XmlOut::new("CompleteMultipartUploadResult");
    x.field("Location", &location)
        .field("Bucket", bucket)
        .field("Key", key)
        .field("ETag", &format!("\"{etag}\""));
    let resp = xml_response(ctx, StatusCode::OK, x.finish());
    Ok(crc64::echo(encryption::echo(resp, encrypted), crc))
}

/// DELETE Object?uploadId=ID.
pub(crate) async fn abort(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let (id, _) = upload_of(state, vreq).await?;
    if !state
        .parts
        .remove(&vreq.bucket, &id)
        .await
        .map_err(CosError::storage)?
    {
        return Err(no_such_upload());
    }
    Ok(no_content(ctx))
}

/// GET Object?uploadId=ID: the parts received so far.
pub(crate) async fn list_parts(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let (bucket, key) = (vreq.bucket.as_str(), vreq.key.as_str());
    let (id, info) = upload_of(state, vreq).await?;
    let max = max_param(vreq, "max-parts", 1000)?;
    let url = url_encoding(vreq)?;
    let marker = match vreq.param("part-number-marker") {
        None => 0,
        Some(m) => part_number(m)
            .ok_or_else(|| invalid_argument("part-number-marker must be a number."))?,
    };
    let parts = state
        .parts
        .parts(bucket, &id)
        .await
        .map_err(CosError::storage)?
        .ok_or_else(no_such_upload)?;
    let after: Vec<_> = parts.iter().filter(|p| p.number > marker).collect();
    let page = after.get(..max.min(after.len())).unwrap_or_default();
    // An empty page (max-parts=0) is not truncated: no marker could advance past it.
    let truncated = !page.is_empty() && page.len() < after.len();
    let class = storage_class(&info.headers);
    let owner = owner(bucket);

    let mut x = listing_xml("ListPartsResult", ("Bucket", bucket), "Encoding-type", url);
    x.field("Key", &enc(url, key))
        .field("UploadId", &id)
        .person("Initiator", owner)
        .person("Owner", owner)
        .field("StorageClass", class)
        .field("PartNumberMarker", &marker.to_string())
        .field(
            "NextPartNumberMarker",
            &page.last().map_or(marker, |p| p.number).to_string(),
        )
        .field("MaxParts", &max.to_string())
        .field("IsTruncated", if truncated { "true" } else { "false" });
    for p in page {
        x.open("Part")
            .field("PartNumber", &p.number.to_string())
            .field("LastModified", &iso8601(p.modified))
            .field("ETag", &format!("\"{}\"", p.etag))
            .field("Size", &p.size.to_string())
            .close("Part");
    }
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

/// GET Bucket?uploads: the uploads in progress.
pub(crate) async fn list_uploads(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let bucket = vreq.bucket.as_str();
    let key_marker = vreq.param("key-marker").unwrap_or("");
    let id_marker = vreq.param("upload-id-marker").unwrap_or("");
    let l = Listing::parse(vreq, "max-uploads", 1000)?;
    let all = state
        .parts
        .uploads(bucket)
        .await
        .map_err(CosError::storage)?;
    let after = |key: &str, id: &str| {
        key.as_bytes() > key_marker.as_bytes()
            || (key == key_marker && !id_marker.is_empty() && id > id_marker)
    };
    let mut uploads = Vec::new();
    let mut prefixes: Vec<&str> = Vec::new();
    // The last entry of the page, key (or common prefix) and upload id: the next markers.
    let mut last: Option<(&str, &str)> = None;
    let mut truncated = false;
    for (id, info) in &all {
        let key = info.key.as_str();
        if !key.starts_with(l.prefix) || !after(key, id) {
            continue;
        }
        let cp = common_prefix(key, l.prefix, l.delimiter);
        if let Some(cp) = cp
            && (prefixes.last() == Some(&cp) || cp.as_bytes() <= key_marker.as_bytes())
        {
            continue;
        }
        if uploads.len() + prefixes.len() == l.max {
            // An empty page (max-uploads=0) is not truncated: no marker could advance.
            truncated = l.max > 0;
            break;
        }
        match cp {
            Some(cp) => {
                prefixes.push(cp);
                last = Some((cp, ""));
            }
            None => {
                uploads.push((id, info));
                last = Some((key, id.as_str()));
            }
        }
    }
    let owner = owner(bucket);
    let mut x = listing_xml(
        "ListMultipartUploadsResult",
        ("Bucket", bucket),
        "Encoding-Type",
        l.url,
    );
    x.field("KeyMarker", &l.enc(key_marker))
        .field("UploadIdMarker", id_marker);
    if truncated && let Some((key, id)) = last {
        x.field("NextKeyMarker", &l.enc(key))
            .field("NextUploadIdMarker", id);
    }
    x.field("MaxUploads", &l.max.to_string())
        .field("IsTruncated", if truncated { "true" } else { "false" })
        .field("Prefix", &l.enc(l.prefix));
    l.delimiter_field(&mut x);
    for (id, info) in &uploads {
        x.open("Upload")
            .field("Key", &l.enc(&info.key))
            .field("UploadId", id)
            .field("StorageClass", storage_class(&info.headers))
            .person("Initiator", owner)
            .person("Owner", owner)
            .field("Initiated", &iso8601(info.initiated))
            .close("Upload");
    }
    l.common_prefixes(&mut x, prefixes);
    Ok(xml_response(ctx, StatusCode::OK, x.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_bodies() {
        let l = complete_list(
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"AB\"</ETag></Part>\
              <Part><ETag>cd</ETag><PartNumber> 3 </PartNumber></Part></CompleteMultipartUpload>",
        )
        .unwrap();
        assert_eq!(l, vec![(1, "ab".to_owned()), (3, "cd".to_owned())]);
        assert!(complete_list(b"<CompleteMultipartUpload></CompleteMultipartUpload>").is_err());
        assert!(
            complete_list(b"<Other><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></Other>")
                .is_err()
        );
        assert!(complete_list(b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>").is_err());
        assert!(complete_list(b"<CompleteMultipartUpload><Part><PartNumber>+1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>").is_err());
        assert_eq!(part_number("99999999999"), Some(u32::MAX));
        assert_eq!(part_number("+1"), None);
    }
}
