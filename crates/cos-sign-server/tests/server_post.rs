//! POST Object (the browser form upload) with a policy signed by cos-sign-core: a field that
//! would be stored as a header, or a redirect, that cannot be sent back is refused before
//! anything is stored; the object's type is the form's Content-Type field alone.

mod server_common;

use base64::Engine;
use cos_sign_core::SigningKey;
use server_common::*;

/// A signed form upload of `data` to `key`, with `extra` fields; returns the raw body and
/// its content type.
fn form(key: &str, extra: &[(&str, &str)], data: &[u8]) -> (Vec<u8>, String) {
    form_with(key, extra, "", None, data)
}

/// [`form`] with more policy `conditions` (JSON list items, each after a comma) and the file
/// part's own `Content-Type`, as a browser sends it.
fn form_with(
    key: &str,
    extra: &[(&str, &str)],
    conditions: &str,
    file_type: Option<&str>,
    data: &[u8],
) -> (Vec<u8>, String) {
    let kt = window();
    let policy = format!(
        r#"{{"expiration":"2099-01-01T00:00:00.000Z","conditions":[{{"bucket":"{BUCKET}"}}{conditions}]}}"#
    );
    let signature = SigningKey::derive(KEY.as_bytes(), kt)
        .sign_post_policy(policy.as_bytes())
        .signature()
        .to_owned();
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy.as_bytes());
    let kt = kt.to_string();
    let boundary = "----cos-sign-test-boundary";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &[u8]| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    };
    for (n, v) in [
        ("key", key),
        ("policy", b64.as_str()),
        ("q-sign-algorithm", "sha1"),
        ("q-ak", ID),
        ("q-key-time", kt.as_str()),
        ("q-signature", signature.as_str()),
    ]
    .iter()
    .chain(extra)
    {
        field(n, v.as_bytes());
    }
    let file_type = file_type
        .map(|t| format!("Content-Type: {t}\r\n"))
        .unwrap_or_default();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n{file_type}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

async fn post(client: &reqwest::Client, key: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let (body, ct) = form(key, extra, b"form bytes");
    client
        .post(format!("http://{HOST}/"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn unsendable_fields_are_refused_before_anything_is_stored() {
    for dir in [None, Some(TempDir::new("post"))] {
        let handle = match &dir {
            None => start_memory().await,
            Some(d) => start_disk(d.path()).await,
        };
        // Through the server as a proxy, without following redirects.
        let client = reqwest::Client::builder()
            .proxy(reqwest::Proxy::http(handle.url()).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let cases: [(&str, &str); 7] = [
            ("x-cos-meta-note", "a\r\nx-forged: 1"),
            ("x-cos-meta-note", "a\nb"),
            ("x-cos-meta-note", "a\0b"),
            ("content-type", "text/plain\r\n"),
            ("cache-control", "no-cache\u{7f}"),
            ("content-disposition", "attachment\r"),
            (
                "success_action_redirect",
                "http://example.com/\r\nSet-Cookie: a=b",
            ),
        ];
        for (i, (name, value)) in cases.iter().enumerate() {
            let key = format!("post/refused-{i}");
            let resp = post(&client, &key, &[(name, value)]).await;
            let (status, code, body) = error_of(resp).await;
            assert_eq!(
                (status, code.as_str()),
                (400, "InvalidArgument"),
                "{name}={value:?}: {body}"
            );
            let resp = client.get(signed("GET", &key, &[])).send().await.unwrap();
            let (status, code, _) = error_of(resp).await;
            assert_eq!(
                (status, code.as_str()),
                (404, "NoSuchKey"),
                "{name}={value:?} stored an object"
            );
        }
        // A tab and UTF-8 are header bytes: stored and sent back.
        let resp = post(
            &client,
            "post/kept",
            &[
                ("x-cos-meta-note", "tab\there 北京"),
                ("success_action_redirect", "http://example.com/done"),
            ],
        )
        .await;
        assert_eq!(resp.status(), 303, "{:?}", resp.text().await);
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("http://example.com/done?bucket="),
            "{location}"
        );
        let resp = client
            .get(signed("GET", "post/kept", &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["x-cos-meta-note"].as_bytes(),
            "tab\there 北京".as_bytes()
        );
        assert_eq!(resp.bytes().await.unwrap().as_ref(), b"form bytes");
        handle.shutdown().await;
    }
}

/// The object's `Content-Type` is the form's `Content-Type` field, never the file part's own
/// (the browser's guess): COS "does not use the MIME type provided by the browser. You must
/// explicitly specify the Content-Type form field" (POST Object,
/// <https://cloud.tencent.com/document/product/436/14690>). Without the field the object is
/// `application/octet-stream`, as after a PUT without one, and a policy condition on
/// `$Content-Type` sees the field only.
#[tokio::test]
async fn the_file_parts_own_content_type_is_ignored() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let send = |body: Vec<u8>, ct: String| {
        client
            .post(format!("http://{HOST}/"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let cases: [(&str, Option<&str>, &str); 3] = [
        ("post/typed-by-browser", None, "application/octet-stream"),
        ("post/typed-by-field", Some("text/plain"), "text/plain"),
        ("post/typed-empty", Some(""), "application/octet-stream"),
    ];
    for (key, field, stored) in cases {
        let extra: Vec<(&str, &str)> = field.map(|f| ("Content-Type", f)).into_iter().collect();
        let (body, ct) = form_with(key, &extra, "", Some("text/html"), b"<b>x</b>");
        let resp = send(body, ct).await.unwrap();
        assert_eq!(resp.status(), 204, "{key}: {:?}", resp.text().await);
        let resp = client.get(signed("GET", key, &[])).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{key}");
        assert_eq!(resp.headers()["content-type"], stored, "{key}");
    }
    // A condition on $Content-Type is not met by the file part's type.
    let condition = r#",["eq","$Content-Type","text/html"]"#;
    let (body, ct) = form_with("post/cond", &[], condition, Some("text/html"), b"x");
    let (status, code, body) = error_of(send(body, ct).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{body}");
    let resp = client
        .get(signed("GET", "post/cond", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // ... and is met by the field.
    let (body, ct) = form_with(
        "post/cond",
        &[("Content-Type", "text/html")],
        condition,
        Some("image/png"),
        b"x",
    );
    assert_eq!(send(body, ct).await.unwrap().status(), 204);
    let resp = client
        .get(signed("GET", "post/cond", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/html");
    handle.shutdown().await;
}
