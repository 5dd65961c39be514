//! A local Tencent Cloud COS-compatible object server, for trying clients and firmware
//! without a cloud account.
//!
//! What it is: an HTTP/1.1 server (hyper + tokio) that verifies every request exactly as COS
//! does and keeps objects in memory or in a folder. What it is not: a client (that is
//! `cos-sign-http`), a signer (that is `cos-sign-core`, whose verification it uses), or a
//! production object store. Layer: it sits on `cos-sign-core` (verification) and
//! `cos-sign-std` (credentials for the secret lookup); `cos-sign-cli` runs it as `cos-sign serve`.
//!
//! It verifies every request as COS does: the `Authorization` header or the `q-*` params of a
//! pre-signed URL, recomputed over the listed headers and params taken from the request as
//! received (the `host` header included, port and all), the time window against the server's
//! clock, and the token of temporary keys. Every operation below acts only on the request as
//! verified ([`VerifiedRequest`]). Failures are COS-style XML errors (`SignatureDoesNotMatch`
//! with `StringToSign` and `FormatString`, `AccessDenied`, `InvalidAccessKeyId`, `NoSuchKey`,
//! `BadDigest`, ...).
//!
//! It also verifies **AWS Signature Version 4**, as COS accepts it from the AWS S3 SDKs
//! (module `sigv4`; the body checks of aws-chunked and `x-amz-content-sha256` in
//! `aws_chunked`): header and pre-signed query auth, the credential scope against the Host's
//! region, S3's 15-minute skew and 7-day expiry, `host` and every `x-amz-*` and `x-cos-*`
//! header signed, S3's error codes (`SignatureDoesNotMatch` with its
//! `CanonicalRequest`, `AuthorizationHeaderMalformed`, `XAmzContentSHA256Mismatch`, ...).
//! The operations see such a request's `x-amz-*` headers under their `x-cos-*` names.
//!
//! # Operations
//!
#![doc = concat!("```text\n", include_str!("operations.txt"), "```")]
//!
//! **One request, one meaning.** Each request is read once into a [`VerifiedRequest`]
//! (module [`request`]): the host, bucket, key, headers and params the signature is checked
//! over are the very values the operations act on; nothing else of the HTTP request reaches
//! them. The bucket comes from the host (`<bucket>.<endpoint>`): the `Host` header, or the
//! target of an absolute-form request (`PUT http://<bucket>.cos.<region>.myqcloud.com/key
//! HTTP/1.1`, so a client may use the server as an HTTP proxy), whose authority must then
//! equal `Host` (ASCII case aside) and carry no userinfo. A host that names no bucket (an IP
//! address, `localhost`, two labels or fewer) uses the configured default bucket; without
//! one, and on the service hosts (`service.cos.myqcloud.com`, `cos.<region>.myqcloud.com`),
//! the request names no bucket and only GET Service (list buckets) is answered.
//!
//! **Duplicates.** COS itself (and [`cos_sign_core::verify_request`]) uses the *last*
//! occurrence of a header or param whose name appears more than once. This server accepts
//! no such request: any header name sent twice (`Host` included), any query param whose
//! decoded name appears twice (ASCII case aside), and any `q-*` field twice or misspelt, are
//! 400 `InvalidArgument` before verification, so no operation can see an occurrence other
//! than the one verified. Stored with an object and returned by GET/HEAD are exactly the
//! verified `Content-Type`, `Content-Disposition`, `Content-Encoding`, `Cache-Control`,
//! `Expires` and `x-cos-meta-*` of its PUT; the `response-*` overrides of a GET are applied
//! only when the signature covers them.
//!
//! **Anonymous requests.** A request with no signature at all (no `Authorization`, no `q-*`
//! params) is served only where the ACLs open it to everyone (module `anonymous`: a
//! `public-read` object, a `default` one in a `public-read` bucket, ...), through the same
//! code as a signed request, and logged with `anonymous`; everything else unsigned is refused
//! as before (403 `AccessDenied`). A request that carries a signature is always verified.
//!
//! **Limits** ([`Limits`], [`limits`]): header-read timeout (30 s, hyper's timer; a form
//! upload's fields, read before its signature is checked, within the same time), body idle
//! timeout (60 s), 1,024 connections at once (more wait in the kernel's queue), 5 GiB per PUT
//! (`EntityTooLarge`), 256 MiB in the memory store (`EntityTooLarge`), 850-byte keys
//! (`KeyTooLong`); a refused request's body is read (for a client that writes it whole before
//! it reads the answer) to 16 MiB and for 10 s at most, then the connection closes. The clock offset saturates (an HTTP date holds years up to 9999).
//!
//! ```no_run
//! use cos_sign_server::{self as server, Config, Credential};
//! # async fn demo() -> std::io::Result<()> {
//! let config = Config::new("127.0.0.1:0".parse().unwrap())
//!     .data_dir("/tmp/cos-data")
//!     .credential(Credential::permanent("AKIDexample", "secret"))
//!     .default_bucket("examplebucket-1250000000");
//! let handle = server::spawn(config).await?;
//! println!("listening on {}", handle.url());
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

