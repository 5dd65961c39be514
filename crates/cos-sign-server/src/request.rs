//! The one parsed-and-verified request every operation receives.
//!
//! A request is read **once**, here: the host (an absolute-form target's authority, or the
//! `Host` header; both must agree), the decoded path and key, the decoded query params and
//! the headers. The signature is checked over exactly these values, and the operations act
//! on exactly these values through [`VerifiedRequest`]; nothing else of the HTTP request
//! reaches them. Anything that could be read two ways is refused before verification:
//!
//! - a header name sent more than once (`Host` included) → 400 `InvalidArgument`;
//! - a query param whose decoded, lowercased name is sent more than once → 400
//!   `InvalidArgument`; a `q-*` field twice, or spelled other than exactly (`q%2Dak`,
//!   `Q-AK`) → 400 `InvalidArgument`;
//! - an absolute-form target with userinfo, or whose authority differs from `Host`
//!   (compared without regard to ASCII case) → 400 `InvalidArgument`;
//! - an `Authorization` header together with `q-*` params, or the security token both as a
//!   header and as a param → 400 `InvalidArgument`;
//! - a header value or a decoded path, name or value that is not UTF-8 → 400.

use std::collections::HashMap;

use cos_sign_core::{AuthorizationSource, RequestAuthError, VerifyError, fields, verify_request};
use hyper::header::{AUTHORIZATION, HOST, HeaderMap};
use hyper::{Method, StatusCode, Uri};
use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq;

use super::Credential;
use super::error::CosError;
use super::limits::MAX_KEY_LEN;

/// The security token of a temporary key (header or query param).
pub const SECURITY_TOKEN: &str = "x-cos-security-token";

/// A request whose signature verified, with the values it was verified over. Operations
/// take everything they act on from here.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    /// The method.
    pub method: Method,
    /// The bucket (lowercase): the host's first label, or the default bucket.
    pub bucket: String,
    /// The key: the decoded path without its leading `/` (empty for `/`).
    pub key: String,
    /// The host as verified (the `Host` header, or the absolute-form authority).
    pub host: String,
    /// The secret id that signed the request.
    pub secret_id: String,
    /// Whether the signature came from the `q-*` params of a pre-signed URL.
    pub presigned: bool,
    /// No signature at all (no `Authorization`, no `q-*` params): nothing was verified, the
    /// secret id is empty and nothing counts as signed. Only the reads (and, for a
    /// `public-read-write` bucket, the writes) the ACLs open to everyone may act on it.
    pub anonymous: bool,
    /// The request names no bucket (see [`ServiceHost`]): a service host
    /// (`service.cos.myqcloud.com`, `cos.<region>.myqcloud.com`), or a host that names none
    /// (an IP address) with no default bucket set. `bucket` is empty; only GET Service acts
    /// on it. Never anonymous.
    pub service: bool,
    /// Every header, names lowercase, each name once.
    headers: Vec<(String, String)>,
    /// Every query param but the `q-*` fields, decoded, each (lowercased) name once.
    params: Vec<(String, String)>,
    /// Lowercased names of the headers the signature covers.
    signed_headers: Vec<String>,
    /// Names (as sent) of the params the signature covers.
    signed_params: Vec<String>,
    /// Set for a request signed with AWS Signature Version 4 (see [`crate::sigv4`]).
    sigv4: Option<crate::aws_chunked::SigV4Info>,
}

