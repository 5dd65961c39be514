//! Host injection: every value that would move a request to another host (or break the URL)
//! is refused by the Rust API and, as `CosClientError`, by the compat facade, although
//! qcloud_cos 1.9.44 accepts some of them. The SDK's own refusals are kept.

use cos_sign_qcloud::{ErrorKind, Op, SdkCall, SdkConfig, SdkError, SdkOptions, sign};
use cos_sign_std::config::{ConfigError, Endpoint, Scheme};

fn base() -> SdkOptions {
    SdkOptions::default()
        .region("ap-beijing")
        .secret_id("AKIDid")
        .secret_key("key")
}

/// The compat call that uses the setting: a pre-signed URL for bucket `b`, key `k`.
fn compat_presign(o: SdkOptions, bucket: &str) -> Result<String, SdkError> {
    let conf = SdkConfig::new(o)?;
    let call = SdkCall::new(Op::Presign, "GET", Some(bucket), Some("k"), 1_700_000_000);
    Ok(sign(&conf, &call)?.url)
}

fn refused_by_compat(o: SdkOptions, bucket: &str) {
    let e = compat_presign(o.clone(), bucket)
        .expect_err(&format!("{o:?} / {bucket:?} must be refused"));
    // the SDK's own refusal, or one this layer adds
    assert!(
        matches!(e.kind, ErrorKind::CosClientError | ErrorKind::Refused),
        "{e}"
    );
}

#[test]
fn regions() {
    for bad in [
        "evil.com/",
        "ap-beijing\n",
        "a",
        "",
        "ap beijing",
        "x@y",
        "-ap",
        "ap-beijing.",
        "ap#1",
        "ap?x",
    ] {
        let r = Endpoint::from_region(bad);
        assert!(r.is_err(), "{bad:?}");
        refused_by_compat(base().region(bad), "b");
    }
    // The Rust API matches the whole string (no Python `$`): the SDK's own message.
    assert_eq!(
        Endpoint::from_region("ap-beijing\n"),
        Err(ConfigError::Sdk(
            "region format is illegal, only digit, letter and - is allowed!"
        ))
    );
    // This layer refuses what the SDK's `$` lets through, as an added refusal.
    let e = compat_presign(base().region("ap-beijing\n"), "b").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Refused);
    assert_eq!(
        e.message,
        "region refused: it ends with a newline (it would change or break the request host)"
    );
    for good in [
        "ap-beijing",
        "cosgz",
        "cn-south",
        "cos.ap-shanghai",
        "AP-Beijing",
        "accelerate",
    ] {
        assert!(Endpoint::from_region(good).is_ok(), "{good}");
        assert!(compat_presign(base().region(good), "b").is_ok());
    }
}

#[test]
fn buckets_and_appids() {
    let ep = Endpoint::from_region("ap-beijing").unwrap();
    for bad in [
        "a/b", "ab\n", "a\n", "a.b", "a@b", "a:1", "a b", "-ab", "ab-", "", "a#", "a?",
    ] {
        assert!(ep.host(Some(bad)).is_err(), "{bad:?}");
        refused_by_compat(base(), bad);
    }
    for bad_appid in [
        "1@evil.com",
        "1/x",
        "1:80",
        "1#",
        "1?",
        "1 2",
        "1\n",
        "1\u{FF20}x",
        "1[",
        "1%2F",
    ] {
        let r = Endpoint::builder()
            .region("ap-beijing")
            .appid(bad_appid)
            .build();
        assert!(
            matches!(r, Err(ConfigError::UnsafeHost { field: "appid", .. })),
            "{bad_appid:?}: {r:?}"
        );
        refused_by_compat(base().appid(bad_appid), "b");
    }
    let ep = Endpoint::builder()
        .region("ap-beijing")
        .appid("125")
        .build()
        .unwrap();
    assert_eq!(
        ep.host(Some("b")).unwrap(),
        "b-125.cos.ap-beijing.myqcloud.com"
    );
    assert_eq!(
        ep.host(Some("b-125")).unwrap(),
        "b-125.cos.ap-beijing.myqcloud.com"
    );
}

