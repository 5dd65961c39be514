//! verify(sign(x)) holds for the header form and the pre-signed query (`%3B` and raw `;`),
//! and fails with the right [`VerifyError`] after any one-byte change of the request or of
//! the Authorization. Parsing arbitrary text never panics.

mod common;

use common::strategies::{method, pairs, path, secret_id, secret_key, text};
use cos_sign_core::{KeyTime, ParseError, ParsedAuthorization, Request, SigningKey, VerifyError};
use proptest::prelude::*;

const START: u64 = 1_700_000_000;
const END: u64 = 1_700_009_000;
const NOW: u64 = 1_700_000_100;

/// Replaces the byte at the `pick`-th ASCII position of `s` with another ASCII byte that
/// differs from it even after ASCII lowercasing; appends one if `s` has no ASCII byte.
fn change_one_byte(s: &str, pick: usize) -> String {
    let ascii: Vec<usize> = s
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii())
        .map(|(i, _)| i)
        .collect();
    let mut bytes = s.as_bytes().to_vec();
    if ascii.is_empty() {
        bytes.push(b'x');
    } else {
        let i = ascii[pick % ascii.len()];
        let old = bytes[i];
        bytes[i] = if old.eq_ignore_ascii_case(&b'q') {
            b'z'
        } else {
            b'q'
        };
    }
    String::from_utf8(bytes).unwrap()
}

/// Index (in `pairs`) of the pair that is signed for the `k`-th distinct name, in list order.
fn winners(pairs: &[(String, String)]) -> Vec<usize> {
    let mut m = std::collections::BTreeMap::new();
    for (i, (k, _)) in pairs.iter().enumerate() {
        m.insert(common::encode(k).to_lowercase(), i);
    }
    m.into_values().collect()
}

/// The header, the pre-signed query, and the pre-signed query with raw `;` and the params
/// appended, as a received URL would carry them.
fn auth_texts(
    key: &SigningKey,
    req: &Request<'_>,
    id: &str,
    params: &[(String, String)],
) -> (String, String, String) {
    let signed = key.sign(req).unwrap();
    let header = signed.authorization(id).to_string();
    let query = signed.presigned_query(id).to_string();
    let mut raw = query.replace("%3B", ";");
    if !params.is_empty() {
        raw.push('&');
        raw.push_str(&common::params_query(params));
    }
    (header, query, raw)
}

fn parse_all(header: &str, query: &str, raw: &str) -> [ParsedAuthorization<'static>; 3] {
    let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    [
        ParsedAuthorization::parse(leak(header)).unwrap(),
        ParsedAuthorization::from_query(leak(query)).unwrap(),
        ParsedAuthorization::from_query(leak(raw)).unwrap(),
    ]
}

