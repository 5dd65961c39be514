//! Helpers shared by the server tests: credentials, signing with cos-sign-core, clients.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use cos_sign_core::{KeyTime, Request, Signed, SigningKey};
use cos_sign_server::{self as server, Config, Credential, ServerHandle};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub const ID: &str = "AKIDrustPermanentTestKey000000000001";
pub const KEY: &str = "rustPermanentSecret+/=000000000001";
pub const TMP_ID: &str = "AKIDrustTemporaryTestKey000000000002";
pub const TMP_KEY: &str = "rustTemporarySecret000000000000002";
pub const TOKEN: &str = "rust:token+/=%0002";
pub const BUCKET: &str = "examplebucket-1250000000";
pub const HOST: &str = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com";

/// The SDK's path encoding: everything but `A-Z a-z 0-9 - _ . ~ /`.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The SDK's window around now.
pub fn window() -> KeyTime {
    KeyTime::sdk_window(now(), 300)
}

pub fn config() -> Config {
    Config::new("127.0.0.1:0".parse().unwrap())
        .credential(Credential::permanent(ID, KEY))
        .credential(Credential::temporary(TMP_ID, TMP_KEY, TOKEN))
        .default_bucket(BUCKET)
}

pub async fn start_memory() -> ServerHandle {
    server::spawn(config()).await.expect("server starts")
}

pub async fn start_disk(dir: &Path) -> ServerHandle {
    server::spawn(config().data_dir(dir))
        .await
        .expect("server starts")
}

/// `/` + key encoded as on the wire.
pub fn url_path(key: &str) -> String {
    format!("/{}", utf8_percent_encode(key, PATH))
}

/// The URL of `key` in the default bucket, unsigned.
pub fn object_url(key: &str) -> String {
    format!("http://{HOST}{}", url_path(key))
}

/// An `Authorization` header value for the request.
pub fn authorization(
    method: &str,
    key: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    id: &str,
    secret: &str,
    kt: KeyTime,
) -> String {
    signature(method, key, params, headers, secret, kt, |s| {
        s.authorization(id).to_string()
    })
}

/// `f` of the signature of the request (`key` without its leading `/`).
fn signature<T>(
    method: &str,
    key: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    secret: &str,
    kt: KeyTime,
    f: impl FnOnce(&Signed<'_>) -> T,
) -> T {
    let path = format!("/{key}");
    let req = Request::new(method, &path).params(params).headers(headers);
    f(&SigningKey::derive(secret.as_bytes(), kt)
        .sign(&req)
        .expect("signs"))
}

/// The query of a pre-signed URL: the `q-*` pairs, then the params (form-encoded, as
/// Python's `urlencode` writes them).
pub fn presigned_query(
    method: &str,
    key: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    id: &str,
    secret: &str,
    kt: KeyTime,
) -> String {
    let mut q = signature(method, key, params, headers, secret, kt, |s| {
        s.presigned_query(id).to_string()
    });
    if !params.is_empty() {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            ser.append_pair(k, v);
        }
        q.push('&');
        q.push_str(&ser.finish());
    }
    q
}

/// A pre-signed URL on the real COS host, signed with the permanent key and `host` only.
pub fn presigned_url(method: &str, key: &str, kt: KeyTime) -> String {
    let q = presigned_query(method, key, &[], &[("host", HOST)], ID, KEY, kt);
    format!("http://{HOST}{}?{q}", url_path(key))
}

/// A pre-signed URL on the real COS host with these params signed.
pub fn signed(method: &str, key: &str, params: &[(&str, &str)]) -> String {
    let q = presigned_query(method, key, params, &[("host", HOST)], ID, KEY, window());
    format!("http://{HOST}{}?{q}", url_path(key))
}

/// PUTs `data` at `key` (checked 200): its ETag (quoted).
pub async fn put_object(client: &reqwest::Client, key: &str, data: &[u8]) -> String {
    let resp = client
        .put(signed("PUT", key, &[]))
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.headers()["etag"].to_str().unwrap().to_owned()
}

/// Initiates a multipart upload of `key`: its id.
pub async fn initiate(client: &reqwest::Client, key: &str) -> String {
    let resp = client
        .post(signed("POST", key, &[("uploads", "")]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    xml_field(&resp.text().await.unwrap(), "UploadId").expect("an UploadId")
}

/// Uploads part `n` of upload `id`: its ETag (quoted).
pub async fn upload_part(
    client: &reqwest::Client,
    key: &str,
    id: &str,
    n: u32,
    data: impl Into<reqwest::Body>,
) -> String {
    let n = n.to_string();
    let resp = client
        .put(signed("PUT", key, &[("partNumber", &n), ("uploadId", id)]))
        .body(data)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.headers()["etag"].to_str().unwrap().to_owned()
}

/// A Complete Multipart Upload body naming `etags` as parts 1, 2, ...
pub fn complete_body<E: AsRef<str>>(etags: &[E]) -> String {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, e) in etags.iter().enumerate() {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            i + 1,
            e.as_ref()
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

/// Sets the default bucket's canned ACL with a signed PUT Bucket acl.
pub async fn set_bucket_acl(c: &reqwest::Client, acl: &str) {
    let resp = c
        .put(signed("PUT", "", &[("acl", "")]))
        .header("x-cos-acl", acl)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "x-cos-acl: {acl}");
}

/// Asserts 403 `AccessDenied` "Access Denied.".
pub async fn assert_denied(resp: reqwest::Response, what: &str) {
    let (status, code, body) = error_of(resp).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "AccessDenied"),
        "{what}: {body}"
    );
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("Access Denied."),
        "{what}"
    );
}

/// Completes upload `id` with `etags` as parts 1, 2, ...
pub async fn complete(
    client: &reqwest::Client,
    key: &str,
    id: &str,
    etags: &[String],
) -> reqwest::Response {
    client
        .post(signed("POST", key, &[("uploadId", id)]))
        .body(complete_body(etags))
        .send()
        .await
        .unwrap()
}

/// A client that reaches every `http://` URL through the server as its proxy (absolute-form
/// request targets, `Host` = the URL's host).
pub fn proxy_client(handle: &ServerHandle) -> reqwest::Client {
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(handle.url()).expect("proxy url"))
        .build()
        .expect("client")
}

/// A client that talks to the server directly.
pub fn direct_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// The text of `<name>` in a COS XML error body, unescaped.
pub fn xml_field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&close)?;
    Some(
        body[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Status, `Code`, and the whole body of an error answer.
pub async fn error_of(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    let code = xml_field(&body, "Code").unwrap_or_default();
    (status, code, body)
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn md5_base64(data: &[u8]) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

/// A folder removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "cos-sign-http-{tag}-{}-{}-{}",
            std::process::id(),
            now(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        Self(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Every file name under the bucket folder.
    pub fn bucket_files(&self) -> Vec<String> {
        match std::fs::read_dir(self.0.join(BUCKET)) {
            Ok(rd) => {
                let mut v: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                v.sort();
                v
            }
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small deterministic generator (xorshift64*), for reproducible sizes and bytes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}
