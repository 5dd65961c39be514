//! The client's one error type, [`ClientError`]; a COS error answer is one of its cases,
//! parsed into [`CosError`] (the answer's fields, not a second error type of the client).
//!
//! No error here carries a secret: reqwest errors are stripped of their URL (a pre-signed URL
//! may hold a temporary key's token), and COS's `StringToSign`/`FormatString` hold no secret.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use cos_sign_std::credentials::CredentialsError;

/// An error answer of COS (status ≥ 400), from its XML body when it has one: the payload of
/// [`ClientError::Cos`].
///
/// `HEAD` answers carry no body: a `HEAD` 404 becomes `NoSuchResource` as in qcloud_cos, other
/// bodiless answers take the code from `x-cos-error-code` or else the status reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosError {
    /// The HTTP status.
    pub status: u16,
    /// `Code` (`NoSuchKey`, `SignatureDoesNotMatch`, `AccessDenied`, ...).
    pub code: String,
    /// `Message`.
    pub message: String,
    /// `RequestId` (or the `x-cos-request-id` header).
    pub request_id: Option<String>,
    /// `TraceId` (or the `x-cos-trace-id` header).
    pub trace_id: Option<String>,
    /// `Resource`.
    pub resource: Option<String>,
    /// `StringToSign` of a `SignatureDoesNotMatch`: what COS signed.
    pub string_to_sign: Option<String>,
    /// `FormatString` of a `SignatureDoesNotMatch`: COS's HttpString.
    pub format_string: Option<String>,
    /// The `Date` header of the answer (server time), if any.
    pub date: Option<String>,
}

impl CosError {
    /// Parses an error answer: `status`, the response headers, the body (may be empty), and
    /// whether the request was a `HEAD`.
    pub fn from_response(
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &str,
        head: bool,
    ) -> Self {
        let header = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let fields = xml_fields(body);
        let tag = |t: &str| fields.iter().find(|(p, _)| p == t).map(|(_, v)| v.clone());
        let (code, message) = if let Some(code) = tag("Code") {
            (code, tag("Message").unwrap_or_default())
        } else if head && status == 404 {
            (
                "NoSuchResource".to_owned(),
                "The Resource You Head Not Exist".to_owned(),
            )
        } else if let Some(code) = header("x-cos-error-code") {
            (code, body.trim().to_owned())
        } else {
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Unknown");
            (reason.replace(' ', ""), body.trim().to_owned())
        };
        Self {
            status,
            code,
            message,
            request_id: tag("RequestId").or_else(|| header("x-cos-request-id")),
            trace_id: tag("TraceId").or_else(|| header("x-cos-trace-id")),
            resource: tag("Resource"),
            string_to_sign: tag("StringToSign"),
            format_string: tag("FormatString"),
            date: header("date"),
        }
    }
}

impl fmt::Display for CosError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "COS error {} {}", self.status, printable(&self.code))?;
        if !self.message.is_empty() {
            write!(f, ": {}", printable(&self.message))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {})", printable(id))?;
        }
        Ok(())
    }
}

/// The most characters of an answer's text an error message shows.
const SHOWN: usize = 300;

