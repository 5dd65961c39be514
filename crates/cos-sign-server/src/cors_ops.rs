//! CORS on the wire: PUT, GET and DELETE Bucket cors (`/?cors`, signed and verified like
//! every other request), OPTIONS Object (the browser's preflight, unsigned), and the
//! `Access-Control-*` headers of actual cross-origin requests.
//!
//! The rules that apply to a bucket are its own (PUT Bucket cors), else the server's
//! `--cors-allow-origin` rule, else none.
//!
//! - **Preflight** (`OPTIONS` on any path of a bucket, as COS documents it): never verified,
//!   never routed to an operation, its body (if any) discarded within the server's drain
//!   limits. Without `Origin` or `Access-Control-Request-Method` it is 400 `BadRequest`; a
//!   match is 200 with `Access-Control-Allow-Origin` (`*` for a rule allowing every origin,
//!   else the request's origin), `-Allow-Methods` (the rule's), `-Allow-Headers` (the
//!   names asked for), `-Expose-Headers`, `-Max-Age` and `Vary: Origin`; no rule or no match
//!   is 403 `AccessForbidden`. Whether the object exists does not matter: COS answers a
//!   preflight by the rules alone.
//! - **Actual requests** with an `Origin` that a rule allows for their method get
//!   `Access-Control-Allow-Origin`, `Access-Control-Expose-Headers` and `Vary: Origin` on
//!   every answer, errors included (a page can read COS's error). An `ExposeHeader` with a
//!   `*` (`x-cos-meta-*`) names the answer's headers it matches; a 304 has no
//!   `-Expose-Headers` (the browser keeps those of the answer it cached). No `Origin`, no
//!   headers.

use std::sync::Arc;

use super::aws_chunked::ReqBody;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode, Uri};

use super::State;
use super::body::read_checked_body;
use super::bucket::xml_response;
use super::cors::{CorsConfig, MAX_BODY, Rule, requested_headers};
use super::error::CosError;
use super::request::{self, VerifiedRequest};
use super::response::{Body, Ctx, Refused, closing_if, discard, empty, empty_answer, no_content};

const REQUEST_METHOD: &str = "access-control-request-method";
const REQUEST_HEADERS: &str = "access-control-request-headers";

fn forbidden() -> CosError {
    CosError::new(
        StatusCode::FORBIDDEN,
        "AccessForbidden",
        "CORSResponse: This CORS request is not allowed: no CORS rule of the bucket allows its Origin, Access-Control-Request-Method and Access-Control-Request-Headers.",
    )
}

fn bad_request(message: &str) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The `Origin` of a request that sent exactly one, as UTF-8.
pub(crate) fn origin(headers: &HeaderMap) -> Option<String> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    let first = all.next()?;
    if all.next().is_some() {
        return None;
    }
    first.to_str().ok().map(str::to_owned)
}

/// The bucket a request names, as the request path reads it (`None` when it would be
/// refused before any operation: a bad host, a header twice, no bucket).
pub(crate) fn bucket(state: &State, uri: &Uri, headers: &HeaderMap) -> Option<String> {
    let parsed = request::parse(uri, headers, state.default_bucket.as_deref()).ok()?;
    request::bucket_of(&parsed).ok()
}

/// The name of a bucket's CORS rules among its settings (`bucket_config`): the GET Bucket
/// cors document, read back through the checks of a PUT body.
const SETTING: &str = "cors";

/// The bucket's own rules, if it has any.
async fn own_rules(state: &State, bucket: &str) -> Result<Option<CorsConfig>, CosError> {
    let Some(text) = state
        .buckets
        .get(bucket, SETTING)
        .await
        .map_err(CosError::storage)?
    else {
        return Ok(None);
    };
    CorsConfig::from_xml(text.as_bytes())
        .map(Some)
        .map_err(|_| {
            CosError::storage(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the stored CORS rules are damaged",
            ))
        })
}

/// The rules that apply to `bucket`: its own, else the server's default rule.
async fn rules(state: &State, bucket: &str) -> Result<Option<Arc<CorsConfig>>, CosError> {
    let own = own_rules(state, bucket).await?.map(Arc::new);
    Ok(own.or_else(|| state.default_cors.clone()))
}

fn value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

fn allow_origin(rule: &Rule, origin: &str) -> Option<HeaderValue> {
    if rule.any_origin() {
        Some(HeaderValue::from_static("*"))
    } else {
        value(origin)
    }
}

