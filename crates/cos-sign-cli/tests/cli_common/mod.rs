//! Helpers shared by the tests of the `cos-sign` binary (`cli.rs`, `sync.rs`): running it
//! with a clean environment, the local server as a child process, stand-in servers, files.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;

pub const BIN: &str = env!("CARGO_BIN_EXE_cos-sign");
pub const ID: &str = "AKIDcliPermanent000000000000000001";
pub const KEY: &str = "cliPermanentSecretKey+/=00000000001";
pub const TMP_ID: &str = "AKIDcliTemporary000000000000000002";
pub const TMP_KEY: &str = "cliTemporarySecretKey00000000000002";
pub const TOKEN: &str = "cliSessionToken:xyz/+=0000000000002";
pub const BUCKET: &str = "examplebucket-1250000000";
pub const HOST: &str = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com";

/// Every output of every command, to check no secret leaks.
pub static OUTPUTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

pub fn home() -> &'static Path {
    use std::sync::OnceLock;
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("cos-sign-cli-home-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

/// `cos-sign` with a clean environment: no credentials unless given, an empty HOME.
pub fn cmd(args: &[&str], env: &[(&str, &str)]) -> Command {
    cmd_of(Path::new(BIN), args, env)
}

/// As [`cmd`], with the binary at `bin` (a copy of [`BIN`]).
pub fn cmd_of(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(bin);
    c.args(args)
        .env_clear()
        .env("HOME", home())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

pub fn record(label: &str, out: &Output) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    OUTPUTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((label.to_owned(), text));
}

pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = cmd(args, env).output().expect("cos-sign runs");
    record(&args.join(" "), &out);
    out
}

/// Asserts that `text` (an output) contains `needle`, showing the text when not.
#[track_caller]
pub fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
}

/// Asserts the exit code of `o`, showing its stderr when it differs.
#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", stderr(o));
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub const PERM: &[(&str, &str)] = &[("COS_SECRET_ID", ID), ("COS_SECRET_KEY", KEY)];

pub const TEMP: &[(&str, &str)] = &[
    ("COS_SECRET_ID", TMP_ID),
    ("COS_SECRET_KEY", TMP_KEY),
    ("COS_SECURITY_TOKEN", TOKEN),
];

/// A `cos-sign serve` child, killed on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
    /// The lines the server wrote on stderr (its request log, when not started quiet).
    pub log: Requests,
}

impl Server {
    pub fn start(extra: &[&str]) -> Self {
        Self::spawn(extra, true)
    }

    /// A server that logs each request, for [`Server::requests`].
    pub fn logged(extra: &[&str]) -> Self {
        Self::spawn(extra, false)
    }

