//! Bucket CORS over raw TCP, with requests signed by cos-sign-core: PUT, GET and DELETE
//! Bucket cors are verified like every other request and keep their rules in memory and on
//! disk (across a restart); bad bodies get COS's codes; the unsigned preflight is answered by
//! the rules alone (origin, method, headers; wildcards; no object needed; a body never
//! stored); actual requests from an allowed origin get the CORS headers, errors included;
//! the `--cors-allow-origin` rule covers buckets without their own; hostile preflights and
//! origins never bring the server down.

mod server_common;

use std::net::SocketAddr;
use std::time::Duration;

use cos_sign_server as server;
use server_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const RULES: &str = "<CORSConfiguration>
  <CORSRule>
    <ID>site</ID>
    <AllowedOrigin>http://www.example.com</AllowedOrigin>
    <AllowedOrigin>http://*.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader>
    <AllowedHeader>x-cos-meta-*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <ExposeHeader>x-cos-meta-*</ExposeHeader>
    <MaxAgeSeconds>300</MaxAgeSeconds>
  </CORSRule>
  <CORSRule><AllowedOrigin>http://head.test</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
</CORSConfiguration>";

/// Another bucket, named by its host (the default bucket has none of these rules).
const OTHER_HOST: &str = "otherbucket-1250000000.cos.ap-guangzhou.myqcloud.com";

/// A request head signed with the permanent key over `host` and `params`, `Connection: close`.
fn signed_head(
    method: &str,
    host: &str,
    key: &str,
    params: &[(&str, &str)],
    extra: &str,
) -> String {
    let auth = authorization(method, key, params, &[("host", host)], ID, KEY, window());
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                (*k).to_owned()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!(
        "{method} {}{q} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nConnection: close\r\n{extra}\r\n",
        url_path(key)
    )
}

/// An unsigned preflight head.
fn options_head(host: &str, path: &str, extra: &str) -> String {
    format!("OPTIONS {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n")
}

/// Sends `bytes`, reads until the server closes or 10 s pass.
async fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn send(addr: SocketAddr, head: String, body: &[u8]) -> String {
    let mut req = head.into_bytes();
    req.extend_from_slice(body);
    exchange(addr, &req).await
}