mod acl;
mod anonymous;
mod append;
mod aws_chunked;
mod body;
mod bucket;
mod bucket_config;
mod bucket_tagging;
mod buckets;
mod checksum;
mod copy;
mod cors;
mod cors_ops;
mod crc64;
mod delete_multiple;
mod encryption;
mod error;
mod handler;
pub mod limits;
mod list_v2;
mod multipart;
mod object_ops;
mod overwrite;
mod parts;
mod post_object;
pub mod request;
mod response;
mod routes;
mod sigv4;
mod sigv4_canonical;
mod sigv4_key;
mod store;
mod tagging;
mod versions;
mod xml;

pub use limits::Limits;
pub use request::VerifiedRequest;
pub use xml::iso8601;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cos_sign_std::credentials::Secret;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};

/// Where objects are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Storage {
    /// In memory, gone when the server stops.
    #[default]
    Memory,
    /// Under a folder: `<dir>/<bucket>/<encoded key>`. Each upload is streamed into a
    /// temporary file in the bucket's folder and renamed into place once complete and
    /// checked, so a cut connection or a crash never leaves a partial object. Multipart
    /// uploads in progress live under `<dir>/.uploads/<bucket>/<upload id>/` until Complete,
    /// Abort or their expiry.
    Disk(PathBuf),
}

/// A key pair the server accepts. A temporary key also requires its token
/// (`x-cos-security-token`, header or query param) on every request. The key and the token
/// are held in `cos-sign-std`'s [`Secret`] (zeroized on drop, never shown by `Debug`).
#[derive(Clone)]
pub struct Credential {
    secret_id: String,
    secret_key: Secret,
    token: Option<Secret>,
}

impl Credential {
    /// A permanent key.
    pub fn permanent(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            secret_id: secret_id.into(),
            secret_key: Secret::new(secret_key),
            token: None,
        }
    }

    /// A temporary key with its security token.
    pub fn temporary(
        secret_id: impl Into<String>,
        secret_key: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        Self {
            secret_id: secret_id.into(),
            secret_key: Secret::new(secret_key),
            token: Some(Secret::new(token)),
        }
    }

    /// Parses `ID:KEY` (permanent) or `ID:KEY:TOKEN` (temporary; the token may contain `:`).
    ///
    /// # Errors
    /// A message (without the secret) when the id or the key is missing or empty.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut parts = spec.splitn(3, ':');
        let id = parts.next().unwrap_or("");
        let key = parts.next().unwrap_or("");
        let token = parts.next();
        if id.is_empty() || key.is_empty() {
            return Err("a credential is ID:KEY or ID:KEY:TOKEN".to_owned());
        }
        Ok(match token {
            Some(t) if !t.is_empty() => Self::temporary(id, key, t),
            _ => Self::permanent(id, key),
        })
    }

    /// The secret id.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// Whether this is a temporary key (one with a token).
    pub fn is_temporary(&self) -> bool {
        self.token.is_some()
    }
}

/// From `cos-sign-std`'s credentials (environment, profile file, ...): temporary when they
/// carry a token.
impl From<&cos_sign_std::credentials::Credentials> for Credential {
    fn from(c: &cos_sign_std::credentials::Credentials) -> Self {
        match c.token() {
            Some(t) => Self::temporary(c.secret_id(), c.expose_secret_key(), t),
            None => Self::permanent(c.secret_id(), c.expose_secret_key()),
        }
    }
}

