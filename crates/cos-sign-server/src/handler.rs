//! One HTTP request: read once and verified ([`crate::request`]), then the object operation.

use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::State;
use super::error::CosError;
use super::limits::DRAIN_LIMIT;
use super::request::{self, VerifiedRequest, Verifier};
use super::store::WriteError;

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

pub(crate) fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

pub(crate) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
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

    pub(crate) fn error(&self, e: &CosError) -> Response<Body> {
        let xml = e.to_xml(&self.resource, &self.request_id, &self.trace_id);
        let len = xml.len();
        let body = if self.head { empty() } else { full(xml) };
        self.base(e.status)
            .header(header::CONTENT_TYPE, "application/xml")
            .header(header::CONTENT_LENGTH, len)
            .body(body)
            .unwrap_or_else(|_| Response::new(empty()))
    }
}

/// A refusal, and whether the connection must close (the body was not read to its end).
pub(crate) struct Refused {
    pub(crate) error: CosError,
    pub(crate) close: bool,
}

impl From<CosError> for Refused {
    fn from(error: CosError) -> Self {
        Self {
            error,
            close: false,
        }
    }
}

pub(crate) async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let id = state.next_id();
    let date = httpdate::fmt_http_date(state.now());
    let host_for_log = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let ctx = Ctx {
        request_id: format!("{:016x}{:08x}", state.seed, id),
        trace_id: format!("{:08x}{:016x}", id, state.seed.rotate_left(17)),
        resource: format!("{host_for_log}{}", req.uri().path()),
        date: HeaderValue::from_str(&date).unwrap_or(HeaderValue::from_static("")),
        head: req.method() == Method::HEAD,
    };
    let method = req.method().clone();
    let (mut resp, code, target) = match serve(&state, &ctx, req).await {
        Ok((resp, target)) => (resp, None, target),
        Err((refused, target)) => {
            let mut r = ctx.error(&refused.error);
            if refused.close {
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            (r, Some(refused.error.code), target)
        }
    };
    let case = state.header_case.clone();
    resp.extensions_mut().extend(case);
    if state.log {
        eprintln!(
            "{} {} {} -> {} {} id={}",
            ctx.date.to_str().unwrap_or(""),
            method,
            target,
            resp.status().as_u16(),
            code.unwrap_or(""),
            ctx.request_id
        );
    }
    Ok(resp)
}

type Served = Result<(Response<Body>, String), (Refused, String)>;

async fn serve(state: &State, ctx: &Ctx, req: Request<Incoming>) -> Served {
    let (parts, body) = req.into_parts();
    // A browser form upload carries its signature in the form, not in the request line.
    if super::post_object::is_form_upload(&parts.method, parts.uri.path(), &parts.headers) {
        return super::post_object::post(state, ctx, &parts, body).await;
    }
    let checked = precheck(state, &parts);
    let vreq = match checked {
        Ok(v) => v,
        Err((e, target)) => {
            let close = discard(state, &parts.headers, body).await;
            return Err((Refused { error: e, close }, target));
        }
    };
    let target = format!("{}/{}", vreq.bucket, vreq.key);
    let result = super::routes::dispatch(state, ctx, &vreq, &parts.headers, body).await;
    match result {
        Ok(r) => Ok((r, target)),
        Err(e) => Err((e, target)),
    }
}

/// Method, host, bucket, key and signature checks, in COS's order; the verified request
/// when all pass. The `String` of an error names the target for the log.
fn precheck(
    state: &State,
    parts: &hyper::http::request::Parts,
) -> Result<VerifiedRequest, (CosError, String)> {
    let verifier = Verifier {
        credentials: &state.credentials,
        now: super::unix_secs(state.now()),
    };
    route(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &verifier,
        state.default_bucket.as_deref(),
    )
}

