//! Object metadata, PUT (with `x-cos-forbid-overwrite`) and DELETE Object, GET/HEAD with conditions, `Range` and `response-*` overrides.

use std::time::SystemTime;

use base64::Engine;

use super::aws_chunked::ReqBody;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

use super::State;
use super::acl::{self, Acl};
use super::crc64;
use super::encryption::{self, SSE_HEADER};
use super::error::CosError;
use super::overwrite;
use super::request::{VerifiedRequest, digits};
use super::response::{Body, Ctx, Refused, discard_expecting, empty, etag_response, no_content};
use super::store::{ContentBody, Meta, WriteError};
use super::tagging::{COUNT_HEADER, STORED_NAME, Tags};

/// The headers kept with an object besides `Content-Type` and the `x-cos-meta-*` ones, and
/// returned by GET and HEAD.
pub(crate) const STORED_HEADERS: [&str; 6] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-cos-storage-class",
];

/// The storage classes COS accepts in `x-cos-storage-class`.
const STORAGE_CLASSES: [&str; 10] = [
    "STANDARD",
    "STANDARD_IA",
    "ARCHIVE",
    "DEEP_ARCHIVE",
    "INTELLIGENT_TIERING",
    "MAZ_STANDARD",
    "MAZ_STANDARD_IA",
    "MAZ_INTELLIGENT_TIERING",
    "MAZ_ARCHIVE",
    "MAZ_DEEP_ARCHIVE",
];

/// COS's limit on the user metadata (`x-cos-meta-*` names and values together).
const MAX_USER_META: usize = 2 * 1024;

const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The headers an upload stores with its object (`content-type` first), from the verified
/// request.
pub(crate) fn stored_headers(vreq: &VerifiedRequest) -> Result<Vec<(String, String)>, CosError> {
    headers_to_store(|n| vreq.header(n), vreq.headers())
}

/// The headers an upload stores with its object (`content-type` first): those of
/// [`STORED_HEADERS`] that `get` finds (by lowercase name) and every `x-cos-meta-*` of
/// `all` (names lowercase), each checked to be a header GET can send back (see
/// [`check_stored_header`]), the storage class and the metadata size checked as COS does.
/// An HTTP header of them (`content-type`, `cache-control`, ...) sent empty stores nothing:
/// the Node.js SDK sends `Cache-Control:` empty with every upload that has none, so that a
/// proxy's value is not stored, and an empty `Expires` would tell caches the object is stale.
/// The tags of `x-cos-tagging` (see [`Tags`]), the ACL of `x-cos-acl` and `x-cos-grant-*`
/// (see [`Acl`]; none: `default`) and the encryption of `x-cos-server-side-encryption` (see
/// [`encryption`]) are stored with them.
/// PUT, Initiate, Copy (`Replaced`) and the POST form upload all store through here.
pub(crate) fn headers_to_store<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    all: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(String, String)>, CosError> {
    let given = |name: &str| get(name).filter(|v| !v.is_empty() || name.starts_with("x-cos-"));
    let content_type = given("content-type").unwrap_or(DEFAULT_CONTENT_TYPE);
    let mut stored = vec![("content-type".to_owned(), content_type.to_owned())];
    for name in STORED_HEADERS {
        if let Some(v) = given(name) {
            stored.push((name.to_owned(), v.to_owned()));
        }
    }
    if let Some((_, class)) = stored.iter().find(|(n, _)| n == "x-cos-storage-class") {
        let class = class.to_ascii_uppercase();
        if !STORAGE_CLASSES.contains(&class.as_str()) {
            return Err(CosError::new(
                StatusCode::BAD_REQUEST,
                "InvalidStorageClass",
                "The storage class you specified is not valid.",
            ));
        }
        stored.retain(|(n, _)| n != "x-cos-storage-class");
        if class != "STANDARD" {
            stored.push(("x-cos-storage-class".to_owned(), class));
        }
    }
    let mut user_size = 0;
    for (name, v) in all {
        if name.starts_with("x-cos-meta-") {
            user_size += name.len() + v.len();
            stored.push((name.to_owned(), v.to_owned()));
        }
    }
    if user_size > MAX_USER_META {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size (2 KB).",
        ));
    }
    Tags::from_query(get(STORED_NAME).unwrap_or(""))?.store_in(&mut stored);
    Acl::of_object_request(&get)?.store_in(&mut stored);
    if let Some(sse) = encryption::requested(&get)? {
        stored.push((SSE_HEADER.to_owned(), sse.to_owned()));
    }
    for (name, value) in &stored {
        check_stored_header(name, value)?;
    }
    Ok(stored)
}

