//! Each tampered or expired request gets 403 with COS's code; `SignatureDoesNotMatch` carries
//! the StringToSign and FormatString of the request as received.

mod server_common;

use cos_sign_core::{KeyTime, Request, SigningKey};
use server_common::*;

const OBJ: &str = "tamper/object.txt";

/// The HttpString and StringToSign a signer computes for this request (what the server
/// must report for the request it received).
fn canonical(
    method: &str,
    key: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    kt: KeyTime,
) -> (String, String) {
    let path = format!("/{key}");
    let req = Request::new(method, &path).params(params).headers(headers);
    let signed = SigningKey::derive(b"any key", kt).sign(&req).unwrap();
    (
        signed.http_string().to_string(),
        signed.string_to_sign().to_string(),
    )
}

async fn setup() -> (cos_sign_server::ServerHandle, reqwest::Client) {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let resp = client
        .put(presigned_url("PUT", OBJ, window()))
        .body("original")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    (handle, client)
}

fn obj_url(q: &str) -> String {
    format!("http://{HOST}/{OBJ}?{q}")
}

fn flip_last_hex(s: &str) -> String {
    let last = s.chars().last().unwrap();
    format!(
        "{}{}",
        &s[..s.len() - 1],
        if last == '0' { '1' } else { '0' }
    )
}

/// Asserts 403 + code; returns the body.
async fn expect(resp: reqwest::Response, code: &str) -> String {
    let (status, got, body) = error_of(resp).await;
    assert_eq!((status, got.as_str()), (403, code), "{body}");
    body
}

/// GETs the object with the pre-signed query `q`: 403 + code; returns the body.
async fn get_refused(client: &reqwest::Client, q: &str, code: &str) -> String {
    expect(client.get(obj_url(q)).send().await.unwrap(), code).await
}

/// GETs the object with the pre-signed query `q`: 403 `SignatureDoesNotMatch` reporting
/// the `expected` strings.
async fn get_mismatch(client: &reqwest::Client, q: &str, expected: (String, String)) {
    mismatch(client.get(obj_url(q)).send().await.unwrap(), expected).await;
}

/// Asserts 403 `SignatureDoesNotMatch` reporting the `expected` strings.
async fn mismatch(resp: reqwest::Response, expected: (String, String)) {
    let body = expect(resp, "SignatureDoesNotMatch").await;
    check_strings(&body, &expected);
}

fn check_strings(body: &str, expected: &(String, String)) {
    assert_eq!(
        xml_field(body, "FormatString").unwrap(),
        expected.0,
        "{body}"
    );
    assert_eq!(
        xml_field(body, "StringToSign").unwrap(),
        expected.1,
        "{body}"
    );
}

