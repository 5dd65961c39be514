//! Which error the SDK raises first when a value the binding could not convert fails at a
//! given stage: `error_before`, checked against the order of qcloud_cos 1.9.44's code
//! (`CosConfig.uri`, `CosS3Auth.__init__`, the anonymous `""`, `urlparse(url).hostname`).

use cos_sign_qcloud::{
    Bucket, ErrorKind, Op, SdkCall, SdkConfig, SdkOptions, Stage, error_before, keeps_header, sign,
    sign_returned,
};

const NOW: i64 = 1_700_000_000;

fn conf(o: SdkOptions) -> SdkConfig {
    SdkConfig::new(o).unwrap()
}

fn keys() -> SdkOptions {
    SdkOptions::default()
        .region("ap-beijing")
        .secret_id("AKIDa")
        .secret_key("k")
}

#[test]
fn the_url_comes_first() {
    let c = conf(keys());
    let call = SdkCall::new(Op::Auth, "GET", Some("a/b"), Some("k"), NOW);
    for stage in [Stage::Filter, Stage::Encode, Stage::Late] {
        let e = error_before(&c, &call, stage).unwrap();
        assert_eq!(e.kind, ErrorKind::CosClientError);
        assert_eq!(
            e.message,
            "bucket format is illegal, only digit, letter and - is allowed!"
        );
    }
    // a Bucket that is not a str (bytes, int): format_bucket's own message
    let mut call = SdkCall::new(Op::Auth, "GET", None, Some("k"), NOW);
    call.bucket = Some(Bucket::NotString);
    let e = error_before(&c, &call, Stage::Filter).unwrap();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::CosClientError, "bucket is not string")
    );
    // unused with a Domain, as in the SDK
    let with_domain = conf(keys().domain("files.example.com"));
    assert_eq!(error_before(&with_domain, &call, Stage::Late), None);
    let call = SdkCall::new(Op::Auth, "GET", Some("b-1"), Some(""), NOW);
    let e = error_before(&c, &call, Stage::Filter).unwrap();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::CosClientError, "Key is required not empty")
    );
}

#[test]
fn then_the_credentials_then_anonymous() {
    // set_credential on an anonymous-less config without a CredentialInstance: the SDK's
    // CosS3Auth reads conf._credential_inst, which was never set
    let mut c = conf(keys());
    c.set_credential(String::new(), "k".into(), Some("t".into()))
        .unwrap();
    let call = SdkCall::new(Op::Auth, "GET", Some("b-1"), Some("k"), NOW);
    let e = error_before(&c, &call, Stage::Filter).unwrap();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ErrorKind::AttributeError,
            "'CosConfig' object has no attribute '_credential_inst'"
        )
    );

    let anon = conf(SdkOptions::default().region("ap-beijing").anonymous(true));
    let auth = SdkCall::new(Op::Auth, "GET", Some("b-1"), Some("k"), NOW);
    assert_eq!(error_before(&anon, &auth, Stage::Late), None);
    let presign = SdkCall::new(Op::Presign, "GET", Some("b-1"), Some("k"), NOW);
    let e = error_before(&anon, &presign, Stage::Filter).unwrap();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ErrorKind::ValueError,
            "dictionary update sequence element #0 has length 1; 2 is required"
        )
    );
}

#[test]
fn the_host_only_past_the_header_filter_and_only_when_signed() {
    let c = conf(keys().domain("[bad"));
    let mut call = SdkCall::new(Op::Presign, "GET", Some("b-1"), Some("k"), NOW);
    assert_eq!(error_before(&c, &call, Stage::Filter), None);
    for stage in [Stage::Encode, Stage::Late] {
        let e = error_before(&c, &call, stage).unwrap();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::ValueError, "Invalid IPv6 URL")
        );
    }
    // a Host header given, or SignHost=False: the URL's host is not parsed
    let headers = [("HOST", "h")];
    call.headers = &headers;
    assert_eq!(error_before(&c, &call, Stage::Late), None);
    call.headers = &[];
    call.sign_host = Some(false);
    assert_eq!(error_before(&c, &call, Stage::Late), None);
}

