//! POST Object: the browser form upload (`multipart/form-data` to the bucket).
//!
//! The request carries no `Authorization`: the form's `policy` (base64 JSON) is signed, and
//! its signature is checked with cos-sign-core's POST-policy code (`q-signature` =
//! HMAC-SHA1 of the SignKey for `q-key-time` over the SHA-1 hex of the policy). Then the
//! policy's `expiration` and conditions (`{"field": value}` exact matches, `["eq", ...]`,
//! `["starts-with", ...]`, `["content-length-range", min, max]`) are enforced against the
//! form fields, the bucket and the key (with `${filename}` replaced). The form's fields
//! come first; the `file` field must be the last, and it is streamed into the store.
//!
//! The object's `Content-Type` is the form's `Content-Type` field, else
//! `application/octet-stream` as for a PUT without one: the file part's own `Content-Type`
//! (the browser's guess) is ignored, as COS ignores it ("COS does not use the MIME type
//! provided by the browser. You must explicitly specify the Content-Type form field",
//! <https://cloud.tencent.com/document/product/436/14690>); policy conditions on
//! `$Content-Type` see the field only.
//!
//! A refusal decided before the form is read (a Host naming no valid bucket, a malformed
//! request, a content type without a boundary) is answered without reading the body, so a
//! client that sent `Expect: 100-continue` gets it without a `100 Continue` and sends
//! nothing; a refusal of the form itself (its fields, signature, policy) needs the fields,
//! which are in the body.

use std::collections::HashMap;

use super::aws_chunked::ReqBody;
use base64::Engine;
use bytes::{Buf, BytesMut};
use cos_sign_core::{KeyTime, SigningKey};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use subtle::ConstantTimeEq;

use super::State;
use super::body::{next_chunk, request_timeout};
use super::bucket::{invalid_argument, xml_response};
use super::crc64;
use super::error::CosError;
use super::object_ops::headers_to_store;
use super::request::{self, check_key, digits, valid_bucket};
use super::response::{Body, Ctx, Refused, discard, empty, empty_answer};
use super::store::WriteError;
use super::xml::{XmlOut, days_from_civil};

/// Most bytes of the fields before the file (names, values and part headers).
const MAX_FIELDS: usize = 64 * 1024;
/// Most fields.
const MAX_FIELD_COUNT: usize = 100;

fn malformed_post(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", message)
}

fn policy_error(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidPolicyDocument", message)
}

fn denied(message: impl Into<String>) -> CosError {
    CosError::access_denied(message)
}

/// Whether a request is a POST Object form upload: POST to the bucket with a
/// `multipart/form-data` body.
pub(crate) fn is_form_upload(
    method: &hyper::Method,
    path: &str,
    headers: &hyper::HeaderMap,
) -> bool {
    method == hyper::Method::POST
        && path == "/"
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            })
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

/// `name` and `filename` of a part's `Content-Disposition`.
fn disposition(value: &str) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut filename = None;
    for p in value.split(';').skip(1) {
        if let Some((k, v)) = p.trim().split_once('=') {
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v),
                "filename" => filename = Some(v),
                _ => {}
            }
        }
    }
    (name, filename)
}

/// Reads the request body as form parts.
struct Form<'s> {
    state: &'s State,
    body: ReqBody,
    buf: BytesMut,
    /// `\r\n--boundary`.
    delim: Vec<u8>,
    done: bool,
}

