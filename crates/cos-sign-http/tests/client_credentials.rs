//! Async credential providers against local stand-ins: N concurrent callers cause one fetch,
//! a flapping service (backoff, old key kept while valid), the web-identity (TKE OIDC) round
//! trip whose key then signs for real against the local COS server, the default chain order.

mod client_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use client_common::*;
use cos_sign_http::Client;
use cos_sign_http::providers::{CvmRole, WebIdentity, default_chain_with};
use cos_sign_std::credentials::{CredentialsError, CredentialsProvider};

fn role_json(id: &str, expires_at: u64) -> String {
    format!(
        r#"{{"TmpSecretId":"{id}","TmpSecretKey":"secret-{id}","ExpiredTime":{expires_at},"Token":"token-{id}","Code":"Success"}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_cause_exactly_one_fetch() {
    let n_fetch = Arc::new(AtomicUsize::new(0));
    let counter = n_fetch.clone();
    // Slow on purpose: every caller arrives while the one fetch is in flight.
    let md = StandIn::start(move |req| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        assert_eq!(req.path, format!("{BASE}role"));
        Reply::new(200, role_json(&format!("AKIDsf{n}"), unix_now() + 3600))
            .delay(Duration::from_millis(300))
    });
    let p = Arc::new(
        CvmRole::new()
            .with_base_url(format!("{}{BASE}", md.url()))
            .with_role("role")
            .provider(),
    );
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { p.credentials_async().await.unwrap().secret_id().to_owned() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "AKIDsf1");
    }
    assert_eq!(md.count(), 1, "32 callers, one fetch");

    // Near expiry: one refresh for all, and the old key is served meanwhile.
    let md2_count = Arc::new(AtomicUsize::new(0));
    let c2 = md2_count.clone();
    let md2 = StandIn::start(move |_| {
        let n = c2.fetch_add(1, Ordering::SeqCst) + 1;
        // The first key expires in 100 s (inside the 5 min margin).
        let exp = if n == 1 {
            unix_now() + 100
        } else {
            unix_now() + 3600
        };
        Reply::new(200, role_json(&format!("AKIDnear{n}"), exp)).delay(Duration::from_millis(300))
    });
    let p = Arc::new(
        CvmRole::new()
            .with_base_url(format!("{}{BASE}", md2.url()))
            .with_role("r")
            .provider()
            .with_backoff(Duration::from_millis(100), Duration::from_secs(10)),
    );
    assert_eq!(
        p.credentials_async().await.unwrap().secret_id(),
        "AKIDnear1"
    );
    // A key that arrives inside the margin is refreshed after the first backoff.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let p = p.clone();
            tokio::spawn(async move {
                // Stagger so that most arrive while the refresh is in flight.
                tokio::time::sleep(Duration::from_millis(if i == 0 { 0 } else { 50 })).await;
                let t = Instant::now();
                let id = p.credentials_async().await.unwrap().secret_id().to_owned();
                (i, id, t.elapsed())
            })
        })
        .collect();
    for t in tasks {
        let (i, id, took) = t.await.unwrap();
        if i == 0 {
            assert_eq!(id, "AKIDnear2", "the leader gets the new key");
        } else {
            assert_eq!(id, "AKIDnear1", "others get the old, valid key");
            assert!(
                took < Duration::from_millis(200),
                "without waiting: {took:?}"
            );
        }
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(md2.count(), 2, "one initial fetch, one refresh");
    assert_eq!(
        p.credentials_async().await.unwrap().secret_id(),
        "AKIDnear2"
    );
    // The sync view serves the same cache without a fetch.
    assert_eq!(p.credentials().unwrap().secret_id(), "AKIDnear2");
    assert_eq!(md2.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flapping_service_backs_off_and_keeps_the_valid_key() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    // Odd calls succeed with a key inside the margin, even calls fail.
    let md = StandIn::start(move |_| {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        if n % 2 == 1 {
            Reply::new(200, role_json(&format!("AKIDflap{n}"), unix_now() + 120))
        } else {
            Reply::new(503, "down")
        }
    });
    let p = CvmRole::new()
        .with_base_url(format!("{}{BASE}", md.url()))
        .with_role("r")
        .provider()
        .with_backoff(Duration::from_millis(400), Duration::from_secs(10));
    assert_eq!(
        p.credentials_async().await.unwrap().secret_id(),
        "AKIDflap1"
    );
    // Inside the margin: a refresh is tried after the first backoff, fails (503), and the
    // valid key is kept.
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        p.credentials_async().await.unwrap().secret_id(),
        "AKIDflap1"
    );
    assert_eq!(md.count(), 2);
    // During the backoff nobody asks the service.
    for _ in 0..20 {
        assert_eq!(
            p.credentials_async().await.unwrap().secret_id(),
            "AKIDflap1"
        );
    }
    assert_eq!(md.count(), 2, "backoff: no fetch");
    tokio::time::sleep(Duration::from_millis(450)).await;
    // After the backoff the next call refreshes (the service is up again).
    assert_eq!(
        p.credentials_async().await.unwrap().secret_id(),
        "AKIDflap3"
    );
    assert_eq!(md.count(), 3);

    // A service that is down with no key at all: the error, typed, then no fetch in backoff.
    let down = StandIn::start(|_| Reply::new(500, "boom"));
    let p = CvmRole::new()
        .with_base_url(format!("{}{BASE}", down.url()))
        .with_role("r")
        .provider()
        .with_backoff(Duration::from_secs(5), Duration::from_secs(5));
    let e = p.credentials_async().await.unwrap_err();
    let CredentialsError::Io { source, detail } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(detail, "HTTP status 500");
    assert!(
        source.starts_with("CVM metadata http://127.0.0.1:"),
        "{source}"
    );
    assert_eq!(p.credentials_async().await.unwrap_err(), e);
    assert_eq!(down.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_service_waits_are_bounded() {
    // Answers after 5 s; the provider's request timeout is 300 ms.
    let slow = StandIn::start(|_| Reply::new(200, "{}").delay(Duration::from_secs(5)));
    let p = CvmRole::new()
        .with_base_url(format!("{}{BASE}", slow.url()))
        .with_role("r")
        .with_timeout(Duration::from_millis(300))
        .provider();
    let t = Instant::now();
    let e = p.credentials_async().await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(matches!(e, CredentialsError::Io { .. }), "{e:?}");
    // The sync (blocking) adapter is bounded by its wait limit even with a longer timeout.
    let p = CvmRole::new()
        .with_base_url(format!("{}{BASE}", slow.url()))
        .with_role("r")
        .with_timeout(Duration::from_secs(30))
        .provider()
        .with_wait_limit(Duration::from_millis(300));
    let t = Instant::now();
    let e = tokio::task::spawn_blocking(move || p.credentials())
        .await
        .unwrap()
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(matches!(e, CredentialsError::Timeout { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_identity_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJ.oidc-token-1.sig\n").unwrap();
    let exp = unix_now() + 7200;
    let sts = StandIn::start(move |req| {
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        if req.header("x-tc-action") != Some("AssumeRoleWithWebIdentity")
            || body["WebIdentityToken"] != "eyJ.oidc-token-1.sig"
        {
            return Reply::new(
                200,
                r#"{"Response":{"Error":{"Code":"InvalidParameter","Message":"bad"},"RequestId":"r0"}}"#,
            );
        }
        Reply::new(
            200,
            format!(
                r#"{{"Response":{{"ExpiredTime":{exp},"Expiration":"x","Credentials":{{"Token":"oidc-token","TmpSecretId":"AKIDoidc1","TmpSecretKey":"oidcSecret1"}},"RequestId":"r1"}}}}"#
            ),
        )
    });
    let env = [
        ("TKE_REGION", "ap-shanghai".to_owned()),
        ("TKE_PROVIDER_ID", "tke-oidc".to_owned()),
        ("TKE_IDENTITY_TOKEN_FILE", token_file.display().to_string()),
        ("TKE_ROLE_ARN", "qcs::cam::uin/100:roleName/pod".to_owned()),
    ];
    let lookup = |n: &str| env.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
    let provider = Arc::new(
        WebIdentity::from_lookup(lookup)
            .unwrap()
            .expect("all four set")
            .with_session_name("pod-session")
            .with_endpoint_url(format!("{}/", sts.url()))
            .provider(),
    );
    let c = provider.credentials_async().await.unwrap();
    assert_eq!(c.secret_id(), "AKIDoidc1");
    assert_eq!(c.token(), Some("oidc-token"));
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_secs(exp)));
    let req = sts.seen.lock().unwrap()[0].clone();
    assert_eq!(req.method, "POST");
    assert_eq!(req.header("authorization"), Some("SKIP"));
    assert_eq!(req.header("x-tc-version"), Some("2018-08-13"));
    assert_eq!(req.header("x-tc-region"), Some("ap-shanghai"));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["ProviderId"], "tke-oidc");
    assert_eq!(body["RoleArn"], "qcs::cam::uin/100:roleName/pod");
    assert_eq!(body["RoleSessionName"], "pod-session");
    assert_eq!(body["DurationSeconds"], 7200);
    assert!(!format!("{provider:?}").contains("oidc-token-1"));

    // The key signs for real against the local COS server; the client awaits the async view.
    put_get_with(
        Client::builder().credentials(provider.clone(), cos_endpoint()),
        ("AKIDoidc1", "oidcSecret1", "oidc-token"),
        "oidc.txt",
        "via web identity",
    )
    .await;
    assert_eq!(sts.count(), 1, "signing used the cache");

    // Partly set variables: an error naming what is missing; none set: no provider.
    let e = WebIdentity::from_lookup(|n| (n == "TKE_REGION").then(|| "x".to_owned())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid credentials in environment (TKE web identity): TKE_PROVIDER_ID, TKE_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN not set"
    );
    assert!(WebIdentity::from_lookup(|_| None).unwrap().is_none());
    // A missing token file is an I/O error naming the file.
    let p = WebIdentity::new("r", "p", dir.path().join("nope"), "arn")
        .with_endpoint_url(format!("{}/", sts.url()))
        .provider();
    let e = p.credentials_async().await.unwrap_err();
    assert!(
        e.to_string().contains("token file") && e.to_string().contains("nope"),
        "{e}"
    );
}

#[test]
fn default_chain_follows_the_sdk_order() {
    let names = |chain: &cos_sign_std::credentials::ChainProvider| {
        chain
            .providers()
            .iter()
            .map(|p| {
                let d = format!("{p:?}");
                [
                    "Sts",
                    "EnvProvider",
                    "ProfileProvider",
                    "CvmRole",
                    "WebIdentity",
                    "Failing",
                ]
                .into_iter()
                .find(|n| {
                    d.starts_with(n)
                        || d.starts_with(&format!("RefreshingProvider {{ fetcher: {n}"))
                })
                .unwrap_or("?")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&default_chain_with(|_| None)),
        ["EnvProvider", "ProfileProvider", "CvmRole"]
    );
    let env = |n: &str| match n {
        "TKE_REGION" | "TKE_PROVIDER_ID" | "TKE_IDENTITY_TOKEN_FILE" | "TKE_ROLE_ARN" => {
            Some("x".to_owned())
        }
        "TENCENTCLOUD_ROLE_ARN" => Some("qcs::cam::uin/1:roleName/r".to_owned()),
        _ => None,
    };
    assert_eq!(
        names(&default_chain_with(env)),
        [
            "Sts",
            "EnvProvider",
            "ProfileProvider",
            "CvmRole",
            "WebIdentity"
        ]
    );
    let partial = |n: &str| (n == "TKE_REGION").then(|| "x".to_owned());
    assert_eq!(
        names(&default_chain_with(partial)),
        ["EnvProvider", "ProfileProvider", "CvmRole", "Failing"]
    );
}
