//! Errors of the HTTP client: COS error answers parsed into [`CosError`], and the client's
//! own failures in [`Error`].
//!
//! No error here carries a secret: reqwest errors are stripped of their URL (a pre-signed URL
//! may hold a temporary key's token), and COS's `StringToSign`/`FormatString` hold no secret.

use std::fmt;
use std::path::PathBuf;

/// An error answer of COS (status ≥ 400), from its XML body when it has one.
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
        let tag = |t: &str| xml_tag(body, t);
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
        write!(f, "COS error {} {}", self.status, self.code)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CosError {}

/// The text of the first `<tag>...</tag>` of a simple XML document, entities decoded.
pub(crate) fn xml_tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(xml_unescape(&xml[start..start + len]))
}

/// Decodes the five XML entities and numeric character references.
fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .or_else(|| ent.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Why a client call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
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
    /// A credentials service (CVM metadata, STS) failed.
    Credentials(String),
}

impl Error {
    /// The COS error, when COS answered with one.
    pub fn cos(&self) -> Option<&CosError> {
        match self {
            Error::Cos(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sign(e) => write!(f, "cannot sign: {e}"),
            Error::Cos(e) => e.fmt(f),
            Error::Http(e) => {
                write!(f, "HTTP: {e}")?;
                let mut src = std::error::Error::source(e);
                while let Some(s) = src {
                    write!(f, ": {s}")?;
                    src = s.source();
                }
                Ok(())
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::InvalidRequest(m) => f.write_str(m),
            Error::Integrity { expected, actual } => write!(
                f,
                "downloaded bytes have MD5 {actual}, the object's ETag says {expected}"
            ),
            Error::Credentials(m) => write!(f, "credentials service: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Sign(e) => Some(e),
            Error::Cos(e) => Some(e.as_ref()),
            Error::Http(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<cos_sign_std::signer::Error> for Error {
    fn from(e: cos_sign_std::signer::Error) -> Self {
        Error::Sign(e)
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Http(e.without_url())
    }
}

impl From<CosError> for Error {
    fn from(e: CosError) -> Self {
        Error::Cos(Box::new(e))
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
    fn unescape_edge_cases() {
        assert_eq!(
            xml_unescape("a&b &#65;&#x42; &bogus; &"),
            "a&b AB &bogus; &"
        );
    }
}