impl Form<'_> {
    async fn fill(&mut self) -> Result<bool, CosError> {
        if self.done {
            return Ok(false);
        }
        match next_chunk(self.state, &mut self.body).await? {
            Some(c) => {
                self.buf.extend_from_slice(&c);
                Ok(true)
            }
            None => {
                self.done = true;
                Ok(false)
            }
        }
    }

    /// Where `needle` starts in the buffer, looking from `*from` on; when it is not there,
    /// `*from` moves to where a later search must start (the last `needle.len() - 1` bytes
    /// could be its beginning). Each loop that fills the buffer and searches again keeps its
    /// own `from`, so no byte is searched twice: a form sent a byte at a time costs time in
    /// proportion to its length, not to its square.
    fn find(&self, needle: &[u8], from: &mut usize) -> Option<usize> {
        let start = (*from).min(self.buf.len());
        let found = self
            .buf
            .get(start..)
            .unwrap_or_default()
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| start + i);
        if found.is_none() {
            *from = (self.buf.len() + 1).saturating_sub(needle.len());
        }
        found
    }

    /// Reads up to the first boundary line.
    async fn start(&mut self) -> Result<(), CosError> {
        let first = self.delim.get(2..).unwrap_or_default().to_vec();
        let mut from = 0;
        loop {
            if let Some(i) = self.find(&first, &mut from) {
                self.buf.advance(i + first.len());
                return self.after_delimiter().await.map(|_| ());
            }
            if self.buf.len() > MAX_FIELDS || !self.fill().await? {
                return Err(malformed_post("The form has no boundary line."));
            }
        }
    }

    /// After a delimiter: `--` (the end) or CRLF (another part). True when a part follows.
    async fn after_delimiter(&mut self) -> Result<bool, CosError> {
        while self.buf.len() < 2 {
            if !self.fill().await? {
                return Err(malformed_post("The form ends early."));
            }
        }
        if self.buf.starts_with(b"--") {
            return Ok(false);
        }
        // Transport padding, then CRLF.
        let mut from = 0;
        loop {
            if let Some(i) = self.find(b"\r\n", &mut from) {
                self.buf.advance(i + 2);
                return Ok(true);
            }
            if self.buf.len() > 1024 || !self.fill().await? {
                return Err(malformed_post("A boundary line is malformed."));
            }
        }
    }

    /// The headers of the next part.
    async fn part_headers(&mut self) -> Result<Vec<(String, String)>, CosError> {
        let mut from = 0;
        loop {
            if let Some(i) = self.find(b"\r\n\r\n", &mut from) {
                let text =
                    String::from_utf8_lossy(self.buf.get(..i).unwrap_or_default()).into_owned();
                self.buf.advance(i + 4);
                return Ok(text
                    .split("\r\n")
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect());
            }
            if self.buf.len() > 8 * 1024 || !self.fill().await? {
                return Err(malformed_post("A form part's headers are malformed."));
            }
        }
    }

    /// The value of a (small) field; true when another part follows.
    async fn field_value(&mut self, room: usize) -> Result<(Vec<u8>, bool), CosError> {
        let delim = self.delim.clone();
        let mut from = 0;
        loop {
            if let Some(i) = self.find(&delim, &mut from) {
                let v = self.buf.split_to(i).to_vec();
                self.buf.advance(self.delim.len());
                let more = self.after_delimiter().await?;
                return Ok((v, more));
            }
            if self.buf.len() > room || !self.fill().await? {
                return Err(malformed_post(
                    "The form's fields are too large or end early.",
                ));
            }
        }
    }
}

/// The bytes of the file field, streamed: each call gives the next piece, `None` at its end.
async fn next_file_piece(form: &mut Form<'_>) -> Result<Option<BytesMut>, CosError> {
    let delim = form.delim.clone();
    let mut from = 0;
    loop {
        if let Some(i) = form.find(&delim, &mut from) {
            if i == 0 {
                return Ok(None);
            }
            return Ok(Some(form.buf.split_to(i)));
        }
        // Keep what could be the start of the delimiter.
        let keep = delim.len() - 1;
        if form.buf.len() > keep + 64 * 1024 {
            let n = form.buf.len() - keep;
            return Ok(Some(form.buf.split_to(n)));
        }
        if !form.fill().await? {
            return Err(malformed_post("The file field ends without its boundary."));
        }
    }
}