/// Pairs without empty names: a list with an empty name (`a;;b`) does not parse
/// ([`ParseError::EmptyName`]), so such a request cannot be verified.
fn named_pairs(max: usize) -> impl Strategy<Value = Vec<(String, String)>> {
    pairs(max).prop_map(|v| v.into_iter().filter(|(k, _)| !k.is_empty()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_and_every_tamper_fails(
        method in method(),
        path in path(),
        params in named_pairs(6),
        headers in named_pairs(6),
        // `&` cannot stand raw in the header form's q-ak.
        id in secret_id().prop_filter("no & in the id", |id| !id.contains('&')),
        secret in secret_key(),
        extra in (text(3), text(3)),
        pick in any::<usize>(),
    ) {
        let kt = KeyTime::new(START, END);
        let key = SigningKey::derive(&secret, kt);
        let (p, h) = (common::borrow(&params), common::borrow(&headers));
        let req = Request::new(&method, &path).params(&p).headers(&h);
        let (header, query, raw) = auth_texts(&key, &req, &id, &params);
        let auths = parse_all(&header, &query, &raw);

        // The received request may carry more headers and params than were signed. The pair
        // goes first: of repeated names the last one counts, so it cannot shadow a signed one.
        let mut rp = vec![(extra.0.as_str(), extra.1.as_str())];
        rp.extend(p.iter().copied());
        let mut rh = vec![("x-unsigned-extra", "v")];
        rh.extend(h.iter().copied());
        let received = Request::new(&method, &path).params(&rp).headers(&rh);

        for a in &auths {
            prop_assert!(a.is_for(&id));
            let mut idbuf = [0u8; 256];
            prop_assert_eq!(a.secret_id_into(&mut idbuf).unwrap(), id.as_bytes());
            prop_assert_eq!(a.key_time(), kt);
            prop_assert_eq!(a.sign_time(), kt);
            prop_assert_eq!(a.verify(&req, &id, &secret, NOW), Ok(()));
            prop_assert_eq!(a.verify(&received, &id, &secret, NOW), Ok(()));
            prop_assert_eq!(a.verify(&req, &id, &secret, START), Ok(()));
            prop_assert_eq!(a.verify(&req, &id, &secret, END), Ok(()));
            // What COS would show in SignatureDoesNotMatch is what we signed.
            let signed = key.sign(&req).unwrap();
            prop_assert_eq!(a.http_string(&received).to_string(), signed.http_string().to_string());
            prop_assert_eq!(a.string_to_sign(&received).to_string(), signed.string_to_sign().to_string());

            // Time window.
            prop_assert_eq!(a.verify(&req, &id, &secret, START - 1),
                Err(VerifyError::NotYetValid { start: START, now: START - 1 }));
            prop_assert_eq!(a.verify(&req, &id, &secret, END + 1),
                Err(VerifyError::Expired { end: END, now: END + 1 }));
            // Wrong secret id, wrong secret key.
            let other_id = change_one_byte(&id, pick);
            prop_assert_eq!(a.verify(&req, &other_id, &secret, NOW), Err(VerifyError::AccessKeyMismatch));
            let mut other_secret = secret.clone();
            match other_secret.get_mut(pick % secret.len().max(1)) {
                Some(b) => *b ^= 1,
                // Not 0: HMAC pads short keys with zeros, so "" and "\0" are the same key.
                None => other_secret.push(b'x'),
            }
            prop_assert_eq!(a.verify(&req, &id, &other_secret, NOW), Err(VerifyError::SignatureMismatch));

            // One byte of the method (not a case change: the method is signed lowercased).
            let m2 = change_one_byte(&method, pick);
            let r2 = Request::new(&m2, &path).params(&p).headers(&h);
            prop_assert_eq!(a.verify(&r2, &id, &secret, NOW), Err(VerifyError::SignatureMismatch));
            // One byte of the path.
            let path2 = change_one_byte(&path, pick);
            let r2 = Request::new(&method, &path2).params(&p).headers(&h);
            prop_assert_eq!(a.verify(&r2, &id, &secret, NOW), Err(VerifyError::SignatureMismatch));
        }

        // One byte of a signed header value / param value; a missing listed header / param.
        let hw = winners(&headers);
        if !hw.is_empty() {
            let k = pick % hw.len();
            let mut h2 = headers.clone();
            h2[hw[k]].1 = change_one_byte(&h2[hw[k]].1, pick / 7);
            let b2 = common::borrow(&h2);
            let r2 = Request::new(&method, &path).params(&p).headers(&b2);
            for a in &auths {
                prop_assert_eq!(a.verify(&r2, &id, &secret, NOW), Err(VerifyError::SignatureMismatch));
            }
            // Drop every pair with that name.
            let name = common::encode(&headers[hw[k]].0).to_lowercase();
            let h3: Vec<(&str, &str)> = h.iter().copied()
                .filter(|(n, _)| common::encode(n).to_lowercase() != name).collect();
            let r3 = Request::new(&method, &path).params(&p).headers(&h3);
            for a in &auths {
                prop_assert_eq!(a.verify(&r3, &id, &secret, NOW), Err(VerifyError::MissingHeader(k)));
            }
        }
        let pw = winners(&params);
        if !pw.is_empty() {
            let k = pick % pw.len();
            let mut p2 = params.clone();
            p2[pw[k]].1 = change_one_byte(&p2[pw[k]].1, pick / 7);
            let b2 = common::borrow(&p2);
            let r2 = Request::new(&method, &path).params(&b2).headers(&h);
            for a in &auths {
                prop_assert_eq!(a.verify(&r2, &id, &secret, NOW), Err(VerifyError::SignatureMismatch));
            }
            let name = common::encode(&params[pw[k]].0).to_lowercase();
            let p3: Vec<(&str, &str)> = p.iter().copied()
                .filter(|(n, _)| common::encode(n).to_lowercase() != name).collect();
            let r3 = Request::new(&method, &path).params(&p3).headers(&h);
            for a in &auths {
                prop_assert_eq!(a.verify(&r3, &id, &secret, NOW), Err(VerifyError::MissingParam(k)));
            }
        }

        // One byte of the signature, of q-sign-time, of q-key-time, of q-ak, in the texts.
        for (text, query) in [(&header, false), (&query, true), (&raw, true)] {
            let parse = |s: &str| -> Result<ParsedAuthorization<'static>, ParseError> {
                let s: &'static str = Box::leak(s.to_owned().into_boxed_str());
                if query { ParsedAuthorization::from_query(s) } else { ParsedAuthorization::parse(s) }
            };
            let sig_at = text.find("q-signature=").unwrap() + "q-signature=".len() + pick % 40;
            let mut t = text.clone().into_bytes();
            t[sig_at] = if t[sig_at] == b'0' { b'1' } else { b'0' };
            let a = parse(std::str::from_utf8(&t).unwrap()).unwrap();
            prop_assert_eq!(a.verify(&req, &id, &secret, NOW), Err(VerifyError::SignatureMismatch));

            for field in ["q-sign-time=", "q-key-time="] {
                // The last digit of the end time: the window still holds NOW.
                let at = text.find(field).unwrap() + field.len();
                let end_at = at + text[at..].find('&').unwrap() - 1;
                let mut t = text.clone().into_bytes();
                t[end_at] = if t[end_at] == b'9' { b'8' } else { t[end_at] + 1 };
                let a = parse(std::str::from_utf8(&t).unwrap()).unwrap();
                prop_assert_eq!(a.verify(&req, &id, &secret, NOW), Err(VerifyError::SignatureMismatch));
                // A digit of the start time so that the window starts after NOW.
                let mut t = text.clone().into_bytes();
                t[at + 3] = b'9';
                let a = parse(std::str::from_utf8(&t).unwrap()).unwrap();
                let Err(VerifyError::NotYetValid { now, .. }) = a.verify(&req, &id, &secret, NOW) else {
                    return Err(TestCaseError::fail("start moved past now must be NotYetValid"));
                };
                prop_assert_eq!(now, NOW);
            }

            let at = text.find("q-ak=").unwrap() + "q-ak=".len();
            let len = text[at..].find('&').unwrap();
            let t = format!("{}{}{}", &text[..at], change_one_byte(&text[at..at + len], pick), &text[at + len..]);
            if let Ok(a) = parse(&t) {
                prop_assert_eq!(a.verify(&req, &id, &secret, NOW), Err(VerifyError::AccessKeyMismatch));
            }
        }
    }

    /// Arbitrary text into both parsers, and whatever parses into verify and the renderers.
    #[test]
    fn parsing_garbage_never_panics(
        s in prop_oneof![
            "\\PC{0,200}",
            prop::collection::vec(prop::sample::select(vec![
                "q-sign-algorithm=", "sha1", "q-ak=", "AKID", "q-sign-time=", "q-key-time=",
                "1700000000;1700009000", "1700000000%3B1700009000", "q-header-list=", "q-url-param-list=",
                "host", "%3B", ";", "&", "=", "%", "%2", "%zz", "q-signature=",
                "0123456789abcdef0123456789abcdef01234567", "+", "%E8%85%BE", "x", "",
            ]), 0..30).prop_map(|v| v.concat()),
        ],
        method in method(),
        path in path(),
        params in pairs(4),
        headers in pairs(4),
        now in any::<u64>(),
    ) {
        let (p, h) = (common::borrow(&params), common::borrow(&headers));
        let req = Request::new(&method, &path).params(&p).headers(&h);
        for a in [ParsedAuthorization::parse(&s), ParsedAuthorization::from_query(&s)].into_iter().flatten() {
            let _ = a.verify(&req, "AKID", b"secret", now);
            let _ = a.http_string(&req).to_string();
            let _ = a.string_to_sign(&req).to_string();
            let _ = (a.header_count(), a.param_count(), a.signature().len());
            let mut buf = [0u8; 8];
            let _ = a.secret_id_into(&mut buf);
        }
    }
}

#[test]
fn parse_errors_are_typed() {
    let good = "q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-url-param-list=&q-signature=0123456789abcdef0123456789abcdef01234567";
    assert!(ParsedAuthorization::parse(good).is_ok());
    assert_eq!(
        ParsedAuthorization::parse(&good.replace("sha1&", "md5&")),
        Err(ParseError::UnsupportedAlgorithm)
    );
    assert_eq!(
        ParsedAuthorization::parse(&good.replace("q-ak=AKID&", "")),
        Err(ParseError::Missing("q-ak"))
    );
    assert_eq!(
        ParsedAuthorization::parse(&format!("{good}&q-ak=X")),
        Err(ParseError::Duplicate("q-ak"))
    );
    assert_eq!(
        ParsedAuthorization::parse(&good.replace("q-key-time=1;2", "q-key-time=01;2")),
        Err(ParseError::BadTime("q-key-time"))
    );
    assert_eq!(
        ParsedAuthorization::parse(&good.replace("01234567", "0123456")),
        Err(ParseError::BadSignature)
    );
    assert_eq!(
        ParsedAuthorization::parse(&good.replace("host", "host;;date")),
        Err(ParseError::EmptyName("q-header-list"))
    );
    assert_eq!(
        ParsedAuthorization::from_query(&good.replace("q-ak=AKID", "q-ak=AK%2")),
        Err(ParseError::BadEscape)
    );
    assert_eq!(
        ParsedAuthorization::parse(&format!("{good}&junk")),
        Err(ParseError::NotAPair)
    );
}