/// Refuses (400 `InvalidArgument`) a header that could not be sent back: a name that is no
/// header name, or a value with a control character (CR, LF, NUL, ...; a tab is allowed).
/// Bytes from 0x80 up (UTF-8) are allowed, as COS stores and returns them.
pub(crate) fn check_stored_header(name: &str, value: &str) -> Result<(), CosError> {
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "A metadata name is not a valid header name.",
        ));
    }
    if HeaderValue::from_bytes(value.as_bytes()).is_err() {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!("The value for {name} holds a control character."),
        ));
    }
    Ok(())
}

/// One byte range, resolved against the object's length: first and last byte, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub first: u64,
    pub last: u64,
}

/// A `Range` header against an object of `len` bytes: `Ok(None)` for the whole object (no
/// header, another unit, several ranges or a malformed one, all ignored as HTTP says),
/// `Err(())` when it cannot be satisfied (416).
pub(crate) fn parse_range(value: Option<&str>, len: u64) -> Result<Option<ByteRange>, ()> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    // Bounds past 64 bits saturate: a first byte past the end is 416, a last one is clamped.
    let num = |s: &str| digits(s.trim());
    match (a.trim().is_empty(), num(a), num(b)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(n)) => {
            if n == 0 || len == 0 {
                return Err(());
            }
            Ok(Some(ByteRange {
                first: len.saturating_sub(n),
                last: len - 1,
            }))
        }
        (false, Some(first), end) if b.trim().is_empty() || end.is_some() => {
            if let Some(e) = end
                && e < first
            {
                return Ok(None);
            }
            if first >= len {
                return Err(());
            }
            let last = end.map_or(len - 1, |e| e.min(len - 1));
            Ok(Some(ByteRange { first, last }))
        }
        _ => Ok(None),
    }
}

/// Whether an `If-Range` value lets a `Range` apply (RFC 9110 §13.1.5): an entity tag that
/// equals the object's by strong comparison (a weak `W/"..."` never does), or an HTTP date
/// that is exactly its `Last-Modified` (a date validator holds only as an exact match).
/// Anything else (another tag, another or unreadable date) means the whole object is sent.
pub(crate) fn if_range_holds(value: &str, meta: &Meta) -> bool {
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .is_some_and(|tag| tag == meta.etag);
    }
    httpdate::parse_http_date(value).is_ok_and(|d| seconds(d) == seconds(meta.modified))
}