    fn spawn(extra: &[&str], quiet: bool) -> Self {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
        if quiet {
            args.push("--quiet");
        }
        args.extend_from_slice(extra);
        let mut child = cmd(&args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line {line:?}"))
            .to_owned();
        let log = Requests::default();
        let lines = log.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        Server { child, url, log }
    }

    /// The requests a [`Server::logged`] server answered so far, as `METHOD BUCKET/KEY`
    /// lines in order. A request of its own is sent first, and the log read up to it, so
    /// every request answered before the call is in.
    pub fn requests(&self) -> Vec<String> {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicUsize, Ordering};
        static MARKS: AtomicUsize = AtomicUsize::new(0);
        let mark = format!("log-mark-{}", MARKS.fetch_add(1, Ordering::Relaxed));
        let mut s = std::net::TcpStream::connect(self.addr()).unwrap();
        write!(
            s,
            "GET /{mark} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let _ = s.read_to_end(&mut Vec::new());
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let lines = self.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(end) = lines.iter().position(|l| l.contains(&mark)) {
                return lines[..end]
                    .iter()
                    .filter(|l| !l.contains("log-mark-"))
                    .filter_map(|l| {
                        let (_, rest) = l.split_once(" GMT ")?;
                        rest.split_once(" -> ").map(|(r, _)| r.to_owned())
                    })
                    .collect();
            }
            assert!(
                std::time::Instant::now() < until,
                "the server did not log {mark}: {lines:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// A server that knows the permanent key `ID`/`KEY`.
    pub fn with_key() -> Self {
        Server::start(&["--credential", &format!("{ID}:{KEY}")])
    }

    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file `name` in `dir` holding `data(len, seed)`: its path and its bytes.
pub fn source(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let (path, bytes) = (dir.join(name), data(len, seed));
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

pub fn data(len: usize, seed: u64) -> Vec<u8> {
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

/// `args` over http through the local server at `proxy`.
pub fn through<'a>(args: &[&'a str], proxy: &'a str) -> Vec<&'a str> {
    let mut a = args.to_vec();
    a.extend_from_slice(&["--scheme", "http", "--proxy", proxy]);
    a
}

/// The requests a [`stand_in`] answered, as `METHOD TARGET` lines, in order.
pub type Requests = std::sync::Arc<Mutex<Vec<String>>>;

/// A stand-in server: `answer(method, request target)` gives the status line and headers,
/// and the body, of each request (the request's own body is not read); `Content-Length` of
/// the body is added unless the headers have one, then the connection is closed. Returns
/// its address and the requests it answered.
pub fn stand_in(
    answer: impl Fn(&str, &str) -> (String, Vec<u8>) + Send + 'static,
) -> (String, Requests) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Requests::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
                .unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&buf).into_owned();
            let mut line = head.split(' ');
            let (method, target) = (line.next().unwrap_or(""), line.next().unwrap_or("/"));
            log.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("{method} {target}"));
            let (head, body) = answer(method, target);
            let length = match head.to_ascii_lowercase().contains("\r\ncontent-length:") {
                true => String::new(),
                false => format!("Content-Length: {}\r\n", body.len()),
            };
            let head = format!("{head}{length}Connection: close\r\n\r\n");
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    (addr, seen)
}

/// An empty object at `key`, PUT through the proxy `proxy` (host:port) with a URL the test
/// signs itself (a `cos-sign put` per key would start a process for each).
pub fn put_direct(proxy: &str, key: &str) {
    let answer = send_direct(proxy, "PUT", BUCKET, key, None);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Initiates a multipart upload of `key` in `bucket` through the proxy `proxy` (signed by
/// the test, as `put_direct`), left unfinished; its upload id.
pub fn initiate_direct(proxy: &str, bucket: &str, key: &str) -> String {
    let answer = send_direct(proxy, "POST", bucket, key, Some("uploads"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let id = answer
        .split("<UploadId>")
        .nth(1)
        .and_then(|r| r.split("</UploadId>").next());
    id.expect("an UploadId").to_owned()
}

/// A bodiless `method` on `key` of `bucket` (with the valueless `param`, signed), through
/// the proxy `proxy`: the whole answer.
fn send_direct(proxy: &str, method: &str, bucket: &str, key: &str, param: Option<&str>) -> String {
    use cos_sign_std::config::{Endpoint, Scheme};
    use cos_sign_std::credentials::{Credentials, StaticProvider};
    use cos_sign_std::method::Method;
    use cos_sign_std::signer::{SignOptions, Signer};
    use std::io::{Read, Write};
    let endpoint = Endpoint::builder()
        .region("ap-guangzhou")
        .scheme(Scheme::Http)
        .build()
        .unwrap();
    let signer = Signer::new(StaticProvider::new(Credentials::new(ID, KEY)), endpoint);
    let (verb, opts) = match (method, param) {
        ("POST", Some(p)) => (Method::Post, SignOptions::default().param(p, "")),
        _ => (Method::Put, SignOptions::default()),
    };
    let p = signer.presign(verb, bucket, key, &opts).unwrap();
    let host = signer.host(bucket).unwrap();
    let mut s = std::net::TcpStream::connect(proxy).unwrap();
    write!(
        s,
        "{method} {} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        p.url
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

/// The names in `dir` and below it (`/`-joined paths, sorted), hidden ones included.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let name = format!("{rel}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                todo.push((e.path(), format!("{name}/")));
            }
            out.push(name);
        }
    }
    out.sort();
    out
}

/// The objects `ls -r --output json` lists under `prefix` (`key`, `size`, `etag`...).
pub fn listed_objects(server: &Server, prefix: &str) -> Vec<serde_json::Value> {
    let o = run(
        &through(
            &["ls", BUCKET, prefix, "-r", "--output", "json"],
            &server.url,
        ),
        PERM,
    );
    assert_exit(&o, 0);
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The keys `ls -r --output json` lists under `prefix`.
pub fn listed_keys(server: &Server, prefix: &str) -> Vec<String> {
    listed_objects(server, prefix)
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_owned())
        .collect()
}

/// A List Objects page of `keys` (each 3 bytes); truncated when `next` is given.
pub fn list_page(keys: &[&str], next: Option<&str>) -> Vec<u8> {
    let mut xml = String::from("<ListBucketResult>");
    match next {
        Some(m) => xml.push_str(&format!(
            "<IsTruncated>true</IsTruncated><NextMarker>{m}</NextMarker>"
        )),
        None => xml.push_str("<IsTruncated>false</IsTruncated>"),
    }
    for k in keys {
        xml.push_str(&format!(
            "<Contents><Key>{k}</Key><Size>3</Size></Contents>"
        ));
    }
    xml.push_str("</ListBucketResult>");
    xml.into_bytes()
}

/// The path and query of a request target, absolute (through a proxy) or not.
pub fn path_query(target: &str) -> (&str, &str) {
    let path = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    path.split_once('?').unwrap_or((path, ""))
}

/// COS's error answer: the status line and the XML body.
pub fn cos_error(status: &str, code: &str) -> (String, Vec<u8>) {
    (
        format!("HTTP/1.1 {status}\r\nContent-Type: application/xml\r\n"),
        format!("<Error><Code>{code}</Code><Message>refused by the test</Message></Error>")
            .into_bytes(),
    )
}
