//! Values qcloud_cos 1.9.44 formats (`"{}".format(value)`) rather than concatenates or
//! encodes: for a `str` subclass (a `(str, Enum)` member on Python 3.11 formats as
//! `Cls.NAME`), the binding passes the format beside the text; the SDK's checks see the text,
//! the output holds the format. Expected strings are the SDK's answers for `Conf`, a
//! `(str, Enum)` (`tests/py/binding/gen_types.py`), at `time.time() == 1_700_000_000`.

use cos_sign_qcloud::{
    Bucket, ErrorKind, Op, SdkCall, SdkConfig, SdkError, SdkOptions, object_url, sign,
};

const NOW: i64 = 1_700_000_000;

fn base() -> SdkOptions {
    SdkOptions::default()
        .region("ap-beijing")
        .secret_id("AKIDid")
        .secret_key("key")
}

fn url(o: SdkOptions) -> Result<String, SdkError> {
    object_url(&SdkConfig::new(o)?, Some("b"), Some("k"))
}

fn auth(conf: &SdkConfig, call: &SdkCall<'_>) -> String {
    sign(conf, call).unwrap().authorization
}

#[test]
fn a_region_used_as_it_is_is_formatted() {
    let o = base()
        .region("cos.ap-beijing")
        .region_format("Conf.COS_REGION");
    assert_eq!(url(o).unwrap(), "https://b.Conf.COS_REGION.myqcloud.com/k");
    let mut o = base().region("cn-north").region_format("Conf.LEGACY");
    o.enable_old_domain = Some(false);
    assert_eq!(url(o).unwrap(), "https://b.Conf.LEGACY.tencentcos.cn/k");
    // cos. + region, an alias: concatenated text
    let o = base().region("ap-guangzhou").region_format("Conf.REGION");
    assert_eq!(url(o).unwrap(), "https://b.cos.ap-guangzhou.myqcloud.com/k");
    let o = base().region("cossh").region_format("Conf.ALIAS");
    assert_eq!(url(o).unwrap(), "https://b.cos.ap-shanghai.myqcloud.com/k");
    // the text is checked, the format is checked as a host
    let e = url(base().region("cos.ap-beijing").region_format("x/y")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Refused);
    let e = url(base().region("a b").region_format("Conf.X")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CosClientError);
}

#[test]
fn a_scheme_is_checked_as_text_and_formatted() {
    let o = base().scheme("http").scheme_format("Conf.HTTP");
    assert_eq!(
        url(o).unwrap(),
        "Conf.HTTP://b.cos.ap-beijing.myqcloud.com/k"
    );
    // a format urlsplit would not read as the scheme could move the host
    for bad in ["https://evil.example/?", "", "1http", "a b"] {
        let e = url(base().scheme("https").scheme_format(bad)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Refused, "{bad:?}");
    }
    let e = url(base().scheme("ftp").scheme_format("Conf.HTTP")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CosClientError);
}

#[test]
fn a_bucket_is_formatted_unless_the_appid_is_appended() {
    let conf = SdkConfig::new(base()).unwrap();
    let b = Some(Bucket::Formatted("b", "Conf.SHORT"));
    assert_eq!(
        conf.uri(b, Some("k"), None, None).unwrap(),
        "https://Conf.SHORT.cos.ap-beijing.myqcloud.com/k"
    );
    let conf = SdkConfig::new(base().appid("1250000000")).unwrap();
    assert_eq!(
        conf.uri(b, Some("k"), None, None).unwrap(),
        "https://b-1250000000.cos.ap-beijing.myqcloud.com/k"
    );
    let b = Some(Bucket::Formatted("b-1250000000", "Conf.BUCKET"));
    assert_eq!(
        conf.uri(b, Some("k"), None, None).unwrap(),
        "https://Conf.BUCKET.cos.ap-beijing.myqcloud.com/k"
    );
    // the pattern sees the text; the format must not move the host
    let bad = Some(Bucket::Formatted("a/b", "Conf.SHORT"));
    let e = conf.uri(bad, Some("k"), None, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CosClientError);
    let e = SdkConfig::new(base())
        .unwrap()
        .uri(
            Some(Bucket::Formatted("b", "evil.example/")),
            None,
            None,
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Refused);
}

#[test]
fn a_key_starting_with_a_slash_is_signed_as_formatted() {
    let conf = SdkConfig::new(base()).unwrap();
    let mut call = SdkCall::new(Op::Auth, "GET", Some("b"), Some("/k"), NOW);
    call.key_format = Some("Acl.SLASH");
    // the SDK's Authorization for Key=Acl.SLASH (its text "/k"): the path "Acl.SLASH"
    assert_eq!(
        auth(&conf, &call),
        "q-sign-algorithm=sha1&q-ak=AKIDid&q-sign-time=1699999940;1700000300&q-key-time=1699999940;1700000300&q-header-list=host&q-url-param-list=&q-signature=a96a044148ca18ade9e086c7e3c2f970e43c9a3d"
    );
    // the URL keeps the text
    call.op = Op::Presign;
    assert!(
        (sign(&conf, &call).unwrap().url).starts_with("https://b.cos.ap-beijing.myqcloud.com/k?")
    );
}

#[test]
fn a_lowered_method_is_signed_as_it_is() {
    let conf = SdkConfig::new(base()).unwrap();
    // Low("PUT").lower() formats as "f-put": the SDK's Authorization
    let mut call = SdkCall::new(Op::Auth, "f-put", Some("b"), Some("k"), NOW);
    call.method_lowered = true;
    let want = "q-sign-algorithm=sha1&q-ak=AKIDid&q-sign-time=1699999940;1700000300&q-key-time=1699999940;1700000300&q-header-list=host&q-url-param-list=&q-signature=4051aecb4177a7ac0974f07d087ff8ada5682fb0";
    assert_eq!(auth(&conf, &call), want);
    // non-ASCII text is not lowered again; ASCII capitals would be: refused
    call.method = "F-PUT";
    let e = sign(&conf, &call).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Refused);
}

#[test]
fn a_secret_id_is_checked_as_text_and_formatted() {
    let presign = |conf: &SdkConfig| {
        let call = SdkCall::new(Op::Presign, "GET", Some("b"), Some("k"), NOW);
        sign(conf, &call).unwrap().url
    };
    let conf = SdkConfig::new(base().secret_id("AKIDenum").secret_id_format("Conf.ID")).unwrap();
    assert!(presign(&conf).contains("?q-sign-algorithm=sha1&q-ak=Conf.ID&q-sign-time="));
    // a format holding & and = splits the SDK's Authorization: its URL has them raw
    let conf = SdkConfig::new(base().secret_id("AKID&x=1").secret_id_format("f-AKID&x=1")).unwrap();
    assert_eq!(
        presign(&conf),
        "https://b.cos.ap-beijing.myqcloud.com/k?q-sign-algorithm=sha1&q-ak=f-AKID&x=1&q-sign-time=1699999940%3B1700000300&q-key-time=1699999940%3B1700000300&q-header-list=host&q-url-param-list=&q-signature=9da484dab07f7fcc1363d308bb48e831414c8afd"
    );
    // spaces are looked for in the text
    let e = SdkConfig::new(base().secret_id(" AKID").secret_id_format("Conf.ID")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CosClientError);
    let mut conf = SdkConfig::new(base()).unwrap();
    conf.set_credential_formatted(
        ("AKIDenum".into(), Some("Conf.ID".into())),
        "key".into(),
        None,
    )
    .unwrap_err();
    assert_eq!(conf.secret_id(), Some("Conf.ID"));
}
