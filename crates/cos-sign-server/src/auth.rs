//! Verifying a request as COS does.

use std::borrow::Cow;
use std::time::UNIX_EPOCH;

use cos_sign_core::{ParseError, ParsedAuthorization, Request, VerifyError};
use hyper::header::{AUTHORIZATION, HeaderMap};

use super::State;
use super::error::CosError;

/// The `q-*` fields of a pre-signed URL: not part of the request's own params.
const SIGNATURE_PARAMS: [&str; 7] = [
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
];

const TOKEN: &str = "x-cos-security-token";

/// The request as received, in the shape the signature check needs.
pub(crate) struct View<'a> {
    /// The method as received.
    pub method: &'a str,
    /// The percent-decoded path (`/` + key).
    pub path: &'a str,
    /// The raw query string (after `?`), if any.
    pub raw_query: &'a str,
    /// All headers as received; `host` added from an absolute-form target when absent.
    pub headers: &'a HeaderMap,
    /// The authority of an absolute-form target, if any.
    pub authority: Option<&'a str>,
}

/// Decodes a query string as `application/x-www-form-urlencoded` (`+` is a space), without
/// the `q-*` signature fields.
pub(crate) fn query_params(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .filter(|(k, _)| !SIGNATURE_PARAMS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn is_presigned(raw_query: &str) -> bool {
    form_urlencoded::parse(raw_query.as_bytes())
        .any(|(k, _)| SIGNATURE_PARAMS.contains(&k.as_ref()))
}

/// Checks the request's signature. `Ok(secret_id)` when it verifies.
pub(crate) fn authenticate(state: &State, v: &View<'_>) -> Result<String, CosError> {
    let header_auth = v
        .headers
        .get(AUTHORIZATION)
        .map(|h| String::from_utf8_lossy(h.as_bytes()))
        .filter(|h| !h.trim().is_empty());
    let (auth_text, presigned): (Cow<'_, str>, bool) = match header_auth {
        Some(h) => (h, false),
        None if is_presigned(v.raw_query) => (Cow::Borrowed(v.raw_query), true),
        None => return Err(CosError::access_denied("Access Denied.")),
    };
    let auth = if presigned {
        ParsedAuthorization::from_query(&auth_text)
    } else {
        ParsedAuthorization::parse(&auth_text)
    }
    .map_err(malformed)?;

    let mut id_buf = [0u8; 512];
    let secret_id = auth.secret_id_into(&mut id_buf).map_err(|_| {
        CosError::invalid_access_key_id("The access key Id format you provided is invalid.")
    })?;
    let secret_id = String::from_utf8_lossy(secret_id).into_owned();
    let Some(cred) = state.credentials.get(&secret_id) else {
        return Err(CosError::invalid_access_key_id(
            "The Access Key Id you provided does not exist in our records.",
        ));
    };

    // Headers and params exactly as received.
    let header_pairs: Vec<(String, String)> = {
        let mut pairs: Vec<(String, String)> = v
            .headers
            .iter()
            .map(|(n, val)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(val.as_bytes()).into_owned(),
                )
            })
            .collect();
        if !v.headers.contains_key(hyper::header::HOST)
            && let Some(a) = v.authority
        {
            pairs.push(("host".to_owned(), a.to_owned()));
        }
        pairs
    };
    let param_pairs = query_params(v.raw_query);

    if let Some(expected) = &cred.token {
        let got = v
            .headers
            .get(TOKEN)
            .map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned())
            .or_else(|| {
                param_pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| k == TOKEN)
                    .map(|(_, t)| t.clone())
            });
        match got {
            None => {
                return Err(CosError::invalid_access_key_id(
                    "The temporary Access Key Id needs its x-cos-security-token.",
                ));
            }
            Some(t) if !constant_time_eq(t.as_bytes(), expected.as_bytes()) => {
                return Err(CosError::access_denied("The security token is invalid."));
            }
            Some(_) => {}
        }
    }

    let headers: Vec<(&str, &str)> = header_pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let params: Vec<(&str, &str)> = param_pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = Request::new(v.method, v.path)
        .params(&params)
        .headers(&headers);
    let now = state
        .now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match auth.verify(&req, &secret_id, cred.secret_key.as_bytes(), now) {
        Ok(()) => Ok(secret_id),
        Err(VerifyError::AccessKeyMismatch) => Err(CosError::invalid_access_key_id(
            "The Access Key Id you provided does not exist in our records.",
        )),
        Err(VerifyError::Expired { .. }) => Err(CosError::access_denied("Request has expired")),
        Err(VerifyError::NotYetValid { .. }) => Err(CosError::new(
            hyper::StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
        )),
        Err(_) => {
            let mut e = CosError::new(
                hyper::StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "The Signature you specified is invalid.",
            );
            e.string_to_sign = Some(auth.string_to_sign(&req).to_string());
            e.format_string = Some(auth.http_string(&req).to_string());
            Err(e)
        }
    }
}

fn malformed(e: ParseError) -> CosError {
    CosError::new(
        hyper::StatusCode::BAD_REQUEST,
        "InvalidArgument",
        format!("Authorization is malformed: {e}"),
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_decode_as_forms_and_drop_signature_fields() {
        let p = query_params(
            "q-sign-algorithm=sha1&q-ak=AK&a=b+c%2Bd&x-cos-security-token=t%3D&acl&q-signature=00",
        );
        assert_eq!(
            p,
            vec![
                ("a".to_owned(), "b c+d".to_owned()),
                ("x-cos-security-token".to_owned(), "t=".to_owned()),
                ("acl".to_owned(), String::new()),
            ]
        );
        assert!(is_presigned("a=1&q-ak=x"));
        assert!(!is_presigned("a=1&q-akx=x"));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
