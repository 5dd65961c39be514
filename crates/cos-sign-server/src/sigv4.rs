//! AWS Signature Version 4, as COS accepts it from the AWS S3 SDKs ("Accessing COS with AWS
//! S3 SDK": the COS SecretId and SecretKey as access key and secret key, the COS region as
//! the signing region, service `s3`).
//!
//! A request is SigV4 when its `Authorization` starts with `AWS4-` or its query carries an
//! `X-Amz-*` signature field; it is then verified here, never by the COS path. What must
//! hold (else the S3 error named):
//!
//! - header auth: `AWS4-HMAC-SHA256 Credential=AK/yyyymmdd/region/s3/aws4_request,
//!   SignedHeaders=a;b, Signature=<64 hex>`, each field once (`AuthorizationHeaderMalformed`);
//!   `x-amz-date` (or, without it, a signed `Date`) within 15 minutes of the server's clock
//!   (`RequestTimeTooSkewed`); `x-amz-content-sha256` sent (`InvalidRequest`);
//! - query auth (pre-signed URL): `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//!   `X-Amz-Expires` (1 to 604800), `X-Amz-SignedHeaders`, `X-Amz-Signature`
//!   (`AuthorizationQueryParametersError`); not yet valid or expired → `AccessDenied`;
//! - the scope: its date is the request date's, its region the one the Host names (the
//!   server's `--region` for a host that names none), service `s3`, `aws4_request`;
//! - `host` signed; every `x-amz-*` header sent signed, and every header the server acts on
//!   ([`ACTED_ON`], `x-cos-*`) signed (`AccessDenied`, "There were headers present in the
//!   request which were not signed");
//! - the signature recomputed over the method, the decoded key re-encoded, the decoded
//!   params re-encoded and sorted (the query is signed whole), the signed headers' values as
//!   received, and the payload hash; compared in constant time (`SignatureDoesNotMatch`,
//!   with the `CanonicalRequest` and `StringToSign` the server computed);
//! - a temporary key's token in `x-amz-security-token` (or `X-Amz-Security-Token`).
//!
//! The body is checked as it streams ([`crate::aws_chunked`]): a hex payload hash, the
//! chunk signatures of `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`, aws-chunked framing
//! of `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, and `x-amz-checksum-*` values. The `x-amz-*`
//! headers the operations read are handed to them under their COS names (`x-amz-meta-a` as
//! `x-cos-meta-a`, `x-amz-copy-source` as `x-cos-copy-source`, ...; see [`cos_headers`]).

use hyper::{Method, StatusCode};
use subtle::ConstantTimeEq;

use super::Credential;
use super::aws_chunked::{BodyCheck, ChecksumAlgo, Payload, SigV4Info};
use super::error::CosError;
use super::request::{Parsed, SigV4Parts, VerifiedRequest, Verifier, digits};
use super::sigv4_key::{sha256_hex, sign_hex, signing_key};

/// The algorithm name of header and query auth.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The most a request's date may differ from the server's clock (S3's 15 minutes).
pub const MAX_SKEW_SECS: u64 = 15 * 60;
/// The longest `X-Amz-Expires` (7 days).
pub const MAX_EXPIRES_SECS: u64 = 7 * 24 * 3600;

/// Headers the operations act on that must be signed when sent (besides every `x-amz-*`
/// and `x-cos-*` header). Framing (`Content-Length`, `Transfer-Encoding`, `Expect`) and
/// headers nothing reads (`User-Agent`, `Accept-*`) need not be.
pub const ACTED_ON: [&str; 13] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-md5",
    "content-type",
    "expires",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "if-range",
    "range",
];

/// The query fields of a pre-signed URL.
const QUERY_FIELDS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// `x-amz-*` headers the signature layer consumes: not handed to the operations.
const CONSUMED: [&str; 6] = [
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-decoded-content-length",
    "x-amz-security-token",
    "x-amz-trailer",
    "x-amz-sdk-checksum-algorithm",
];