/// Shows the secret id only.
impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("temporary", &self.token.is_some())
            .finish()
    }
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// Where objects are kept.
    pub storage: Storage,
    /// The keys accepted.
    pub credentials: Vec<Credential>,
    /// The bucket of requests whose host names none (an IP address, `localhost`).
    pub default_bucket: Option<String>,
    /// Seconds added to the system clock (to test expiry and clock skew), for every time the
    /// server uses (one clock, `State::now`): the time-window check, `Date`, `Last-Modified` (a file's
    /// time on disk), listings' `LastModified`, multipart `Initiated` and the upload expiry.
    pub clock_offset: i64,
    /// Log one line per request to stderr (method, bucket, key, status, code, request id;
    /// never credentials, signatures or query strings). Values from the request are written
    /// as `str::escape_debug` writes them (`\n`, `\u{1b}`, `\u{2028}`; printable text such as a
    /// Chinese key as it is): one line each.
    pub log: bool,
    /// Timeouts and size limits.
    pub limits: Limits,
    /// A multipart upload no part has reached for this long is removed with its parts
    /// (checked at start, then every minute or so).
    pub upload_expiry: Duration,
    /// Origins (`http://127.0.0.1:8080`, `http://*.example.com`, `*`) of the CORS rule that
    /// applies to buckets without rules of their own (PUT Bucket cors): every method, every
    /// request header, the usual response headers exposed (`ETag`, `Content-*`,
    /// `x-cos-*`, ...). Empty: no such rule (a bucket without rules refuses preflights).
    pub cors_allow_origins: Vec<String>,
    /// The owner's account id (uin) that ACLs name (`qcs::cam::uin/<uin>:uin/<uin>`); `None`:
    /// each bucket's APPID (`<name>-<appid>`), as this server has no account of its own.
    pub owner_uin: Option<String>,
    /// The region of a bucket PUT Bucket created through a host that names none (an IP
    /// address, `localhost`), and of every bucket that exists only implicitly (never
    /// created, holding objects or uploads), as GET Service lists them.
    pub region: String,
}

impl Config {
    /// In memory, no credentials, no default bucket, no clock offset, no log.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            storage: Storage::Memory,
            credentials: Vec::new(),
            default_bucket: None,
            clock_offset: 0,
            log: false,
            limits: Limits::default(),
            upload_expiry: DEFAULT_UPLOAD_EXPIRY,
            cors_allow_origins: Vec::new(),
            owner_uin: None,
            region: DEFAULT_REGION.to_owned(),
        }
    }

    /// The region of buckets whose host named none (see [`Config::region`]).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Allows one more origin in the default CORS rule (see [`Config::cors_allow_origins`]).
    pub fn cors_allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.cors_allow_origins.push(origin.into());
        self
    }

    /// The owner's uin that ACLs name (digits; see [`Config::owner_uin`]).
    pub fn owner_uin(mut self, uin: impl Into<String>) -> Self {
        self.owner_uin = Some(uin.into());
        self
    }

    /// How long an untouched multipart upload is kept.
    pub fn upload_expiry(mut self, expiry: Duration) -> Self {
        self.upload_expiry = expiry;
        self
    }

    /// Sets the timeouts and size limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Keeps objects in memory.
    pub fn memory(mut self) -> Self {
        self.storage = Storage::Memory;
        self
    }

    /// Keeps objects under `dir` (created if missing).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.storage = Storage::Disk(dir.into());
        self
    }

    /// Accepts one more key.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credentials.push(credential);
        self
    }

    /// The bucket of requests whose host names none.
    pub fn default_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.default_bucket = Some(bucket.into());
        self
    }

    /// Seconds added to the system clock.
    pub fn clock_offset(mut self, seconds: i64) -> Self {
        self.clock_offset = seconds;
        self
    }

    /// Logs one line per request to stderr.
    pub fn log(mut self, on: bool) -> Self {
        self.log = on;
        self
    }
}

/// The operations the server answers and those it does not, as `cos-sign-server --help` and
/// `cos-sign serve --help` print them.
pub const OPERATIONS: &str = include_str!("operations.txt");

/// The default of [`Config::region`]: the region of the SDKs' examples.
pub const DEFAULT_REGION: &str = "ap-guangzhou";

/// How long an untouched multipart upload is kept by default: one day.
pub const DEFAULT_UPLOAD_EXPIRY: Duration = Duration::from_secs(24 * 3600);

