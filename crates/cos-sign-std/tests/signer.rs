//! The Rust signer's output checked by cos-sign-core's verifier (an independent code path:
//! parse, rebuild from the request as a server receives it, recompute, compare),.
//! (Its agreement with the official SDK is checked in cos-sign-qcloud's tests.)

use std::time::Duration;

use cos_sign_core::{ParsedAuthorization, Request, VerifyError};
use cos_sign_std::clock::Clock;
use cos_sign_std::config::ConfigError;
use cos_sign_std::config::Endpoint;
use cos_sign_std::credentials::{Credentials, StaticProvider};
use cos_sign_std::method::Method;
use cos_sign_std::signer::{Error, SignOptions, Signer, TOKEN_NAME};

const NOW: i64 = 1_700_000_000;
const ID: &str = "AKIDexampleid";
const KEY: &str = "examplesecretkey";
const BUCKET: &str = "examplebucket-1250000000";
const HOST: &str = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com";

fn signer(token: Option<&str>) -> Signer {
    let mut c = Credentials::new(ID, KEY);
    if let Some(t) = token {
        c = c.with_token(t);
    }
    Signer::new(
        StaticProvider::new(c),
        Endpoint::from_region("ap-beijing").unwrap(),
    )
    .with_clock(Clock::fixed(NOW))
}

/// Percent-decodes a query component (`+` is a space).
fn unquote_plus(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Splits a URL into (decoded path, query string, decoded query pairs).
fn split_url(url: &str) -> (String, String, Vec<(String, String)>) {
    let rest = url.split_once("://").unwrap().1;
    let path_q = &rest[rest.find('/').unwrap()..];
    let (path, query) = path_q.split_once('?').unwrap();
    let pairs = query
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unquote_plus(k), unquote_plus(v))
        })
        .collect();
    (
        unquote_plus(&path.replace('+', "%2B")),
        query.to_owned(),
        pairs,
    )
}

fn verify_url(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    now: i64,
) -> Result<(), VerifyError> {
    let (path, query, pairs) = split_url(url);
    let params: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let auth = ParsedAuthorization::from_query(&query).expect("q-* params parse");
    let req = Request::new(method, &path).params(&params).headers(headers);
    auth.verify(&req, ID, KEY.as_bytes(), u64::try_from(now).unwrap())
}

