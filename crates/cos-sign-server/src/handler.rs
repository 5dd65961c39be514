//! One HTTP request: read once and verified ([`crate::request`]), then the object operation
//! ([`crate::routes`], or a browser form upload); a CORS preflight is answered by the rules
//! alone, and an actual cross-origin request gets its CORS headers ([`crate::cors_ops`]).
//! The top of the request path: no module
//! imports this one; what the operations share is in [`crate::response`].

use std::convert::Infallible;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::State;
use super::aws_chunked::ReqBody;
use super::cors_ops;
use super::error::CosError;
use super::request::{self, VerifiedRequest, Verifier};
use super::response::{Body, Ctx, Refused, discard};

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
    // An actual cross-origin request: the bucket whose rules decide its CORS headers.
    let cross_origin = if method == Method::OPTIONS {
        None
    } else {
        cors_ops::origin(req.headers()).and_then(|origin| {
            cors_ops::bucket(&state, req.uri(), req.headers()).map(|bucket| (bucket, origin))
        })
    };
    let mut anonymous = false;
    let mut sigv4 = false;
    let (mut resp, code, target) = match serve(&state, &ctx, req, &mut anonymous, &mut sigv4).await
    {
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
    if let Some((bucket, origin)) = &cross_origin {
        cors_ops::decorate(&state, bucket, origin, &method, &mut resp).await;
    }
    if sigv4 {
        amz_names(&mut resp);
    }
    let case = state.header_case.clone();
    resp.extensions_mut().extend(case);
    if state.log {
        eprintln!(
            "{} {} {} -> {} {} id={}{}",
            ctx.date.to_str().unwrap_or(""),
            log_escape(method.as_str()),
            log_escape(&target),
            resp.status().as_u16(),
            code.unwrap_or(""),
            ctx.request_id,
            if anonymous { " anonymous" } else { "" }
        );
    }
    Ok(resp)
}

/// A value taken from a request (the key, unverified when the signature failed; the bucket;
/// the method) as the log line writes it, as `str::escape_debug` does: printable text as it is
/// (a Chinese key stays readable), a backslash, a quote, a control character and any other
/// character Unicode does not print (line and paragraph separators, format characters such
/// as a right-to-left override) escaped (`\n`, `\u{1b}`, `\u{2028}`), so no request can end a
/// log line, forge the next one, reorder it on screen or send escape sequences to a terminal.
pub(crate) fn log_escape(value: &str) -> String {
    value.escape_debug().to_string()
}

/// The answer to a SigV4 request also carries each `x-cos-*` header under its `x-amz-*`
/// name (`x-amz-meta-*`, `x-amz-request-id`, `x-amz-storage-class`, ...), as the AWS SDKs
/// read them.
fn amz_names(resp: &mut Response<Body>) {
    let extra: Vec<(header::HeaderName, HeaderValue)> = resp
        .headers()
        .iter()
        .filter_map(|(n, v)| {
            let rest = n.as_str().strip_prefix("x-cos-")?;
            let name = header::HeaderName::from_bytes(format!("x-amz-{rest}").as_bytes()).ok()?;
            Some((name, v.clone()))
        })
        .collect();
    for (n, v) in extra {
        if !resp.headers().contains_key(&n) {
            resp.headers_mut().append(n, v);
        }
    }
}

type Served = Result<(Response<Body>, String), (Refused, String)>;

