//! The Rust API (`cos_sign_std::signer`) and this layer give the same strings where the SDK's
//! rules and the Rust API's agree: a permanent key and a plain secret id.

use std::time::Duration;

use cos_sign_qcloud::{Bucket, Op, SdkCall, SdkConfig, SdkOptions, object_url, sign};
use cos_sign_std::clock::Clock;
use cos_sign_std::config::Endpoint;
use cos_sign_std::credentials::{Credentials, StaticProvider};
use cos_sign_std::method::Method;
use cos_sign_std::signer::{SignOptions, Signer};

const NOW: i64 = 1_700_000_000;
const ID: &str = "AKIDexampleid";
const KEY: &str = "examplesecretkey";
const BUCKET: &str = "examplebucket-1250000000";

fn signer() -> Signer {
    Signer::new(
        StaticProvider::new(Credentials::new(ID, KEY)),
        Endpoint::from_region("ap-beijing").unwrap(),
    )
    .with_clock(Clock::fixed(NOW))
}

#[test]
fn without_token_the_signer_matches_the_sdk() {
    // The compat facade reproduces all 600 SDK calls (tests/vectors.rs); with a permanent key
    // and a plain secret id, the Rust API must give the same strings.
    let conf = SdkConfig::new(
        SdkOptions::default()
            .region("ap-beijing")
            .secret_id(ID)
            .secret_key(KEY),
    )
    .unwrap();
    let s = signer();
    let params = vec![
        ("uploadId".to_owned(), "x y".to_owned()),
        ("acl".to_owned(), String::new()),
    ];
    let headers = vec![
        ("Content-MD5".to_owned(), "abc==".to_owned()),
        ("Date".to_owned(), "x".to_owned()),
    ];
    let mut opts = SignOptions::default().expires(Duration::from_secs(3600));
    opts.params = params.clone();
    opts.headers = headers.clone();
    for method in ["GET", "put", "Post"] {
        let mut call = SdkCall::new(Op::Presign, method, Some(BUCKET), Some("/k/./ü"), NOW);
        call.expired = 3600;
        let (params, headers) = (refs(&params), refs(&headers));
        call.params = &params;
        call.headers = &headers;
        let want = sign(&conf, &call).unwrap().url;
        assert_eq!(
            s.presign(method.parse().unwrap(), BUCKET, "/k/./ü", &opts)
                .unwrap()
                .url,
            want
        );
        call.op = Op::Auth;
        let want = sign(&conf, &call).unwrap().authorization;
        assert_eq!(
            s.authorization(method.parse().unwrap(), BUCKET, "/k/./ü", &opts)
                .unwrap(),
            want
        );
    }
    let no_host = SignOptions::default().sign_host(false);
    let mut call = SdkCall::new(Op::Auth, "GET", Some(BUCKET), Some("k"), NOW);
    call.sign_host = Some(false);
    let want = sign(&conf, &call).unwrap().authorization;
    assert_eq!(
        s.authorization(Method::Get, BUCKET, "k", &no_host).unwrap(),
        want
    );
    assert_eq!(
        s.object_url(BUCKET, "k").unwrap(),
        object_url(&conf, Some(BUCKET), Some("k")).unwrap()
    );
    assert_eq!(
        s.host(BUCKET).unwrap(),
        conf.get_host(Some(Bucket::Name(BUCKET)), None)
            .unwrap()
            .unwrap()
    );
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