fn status(resp: &str) -> u16 {
    resp.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn status_and_code(resp: &str) -> (u16, String) {
    (status(resp), xml_field(resp, "Code").unwrap_or_default())
}

/// The value of a response header (any case), if sent.
fn header_of<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    let head = resp.split("\r\n\r\n").next().unwrap_or("");
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn has_cors_headers(resp: &str) -> bool {
    let head = resp
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    head.contains("access-control-")
}

fn body_of(resp: &str) -> &str {
    resp.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

async fn put_cors(addr: SocketAddr, host: &str, xml: &str, extra: &str) -> String {
    let extra = format!("Content-Length: {}\r\n{extra}", xml.len());
    send(
        addr,
        signed_head("PUT", host, "", &[("cors", "")], &extra),
        xml.as_bytes(),
    )
    .await
}

async fn get_cors(addr: SocketAddr, host: &str) -> String {
    send(addr, signed_head("GET", host, "", &[("cors", "")], ""), b"").await
}

async fn preflight(
    addr: SocketAddr,
    host: &str,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> String {
    let mut extra = format!("Origin: {origin}\r\nAccess-Control-Request-Method: {method}\r\n");
    if !headers.is_empty() {
        extra.push_str(&format!("Access-Control-Request-Headers: {headers}\r\n"));
    }
    send(addr, options_head(host, path, &extra), b"").await
}

async fn put_object_raw(addr: SocketAddr, key: &str, body: &[u8], extra: &str) -> String {
    let extra = format!("Content-Length: {}\r\n{extra}", body.len());
    send(addr, signed_head("PUT", HOST, key, &[], &extra), body).await
}

#[tokio::test]
async fn cors_rules_round_trip_in_memory_and_are_verified() {
    let handle = start_memory().await;
    let addr = handle.addr;
    // No rules yet.
    let resp = get_cors(addr, HOST).await;
    assert_eq!(
        status_and_code(&resp),
        (404, "NoSuchCORSConfiguration".to_owned()),
        "{resp}"
    );
    // Unsigned, and signed for GET but sent as PUT: refused, nothing kept.
    let unsigned = format!(
        "PUT /?cors HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{RULES}",
        RULES.len()
    );
    let resp = exchange(addr, unsigned.as_bytes()).await;
    assert_eq!(
        status_and_code(&resp),
        (403, "AccessDenied".to_owned()),
        "{resp}"
    );
    let auth = authorization(
        "GET",
        "",
        &[("cors", "")],
        &[("host", HOST)],
        ID,
        KEY,
        window(),
    );
    let forged = format!(
        "PUT /?cors HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{RULES}",
        RULES.len()
    );
    let resp = exchange(addr, forged.as_bytes()).await;
    assert_eq!(
        status_and_code(&resp),
        (403, "SignatureDoesNotMatch".to_owned()),
        "{resp}"
    );
    assert_eq!(status(&get_cors(addr, HOST).await), 404);
    // A wrong Content-MD5: BadDigest; the right one (and none): stored.
    let resp = put_cors(
        addr,
        HOST,
        RULES,
        &format!("Content-MD5: {}\r\n", md5_base64(b"other")),
    )
    .await;
    assert_eq!(
        status_and_code(&resp),
        (400, "BadDigest".to_owned()),
        "{resp}"
    );
    assert_eq!(status(&get_cors(addr, HOST).await), 404);
    let resp = put_cors(
        addr,
        HOST,
        RULES,
        &format!("Content-MD5: {}\r\n", md5_base64(RULES.as_bytes())),
    )
    .await;
    assert_eq!(status(&resp), 200, "{resp}");
    let resp = get_cors(addr, HOST).await;
    assert_eq!(status(&resp), 200, "{resp}");
    assert_eq!(header_of(&resp, "content-type"), Some("application/xml"));
    assert_eq!(
        body_of(&resp),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration><CORSRule><ID>site</ID>\
<AllowedOrigin>http://www.example.com</AllowedOrigin><AllowedOrigin>http://*.example.com</AllowedOrigin>\
<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>\
<AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-cos-meta-*</AllowedHeader>\
<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-cos-meta-*</ExposeHeader>\
<MaxAgeSeconds>300</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin>http://head.test</AllowedOrigin>\
<AllowedMethod>HEAD</AllowedMethod></CORSRule></CORSConfiguration>"
    );
    // Rules are per bucket.
    assert_eq!(status(&get_cors(addr, OTHER_HOST).await), 404);
    // A second PUT replaces the rules.
    let one = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    assert_eq!(status(&put_cors(addr, HOST, one, "").await), 200);
    assert!(get_cors(addr, HOST).await.contains("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"));
    // DELETE: 204, then 404 again; an unsigned DELETE is refused.
    let resp = send(
        addr,
        format!("DELETE /?cors HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(
        status_and_code(&resp),
        (403, "AccessDenied".to_owned()),
        "{resp}"
    );
    let resp = send(
        addr,
        signed_head("DELETE", HOST, "", &[("cors", "")], ""),
        b"",
    )
    .await;
    assert_eq!(status(&resp), 204, "{resp}");
    assert_eq!(status(&get_cors(addr, HOST).await), 404);
    let resp = send(
        addr,
        signed_head("DELETE", HOST, "", &[("cors", "")], ""),
        b"",
    )
    .await;
    assert_eq!(status(&resp), 204, "{resp}");
    // An object has no rules of its own.
    let resp = send(
        addr,
        signed_head("GET", HOST, "k", &[("cors", "")], ""),
        b"",
    )
    .await;
    assert_eq!(
        status_and_code(&resp),
        (501, "NotImplemented".to_owned()),
        "{resp}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn disk_store_keeps_cors_rules_across_a_restart() {
    let dir = TempDir::new("cors");
    let handle = start_disk(dir.path()).await;
    assert_eq!(status(&put_cors(handle.addr, HOST, RULES, "").await), 200);
    let before = get_cors(handle.addr, HOST).await;
    handle.shutdown().await;
    // The rules are the bucket's one setting, and no temporary file is left.
    let names = |d: std::path::PathBuf| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(dir.path().join(".buckets")), [BUCKET]);
    assert_eq!(names(dir.path().join(".buckets").join(BUCKET)), ["cors"]);

    let handle = start_disk(dir.path()).await;
    let addr = handle.addr;
    let after = get_cors(addr, HOST).await;
    assert_eq!(status(&after), 200, "{after}");
    assert_eq!(body_of(&after), body_of(&before));
    let resp = preflight(
        addr,
        HOST,
        "/k",
        "http://a.example.com",
        "PUT",
        "content-type",
    )
    .await;
    assert_eq!(status(&resp), 200, "{resp}");
    // Deleted on disk too: gone after another restart.
    let resp = send(
        addr,
        signed_head("DELETE", HOST, "", &[("cors", "")], ""),
        b"",
    )
    .await;
    assert_eq!(status(&resp), 204);
    handle.shutdown().await;
    let handle = start_disk(dir.path()).await;
    assert_eq!(status(&get_cors(handle.addr, HOST).await), 404);
    let resp = preflight(handle.addr, HOST, "/k", "http://a.example.com", "PUT", "").await;
    assert_eq!(
        status_and_code(&resp),
        (403, "AccessForbidden".to_owned()),
        "{resp}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_cors_bodies_get_cos_codes_and_keep_the_old_rules() {
    let handle = start_memory().await;
    let addr = handle.addr;
    assert_eq!(status(&put_cors(addr, HOST, RULES, "").await), 200);
    let one =
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
    let cases: Vec<(String, u16, &str)> = vec![
        ("<CORSConfiguration>".to_owned(), 400, "MalformedXML"),
        ("not xml".to_owned(), 400, "MalformedXML"),
        ("<CORSConfiguration></CORSConfiguration>".to_owned(), 400, "MalformedXML"),
        ("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".to_owned(), 400, "MalformedXML"),
        ("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>TRACE</AllowedMethod></CORSRule></CORSConfiguration>".to_owned(), 400, "InvalidArgument"),
        ("<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".to_owned(), 400, "InvalidArgument"),
        (format!("<CORSConfiguration>{}</CORSConfiguration>", one.repeat(101)), 400, "InvalidArgument"),
        (format!("<CORSConfiguration>{}</CORSConfiguration>", " ".repeat(64 * 1024)), 400, "EntityTooLarge"),
    ];
    for (body, want_status, want_code) in &cases {
        let resp = put_cors(addr, HOST, body, "").await;
        assert_eq!(
            status_and_code(&resp),
            (*want_status, (*want_code).to_owned()),
            "{resp}"
        );
    }
    // 100 rules fit.
    let hundred = format!("<CORSConfiguration>{}</CORSConfiguration>", one.repeat(100));
    let resp = put_cors(addr, HOST, &hundred, "").await;
    assert_eq!(status(&resp), 200, "{resp}");
    assert_eq!(
        get_cors(addr, HOST).await.matches("<CORSRule>").count(),
        100
    );
    // A bad Content-MD5 value.
    let resp = put_cors(addr, HOST, RULES, "Content-MD5: not-base64\r\n").await;
    assert_eq!(
        status_and_code(&resp),
        (400, "InvalidDigest".to_owned()),
        "{resp}"
    );
    assert_eq!(
        get_cors(addr, HOST).await.matches("<CORSRule>").count(),
        100
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn preflights_are_answered_by_the_rules_alone() {
    let handle = start_memory().await;
    let addr = handle.addr;
    // No rules: 403 as COS answers.
    let resp = preflight(addr, HOST, "/k", "http://www.example.com", "PUT", "").await;
    assert_eq!(
        status_and_code(&resp),
        (403, "AccessForbidden".to_owned()),
        "{resp}"
    );
    assert!(!has_cors_headers(&resp), "{resp}");
    assert_eq!(status(&put_cors(addr, HOST, RULES, "").await), 200);

    // A match, for an object that does not exist: 200 with the rule's headers.
    let resp = preflight(
        addr,
        HOST,
        "/no/such%20key",
        "http://www.example.com",
        "PUT",
        "content-type,x-cos-meta-author",
    )
    .await;
    assert_eq!(status(&resp), 200, "{resp}");
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://www.example.com")
    );
    assert_eq!(
        header_of(&resp, "access-control-allow-methods"),
        Some("PUT,GET")
    );
    assert_eq!(
        header_of(&resp, "access-control-allow-headers"),
        Some("content-type,x-cos-meta-author")
    );
    assert_eq!(
        header_of(&resp, "access-control-expose-headers"),
        Some("ETag,x-cos-meta-*")
    );
    assert_eq!(header_of(&resp, "access-control-max-age"), Some("300"));
    assert_eq!(header_of(&resp, "vary"), Some("Origin"));
    assert_eq!(header_of(&resp, "content-length"), Some("0"));
    assert!(header_of(&resp, "x-cos-request-id").is_some());
    // Any path of the bucket: the root and a sub-resource too.
    for path in ["/", "/?lifecycle", "/?cors"] {
        let resp = preflight(addr, HOST, path, "http://www.example.com", "GET", "").await;
        assert_eq!(status(&resp), 200, "{path}: {resp}");
        assert_eq!(header_of(&resp, "access-control-allow-headers"), None);
    }
    // The wildcard origin: any subdomain, not the bare domain or a look-alike.
    let resp = preflight(
        addr,
        HOST,
        "/k",
        "http://deep.sub.example.com",
        "GET",
        "X-Cos-Meta-Author",
    )
    .await;
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://deep.sub.example.com"),
        "{resp}"
    );
    assert_eq!(
        header_of(&resp, "access-control-allow-headers"),
        Some("x-cos-meta-author")
    );
    for origin in [
        "http://example.com",
        "http://evilexample.com",
        "https://www.example.com",
        "http://www.example.com.evil",
        "null",
    ] {
        let resp = preflight(addr, HOST, "/k", origin, "GET", "").await;
        assert_eq!(
            status_and_code(&resp),
            (403, "AccessForbidden".to_owned()),
            "{origin}: {resp}"
        );
        assert!(!has_cors_headers(&resp), "{resp}");
    }
    // Method and headers must be allowed by the same rule.
    for (method, headers) in [
        ("DELETE", ""),
        ("HEAD", ""),
        ("OPTIONS", ""),
        ("put", ""),
        ("PUT", "content-type,authorization"),
        ("PUT", "x-other"),
    ] {
        let resp = preflight(addr, HOST, "/k", "http://www.example.com", method, headers).await;
        assert_eq!(
            status_and_code(&resp),
            (403, "AccessForbidden".to_owned()),
            "{method} {headers}: {resp}"
        );
    }
    // The second rule allows HEAD from its origin, with no header.
    let resp = preflight(addr, HOST, "/k", "http://head.test", "HEAD", "").await;
    assert_eq!(
        header_of(&resp, "access-control-allow-methods"),
        Some("HEAD"),
        "{resp}"
    );
    assert_eq!(header_of(&resp, "access-control-max-age"), None);
    assert_eq!(
        status(&preflight(addr, HOST, "/k", "http://head.test", "HEAD", "range").await),
        403
    );
    // Another bucket has no rules.
    assert_eq!(
        status(&preflight(addr, OTHER_HOST, "/k", "http://www.example.com", "PUT", "").await),
        403
    );
    // Without Origin or Access-Control-Request-Method: 400.
    let resp = send(
        addr,
        options_head(HOST, "/k", "Access-Control-Request-Method: PUT\r\n"),
        b"",
    )
    .await;
    assert_eq!(
        status_and_code(&resp),
        (400, "BadRequest".to_owned()),
        "{resp}"
    );
    let resp = send(
        addr,
        options_head(HOST, "/k", "Origin: http://www.example.com\r\n"),
        b"",
    )
    .await;
    assert_eq!(
        status_and_code(&resp),
        (400, "BadRequest".to_owned()),
        "{resp}"
    );
    // Two Origin headers: refused as every duplicate header is.
    let resp = send(addr, options_head(HOST, "/k", "Origin: http://www.example.com\r\nOrigin: http://x\r\nAccess-Control-Request-Method: PUT\r\n"), b"").await;
    assert_eq!(
        status_and_code(&resp),
        (400, "InvalidArgument".to_owned()),
        "{resp}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_preflight_never_stores_or_returns_object_data() {
    let handle = start_memory().await;
    let addr = handle.addr;
    assert_eq!(status(&put_cors(addr, HOST, RULES, "").await), 200);
    assert_eq!(
        status(&put_object_raw(addr, "secret", b"object bytes", "").await),
        200
    );
    // A body, and a valid signature for a PUT: still only a preflight.
    let auth = authorization("OPTIONS", "body", &[], &[("host", HOST)], ID, KEY, window());
    let head = options_head(
        HOST,
        "/body",
        &format!(
            "Origin: http://www.example.com\r\nAccess-Control-Request-Method: PUT\r\nAuthorization: {auth}\r\nContent-Length: 5\r\n"
        ),
    );
    let resp = send(addr, head, b"hello").await;
    assert_eq!(status(&resp), 200, "{resp}");
    assert_eq!(body_of(&resp), "");
    let resp = send(addr, signed_head("GET", HOST, "body", &[], ""), b"").await;
    assert_eq!(
        status_and_code(&resp),
        (404, "NoSuchKey".to_owned()),
        "{resp}"
    );
    // A preflight on an object sends none of its bytes or metadata.
    let resp = preflight(addr, HOST, "/secret", "http://www.example.com", "GET", "").await;
    assert_eq!(status(&resp), 200);
    assert!(
        !resp.contains("object bytes") && header_of(&resp, "etag").is_none(),
        "{resp}"
    );
    // A body past the drain limit: the answer, then the connection closes.
    let head = options_head(
        HOST,
        "/big",
        "Origin: http://www.example.com\r\nAccess-Control-Request-Method: PUT\r\nContent-Length: 100000000\r\n",
    );
    let resp = send(addr, head, &[b'x'; 1024]).await;
    assert_eq!(status(&resp), 200, "{resp}");
    assert_eq!(header_of(&resp, "connection"), Some("close"));
    let resp = send(addr, signed_head("GET", HOST, "big", &[], ""), b"").await;
    assert_eq!(status(&resp), 404);
    handle.shutdown().await;
}

#[tokio::test]
async fn actual_requests_from_allowed_origins_get_cors_headers_errors_included() {
    let handle = start_memory().await;
    let addr = handle.addr;
    let origin = "Origin: http://app.example.com\r\n";
    // Before any rule: no CORS headers.
    let resp = put_object_raw(
        addr,
        "o",
        b"data",
        &format!("{origin}x-cos-meta-author: ann\r\n"),
    )
    .await;
    assert_eq!(status(&resp), 200);
    assert!(!has_cors_headers(&resp), "{resp}");
    assert_eq!(status(&put_cors(addr, HOST, RULES, "").await), 200);

    let get = |key: &str, extra: &str| send(addr, signed_head("GET", HOST, key, &[], extra), b"");
    let resp = get("o", origin).await;
    assert_eq!(status(&resp), 200);
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://app.example.com")
    );
    assert_eq!(header_of(&resp, "vary"), Some("Origin"));
    // The ExposeHeader `x-cos-meta-*` names the answer's metadata headers.
    assert_eq!(
        header_of(&resp, "access-control-expose-headers"),
        Some("ETag,x-cos-meta-author"),
        "{resp}"
    );
    assert!(resp.ends_with("\r\n\r\ndata"));
    // Errors too: 404 NoSuchKey, and a 403 for a bad signature, readable by the page.
    let resp = get("missing", origin).await;
    assert_eq!(status_and_code(&resp), (404, "NoSuchKey".to_owned()));
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://app.example.com")
    );
    let unsigned = format!("GET /o HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n{origin}\r\n");
    let resp = exchange(addr, unsigned.as_bytes()).await;
    assert_eq!(status_and_code(&resp), (403, "AccessDenied".to_owned()));
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://app.example.com")
    );
    // A 304 keeps the browser's cached Expose-Headers: it sends none, but still the origin.
    let etag = header_of(&resp_of_get(addr, origin).await, "etag")
        .unwrap_or("")
        .to_owned();
    let resp = get("o", &format!("{origin}If-None-Match: {etag}\r\n")).await;
    assert_eq!(status(&resp), 304, "{resp}");
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://app.example.com")
    );
    assert_eq!(header_of(&resp, "access-control-expose-headers"), None);
    // No Origin, another origin, or a method the rule does not allow: none.
    assert!(!has_cors_headers(&get("o", "").await));
    assert!(!has_cors_headers(
        &get("o", "Origin: http://elsewhere.test\r\n").await
    ));
    let resp = send(addr, signed_head("DELETE", HOST, "o", &[], origin), b"").await;
    assert_eq!(status(&resp), 204);
    assert!(!has_cors_headers(&resp), "{resp}");
    // HEAD is allowed to the second rule's origin only.
    let resp = send(
        addr,
        signed_head("HEAD", HOST, "missing", &[], "Origin: http://head.test\r\n"),
        b"",
    )
    .await;
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://head.test"),
        "{resp}"
    );
    // Another bucket (no rules): none.
    let resp = send(addr, signed_head("GET", OTHER_HOST, "o", &[], origin), b"").await;
    assert!(!has_cors_headers(&resp), "{resp}");
    handle.shutdown().await;
}

async fn resp_of_get(addr: SocketAddr, extra: &str) -> String {
    send(addr, signed_head("GET", HOST, "o", &[], extra), b"").await
}

#[tokio::test]
async fn the_default_rule_covers_buckets_without_their_own() {
    let handle = server::spawn(
        config()
            .cors_allow_origin("http://127.0.0.1:8080")
            .cors_allow_origin("http://*.local.test"),
    )
    .await
    .expect("server starts");
    let addr = handle.addr;
    let resp = preflight(
        addr,
        HOST,
        "/k",
        "http://127.0.0.1:8080",
        "DELETE",
        "x-cos-meta-a,content-md5,x-anything",
    )
    .await;
    assert_eq!(status(&resp), 200, "{resp}");
    assert_eq!(
        header_of(&resp, "access-control-allow-methods"),
        Some("GET,PUT,POST,DELETE,HEAD")
    );
    assert_eq!(
        header_of(&resp, "access-control-allow-headers"),
        Some("x-cos-meta-a,content-md5,x-anything")
    );
    assert_eq!(header_of(&resp, "access-control-max-age"), Some("600"));
    assert_eq!(
        status(&preflight(addr, OTHER_HOST, "/", "http://a.local.test", "PUT", "").await),
        200
    );
    assert_eq!(
        status(&preflight(addr, HOST, "/k", "http://127.0.0.1:8081", "PUT", "").await),
        403
    );
    // The default rule exposes ETag and the answer's x-cos-* headers.
    let resp = put_object_raw(
        addr,
        "d",
        b"x",
        "Origin: http://127.0.0.1:8080\r\nx-cos-meta-who: me\r\n",
    )
    .await;
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("http://127.0.0.1:8080")
    );
    let expose = header_of(&resp, "access-control-expose-headers")
        .unwrap_or("")
        .to_ascii_lowercase();
    for name in ["etag", "content-length", "x-cos-request-id"] {
        assert!(expose.split(',').any(|n| n == name), "{name} in {expose}");
    }
    let resp = send(
        addr,
        signed_head("HEAD", HOST, "d", &[], "Origin: http://127.0.0.1:8080\r\n"),
        b"",
    )
    .await;
    let expose = header_of(&resp, "access-control-expose-headers").unwrap_or("");
    assert!(expose.split(',').any(|n| n == "x-cos-meta-who"), "{expose}");
    // The default rule is not the bucket's: GET Bucket cors is still 404, and the bucket's
    // own rules, once put, replace it.
    assert_eq!(status(&get_cors(addr, HOST).await), 404);
    assert_eq!(status(&put_cors(addr, HOST, RULES, "").await), 200);
    assert_eq!(
        status(&preflight(addr, HOST, "/k", "http://127.0.0.1:8080", "PUT", "").await),
        403
    );
    assert_eq!(
        status(&preflight(addr, OTHER_HOST, "/k", "http://127.0.0.1:8080", "PUT", "").await),
        200
    );
    handle.shutdown().await;
    // A bad origin in the configuration: the server does not start.
    let err = server::spawn(config().cors_allow_origin("http://a b"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(server::parse_cors_origin("*"), Ok("*".to_owned()));
    assert!(server::parse_cors_origin("http://*.*").is_err());
}

/// Generated preflights and origins (odd bytes, long runs, many header names, huge
/// values) over raw TCP: every answer is a COS answer or hyper's own 4xx, and the server
/// still answers a plain preflight after them.
#[tokio::test]
async fn hostile_preflights_and_origins_never_bring_the_server_down() {
    let handle = server::spawn(config().cors_allow_origin("*"))
        .await
        .expect("server starts");
    let addr = handle.addr;
    assert_eq!(status(&put_cors(addr, OTHER_HOST, RULES, "").await), 200);
    const PIECES: [&[u8]; 16] = [
        b"http://",
        b"*",
        b".example.com",
        b",",
        b" ",
        b"\t",
        b"\x00",
        b"\x7f",
        b"\xff",
        "中".as_bytes(),
        b"%00",
        b"x-cos-meta-",
        b"null",
        b":8080",
        b"\r",
        b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ];
    let mut rng = Rng::new(0xC0C5);
    let piece = |rng: &mut Rng, max: u64| {
        let mut v = Vec::new();
        for _ in 0..rng.below(max) {
            v.extend_from_slice(PIECES[rng.below(PIECES.len() as u64) as usize]);
        }
        v
    };
    for i in 0..300 {
        let host = if i % 2 == 0 { HOST } else { OTHER_HOST };
        let method: &[u8] = match i % 4 {
            0 => b"OPTIONS",
            1 => b"GET",
            2 => b"PUT",
            _ => b"DELETE",
        };
        let mut req = Vec::new();
        req.extend_from_slice(method);
        req.extend_from_slice(
            format!(" /k{i} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nOrigin: ").as_bytes(),
        );
        req.extend(piece(&mut rng, 12));
        req.extend_from_slice(b"\r\nAccess-Control-Request-Method: ");
        req.extend(piece(&mut rng, 3));
        req.extend_from_slice(b"\r\nAccess-Control-Request-Headers: ");
        req.extend(piece(&mut rng, 40));
        req.extend_from_slice(b"\r\n\r\n");
        let resp = exchange(addr, &req).await;
        let s = status(&resp);
        assert!((200..500).contains(&s), "{s}: {resp}");
    }
    // Huge values: a 60 KB origin, 5,000 requested header names.
    let long = format!("http://{}.example.com", "a".repeat(60_000));
    let resp = preflight(addr, OTHER_HOST, "/k", &long, "GET", "").await;
    assert_eq!(status(&resp), 403, "{}", &resp[..resp.len().min(300)]);
    let many = vec!["x-cos-meta-a"; 5000].join(",");
    let resp = preflight(addr, OTHER_HOST, "/k", "http://a.example.com", "GET", &many).await;
    assert_eq!(status(&resp), 403);
    // Even the `*` rule: an origin past 2,048 bytes is no browser's and never matches.
    let resp = preflight(addr, HOST, "/k", &long, "GET", "").await;
    assert_eq!(status(&resp), 403, "{}", &resp[..resp.len().min(300)]);
    let resp = send(
        addr,
        signed_head("GET", HOST, "k", &[], &format!("Origin: {long}\r\n")),
        b"",
    )
    .await;
    assert_eq!(status(&resp), 404);
    assert!(!has_cors_headers(&resp));
    let resp = preflight(addr, HOST, "/k", "http://x.test", "GET", "").await;
    assert_eq!(
        header_of(&resp, "access-control-allow-origin"),
        Some("*"),
        "{resp}"
    );
    let resp = preflight(
        addr,
        OTHER_HOST,
        "/k",
        "http://a.example.com",
        "GET",
        "x-cos-meta-b",
    )
    .await;
    assert_eq!(status(&resp), 200, "{resp}");
    handle.shutdown().await;
}