#[tokio::test]
async fn presigned_tampers() {
    let (handle, client) = setup().await;
    let kt = window();
    let params = [("response-content-type", "text/plain")];
    let headers = [("host", HOST)];
    let good = presigned_query("GET", OBJ, &params, &headers, ID, KEY, kt);
    let resp = client.get(obj_url(&good)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "original");

    // Another secret key for the same id.
    let q = presigned_query("GET", OBJ, &params, &headers, ID, "another key", kt);
    get_mismatch(&client, &q, canonical("GET", OBJ, &params, &headers, kt)).await;

    // An id the server does not know.
    let q = presigned_query("GET", OBJ, &params, &headers, "AKIDunknown", KEY, kt);
    get_refused(&client, &q, "InvalidAccessKeyId").await;

    // A changed param value.
    let q = good.replace(
        "response-content-type=text%2Fplain",
        "response-content-type=text%2Fhtml",
    );
    assert_ne!(q, good);
    get_mismatch(
        &client,
        &q,
        canonical(
            "GET",
            OBJ,
            &[("response-content-type", "text/html")],
            &headers,
            kt,
        ),
    )
    .await;

    // A signed param removed: rebuilt with an empty value.
    let q = good.replace("&response-content-type=text%2Fplain", "");
    assert_ne!(q, good);
    get_mismatch(
        &client,
        &q,
        canonical("GET", OBJ, &[("response-content-type", "")], &headers, kt),
    )
    .await;

    // q-key-time changed (one second more): another SignKey.
    let kt_text = format!("{};{}", kt.start(), kt.end());
    let longer = format!("{};{}", kt.start(), kt.end() + 1);
    let q = good.replacen(
        &format!("q-key-time={}", kt_text.replace(';', "%3B")),
        &format!("q-key-time={}", longer.replace(';', "%3B")),
        1,
    );
    assert_ne!(q, good);
    get_mismatch(&client, &q, canonical("GET", OBJ, &params, &headers, kt)).await;

    // Both times extended by an hour.
    let later = KeyTime::new(kt.start(), kt.end() + 3600);
    let q = good.replace(
        &kt_text.replace(';', "%3B"),
        &format!("{}%3B{}", later.start(), later.end()),
    );
    assert_ne!(q, good);
    get_mismatch(&client, &q, canonical("GET", OBJ, &params, &headers, later)).await;

    // One signature digit changed.
    let sig_at = good.find("q-signature=").unwrap() + "q-signature=".len();
    let sig = &good[sig_at..sig_at + 40];
    let q = good.replace(sig, &flip_last_hex(sig));
    assert_ne!(q, good);
    get_mismatch(&client, &q, canonical("GET", OBJ, &params, &headers, kt)).await;

    // Another key (object), another host (bucket), another method.
    let resp = client
        .get(format!("http://{HOST}/tamper/other.txt?{good}"))
        .send()
        .await
        .unwrap();
    mismatch(
        resp,
        canonical("GET", "tamper/other.txt", &params, &headers, kt),
    )
    .await;
    let other_host = "otherbucket-1250000000.cos.ap-guangzhou.myqcloud.com";
    let resp = client
        .get(format!("http://{other_host}/{OBJ}?{good}"))
        .send()
        .await
        .unwrap();
    mismatch(
        resp,
        canonical("GET", OBJ, &params, &[("host", other_host)], kt),
    )
    .await;
    let resp = client.delete(obj_url(&good)).send().await.unwrap();
    mismatch(resp, canonical("DELETE", OBJ, &params, &headers, kt)).await;

    // Expired, and not yet valid.
    let past = KeyTime::new(now() - 600, now() - 300);
    let q = presigned_query("GET", OBJ, &params, &headers, ID, KEY, past);
    let body = get_refused(&client, &q, "AccessDenied").await;
    assert_eq!(xml_field(&body, "Message").unwrap(), "Request has expired");
    let future = KeyTime::new(now() + 300, now() + 600);
    let q = presigned_query("GET", OBJ, &params, &headers, ID, KEY, future);
    get_refused(&client, &q, "RequestTimeTooSkewed").await;

    // Nothing was deleted by the refused DELETE.
    let resp = client.get(obj_url(&good)).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "original");
    handle.shutdown().await;
}

#[tokio::test]
async fn header_tampers() {
    let (handle, client) = setup().await;
    let kt = window();
    let url = format!("http://{HOST}/{OBJ}");
    let headers = [("host", HOST), ("x-cos-meta-owner", "alice")];
    let auth = authorization("GET", OBJ, &[], &headers, ID, KEY, kt);
    let send = |auth: String, owner: &'static str| {
        client
            .get(&url)
            .header("authorization", auth)
            .header("x-cos-meta-owner", owner)
            .send()
    };
    assert_eq!(send(auth.clone(), "alice").await.unwrap().status(), 200);

    // A changed header value.
    mismatch(
        send(auth.clone(), "mallory").await.unwrap(),
        canonical(
            "GET",
            OBJ,
            &[],
            &[("host", HOST), ("x-cos-meta-owner", "mallory")],
            kt,
        ),
    )
    .await;
    // A signed header left out.
    let resp = client
        .get(&url)
        .header("authorization", auth.clone())
        .send()
        .await
        .unwrap();
    mismatch(
        resp,
        canonical(
            "GET",
            OBJ,
            &[],
            &[("host", HOST), ("x-cos-meta-owner", "")],
            kt,
        ),
    )
    .await;
    // A signed param sent with another value.
    let pauth = authorization("GET", OBJ, &[("versionId", "1")], &headers, ID, KEY, kt);
    let resp = client
        .get(format!("{url}?versionId=2"))
        .header("authorization", pauth)
        .header("x-cos-meta-owner", "alice")
        .send()
        .await
        .unwrap();
    mismatch(
        resp,
        canonical("GET", OBJ, &[("versionId", "2")], &headers, kt),
    )
    .await;
    // One signature digit.
    let sig = &auth[auth.len() - 40..];
    let bad = format!("{}{}", &auth[..auth.len() - 40], flip_last_hex(sig));
    mismatch(
        send(bad, "alice").await.unwrap(),
        canonical("GET", OBJ, &[], &headers, kt),
    )
    .await;
    // Another secret key.
    let other = authorization("GET", OBJ, &[], &headers, ID, "another key", kt);
    expect(send(other, "alice").await.unwrap(), "SignatureDoesNotMatch").await;
    // Unknown id.
    let other = authorization("GET", OBJ, &[], &headers, "AKIDunknown", KEY, kt);
    expect(send(other, "alice").await.unwrap(), "InvalidAccessKeyId").await;
    // q-sign-time moved: the StringToSign is rebuilt with it.
    let moved = KeyTime::new(kt.start() + 1, kt.end());
    let tampered = auth.replacen(
        &format!("q-sign-time={};{}", kt.start(), kt.end()),
        &format!("q-sign-time={};{}", moved.start(), moved.end()),
        1,
    );
    assert_ne!(tampered, auth);
    mismatch(
        send(tampered, "alice").await.unwrap(),
        canonical("GET", OBJ, &[], &headers, moved),
    )
    .await;
    // Expired.
    let past = KeyTime::new(now() - 600, now() - 1);
    let expired = authorization("GET", OBJ, &[], &headers, ID, KEY, past);
    let body = expect(send(expired, "alice").await.unwrap(), "AccessDenied").await;
    assert_eq!(xml_field(&body, "Message").unwrap(), "Request has expired");
    handle.shutdown().await;
}