/// The request path shared by the server and the fuzz target: parse once, verify, route.
pub(crate) fn route(
    method: &Method,
    uri: &hyper::Uri,
    headers: &hyper::HeaderMap,
    verifier: &Verifier<'_>,
    default_bucket: Option<&str>,
) -> Result<VerifiedRequest, (CosError, String)> {
    let dash = || "-".to_owned();
    if !matches!(
        *method,
        Method::PUT | Method::GET | Method::HEAD | Method::DELETE | Method::POST
    ) {
        return Err((
            CosError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            ),
            dash(),
        ));
    }
    let parsed = request::parse(uri, headers, default_bucket).map_err(|e| (e, dash()))?;
    let Some(bucket) = parsed.bucket.clone() else {
        return Err((
            CosError::new(
                StatusCode::NOT_FOUND,
                "NoSuchBucket",
                "The specified bucket does not exist (the Host names none and no default bucket is set).",
            ),
            dash(),
        ));
    };
    let target = format!("{bucket}/{}", parsed.key);
    if !request::valid_bucket(&bucket) {
        return Err((
            CosError::new(
                StatusCode::BAD_REQUEST,
                "InvalidBucketName",
                "The specified bucket is not valid.",
            ),
            target,
        ));
    }
    request::check_key(&parsed.key).map_err(|e| (e, target.clone()))?;
    let vreq = request::verify(verifier, method, uri.query().unwrap_or(""), parsed, bucket)
        .map_err(|e| (e, target.clone()))?;
    Ok(vreq)
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
    vreq: &VerifiedRequest,
    mut body: Incoming,
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
                    let close = drain(state, body).await;
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
    let room = state.store.room();
    let max = room.map_or(limits.max_object_size, |r| r.min(limits.max_object_size));
    let declared = hyper::body::Body::size_hint(&body).exact();
    if let Some(n) = declared
        && n > max
    {
        return Err(refuse(entity_too_large(max)));
    }
    let headers = match super::object_ops::stored_headers(vreq) {
        Ok(h) => h,
        Err(error) => {
            let close = drain(state, body).await;
            return Err(Refused { error, close });
        }
    };
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
        let frame = frame.map_err(|e| {
            refuse(CosError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                format!("The request body ended early: {e}"),
            ))
        })?;
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
    let etag = upload
        .commit(&state.store)
        .await
        .map_err(|e| CosError::internal(format!("cannot store the object: {e}")))?;
    Ok(etag_response(ctx, &etag))
}

/// The empty 200 answer of a stored object or part: its quoted `ETag`.
pub(crate) fn etag_response(ctx: &Ctx, etag: &str) -> Response<Body> {
    ctx.base(StatusCode::OK)
        .header(header::ETAG, format!("\"{etag}\""))
        .header(header::CONTENT_LENGTH, 0)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty()))
}

/// Reads what is left of a refused request's body, unless the client waits for
/// `100 Continue` (it has sent nothing). True when the connection must close: the body goes
/// on past [`DRAIN_LIMIT`], stalls, or was never read.
pub(crate) async fn discard(state: &State, headers: &hyper::HeaderMap, body: Incoming) -> bool {
    let waits = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if waits {
        return !hyper::body::Body::is_end_stream(&body);
    }
    drain(state, body).await
}

/// Reads and discards up to [`DRAIN_LIMIT`] bytes of a body, so a client still sending gets
/// the answer instead of a reset. True when the body was not read to its end.
pub(crate) async fn drain(state: &State, mut body: Incoming) -> bool {
    if hyper::body::Body::size_hint(&body)
        .exact()
        .is_some_and(|n| n > DRAIN_LIMIT)
    {
        return true;
    }
    let mut seen = 0u64;
    loop {
        if hyper::body::Body::is_end_stream(&body) {
            return false;
        }
        match tokio::time::timeout(state.limits.body_idle_timeout, body.frame()).await {
            Ok(Some(Ok(f))) => {
                seen = seen.saturating_add(f.data_ref().map_or(0, |d| d.len() as u64));
                if seen > DRAIN_LIMIT {
                    return true;
                }
            }
            Ok(None) => return false,
            Ok(Some(Err(_))) | Err(_) => return true,
        }
    }
}
