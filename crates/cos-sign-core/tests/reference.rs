//! Property tests: the core agrees with the plain allocating reference of `common` on
//! generated methods, paths, params and headers (reserved characters, unicode, empty values,
//! mixed case, names that collide once lowercased), at every output.

mod common;

use common::strategies::{key_time, long_path, method, pairs, path, secret_id, secret_key};
use cos_sign_core::{Fill, KeyTime, Request, SigningKey, Template};
use proptest::prelude::*;

/// `pairs` as a template's fixed pairs.
fn fixed(pairs: &[(String, String)]) -> Vec<(&str, Option<&str>)> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_str(), Some(v.as_str())))
        .collect()
}

/// The one-call texts, the two-step signature and a template's texts for `method` and
/// `path` (with `params` and `headers`, all fixed in the template) equal the reference's.
fn check_against_reference(
    method: &str,
    path: &str,
    params: &[(String, String)],
    headers: &[(String, String)],
) -> Result<(), TestCaseError> {
    let (id, key, kt) = ("AKIDEXAMPLE", b"secret".as_slice(), KeyTime::new(1, 2));
    let r = common::reference(id, key, "1;2", method, path, params, headers);
    let sk = SigningKey::derive(key, kt);
    let (p, h) = (common::borrow(params), common::borrow(headers));
    let req = Request::new(method, path).params(&p).headers(&h);
    let signed = sk.sign(&req).unwrap();
    prop_assert_eq!(signed.signature(), r.signature.as_str());
    let mut buf = vec![0u8; r.authorization.len()];
    prop_assert_eq!(
        sk.sign_authorization_into(&req, id, &mut buf).unwrap(),
        r.authorization.as_str()
    );
    let url_query = if params.is_empty() {
        r.presigned_query.clone()
    } else {
        format!("{}&{}", r.presigned_query, common::params_query(params))
    };
    let mut buf = vec![0u8; url_query.len()];
    prop_assert_eq!(
        sk.sign_presigned_url_query_into(&req, id, &mut buf)
            .unwrap(),
        url_query.as_str()
    );
    let (fp, fh) = (fixed(params), fixed(headers));
    let t: Template<16, 8192> = Template::new(sk, id, &fp, &fh).unwrap();
    let mut buf = vec![0u8; r.authorization.len()];
    prop_assert_eq!(
        t.sign_authorization_into(&Fill::new(method, path), &mut buf)
            .unwrap(),
        r.authorization.as_str()
    );
    Ok(())
}

