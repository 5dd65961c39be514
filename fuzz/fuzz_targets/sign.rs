//! Signing arbitrary requests: never panics; when it succeeds the outputs equal the plain
//! allocating reference, and a `Template` of the request (some values fixed, some open)
//! writes the same texts; verify(sign(x)) holds, and a changed signature byte fails.
#![no_main]

use arbitrary::Arbitrary;
use cos_sign_core::{Error, Fill, KeyTime, ParsedAuthorization, SigningKey, Template, VerifyError};
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/cos-sign-core/tests/common/reference.rs"]
#[allow(dead_code)]
mod reference;

mod common;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    req: common::FuzzRequest<'a>,
    start: u64,
    end: u64,
    now: u64,
    flip: u8,
    /// Which pairs a `Template` leaves open (bit `i`: param `i`, bit `16 + i`: header `i`).
    open: u32,
}

/// The request's pairs for a `Template` (open where `open` says) and the open values.
fn shape<'a>(
    pairs: &[(&'a str, &'a str)],
    open: u32,
) -> (Vec<(&'a str, Option<&'a str>)>, Vec<&'a str>) {
    let is_open = |i: usize| open.checked_shr(i as u32).is_some_and(|b| b & 1 == 1);
    let shape = pairs
        .iter()
        .enumerate()
        .map(|(i, &(n, v))| (n, (!is_open(i)).then_some(v)))
        .collect();
    let values = pairs
        .iter()
        .enumerate()
        .filter(|&(i, _)| is_open(i))
        .map(|(_, &(_, v))| v)
        .collect();
    (shape, values)
}

/// A `Template` of the request writes what `SigningKey`'s one-call methods write, into a
/// byte buffer and appended to a string; a shape past its capacity is refused as the request
/// is.
fn check_template(key: &SigningKey, x: &common::FuzzRequest<'_>, open: u32) {
    let (params, pv) = shape(&x.params, open & 0xffff);
    let (headers, hv) = shape(&x.headers, open >> 16);
    let t: Template<16, 4096> = match Template::new(key.clone(), x.secret_id, &params, &headers) {
        Ok(t) => t,
        Err(Error::TooManyParams { .. } | Error::TooManyHeaders { .. }) => return,
        Err(Error::BufferTooSmall { needed, .. }) => {
            assert!(needed > 4096);
            return;
        }
        Err(e) => panic!("unexpected error {e:?}"),
    };
    let fill = Fill::new(x.method, x.path).params(&pv).headers(&hv);
    let req = x.request::<16>();
    let (mut a, mut b) = (vec![0u8; 16384], vec![0u8; 16384]);
    for query in [false, true] {
        let (want, got) = if query {
            (
                key.sign_presigned_url_query_into(&req, x.secret_id, &mut a),
                t.sign_presigned_url_query_into(&fill, &mut b),
            )
        } else {
            (
                key.sign_authorization_into(&req, x.secret_id, &mut a),
                t.sign_authorization_into(&fill, &mut b),
            )
        };
        assert_eq!(want, got);
        let mut s = heapless::String::<16384>::new();
        let pushed = if query {
            t.push_presigned_url_query(&fill, &mut s)
        } else {
            t.push_authorization(&fill, &mut s)
        };
        match want {
            Ok(w) => {
                assert_eq!(pushed, Ok(()));
                assert_eq!(s.as_str(), w);
            }
            Err(e) => {
                assert_eq!(pushed, Err(e));
                assert!(s.is_empty());
            }
        }
    }
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fuzz_target!(|input: Input<'_>| {
    let x = &input.req;
    let kt = KeyTime::new(input.start, input.end);
    let key = SigningKey::derive(x.secret_key, kt);
    let req = x.request::<16>();
    let signed = match key.sign(&req) {
        Ok(s) => s,
        Err(Error::TooManyParams { max }) => {
            assert!(max == 16 && x.params.len() > 16);
            return;
        }
        Err(Error::TooManyHeaders { max }) => {
            assert!(max == 16 && x.headers.len() > 16 && x.params.len() <= 16);
            return;
        }
        Err(e) => panic!("unexpected error {e:?}"),
    };

    check_template(&key, x, input.open);

    let auth = signed.authorization(x.secret_id).to_string();
    let query = signed.presigned_query(x.secret_id).to_string();
    let mut buf = [0u8; 256];
    match signed.authorization(x.secret_id).write_into(&mut buf) {
        Ok(s) => assert_eq!(s, auth),
        Err(Error::BufferTooSmall { needed, available }) => {
            assert!(needed == auth.len() && available == 256 && needed > 256)
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }

    // Equal to the reference (methods are ASCII HTTP tokens: the reference lowercases with
    // Unicode rules, the core ASCII only, so non-ASCII methods are only checked not to panic).
    if x.method.is_ascii() {
        let r = reference::reference(
            x.secret_id,
            x.secret_key,
            &kt.to_string(),
            x.method,
            x.path,
            &owned(&x.params),
            &owned(&x.headers),
        );
        assert_eq!(key.expose_hex(), r.sign_key);
        assert_eq!(signed.http_string().to_string(), r.http_string);
        assert_eq!(signed.string_to_sign().to_string(), r.string_to_sign);
        assert_eq!(signed.signature(), r.signature);
        assert_eq!(signed.header_list().to_string(), r.header_list);
        assert_eq!(signed.param_list().to_string(), r.param_list);
        assert_eq!(auth, r.authorization);
        assert_eq!(query, r.presigned_query);
    }

    // verify(sign(x)). A list with an empty name does not parse (EmptyName), and a raw `&`
    // in q-ak cannot stand in the header form.
    let empty_name = x.params.iter().chain(&x.headers).any(|(k, _)| k.is_empty());
    if empty_name || input.start > input.end {
        return;
    }
    let now = input.start + input.now % (input.end - input.start).saturating_add(1).max(1);
    let raw = query.replace("%3B", ";");
    let mut forms = vec![
        ParsedAuthorization::from_query(&query).unwrap(),
        ParsedAuthorization::from_query(&raw).unwrap(),
    ];
    if !x.secret_id.contains('&') {
        forms.push(ParsedAuthorization::parse(&auth).unwrap());
    }
    for a in &forms {
        assert_eq!(a.verify(&req, x.secret_id, x.secret_key, now), Ok(()));
    }
    // One changed signature digit fails.
    let i = usize::from(input.flip) % 40;
    let at = auth.len() - 40 + i;
    let mut bad = auth.clone().into_bytes();
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).unwrap();
    let at = query.len() - 40 + i;
    let mut badq = query.clone().into_bytes();
    badq[at] = if badq[at] == b'0' { b'1' } else { b'0' };
    let badq = String::from_utf8(badq).unwrap();
    let a = ParsedAuthorization::from_query(&badq).unwrap();
    assert_eq!(
        a.verify(&req, x.secret_id, x.secret_key, now),
        Err(VerifyError::SignatureMismatch)
    );
    if !x.secret_id.contains('&') {
        let a = ParsedAuthorization::parse(&bad).unwrap();
        assert_eq!(
            a.verify(&req, x.secret_id, x.secret_key, now),
            Err(VerifyError::SignatureMismatch)
        );
    }
});
