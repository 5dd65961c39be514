//! Deterministic sweep for the word-at-a-time paths: a reserved or non-ASCII byte at every
//! offset of a name and of a value (before, inside and after whole 8-byte words, near the
//! 64-byte block edges of the hasher), and paths of every length around the block size; every
//! output equals the plain allocating reference of `common`.

mod common;

use cos_sign_core::{KeyTime, Request, SigningKey};

fn check(method: &str, path: &str, params: &[(String, String)], headers: &[(String, String)]) {
    let (id, key, kt) = (
        "AKIDsweep",
        b"sweep-secret",
        KeyTime::new(1_700_000_000, 1_700_000_300),
    );
    let r = common::reference(id, key, &kt.to_string(), method, path, params, headers);
    let sk = SigningKey::derive(key, kt);
    let (p, h) = (common::borrow(params), common::borrow(headers));
    let signed = sk
        .sign(&Request::new(method, path).params(&p).headers(&h))
        .unwrap();
    let ctx = format!("{path:?} {params:?} {headers:?}");
    assert_eq!(signed.http_string().to_string(), r.http_string, "{ctx}");
    assert_eq!(signed.http_string().len(), r.http_string.len(), "{ctx}");
    assert_eq!(signed.signature(), r.signature, "{ctx}");
    let mut buf = vec![0u8; 4096];
    assert_eq!(
        signed.authorization(id).write_into(&mut buf).unwrap(),
        r.authorization,
        "{ctx}"
    );
    assert_eq!(
        signed.authorization(id).len(),
        r.authorization.len(),
        "{ctx}"
    );
    assert_eq!(
        signed.presigned_query(id).write_into(&mut buf).unwrap(),
        r.presigned_query,
        "{ctx}"
    );
    assert_eq!(
        signed.presigned_query(id).to_string(),
        r.presigned_query,
        "{ctx}"
    );
    let want = common::params_query(params);
    assert_eq!(
        signed.params_query().write_into(&mut buf).unwrap(),
        want,
        "{ctx}"
    );
    assert_eq!(signed.params_query().len(), want.len(), "{ctx}");
}

#[test]
fn escapes_at_every_offset() {
    for special in [" ", "%", ";", "é", "\u{0}", "腾"] {
        for before in 0..=19 {
            for after in [0, 1, 3, 7, 8, 9, 15, 16, 17, 40] {
                let name = format!("X-Cos-{}{special}{}", "A".repeat(before), "b".repeat(after));
                let value = format!("{}{special}{}", "V".repeat(before), "w~.-_".repeat(after));
                let pairs = vec![
                    (name.clone(), value.clone()),
                    (
                        "host".to_owned(),
                        "bucket-1250000000.cos.ap-beijing.myqcloud.com".to_owned(),
                    ),
                ];
                check("PUT", "/a", &pairs, &pairs);
                // Two escapes in a row, and an escape last.
                let twice = vec![(
                    format!("{name}{special}"),
                    format!("{value}{special}{special}"),
                )];
                check("GET", "/a", &twice, &twice);
            }
        }
    }
}

#[test]
fn paths_of_every_length_around_the_block() {
    for len in 0..=200 {
        let path = format!("/{}", "p".repeat(len));
        let host = vec![("host".to_owned(), "h".to_owned())];
        check("GET", &path, &[], &host);
        let unicode = format!("/{}", "腾".repeat(len / 3));
        check("GET", &unicode, &host, &host);
    }
}