#[test]
fn endpoints_domains_ips_ports() {
    // Malformed authorities the Rust API refuses; compat keeps the SDK's behaviour for them
    // (the URL as built, `ValueError` where `urlsplit` raises one): they cannot name another
    // host.
    for bad in [
        "x.com:",
        "x.com:80:80",
        "x.com:8o",
        "[x",
        "x]",
        "[1.2.3.4]",
        "[vz]",
    ] {
        assert!(
            Endpoint::builder().endpoint(bad).build().is_err(),
            "endpoint {bad:?}"
        );
        assert!(
            Endpoint::builder()
                .region("ap-beijing")
                .domain(bad)
                .build()
                .is_err(),
            "domain {bad:?}"
        );
    }
    for good in ["[::1]", "[::1]:8080", "[fe80::1%eth0]"] {
        assert!(
            Endpoint::builder()
                .region("ap-beijing")
                .domain(good)
                .build()
                .is_ok(),
            "domain {good:?}"
        );
    }
    for bad in [
        "evil.com/",
        "a@evil.com",
        "cos.x.com#",
        "x.com?a",
        "x .com",
        "x.com\n",
        "\\evil",
        "a\u{2100}b",
        "a\u{FF0F}b",
    ] {
        let r = Endpoint::builder().endpoint(bad).build();
        assert!(r.is_err(), "endpoint {bad:?}");
        refused_by_compat(base().endpoint(bad), "b");
        let r = Endpoint::builder().region("ap-beijing").domain(bad).build();
        assert!(r.is_err(), "domain {bad:?}");
        refused_by_compat(base().domain(bad), "b");
    }
    refused_by_compat(base().domain(String::new()), "b");
    for good in [
        "example.com",
        "Example.COM:8443",
        "cos.ap-beijing.tencentcos.cn",
    ] {
        assert!(Endpoint::builder().endpoint(good).build().is_ok(), "{good}");
        assert!(compat_presign(base().endpoint(good), "b").is_ok());
        assert!(compat_presign(base().domain(good), "b").is_ok());
    }
    for bad_ip in [
        "1.2.3.4/x",
        "1.2.3.4@evil",
        "1.2.3.4#",
        "1.2.3.4?",
        "",
        "1.2.3.4 ",
        "1.2.3.4\t",
    ] {
        assert!(
            Endpoint::builder()
                .region("ap-beijing")
                .ip(bad_ip, None)
                .build()
                .is_err(),
            "{bad_ip:?}"
        );
        refused_by_compat(base().ip(bad_ip), "b");
    }
    for bad_port in ["80@evil.com", "80/x", "", "x", "-1", "80 "] {
        refused_by_compat(base().ip("127.0.0.1").port(bad_port), "b");
    }
    // IP mode: the URL carries the IP, the host stays the bucket's; IPv6 gets brackets.
    let ep = Endpoint::builder()
        .region("ap-beijing")
        .ip("::1", Some(443))
        .build()
        .unwrap();
    assert_eq!(
        ep.object_url(Some("b-1"), "k").unwrap(),
        "https://[::1]:443/k"
    );
    assert_eq!(ep.signed_host(Some("b-1"), false).unwrap(), "::1");
    let ep = Endpoint::builder()
        .region("ap-beijing")
        .ip("127.0.0.1", Some(8080))
        .build()
        .unwrap();
    assert_eq!(
        ep.object_url(Some("b-1"), "k").unwrap(),
        "https://127.0.0.1:8080/k"
    );
    assert_eq!(
        ep.host(Some("b-1")).unwrap(),
        "b-1.cos.ap-beijing.myqcloud.com"
    );
}

#[test]
fn sdk_refusals_are_kept() {
    assert!(Scheme::parse("HTTPS").is_err());
    assert!(Scheme::parse("ftp").is_err());
    refused_by_compat(base().scheme("HTTPS"), "b");
    refused_by_compat(
        {
            let mut o = base();
            o.region = None;
            o
        },
        "b",
    );
    assert!(Endpoint::builder().build().is_err());
    let ep = Endpoint::from_region("ap-beijing").unwrap();
    assert!(ep.object_url(Some("b"), "").is_err());
    let e = SdkConfig::new(base().secret_key(" k")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CosClientError);
}

#[test]
fn host_forms() {
    let b =
        |f: fn(cos_sign_std::config::EndpointBuilder) -> cos_sign_std::config::EndpointBuilder| {
            f(Endpoint::builder())
                .build()
                .unwrap()
                .host(Some("b-1"))
                .unwrap()
        };
    assert_eq!(
        b(|e| e.region("cosgz")),
        "b-1.cos.ap-guangzhou.myqcloud.com"
    );
    assert_eq!(b(|e| e.region("cn-east")), "b-1.cn-east.myqcloud.com");
    assert_eq!(
        b(|e| e.region("ap-beijing").enable_old_domain(false)),
        "b-1.cos-internal.ap-beijing.tencentcos.cn"
    );
    assert_eq!(
        b(|e| e
            .region("ap-beijing")
            .enable_old_domain(false)
            .enable_internal_domain(false)),
        "b-1.cos.ap-beijing.tencentcos.cn"
    );
    assert_eq!(
        b(|e| e.region("ap-beijing").domain("files.example.com")),
        "files.example.com"
    );
    assert_eq!(
        b(|e| e.endpoint("cos.accelerate.myqcloud.com")),
        "b-1.cos.accelerate.myqcloud.com"
    );
    let ep = Endpoint::from_region("coshk").unwrap();
    assert_eq!(ep.endpoint_ci(), Some("ci.ap-hongkong.myqcloud.com"));
    assert_eq!(
        ep.ci_object_url(Some("b-1"), "k").unwrap(),
        "https://b-1.ci.ap-hongkong.myqcloud.com/k"
    );
}