impl VerifiedRequest {
    /// The value of a header (name in any case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded value of a query param (exact name), if sent; `Some("")` for `?acl`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every header, names lowercase.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Every query param but the `q-*` fields, decoded.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether the signature covers this header (name in any case).
    pub fn is_signed_header(&self, name: &str) -> bool {
        self.signed_headers
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Whether the signature covers this param (exact name).
    pub fn is_signed_param(&self, name: &str) -> bool {
        self.signed_params.iter().any(|n| n == name)
    }

    /// The `/`-prefixed decoded path.
    pub fn path(&self) -> String {
        format!("/{}", self.key)
    }

    /// Whether the request was signed with AWS Signature Version 4.
    pub fn is_sigv4(&self) -> bool {
        self.sigv4.is_some()
    }

    /// Whether the signature (a SigV4 payload hash or signed chunks) or a verified
    /// `x-amz-checksum-*` covers the body's bytes, so no `Content-MD5` is needed.
    pub(crate) fn body_covered(&self) -> bool {
        self.sigv4.as_ref().is_some_and(|s| s.body_covered)
    }

    /// How the body of a SigV4 request is checked as it streams.
    pub(crate) fn body_check(&self) -> Option<crate::aws_chunked::BodyCheck> {
        self.sigv4.as_ref().map(|s| s.body.clone())
    }

    /// A request verified by SigV4 (`crate::sigv4::verify`), with the values it was
    /// verified over as the operations see them.
    pub(crate) fn sigv4(method: &Method, bucket: String, parsed: Parsed, v: SigV4Parts) -> Self {
        Self {
            method: method.clone(),
            bucket,
            key: parsed.key,
            host: parsed.host,
            secret_id: v.secret_id,
            presigned: v.presigned,
            anonymous: false,
            service: parsed.service,
            headers: v.headers,
            params: v.params,
            signed_headers: v.signed_headers,
            signed_params: v.signed_params,
            sigv4: Some(v.info),
        }
    }
}

/// What SigV4 verification found: the headers as the operations see them (`x-amz-*` under
/// their `x-cos-*` names), the params without the signature's own, and how the body is
/// checked.
pub(crate) struct SigV4Parts {
    pub secret_id: String,
    pub presigned: bool,
    pub headers: Vec<(String, String)>,
    pub params: Vec<(String, String)>,
    pub signed_headers: Vec<String>,
    pub signed_params: Vec<String>,
    pub info: crate::aws_chunked::SigV4Info,
}

/// What verification needs besides the request.
pub(crate) struct Verifier<'a> {
    pub credentials: &'a HashMap<String, Credential>,
    /// The server's clock, unix seconds.
    pub now: u64,
}

/// The parts of a request read before verification (see the module docs).
pub(crate) struct Parsed {
    pub host: String,
    pub key: String,
    pub bucket: Option<String>,
    /// The host is a service host, or names no bucket while no default bucket is set.
    pub service: bool,
    pub headers: Vec<(String, String)>,
    pub params: Vec<(String, String)>,
    /// Whether the query carried `q-*` fields.
    pub presigned: bool,
}

/// A number read from a request (a `Range` bound, `partNumber`, `max-keys`, a marker, ...):
/// plain ASCII digits only, as S3 reads them, so no sign (Rust's `u64::from_str` takes a
/// leading `+`), no space and not empty (`None` then). A number too large for 64 bits
/// saturates at `u64::MAX`: it is still a number, only larger than anything stored.
pub(crate) fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

pub(crate) fn invalid(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// `+` is a space, then percent-decoding; the result must be UTF-8.
pub(crate) fn form_decode(raw: &str) -> Result<String, CosError> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| invalid("A query param is not valid percent-encoded UTF-8."))
}