/// `2030-01-01T00:00:00.000Z` (fraction optional) as unix seconds.
pub(crate) fn parse_iso8601(s: &str) -> Option<u64> {
    let s = s.trim().strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    // Plain digits (no sign); past 9999 a year is refused, as an HTTP date refuses it.
    let num = |x: &str| digits(x).and_then(|n| i64::try_from(n).ok());
    let mut d = date.split('-').map(num);
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split('.').next()?;
    let mut t = time.split(':').map(num);
    let (h, mi, se) = (t.next()??, t.next()??, t.next()??);
    if y > 9999
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || h > 23
        || mi > 59
        || se > 60
    {
        return None;
    }
    let days = days_from_civil(y, m as u32, day as u32);
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + se).ok()
}

/// Checks the policy's expiration and conditions against the form.
pub(crate) fn check_policy(
    policy: &serde_json::Value,
    now: u64,
    fields: &HashMap<String, String>,
    size: Option<u64>,
) -> Result<(), CosError> {
    let exp = policy
        .get("expiration")
        .and_then(|e| e.as_str())
        .and_then(parse_iso8601)
        .ok_or_else(|| policy_error("The policy has no valid expiration."))?;
    if now > exp {
        return Err(denied("Invalid according to Policy: Policy expired."));
    }
    let conditions = policy
        .get("conditions")
        .and_then(|c| c.as_array())
        .ok_or_else(|| policy_error("The policy has no conditions list."))?;
    let field = |name: &str| {
        let name = name.strip_prefix('$').unwrap_or(name).to_ascii_lowercase();
        fields.get(&name).map(String::as_str).unwrap_or("")
    };
    let failed = |what: &str| {
        denied(format!(
            "Invalid according to Policy: Policy Condition failed: {what}"
        ))
    };
    for c in conditions {
        if let Some(obj) = c.as_object() {
            for (name, want) in obj {
                let want = want
                    .as_str()
                    .ok_or_else(|| policy_error("A condition value is not a string."))?;
                if field(name) != want {
                    return Err(failed(name));
                }
            }
            continue;
        }
        let arr = c
            .as_array()
            .ok_or_else(|| policy_error("A condition is neither an object nor a list."))?;
        let op = arr.first().and_then(|o| o.as_str()).unwrap_or("");
        match op.to_ascii_lowercase().as_str() {
            "eq" | "starts-with" => {
                let (Some(name), Some(want)) = (
                    arr.get(1).and_then(|v| v.as_str()),
                    arr.get(2).and_then(|v| v.as_str()),
                ) else {
                    return Err(policy_error("A condition is malformed."));
                };
                let got = field(name);
                let ok = if op.eq_ignore_ascii_case("eq") {
                    got == want
                } else {
                    got.starts_with(want)
                };
                if !ok {
                    return Err(failed(&format!("[\"{op}\", \"{name}\", \"{want}\"]")));
                }
            }
            "content-length-range" => {
                let (Some(min), Some(max)) = (
                    arr.get(1).and_then(|v| v.as_u64()),
                    arr.get(2).and_then(|v| v.as_u64()),
                ) else {
                    return Err(policy_error("content-length-range needs two numbers."));
                };
                if let Some(n) = size
                    && (n < min || n > max)
                {
                    return Err(CosError::new(
                        StatusCode::BAD_REQUEST,
                        if n < min {
                            "EntityTooSmall"
                        } else {
                            "EntityTooLarge"
                        },
                        "Your upload is outside the policy's content-length-range.",
                    ));
                }
            }
            _ => return Err(policy_error(format!("Unknown policy condition {op}."))),
        }
    }
    Ok(())
}

/// The largest size a policy's content-length-range allows, if it has one.
fn max_length(policy: &serde_json::Value) -> Option<u64> {
    policy
        .get("conditions")?
        .as_array()?
        .iter()
        .filter_map(|c| c.as_array())
        .filter(|a| {
            a.first()
                .and_then(|o| o.as_str())
                .is_some_and(|o| o.eq_ignore_ascii_case("content-length-range"))
        })
        .filter_map(|a| a.get(2).and_then(|v| v.as_u64()))
        .min()
}

