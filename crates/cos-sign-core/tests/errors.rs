//! Typed errors at every capacity limit: too many params or headers, output buffers one byte
//! short (with the exact `needed`), and buffers of exactly `len()` bytes.

use cos_sign_core::{Error, KeyTime, ParsedAuthorization, Request, SigningKey, policy_base64};

fn names(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("x-cos-meta-{i}"), format!("v{i}")))
        .collect()
}

fn borrow(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[test]
fn too_many_params_and_headers() {
    let key = SigningKey::derive(b"secret", KeyTime::new(1, 2));
    let (n32, n33) = (names(32), names(33));
    let (b32, b33) = (borrow(&n32), borrow(&n33));

    assert!(key.sign(&Request::new("GET", "/").params(&b32)).is_ok());
    assert!(key.sign(&Request::new("GET", "/").headers(&b32)).is_ok());
    assert_eq!(
        key.sign(&Request::new("GET", "/").params(&b33))
            .unwrap_err(),
        Error::TooManyParams { max: 32 }
    );
    assert_eq!(
        key.sign(&Request::new("GET", "/").headers(&b33))
            .unwrap_err(),
        Error::TooManyHeaders { max: 32 }
    );
    // Params are checked first when both overflow.
    assert_eq!(
        key.sign(&Request::new("GET", "/").params(&b33).headers(&b33))
            .unwrap_err(),
        Error::TooManyParams { max: 32 }
    );
    // Capacity counts the pairs given, duplicates included.
    let dup: Vec<(&str, &str)> = vec![("a", "1"); 33];
    assert_eq!(
        key.sign(&Request::new("GET", "/").params(&dup))
            .unwrap_err(),
        Error::TooManyParams { max: 32 }
    );

    let small = Request::new("GET", "/")
        .params(&b32[..4])
        .with_capacity::<4>();
    assert!(key.sign(&small).is_ok());
    let small = Request::new("GET", "/")
        .params(&b32[..5])
        .with_capacity::<4>();
    assert_eq!(
        key.sign(&small).unwrap_err(),
        Error::TooManyParams { max: 4 }
    );
    let small = Request::new("GET", "/")
        .headers(&b32[..5])
        .with_capacity::<4>();
    assert_eq!(
        key.sign(&small).unwrap_err(),
        Error::TooManyHeaders { max: 4 }
    );
    let zero = Request::new("GET", "/").with_capacity::<0>();
    assert!(key.sign(&zero).is_ok());

    // More capacity takes more, and signs the same as the default for what fits.
    let n100 = names(100);
    let b100 = borrow(&n100);
    let wide = Request::new("GET", "/")
        .params(&b100)
        .with_capacity::<100>();
    assert!(key.sign(&wide).is_ok());
    assert_eq!(
        key.sign(&Request::new("GET", "/").params(&b32))
            .unwrap()
            .signature(),
        key.sign(&Request::new("GET", "/").params(&b32).with_capacity::<100>())
            .unwrap()
            .signature()
    );
    assert!(!Error::TooManyParams { max: 4 }.to_string().is_empty());

    // The one-call API refuses the same, before writing anything.
    let mut buf = [0u8; 4096];
    for (req, err) in [
        (
            Request::new("GET", "/").params(&b33),
            Error::TooManyParams { max: 32 },
        ),
        (
            Request::new("GET", "/").headers(&b33),
            Error::TooManyHeaders { max: 32 },
        ),
    ] {
        assert_eq!(key.sign_authorization_into(&req, "id", &mut buf), Err(err));
        assert_eq!(
            key.sign_presigned_url_query_into(&req, "id", &mut buf),
            Err(err)
        );
        let mut other = [0u8; 4096];
        assert_eq!(
            key.sign_authorization_and_query_into(&req, "id", &mut buf, &mut other),
            Err(err)
        );
    }
}

/// The one-call API: exactly the text's length is enough, one byte less (or none) is
/// `BufferTooSmall` with the exact figures, whatever part of the text runs out of room.
#[test]
fn one_call_buffer_too_small_is_exact() {
    let key = SigningKey::derive(b"secret", KeyTime::new(1557989151, 1557996351));
    let params = [("a b", "x;y"), ("Prefix", "")];
    let headers = [("Host", "h.example"), ("x-cos-A%", "1")];
    let req = Request::new("PUT", "/k").params(&params).headers(&headers);
    let signed = key.sign(&req).unwrap();
    let auth = signed.authorization("AKID id").to_string();
    let query = format!(
        "{}&{}",
        signed.presigned_query("AKID id"),
        signed.params_query()
    );
    for (want, query_form) in [(auth, false), (query, true)] {
        let write = |buf: &mut [u8]| {
            let r = if query_form {
                key.sign_presigned_url_query_into(&req, "AKID id", buf)
            } else {
                key.sign_authorization_into(&req, "AKID id", buf)
            };
            r.map(str::to_owned)
        };
        let n = want.len();
        assert_eq!(write(&mut vec![0u8; n]).unwrap(), want);
        assert_eq!(write(&mut vec![0xAAu8; n + 7]).unwrap(), want);
        for short in [0, 1, n / 2, n - 41, n - 1] {
            assert_eq!(
                write(&mut vec![0u8; short]),
                Err(Error::BufferTooSmall {
                    needed: n,
                    available: short
                }),
                "{short} bytes"
            );
        }
    }
}

/// Both texts at once: each buffer is checked, the header's first; exactly enough room for
/// both writes both.
#[test]
fn both_texts_buffer_too_small_names_the_first_short_one() {
    let key = SigningKey::derive(b"secret", KeyTime::new(1557989151, 1557996351));
    let params = [("a b", "x;y")];
    let headers = [("Host", "h.example"), ("x-cos-A%", "1")];
    let req = Request::new("PUT", "/k").params(&params).headers(&headers);
    let mut one = [0u8; 1024];
    let auth = key
        .sign_authorization_into(&req, "AKID", &mut one)
        .unwrap()
        .to_owned();
    let query = (key
        .sign_presigned_url_query_into(&req, "AKID", &mut one)
        .unwrap())
    .to_owned();
    let (a, q) = (auth.len(), query.len());
    let both = |h: usize, qn: usize| {
        let (mut hb, mut qb) = (vec![0u8; h], vec![0u8; qn]);
        key.sign_authorization_and_query_into(&req, "AKID", &mut hb, &mut qb)
            .map(|(x, y)| (x.to_owned(), y.to_owned()))
    };
    assert_eq!(both(a, q).unwrap(), (auth.clone(), query.clone()));
    let short = |needed, available| Err(Error::BufferTooSmall { needed, available });
    assert_eq!(both(a - 1, q - 1), short(a, a - 1));
    assert_eq!(both(a, q - 1), short(q, q - 1));
    assert_eq!(both(0, q), short(a, 0));
}

/// Checks one text: `len()` matches the rendered text, `len()` bytes are enough, one less is
/// `BufferTooSmall` with the exact figures, and so is a short heapless string.
macro_rules! check_text {
    ($text:expr) => {{
        let text = $text;
        let full = text.to_string();
        let n = text.len();
        assert_eq!(n, full.len());
        assert_eq!(text.is_empty(), full.is_empty());
        let mut exact = vec![0u8; n];
        assert_eq!(text.write_into(&mut exact).unwrap(), full);
        let mut bigger = vec![0xAAu8; n + 7];
        assert_eq!(text.write_into(&mut bigger).unwrap(), full);
        if n > 0 {
            let mut short = vec![0u8; n - 1];
            assert_eq!(
                text.write_into(&mut short).unwrap_err(),
                Error::BufferTooSmall {
                    needed: n,
                    available: n - 1
                }
            );
            assert_eq!(
                text.write_into(&mut []).unwrap_err(),
                Error::BufferTooSmall {
                    needed: n,
                    available: 0
                }
            );
            assert_eq!(
                text.to_heapless::<8>().unwrap_err(),
                Error::BufferTooSmall {
                    needed: n,
                    available: 8
                }
            );
        }
        assert_eq!(text.to_heapless::<2048>().unwrap().as_str(), full);
        full
    }};
}

#[test]
fn buffer_too_small_is_exact() {
    let key = SigningKey::derive(b"secret", KeyTime::new(1_700_000_000, 1_700_000_600));
    let params = [
        (
            "response-content-disposition",
            "attachment; filename=\"a b.txt\"",
        ),
        ("acl", ""),
    ];
    let headers = [
        ("Host", "b-1250000000.cos.ap-beijing.myqcloud.com"),
        ("x-cos-meta-ü", "é "),
    ];
    let req = Request::new("PUT", "/项目 资料/a+b%.txt")
        .params(&params)
        .headers(&headers);
    let signed = key.sign(&req).unwrap();
    let auth = check_text!(signed.authorization("AKIDexample"));
    let query = check_text!(signed.presigned_query("AKID/example+"));
    assert!(query.contains("q-ak=AKID%2Fexample%2B&"), "{query}");
    check_text!(signed.params_query());
    check_text!(signed.http_string());
    check_text!(signed.string_to_sign());
    check_text!(signed.header_list());
    check_text!(signed.param_list());
    check_text!(policy_base64(b"{\"conditions\":[]}"));

    let a = ParsedAuthorization::parse(&auth).unwrap();
    check_text!(a.http_string(&req));
    check_text!(a.string_to_sign(&req));
    let mut exact = [0u8; 11];
    assert_eq!(a.secret_id_into(&mut exact).unwrap(), b"AKIDexample");
    let mut short = [0u8; 10];
    assert_eq!(
        a.secret_id_into(&mut short).unwrap_err(),
        Error::BufferTooSmall {
            needed: 11,
            available: 10
        }
    );
}

#[test]
fn secrets_stay_out_of_debug() {
    let key = SigningKey::derive(b"TOPSECRETKEY", KeyTime::new(1, 2));
    let dbg = format!("{key:?}");
    assert!(
        !dbg.contains(key.expose_hex()) && !dbg.contains("TOPSECRETKEY"),
        "{dbg}"
    );
    let headers = [("x-cos-security-token", "TOKENVALUE")];
    let req = Request::new("GET", "/").headers(&headers);
    assert!(!format!("{req:?}").contains("TOKENVALUE"));
    let signed = key.sign(&req).unwrap();
    assert!(!format!("{signed:?}").contains("TOKENVALUE"));
}
