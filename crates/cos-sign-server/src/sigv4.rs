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
//! - the scope: its date is the request date's, service `s3`, `aws4_request`; its region
//!   is any the client signed with (not compared with the bucket's, unlike S3): the key is
//!   derived with the region the scope names, so a scope changed after signing still fails
//!   as `SignatureDoesNotMatch`. Clients that sign with `us-east-1` whatever the bucket's
//!   region are meant to work with COS: rclone's `TencentCOS` provider has no region setting
//!   and signs with `us-east-1`, and rclone's guides for COS configure it that way (endpoint,
//!   no region);
//! - `host` signed, and every `x-amz-*` header sent, as S3 requires, and every `x-cos-*`
//!   header (their COS counterparts) (`AccessDenied`, "There were headers present in the
//!   request which were not signed"); other standard headers (`Content-Type`, `Range`,
//!   `If-*`, ...) need not be, as in S3: a browser's `fetch` of a pre-signed URL adds them;
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
use super::aws_chunked::{BodyCheck, Payload, SigV4Info};
use super::checksum::ChecksumAlgo;
use super::error::CosError;
use super::request::{Parsed, SigV4Parts, VerifiedRequest, Verifier, digits};
use super::sigv4_canonical::{
    ALGORITHM, amz_date, canonical_query, canonical_request, parse_amz_date, string_to_sign,
    uri_encode,
};
use super::sigv4_key::{sign_hex, signing_key};

/// The most a request's date may differ from the server's clock (S3's 15 minutes).
pub const MAX_SKEW_SECS: u64 = 15 * 60;
/// The longest `X-Amz-Expires` (7 days).
pub const MAX_EXPIRES_SECS: u64 = 7 * 24 * 3600;

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
    if access_key.is_empty()
        || region.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
    {
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

/// The signature's fields, date and (for a pre-signed URL) expiry, as the request carries them.
struct Auth<'a> {
    fields: Fields<'a>,
    /// `yyyymmddThhmmssZ`: `x-amz-date`, `X-Amz-Date`, or the `Date` header converted.
    amz_date: String,
    /// `X-Amz-Expires` of a pre-signed URL; `None` for header auth.
    expires: Option<u64>,
}

impl Auth<'_> {
    fn presigned(&self) -> bool {
        self.expires.is_some()
    }

    /// The error of a malformed field: S3's code for header or query auth.
    fn bad(&self, message: String) -> CosError {
        if self.presigned() {
            query_error(message)
        } else {
            malformed(message)
        }
    }
}

/// The query param `name` (exact spelling), decoded.
fn param<'a>(parsed: &'a Parsed, name: &str) -> Option<&'a str> {
    parsed
        .params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Reads the signature from the `Authorization` header or the `X-Amz-*` query fields (one
/// mechanism only; no COS `q-*` fields beside it).
fn read_auth(parsed: &Parsed) -> Result<Auth<'_>, CosError> {
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
                param(parsed, name).ok_or_else(|| {
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
    Ok(Auth {
        fields,
        amz_date: amz_date_str,
        expires,
    })
}

/// The date, the credential scope (date, `s3`, `aws4_request`) and the
/// clock: S3's 15-minute skew for header auth, the expiry of a pre-signed URL.
fn check_scope_and_clock<'a>(v: &Verifier<'_>, auth: &'a Auth<'a>) -> Result<Scope<'a>, CosError> {
    let bad = |m: String| auth.bad(m);
    let amz_date_str = &auth.amz_date;
    let when = parse_amz_date(amz_date_str).ok_or_else(|| {
        bad(format!(
            "The date '{amz_date_str}' is not yyyymmddThhmmssZ."
        ))
    })?;
    let scope = parse_scope(auth.fields.credential, &bad)?;
    if !amz_date_str.starts_with(scope.date) {
        return Err(bad(format!(
            "The credential date '{}' is not the request date '{}'.",
            scope.date,
            amz_date_str.get(..8).unwrap_or("")
        )));
    }
    match auth.expires {
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

    Ok(scope)
}

/// The signed header names, and the canonical headers (name, value as received).
type SignedHeaders<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);

/// The signed header names (well formed, `host` among them, every `x-amz-*` and `x-cos-*`
/// header sent among them) and the canonical headers with their values.
fn signed_headers<'a>(parsed: &'a Parsed, auth: &Auth<'a>) -> Result<SignedHeaders<'a>, CosError> {
    let presigned = auth.presigned();
    let signed: Vec<&str> = auth.fields.signed_headers.split(';').collect();
    let well_formed = signed.iter().all(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    }) && signed.windows(2).all(|w| w[0] < w[1]);
    if !well_formed {
        return Err(auth.bad(
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
        .filter(|n| (n.starts_with("x-amz-") || n.starts_with("x-cos-")) && !signed.contains(n))
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

    Ok((signed, canonical_headers))
}

/// Verifies a SigV4 request over exactly the parsed values.
pub(crate) fn verify(
    v: &Verifier<'_>,
    method: &Method,
    parsed: Parsed,
    bucket: String,
) -> Result<VerifiedRequest, CosError> {
    let auth = read_auth(&parsed)?;
    let presigned = auth.presigned();
    let scope = check_scope_and_clock(v, &auth)?;
    let fields = &auth.fields;
    let amz_date_str = &auth.amz_date;

    // The key and its token.
    let cred: &Credential = v.credentials.get(scope.access_key).ok_or_else(|| {
        CosError::invalid_access_key_id(
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    })?;
    let token = match (
        parsed.header("x-amz-security-token"),
        param(&parsed, "X-Amz-Security-Token"),
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
    if cred.token.is_some() && token.is_none() {
        return Err(CosError::invalid_access_key_id(
            "The temporary Access Key Id needs its x-amz-security-token.",
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

    let (signed, canonical_headers) = signed_headers(&parsed, &auth)?;

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
    let sts = string_to_sign(amz_date_str, &scope_string, &creq);
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
        // `x-amz-copy-source` keeps S3's `[/]bucket/key`, which PUT Object - Copy reads too.
        let value = if (name == "x-cos-metadata-directive" || name == "x-cos-tagging-directive")
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