/// Methods of 0 to 8 bytes with paths of lengths around the first block's end (the x86_64
/// path that stores a first block of method and path as whole chunks takes methods of up to
/// 7 bytes and paths that fill the block; a multi-byte character cut by the block's end).
#[test]
fn method_and_path_around_the_first_block() {
    let headers = [(
        "Host".to_owned(),
        "b-1.cos.ap-beijing.myqcloud.com".to_owned(),
    )];
    for method in [
        "", "g", "PuT", "delete", "OPTIONS", "Options", "PROPFIND", "mkcolumn",
    ] {
        for len in 40..80 {
            let mut path = String::from("/");
            while path.len() < len {
                path.push(if path.len() % 7 == 3 { 'É' } else { 'a' });
            }
            check_against_reference(method, &path, &[], &headers).unwrap();
            check_against_reference(method, &path, &[("a".into(), "b".into())], &[]).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn core_equals_reference(
        method in method(),
        path in path(),
        params in pairs(10),
        headers in pairs(10),
        id in secret_id(),
        key in secret_key(),
        (start, end) in key_time(),
    ) {
        let kt = KeyTime::new(start, end);
        let kt_text = format!("{start};{end}");
        prop_assert_eq!(kt.to_string(), kt_text.clone());
        let r = common::reference(&id, &key, &kt_text, &method, &path, &params, &headers);

        let sk = SigningKey::derive(&key, kt);
        prop_assert_eq!(sk.expose_hex(), r.sign_key.as_str());
        let (p, h) = (common::borrow(&params), common::borrow(&headers));
        let req = Request::new(&method, &path).params(&p).headers(&h);
        let signed = sk.sign(&req).unwrap();

        prop_assert_eq!(signed.http_string().to_string(), r.http_string.clone());
        prop_assert_eq!(signed.http_string().len(), r.http_string.len());
        prop_assert_eq!(signed.string_to_sign().to_string(), r.string_to_sign.clone());
        prop_assert_eq!(signed.signature(), r.signature.as_str());
        prop_assert_eq!(signed.header_list().to_string(), r.header_list.clone());
        prop_assert_eq!(signed.param_list().to_string(), r.param_list.clone());
        prop_assert_eq!(signed.authorization(&id).to_string(), r.authorization.clone());
        prop_assert_eq!(signed.presigned_query(&id).to_string(), r.presigned_query.clone());
        prop_assert_eq!(signed.params_query().to_string(), common::params_query(&params));

        // The buffer paths write the same bytes as Display.
        let mut buf = vec![0u8; r.presigned_query.len()];
        prop_assert_eq!(signed.presigned_query(&id).write_into(&mut buf).unwrap(), r.presigned_query.as_str());
        let mut buf = vec![0u8; r.authorization.len()];
        prop_assert_eq!(signed.authorization(&id).write_into(&mut buf).unwrap(), r.authorization.as_str());
        let hl = signed.http_string().to_heapless::<4096>().unwrap();
        prop_assert_eq!(hl.as_str(), r.http_string.as_str());

        // The one-call API writes the same texts: the Authorization, and the q-* pairs with
        // the params after them when there are any.
        let mut buf = vec![0u8; r.authorization.len()];
        prop_assert_eq!(sk.sign_authorization_into(&req, &id, &mut buf).unwrap(), r.authorization.as_str());
        let url_query = if params.is_empty() {
            r.presigned_query.clone()
        } else {
            format!("{}&{}", r.presigned_query, common::params_query(&params))
        };
        let mut buf = vec![0u8; url_query.len()];
        prop_assert_eq!(sk.sign_presigned_url_query_into(&req, &id, &mut buf).unwrap(), url_query.as_str());
        // Both at once: the same two texts from one signing.
        let (mut hb, mut qb) = (vec![0u8; r.authorization.len()], vec![0u8; url_query.len()]);
        let both = sk.sign_authorization_and_query_into(&req, &id, &mut hb, &mut qb).unwrap();
        prop_assert_eq!(both, (r.authorization.as_str(), url_query.as_str()));

        // A larger capacity signs the same.
        let wide = sk.sign(&req.with_capacity::<64>()).unwrap();
        prop_assert_eq!(wide.signature(), r.signature.as_str());
    }

    #[test]
    fn long_paths_equal_reference(
        method in method(),
        path in long_path(),
        params in pairs(3),
        headers in pairs(3),
    ) {
        check_against_reference(&method, &path, &params, &headers)?;
    }

    #[test]
    fn sdk_window_is_now_minus_60_to_now_plus_expires(now in 60u64..u64::MAX / 2, exp in 0u64..1_000_000) {
        let kt = KeyTime::sdk_window(now, exp);
        prop_assert_eq!(kt.to_string(), format!("{};{}", now - 60, now + exp));
        prop_assert_eq!(KeyTime::parse(&kt.to_string()).unwrap(), kt);
    }
}

#[test]
fn later_name_wins_regardless_of_case() {
    let key = SigningKey::derive(b"k", KeyTime::new(1, 2));
    let headers = [("X-Cos-Meta-A", "first"), ("x-cos-meta-a", "second")];
    let signed = key
        .sign(&Request::new("GET", "/").headers(&headers))
        .unwrap();
    assert_eq!(
        signed.http_string().to_string(),
        "get\n/\n\nx-cos-meta-a=second\n"
    );
    assert_eq!(signed.header_list().to_string(), "x-cos-meta-a");
    let headers = [("x-cos-meta-a", "second"), ("X-COS-META-A", "first")];
    let signed = key
        .sign(&Request::new("GET", "/").headers(&headers))
        .unwrap();
    assert_eq!(
        signed.http_string().to_string(),
        "get\n/\n\nx-cos-meta-a=first\n"
    );
}

#[test]
fn names_are_lowercased_after_encoding() {
    // DESIGN.md §1: a name `a/B` becomes `a%2fb`; values keep uppercase escapes.
    let key = SigningKey::derive(b"k", KeyTime::new(1, 2));
    let params = [("a/B", "c/D"), ("acl", "")];
    let signed = key.sign(&Request::new("GET", "/").params(&params)).unwrap();
    assert_eq!(
        signed.http_string().to_string(),
        "get\n/\na%2fb=c%2FD&acl=\n\n"
    );
    assert_eq!(signed.param_list().to_string(), "a%2fb;acl");
    let mut buf = [0u8; 512];
    let q = signed.presigned_query("AKID").write_into(&mut buf).unwrap();
    assert!(q.contains("&q-url-param-list=a%252fb%3Bacl&"), "{q}");
}