/// State shared by all connections.
struct State {
    store: store::Store,
    parts: parts::Parts,
    /// The `--cors-allow-origin` rule, for buckets without rules of their own.
    default_cors: Option<Arc<cors::CorsConfig>>,
    /// Bucket settings: each bucket's ACL and CORS rules.
    buckets: bucket_config::BucketConfig,
    /// The owner's uin (`Config::owner_uin`).
    owner_uin: Option<String>,
    /// The region of buckets whose host named none (`Config::region`).
    region: String,
    /// Taken by PUT Bucket and DELETE Bucket around their check and change (see `buckets`).
    bucket_lock: tokio::sync::Mutex<()>,
    credentials: HashMap<String, Credential>,
    default_bucket: Option<String>,
    clock_offset: i64,
    log: bool,
    limits: Limits,
    seed: u64,
    counter: AtomicU64,
    /// Response extensions that make hyper write header names as COS does (`ETag`,
    /// `x-cos-request-id`, `Content-Length`).
    header_case: hyper::http::Extensions,
}

impl State {
    /// The server's clock: system time plus the configured offset.
    fn now(&self) -> SystemTime {
        offset_clock(SystemTime::now(), self.clock_offset)
    }

    fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }
}

/// The latest server clock: 9999-12-31T23:59:59Z, the last second an HTTP date can carry.
pub const MAX_CLOCK_SECS: u64 = 253_402_300_799;

/// `now` moved by `offset` seconds, in whole seconds, clamped to the range an HTTP date
/// represents: from the epoch to [`MAX_CLOCK_SECS`]. No offset panics (`i64::MAX` is the
/// year 9999, `i64::MIN` the epoch).
pub fn offset_clock(now: SystemTime, offset: i64) -> SystemTime {
    let now_secs: i128 = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::from(d.as_secs()),
        Err(e) => -i128::from(e.duration().as_secs()),
    };
    let moved = now_secs.saturating_add(i128::from(offset));
    let clamped = moved.clamp(0, i128::from(MAX_CLOCK_SECS));
    UNIX_EPOCH + Duration::from_secs(u64::try_from(clamped).unwrap_or(MAX_CLOCK_SECS))
}

