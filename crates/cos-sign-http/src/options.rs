//! [`TransferOptions`], the options of a transfer, and COS's part limits they respect.
//!
//! Re-exported from [`transfer`](crate::transfer) and the crate root; a module of its own so
//! that the client and bucket layers below the transfer engines can take options.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::ClientError;

/// A progress callback: `(bytes done, total if known)`, called from the task running the
/// transfer, never decreasing.
pub type ProgressFn<'a> = Box<dyn FnMut(u64, Option<u64>) + Send + 'a>;

/// COS's most parts per upload.
pub const MAX_PARTS: u64 = 10_000;
/// COS's largest part.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// COS's smallest part (but the last).
pub const MIN_PART_SIZE: u64 = 1 << 20;

/// Options of a transfer (all optional): progress, headers, metadata, content type, part
/// size, concurrency, the multipart threshold, resuming.
///
/// ```
/// use cos_sign_http::TransferOptions;
/// let mut seen = 0;
/// let opts = TransferOptions::new()
///     .content_type("text/plain")
///     .metadata("origin", "docs")
///     .header("x-cos-storage-class", "STANDARD_IA")
///     .part_size(8 << 20)
///     .concurrency(8)
///     .progress(|done, _total| seen = done);
/// # drop(opts);
/// ```
pub struct TransferOptions<'a> {
    pub(crate) progress: Option<ProgressFn<'a>>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) content_type: Option<String>,
    pub(crate) part_size: u64,
    pub(crate) concurrency: usize,
    pub(crate) multipart_threshold: u64,
    pub(crate) resume: Option<String>,
    pub(crate) keep_incomplete: bool,
}

/// Whether a header's value is a secret, never to be shown (Debug, logs): the
/// `Authorization` and `Proxy-Authorization`, `Cookie`, the temporary key's
/// `x-cos-security-token`, and the SSE-C customer keys (`x-cos-server-side-encryption-
/// customer-key`, and the copy source's). Names in any case.
pub fn is_secret_header(name: &str) -> bool {
    const SECRET: [&str; 6] = [
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-cos-security-token",
        "x-cos-server-side-encryption-customer-key",
        "x-cos-copy-source-server-side-encryption-customer-key",
    ];
    SECRET.iter().any(|s| s.eq_ignore_ascii_case(name.trim()))
}

/// The headers a transfer sets itself, refused as options (lowercase).
const FRAMING: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "te",
];

/// Headers as Debug shows them: the values of [`is_secret_header`] names as `REDACTED`.
struct Redacted<'a>(&'a [(String, String)]);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| {
                let v = if is_secret_header(k) { "REDACTED" } else { v };
                (k.as_str(), v)
            }))
            .finish()
    }
}

impl fmt::Debug for TransferOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferOptions")
            .field("progress", &self.progress.is_some())
            .field("headers", &Redacted(&self.headers))
            .field("metadata", &self.metadata)
            .field("content_type", &self.content_type)
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("resume", &self.resume)
            .field("keep_incomplete", &self.keep_incomplete)
            .finish()
    }
}

impl Default for TransferOptions<'_> {
    fn default() -> Self {
        Self {
            progress: None,
            headers: Vec::new(),
            metadata: Vec::new(),
            content_type: None,
            part_size: 16 << 20,
            concurrency: 4,
            multipart_threshold: 64 << 20,
            resume: None,
            keep_incomplete: false,
        }
    }
}

impl<'a> TransferOptions<'a> {
    /// The defaults: no progress, 16 MiB parts, 4 at a time, multipart above 64 MiB.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `f(done, total)` as bytes go.
    pub fn progress(mut self, f: impl FnMut(u64, Option<u64>) + Send + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Sends this header (uploads: signed when allow-listed; downloads: with each GET).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Stores `x-cos-meta-<name>: value` with the object (uploads).
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }

    /// The object's `Content-Type` (uploads).
    pub fn content_type(mut self, ct: impl Into<String>) -> Self {
        self.content_type = Some(ct.into());
        self
    }