/// The outcome of the `If-*` headers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Condition {
    Proceed,
    NotModified,
    Failed,
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').any(|t| {
        let t = t.trim();
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t.trim_matches('"') == etag
    })
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since` headers
/// (`header` looks one up by its lowercase name), evaluated as RFC 9110 §13.2.2 orders them.
/// Dates that do not parse are ignored.
pub(crate) fn evaluate<'h>(header: impl Fn(&str) -> Option<&'h str>, meta: &Meta) -> Condition {
    let get = |n: &str| header(n);
    let date = |v: Option<&str>| v.and_then(|d| httpdate::parse_http_date(d.trim()).ok());
    let modified = seconds(meta.modified);
    if let Some(m) = get("if-match") {
        if !etag_matches(m, &meta.etag) {
            return Condition::Failed;
        }
    } else if let Some(d) = date(get("if-unmodified-since"))
        && modified > seconds(d)
    {
        return Condition::Failed;
    }
    if let Some(m) = get("if-none-match") {
        if etag_matches(m, &meta.etag) {
            return Condition::NotModified;
        }
    } else if let Some(d) = date(get("if-modified-since"))
        && modified <= seconds(d)
    {
        return Condition::NotModified;
    }
    Condition::Proceed
}

pub(crate) fn precondition_failed() -> CosError {
    CosError::new(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "At least one of the preconditions you specified did not hold.",
    )
}

/// The `response-*` query params GET may use to override response headers; honoured only
/// when the signature covers them.
const OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
];

/// GET or HEAD Object.
pub(crate) async fn get(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    get_if(state, ctx, vreq, |_| Ok(())).await
}

/// GET or HEAD Object, once `allow` accepted the object read (`None`: there is none), before
/// anything of it is answered: the check and the answer are about the same object.
pub(crate) async fn get_if(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    allow: impl FnOnce(Option<&Meta>) -> Result<(), CosError>,
) -> Result<Response<Body>, CosError> {
    let mut overrides = Vec::new();
    for (param, name) in OVERRIDES {
        if let Some(v) = vreq.param(param)
            && vreq.is_signed_param(param)
        {
            overrides.push((name, v));
        }
    }
    let range_header = vreq.header("range");
    let found = state
        .store
        .get(&vreq.bucket, &vreq.key, ctx.head)
        .await
        .map_err(|e| CosError::internal(format!("cannot read the object: {e}")))?;
    allow(found.as_ref().map(|(m, _)| m))?;
    let Some((meta, content)) = found else {
        return Err(CosError::no_such_key());
    };
    let last_modified = httpdate::fmt_http_date(meta.modified);
    let etag = format!("\"{}\"", meta.etag);
    match evaluate(|n| vreq.header(n), &meta) {
        Condition::Proceed => {}
        Condition::Failed => return Err(precondition_failed()),
        Condition::NotModified => {
            return ctx
                .base(StatusCode::NOT_MODIFIED)
                .header(header::ETAG, etag)
                .header(header::LAST_MODIFIED, last_modified)
                .body(empty())
                .map_err(|e| CosError::internal(format!("bad response: {e}")));
        }
    }
    // A Range whose If-Range does not hold is ignored: the whole object, 200.
    let range_header = range_header.filter(|_| {
        vreq.header("if-range")
            .is_none_or(|v| if_range_holds(v, &meta))
    });
    let range = match parse_range(range_header, meta.len) {
        Ok(r) => r,
        Err(()) => {
            // The error answer, with the length the range missed.
            let e = CosError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable.",
            );
            let mut resp = ctx.error(&e);
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", meta.len)) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(resp);
        }
    };
    let (status, len) = match range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.last - r.first + 1),
        None => (StatusCode::OK, meta.len),
    };
    let mut builder = ctx
        .base(status)
        .header(header::CONTENT_LENGTH, len)
        .header(header::ETAG, etag)
        .header(header::LAST_MODIFIED, last_modified)
        .header(header::ACCEPT_RANGES, "bytes");
    if let Some(r) = range {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", r.first, r.last, meta.len),
        );
    }
    let tags = Tags::of(&meta.headers);
    if !tags.is_empty() {
        builder = builder.header(COUNT_HEADER, tags.len());
    }
    let stored = meta
        .headers
        .iter()
        .filter(|(n, _)| {
            n != STORED_NAME && n != acl::STORED_NAME && !overrides.iter().any(|(o, _)| o == n)
        })
        .map(|(n, v)| (n.as_str(), v.as_str()));
    for (n, v) in stored.chain(overrides.iter().copied()) {
        // The stored bytes as they came, UTF-8 included (COS returns them so).
        match (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            (Ok(n), Ok(v)) => builder = builder.header(n, v),
            _ => {
                return Err(CosError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidArgument",
                    format!("The value for {n} cannot be a response header."),
                ));
            }
        }
    }
    let body = match content {
        Some(mut c) => {
            if let Some(r) = range {
                c.skip(r.first)
                    .await
                    .map_err(|e| CosError::internal(format!("cannot read the object: {e}")))?;
            }
            ContentBody::new(c, len).boxed()
        }
        None => empty(),
    };
    builder
        .body(body)
        .map_err(|e| CosError::internal(format!("bad response: {e}")))
}

fn entity_too_large(limit: u64) -> CosError {
    CosError::new(
        StatusCode::BAD_REQUEST,
        "EntityTooLarge",
        format!("Your proposed upload exceeds the maximum allowed object size ({limit} bytes)."),
    )
}

/// DELETE Object; deleting a missing object succeeds.
pub(crate) async fn delete(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    match state.store.delete(&vreq.bucket, &vreq.key).await {
        Ok(()) => Ok(no_content(ctx)),
        Err(e) => Err(CosError::internal(format!("delete failed: {e}"))),
    }
}

/// PUT Object.
pub(crate) async fn put(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    mut body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let limits = &state.limits;
    let refuse = |error: CosError| Refused { error, close: true };
    let expected_md5 = match vreq.header("content-md5") {
        None => None,
        Some(v) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes())
                .ok()
                .and_then(|d| <[u8; 16]>::try_from(d).ok());
            match decoded {
                Some(d) => Some(d),
                None => {
                    let close =
                        discard_expecting(state, vreq.header("expect").map(str::as_bytes), body)
                            .await;
                    return Err(Refused {
                        error: CosError::new(
                            StatusCode::BAD_REQUEST,
                            "InvalidDigest",
                            "The Content-MD5 you specified is not valid.",
                        ),
                        close,
                    });
                }
            }
        }
    };
    // The most this upload may hold: the object size limit, and the memory store's room.
    let room = state.store.room_for(&vreq.bucket, &vreq.key);
    let max = room.map_or(limits.max_object_size, |r| r.min(limits.max_object_size));
    let declared = hyper::body::Body::size_hint(&body).exact();
    if let Some(n) = declared
        && n > max
    {
        return Err(refuse(entity_too_large(max)));
    }
    let checked = match (stored_headers(vreq), overwrite::forbidden(vreq)) {
        (Ok(h), Ok(forbid)) => overwrite::check_absent(state, &vreq.bucket, &vreq.key, forbid)
            .await
            .map(|()| (h, forbid)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let (headers, forbid) = match checked {
        Ok(c) => c,
        Err(error) => {
            let close =
                discard_expecting(state, vreq.header("expect").map(str::as_bytes), body).await;
            return Err(Refused { error, close });
        }
    };
    let encrypted = encryption::is_encrypted(&headers);
    let mut upload = state
        .store
        .begin(&vreq.bucket, &vreq.key, headers)
        .await
        .map_err(|e| refuse(CosError::internal(format!("cannot store the object: {e}"))))?;
    loop {
        let frame = match tokio::time::timeout(limits.body_idle_timeout, body.frame()).await {
            Err(_) => {
                return Err(refuse(CosError::new(
                    StatusCode::BAD_REQUEST,
                    "RequestTimeout",
                    "Your socket connection to the server was not read from or written to within the timeout period.",
                )));
            }
            Ok(None) => break,
            Ok(Some(f)) => f,
        };
        let frame = frame.map_err(|e| refuse(e.into_cos()))?;
        if let Ok(data) = frame.into_data() {
            let total = upload.len().saturating_add(data.len() as u64);
            if total > limits.max_object_size {
                return Err(refuse(entity_too_large(limits.max_object_size)));
            }
            match upload.write(&data).await {
                Ok(()) => {}
                Err(WriteError::Full) => {
                    return Err(refuse(CosError::new(
                        StatusCode::BAD_REQUEST,
                        "EntityTooLarge",
                        "The memory store is full (see --memory-store-cap).",
                    )));
                }
                Err(WriteError::Io(e)) => {
                    return Err(refuse(CosError::internal(format!(
                        "cannot store the object: {e}"
                    ))));
                }
            }
        }
    }
    if let Some(expected) = expected_md5
        && upload.digest() != expected
    {
        return Err(CosError::bad_digest().into());
    }
    let crc = upload.crc64();
    let etag = overwrite::commit(upload, state, state.now(), forbid).await?;
    let resp = encryption::echo(etag_response(ctx, &etag), encrypted);
    Ok(crc64::echo(resp, crc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |f, l| Ok(Some(ByteRange { first: f, last: l }));
        assert_eq!(parse_range(Some("bytes=0-0"), 10), r(0, 0));
        assert_eq!(parse_range(Some("bytes=2-"), 10), r(2, 9));
        assert_eq!(parse_range(Some("bytes=2-100"), 10), r(2, 9));
        assert_eq!(parse_range(Some("bytes=-3"), 10), r(7, 9));
        assert_eq!(parse_range(Some("bytes=-30"), 10), r(0, 9));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=-0"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=0-"), 0), Err(()));
        assert_eq!(parse_range(Some("bytes=5-2"), 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Ok(None));
        assert_eq!(parse_range(Some("items=0-1"), 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=a-1"), 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=+1-2"), 10), Ok(None));
        // Past 64 bits: a first byte is past the end, a last byte is clamped.
        assert_eq!(
            parse_range(Some("bytes=99999999999999999999999-"), 10),
            Err(())
        );
        assert_eq!(
            parse_range(
                Some("bytes=99999999999999999999999-99999999999999999999999"),
                10
            ),
            Err(())
        );
        assert_eq!(
            parse_range(Some("bytes=3-99999999999999999999999"), 10),
            r(3, 9)
        );
        assert_eq!(
            parse_range(Some("bytes=-99999999999999999999999"), 10),
            r(0, 9)
        );
        assert_eq!(parse_range(Some("bytes=1-+2"), 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=-+2"), 10), Ok(None));
        assert_eq!(parse_range(None, 10), Ok(None));
    }

    /// A one-byte object's metadata: ETag `abc`, last modified at the returned time.
    fn one_byte_abc() -> (SystemTime, Meta) {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let meta = Meta {
            len: 1,
            etag: "abc".into(),
            modified: t,
            headers: Vec::new(),
        };
        (t, meta)
    }

    #[test]
    fn if_range() {
        let (t, meta) = one_byte_abc();
        let at = httpdate::fmt_http_date(t);
        let later = httpdate::fmt_http_date(t + std::time::Duration::from_secs(1));
        let before = httpdate::fmt_http_date(t - std::time::Duration::from_secs(1));
        for v in ["\"abc\"", " \"abc\" ", at.as_str()] {
            assert!(if_range_holds(v, &meta), "{v}");
        }
        for v in [
            "\"abd\"",
            "W/\"abc\"",
            "abc",
            "\"abc",
            "\"\"",
            "*",
            before.as_str(),
            later.as_str(),
            "yesterday",
            "",
        ] {
            assert!(!if_range_holds(v, &meta), "{v}");
        }
    }

    #[test]
    fn conditions() {
        let (t, meta) = one_byte_abc();
        let eval = |pairs: &[(&str, String)]| {
            evaluate(
                |n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str()),
                &meta,
            )
        };
        let before = httpdate::fmt_http_date(t - std::time::Duration::from_secs(10));
        let at = httpdate::fmt_http_date(t);
        assert_eq!(eval(&[]), Condition::Proceed);
        assert_eq!(eval(&[("if-match", "\"abc\"".into())]), Condition::Proceed);
        assert_eq!(
            eval(&[("if-match", "\"x\", \"abc\"".into())]),
            Condition::Proceed
        );
        assert_eq!(eval(&[("if-match", "\"abd\"".into())]), Condition::Failed);
        assert_eq!(
            eval(&[("if-none-match", "\"abc\"".into())]),
            Condition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "*".into())]),
            Condition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"x\"".into())]),
            Condition::Proceed
        );
        assert_eq!(
            eval(&[("if-modified-since", at.clone())]),
            Condition::NotModified
        );
        assert_eq!(
            eval(&[("if-modified-since", before.clone())]),
            Condition::Proceed
        );
        assert_eq!(
            eval(&[("if-unmodified-since", before.clone())]),
            Condition::Failed
        );
        assert_eq!(
            eval(&[("if-unmodified-since", at.clone())]),
            Condition::Proceed
        );
        // If-Match wins over If-Unmodified-Since, If-None-Match over If-Modified-Since.
        assert_eq!(
            eval(&[
                ("if-match", "\"abc\"".into()),
                ("if-unmodified-since", before.clone())
            ]),
            Condition::Proceed
        );
        assert_eq!(
            eval(&[("if-none-match", "\"x\"".into()), ("if-modified-since", at)]),
            Condition::Proceed
        );
    }
}