#[test]
fn an_appid_that_is_not_a_string_fails_after_the_bucket_checks() {
    let c = conf(keys().appid_not_string(true));
    let bad = SdkCall::new(Op::Auth, "GET", Some("a/b"), Some("k"), NOW);
    assert_eq!(
        error_before(&c, &bad, Stage::Filter).unwrap().message,
        "bucket format is illegal, only digit, letter and - is allowed!"
    );
    let good = SdkCall::new(Op::Auth, "GET", Some("b"), Some("k"), NOW);
    let e = error_before(&c, &good, Stage::Filter).unwrap();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::CosClientError, "appid is not string")
    );
    // no bucket, or a Domain: the appid is not used
    let none = SdkCall::new(Op::Auth, "GET", None, Some("k"), NOW);
    assert_eq!(error_before(&c, &none, Stage::Late), None);
}

#[test]
fn sign_raises_the_sdk_error_before_a_failed_value_or_the_callers_own() {
    // a failed value and nothing of the SDK's before it: the caller's own error (Conversion)
    let c = conf(keys());
    let mut call = SdkCall::new(Op::Auth, "GET", Some("b-1"), Some("k"), NOW);
    for stage in [Stage::Key, Stage::Filter, Stage::Encode, Stage::Late] {
        call.failed = Some(stage);
        let e = sign(&c, &call).unwrap_err();
        assert_eq!((e.kind, e.authorization), (ErrorKind::Conversion, None));
    }
    // a bad bucket comes before every stage, the key's included
    call.bucket = Some(Bucket::Name("a/b"));
    for stage in [Stage::Key, Stage::Filter, Stage::Late, Stage::Signed] {
        call.failed = Some(stage);
        assert_eq!(sign(&c, &call).unwrap_err().kind, ErrorKind::CosClientError);
    }
    // the key's conversion comes before the credentials are looked at
    let mut no_inst = conf(keys());
    no_inst
        .set_credential(String::new(), "k".into(), Some("t".into()))
        .unwrap();
    let mut call = SdkCall::new(Op::Auth, "GET", Some("b-1"), None, NOW);
    call.failed = Some(Stage::Key);
    assert_eq!(
        sign(&no_inst, &call).unwrap_err().kind,
        ErrorKind::Conversion
    );
    call.failed = Some(Stage::Filter);
    assert_eq!(
        sign(&no_inst, &call).unwrap_err().kind,
        ErrorKind::AttributeError
    );
    // the host of a Domain is parsed past the header filter only
    let bad_host = conf(keys().domain("[bad"));
    call.failed = Some(Stage::Filter);
    assert_eq!(
        sign(&bad_host, &call).unwrap_err().kind,
        ErrorKind::Conversion
    );
    call.failed = Some(Stage::Encode);
    let e = sign(&bad_host, &call).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::ValueError, "Invalid IPv6 URL")
    );
}

#[test]
fn params_that_fail_after_signing_carry_the_authorization() {
    let c = conf(keys().sign_params(false));
    let mut call = SdkCall::new(Op::Presign, "GET", Some("b-1"), Some("k"), NOW);
    let signed = sign(&c, &call).unwrap();
    call.failed = Some(Stage::Signed);
    let e = sign(&c, &call).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conversion);
    assert_eq!(e.authorization, Some(signed.authorization));
    // the SDK splits the Authorization into a dict before it quotes the params: that error
    // comes first (a SecretId holding `&`)
    let amp = conf(
        SdkOptions::default()
            .region("ap-beijing")
            .secret_id("AK&ID")
            .secret_key("k")
            .sign_params(false),
    );
    let e = sign(&amp, &call).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ValueError);
    assert!(e.authorization.is_some());
    // a key time the crate refuses comes before both
    call.now = -1_000;
    assert_eq!(sign(&c, &call).unwrap_err().kind, ErrorKind::Refused);
}

#[test]
fn the_header_filter_and_the_uri_helpers() {
    assert!(keeps_header("Content-Type") && keeps_header("x-cos-acl") && keeps_header("HOST"));
    assert!(!keeps_header("x-other") && !keeps_header("Authorization"));
    let c = conf(keys());
    assert_eq!(
        c.appid_host(Some("125"), None),
        "125.cos.ap-beijing.myqcloud.com"
    );
    assert_eq!(c.appid_host(None, Some("e.example")), "None.e.example");
    assert_eq!(
        SdkConfig::pic_endpoint("ap-beijing").as_deref(),
        Some("pic.ap-beijing.myqcloud.com")
    );
    assert_eq!(SdkConfig::pic_endpoint("a/b"), None);
}

