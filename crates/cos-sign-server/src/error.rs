//! COS-style errors and their XML bodies.

use hyper::StatusCode;

/// One error answer: status, COS code, message, and for `SignatureDoesNotMatch` the strings
/// the server signed.
#[derive(Debug)]
pub(crate) struct CosError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub string_to_sign: Option<String>,
    pub format_string: Option<String>,
    /// A SigV4 refusal: `format_string` holds the canonical request (`CanonicalRequest`).
    pub sigv4: bool,
}

impl CosError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            string_to_sign: None,
            format_string: None,
            sigv4: false,
        }
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    pub fn invalid_access_key_id(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "InvalidAccessKeyId", message)
    }

    pub fn no_such_key() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        )
    }

    pub fn bad_digest() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }

    /// The store failed: `InternalError` naming the I/O error.
    pub fn storage(e: std::io::Error) -> Self {
        Self::internal(format!("storage failed: {e}"))
    }

    /// The XML body.
    pub fn to_xml(&self, resource: &str, request_id: &str, trace_id: &str) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n");
        field(&mut s, "Code", self.code);
        field(&mut s, "Message", &self.message);
        field(&mut s, "Resource", resource);
        field(&mut s, "RequestId", request_id);
        field(&mut s, "TraceId", trace_id);
        if let Some(sts) = &self.string_to_sign {
            field(&mut s, "StringToSign", sts);
        }
        if let Some(fs) = &self.format_string {
            let tag = if self.sigv4 {
                "CanonicalRequest"
            } else {
                "FormatString"
            };
            field(&mut s, tag, fs);
        }
        s.push_str("</Error>\n");
        s
    }
}

fn field(s: &mut String, name: &str, value: &str) {
    s.push('\t');
    s.push('<');
    s.push_str(name);
    s.push('>');
    escape_into(s, value);
    s.push_str("</");
    s.push_str(name);
    s.push_str(">\n");
}

/// XML text escaping. Newlines are kept as they are (COS returns the StringToSign and
/// FormatString with their newlines).
pub(crate) fn escape_into(s: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            // Characters XML 1.0 cannot carry: written as a visible escape instead.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {
                s.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => s.push(c),
        }
    }
}

/// COS's `NotImplemented` answer.
pub(crate) fn not_implemented(what: &str) -> CosError {
    CosError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        format!(
            "A header or query you provided requested a function that is not implemented ({what})."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_and_keeps_newlines() {
        let mut e = CosError::new(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", "m");
        e.format_string = Some("put\n/a&b<c>\n\nhost=x\n".into());
        e.string_to_sign = Some("sha1\n1;2\nabc\n".into());
        let xml = e.to_xml("h/a&b", "rid", "tid");
        assert!(xml.starts_with("<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n"));
        assert!(xml.contains("<Resource>h/a&amp;b</Resource>"));
        assert!(xml.contains("<FormatString>put\n/a&amp;b&lt;c&gt;\n\nhost=x\n</FormatString>"));
        assert!(xml.contains("<StringToSign>sha1\n1;2\nabc\n</StringToSign>"));
        let mut s = String::new();
        escape_into(&mut s, "\u{1}'\"");
        assert_eq!(s, "\\x01&apos;&quot;");
    }
}