/// S3's URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (uppercase), `/` kept
/// when `keep_slash`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// A header value as the canonical request holds it: trimmed, runs of spaces as one.
pub fn canonical_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut space = false;
    for c in v.trim().chars() {
        if c == ' ' || c == '\t' {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// The canonical query: every param but `X-Amz-Signature`, name and value encoded, sorted.
pub fn canonical_query<'a>(params: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .filter(|(n, _)| *n != "X-Amz-Signature")
        .map(|(n, v)| (uri_encode(n, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs.into_iter().map(|(n, v)| format!("{n}={v}")).collect();
    parts.join("&")
}

/// The canonical request of its parts.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    headers: &[(&str, &str)],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut s = format!("{method}\n{canonical_uri}\n{canonical_query}\n");
    for (n, v) in headers {
        s.push_str(n);
        s.push(':');
        s.push_str(&canonical_value(v));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(signed_headers);
    s.push('\n');
    s.push_str(payload_hash);
    s
}

/// The string to sign of a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Whether a parsed request carries a SigV4 signature (header or query).
pub(crate) fn is_sigv4(parsed: &Parsed) -> bool {
    let header = parsed
        .header("authorization")
        .is_some_and(|a| a.trim_start().starts_with("AWS4-"));
    header || parsed.params.iter().any(|(n, _)| is_query_field(n))
}

fn is_query_field(name: &str) -> bool {
    QUERY_FIELDS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name) && !f.eq_ignore_ascii_case("X-Amz-Security-Token"))
}

fn malformed(msg: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "AuthorizationHeaderMalformed", msg)
}

fn query_error(msg: impl Into<String>) -> CosError {
    CosError::new(
        StatusCode::BAD_REQUEST,
        "AuthorizationQueryParametersError",
        msg,
    )
}

fn invalid_request(msg: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidRequest", msg)
}

/// The fields of a SigV4 signature, from the header or the query.
struct Fields<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn header_fields(auth: &str) -> Result<Fields<'_>, CosError> {
    let rest = auth
        .trim()
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            CosError::new(
                StatusCode::BAD_REQUEST,
                "AuthorizationHeaderMalformed",
                "The authorization header is malformed; only AWS4-HMAC-SHA256 is supported.",
            )
        })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (name, value) = part.split_once('=').ok_or_else(|| {
            malformed(format!(
                "The authorization header is malformed; '{part}' is not name=value."
            ))
        })?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => {
                return Err(malformed(format!(
                    "The authorization header is malformed; unknown field '{name}'."
                )));
            }
        };
        if slot.replace(value).is_some() {
            return Err(malformed(format!(
                "The authorization header is malformed; {name} appears twice."
            )));
        }
    }
    match (credential, signed, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(Fields {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err(malformed(
            "The authorization header is malformed; it needs Credential, SignedHeaders and Signature.",
        )),
    }
}

/// The credential scope `AK/date/region/s3/aws4_request`.
struct Scope<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
}

impl Scope<'_> {
    fn string(&self) -> String {
        format!("{}/{}/s3/aws4_request", self.date, self.region)
    }
}

fn parse_scope<'a>(
    credential: &'a str,
    bad: &dyn Fn(String) -> CosError,
) -> Result<Scope<'a>, CosError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminal] = parts.as_slice() else {
        return Err(bad(format!(
            "The credential '{credential}' is not AK/yyyymmdd/region/s3/aws4_request."
        )));
    };
    if access_key.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!(
            "The credential '{credential}' is not AK/yyyymmdd/region/s3/aws4_request."
        )));
    }
    if *service != "s3" {
        return Err(bad(format!(
            "The credential scope names the service '{service}'; expecting 's3'."
        )));
    }
    if *terminal != "aws4_request" {
        return Err(bad(format!(
            "The credential scope ends with '{terminal}'; expecting 'aws4_request'."
        )));
    }
    Ok(Scope {
        access_key,
        date,
        region,
    })
}

/// Unix seconds of a civil date (proleptic Gregorian, UTC).
fn unix_of(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

/// `yyyymmddThhmmssZ` as unix seconds (a real date and time, else `None`).
pub fn parse_amz_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        digits(part).and_then(|n| i64::try_from(n).ok())
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *days_in.get(usize::try_from(mo - 1).ok()?)?;
    if !(1..=max_day).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    u64::try_from(unix_of(y, mo, d, h, mi, se)).ok()
}