/// Reads host, key, headers and params once (no verification yet).
pub(crate) fn parse(
    uri: &Uri,
    headers: &HeaderMap,
    default_bucket: Option<&str>,
) -> Result<Parsed, CosError> {
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(headers.keys_len());
    for name in headers.keys() {
        let mut all = headers.get_all(name).iter();
        let value = all.next();
        if all.next().is_some() {
            return Err(invalid(format!(
                "The header {} appears more than once.",
                name.as_str()
            )));
        }
        let Some(value) = value else { continue };
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| invalid(format!("The header {} is not UTF-8.", name.as_str())))?;
        pairs.push((name.as_str().to_owned(), value.to_owned()));
    }
    let host_header = headers
        .get(HOST)
        .and_then(|h| std::str::from_utf8(h.as_bytes()).ok());
    let host = match uri.authority() {
        Some(a) => {
            let a = a.as_str();
            if a.contains('@') {
                return Err(invalid("The request target must not carry userinfo."));
            }
            match uri.scheme_str() {
                Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
                _ => return Err(invalid("The request target's scheme is not http.")),
            }
            match host_header {
                Some(h) if !h.eq_ignore_ascii_case(a) => {
                    return Err(invalid(
                        "The Host header names another host than the request target.",
                    ));
                }
                Some(_) => {}
                None => pairs.push(("host".to_owned(), a.to_owned())),
            }
            a.to_owned()
        }
        None => host_header.unwrap_or("").to_owned(),
    };
    let raw_path = uri.path();
    if !raw_path.starts_with('/') {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidURI",
            "The path must start with /.",
        ));
    }
    let path = percent_decode_str(raw_path).decode_utf8().map_err(|_| {
        CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidURI",
            "The path is not valid percent-encoded UTF-8.",
        )
    })?;
    let key = path.get(1..).unwrap_or("").to_owned();
    let mut params: Vec<(String, String)> = Vec::new();
    let mut presigned = false;
    let mut seen_fields = [false; 7];
    for part in uri.query().unwrap_or("").split('&') {
        if part.is_empty() {
            continue;
        }
        let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let name = form_decode(raw_name)?;
        let value = form_decode(raw_value)?;
        let lower = name.to_ascii_lowercase();
        if let Some(i) = fields::ALL.iter().position(|f| *f == lower) {
            if raw_name != fields::ALL[i] {
                return Err(invalid(format!(
                    "The signature field {} must be spelled exactly.",
                    fields::ALL[i]
                )));
            }
            if std::mem::replace(&mut seen_fields[i], true) {
                return Err(invalid(format!(
                    "{} appears more than once.",
                    fields::ALL[i]
                )));
            }
            presigned = true;
            continue;
        }
        if params.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(invalid(format!("The param {name} appears more than once.")));
        }
        params.push((name, value));
    }
    let (bucket, service) = if service_host(&host).is_some() {
        (None, true)
    } else {
        let bucket = bucket_from_host(&host)
            .map(str::to_ascii_lowercase)
            .or_else(|| default_bucket.map(str::to_owned));
        let service = bucket.is_none();
        (bucket, service)
    };
    Ok(Parsed {
        host,
        key,
        bucket,
        service,
        headers: pairs,
        params,
        presigned,
    })
}

impl Parsed {
    /// The value of a header (lowercase name), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `Authorization` header, unless absent or blank.
    fn authorization(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == AUTHORIZATION.as_str())
            .map(|(_, a)| a.as_str())
            .filter(|a| !a.trim().is_empty())
    }

    /// Whether the request carries no signature: no `Authorization` (or a blank one) and no
    /// `q-*` params. [`verify`] refuses it with `AccessDenied`.
    pub fn is_unsigned(&self) -> bool {
        self.authorization().is_none() && !self.presigned
    }
}

/// An unsigned request (see [`Parsed::is_unsigned`]) as an anonymous one: the parsed values,
/// nothing verified, nothing signed.
pub(crate) fn anonymous(method: &Method, parsed: Parsed, bucket: String) -> VerifiedRequest {
    VerifiedRequest {
        method: method.clone(),
        bucket,
        key: parsed.key,
        host: parsed.host,
        secret_id: String::new(),
        presigned: false,
        anonymous: true,
        service: false,
        headers: parsed.headers,
        params: parsed.params,
        signed_headers: Vec::new(),
        signed_params: Vec::new(),
        sigv4: None,
    }
}