#[test]
fn presigned_url_verifies_and_tampering_fails() {
    let s = signer(None);
    let opts = SignOptions::default()
        .param("response-content-type", "text/plain; charset=utf-8")
        .header("Content-Type", "image/png")
        .header("User-Agent", "not signed");
    let url = s
        .presign(Method::Put, BUCKET, "dir/a b+c./d", &opts)
        .unwrap()
        .url;
    assert!(url.starts_with(&format!("https://{HOST}/dir/a%20b%2Bc.%2Fd?q-sign-algorithm=sha1&q-ak={ID}&q-sign-time=1699999940%3B1700000300&")));
    let headers = [
        ("Host", HOST),
        ("Content-Type", "image/png"),
        ("User-Agent", "curl"),
    ];
    assert_eq!(verify_url(&url, "PUT", &headers, NOW), Ok(()));
    assert!(url.contains("q-header-list=content-type%3Bhost&"), "{url}");
    // Another method, header value, param value, time: refused.
    assert!(verify_url(&url, "GET", &headers, NOW).is_err());
    let bad = [("Host", HOST), ("Content-Type", "image/jpeg")];
    assert_eq!(
        verify_url(&url, "PUT", &bad, NOW),
        Err(VerifyError::SignatureMismatch)
    );
    let tampered = url.replace("charset%3Dutf-8", "charset%3Dutf-7");
    assert_eq!(
        verify_url(&tampered, "PUT", &headers, NOW),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(
        verify_url(&url, "PUT", &headers, NOW + 301),
        Err(VerifyError::Expired {
            end: 1_700_000_300,
            now: 1_700_000_301
        })
    );
}

#[test]
fn token_is_added_and_signed() {
    let s = signer(Some("tok/en+=&"));
    let url = s
        .presign(Method::Get, BUCKET, "a.txt", &SignOptions::default())
        .unwrap()
        .url;
    assert!(
        url.contains("q-url-param-list=x-cos-security-token&"),
        "{url}"
    );
    assert!(
        url.ends_with("&x-cos-security-token=tok%2Fen%2B%3D%26"),
        "{url}"
    );
    let headers = [("host", HOST)];
    assert_eq!(verify_url(&url, "GET", &headers, NOW), Ok(()));
    let swapped = url.replace("tok%2Fen", "tok%2Fem");
    assert_eq!(
        verify_url(&swapped, "GET", &headers, NOW),
        Err(VerifyError::SignatureMismatch)
    );
    let dropped = url.replace("&x-cos-security-token=tok%2Fen%2B%3D%26", "");
    assert!(verify_url(&dropped, "GET", &headers, NOW).is_err());

    // Header form: the token header is listed and signed.
    let auth = s
        .authorization(Method::Get, BUCKET, "a.txt", &SignOptions::default())
        .unwrap();
    assert!(
        auth.contains("&q-header-list=host;x-cos-security-token&"),
        "{auth}"
    );
    let parsed = ParsedAuthorization::parse(&auth).unwrap();
    let ok = [("Host", HOST), (TOKEN_NAME, "tok/en+=&")];
    let req = Request::new("GET", "/a.txt").headers(&ok);
    assert_eq!(
        parsed.verify(&req, ID, KEY.as_bytes(), 1_700_000_000),
        Ok(())
    );
    let bad = [("Host", HOST), (TOKEN_NAME, "other")];
    let req = Request::new("GET", "/a.txt").headers(&bad);
    assert_eq!(
        parsed.verify(&req, ID, KEY.as_bytes(), 1_700_000_000),
        Err(VerifyError::SignatureMismatch)
    );

    // Turned off: no token anywhere, same as the SDK.
    let off = SignOptions::default().add_token(false);
    let url = s.presign(Method::Get, BUCKET, "a.txt", &off).unwrap().url;
    assert!(!url.contains("security-token"), "{url}");
}

#[test]
fn sign_parts_signs_the_full_request() {
    let s = signer(Some("tkn"));
    let params = [("partNumber", "1"), ("uploadId", "u")];
    let headers = [
        ("Content-Length", "5"),
        ("User-Agent", "x"),
        ("x-cos-meta-a", "b"),
    ];
    let parts = s
        .sign_parts_for(
            Method::Put,
            "/a/b.txt",
            Some(HOST),
            &params,
            &headers,
            Duration::from_secs(300),
        )
        .unwrap();
    assert_eq!(parts.token.as_deref(), Some("tkn"));
    let parsed = ParsedAuthorization::parse(&parts.authorization).unwrap();
    let sent = [
        ("Content-Length", "5"),
        ("User-Agent", "x"),
        ("x-cos-meta-a", "b"),
        ("Host", HOST),
        (TOKEN_NAME, "tkn"),
    ];
    let req = Request::new("PUT", "/a/b.txt")
        .params(&params)
        .headers(&sent);
    assert_eq!(
        parsed.verify(&req, ID, KEY.as_bytes(), 1_700_000_000),
        Ok(())
    );
    assert!(
        parts
            .authorization
            .contains("q-header-list=content-length;host;x-cos-meta-a;x-cos-security-token&")
    );
    assert!(
        parts
            .authorization
            .contains("q-url-param-list=partnumber;uploadid&")
    );
    assert!(!format!("{parts:?}").contains("tkn"));
}

#[test]
fn signing_keys_are_reused_within_a_key_time() {
    let s = signer(None);
    let o = SignOptions::default();
    for _ in 0..10 {
        s.presign(Method::Get, BUCKET, "a", &o).unwrap();
        s.authorization(Method::Put, BUCKET, "b", &o).unwrap();
    }
    assert_eq!(s.cached_keys(), 1);
    s.presign(
        Method::Get,
        BUCKET,
        "a",
        &o.clone().expires(Duration::from_secs(60)),
    )
    .unwrap();
    assert_eq!(s.cached_keys(), 2);
    // The skew moves the window: a new key, and the signature follows the corrected time.
    s.clock().set_skew(100);
    let url = s.presign(Method::Get, BUCKET, "a", &o).unwrap().url;
    assert!(url.contains("q-sign-time=1700000040%3B1700000400"), "{url}");
    assert_eq!(s.cached_keys(), 3);
    for i in 0..10 {
        s.clock().set_skew(200 + i);
        s.presign(Method::Get, BUCKET, "a", &o).unwrap();
    }
    assert!(s.cached_keys() <= 4, "the cache is bounded");
}

#[test]
fn refusals() {
    let s = signer(None);
    let o = SignOptions::default();
    let illegal =
        ConfigError::Sdk("bucket format is illegal, only digit, letter and - is allowed!");
    assert_eq!(
        s.presign(Method::Get, "a/b", "k", &o),
        Err(Error::Config(illegal.clone()))
    );
    assert_eq!(
        s.presign(Method::Get, "ab\n", "k", &o),
        Err(Error::Config(illegal))
    );
    assert_eq!(
        s.presign(Method::Get, BUCKET, "", &o),
        Err(Error::Config(ConfigError::Sdk("Key is required not empty")))
    );
    let mut many = SignOptions::default();
    many.params = (0..5000)
        .map(|i| (format!("p{i}"), String::new()))
        .collect();
    assert_eq!(
        s.presign(Method::Get, BUCKET, "k", &many),
        Err(Error::Sign(cos_sign_core::Error::TooManyParams {
            max: 4096
        }))
    );
    let mut some = SignOptions::default();
    some.params = (0..600).map(|i| (format!("p{i}"), String::new())).collect();
    let url = s.presign(Method::Get, BUCKET, "k", &some).unwrap().url;
    assert_eq!(verify_url(&url, "GET", &[("host", HOST)], NOW), Ok(()));
}

#[test]
fn many_threads_share_a_signer() {
    let s = std::sync::Arc::new(signer(Some("t")));
    let want = s
        .presign(Method::Get, BUCKET, "x", &SignOptions::default())
        .unwrap()
        .url;
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            let want = want.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    assert_eq!(
                        s.presign(Method::Get, BUCKET, "x", &SignOptions::default())
                            .unwrap()
                            .url,
                        want
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Python's `quote_plus(s, safe='')`, byte by byte.
fn quote_plus(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Pre-signed URLs with params, signed over and over in a few shapes (so through the
/// signer's cached templates, and before them whole): each verifies, and its params follow
/// the `q-*` pairs as `quote_plus` writes them.
#[test]
fn presigned_params_in_repeated_shapes() {
    let s = signer(None);
    let values = ["", "1", "a b", "x;y=z&w", "资料/ü", "%41+", "~-_."];
    let names = ["response-content-type", "uploadId", "a b", "é"];
    let mut seed = 7u32;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize % n
    };
    let headers = [("Host", HOST), ("Content-Type", "text/plain")];
    for round in 0..300 {
        let mut opts = SignOptions::default().header("Content-Type", "text/plain");
        let mut want = String::new();
        for i in 0..=round / 10 % 3 {
            let (k, v) = (
                names[(i + round / 30) % names.len()],
                values[next(values.len())],
            );
            opts = opts.param(k, v);
            want.push_str(&format!("&{}={}", quote_plus(k), quote_plus(v)));
        }
        let url = s.presign(Method::Get, BUCKET, "dir/k", &opts).unwrap().url;
        assert!(url.ends_with(&want), "{url} {want}");
        assert_eq!(verify_url(&url, "GET", &headers, NOW), Ok(()), "{url}");
    }
    assert_eq!(s.cached_templates() > 0, cfg!(feature = "templates"));
}