/// Unix seconds as `yyyymmddThhmmssZ`.
pub fn amz_date(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(0);
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Verifies a SigV4 request over exactly the parsed values.
pub(crate) fn verify(
    v: &Verifier<'_>,
    method: &Method,
    parsed: Parsed,
    bucket: String,
) -> Result<VerifiedRequest, CosError> {
    let header_auth = parsed
        .header("authorization")
        .filter(|a| !a.trim().is_empty());
    let query_auth = parsed.params.iter().any(|(n, _)| is_query_field(n));
    if parsed.presigned {
        return Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed: the request carries q-* and SigV4 fields.",
        ));
    }
    // The query fields must be spelled exactly and come once (parse refused twice).
    for (n, _) in &parsed.params {
        if let Some(f) = QUERY_FIELDS.iter().find(|f| f.eq_ignore_ascii_case(n))
            && n != f
        {
            return Err(query_error(format!(
                "The query field {f} must be spelled exactly."
            )));
        }
    }
    let param = |name: &str| {
        parsed
            .params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (fields, amz_date_str, expires) = match (header_auth, query_auth) {
        (Some(_), true) => {
            return Err(CosError::new(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified.",
            ));
        }
        (Some(auth), false) => {
            let f = header_fields(auth)?;
            let date = match parsed.header("x-amz-date") {
                Some(d) => d.to_owned(),
                None => {
                    let d = parsed.header("date").ok_or_else(|| {
                        CosError::access_denied(
                            "AWS authentication requires a valid Date or x-amz-date header.",
                        )
                    })?;
                    let t = httpdate::parse_http_date(d).map_err(|_| {
                        CosError::access_denied(
                            "AWS authentication requires a valid Date or x-amz-date header.",
                        )
                    })?;
                    let secs = t
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    amz_date(secs)
                }
            };
            (f, date, None)
        }
        (None, true) => {
            let need = |name: &str| {
                param(name).ok_or_else(|| {
                    query_error(format!(
                        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters ({name} is missing)."
                    ))
                })
            };
            let algorithm = need("X-Amz-Algorithm")?;
            if algorithm != ALGORITHM {
                return Err(query_error(
                    "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".",
                ));
            }
            let f = Fields {
                credential: need("X-Amz-Credential")?,
                signed_headers: need("X-Amz-SignedHeaders")?,
                signature: need("X-Amz-Signature")?,
            };
            let expires = need("X-Amz-Expires")?;
            let expires = digits(expires)
                .filter(|e| (1..=MAX_EXPIRES_SECS).contains(e))
                .ok_or_else(|| {
                    query_error(
                        "X-Amz-Expires must be a number of seconds from 1 to 604800 (7 days).",
                    )
                })?;
            (f, need("X-Amz-Date")?.to_owned(), Some(expires))
        }
        (None, false) => return Err(CosError::access_denied("Access Denied.")),
    };
    let presigned = expires.is_some();
    let bad: &dyn Fn(String) -> CosError = if presigned {
        &|m| query_error(m)
    } else {
        &|m| malformed(m)
    };

    // The date, the scope and the clock.
    let when = parse_amz_date(&amz_date_str).ok_or_else(|| {
        bad(format!(
            "The date '{amz_date_str}' is not yyyymmddThhmmssZ."
        ))
    })?;
    let scope = parse_scope(fields.credential, bad)?;
    if !amz_date_str.starts_with(scope.date) {
        return Err(bad(format!(
            "The credential date '{}' is not the request date '{}'.",
            scope.date,
            amz_date_str.get(..8).unwrap_or("")
        )));
    }
    // A regional service host names its region; the global one (GET Service of every
    // region) takes any.
    let expected_region = match super::request::service_host(&parsed.host) {
        Some(super::request::ServiceHost::Regional(r)) => Some(r),
        Some(super::request::ServiceHost::Global) => None,
        None => Some(super::bucket::region_of_host(&parsed.host).unwrap_or(v.region)),
    };
    if let Some(expected_region) = expected_region
        && scope.region != expected_region
    {
        return Err(bad(format!(
            "The authorization header is malformed; the region '{}' is wrong; expecting '{expected_region}'.",
            scope.region
        )));
    }
    match expires {
        None => {
            if when.abs_diff(v.now) > MAX_SKEW_SECS {
                return Err(CosError::new(
                    StatusCode::FORBIDDEN,
                    "RequestTimeTooSkewed",
                    "The difference between the request time and the server's time is too large.",
                ));
            }
        }
        Some(e) => {
            if when > v.now.saturating_add(MAX_SKEW_SECS) {
                return Err(CosError::access_denied("Request is not valid yet"));
            }
            if v.now > when.saturating_add(e) {
                return Err(CosError::access_denied("Request has expired"));
            }
        }
    }

    // The key and its token.
    let cred: &Credential = v.credentials.get(scope.access_key).ok_or_else(|| {
        CosError::invalid_access_key_id(
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    })?;
    let token = match (
        parsed.header("x-amz-security-token"),
        param("X-Amz-Security-Token"),
    ) {
        (Some(_), Some(_)) => {
            return Err(invalid_request(
                "The security token is sent both as a header and as a param.",
            ));
        }
        (t, None) | (None, t) => t,
    };
    if parsed.header(super::request::SECURITY_TOKEN).is_some()
        || parsed
            .params
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(super::request::SECURITY_TOKEN))
    {
        return Err(invalid_request(
            "A SigV4 request carries its token in x-amz-security-token, not x-cos-security-token.",
        ));
    }
    super::request::check_token(cred, token)?;

    // The payload.
    let payload_hash = match parsed.header("x-amz-content-sha256") {
        Some(h) => h.to_owned(),
        None if presigned => "UNSIGNED-PAYLOAD".to_owned(),
        None => {
            return Err(invalid_request(
                "Missing required header for this request: x-amz-content-sha256",
            ));
        }
    };
    let payload = Payload::parse(&payload_hash)?;
    if presigned && payload.is_streaming() {
        return Err(super::error::not_implemented(
            "a streaming payload in a pre-signed request",
        ));
    }

    // The signed headers: sorted, lowercase, once each, host among them.
    let signed: Vec<&str> = fields.signed_headers.split(';').collect();
    let well_formed = signed.iter().all(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    }) && signed.windows(2).all(|w| w[0] < w[1]);
    if !well_formed {
        return Err(bad(
            "SignedHeaders must be lowercase header names, sorted, each once, separated by ;."
                .to_owned(),
        ));
    }
    if !signed.contains(&"host") {
        return Err(CosError::access_denied(
            "The host header must be signed (SignedHeaders lacks host).",
        ));
    }
    let mut not_signed: Vec<&str> = parsed
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| {
            (n.starts_with("x-amz-") || n.starts_with("x-cos-") || ACTED_ON.contains(n))
                && !signed.contains(n)
        })
        .collect();
    if !presigned && parsed.header("x-amz-date").is_none() && !signed.contains(&"date") {
        not_signed.push("date");
    }
    if !not_signed.is_empty() {
        return Err(CosError::access_denied(format!(
            "There were headers present in the request which were not signed: {}",
            not_signed.join(", ")
        )));
    }
    let mut canonical_headers: Vec<(&str, &str)> = Vec::with_capacity(signed.len());
    for name in &signed {
        let value = parsed.header(name).ok_or_else(|| {
            CosError::access_denied(format!("The signed header {name} is not in the request."))
        })?;
        canonical_headers.push((name, value));
    }

    // The signature.
    let canonical_uri = uri_encode(&format!("/{}", parsed.key), true);
    let query = canonical_query(parsed.params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let creq = canonical_request(
        method.as_str(),
        &canonical_uri,
        &query,
        &canonical_headers,
        fields.signed_headers,
        &payload_hash,
    );
    let scope_string = scope.string();
    let sts = string_to_sign(&amz_date_str, &scope_string, &creq);
    let key = signing_key(cred.secret_key.expose(), scope.date, scope.region, "s3");
    let expected = sign_hex(&key, &sts);
    let given = fields.signature;
    if given.len() != 64 || !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        let mut e = CosError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        );
        e.string_to_sign = Some(sts);
        // The token is a credential: not echoed.
        e.format_string = Some(match token {
            Some(t) if !t.is_empty() => creq
                .replace(&uri_encode(t, false), "<redacted>")
                .replace(t, "<redacted>"),
            _ => creq,
        });
        e.sigv4 = true;
        return Err(e);
    }

    // The body check, with its checksum.
    let checksum = checksum_of(&parsed)?;
    let trailer = parsed.header("x-amz-trailer").map(str::trim);
    let decoded_len = match parsed.header("x-amz-decoded-content-length") {
        None => None,
        Some(d) => Some(
            digits(d.trim())
                .ok_or_else(|| invalid_request("x-amz-decoded-content-length is not a number."))?,
        ),
    };
    if payload.is_streaming() && decoded_len.is_none() {
        return Err(CosError::new(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "A streaming upload needs x-amz-decoded-content-length.",
        ));
    }
    let trailer_algo = match trailer {
        None | Some("") => None,
        Some(t) => {
            if !payload.has_trailer() {
                return Err(invalid_request(
                    "x-amz-trailer needs a STREAMING-*-TRAILER payload.",
                ));
            }
            let algo = t
                .strip_prefix("x-amz-checksum-")
                .and_then(ChecksumAlgo::of)
                .ok_or_else(|| {
                    invalid_request(format!(
                        "The trailer {t} is not an x-amz-checksum-* this server checks."
                    ))
                })?;
            if checksum.is_some() {
                return Err(invalid_request(
                    "A checksum is sent both as a header and as a trailer.",
                ));
            }
            Some(algo)
        }
    };
    let body_covered = payload.covers_body() || checksum.is_some() || trailer_algo.is_some();
    let body = BodyCheck {
        payload,
        checksum,
        trailer: trailer_algo,
        decoded_len,
        seed_signature: expected,
        signing_key: key,
        amz_date: amz_date_str.clone(),
        scope: scope_string,
    };
    let info = SigV4Info { body, body_covered };
    let headers = cos_headers(&parsed.headers)?;
    let signed_cos: Vec<String> = signed
        .iter()
        .map(|s| match s.strip_prefix("x-amz-") {
            Some(rest) => format!("x-cos-{rest}"),
            None => (*s).to_owned(),
        })
        .collect();
    let params: Vec<(String, String)> = parsed
        .params
        .iter()
        .filter(|(n, _)| !QUERY_FIELDS.contains(&n.as_str()))
        .cloned()
        .collect();
    let signed_params = params.iter().map(|(n, _)| n.clone()).collect();
    let parts = SigV4Parts {
        secret_id: cred.secret_id.clone(),
        presigned,
        headers,
        params,
        signed_headers: signed_cos,
        signed_params,
        info,
    };
    Ok(VerifiedRequest::sigv4(method, bucket, parsed, parts))
}