/// Checks the signature (and the token of a temporary key) over exactly the parsed values.
pub(crate) fn verify(
    v: &Verifier<'_>,
    method: &Method,
    raw_query: &str,
    parsed: Parsed,
    bucket: String,
) -> Result<VerifiedRequest, CosError> {
    let auth_header = parsed.authorization();
    let source = match (auth_header, parsed.presigned) {
        (Some(_), true) => {
            return Err(invalid(
                "The request carries both an Authorization header and q-* params.",
            ));
        }
        (Some(a), false) => AuthorizationSource::Header(a),
        (None, true) => AuthorizationSource::Query(raw_query),
        (None, false) => return Err(CosError::access_denied("Access Denied.")),
    };
    let token_header = parsed
        .headers
        .iter()
        .find(|(n, _)| n == SECURITY_TOKEN)
        .map(|(_, t)| t.as_str());
    let token_param = parsed
        .params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(SECURITY_TOKEN))
        .map(|(_, t)| t.as_str());
    let token = match (token_header, token_param) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "The security token is sent both as a header and as a param.",
            ));
        }
        (t, None) | (None, t) => t,
    };

    let headers: Vec<(&str, &str)> = parsed
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let params: Vec<(&str, &str)> = parsed
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = format!("/{}", parsed.key);
    let req = cos_sign_core::Request::new(method.as_str(), &path)
        .params(&params)
        .headers(&headers);
    // The token is checked once the key is known, before the signature (COS's order).
    let mut cred: Option<&Credential> = None;
    let mut token_error: Option<CosError> = None;
    let result = verify_request(source, &req, v.now, |id| {
        let c = std::str::from_utf8(id)
            .ok()
            .and_then(|id| v.credentials.get(id))?;
        if let Err(e) = check_token(c, token) {
            token_error = Some(e);
            return None;
        }
        cred = Some(c);
        Some(c.secret_key.expose().as_bytes())
    });
    if let Some(e) = token_error {
        return Err(e);
    }
    let auth = match result {
        Ok(a) => a,
        Err(e) => return Err(auth_error(e, source, &req)),
    };
    let cred = cred.ok_or_else(|| CosError::internal("no credential after verification"))?;
    let signed_headers = parsed
        .headers
        .iter()
        .filter(|(n, _)| auth.signs_header(n))
        .map(|(n, _)| n.clone())
        .collect();
    let signed_params = parsed
        .params
        .iter()
        .filter(|(n, _)| auth.signs_param(n))
        .map(|(n, _)| n.clone())
        .collect();
    Ok(VerifiedRequest {
        method: method.clone(),
        bucket,
        key: parsed.key,
        host: parsed.host,
        secret_id: cred.secret_id.clone(),
        presigned: parsed.presigned,
        anonymous: false,
        service: parsed.service,
        headers: parsed.headers,
        params: parsed.params,
        signed_headers,
        signed_params,
        sigv4: None,
    })
}

/// The security token against the key: required and equal (constant time) for a temporary
/// key, absent for a permanent one.
pub(crate) fn check_token(cred: &Credential, token: Option<&str>) -> Result<(), CosError> {
    match (&cred.token, token) {
        (Some(_), None) => Err(CosError::invalid_access_key_id(
            "The temporary Access Key Id needs its x-cos-security-token.",
        )),
        (Some(expected), Some(got)) => {
            if bool::from(got.as_bytes().ct_eq(expected.expose().as_bytes())) {
                Ok(())
            } else {
                Err(CosError::access_denied("The security token is invalid."))
            }
        }
        (None, Some(_)) => Err(CosError::access_denied(
            "A security token was sent with a permanent key.",
        )),
        (None, None) => Ok(()),
    }
}

