//! One HTTP request: bucket and key, verification, then the object operation.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;

use super::State;
use super::auth::{View, authenticate};
use super::error::CosError;

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// How much of a refused upload is read and discarded before answering.
pub(crate) const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

pub(crate) fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

pub(crate) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// The host part of a `Host` value (no port, no brackets).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// The bucket a host names: its first label when it has more than two labels and is not an
/// IP address.
pub(crate) fn bucket_from_host(host: &str) -> Option<&str> {
    let name = host_name(host);
    if name.parse::<IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let labels = name.trim_end_matches('.').split('.').count();
    if labels > 2 {
        name.split('.').next().filter(|l| !l.is_empty())
    } else {
        None
    }
}

fn valid_bucket(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 128
        && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && !b.starts_with('-')
        && !b.ends_with('-')
}

/// What one request is about, for its answer and the log line.
pub(crate) struct Ctx {
    pub(crate) request_id: String,
    pub(crate) trace_id: String,
    pub(crate) resource: String,
    pub(crate) date: HeaderValue,
    pub(crate) head: bool,
}

impl Ctx {
    pub(crate) fn base(&self, status: StatusCode) -> hyper::http::response::Builder {
        Response::builder()
            .status(status)
            .header(header::DATE, self.date.clone())
            .header(header::SERVER, "cos-sign-server")
            .header("x-cos-request-id", self.request_id.as_str())
            .header("x-cos-trace-id", self.trace_id.as_str())
    }

    fn error(&self, e: &CosError) -> Response<Body> {
        let xml = e.to_xml(&self.resource, &self.request_id, &self.trace_id);
        let len = xml.len();
        let body = if self.head { empty() } else { full(xml) };
        let mut b = self
            .base(e.status)
            .header(header::CONTENT_TYPE, "application/xml")
            .header(header::CONTENT_LENGTH, len);
        for (name, value) in &e.headers {
            b = b.header(*name, value.as_str());
        }
        b.body(body).unwrap_or_else(|_| Response::new(empty()))
    }
}

pub(crate) async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let id = state.next_id();
    let date = httpdate::fmt_http_date(state.now());
    let authority = req.uri().authority().map(|a| a.as_str().to_owned());
    // An absolute-form target's authority wins over `Host` (RFC 9112 §3.2.2); proxied
    // clients send both alike. The signature check still uses `Host` as received.
    let host = authority
        .clone()
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let raw_path = req.uri().path().to_owned();
    let ctx = Ctx {
        request_id: format!("{:016x}{:08x}", state.seed, id),
        trace_id: format!("{:08x}{:016x}", id, state.seed.rotate_left(17)),
        resource: format!("{host}{raw_path}"),
        date: HeaderValue::from_str(&date).unwrap_or(HeaderValue::from_static("")),
        head: req.method() == Method::HEAD,
    };
    let method = req.method().clone();
    let bucket = bucket_from_host(&host)
        .map(str::to_ascii_lowercase)
        .or_else(|| state.default_bucket.clone());
    let (mut resp, code, key) = match serve(&state, &ctx, req, bucket.as_deref(), authority).await {
        Ok((resp, key)) => (resp, None, key),
        Err((e, key)) => (ctx.error(&e), Some(e.code), key),
    };
    *resp.extensions_mut() = state.header_case.clone();
    if state.log {
        eprintln!(
            "{} {} {}/{} -> {} {} id={}",
            ctx.date.to_str().unwrap_or(""),
            method,
            bucket.as_deref().unwrap_or("-"),
            key,
            resp.status().as_u16(),
            code.unwrap_or(""),
            ctx.request_id
        );
    }
    Ok(resp)
}

type Served = Result<(Response<Body>, String), (CosError, String)>;

async fn serve(
    state: &State,
    ctx: &Ctx,
    req: Request<Incoming>,
    bucket: Option<&str>,
    authority: Option<String>,
) -> Served {
    let path = percent_decode_str(req.uri().path())
        .decode_utf8()
        .map(|p| p.into_owned());
    let key = match &path {
        Ok(p) => p.strip_prefix('/').unwrap_or(p).to_owned(),
        Err(_) => String::new(),
    };
    let checked = match &path {
        Ok(p) => precheck(state, &req, p, bucket, authority.as_deref()),
        Err(_) => Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidURI",
            "The path is not valid percent-encoded UTF-8.",
        )),
    };
    let bucket = match checked {
        Ok(b) => b,
        Err(e) => {
            // A client waiting for `100 Continue` has sent no body: answer at once.
            let waits = req
                .headers()
                .get(header::EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
            if !waits {
                drain(req.into_body(), DRAIN_LIMIT).await;
            }
            return Err((e, key));
        }
    };
    let result = super::routes::dispatch(state, ctx, req, bucket, &key).await;
    match result {
        Ok(r) => Ok((r, key)),
        Err(e) => Err((e, key)),
    }
}

