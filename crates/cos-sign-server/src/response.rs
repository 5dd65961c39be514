//! What every operation answers with: the body type, the request's [`Ctx`], refusals, and
//! the reading out of a refused request's body.

use super::aws_chunked::ReqBody;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

use super::State;
use super::error::CosError;
use super::limits::{DRAIN_LIMIT, DRAIN_TIME};

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

/// An answer of `status` with no body (`Content-Length: 0`).
pub(crate) fn empty_answer(ctx: &Ctx, status: StatusCode) -> Response<Body> {
    ctx.base(status)
        .header(header::CONTENT_LENGTH, 0)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty()))
}

/// The empty 204 answer of a DELETE (no `Content-Length`: a 204 has no body to measure).
pub(crate) fn no_content(ctx: &Ctx) -> Response<Body> {
    ctx.base(StatusCode::NO_CONTENT)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty()))
}

/// The answer of an operation whose request body was discarded first: `Connection: close`
/// when what was left of the body could not all be read (`close`, from [`discard`]).
pub(crate) fn closing_if(
    result: Result<Response<Body>, CosError>,
    close: bool,
) -> Result<Response<Body>, Refused> {
    match result {
        Ok(mut r) => {
            if close {
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(r)
        }
        Err(error) => Err(Refused { error, close }),
    }
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
pub(crate) async fn discard(state: &State, headers: &hyper::HeaderMap, body: ReqBody) -> bool {
    let expect = headers
        .get(header::EXPECT)
        .map(hyper::header::HeaderValue::as_bytes);
    discard_expecting(state, expect, body).await
}

/// [`discard`], given the request's `Expect` value (a verified request's refusal decided
/// before its body: the client that waits for `100 Continue` is answered at once).
pub(crate) async fn discard_expecting(state: &State, expect: Option<&[u8]>, body: ReqBody) -> bool {
    if expect.is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue")) {
        return !hyper::body::Body::is_end_stream(&body);
    }
    drain(state, body).await
}

/// Reads and discards up to [`DRAIN_LIMIT`] bytes of a body, so a client still sending gets
/// the answer instead of a reset. True when the body was not read to its end.
pub(crate) async fn drain(state: &State, mut body: ReqBody) -> bool {
    if hyper::body::Body::size_hint(&body)
        .exact()
        .is_some_and(|n| n > DRAIN_LIMIT)
    {
        return true;
    }
    let read = async {
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
    };
    tokio::time::timeout(DRAIN_TIME, read).await.unwrap_or(true)
}