fn auth_error<const N: usize>(
    e: RequestAuthError,
    source: AuthorizationSource<'_>,
    req: &cos_sign_core::Request<'_, N>,
) -> CosError {
    match e {
        RequestAuthError::Malformed(p) => invalid(format!("Authorization is malformed: {p}")),
        RequestAuthError::UnknownAccessKey => CosError::invalid_access_key_id(
            "The Access Key Id you provided does not exist in our records.",
        ),
        RequestAuthError::Rejected(VerifyError::AccessKeyMismatch) => {
            CosError::invalid_access_key_id(
                "The Access Key Id you provided does not exist in our records.",
            )
        }
        RequestAuthError::Rejected(VerifyError::Expired { .. }) => {
            CosError::access_denied("Request has expired")
        }
        RequestAuthError::Rejected(VerifyError::NotYetValid { .. }) => CosError::new(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
        ),
        _ => {
            let mut err = CosError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "The Signature you specified is invalid.",
            );
            let parsed = match source {
                AuthorizationSource::Header(h) => cos_sign_core::ParsedAuthorization::parse(h),
                AuthorizationSource::Query(q) => cos_sign_core::ParsedAuthorization::from_query(q),
            };
            if let Ok(auth) = parsed {
                err.string_to_sign = Some(auth.string_to_sign(req).to_string());
                err.format_string = Some(auth.http_string(req).to_string());
            }
            err
        }
    }
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

/// A host of GET Service: it names no bucket but the service itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceHost<'a> {
    /// `service.cos.myqcloud.com` (or `service.cos.tencentcos.cn`): every region.
    Global,
    /// `cos.<region>.myqcloud.com` (or `.tencentcos.cn`): one region.
    Regional(&'a str),
}

/// The service host `host` is, if it is one (its port and a trailing dot ignored, ASCII
/// case too: `Service.COS.myqcloud.com:8080` is the global host; the region itself must be
/// lowercase letters, digits and `-`).
pub fn service_host(host: &str) -> Option<ServiceHost<'_>> {
    let name = host_name(host);
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    let is = |l: &str, want: &str| l.eq_ignore_ascii_case(want);
    match labels.as_slice() {
        [first, cos, domain, tld]
            if (is(domain, "myqcloud") && is(tld, "com"))
                || (is(domain, "tencentcos") && is(tld, "cn")) =>
        {
            if is(first, "service") && is(cos, "cos") {
                Some(ServiceHost::Global)
            } else if is(first, "cos")
                && !cos.is_empty()
                && cos
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                Some(ServiceHost::Regional(cos))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The bucket a host names: its first label when it has more than two labels and is not an
/// IP address.
pub(crate) fn bucket_from_host(host: &str) -> Option<&str> {
    let name = host_name(host);
    if name.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let labels = name.trim_end_matches('.').split('.').count();
    if labels > 2 {
        name.split('.').next().filter(|l| !l.is_empty())
    } else {
        None
    }
}

/// The bucket a parsed request names: 404 `NoSuchBucket` when its host names none and no
/// default bucket is set, 400 `InvalidBucketName` when the name is not valid.
pub(crate) fn bucket_of(parsed: &Parsed) -> Result<String, CosError> {
    let Some(bucket) = parsed.bucket.clone() else {
        return Err(CosError::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist (the Host names none and no default bucket is set).",
        ));
    };
    if !valid_bucket(&bucket) {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        ));
    }
    Ok(bucket)
}

pub(crate) fn valid_bucket(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 128
        && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && !b.starts_with('-')
        && !b.ends_with('-')
}

