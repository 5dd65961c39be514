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
    /// A value the caller could not convert (marked by [`SdkCall::failed`](crate::SdkCall))
    /// fails here, no check of the SDK failing before it: the caller raises its own error.
    Conversion,
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
            ErrorKind::Conversion => "Conversion",
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
    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TypeError, message)
    }
    /// [`ErrorKind::Conversion`]: the caller's own error stands.
    pub fn conversion() -> Self {
        Self::new(ErrorKind::Conversion, "")
    }
    /// The SDK's `to_bytes` of a `str` with a lone surrogate.
    pub fn unencodable() -> Self {
        Self::client("your unicode strings can not encoded in utf8, utf8 support only!")
    }
    /// The SDK's `to_unicode` of `bytes` that are not UTF-8.
    pub fn undecodable() -> Self {
        Self::client("your bytes strings can not be decoded in utf8, utf8 support only!")
    }
    /// `bytes` that are not UTF-8 as a header or param (the SDK would sign them mangled).
    pub fn bad_bytes() -> Self {
        Self::refused("bytes that are not valid UTF-8 in a header or param are refused by cos_sign")
    }
    /// A key (`path`) of another type than `str`/`bytes`: the SDK's `path[0]`.
    pub fn not_subscriptable(type_name: &str) -> Self {
        Self::type_error(format!("'{type_name}' object is not subscriptable"))
    }
    /// `str.lower(name)` of a header name that is not a `str` (`filter_headers`).
    pub fn lower_descriptor(type_name: &str) -> Self {
        Self::type_error(format!(
            "descriptor 'lower' for 'str' objects doesn't apply to a '{type_name}' object"
        ))
    }
    /// `data[name]` of `Headers` that are an iterable of names, not a mapping.
    pub fn str_indices(type_name: &str) -> Self {
        Self::type_error(format!(
            "{type_name} indices must be integers or slices, not str"
        ))
    }
    /// `'...'.endswith` of a secret of another type than `str`/`bytes`.
    pub fn no_endswith(type_name: &str) -> Self {
        Self::new(
            ErrorKind::AttributeError,
            format!("'{type_name}' object has no attribute 'endswith'"),
        )
    }
    /// `int + Expired` for an `Expired` of another type than `int` (or `__index__`).
    pub fn expired_type(type_name: &str) -> Self {
        Self::type_error(format!(
            "unsupported operand type(s) for +: 'int' and '{type_name}'"
        ))
    }
    /// An `Expired` that is a float (refused: the SDK would sign a non-integer key time).
    pub fn expired_not_integer() -> Self {
        Self::refused("an Expired that is not an integer is refused by cos_sign")
    }
    /// An `Expired` beyond 64 bits.
    pub fn expired_too_big() -> Self {
        Self::refused("an Expired beyond 64 bits is refused by cos_sign")
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