/// A server's text as an error message shows it: control characters (escape sequences,
/// carriage returns, bells) escaped as `\u{..}`, and at most [`SHOWN`] characters, so that
/// an answer can neither rewrite the terminal nor flood it.
pub(crate) fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == SHOWN {
            out.push_str(&format!("... ({} bytes)", text.len()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl std::error::Error for CosError {}

/// The text of every leaf element of an XML document as `(path, text)`, the path being the
/// element names from the root's child down, joined by `/` (`ListPartsResult` →
/// `Part/ETag`); entities decoded. A malformed document yields what was read before the fault.
pub(crate) fn xml_fields(xml: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Ok(Event::Text(t)) => {
                if let Ok(t) = t.decode() {
                    text.push_str(&t);
                }
            }
            Ok(Event::CData(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Some(v) = r
                    .decode()
                    .ok()
                    .and_then(|n| quick_xml::escape::resolve_predefined_entity(&n))
                {
                    text.push_str(v);
                } else {
                    text.push('&');
                    text.push_str(&String::from_utf8_lossy(&r));
                    text.push(';');
                }
            }
            Ok(Event::End(_)) => {
                if stack.len() > 1 {
                    out.push((stack[1..].join("/"), std::mem::take(&mut text)));
                }
                stack.pop();
                text.clear();
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if !stack.is_empty() {
                    let mut p = stack[1..].to_vec();
                    p.push(name);
                    out.push((p.join("/"), String::new()));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// What timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Connecting (TCP and TLS).
    Connect,
    /// No byte arrived for the read-idle timeout (a stalled answer or body).
    ReadIdle,
    /// The whole request (answer and body) took longer than the request timeout.
    Request,
    /// Waiting for credentials.
    Credentials,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connecting",
            TimeoutKind::ReadIdle => "waiting for data (read-idle timeout)",
            TimeoutKind::Request => "the whole request",
            TimeoutKind::Credentials => "waiting for credentials",
        })
    }
}

/// What a CRC-64 check ([`ClientError::Crc64`]) compared with COS's `x-cos-hash-crc64ecma`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Crc64Check {
    /// The bytes of a download: one GET of the whole object, or the ranges of a parallel
    /// download, combined in order.
    Download,
    /// The bytes of one PUT.
    Upload,
    /// The bytes of this part (its number) of a multipart upload.
    Part(u32),
    /// The whole object of a multipart upload (Complete's answer), from the parts' CRCs in
    /// part order.
    Complete,
}

/// Why a client call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// Signing failed (no credentials, a bad bucket or key...).
    Sign(cos_sign_std::signer::Error),
    /// COS answered with an error.
    Cos(Box<CosError>),
    /// The HTTP exchange failed (connection, timeout, body). The URL is stripped.
    Http(reqwest::Error),
    /// A local file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A URL or request that cannot be signed or sent as given.
    InvalidRequest(String),
    /// The downloaded bytes do not match the object's ETag (MD5).
    Integrity {
        /// The ETag's MD5 (hex).
        expected: String,
        /// The MD5 of the bytes received (hex).
        actual: String,
    },
    /// The CRC-64 COS reports (`x-cos-hash-crc64ecma`) is not the CRC-64 of the bytes sent
    /// or received: corruption on the way, or in storage.
    Crc64 {
        /// What was compared.
        check: Crc64Check,
        /// COS's `x-cos-hash-crc64ecma`.
        cos: u64,
        /// The CRC-64 of the bytes this client sent (an upload) or received (a download).
        local: u64,
    },
    /// No credentials (a provider, or a credentials service, failed).
    Credentials(CredentialsError),
    /// A time limit was exceeded (after the retries the request was eligible for).
    Timeout {
        /// What timed out.
        kind: TimeoutKind,
        /// The limit.
        after: Duration,
    },
    /// The body ended early, or the object has another length than announced.
    Length {
        /// The length announced (`Content-Length`, `Content-Range`).
        expected: u64,
        /// The bytes received.
        actual: u64,
    },
    /// An answer that is neither an error nor what the request asks for: a redirect (not
    /// followed), a success of another kind (a `204` or a `206` to a GET without `Range`), a
    /// range other than the one asked, a body without the field the call needs, or an XML
    /// answer over 8 MiB (not read).
    UnexpectedAnswer {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
    /// A multipart upload failed and was left in place to be resumed (see
    /// `UploadOptions::resume`); without that option it is aborted instead.
    MultipartIncomplete {
        /// The upload id to resume.
        upload_id: String,
        /// Why it stopped.
        source: Box<ClientError>,
    },
}

impl ClientError {
    /// The COS error, when COS answered with one.
    pub fn cos(&self) -> Option<&CosError> {
        match self {
            ClientError::Cos(e) => Some(e),
            ClientError::MultipartIncomplete { source, .. } => source.cos(),
            _ => None,
        }
    }

    /// Whether this is a timeout (of any kind).
    pub fn is_timeout(&self) -> bool {
        match self {
            ClientError::Timeout { .. } => true,
            ClientError::MultipartIncomplete { source, .. } => source.is_timeout(),
            _ => false,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ClientError::Io {
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Sign(e) => write!(f, "cannot sign: {e}"),
            ClientError::Cos(e) => e.fmt(f),
            ClientError::Http(e) => {
                write!(f, "HTTP: {e}")?;
                let mut src = std::error::Error::source(e);
                while let Some(s) = src {
                    write!(f, ": {s}")?;
                    src = s.source();
                }
                Ok(())
            }
            ClientError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ClientError::InvalidRequest(m) => f.write_str(m),
            ClientError::Integrity { expected, actual } => write!(
                f,
                "downloaded bytes have MD5 {actual}, the object's ETag says {expected}"
            ),
            ClientError::Crc64 { check, cos, local } => {
                let (bytes, what) = match check {
                    Crc64Check::Download => ("the bytes received have", "the object"),
                    Crc64Check::Upload => ("the bytes sent have", "the object written"),
                    Crc64Check::Part(_) => ("the bytes sent have", "the part"),
                    Crc64Check::Complete => ("the parts sent have together", "the object"),
                };
                if let Crc64Check::Part(n) = check {
                    write!(f, "part {n}: ")?;
                }
                write!(
                    f,
                    "CRC-64 mismatch: {bytes} CRC-64 {local}, COS's x-cos-hash-crc64ecma \
                     says {cos} for {what}"
                )
            }
            ClientError::Credentials(e) => write!(f, "credentials: {e}"),
            ClientError::Timeout { kind, after } => write!(f, "timed out after {after:?}: {kind}"),
            ClientError::Length { expected, actual } => {
                write!(f, "expected {expected} bytes, got {actual}")
            }
            ClientError::UnexpectedAnswer { status, detail } => {
                write!(
                    f,
                    "unexpected answer (HTTP {status}): {}",
                    printable(detail)
                )
            }
            ClientError::MultipartIncomplete { upload_id, source } => write!(
                f,
                "multipart upload {upload_id} left incomplete (resume it): {source}"
            ),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Sign(e) => Some(e),
            ClientError::Cos(e) => Some(e.as_ref()),
            ClientError::Http(e) => Some(e),
            ClientError::Io { source, .. } => Some(source),
            ClientError::Credentials(e) => Some(e),
            ClientError::MultipartIncomplete { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl From<cos_sign_std::signer::Error> for ClientError {
    fn from(e: cos_sign_std::signer::Error) -> Self {
        match e {
            cos_sign_std::signer::Error::Credentials(c) => ClientError::Credentials(c),
            e => ClientError::Sign(e),
        }
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        ClientError::Http(e.without_url())
    }
}

impl From<CosError> for ClientError {
    fn from(e: CosError) -> Self {
        ClientError::Cos(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cos_xml() {
        let body = "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>SignatureDoesNotMatch</Code>\n\t<Message>The Signature you specified is invalid.</Message>\n\t<Resource>b.cos/a&amp;b</Resource>\n\t<RequestId>rid</RequestId>\n\t<StringToSign>sha1\n1;2\nabc\n</StringToSign>\n\t<FormatString>put\n/a&lt;b&gt;\n\nhost=x\n</FormatString>\n</Error>\n";
        let e = CosError::from_response(403, &Default::default(), body, false);
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.message, "The Signature you specified is invalid.");
        assert_eq!(e.resource.as_deref(), Some("b.cos/a&b"));
        assert_eq!(e.request_id.as_deref(), Some("rid"));
        assert_eq!(e.string_to_sign.as_deref(), Some("sha1\n1;2\nabc\n"));
        assert_eq!(e.format_string.as_deref(), Some("put\n/a<b>\n\nhost=x\n"));
        assert!(e.trace_id.is_none());
    }

    #[test]
    fn head_404_and_bodiless() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-cos-request-id", "r1".parse().unwrap());
        let e = CosError::from_response(404, &h, "", true);
        assert_eq!(e.code, "NoSuchResource");
        assert_eq!(e.request_id.as_deref(), Some("r1"));
        let e = CosError::from_response(403, &h, "", true);
        assert_eq!(e.code, "Forbidden");
        h.insert("x-cos-error-code", "VectorErr".parse().unwrap());
        let e = CosError::from_response(400, &h, "msg", false);
        assert_eq!((e.code.as_str(), e.message.as_str()), ("VectorErr", "msg"));
    }

    #[test]
    fn xml_paths_and_entities() {
        let f = xml_fields(
            "<?xml version='1.0'?><R><A>x &amp; &#65;&#x42; &lt;</A><Part><N>1</N></Part><Part><N>2</N><E/></Part></R>",
        );
        let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            f,
            [
                ("A", "x & AB <"),
                ("Part/N", "1"),
                ("Part", ""),
                ("Part/N", "2"),
                ("Part/E", ""),
                ("Part", "")
            ]
        );
        assert!(xml_fields("not xml <").is_empty());
    }
}