/// Verifies the form's signature; returns the policy JSON.
fn verify(
    state: &State,
    fields: &HashMap<String, String>,
    now: u64,
) -> Result<serde_json::Value, CosError> {
    let get = |n: &str| fields.get(n).map(String::as_str);
    let (Some(policy_b64), Some(alg), Some(ak), Some(key_time), Some(sig)) = (
        get("policy"),
        get("q-sign-algorithm"),
        get("q-ak"),
        get("q-key-time"),
        get("q-signature"),
    ) else {
        return Err(denied(
            "The form needs policy, q-sign-algorithm, q-ak, q-key-time and q-signature.",
        ));
    };
    if !alg.eq_ignore_ascii_case("sha1") {
        return Err(invalid_argument("q-sign-algorithm must be sha1."));
    }
    let Some(cred) = state.credentials.get(ak) else {
        return Err(CosError::invalid_access_key_id(
            "The Access Key Id you provided does not exist in our records.",
        ));
    };
    if let Some(token) = &cred.token {
        match get("x-cos-security-token") {
            Some(t) if bool::from(t.as_bytes().ct_eq(token.expose().as_bytes())) => {}
            _ => return Err(denied("The security token is missing or invalid.")),
        }
    }
    let kt = KeyTime::parse(key_time).map_err(|_| invalid_argument("q-key-time is malformed."))?;
    if !kt.contains(now) {
        return Err(denied("Request has expired"));
    }
    let json = base64::engine::general_purpose::STANDARD
        .decode(policy_b64.trim())
        .map_err(|_| policy_error("The policy is not base64."))?;
    let expected =
        SigningKey::derive(cred.secret_key.expose().as_bytes(), kt).sign_post_policy(&json);
    if !bool::from(
        expected
            .signature()
            .as_bytes()
            .ct_eq(sig.to_ascii_lowercase().as_bytes()),
    ) {
        let mut e = CosError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The Signature you specified is invalid.",
        );
        e.string_to_sign = Some(expected.string_to_sign().to_owned());
        return Err(e);
    }
    serde_json::from_slice(&json).map_err(|_| policy_error("The policy is not JSON."))
}

/// POST Object.
pub(crate) async fn post(
    state: &State,
    ctx: &Ctx,
    parts: &hyper::http::request::Parts,
    body: ReqBody,
) -> Result<(Response<Body>, String), (Refused, String)> {
    let dash = || "-".to_owned();
    let refuse = |error: CosError, close: bool, t: String| (Refused { error, close }, t);
    let parsed = match request::parse(&parts.uri, &parts.headers, state.default_bucket.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            let close = discard(state, &parts.headers, body).await;
            return Err(refuse(e, close, dash()));
        }
    };
    let Some(bucket) = parsed.bucket.clone().filter(|b| valid_bucket(b)) else {
        let close = discard(state, &parts.headers, body).await;
        return Err(refuse(
            CosError::new(
                StatusCode::NOT_FOUND,
                "NoSuchBucket",
                "The Host names no valid bucket.",
            ),
            close,
            dash(),
        ));
    };
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(b) = boundary(ct) else {
        let close = discard(state, &parts.headers, body).await;
        return Err(refuse(
            malformed_post("The form has no boundary."),
            close,
            bucket,
        ));
    };
    let mut form = Form {
        state,
        body,
        buf: BytesMut::new(),
        delim: format!("\r\n--{b}").into_bytes(),
        done: false,
    };
    match upload(state, ctx, &bucket, &mut form).await {
        Ok((resp, key)) => {
            super::buckets::written(state, &bucket, &parsed.host).await;
            Ok((resp, format!("{bucket}/{key}")))
        }
        Err(e) => Err(refuse(e, !form.done, bucket)),
    }
}

/// The form's fields up to the file (names lowercase), and the file's name. They come before
/// the signature can be checked, from anyone: they must all arrive within the header-read
/// timeout, as a request head must (each chunk within the body idle timeout is not enough:
/// a byte a minute would hold the connection for weeks), else 400 `RequestTimeout`.
async fn read_fields(
    state: &State,
    form: &mut Form<'_>,
) -> Result<(HashMap<String, String>, String), CosError> {
    tokio::time::timeout(state.limits.header_read_timeout, fields_and_filename(form))
        .await
        .unwrap_or_else(|_| Err(request_timeout()))
}