/// `anonymous` is set for a request served without a signature (see [`crate::anonymous`]).
async fn serve(
    state: &State,
    ctx: &Ctx,
    req: Request<Incoming>,
    anonymous: &mut bool,
    sigv4: &mut bool,
) -> Served {
    let (parts, body) = req.into_parts();
    // A browser's preflight carries no signature and reaches no operation.
    if parts.method == Method::OPTIONS {
        let (answer, target) = cors_ops::preflight(state, ctx, &parts, body.into()).await;
        return answer.map(|r| (r, target.clone())).map_err(|e| (e, target));
    }
    // A browser form upload carries its signature in the form, not in the request line.
    if super::post_object::is_form_upload(&parts.method, parts.uri.path(), &parts.headers) {
        return super::post_object::post(state, ctx, &parts, body.into()).await;
    }
    let checked = precheck(state, &parts);
    let vreq = match checked {
        Ok(v) => v,
        Err((e, target)) => {
            let close = discard(state, &parts.headers, body.into()).await;
            return Err((Refused { error: e, close }, target));
        }
    };
    let bucket = if vreq.service { "-" } else { &vreq.bucket };
    let target = format!("{bucket}/{}", vreq.key);
    *anonymous = vreq.anonymous;
    *sigv4 = vreq.is_sigv4();
    let body = ReqBody::checked(body, vreq.body_check());
    let result = if vreq.anonymous {
        super::anonymous::dispatch(state, ctx, &vreq, &parts.headers, body).await
    } else {
        super::routes::dispatch(state, ctx, &vreq, &parts.headers, body).await
    };
    match result {
        Ok(r) => Ok((r, target)),
        Err(e) => Err((e, target)),
    }
}

/// Method, host, bucket, key and signature checks, in COS's order; the verified request
/// when all pass, or an unsigned one as anonymous. The `String` of an error names the
/// target for the log.
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
        true,
    )
}

/// The request path shared by the server and the fuzz target: parse once, verify, route.
/// With `anonymous`, a request with no signature at all is not refused here but returned as
/// anonymous ([`VerifiedRequest::anonymous`]) for the ACLs to decide.
pub(crate) fn route(
    method: &Method,
    uri: &hyper::Uri,
    headers: &hyper::HeaderMap,
    verifier: &Verifier<'_>,
    default_bucket: Option<&str>,
    anonymous: bool,
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
    if parsed.service {
        // GET Service and the like: signed always (no ACL opens a bucket list to everyone),
        // verified as every request is; `routes` answers what such a request may ask.
        let target = format!("-/{}", parsed.key);
        request::check_key(&parsed.key).map_err(|e| (e, target.clone()))?;
        if parsed.is_unsigned() {
            return Err((CosError::access_denied("Access Denied."), target));
        }
        if super::sigv4::is_sigv4(&parsed) {
            return super::sigv4::verify(verifier, method, parsed, String::new())
                .map_err(|e| (e, target));
        }
        let query = uri.query().unwrap_or("");
        return request::verify(verifier, method, query, parsed, String::new())
            .map_err(|e| (e, target));
    }
    let bucket = request::bucket_of(&parsed).map_err(|e| {
        let target = parsed
            .bucket
            .as_ref()
            .map_or_else(dash, |b| format!("{b}/{}", parsed.key));
        (e, target)
    })?;
    let target = format!("{bucket}/{}", parsed.key);
    request::check_key(&parsed.key).map_err(|e| (e, target.clone()))?;
    if super::sigv4::is_sigv4(&parsed) {
        return super::sigv4::verify(verifier, method, parsed, bucket).map_err(|e| (e, target));
    }
    if anonymous && parsed.is_unsigned() {
        return Ok(request::anonymous(method, parsed, bucket));
    }
    let vreq = request::verify(verifier, method, uri.query().unwrap_or(""), parsed, bucket)
        .map_err(|e| (e, target.clone()))?;
    Ok(vreq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_values_stay_on_one_printable_line() {
        assert_eq!(log_escape("b-1/a b.txt"), "b-1/a b.txt");
        assert_eq!(
            log_escape("k\n2026 GET b/x -> 200\r\u{1b}[31m\0\\\u{85}谷\u{2028}\u{202e}\u{200b}é"),
            "k\\n2026 GET b/x -> 200\\r\\u{1b}[31m\\0\\\\\\u{85}谷\\u{2028}\\u{202e}\\u{200b}é"
        );
    }
}