/// Method, bucket and signature checks, in COS's order; the bucket when all pass.
fn precheck<'b>(
    state: &State,
    req: &Request<Incoming>,
    path: &str,
    bucket: Option<&'b str>,
    authority: Option<&str>,
) -> Result<&'b str, CosError> {
    if !matches!(
        *req.method(),
        Method::PUT | Method::GET | Method::HEAD | Method::DELETE | Method::POST
    ) {
        return Err(CosError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ));
    }
    let Some(bucket) = bucket else {
        return Err(CosError::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist (the Host names none and no default bucket is set).",
        ));
    };
    if !valid_bucket(bucket) {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        ));
    }
    let view = View {
        method: req.method().as_str(),
        path,
        raw_query: req.uri().query().unwrap_or(""),
        headers: req.headers(),
        authority,
    };
    authenticate(state, &view)?;
    Ok(bucket)
}

/// DELETE Object; deleting a missing object succeeds.
pub(crate) async fn delete(
    state: &State,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> Result<Response<Body>, CosError> {
    match state.store.delete(bucket, key).await {
        Ok(()) => Ok(ctx
            .base(StatusCode::NO_CONTENT)
            .body(empty())
            .unwrap_or_else(|_| Response::new(empty()))),
        Err(e) => Err(CosError::internal(format!("delete failed: {e}"))),
    }
}

/// PUT Object.
pub(crate) async fn put(
    state: &State,
    ctx: &Ctx,
    req: Request<Incoming>,
    bucket: &str,
    key: &str,
) -> Result<Response<Body>, CosError> {
    let expected_md5 = match req.headers().get("content-md5") {
        None => None,
        Some(v) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes())
                .ok()
                .and_then(|d| <[u8; 16]>::try_from(d).ok());
            match decoded {
                Some(d) => Some(d),
                None => {
                    drain(req.into_body(), DRAIN_LIMIT).await;
                    return Err(CosError::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidDigest",
                        "The Content-MD5 you specified is not valid.",
                    ));
                }
            }
        }
    };
    let new = match super::object_ops::new_object(req.headers()) {
        Ok(n) => n,
        Err(e) => {
            drain(req.into_body(), DRAIN_LIMIT).await;
            return Err(e);
        }
    };
    let mut upload = state
        .store
        .begin(bucket, key, new)
        .await
        .map_err(|e| CosError::internal(format!("cannot store the object: {e}")))?;
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            CosError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                format!("The request body ended early: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            upload
                .write(&data)
                .await
                .map_err(|e| CosError::internal(format!("cannot store the object: {e}")))?;
        }
    }
    if let Some(expected) = expected_md5
        && upload.digest() != expected
    {
        return Err(CosError::bad_digest());
    }
    let etag = upload
        .commit(&state.store)
        .await
        .map_err(|e| CosError::internal(format!("cannot store the object: {e}")))?;
    Ok(ctx
        .base(StatusCode::OK)
        .header(header::ETAG, format!("\"{etag}\""))
        .header(header::CONTENT_LENGTH, 0)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty())))
}

/// Reads and discards what is left of a request body (up to `limit` bytes), so a client still
/// sending gets the error answer instead of a reset connection.
pub(crate) async fn drain(mut body: Incoming, limit: u64) {
    let mut seen = 0u64;
    while seen <= limit {
        match body.frame().await {
            Some(Ok(f)) => seen += f.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_from_host_rules() {
        assert_eq!(
            bucket_from_host("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"),
            Some("examplebucket-1250000000")
        );
        assert_eq!(
            bucket_from_host("b-1.cos.ap-beijing.myqcloud.com:8080"),
            Some("b-1")
        );
        assert_eq!(bucket_from_host("127.0.0.1:8080"), None);
        assert_eq!(bucket_from_host("127.0.0.1"), None);
        assert_eq!(bucket_from_host("[::1]:80"), None);
        assert_eq!(bucket_from_host("localhost:9000"), None);
        assert_eq!(bucket_from_host("example.com"), None);
        assert_eq!(bucket_from_host(""), None);
        assert!(valid_bucket("examplebucket-1250000000"));
        assert!(!valid_bucket("a_b"));
        assert!(!valid_bucket("-a"));
    }
}