async fn fields_and_filename(
    form: &mut Form<'_>,
) -> Result<(HashMap<String, String>, String), CosError> {
    form.start().await?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut used = 0usize;
    let filename = loop {
        let headers = form.part_headers().await?;
        let cd = headers
            .iter()
            .find(|(n, _)| n == "content-disposition")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let (Some(name), filename) = disposition(cd) else {
            return Err(malformed_post("A form part has no name."));
        };
        let name = name.to_ascii_lowercase();
        if name == "file" {
            // The file part's own headers (a browser's guess at its `Content-Type`) are
            // not used: only the `Content-Type` field sets the object's type (see the
            // module docs).
            break filename.unwrap_or_default();
        }
        let (value, more) = form.field_value(MAX_FIELDS.saturating_sub(used)).await?;
        used += name.len() + value.len() + 64;
        if fields.len() >= MAX_FIELD_COUNT {
            return Err(malformed_post("The form has too many fields."));
        }
        let value =
            String::from_utf8(value).map_err(|_| malformed_post("A form field is not UTF-8."))?;
        if fields.insert(name.clone(), value).is_some() {
            return Err(invalid_argument(format!(
                "The form field {name} appears more than once."
            )));
        }
        if !more {
            return Err(malformed_post("The form has no file field."));
        }
    };
    Ok((fields, filename))
}

