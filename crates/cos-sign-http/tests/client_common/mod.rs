//! Helpers of the client tests: a local server on loopback, signers and clients reaching it
//! in IP mode (URL = the server's address, `Host` = the bucket's host) or as an HTTP proxy
//! (URL = the real COS host, as a client reaches COS).
#![allow(dead_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;

use cos_sign_http::{Client, ClientBuilder};
use cos_sign_server::{self as server, Config, Credential, ServerHandle};
use cos_sign_std::config::{Endpoint, Scheme};
use cos_sign_std::credentials::{Credentials, StaticProvider};
use cos_sign_std::signer::Signer;
use md5::{Digest, Md5};

pub const ID: &str = "AKIDclientPermanentTestKey0000000001";
pub const KEY: &str = "clientPermanentSecret+/=0000000001";
pub const TMP_ID: &str = "AKIDclientTemporaryTestKey0000000002";
pub const TMP_KEY: &str = "clientTemporarySecret000000000002";
pub const TOKEN: &str = "client:token+/=%0002";
pub const BUCKET: &str = "examplebucket-1250000000";
pub const REGION: &str = "ap-guangzhou";
/// The path of the CVM metadata service's credentials folder.
pub const BASE: &str = "/latest/meta-data/cam/security-credentials/";

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn config() -> Config {
    Config::new("127.0.0.1:0".parse().unwrap())
        .credential(Credential::permanent(ID, KEY))
        .credential(Credential::temporary(TMP_ID, TMP_KEY, TOKEN))
}

pub async fn start(config: Config) -> ServerHandle {
    server::spawn(config).await.expect("server starts")
}

pub fn permanent() -> Credentials {
    Credentials::new(ID, KEY)
}

pub fn temporary() -> Credentials {
    Credentials::new(TMP_ID, TMP_KEY).with_token(TOKEN)
}

/// A signer whose URLs name the real COS host over http.
pub fn cos_signer(creds: Credentials) -> Signer {
    let ep = Endpoint::builder()
        .region(REGION)
        .scheme(Scheme::Http)
        .build()
        .unwrap();
    Signer::new(StaticProvider::new(creds), ep)
}

/// A signer in IP mode on the server's address.
pub fn ip_signer(addr: SocketAddr, creds: Credentials) -> Signer {
    let ep = Endpoint::builder()
        .region(REGION)
        .ip(addr.ip().to_string(), Some(addr.port()))
        .scheme(Scheme::Http)
        .build()
        .unwrap();
    Signer::new(StaticProvider::new(creds), ep)
}

/// A client reaching the server as an HTTP proxy, URLs keeping the real COS host.
pub fn proxy_client(addr: SocketAddr, signer: Option<Signer>) -> Client {
    let mut b = Client::builder().proxy(reqwest::Proxy::http(format!("http://{addr}")).unwrap());
    if let Some(s) = signer {
        b = b.signer(s);
    }
    b.build().unwrap()
}

/// With a temporary key from a provider under test (`key`: id, secret, token): starts a
/// local server that accepts it, then through it as a proxy, with `signing` (a builder
/// holding that provider's signer or credentials), puts `text` at `name` and reads it back.
pub async fn put_get_with(
    signing: ClientBuilder,
    key: (&str, &str, &str),
    name: &str,
    text: &'static str,
) {
    let server = start(config().credential(Credential::temporary(key.0, key.1, key.2))).await;
    let client = signing
        .proxy(reqwest::Proxy::http(server.url()).unwrap())
        .build()
        .unwrap();
    let bucket = client.bucket(BUCKET);
    bucket.put(name, text).await.unwrap();
    assert_eq!(&bucket.get(name).await.unwrap().body[..], text.as_bytes());
    server.shutdown().await;
}

/// The endpoint of the real COS host over http.
pub fn cos_endpoint() -> Endpoint {
    cos_signer(permanent()).endpoint().clone()
}

