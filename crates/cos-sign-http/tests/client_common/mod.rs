//! Helpers of the client tests: a local server on loopback, signers and clients reaching it
//! in IP mode (URL = the server's address, `Host` = the bucket's host) or as an HTTP proxy
//! (URL = the real COS host, as a client reaches COS).
#![allow(dead_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;

use cos_sign_http::Client;
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
