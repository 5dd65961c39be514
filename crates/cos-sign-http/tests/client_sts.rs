//! `Sts` (served as `StsProvider`): its TC3-HMAC-SHA256 signer against Authorization headers computed by the
//! official SDK (`tests/data/tc3.json`, made by `tests/gen_tc3.py` with
//! `tencentcloud-sdk-python-common`), and the provider against a stand-in STS on 127.0.0.1
//! whose key is then used for real against the local COS server.

mod client_common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use client_common::*;
use cos_sign_http::Client;
use cos_sign_http::providers::{Sts, StsAction, tc3_authorization};
use cos_sign_std::credentials::{Credentials, CredentialsProvider, StaticProvider};
use cos_sign_std::signer::Signer;

#[test]
fn tc3_matches_the_official_sdk() {
    let data: serde_json::Value =
        serde_json::from_str(include_str!("data/tc3.json")).expect("tc3.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for c in cases {
        let got = tc3_authorization(
            c["secret_id"].as_str().unwrap(),
            c["secret_key"].as_str().unwrap(),
            "sts",
            c["host"].as_str().unwrap(),
            c["content_type"].as_str().unwrap(),
            c["payload"].as_str().unwrap().as_bytes(),
            c["timestamp"].as_u64().unwrap(),
        );
        assert_eq!(got, c["authorization"].as_str().unwrap(), "{c}");
    }
}

/// A stand-in STS answering `answer` to every request, recording them.
fn stand_in(answer: String) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let Some(req) = read_request(&mut s) else {
                continue;
            };
            log.lock().unwrap().push(req);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (format!("http://{addr}/"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_token_signed_fetched_cached_and_used() {
    let exp = unix_now() + 1800;
    let answer = format!(
        r#"{{"Response":{{"Credentials":{{"Token":"sts-token-1","TmpSecretId":"AKIDsts1","TmpSecretKey":"stsSecret1"}},"ExpiredTime":{exp},"Expiration":"x","RequestId":"r-1"}}}}"#
    );
    let (url, seen) = stand_in(answer);
    let base = StaticProvider::new(Credentials::new("AKIDbase", "baseSecret"));
    let provider = Arc::new(
        Sts::new(
            base,
            StsAction::FederationToken {
                name: "cos-sign".into(),
                policy: r#"{"version":"2.0","statement":[]}"#.into(),
            },
        )
        .with_endpoint_url(&url)
        .with_region("ap-beijing")
        .with_duration(Duration::from_secs(1800))
        .provider(),
    );
    // The sync view fetches (on its own thread), then caches.
    let c = provider.credentials().unwrap();
    assert_eq!(c.secret_id(), "AKIDsts1");
    assert_eq!(c.token(), Some("sts-token-1"));
    assert_eq!(c.expiry(), Some(UNIX_EPOCH + Duration::from_secs(exp)));
    assert_eq!(provider.credentials().unwrap(), c);
    assert_eq!(seen.lock().unwrap().len(), 1);

    // What STS received: the action headers, the JSON body, and a TC3 Authorization over
    // exactly that body and host, by the base key.
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req.header("x-tc-action"), Some("GetFederationToken"));
    assert_eq!(req.header("x-tc-version"), Some("2018-08-13"));
    assert_eq!(req.header("x-tc-region"), Some("ap-beijing"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["Name"], "cos-sign");
    assert_eq!(body["DurationSeconds"], 1800);
    let ts: u64 = req.header("x-tc-timestamp").unwrap().parse().unwrap();
    let host = req.header("host").unwrap();
    let expected = tc3_authorization(
        "AKIDbase",
        "baseSecret",
        "sts",
        host,
        "application/json",
        &req.body,
        ts,
    );
    assert_eq!(req.header("authorization"), Some(expected.as_str()));
    assert!(!format!("{provider:?}").contains("baseSecret"));

    // The key works against a local COS server that knows it.
    put_get_with(
        Client::builder().signer(Signer::new(provider.clone(), cos_endpoint())),
        ("AKIDsts1", "stsSecret1", "sts-token-1"),
        "sts.txt",
        "via STS",
    )
    .await;
    assert_eq!(seen.lock().unwrap().len(), 1, "signing used the cache");
}

#[tokio::test]
async fn assume_role_and_sts_errors() {
    let (url, seen) = stand_in(
        r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad signature"},"RequestId":"r-2"}}"#.to_owned(),
    );
    let base =
        StaticProvider::new(Credentials::new("AKIDbase2", "secretTwo").with_token("baseToken"));
    let p = Sts::new(
        base,
        StsAction::AssumeRole {
            role_arn: "qcs::cam::uin/1:roleName/r".into(),
            session_name: "s".into(),
            policy: None,
        },
    )
    .with_endpoint_url(&url)
    .provider();
    let e = p.refresh().await.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("AuthFailure.SignatureFailure"), "{text}");
    assert!(text.contains("AssumeRole"), "{text}");
    assert!(!text.contains("secretTwo") && !text.contains("baseToken"));
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req.header("x-tc-action"), Some("AssumeRole"));
    assert_eq!(req.header("x-tc-token"), Some("baseToken"));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["RoleArn"], "qcs::cam::uin/1:roleName/r");
    assert_eq!(body["RoleSessionName"], "s");
    assert!(body.get("Policy").is_none());

    // No base key: the base provider's error.
    let p = Sts::new(
        cos_sign_std::credentials::EnvProvider::from_lookup(|_| None),
        StsAction::AssumeRole {
            role_arn: "a".into(),
            session_name: "s".into(),
            policy: None,
        },
    )
    .with_endpoint_url(&url)
    .provider();
    let e = p.refresh().await.unwrap_err();
    assert!(e.to_string().contains("COS_SECRET_ID"), "{e}");
}
