//! Object metadata, GET/HEAD with conditions, `Range` and `response-*` overrides.

use hyper::header::{self, HeaderMap};
use hyper::{Response, StatusCode};
use std::time::SystemTime;

use super::State;
use super::error::CosError;
use super::handler::{Body, Ctx, empty};
use super::store::{ContentBody, Meta, NewObject};
use http_body_util::BodyExt;

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

/// The one value of a header, if present; a header sent twice is refused (a client and a
/// proxy could each read a different one).
pub(crate) fn single_header<'h>(
    headers: &'h HeaderMap,
    name: &str,
) -> Result<Option<&'h str>, CosError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!("The header {name} is given more than once."),
        ));
    }
    first.to_str().map(Some).map_err(|_| {
        CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!("The header {name} is not valid text."),
        )
    })
}

/// The one value of a query param, if present; a param given twice is refused.
pub(crate) fn single_param<'p>(
    params: &'p [(String, String)],
    name: &str,
) -> Result<Option<&'p str>, CosError> {
    let mut it = params.iter().filter(|(k, _)| k == name);
    let first = it.next().map(|(_, v)| v.as_str());
    if it.next().is_some() {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            format!("The parameter {name} is given more than once."),
        ));
    }
    Ok(first)
}

/// The metadata an upload stores, from its request headers.
pub(crate) fn new_object(headers: &HeaderMap) -> Result<NewObject, CosError> {
    let content_type = single_header(headers, "content-type")?
        .unwrap_or(DEFAULT_CONTENT_TYPE)
        .to_owned();
    let mut stored = Vec::new();
    for name in STORED_HEADERS {
        if let Some(v) = single_header(headers, name)? {
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
    for name in headers.keys() {
        let name = name.as_str();
        if name.starts_with("x-cos-meta-") {
            let v = single_header(headers, name)?.unwrap_or("");
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
    Ok(NewObject {
        content_type,
        headers: stored,
        etag: None,
    })
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
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
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
/// (names given by `prefix`: `""` for GET/HEAD, `"x-cos-copy-source-"` for copy), evaluated
/// as RFC 9110 §13.2.2 orders them. Dates that do not parse are ignored.
pub(crate) fn evaluate(
    headers: &HeaderMap,
    prefix: &str,
    meta: &Meta,
) -> Result<Condition, CosError> {
    let get = |n: &str| single_header(headers, &format!("{prefix}{n}"));
    let date = |v: Option<&str>| v.and_then(|d| httpdate::parse_http_date(d.trim()).ok());
    let modified = seconds(meta.modified);
    if let Some(m) = get("if-match")? {
        if !etag_matches(m, &meta.etag) {
            return Ok(Condition::Failed);
        }
    } else if let Some(d) = date(get("if-unmodified-since")?)
        && modified > seconds(d)
    {
        return Ok(Condition::Failed);
    }
    if let Some(m) = get("if-none-match")? {
        if etag_matches(m, &meta.etag) {
            return Ok(Condition::NotModified);
        }
    } else if let Some(d) = date(get("if-modified-since")?)
        && modified <= seconds(d)
    {
        return Ok(Condition::NotModified);
    }
    Ok(Condition::Proceed)
}

pub(crate) fn precondition_failed() -> CosError {
    CosError::new(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "At least one of the preconditions you specified did not hold.",
    )
}

/// The `response-*` query params GET may use to override response headers.
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
    headers: &HeaderMap,
    params: &[(String, String)],
    bucket: &str,
    key: &str,
) -> Result<Response<Body>, CosError> {
    let mut overrides = Vec::new();
    for (param, name) in OVERRIDES {
        if let Some(v) = single_param(params, param)? {
            overrides.push((name, v));
        }
    }
    let range_header = single_header(headers, "range")?;
    let found = state
        .store
        .get(bucket, key, ctx.head)
        .await
        .map_err(|e| CosError::internal(format!("cannot read the object: {e}")))?;
    let Some((meta, content)) = found else {
        return Err(CosError::no_such_key());
    };
    let last_modified = httpdate::fmt_http_date(meta.modified);
    let etag = format!("\"{}\"", meta.etag);
    match evaluate(headers, "", &meta)? {
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
    let range = match parse_range(range_header, meta.len) {
        Ok(r) => r,
        Err(()) => {
            let mut e = CosError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable.",
            );
            e.headers
                .push(("content-range", format!("bytes */{}", meta.len)));
            return Err(e);
        }
    };
    let (status, len) = match range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.last - r.first + 1),
        None => (StatusCode::OK, meta.len),
    };
    let mut builder = ctx
        .base(status)
        .header(header::CONTENT_TYPE, meta.content_type.as_str())
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
    for (name, value) in &meta.headers {
        if !overrides.iter().any(|(n, _)| n == name) {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    for (name, value) in &overrides {
        if let Some(h) = builder.headers_mut() {
            h.remove(*name);
        }
        builder = builder.header(*name, *value);
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
        assert_eq!(
            parse_range(Some("bytes=99999999999999999999999-"), 10),
            Ok(None)
        );
        assert_eq!(parse_range(None, 10), Ok(None));
    }

    #[test]
    fn conditions() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let meta = Meta {
            len: 1,
            etag: "abc".into(),
            content_type: String::new(),
            modified: t,
            headers: Vec::new(),
        };
        let eval = |pairs: &[(&str, String)]| {
            let mut h = HeaderMap::new();
            for (n, v) in pairs {
                h.append(
                    hyper::header::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            evaluate(&h, "", &meta).unwrap()
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
        let mut h = HeaderMap::new();
        h.append("if-match", "\"a\"".parse().unwrap());
        h.append("if-match", "\"b\"".parse().unwrap());
        assert!(evaluate(&h, "", &meta).is_err());
    }
}
