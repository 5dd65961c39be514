//! COS's `x-cos-hash-crc64ecma` on the client side: the CRC-64/XZ (decimal) COS sends on
//! the answers to PUT, Upload Part, Complete, GET and HEAD, read from an answer and compared
//! with the CRC-64 ([`cos_sign_core::crc64`]) of the bytes sent or received. An answer
//! without it (an older server, an object stored before COS kept CRCs) is not checked.

use std::sync::{Arc, Mutex, PoisonError};

use cos_sign_core::crc64::Crc64;
use md5::{Digest, Md5};
use reqwest::header::HeaderMap;

use crate::error::{ClientError, Crc64Check};

/// The header's name.
pub(crate) const HEADER: &str = "x-cos-hash-crc64ecma";

/// The CRC-64 an answer (`status`, `headers`) reports, if it has the header.
///
/// # Errors
/// [`ClientError::UnexpectedAnswer`] when the header is there but not a decimal `u64`
/// (COS's CRC cannot then be checked, and is not taken as absent).
pub(crate) fn reported(status: u16, headers: &HeaderMap) -> Result<Option<u64>, ClientError> {
    let Some(v) = headers.get(HEADER) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .map(Some)
        .ok_or_else(|| ClientError::UnexpectedAnswer {
            status,
            detail: format!(
                "{HEADER} {:?} is not a decimal CRC-64",
                String::from_utf8_lossy(v.as_bytes())
            ),
        })
}

/// Compares COS's CRC (`cos`, if reported) with `local`: whether it was checked.
///
/// # Errors
/// [`ClientError::Crc64`] when they differ.
pub(crate) fn compare(
    check: Crc64Check,
    cos: Option<u64>,
    local: u64,
) -> Result<bool, ClientError> {
    match cos {
        Some(cos) if cos != local => Err(ClientError::Crc64 { check, cos, local }),
        cos => Ok(cos.is_some()),
    }
}

/// Checks the CRC an answer reports against `local`: whether it was checked.
///
/// # Errors
/// As [`reported`] and [`compare`].
pub(crate) fn check_answer(
    check: Crc64Check,
    resp: &reqwest::Response,
    local: u64,
) -> Result<bool, ClientError> {
    compare(
        check,
        reported(resp.status().as_u16(), resp.headers())?,
        local,
    )
}

/// The digests of a body taken as it is streamed out: its CRC-64 always, its MD5 when asked
/// (a part, whose ETag is its MD5).
#[derive(Debug, Clone)]
pub(crate) struct BodyHash {
    md5: Option<Md5>,
    crc: Crc64,
}

/// A [`BodyHash`] shared with the body stream that feeds it.
pub(crate) type SharedHash = Arc<Mutex<BodyHash>>;

impl BodyHash {
    /// Empty digests; the MD5 too when `md5`.
    pub(crate) fn new(md5: bool) -> Self {
        Self {
            md5: md5.then(Md5::new),
            crc: Crc64::new(),
        }
    }

    /// A shared one.
    pub(crate) fn shared(md5: bool) -> SharedHash {
        Arc::new(Mutex::new(Self::new(md5)))
    }

    /// Starts again (a retried request sends the bytes again).
    pub(crate) fn reset(shared: &SharedHash) {
        let mut h = shared.lock().unwrap_or_else(PoisonError::into_inner);
        *h = Self::new(h.md5.is_some());
    }

    /// A copy of the digests so far.
    pub(crate) fn snapshot(shared: &SharedHash) -> Self {
        shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        if let Some(m) = &mut self.md5 {
            m.update(data);
        }
        self.crc.update(data);
    }

    /// The MD5 (hex), if it was taken.
    pub(crate) fn md5_hex(&self) -> Option<String> {
        self.md5.clone().map(|m| crate::hex(&m.finalize()))
    }

    /// The CRC-64.
    pub(crate) fn crc64(&self) -> u64 {
        self.crc.value()
    }
}

/// `chunks` as a request body, each chunk fed to `hash` as it goes out.
pub(crate) fn hashed_body<S, E>(chunks: S, hash: SharedHash) -> reqwest::Body
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    use futures_util::StreamExt;
    reqwest::Body::wrap_stream(chunks.map(move |item| {
        if let Ok(chunk) = &item {
            hash.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .update(chunk);
        }
        item
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_values() {
        let mut h = HeaderMap::new();
        assert_eq!(reported(200, &h).unwrap(), None);
        h.insert(HEADER, "18446744073709551615".parse().unwrap());
        assert_eq!(reported(200, &h).unwrap(), Some(u64::MAX));
        for bad in ["", "+1", "-1", "0x10", "18446744073709551616", "1 2"] {
            h.insert(HEADER, bad.parse().unwrap());
            assert!(
                matches!(
                    reported(200, &h),
                    Err(ClientError::UnexpectedAnswer { status: 200, .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn compared() {
        assert!(!compare(Crc64Check::Upload, None, 5).unwrap());
        assert!(compare(Crc64Check::Upload, Some(5), 5).unwrap());
        let e = compare(Crc64Check::Part(3), Some(6), 5).unwrap_err();
        assert!(matches!(
            e,
            ClientError::Crc64 {
                check: Crc64Check::Part(3),
                cos: 6,
                local: 5
            }
        ));
        assert_eq!(
            e.to_string(),
            "part 3: CRC-64 mismatch: the bytes sent have CRC-64 5, COS's \
             x-cos-hash-crc64ecma says 6 for the part"
        );
    }

    #[test]
    fn body_hash_takes_md5_when_asked() {
        let mut h = BodyHash::new(true);
        h.update(b"hel");
        h.update(b"lo");
        assert_eq!(
            h.md5_hex().as_deref(),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(h.crc64(), 11_177_612_005_948_864_433);
        let shared = Arc::new(Mutex::new(h));
        BodyHash::reset(&shared);
        let h = BodyHash::snapshot(&shared);
        assert_eq!((h.crc64(), h.md5_hex().is_some()), (0, true));
        assert_eq!(BodyHash::new(false).md5_hex(), None);
    }
}