async fn upload(
    state: &State,
    ctx: &Ctx,
    bucket: &str,
    form: &mut Form<'_>,
) -> Result<(Response<Body>, String), CosError> {
    let (mut fields, filename) = read_fields(state, form).await?;
    let key_template = fields
        .get("key")
        .cloned()
        .ok_or_else(|| invalid_argument("The form has no key field."))?;
    let key = key_template.replace("${filename}", &filename);
    if key.is_empty() {
        return Err(invalid_argument("The key is empty."));
    }
    check_key(&key)?;
    fields.insert("key".to_owned(), key.clone());
    fields.insert("bucket".to_owned(), bucket.to_owned());
    let now = super::unix_secs(state.now());
    let policy = verify(state, &fields, now)?;
    check_policy(&policy, now, &fields, None)?;
    let max = max_length(&policy)
        .unwrap_or(u64::MAX)
        .min(state.limits.max_object_size);

    // Everything the answer and the stored object hold is checked before the first byte is
    // stored: a refusal leaves the store as it was.
    let mut metas: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    metas.sort_unstable();
    let headers = headers_to_store(|n| fields.get(n).map(String::as_str), metas.into_iter())?;
    let redirect = fields
        .get("success_action_redirect")
        .filter(|r| !r.is_empty())
        .map(|r| {
            HeaderValue::from_str(r)
                .map(|_| r.as_str())
                .map_err(|_| invalid_argument("success_action_redirect is not a valid URL."))
        })
        .transpose()?;
    // Any other value is the default 204, as S3 answers.
    let status = match fields.get("success_action_status").map(String::as_str) {
        Some("200") => StatusCode::OK,
        Some("201") => StatusCode::CREATED,
        _ => StatusCode::NO_CONTENT,
    };
    let io = |e: std::io::Error| CosError::internal(format!("cannot store the object: {e}"));
    let mut up = state.store.begin(bucket, &key, headers).await.map_err(io)?;
    while let Some(piece) = next_file_piece(form).await? {
        if up.len().saturating_add(piece.len() as u64) > max {
            return Err(CosError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                "Your upload exceeds the policy's content-length-range or the object size limit.",
            ));
        }
        up.write(&piece).await.map_err(|e| match e {
            WriteError::Full => CosError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                "The memory store is full.",
            ),
            WriteError::Io(e) => io(e),
        })?;
    }
    check_policy(&policy, now, &fields, Some(up.len()))?;
    // The rest of the body (the closing boundary) is read and dropped.
    while form.fill().await? {
        form.buf.clear();
    }
    let crc = up.crc64();
    let etag = format!(
        "\"{}\"",
        up.commit(&state.store, state.now()).await.map_err(io)?
    );
    let location = format!(
        "http://{}/{}",
        ctx.resource.split('/').next().unwrap_or(bucket),
        key
    );
    if let Some(redirect) = redirect {
        let sep = if redirect.contains('?') { '&' } else { '?' };
        let target = format!(
            "{redirect}{sep}{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("bucket", bucket)
                .append_pair("key", &key)
                .append_pair("etag", &etag)
                .finish()
        );
        let resp = ctx
            .base(StatusCode::SEE_OTHER)
            .header(
                header::LOCATION,
                HeaderValue::from_str(&target)
                    .map_err(|_| invalid_argument("success_action_redirect is not a valid URL."))?,
            )
            .header(header::ETAG, etag.as_str())
            .header(crc64::HEADER, crc)
            .header(header::CONTENT_LENGTH, 0)
            .body(empty())
            .map_err(|e| CosError::internal(format!("bad response: {e}")))?;
        return Ok((resp, key));
    }
    let mut resp = if status == StatusCode::CREATED {
        let mut x = XmlOut::new("PostResponse");
        x.field("Location", &location)
            .field("Bucket", bucket)
            .field("Key", &key)
            .field("ETag", &etag);
        xml_response(ctx, status, x.finish())
    } else {
        empty_answer(ctx, status)
    };
    if let (Ok(e), Ok(l)) = (
        HeaderValue::from_str(&etag),
        HeaderValue::from_str(&location),
    ) {
        resp.headers_mut().insert(header::ETAG, e);
        resp.headers_mut().insert(header::LOCATION, l);
    }
    Ok((crc64::echo(resp, crc), key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_dispositions_and_dates() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----abc").as_deref(),
            Some("----abc")
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=\"x y\"").as_deref(),
            Some("x y")
        );
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(
            disposition("form-data; name=\"file\"; filename=\"a b.txt\""),
            (Some("file".to_owned()), Some("a b.txt".to_owned()))
        );
        assert_eq!(parse_iso8601("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_iso8601("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_iso8601("2023-13-14T22:13:20Z"), None);
        assert_eq!(parse_iso8601("2023-11-14 22:13:20"), None);
        assert_eq!(parse_iso8601("+2023-11-14T22:13:20Z"), None);
        assert_eq!(parse_iso8601("2023-+11-14T22:13:20Z"), None);
        assert_eq!(parse_iso8601("2023-11-14T22:+13:20Z"), None);
        assert_eq!(parse_iso8601("99999999999999999999-11-14T22:13:20Z"), None);
        assert_eq!(parse_iso8601("9223372036854775807-11-14T22:13:20Z"), None);
    }

    #[test]
    fn policy_conditions() {
        let policy: serde_json::Value = serde_json::from_str(
            r#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[
                {"bucket":"b-1"},["starts-with","$key","up/"],["eq","$Content-Type","text/plain"],
                ["content-length-range",1,10]]}"#,
        )
        .unwrap();
        let mut f: HashMap<String, String> = [
            ("bucket", "b-1"),
            ("key", "up/a"),
            ("content-type", "text/plain"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let now = 1_700_000_000;
        assert!(check_policy(&policy, now, &f, Some(5)).is_ok());
        assert_eq!(
            check_policy(&policy, now, &f, Some(11)).unwrap_err().code,
            "EntityTooLarge"
        );
        assert_eq!(
            check_policy(&policy, now, &f, Some(0)).unwrap_err().code,
            "EntityTooSmall"
        );
        assert_eq!(
            check_policy(&policy, 1_900_000_000, &f, None)
                .unwrap_err()
                .code,
            "AccessDenied"
        );
        f.insert("key".into(), "down/a".into());
        assert_eq!(
            check_policy(&policy, now, &f, None).unwrap_err().code,
            "AccessDenied"
        );
        f.insert("key".into(), "up/a".into());
        f.insert("bucket".into(), "other-1".into());
        assert!(check_policy(&policy, now, &f, None).is_err());
        assert_eq!(max_length(&policy), Some(10));
    }
}
