//! The errors of the SDK calls: the Python exception class ([`ErrorKind`]) and the message.

use std::fmt;

use cos_sign_std::config::ConfigError;

/// The exception an error is raised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `qcloud_cos.cos_exception.CosClientError`: a refusal the SDK makes too, with its message.
    CosClientError,
    /// A refusal qcloud_cos 1.9.44 does not make (raised as `cos_sign.CosRefusedError`, a
    /// subclass of `CosClientError`): a value that would move or break the host, a key time
    /// out of range, too many params or headers, bytes that are not UTF-8.
    Refused,
    /// `ValueError` (`urlsplit`'s "Invalid IPv6 URL", the pre-signed URL's dict split).
    ValueError,
    /// `TypeError` (`hmac.new` without a secret key, a header name that is not a `str`).
    TypeError,
    /// `AttributeError` (`set_credential` without a token).
    AttributeError,
}

impl ErrorKind {
    /// The Python class name.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::CosClientError => "CosClientError",
            ErrorKind::Refused => "CosRefusedError",
            ErrorKind::ValueError => "ValueError",
            ErrorKind::TypeError => "TypeError",
            ErrorKind::AttributeError => "AttributeError",
        }
    }
}

/// An error as the SDK would raise it: the exception class and its message (`str(exc)`).
/// Messages never contain secret keys or tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdkError {
    /// The exception class.
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
    /// For a pre-signed URL that failed after its signature was made (an anonymous config's
    /// `""`, a SecretId holding `&`): the Authorization the SDK's inner `get_auth` returned,
    /// which it wrote into the caller's `Headers` before failing.
    pub authorization: Option<String>,
}

impl SdkError {
    /// An error of this kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            authorization: None,
        }
    }
    /// A `CosClientError`.
    pub fn client(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::CosClientError, message)
    }
    /// A refusal qcloud_cos does not make.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Refused, message)
    }
    /// A `ValueError`.
    pub fn value(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ValueError, message)
    }
}

impl fmt::Display for SdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for SdkError {}

impl From<ConfigError> for SdkError {
    /// The SDK's own refusals keep their kind; the host refusals std adds are [`ErrorKind::Refused`].
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::Sdk(m) => SdkError::client(m),
            other => SdkError::refused(other.to_string()),
        }
    }
}