#[tokio::test]
async fn temporary_key_token_tampers() {
    let (handle, client) = setup().await;
    let kt = window();
    let url = format!("http://{HOST}/{OBJ}");
    let headers = [("host", HOST)];
    let auth = authorization("GET", OBJ, &[], &headers, TMP_ID, TMP_KEY, kt);
    // Right token (unsigned header): accepted.
    let resp = client
        .get(&url)
        .header("authorization", auth.clone())
        .header("x-cos-security-token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // No token.
    let resp = client
        .get(&url)
        .header("authorization", auth.clone())
        .send()
        .await
        .unwrap();
    expect(resp, "InvalidAccessKeyId").await;
    // A wrong token, in the header or in the query.
    let resp = client
        .get(&url)
        .header("authorization", auth.clone())
        .header("x-cos-security-token", "wrong")
        .send()
        .await
        .unwrap();
    expect(resp, "AccessDenied").await;
    let params = [("x-cos-security-token", "wrong")];
    let q = presigned_query("GET", OBJ, &params, &headers, TMP_ID, TMP_KEY, kt);
    get_refused(&client, &q, "AccessDenied").await;
    // The right token, signed in the query: accepted; then changed in the URL: refused.
    let params = [("x-cos-security-token", TOKEN)];
    let q = presigned_query("GET", OBJ, &params, &headers, TMP_ID, TMP_KEY, kt);
    assert_eq!(client.get(obj_url(&q)).send().await.unwrap().status(), 200);
    let changed = q.replace(
        "x-cos-security-token=rust%3Atoken",
        "x-cos-security-token=rust%3Atokem",
    );
    assert_ne!(changed, q);
    get_refused(&client, &changed, "AccessDenied").await;
    // The right token, signed with another secret key: signature mismatch.
    let q = presigned_query("GET", OBJ, &params, &headers, TMP_ID, KEY, kt);
    get_refused(&client, &q, "SignatureDoesNotMatch").await;
    handle.shutdown().await;
}

#[tokio::test]
async fn malformed_authorization_is_refused() {
    let (handle, client) = setup().await;
    let url = format!("http://{HOST}/{OBJ}");
    for bad in [
        "q-sign-algorithm=md5&q-ak=x",
        "q-sign-algorithm=sha1&q-ak=AKID",
        "garbage",
    ] {
        let resp = client
            .get(&url)
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(resp).await;
        assert_eq!((status, code.as_str()), (400, "InvalidArgument"), "{bad}");
    }
    let good = presigned_query("GET", OBJ, &[], &[("host", HOST)], ID, KEY, window());
    let sig_at = good.find("q-signature=").unwrap() + "q-signature=".len();
    let q = format!("{}zz", &good[..sig_at + 38]);
    let resp = client.get(obj_url(&q)).send().await.unwrap();
    assert_eq!(error_of(resp).await.1, "InvalidArgument");
    handle.shutdown().await;
}
