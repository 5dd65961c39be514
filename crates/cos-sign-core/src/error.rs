use core::fmt;

/// Why signing or writing an output failed. Every capacity limit is one of these: nothing is
/// ever truncated or signed partially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// More params than the request's capacity `N` (see [`Request::with_capacity`](crate::Request::with_capacity)).
    TooManyParams {
        /// The capacity.
        max: usize,
    },
    /// More headers than the request's capacity `N`.
    TooManyHeaders {
        /// The capacity.
        max: usize,
    },
    /// A [`Template`](crate::Template) call does not give one value for each open param or
    /// header.
    ValueCount {
        /// `"params"` or `"headers"`.
        list: &'static str,
        /// The template's open values in that list.
        expected: usize,
        /// The values given.
        given: usize,
    },
    /// The output buffer cannot hold the text; nothing usable was written.
    BufferTooSmall {
        /// Bytes the text needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooManyParams { max } => write!(f, "too many params to sign (capacity {max})"),
            Error::TooManyHeaders { max } => write!(f, "too many headers to sign (capacity {max})"),
            Error::ValueCount {
                list,
                expected,
                given,
            } => write!(
                f,
                "the template takes {expected} {list} values, {given} given"
            ),
            Error::BufferTooSmall { needed, available } => {
                write!(
                    f,
                    "output buffer too small: {needed} bytes needed, {available} available"
                )
            }
        }
    }
}

impl core::error::Error for Error {}

/// Why an Authorization (header form or pre-signed query) could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// A required `q-*` field is absent.
    Missing(&'static str),
    /// A `q-*` field appears twice.
    Duplicate(&'static str),
    /// A field is not `name=value`.
    NotAPair,
    /// `q-sign-algorithm` is not `sha1`.
    UnsupportedAlgorithm,
    /// `q-sign-time` or `q-key-time` is not `<start>;<end>` in canonical decimal seconds.
    BadTime(&'static str),
    /// `q-signature` is not 40 hex digits.
    BadSignature,
    /// A `%` escape in a pre-signed query is not followed by two hex digits.
    BadEscape,
    /// A name list has an empty name (`a;;b`).
    EmptyName(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Missing(n) => write!(f, "authorization has no {n}"),
            ParseError::Duplicate(n) => write!(f, "authorization has {n} twice"),
            ParseError::NotAPair => f.write_str("authorization field is not name=value"),
            ParseError::UnsupportedAlgorithm => f.write_str("q-sign-algorithm is not sha1"),
            ParseError::BadTime(n) => write!(f, "{n} is not <start>;<end> in unix seconds"),
            ParseError::BadSignature => f.write_str("q-signature is not 40 hex digits"),
            ParseError::BadEscape => f.write_str("bad percent escape in the query"),
            ParseError::EmptyName(n) => write!(f, "{n} has an empty name"),
        }
    }
}

impl core::error::Error for ParseError {}

/// Why a request did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The Authorization names another secret id (COS: `InvalidAccessKeyId`).
    AccessKeyMismatch,
    /// `now` is before the signature's start time.
    NotYetValid {
        /// Start of the window.
        start: u64,
        /// The time checked.
        now: u64,
    },
    /// `now` is after the signature's end time (COS: `AccessDenied`, request has expired).
    Expired {
        /// End of the window.
        end: u64,
        /// The time checked.
        now: u64,
    },
    /// A header named in `q-header-list` is not in the request (its position in the list).
    MissingHeader(usize),
    /// A param named in `q-url-param-list` is not in the request (its position in the list).
    MissingParam(usize),
    /// The recomputed signature differs (COS: `SignatureDoesNotMatch`).
    SignatureMismatch,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::AccessKeyMismatch => {
                f.write_str("the authorization is for another secret id")
            }
            VerifyError::NotYetValid { start, now } => {
                write!(f, "signature not valid before {start} (now {now})")
            }
            VerifyError::Expired { end, now } => {
                write!(f, "signature expired at {end} (now {now})")
            }
            VerifyError::MissingHeader(i) => {
                write!(f, "header #{i} of q-header-list is not in the request")
            }
            VerifyError::MissingParam(i) => {
                write!(f, "param #{i} of q-url-param-list is not in the request")
            }
            VerifyError::SignatureMismatch => f.write_str("the signature does not match"),
        }
    }
}

impl core::error::Error for VerifyError {}