/// OPTIONS Object: the answer to a preflight, and the request's `bucket/key` for the log.
pub(crate) async fn preflight(
    state: &State,
    ctx: &Ctx,
    parts: &hyper::http::request::Parts,
    body: ReqBody,
) -> (Result<Response<Body>, Refused>, String) {
    let close = discard(state, &parts.headers, body).await;
    let (answer, target) =
        match request::parse(&parts.uri, &parts.headers, state.default_bucket.as_deref()) {
            Err(e) => (Err(e), "-".to_owned()),
            Ok(parsed) => {
                let target = format!("{}/{}", parsed.bucket.as_deref().unwrap_or("-"), parsed.key);
                let answer = match request::bucket_of(&parsed) {
                    Err(e) => Err(e),
                    Ok(bucket) => preflight_answer(state, ctx, &parts.headers, &bucket).await,
                };
                (answer, target)
            }
        };
    (closing_if(answer, close), target)
}

async fn preflight_answer(
    state: &State,
    ctx: &Ctx,
    headers: &HeaderMap,
    bucket: &str,
) -> Result<Response<Body>, CosError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = text(header::ORIGIN.as_str())
        .ok_or_else(|| bad_request("Insufficient information. Origin request header needed."))?;
    let method = text(REQUEST_METHOD)
        .ok_or_else(|| bad_request("Invalid Access-Control-Request-Method: null"))?;
    let asked = requested_headers(text(REQUEST_HEADERS).unwrap_or("")).ok_or_else(forbidden)?;
    let config = rules(state, bucket).await?.ok_or_else(forbidden)?;
    let rule = config
        .preflight(origin, method, &asked)
        .ok_or_else(forbidden)?;
    let mut b = ctx
        .base(StatusCode::OK)
        .header(header::CONTENT_LENGTH, 0)
        .header(header::VARY, "Origin")
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, rule.methods.join(","));
    if let Some(o) = allow_origin(rule, origin) {
        b = b.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
    }
    if let Some(v) = value(&asked.join(",")).filter(|_| !asked.is_empty()) {
        b = b.header(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    if let Some(v) = value(&rule.expose.join(",")).filter(|_| !rule.expose.is_empty()) {
        b = b.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
    }
    if let Some(age) = rule.max_age {
        b = b.header(header::ACCESS_CONTROL_MAX_AGE, age);
    }
    Ok(b.body(empty()).unwrap_or_else(|_| Response::new(empty())))
}

/// Adds the CORS headers to the answer of an actual request from `origin` to `bucket`,
/// when a rule allows that origin and method.
pub(crate) async fn decorate(
    state: &State,
    bucket: &str,
    origin: &str,
    method: &Method,
    resp: &mut Response<Body>,
) {
    let Ok(Some(config)) = rules(state, bucket).await else {
        return;
    };
    let Some(rule) = config.actual(origin, method.as_str()) else {
        return;
    };
    let Some(allow) = allow_origin(rule, origin) else {
        return;
    };
    // A 304 carries few of the object's headers, and a browser merges its headers into
    // the answer it cached: a list made from the 304 would hide the cached answer's
    // `x-cos-meta-*`, so a 304 keeps the cached list.
    let expose = if resp.status() == StatusCode::NOT_MODIFIED {
        Vec::new()
    } else {
        exposed(rule, resp.headers())
    };
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(v) = value(&expose.join(",")).filter(|_| !expose.is_empty()) {
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
    }
}

/// The names a rule exposes in an answer: each `ExposeHeader` as it is, except that one
/// with a `*` (other than `*` alone) stands for the answer's headers it matches.
fn exposed(rule: &Rule, headers: &HeaderMap) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !out.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            out.push(name.to_owned());
        }
    };
    for e in &rule.expose {
        if e.contains('*') && e != "*" {
            headers
                .keys()
                .map(HeaderName::as_str)
                .filter(|n| super::cors::wildcard_match(e, n))
                .for_each(&mut push);
        } else {
            push(e);
        }
    }
    out
}

/// PUT Bucket cors: the body's rules replace the bucket's. `Content-MD5` is checked when
/// sent (the browser SDK sends it).
pub(crate) async fn put(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let body = read_checked_body(state, vreq, body, MAX_BODY, false).await?;
    let config = CorsConfig::from_xml(&body)?;
    let text = String::from_utf8_lossy(&config.to_xml()).into_owned();
    state
        .buckets
        .put(&vreq.bucket, SETTING, &text)
        .await
        .map_err(CosError::storage)?;
    Ok(empty_answer(ctx, StatusCode::OK))
}

/// GET Bucket cors (HEAD too, without a body): 404 `NoSuchCORSConfiguration` for a bucket
/// without rules of its own (the `--cors-allow-origin` rule is not the bucket's).
pub(crate) async fn get(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let config = own_rules(state, &vreq.bucket).await?.ok_or_else(|| {
        CosError::new(
            StatusCode::NOT_FOUND,
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist.",
        )
    })?;
    Ok(xml_response(ctx, StatusCode::OK, config.to_xml()))
}

/// DELETE Bucket cors: 204, the bucket without rules of its own.
pub(crate) async fn delete(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    state
        .buckets
        .delete(&vreq.bucket, SETTING)
        .await
        .map_err(CosError::storage)?;
    Ok(no_content(ctx))
}
