//! Server-side encryption headers: SSE-COS (`x-cos-server-side-encryption: AES256`) is kept
//! with the object and sent back where COS sends it back; the bytes are stored as they came
//! (this is a local test server: nothing is encrypted at rest, the header only says what a
//! client asked for). SSE-KMS (`cos/kms`) and SSE-C (`x-cos-server-side-encryption-customer-*`)
//! are 501 `NotImplemented`: there is no KMS here, and COS takes customer keys over HTTPS
//! only, which this server does not speak; storing such an object in clear while a client
//! believes its key protects it would be worse than refusing it.
//!
//! COS sends the header back on PUT Object, GET and HEAD Object, Initiate Multipart Upload,
//! Upload Part, Complete Multipart Upload and PUT Object - Copy. A copy is encrypted only
//! when the copy request asks for it, whatever its metadata directive (PUT Object - Copy,
//! <https://cloud.tencent.com/document/product/436/10881>).

use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};

use super::error::{CosError, not_implemented};

/// The request and response header of SSE-COS, and the name it is stored under.
pub(crate) const SSE_HEADER: &str = "x-cos-server-side-encryption";
/// The one algorithm of SSE-COS.
pub(crate) const AES256: &str = "AES256";
/// SSE-KMS's value of [`SSE_HEADER`].
const KMS: &str = "cos/kms";
/// The headers of SSE-C (customer keys), for an upload and for a copy's source.
const CUSTOMER_HEADERS: [&str; 6] = [
    "x-cos-server-side-encryption-customer-algorithm",
    "x-cos-server-side-encryption-customer-key",
    "x-cos-server-side-encryption-customer-key-md5",
    "x-cos-copy-source-server-side-encryption-customer-algorithm",
    "x-cos-copy-source-server-side-encryption-customer-key",
    "x-cos-copy-source-server-side-encryption-customer-key-md5",
];

/// The encryption an upload asks for (`get` looks a header up by its lowercase name):
/// `Some(AES256)` for SSE-COS, `None` for none (an empty header is none); SSE-KMS and SSE-C
/// are 501, another value 400 `InvalidArgument`.
pub(crate) fn requested<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
) -> Result<Option<&'static str>, CosError> {
    if CUSTOMER_HEADERS.iter().any(|n| get(n).is_some()) {
        return Err(not_implemented(
            "server-side encryption with customer keys (SSE-C): COS takes them over HTTPS only, this server speaks HTTP",
        ));
    }
    match get(SSE_HEADER).map(str::trim) {
        None | Some("") => Ok(None),
        Some(AES256) => Ok(Some(AES256)),
        Some(KMS) => Err(not_implemented(
            "server-side encryption with KMS keys (cos/kms): this server has no KMS; use AES256",
        )),
        Some(_) => Err(CosError::new(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "The x-cos-server-side-encryption value must be AES256 or cos/kms.",
        )),
    }
}

/// Whether stored headers say the object was uploaded with SSE-COS.
pub(crate) fn is_encrypted(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(n, v)| n == SSE_HEADER && v == AES256)
}

/// Adds `x-cos-server-side-encryption: AES256` to an answer when `encrypted`.
pub(crate) fn echo<B>(mut resp: Response<B>, encrypted: bool) -> Response<B> {
    if encrypted {
        resp.headers_mut()
            .insert(SSE_HEADER, HeaderValue::from_static(AES256));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(pairs: &[(&str, &str)]) -> Result<Option<&'static str>, &'static str> {
        let get = |n: &str| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        requested(get).map_err(|e| e.code)
    }

    #[test]
    fn what_an_upload_may_ask_for() {
        assert_eq!(ask(&[]), Ok(None));
        assert_eq!(ask(&[(SSE_HEADER, "")]), Ok(None));
        assert_eq!(ask(&[(SSE_HEADER, "AES256")]), Ok(Some(AES256)));
        assert_eq!(ask(&[(SSE_HEADER, "cos/kms")]), Err("NotImplemented"));
        assert_eq!(ask(&[(SSE_HEADER, "aes256")]), Err("InvalidArgument"));
        assert_eq!(ask(&[(SSE_HEADER, "SM4")]), Err("InvalidArgument"));
        for name in CUSTOMER_HEADERS {
            assert_eq!(ask(&[(name, "x")]), Err("NotImplemented"), "{name}");
        }
    }
}