    /// The part (and range) size; at least 1 MiB, at most 5 GiB.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
        self
    }

    /// How many parts or ranges are in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Files larger than this go multipart (uploads) or by ranges (downloads).
    pub fn multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Continues the multipart upload `upload_id` (from
    /// [`ClientError::MultipartIncomplete`]) instead of starting one.
    pub fn resume(mut self, upload_id: impl Into<String>) -> Self {
        self.resume = Some(upload_id.into());
        self
    }

    /// On failure, keeps the multipart upload for [`resume`](TransferOptions::resume)
    /// instead of aborting it.
    pub fn keep_incomplete(mut self, on: bool) -> Self {
        self.keep_incomplete = on;
        self
    }

    pub(crate) fn progress_mut(&mut self) -> Option<&mut ProgressFn<'a>> {
        self.progress.as_mut()
    }

    /// The headers to send: the given ones, `Content-Type`, and `x-cos-meta-*`.
    pub(crate) fn request_headers(&self) -> Result<HeaderMap, ClientError> {
        let mut h = HeaderMap::new();
        let mut add = |k: &str, v: &str| -> Result<(), ClientError> {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| ClientError::InvalidRequest(format!("bad header name {k:?}")))?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| ClientError::InvalidRequest(format!("bad value for header {k:?}")))?;
            h.append(name, value);
            Ok(())
        };
        for (k, v) in &self.headers {
            add(k, v)?;
        }
        if let Some(ct) = &self.content_type {
            add("content-type", ct)?;
        }
        for (k, v) in &self.metadata {
            add(&format!("x-cos-meta-{k}"), v)?;
        }
        for name in h.keys() {
            // The transfer frames the body and names the host itself: a second
            // Content-Length (or a Transfer-Encoding) would make the request ambiguous, a
            // Host would send it to another bucket than the one signed for.
            if FRAMING.contains(&name.as_str()) {
                return Err(ClientError::InvalidRequest(format!(
                    "the header {name} is the transfer's own (the body's length and the \
                     bucket's host are set by the client), not an option"
                )));
            }
            if h.get_all(name).iter().nth(1).is_some() {
                return Err(ClientError::InvalidRequest(format!(
                    "the header {name} is given twice (COS reads one value)"
                )));
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::TransferOptions;

    #[test]
    fn framing_and_doubled_headers_are_refused() {
        for (name, value) in [
            ("Content-Length", "1"),
            ("transfer-encoding", "chunked"),
            ("Host", "other-1250000000.cos.ap-guangzhou.myqcloud.com"),
            ("Connection", "close"),
        ] {
            let e = TransferOptions::new()
                .header(name, value)
                .request_headers()
                .unwrap_err();
            assert!(e.to_string().contains("the transfer's own"), "{name}: {e}");
        }
        let e = TransferOptions::new()
            .header("Content-Type", "text/plain")
            .content_type("text/html")
            .request_headers()
            .unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
        let e = TransferOptions::new()
            .metadata("a", "1")
            .header("X-Cos-Meta-A", "2")
            .request_headers()
            .unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
        let ok = TransferOptions::new()
            .header("Range", "bytes=0-1")
            .content_type("text/plain")
            .metadata("a", "1")
            .request_headers()
            .unwrap();
        assert_eq!(ok.len(), 3);
    }

    #[test]
    fn debug_shows_no_secret_header() {
        let opts = TransferOptions::new()
            .header("x-cos-security-token", "t0ken")
            .header("Authorization", "auth0r")
            .header("X-Cos-Server-Side-Encryption-Customer-Key", "cust0mer")
            .header(
                "x-cos-copy-source-server-side-encryption-customer-key",
                "c0py",
            )
            .header(
                "x-cos-server-side-encryption-customer-key-MD5",
                "digest-shown",
            )
            .header("x-cos-storage-class", "STANDARD_IA");
        let shown = format!("{opts:?}");
        for secret in ["t0ken", "auth0r", "cust0mer", "c0py"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for kept in ["digest-shown", "STANDARD_IA", "REDACTED"] {
            assert!(shown.contains(kept), "{kept} not in {shown}");
        }
    }
}
