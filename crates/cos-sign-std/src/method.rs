//! The HTTP methods COS answers on objects and buckets.
//!
//! ```
//! use cos_sign_std::method::Method;
//! let m: Method = "put".parse()?;
//! assert_eq!(m, Method::Put);
//! assert_eq!(m.as_str(), "PUT");
//! assert_eq!(m.to_string(), "PUT");
//! assert_eq!("PATCH".parse::<Method>().unwrap_err().to_string(), "unsupported HTTP method \"PATCH\": COS takes GET, PUT, POST, DELETE, HEAD or OPTIONS");
//! # Ok::<(), cos_sign_std::method::UnsupportedMethod>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// An HTTP method COS supports. It is signed lowercase (`get`), as COS computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Method {
    /// `GET`: download an object, list a bucket.
    #[default]
    Get,
    /// `PUT`: upload an object, set a bucket or object sub-resource.
    Put,
    /// `POST`: form upload, multipart initiate/complete, batch delete.
    Post,
    /// `DELETE`: delete an object or a sub-resource.
    Delete,
    /// `HEAD`: an object's metadata.
    Head,
    /// `OPTIONS`: a CORS pre-flight.
    Options,
}

impl Method {
    /// Every method, in the order of the enum.
    pub const ALL: [Method; 6] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Head,
        Method::Options,
    ];

    /// The method as sent on the wire: `GET`, `PUT`...
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// The method as it is signed (the first line of the HttpString): `get`, `put`...
    pub fn signed_form(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Head => "head",
            Method::Options => "options",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A method name COS does not take (the name, for the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedMethod(pub String);

impl fmt::Display for UnsupportedMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unsupported HTTP method {:?}: COS takes GET, PUT, POST, DELETE, HEAD or OPTIONS",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedMethod {}

impl FromStr for Method {
    type Err = UnsupportedMethod;

    /// Parses a method name in any ASCII case (`get`, `Get`, `GET`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnsupportedMethod(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses() {
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(m.signed_form().parse::<Method>(), Ok(m));
            assert_eq!(m.signed_form(), m.as_str().to_ascii_lowercase());
        }
        assert_eq!(
            "TRACE".parse::<Method>(),
            Err(UnsupportedMethod("TRACE".into()))
        );
        assert_eq!("".parse::<Method>(), Err(UnsupportedMethod(String::new())));
        // no Unicode case folding: the Kelvin sign is not a K
        assert!("GET\u{212A}".parse::<Method>().is_err());
    }
}
