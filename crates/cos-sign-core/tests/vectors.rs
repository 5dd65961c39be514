//! Every vector of `tests/data/signatures.json` and `tests/data/post-policy.json` (copied from
//! the shared vectors), checked at each stage: sign key, HttpString and its SHA-1,
//! StringToSign, lists, signature, Authorization; POST policy string to sign, signature and
//! base64. Each vector is also run through the reference implementation of `common`.

mod common;

use cos_sign_core::{KeyTime, Request, SigningKey, policy_base64};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {}", v["name"]))
}

fn pairs(v: &Value, k: &str) -> Vec<(String, String)> {
    v[k].as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let p = p.as_array().unwrap();
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn signature_vectors_every_stage() {
    let vectors = load("signatures.json");
    assert!(vectors.len() >= 8, "expected the 8 shared vectors");
    for v in &vectors {
        let name = s(v, "name");
        let kt = KeyTime::parse(s(v, "key_time")).unwrap();
        assert_eq!(kt.to_string(), s(v, "key_time"), "{name}: key time");
        let key = SigningKey::derive(s(v, "secret_key").as_bytes(), kt);
        assert_eq!(key.expose_hex(), s(v, "sign_key"), "{name}: sign key");
        assert_eq!(key.key_time(), kt);

        let params = pairs(v, "params");
        let headers = pairs(v, "headers");
        let (p, h) = (common::borrow(&params), common::borrow(&headers));
        let req = Request::new(s(v, "method"), s(v, "path"))
            .params(&p)
            .headers(&h);
        let signed = key.sign(&req).unwrap();

        let http_string = signed.http_string().to_string();
        assert_eq!(http_string, s(v, "http_string"), "{name}: HttpString");
        assert_eq!(signed.http_string().len(), http_string.len());
        assert_eq!(
            common::sha1_hex(http_string.as_bytes()),
            s(v, "http_string_sha1"),
            "{name}: HttpString SHA-1"
        );
        assert_eq!(
            signed.string_to_sign().to_string(),
            s(v, "string_to_sign"),
            "{name}: StringToSign"
        );
        assert_eq!(
            signed.header_list().to_string(),
            s(v, "header_list"),
            "{name}"
        );
        assert_eq!(
            signed.param_list().to_string(),
            s(v, "param_list"),
            "{name}"
        );
        assert_eq!(signed.signature(), s(v, "signature"), "{name}: signature");
        assert_eq!(signed.key_time(), kt);
        let secret_id = s(v, "secret_id");
        assert_eq!(
            signed.authorization(secret_id).to_string(),
            s(v, "authorization"),
            "{name}: Authorization"
        );
        // The same through a caller buffer and through heapless.
        let mut buf = [0u8; 1024];
        assert_eq!(
            signed
                .authorization(secret_id)
                .write_into(&mut buf)
                .unwrap(),
            s(v, "authorization")
        );
        let hl = signed
            .authorization(secret_id)
            .to_heapless::<1024>()
            .unwrap();
        assert_eq!(hl.as_str(), s(v, "authorization"));
        assert!(signed.authorization(secret_id) == s(v, "authorization"));

        // The reference agrees with the vector at every stage too.
        let r = common::reference(
            secret_id,
            s(v, "secret_key").as_bytes(),
            s(v, "key_time"),
            s(v, "method"),
            s(v, "path"),
            &params,
            &headers,
        );
        assert_eq!(r.sign_key, s(v, "sign_key"), "{name}: reference");
        assert_eq!(r.http_string, s(v, "http_string"), "{name}: reference");
        assert_eq!(
            r.string_to_sign,
            s(v, "string_to_sign"),
            "{name}: reference"
        );
        assert_eq!(r.signature, s(v, "signature"), "{name}: reference");
        assert_eq!(r.authorization, s(v, "authorization"), "{name}: reference");
        // And the pre-signed query is the vector's Authorization, quote_plus-ed pair by pair.
        let expected_query = s(v, "authorization")
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                format!("{}={}", common::quote_plus(k), common::quote_plus(v))
            })
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            signed.presigned_query(secret_id).to_string(),
            expected_query,
            "{name}: presigned query"
        );
    }
}

#[test]
fn post_policy_vectors() {
    let vectors = load("post-policy.json");
    assert!(!vectors.is_empty());
    for v in &vectors {
        let name = s(v, "name");
        let kt = KeyTime::parse(s(v, "key_time")).unwrap();
        let key = SigningKey::derive(s(v, "secret_key").as_bytes(), kt);
        assert_eq!(key.expose_hex(), s(v, "sign_key"), "{name}: sign key");
        let json = s(v, "policy_json").as_bytes();
        let sig = key.sign_post_policy(json);
        assert_eq!(sig.string_to_sign(), s(v, "string_to_sign"), "{name}");
        assert_eq!(sig.signature(), s(v, "signature"), "{name}");
        assert_eq!(
            policy_base64(json).to_string(),
            s(v, "policy_base64"),
            "{name}"
        );
        let b64 = policy_base64(json);
        let mut buf = vec![0u8; b64.len()];
        assert_eq!(b64.write_into(&mut buf).unwrap(), s(v, "policy_base64"));
        // Reference: hex(SHA1(json)), then HMAC with the SignKey's hex bytes.
        let sts = common::sha1_hex(json);
        assert_eq!(sts, s(v, "string_to_sign"));
        assert_eq!(
            common::hmac_sha1_hex(s(v, "sign_key").as_bytes(), sts.as_bytes()),
            s(v, "signature")
        );
    }
}

#[test]
fn base64_padding_forms() {
    // RFC 4648 §10 test vectors.
    for (input, out) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(policy_base64(input.as_bytes()).to_string(), out);
    }
}