/// Unix seconds of `t` (0 before the epoch).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A running server. Dropping it (or [`shutdown`](ServerHandle::shutdown)) stops accepting
/// connections and closes the open ones.
#[derive(Debug)]
pub struct ServerHandle {
    /// The address it listens on (the real port when `0` was asked).
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits until every connection is closed.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `config.addr` and serves in the background on the current tokio runtime.
///
/// # Errors
/// Binding fails, or the data folder cannot be created.
pub async fn spawn(config: Config) -> std::io::Result<ServerHandle> {
    // Each error names what failed: the data folder, or the address.
    let in_folder = |e: std::io::Error| match &config.storage {
        Storage::Disk(dir) => {
            std::io::Error::new(e.kind(), format!("data folder {}: {e}", dir.display()))
        }
        Storage::Memory => e,
    };
    let default_cors = if config.cors_allow_origins.is_empty() {
        None
    } else {
        let rule = cors::CorsConfig::allow_origins(&config.cors_allow_origins)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        Some(Arc::new(rule))
    };
    let store = store::Store::open(&config.storage, config.limits.memory_store_cap)
        .await
        .map_err(in_folder)?;
    let listener = TcpListener::bind(config.addr).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", config.addr))
    })?;
    let addr = listener.local_addr()?;
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id()).rotate_left(32);
    let parts = parts::Parts::open(&config.storage, config.limits.memory_store_cap)
        .await
        .map_err(in_folder)?;
    let buckets = bucket_config::BucketConfig::open(&config.storage)
        .await
        .map_err(in_folder)?;
    let state = Arc::new(State {
        store,
        parts,
        default_cors,
        buckets,
        owner_uin: config.owner_uin,
        region: config.region,
        bucket_lock: tokio::sync::Mutex::new(()),
        credentials: config
            .credentials
            .into_iter()
            .map(|c| (c.secret_id.clone(), c))
            .collect(),
        default_bucket: config.default_bucket.map(|b| b.to_ascii_lowercase()),
        clock_offset: config.clock_offset,
        log: config.log,
        limits: config.limits,
        seed,
        counter: AtomicU64::new(1),
        header_case: cos_header_case().await,
    });
    let (tx, rx) = oneshot::channel();
    let _ = state.parts.sweep(config.upload_expiry, state.now()).await;
    tokio::spawn(sweep_loop(Arc::downgrade(&state), config.upload_expiry));
    let task = tokio::spawn(accept_loop(listener, state, rx));
    Ok(ServerHandle {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Removes abandoned multipart uploads until the server is gone.
async fn sweep_loop(state: std::sync::Weak<State>, expiry: Duration) {
    let every = (expiry / 4).clamp(Duration::from_millis(100), Duration::from_secs(60));
    loop {
        tokio::time::sleep(every).await;
        let Some(state) = state.upgrade() else { break };
        if let Ok(n) = state.parts.sweep(expiry, state.now()).await
            && n > 0
            && state.log
        {
            eprintln!("cos-sign-server: removed {n} abandoned multipart upload(s)");
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    // Past the cap, no accept: further connections wait in the kernel's queue.
    let slots = Arc::new(Semaphore::new(state.limits.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            _ = &mut stop => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let accepted = tokio::select! {
            _ = &mut stop => break,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                if state.log {
                    eprintln!("cos-sign-server: accept failed: {e}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        conns.spawn(async move {
            let _permit = permit;
            let header_timeout = state.limits.header_read_timeout;
            let svc = service_fn(move |req| handler::handle(state.clone(), req));
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_headers(limits::MAX_HEADERS)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
        while conns.try_join_next().is_some() {}
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// Header names as COS writes them. `SDK.put_object` returns the response headers as a plain,
/// case-sensitive dict (`response['ETag']`), so the case on the wire matters.
const COS_HEADER_NAMES: [&str; 17] = [
    "Accept-Ranges",
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Range",
    "Expires",
    "Location",
    "Content-Type",
    "Date",
    "ETag",
    "Last-Modified",
    "Server",
    "x-cos-request-id",
    "x-cos-trace-id",
];

/// hyper writes a response's header names in the case recorded in its extensions, a map it
/// only builds itself while parsing with `preserve_header_case`. So parse one request
/// carrying the COS names, in memory, and keep its extensions for every response.
async fn cos_header_case() -> hyper::http::Extensions {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client, server) = tokio::io::duplex(4096);
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(req.extensions().clone());
        }
        async {
            Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Empty::<
                bytes::Bytes,
            >::new()))
        }
    });
    let conn = http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(TokioIo::new(server), svc);
    let mut head = String::from("GET / HTTP/1.1\r\nHost: localhost\r\n");
    for name in COS_HEADER_NAMES {
        if name != "Connection" && name != "Content-Length" {
            head.push_str(name);
            head.push_str(": x\r\n");
        }
    }
    head.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    let talk = async move {
        let _ = client.write_all(head.as_bytes()).await;
        let mut sink = Vec::new();
        let _ = client.read_to_end(&mut sink).await;
    };
    let _ = tokio::join!(conn, talk);
    rx.await.unwrap_or_default()
}

/// The server's request path without a socket, for the fuzz target: builds the method, target
/// and headers as hyper does (invalid ones are `Err("hyper")`, which hyper answers with 400),
/// then parses once, verifies and routes exactly as a connection does. `Ok` is a request the
/// server would act on; `Err` carries the COS error code.
#[doc(hidden)]
pub fn fuzz_entry(
    method: &[u8],
    target: &[u8],
    headers: &[(&[u8], &[u8])],
    credentials: &[Credential],
    default_bucket: Option<&str>,
    now: u64,
) -> Result<VerifiedRequest, &'static str> {
    use hyper::header::{HeaderMap, HeaderName, HeaderValue};
    let method = hyper::Method::from_bytes(method).map_err(|_| "hyper")?;
    let uri = hyper::Uri::try_from(target).map_err(|_| "hyper")?;
    let mut map = HeaderMap::new();
    for (n, v) in headers {
        let name = HeaderName::from_bytes(n).map_err(|_| "hyper")?;
        let value = HeaderValue::from_bytes(v).map_err(|_| "hyper")?;
        map.append(name, value);
    }
    let credentials: HashMap<String, Credential> = credentials
        .iter()
        .map(|c| (c.secret_id.clone(), c.clone()))
        .collect();
    let verifier = request::Verifier {
        credentials: &credentials,
        now,
    };
    let default_bucket = default_bucket.map(str::to_ascii_lowercase);
    handler::route(
        &method,
        &uri,
        &map,
        &verifier,
        default_bucket.as_deref(),
        false,
    )
    .map_err(|(e, _)| e.code)
}

/// The warning `--credential` prints: a command line is visible to other users.
pub const ARGV_SECRET_WARNING: &str = "warning: --credential puts the secret key on the command line, where other \
users of this machine can read it (ps, /proc); prefer COS_SECRET_ID/COS_SECRET_KEY, the profile \
file or --credentials-file";

/// Parses a duration flag value in seconds (fractions allowed, e.g. `0.5`): finite, not
/// negative, at most a year.
///
/// # Errors
/// A message naming the value.
pub fn parse_seconds(v: &str) -> Result<Duration, String> {
    let secs: f64 = v
        .parse()
        .map_err(|_| format!("{v} is not a number of seconds"))?;
    if !secs.is_finite() || !(0.0..=31_536_000.0).contains(&secs) {
        return Err(format!("{v}: seconds must be between 0 and 31536000"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a listening address: `IP:PORT` (`127.0.0.1:9000`, `[::1]:9000`), or `HOST:PORT`
/// with a name the system resolves (`localhost:9000`), its first IPv4 address if it has one.
///
/// # Errors
/// A message naming the value.
pub fn parse_addr(v: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(a) = v.parse() {
        return Ok(a);
    }
    let bad = |why: String| format!("{v}: {why} (HOST:PORT, e.g. 127.0.0.1:9000)");
    let all: Vec<SocketAddr> = v
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .collect();
    all.iter()
        .find(|a| a.is_ipv4())
        .or_else(|| all.first())
        .copied()
        .ok_or_else(|| bad("the name has no address".to_owned()))
}

/// Checks an `--owner-uin` value: an account id of 1 to 20 digits.
///
/// # Errors
/// A message naming the value.
pub fn parse_owner_uin(v: &str) -> Result<String, String> {
    if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{v}: a uin is 1 to 20 digits"));
    }
    Ok(v.to_owned())
}

/// Checks a `--region` value: lowercase letters, digits and `-`, 1 to 64 of them, not
/// starting or ending with `-` (`ap-guangzhou`).
///
/// # Errors
/// A message naming the value.
pub fn parse_region(v: &str) -> Result<String, String> {
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if ok {
        Ok(v.to_owned())
    } else {
        Err(format!(
            "{v}: a region is lowercase letters, digits and - (e.g. ap-guangzhou)"
        ))
    }
}

/// Checks a `--cors-allow-origin` value: printable ASCII without spaces or commas, one `*`
/// at most (`http://127.0.0.1:8080`, `http://*.example.com`, `*`).
///
/// # Errors
/// A message naming the value.
pub fn parse_cors_origin(v: &str) -> Result<String, String> {
    cors::check_origin(v).map(|()| v.to_owned())
}

/// Parses a timeout flag value as [`parse_seconds`] does, above zero: a zero timeout would
/// end every request (a body idle timeout of 0 refuses every upload with `RequestTimeout`).
///
/// # Errors
/// A message naming the value.
pub fn parse_timeout(v: &str) -> Result<Duration, String> {
    let d = parse_seconds(v)?;
    if d.is_zero() {
        return Err(format!(
            "{v}: a timeout must be more than 0 seconds (at most 31536000)"
        ));
    }
    Ok(d)
}

/// Runs the server until Ctrl-C (or SIGTERM on Unix). Prints `listening on http://ADDR` as its
/// first line on stdout, so a parent process can read the port.
///
/// # Errors
/// As [`spawn`].
pub async fn run_until_ctrl_c(config: Config) -> std::io::Result<()> {
    use std::io::Write;
    let handle = spawn(config).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", handle.url())?;
        out.flush()?;
    }
    wait_for_signal().await;
    handle.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn seconds_and_timeouts() {
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        for bad in [
            "0", "0.0", "-0", "1e-12", "-1", "nan", "inf", "31536001", "x", "",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert!(
            parse_timeout("0")
                .unwrap_err()
                .contains("more than 0 seconds")
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("127.0.0.1:9000"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 9000)))
        );
        assert_eq!(parse_addr("[::1]:0").map(|a| a.is_ipv6()), Ok(true));
        assert_eq!(
            parse_addr("localhost:9000"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 9000)))
        );
        // (None needs a name server: no port, or a port past 65535.)
        for bad in ["localhost", "127.0.0.1:99999", "localhost:-1", ""] {
            let e = parse_addr(bad).unwrap_err();
            assert!(e.contains("HOST:PORT"), "{bad}: {e}");
        }
    }
}