/// A client in IP mode.
pub fn ip_client(addr: SocketAddr, creds: Credentials) -> Client {
    Client::builder()
        .signer(ip_signer(addr, creds))
        .http_client(reqwest::Client::builder().no_proxy().build().unwrap())
        .build()
        .unwrap()
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

pub fn file_md5(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    hex(&h.finalize())
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Deterministic pseudo-random bytes (xorshift).
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Records progress calls and checks they only grow.
#[derive(Debug, Default)]
pub struct Progress {
    pub calls: Vec<(u64, Option<u64>)>,
}

impl Progress {
    pub fn record(&mut self) -> impl FnMut(u64, Option<u64>) + Send + '_ {
        |d, t| self.calls.push((d, t))
    }

    pub fn check(&self, total: u64) {
        assert!(!self.calls.is_empty(), "progress was called");
        assert!(
            self.calls.windows(2).all(|w| w[0].0 <= w[1].0),
            "progress only grows"
        );
        assert!(self.calls.iter().all(|c| c.1 == Some(total)));
        assert_eq!(
            self.calls.last().unwrap().0,
            total,
            "progress reaches the total"
        );
    }
}

/// One request as a stand-in saw it.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a stand-in answers.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: std::time::Duration,
    /// Send only this many body bytes, then stall (keep the connection open, silent).
    pub stall_after: Option<usize>,
    /// Announce this Content-Length and send no body (a HEAD answer).
    pub head_len: Option<u64>,
    /// Close the connection without answering.
    pub hang_up: bool,
    /// Send the body chunked (no Content-Length), in chunks of 64 KiB.
    pub chunked: bool,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            body: body.into(),
            ..Self::default()
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
    pub fn delay(mut self, d: std::time::Duration) -> Self {
        self.delay = d;
        self
    }
    pub fn stall_after(mut self, n: usize) -> Self {
        self.stall_after = Some(n);
        self
    }
    pub fn head_len(mut self, n: u64) -> Self {
        self.head_len = Some(n);
        self
    }
    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }
    pub fn hang_up() -> Self {
        Self {
            hang_up: true,
            ..Self::default()
        }
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A tiny HTTP/1.1 stand-in on 127.0.0.1 (a thread per connection, one request per
/// connection), answering what `handler` says and logging every request.
pub struct StandIn {
    pub addr: SocketAddr,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl StandIn {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let handler: std::sync::Arc<Handler> = std::sync::Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { break };
                let (log, handler) = (log.clone(), handler.clone());
                std::thread::spawn(move || {
                    let Some(req) = read_request(&mut s) else {
                        return;
                    };
                    log.lock().unwrap().push(req.clone());
                    let r = handler(&req);
                    std::thread::sleep(r.delay);
                    if r.hang_up {
                        return;
                    }
                    let length = if r.chunked {
                        "Transfer-Encoding: chunked".to_owned()
                    } else {
                        format!(
                            "Content-Length: {}",
                            r.head_len.unwrap_or(r.body.len() as u64)
                        )
                    };
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\n{length}\r\nConnection: close\r\n",
                        r.status
                    );
                    for (k, v) in &r.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = s.write_all(head.as_bytes());
                    match r.stall_after {
                        Some(n) => {
                            let _ = s.write_all(&r.body[..n.min(r.body.len())]);
                            let _ = s.flush();
                            std::thread::sleep(std::time::Duration::from_secs(600));
                        }
                        None if r.chunked => {
                            for c in r.body.chunks(64 * 1024) {
                                let _ = s.write_all(format!("{:x}\r\n", c.len()).as_bytes());
                                let _ = s.write_all(c);
                                let _ = s.write_all(b"\r\n");
                            }
                            let _ = s.write_all(b"0\r\n\r\n");
                        }
                        None => {
                            let _ = s.write_all(&r.body);
                        }
                    }
                });
            }
        });
        Self { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// Reads one HTTP/1.1 request (head, then a `Content-Length` body); `None` when the head
/// does not come whole.
pub fn read_request(s: &mut std::net::TcpStream) -> Option<Seen> {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&got[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = got[end..].to_vec();
    while body.len() < len {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

/// Forwards `req` (as a proxy received it: absolute-form target) to the server at `to`, and
/// returns its answer as a [`Reply`].
pub fn forward(req: &Seen, to: SocketAddr) -> Reply {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(to).unwrap();
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.path);
    for (k, v) in &req.headers {
        if !k.eq_ignore_ascii_case("connection") && !k.eq_ignore_ascii_case("proxy-connection") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&req.body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let text = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut reply = Reply::new(status, Vec::new());
    let mut chunked = false;
    let mut head_only = None;
    for l in lines {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("transfer-encoding") {
            chunked = v.eq_ignore_ascii_case("chunked");
        } else if k.eq_ignore_ascii_case("content-length") {
            head_only = v.parse::<u64>().ok();
        } else if !k.eq_ignore_ascii_case("connection") {
            reply = reply.header(k, v);
        }
    }
    let mut body = raw[end..].to_vec();
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let i = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n =
                usize::from_str_radix(std::str::from_utf8(&rest[..i]).unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[i + 2..i + 2 + n]);
            rest = &rest[i + 2 + n + 2..];
        }
        body = out;
    }
    if req.method == "HEAD"
        && let Some(n) = head_only
    {
        reply = reply.head_len(n);
    }
    reply.body = body;
    reply
}