#[test]
fn sign_returned_is_sign_without_the_field_not_returned() {
    let c = conf(keys());
    let headers = [("Content-Type", "text/plain"), ("x-other", "1")];
    let params = [("acl", ""), ("a b", "c;d")];
    for op in [Op::Auth, Op::Presign] {
        for (bucket, key) in [("b-1", "k"), ("b-1", "/a/b c"), ("b-2", "k"), ("b-1", "k")] {
            let mut call = SdkCall::new(op, "PUT", Some(bucket), Some(key), NOW);
            (call.headers, call.params) = (&headers, &params);
            let (full, lean) = (sign(&c, &call).unwrap(), sign_returned(&c, &call).unwrap());
            match op {
                Op::Auth => {
                    assert_eq!(lean.url, "");
                    assert_eq!(full.authorization, lean.authorization);
                }
                _ => {
                    assert_eq!(lean.url, full.url);
                    assert!(full.url.contains("&q-signature="));
                    assert_eq!(lean.authorization, "");
                }
            }
        }
    }
    // the same errors: a bad bucket, an empty key
    for (bucket, key) in [("a/b", "k"), ("b-1", "")] {
        let call = SdkCall::new(Op::Auth, "GET", Some(bucket), Some(key), NOW);
        assert_eq!(
            sign(&c, &call).unwrap_err(),
            sign_returned(&c, &call).unwrap_err()
        );
    }
}

#[test]
fn a_secret_id_with_an_equals_sign_or_a_pair_goes_through_the_dict() {
    let with_id = |id: &str| {
        let c = conf(
            SdkOptions::default()
                .region("ap-beijing")
                .secret_id(id)
                .secret_key("k"),
        );
        let call = SdkCall::new(Op::Presign, "GET", Some("b-1"), Some("k"), NOW);
        sign(&c, &call).unwrap().url
    };
    // split('=', 1): the rest of the value quoted
    assert!(with_id("AK=ID").contains("&q-ak=AK%3DID&q-sign-time="));
    // "&q-x=v" adds a pair; "&q-sign-time=v" replaces the value where the key first stood
    assert!(with_id("AK&q-x=v").contains("&q-ak=AK&q-x=v&q-sign-time="));
    let url = with_id("AK&q-signature=s");
    assert!(url.contains("&q-ak=AK&q-signature="), "{url}");
    assert!(!url.contains("&q-signature=s&") && !url.ends_with("&q-signature=s"));
}

#[test]
fn every_signed_header_and_the_host_are_listed_however_many() {
    let c = conf(keys());
    for n in [0, 14, 15, 16, 17, 40] {
        let names: Vec<String> = (0..n).map(|i| format!("x-cos-meta-{i:02}")).collect();
        for with_host in [false, true] {
            let mut headers: Vec<(&str, &str)> = names.iter().map(|k| (k.as_str(), "v")).collect();
            headers.push(("User-Agent", "not signed"));
            if with_host {
                headers.insert(0, ("Host", "given.example"));
            }
            let mut call = SdkCall::new(Op::Auth, "PUT", Some("b-1"), Some("k"), NOW);
            call.headers = &headers;
            let auth = sign(&c, &call).unwrap().authorization;
            let list = auth
                .split('&')
                .find_map(|p| p.strip_prefix("q-header-list="))
                .unwrap();
            let mut want: Vec<String> = names.clone();
            want.push("host".to_owned());
            want.sort();
            assert_eq!(list, want.join(";"), "{n} {with_host}");
        }
    }
}

#[test]
fn a_secret_id_set_later_is_split_like_one_given_first() {
    let opts = |id: &str| {
        SdkOptions::default()
            .region("ap-beijing")
            .secret_id(id)
            .secret_key("k")
    };
    let params = [("a b", "1;2"), ("acl", "")];
    let mut call = SdkCall::new(Op::Presign, "GET", Some("b-1"), Some("k"), NOW);
    call.params = &params;
    for (first, later) in [
        ("AKplain", "AK&q-x=v"),
        ("AK=ID", "AKplain"),
        ("AK&q-x=v", "AK=ID"),
    ] {
        let mut c = conf(opts(first));
        c.set_credential(later.to_owned(), "k".to_owned(), Some("t".to_owned()))
            .unwrap();
        let url = sign(&c, &call).unwrap().url;
        assert_eq!(url, sign(&conf(opts(later)), &call).unwrap().url);
        // the params after the Authorization's pairs, quote_plus'ed, however they were split
        assert!(url.ends_with("&a+b=1%3B2&acl="), "{url}");
        let id_pair = match later {
            "AKplain" => "&q-ak=AKplain&",
            "AK=ID" => "&q-ak=AK%3DID&",
            _ => "&q-ak=AK&q-x=v&",
        };
        assert!(url.contains(id_pair), "{url}");
    }
}