/// Refuses keys longer than COS allows.
pub(crate) fn check_key(key: &str) -> Result<(), CosError> {
    if key.len() > MAX_KEY_LEN {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "KeyTooLong",
            format!("Your key is too long (at most {MAX_KEY_LEN} bytes)."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(target: &str, headers: &[(&str, &str)]) -> Result<Parsed, CosError> {
        let uri: Uri = target.parse().map_err(|_| invalid("uri"))?;
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.append(
                hyper::header::HeaderName::from_bytes(n.as_bytes()).map_err(|_| invalid("n"))?,
                hyper::header::HeaderValue::from_str(v).map_err(|_| invalid("v"))?,
            );
        }
        parse(&uri, &map, Some("dflt-1"))
    }

    #[test]
    fn absolute_form_must_agree_with_host() {
        let p = head(
            "http://a-1.cos.r.myqcloud.com/k",
            &[("host", "A-1.cos.r.myqcloud.com")],
        )
        .ok()
        .map(|p| (p.bucket, p.key));
        assert_eq!(p, Some((Some("a-1".to_owned()), "k".to_owned())));
        for (target, host) in [
            ("http://b-1.cos.r.myqcloud.com/k", "a-1.cos.r.myqcloud.com"),
            (
                "http://a-1.cos.r.myqcloud.com:80/k",
                "a-1.cos.r.myqcloud.com",
            ),
            ("http://a-1.cos.r.myqcloud.com./k", "a-1.cos.r.myqcloud.com"),
            (
                "http://u@a-1.cos.r.myqcloud.com/k",
                "a-1.cos.r.myqcloud.com",
            ),
        ] {
            let e = head(target, &[("host", host)]).err().map(|e| e.code);
            assert_eq!(e, Some("InvalidArgument"), "{target}");
        }
        let only_target = head("http://a-1.cos.r.myqcloud.com/k", &[])
            .ok()
            .map(|p| p.host);
        assert_eq!(only_target.as_deref(), Some("a-1.cos.r.myqcloud.com"));
    }

    #[test]
    fn duplicates_are_refused() {
        for hs in [
            &[("host", "a"), ("host", "b")][..],
            &[("content-md5", "x"), ("Content-MD5", "y")][..],
        ] {
            assert_eq!(
                head("/k", hs).err().map(|e| e.code),
                Some("InvalidArgument")
            );
        }
        for q in [
            "/k?a=1&a=2",
            "/k?a=1&A=2",
            "/k?a=1&%61=2",
            "/k?q-ak=1&q-ak=2",
            "/k?q%2Dak=1",
            "/k?Q-AK=1",
        ] {
            assert_eq!(
                head(q, &[]).err().map(|e| e.code),
                Some("InvalidArgument"),
                "{q}"
            );
        }
        let p = head("/a%2Fb%2e?x=1+2&y", &[])
            .ok()
            .map(|p| (p.key, p.params));
        assert_eq!(
            p,
            Some((
                "a/b.".to_owned(),
                vec![("x".into(), "1 2".into()), ("y".into(), String::new())]
            ))
        );
    }

    #[test]
    fn digits_are_plain_ascii_and_saturate() {
        assert_eq!(digits("0"), Some(0));
        assert_eq!(digits("007"), Some(7));
        assert_eq!(digits("18446744073709551615"), Some(u64::MAX));
        assert_eq!(digits("18446744073709551616"), Some(u64::MAX));
        assert_eq!(digits(&"9".repeat(100)), Some(u64::MAX));
        for bad in ["", "+1", "-1", " 1", "1 ", "1_0", "0x1", "\u{661}", "1.0"] {
            assert_eq!(digits(bad), None, "{bad:?}");
        }
    }

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
        assert_eq!(
            service_host("service.cos.myqcloud.com"),
            Some(ServiceHost::Global)
        );
        assert_eq!(
            service_host("Service.COS.tencentcos.cn.:80"),
            Some(ServiceHost::Global)
        );
        assert_eq!(
            service_host("cos.ap-beijing.myqcloud.com"),
            Some(ServiceHost::Regional("ap-beijing"))
        );
        for not in [
            "b-1.cos.ap-beijing.myqcloud.com",
            "cos.AP-X.myqcloud.com",
            "cos..myqcloud.com",
            "service.cos.example.com",
            "cos.myqcloud.com",
            "127.0.0.1:80",
            "",
        ] {
            assert_eq!(service_host(not), None, "{not}");
        }
        let p = head("/", &[("host", "cos.ap-beijing.myqcloud.com")])
            .ok()
            .map(|p| (p.bucket, p.service));
        assert_eq!(p, Some((None, true)));
        let p = parse(&"/".parse().unwrap(), &HeaderMap::new(), None)
            .ok()
            .map(|p| (p.bucket, p.service));
        assert_eq!(p, Some((None, true)));
        assert!(!valid_bucket("a_b"));
        assert!(!valid_bucket("-a"));
    }
}