/// The `x-amz-checksum-*` header sent, if any (one at most), with its decoded value.
fn checksum_of(parsed: &Parsed) -> Result<Option<(ChecksumAlgo, Vec<u8>)>, CosError> {
    let mut found = None;
    for (n, v) in &parsed.headers {
        let Some(name) = n.strip_prefix("x-amz-checksum-") else {
            continue;
        };
        if name == "algorithm" || name == "type" || name == "mode" {
            continue;
        }
        let algo = ChecksumAlgo::of(name).ok_or_else(|| {
            invalid_request(format!(
                "The checksum x-amz-checksum-{name} is not supported."
            ))
        })?;
        let value = algo.decode(v).ok_or_else(|| {
            invalid_request(format!(
                "Value for x-amz-checksum-{name} header is invalid."
            ))
        })?;
        if found.replace((algo, value)).is_some() {
            return Err(invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
    }
    Ok(found)
}

/// The headers the operations see: every header but the signature's own, the `x-amz-*`
/// ones under their COS names (`x-amz-X` as `x-cos-X`). A header sent under both names is
/// ambiguous: 400 `InvalidArgument`.
pub(crate) fn cos_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, CosError> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (n, v) in headers {
        if n == "authorization" || CONSUMED.contains(&n.as_str()) {
            continue;
        }
        if n.starts_with("x-amz-checksum-") {
            continue;
        }
        let name = match n.strip_prefix("x-amz-") {
            Some(rest) => format!("x-cos-{rest}"),
            None => n.clone(),
        };
        let value = if name == "x-cos-copy-source" {
            copy_source(v)
        } else if (name == "x-cos-metadata-directive" || name == "x-cos-tagging-directive")
            && v.trim().eq_ignore_ascii_case("replace")
        {
            // S3 says REPLACE where COS says Replaced.
            "Replaced".to_owned()
        } else if name == "content-encoding" {
            // aws-chunked is the framing of this request, not the object's encoding.
            let kept: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
                .collect();
            if kept.is_empty() {
                continue;
            }
            kept.join(", ")
        } else {
            v.clone()
        };
        if out.iter().any(|(o, _)| *o == name) {
            return Err(CosError::new(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!("The header {name} is sent under both its x-amz- and x-cos- names."),
            ));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// S3's `x-amz-copy-source` (`[/]bucket/key`, key URL-encoded) as COS's
/// `x-cos-copy-source` (`bucket.cos.<region>.myqcloud.com/key`); a value already in the COS
/// form is kept.
fn copy_source(v: &str) -> String {
    let t = v.trim();
    let t = t.strip_prefix('/').unwrap_or(t);
    match t.split_once('/') {
        Some((bucket, key)) if !bucket.contains('.') => {
            let bucket = percent_encoding::percent_decode_str(bucket)
                .decode_utf8_lossy()
                .into_owned();
            format!("{bucket}.cos.s3-copy.myqcloud.com/{key}")
        }
        _ => v.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(
            parse_amz_date("20240229T000000Z").map(amz_date).as_deref(),
            Some("20240229T000000Z")
        );
        for bad in [
            "20150830T123600",
            "2015083OT123600Z",
            "20150230T000000Z",
            "20151301T000000Z",
            "20150830T243600Z",
            "+0150830T123600Z",
            "",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn encoding_and_values() {
        assert_eq!(uri_encode("/a b/ü+~", true), "/a%20b/%C3%BC%2B~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(canonical_value("  a   b  c "), "a b c");
        assert_eq!(
            canonical_query([("b", "2"), ("a", "x y"), ("X-Amz-Signature", "s")].into_iter()),
            "a=x%20y&b=2"
        );
    }

    /// AWS's published example keys ("Examples of signature calculations in AWS Signature
    /// Version 4", Amazon S3 API reference): each stage of the GET Object example.
    pub(crate) const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn aws_get_object_example_stage_by_stage() {
        let creq = canonical_request(
            "GET",
            &uri_encode("/test.txt", true),
            "",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY),
                ("x-amz-date", "20130524T000000Z"),
            ],
            "host;range;x-amz-content-sha256;x-amz-date",
            EMPTY,
        );
        assert_eq!(
            creq,
            format!(
                "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
                 x-amz-content-sha256:{EMPTY}\nx-amz-date:20130524T000000Z\n\n\
                 host;range;x-amz-content-sha256;x-amz-date\n{EMPTY}"
            )
        );
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &creq,
        );
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        let key = signing_key(EXAMPLE_SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(
            sign_hex(&key, &sts),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn aws_examples_signatures() {
        let key = signing_key(EXAMPLE_SECRET, "20130524", "us-east-1", "s3");
        let scope = "20130524/us-east-1/s3/aws4_request";
        let sig = |creq: &str| sign_hex(&key, &string_to_sign("20130524T000000Z", scope, creq));
        let host = [("host", "examplebucket.s3.amazonaws.com")];
        let base = |query: &str| {
            canonical_request(
                "GET",
                "/",
                query,
                &[
                    host[0],
                    ("x-amz-content-sha256", EMPTY),
                    ("x-amz-date", "20130524T000000Z"),
                ],
                "host;x-amz-content-sha256;x-amz-date",
                EMPTY,
            )
        };
        // GET Bucket lifecycle: `?lifecycle` signs as `lifecycle=`.
        assert_eq!(
            sig(&base(&canonical_query([("lifecycle", "")].into_iter()))),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        );
        // GET Bucket (List Objects), params sorted.
        assert_eq!(
            sig(&base(&canonical_query(
                [("prefix", "J"), ("max-keys", "2")].into_iter()
            ))),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
        // PUT Object: `$` encoded in the path, `Date` signed beside `x-amz-date`.
        let body = sha256_hex(b"Welcome to Amazon S3.");
        assert_eq!(
            body,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        let put = canonical_request(
            "PUT",
            &uri_encode("/test$file.text", true),
            "",
            &[
                ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                host[0],
                ("x-amz-content-sha256", &body),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            &body,
        );
        assert_eq!(
            sig(&put),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
        // The pre-signed GET Object URL (X-Amz-Signature left out of its canonical query).
        let q = canonical_query(
            [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                (
                    "X-Amz-Credential",
                    "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
                ),
                ("X-Amz-Date", "20130524T000000Z"),
                ("X-Amz-Expires", "86400"),
                ("X-Amz-SignedHeaders", "host"),
                ("X-Amz-Signature", "ignored"),
            ]
            .into_iter(),
        );
        let presigned =
            canonical_request("GET", "/test.txt", &q, &host, "host", "UNSIGNED-PAYLOAD");
        assert_eq!(
            sig(&presigned),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn copy_source_forms() {
        assert_eq!(
            copy_source("b-1/a%20b"),
            "b-1.cos.s3-copy.myqcloud.com/a%20b"
        );
        assert_eq!(copy_source("/b-1/k"), "b-1.cos.s3-copy.myqcloud.com/k");
        assert_eq!(
            copy_source("b-1.cos.ap-guangzhou.myqcloud.com/k"),
            "b-1.cos.ap-guangzhou.myqcloud.com/k"
        );
    }
}
