//! End-to-end tests of the `cos-sign` binary: `demo`; `serve` in the background with
//! `presign` URLs used by `curl` (through `--proxy`, the URLs keeping the real COS host, and
//! directly); tampered URLs; `verify` verdicts; `put`/`get`; bad input; no secret in any
//! output. Needs `curl` (installed with apt-get when missing).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;

const BIN: &str = env!("CARGO_BIN_EXE_cos-sign");
const ID: &str = "AKIDcliPermanent000000000000000001";
const KEY: &str = "cliPermanentSecretKey+/=00000000001";
const TMP_ID: &str = "AKIDcliTemporary000000000000000002";
const TMP_KEY: &str = "cliTemporarySecretKey00000000000002";
const TOKEN: &str = "cliSessionToken:xyz/+=0000000000002";
const BUCKET: &str = "examplebucket-1250000000";
const HOST: &str = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com";

/// Every output of every command, to check no secret leaks.
static OUTPUTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn home() -> &'static Path {
    use std::sync::OnceLock;
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("cos-sign-cli-home-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

/// `cos-sign` with a clean environment: no credentials unless given, an empty HOME.
fn cmd(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("HOME", home())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn record(label: &str, out: &Output) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    OUTPUTS.lock().unwrap().push((label.to_owned(), text));
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = cmd(args, env).output().expect("cos-sign runs");
    record(&args.join(" "), &out);
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const PERM: &[(&str, &str)] = &[("COS_SECRET_ID", ID), ("COS_SECRET_KEY", KEY)];
const TEMP: &[(&str, &str)] = &[
    ("COS_SECRET_ID", TMP_ID),
    ("COS_SECRET_KEY", TMP_KEY),
    ("COS_SECURITY_TOKEN", TOKEN),
];

fn presign(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut a = vec!["presign", "--scheme", "http"];
    a.extend_from_slice(args);
    let o = run(&a, env);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o).trim().to_owned()
}

/// A `cos-sign serve` child, killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(extra: &[&str]) -> Self {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--quiet"];
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
        Server { child, url }
    }

    fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ensure_curl() {
    let ok = |c: &mut Command| c.output().map(|o| o.status.success()).unwrap_or(false);
    if ok(Command::new("curl").arg("--version")) {
        return;
    }
    // As the brief of this test asks: install curl when missing (the CI image runs as root).
    let _ = Command::new("apt-get")
        .args(["install", "-y", "-q", "curl"])
        .status();
    assert!(
        ok(Command::new("curl").arg("--version")),
        "curl is required: apt-get install curl"
    );
}

/// Runs curl; returns (HTTP status, body text).
fn curl(args: &[&str]) -> (u16, String) {
    ensure_curl();
    let out = Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}"])
        .args(args)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        code.trim()
            .parse()
            .unwrap_or_else(|_| panic!("curl said {text:?} {:?}", out.stderr)),
        body.to_owned(),
    )
}

fn code_of(xml: &str) -> &str {
    xml.split("<Code>")
        .nth(1)
        .and_then(|r| r.split("</Code>").next())
        .unwrap_or("")
}

fn data(len: usize, seed: u64) -> Vec<u8> {
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

#[test]
fn demo_succeeds() {
    let o = run(&["demo", "--size", "1500000"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    for n in 1..=7 {
        assert!(s.contains(&format!("[{n}/7]")), "{s}");
    }
    assert!(s.contains("pre-signed upload URL"));
    assert!(s.contains(
        "http://demo-1250000000.cos.ap-guangzhou.myqcloud.com/demo/hello%20cos.bin?q-sign-algorithm=sha1"
    ));
    assert!(s.contains("403 SignatureDoesNotMatch"));
    assert!(s.contains("demo succeeded"));
}

#[test]
fn serve_presign_and_curl_through_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        "--credential",
        &format!("{ID}:{KEY}"),
        "--credential",
        &format!("{TMP_ID}:{TMP_KEY}:{TOKEN}"),
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "--default-bucket",
        BUCKET,
    ]);
    let src = dir.path().join("up.bin");
    let bytes = data(300_000, 5);
    std::fs::write(&src, &bytes).unwrap();
    let src_s = src.to_str().unwrap();

    for (env, key) in [(PERM, "perm/a b.bin"), (TEMP, "temp/c+d.bin")] {
        let put = presign(&["-X", "PUT", BUCKET, key], env);
        assert!(put.starts_with(&format!("http://{HOST}/")), "{put}");
        let (code, body) = curl(&["--proxy", &server.url, "--upload-file", src_s, &put]);
        assert_eq!(code, 200, "{body}");
        let get = presign(&[BUCKET, key], env);
        let dst = dir.path().join("down.bin");
        let (code, _) = curl(&["--proxy", &server.url, "-o", dst.to_str().unwrap(), &get]);
        assert_eq!(code, 200);
        assert_eq!(std::fs::read(&dst).unwrap(), bytes);

        // Tampered: another key, a signature byte, an added param, another method.
        let other = get.replacen(&format!("{HOST}/"), &format!("{HOST}/x"), 1);
        let (code, body) = curl(&["--proxy", &server.url, &other]);
        assert_eq!(
            (code, code_of(&body)),
            (403, "SignatureDoesNotMatch"),
            "{body}"
        );
        assert!(body.contains("<StringToSign>") && body.contains("<FormatString>"));
        let i = get.find("q-signature=").unwrap() + 12;
        let mut flipped = get.clone().into_bytes();
        flipped[i] = if flipped[i] == b'a' { b'b' } else { b'a' };
        let (code, body) = curl(&["--proxy", &server.url, &String::from_utf8(flipped).unwrap()]);
        assert_eq!((code, code_of(&body)), (403, "SignatureDoesNotMatch"));
        let signed_param = presign(
            &[BUCKET, key, "--param", "response-content-type=text/plain"],
            env,
        );
        let (code, _) = curl(&["--proxy", &server.url, "-o", "/dev/null", &signed_param]);
        assert_eq!(code, 200);
        let changed = signed_param.replace(
            "response-content-type=text%2Fplain",
            "response-content-type=text%2Fhtml",
        );
        assert_ne!(changed, signed_param);
        let (code, body) = curl(&["--proxy", &server.url, &changed]);
        assert_eq!((code, code_of(&body)), (403, "SignatureDoesNotMatch"));
        let (code, body) = curl(&["--proxy", &server.url, "-X", "DELETE", &get]);
        assert_eq!((code, code_of(&body)), (403, "SignatureDoesNotMatch"));
    }

    // The temporary key's token is required.
    let get = presign(&[BUCKET, "temp/c+d.bin"], TEMP);
    assert!(get.contains("x-cos-security-token="));
    let no_token = get
        .split("&x-cos-security-token=")
        .next()
        .unwrap()
        .to_owned();
    let (code, body) = curl(&["--proxy", &server.url, &no_token]);
    assert_eq!(code, 403, "{body}");
    // Without --no-token the token is signed too: qcloud_cos's unsigned form is accepted
    // (it is listed in neither list) only when --no-token is given.
    let sdk_style = presign(&[BUCKET, "temp/c+d.bin", "--no-token"], TEMP);
    assert!(!sdk_style.contains("x-cos-security-token"));

    // Unknown key id.
    let unknown = presign(
        &[BUCKET, "perm/a b.bin"],
        &[("COS_SECRET_ID", "AKIDnobody"), ("COS_SECRET_KEY", "k")],
    );
    let (code, body) = curl(&["--proxy", &server.url, &unknown]);
    assert_eq!((code, code_of(&body)), (403, "InvalidAccessKeyId"));
    // Missing object.
    let missing = presign(&[BUCKET, "nothing-here"], PERM);
    let (code, body) = curl(&["--proxy", &server.url, &missing]);
    assert_eq!((code, code_of(&body)), (404, "NoSuchKey"));

    // Directly, without the proxy: a URL on the server's address, the host not signed, the
    // server's default bucket.
    let direct =
        presign(&[BUCKET, "perm/a b.bin", "--no-sign-host"], PERM).replacen(HOST, server.addr(), 1);
    let (code, _) = curl(&["-o", "/dev/null", &direct]);
    assert_eq!(code, 200);
    // ...while a signed host does not match the address it is sent to (as on COS).
    let host_signed = presign(&[BUCKET, "perm/a b.bin"], PERM).replacen(HOST, server.addr(), 1);
    let (code, body) = curl(&[&host_signed]);
    assert_eq!((code, code_of(&body)), (403, "SignatureDoesNotMatch"));
}

#[test]
fn expired_urls_are_access_denied() {
    // The server's clock is an hour ahead.
    let server = Server::start(&[
        "--credential",
        &format!("{ID}:{KEY}"),
        "--clock-offset",
        "3600",
    ]);
    let url = presign(&[BUCKET, "a", "--expires", "60"], PERM);
    let (code, body) = curl(&["--proxy", &server.url, &url]);
    assert_eq!((code, code_of(&body)), (403, "AccessDenied"), "{body}");
    let o = run(
        &[
            "verify",
            &url.replace("http://", "https://"),
            "--at",
            &(now() + 3600).to_string(),
        ],
        PERM,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("invalid: expired"), "{}", stdout(&o));
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn verify_verdicts() {
    let url = presign(
        &[
            "-X",
            "PUT",
            BUCKET,
            "v/a.txt",
            "-H",
            "Content-Type: text/plain",
        ],
        PERM,
    );
    let ok = |o: &Output| (o.status.code(), stdout(o));
    // Valid with the header; the secret from the environment.
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/plain",
            &url,
        ],
        PERM,
    );
    let (c, s) = ok(&o);
    assert_eq!(c, Some(0), "{s}{}", stderr(&o));
    assert!(s.starts_with("valid: signed by AKIDcliPermanent"), "{s}");
    // ...or from --secret-key alone (the id is the signature's).
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "-H",
            "content-type:text/plain",
            "--secret-key",
            KEY,
            &url,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // The signed header is missing.
    let o = run(&["verify", "-X", "PUT", &url], PERM);
    let (c, s) = ok(&o);
    assert_eq!(c, Some(1));
    assert!(
        s.contains("content-type") && s.contains("not in the request"),
        "{s}"
    );
    // Another header value, another method: mismatch, with the recomputed strings.
    let o = run(
        &["verify", "-X", "PUT", "-H", "Content-Type: text/html", &url],
        PERM,
    );
    let (c, s) = ok(&o);
    assert_eq!(c, Some(1));
    assert!(s.contains("signature mismatch"), "{s}");
    assert!(s.contains("recomputed StringToSign:\n  sha1\\n"), "{s}");
    assert!(s.contains("content-type=text%2Fhtml"), "{s}");
    let o = run(&["verify", "-H", "Content-Type: text/plain", &url], PERM);
    assert!(
        stdout(&o).contains("recomputed FormatString:\n  get\\n"),
        "{}",
        stdout(&o)
    );
    // A wrong secret key.
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/plain",
            "--secret-key",
            "nope",
            &url,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("signature mismatch"));
    // Another secret id.
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "--secret-id",
            "AKIDother",
            "--secret-key",
            KEY,
            &url,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not AKIDother"), "{}", stdout(&o));
    // Not yet valid / expired.
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/plain",
            "--at",
            "1000",
            &url,
        ],
        PERM,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not valid before"), "{}", stdout(&o));
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/plain",
            "--at",
            &(now() + 400).to_string(),
            &url,
        ],
        PERM,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("expired"), "{}", stdout(&o));
    // A malformed signature.
    let broken = url.replace("q-signature=", "q-signature=zz");
    let o = run(&["verify", &broken], PERM);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("not a well-formed COS signature"),
        "{}",
        stdout(&o)
    );

    // Authorization form, from `cos-sign auth`, temporary key (token header signed).
    let o = run(
        &[
            "auth",
            "-X",
            "PUT",
            BUCKET,
            "v/b.txt",
            "-H",
            "x-cos-meta-a: 1",
        ],
        TEMP,
    );
    assert_eq!(o.status.code(), Some(0));
    let auth = stdout(&o).trim().to_owned();
    assert!(
        auth.contains("q-header-list=host;x-cos-meta-a;x-cos-security-token&"),
        "{auth}"
    );
    assert!(stderr(&o).contains("x-cos-security-token"));
    let target = format!("https://{HOST}/v/b.txt");
    let token_header = format!("x-cos-security-token: {TOKEN}");
    let o = run(
        &[
            "verify",
            "--authorization",
            &auth,
            "-X",
            "PUT",
            "-H",
            "x-cos-meta-a: 1",
            "-H",
            &token_header,
            &target,
        ],
        TEMP,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run(
        &[
            "verify",
            "--authorization",
            &auth,
            "-X",
            "PUT",
            "-H",
            "x-cos-meta-a: 2",
            "-H",
            &token_header,
            &target,
        ],
        TEMP,
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn put_and_get_commands() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--credential", &format!("{ID}:{KEY}")]);
    let src = dir.path().join("in.bin");
    let bytes = data(1_200_000, 9);
    std::fs::write(&src, &bytes).unwrap();
    let src_s = src.to_str().unwrap();
    // With credentials, through the proxy; the progress bar forced on.
    let mut env = PERM.to_vec();
    env.push(("COS_SIGN_PROGRESS", "1"));
    let o = run(
        &[
            "put",
            src_s,
            BUCKET,
            "cmd/in.bin",
            "--scheme",
            "http",
            "--proxy",
            &server.url,
        ],
        &env,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("1200000 bytes"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("upload [") && stderr(&o).contains("100%"),
        "{}",
        stderr(&o)
    );
    // Through a pre-signed URL, no credentials.
    let url = presign(&[BUCKET, "cmd/in.bin"], PERM);
    let out = dir.path().join("out.bin");
    let o = run(
        &[
            "get",
            "--url",
            &url,
            "--proxy",
            &server.url,
            "-o",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("matches the ETag"));
    assert!(
        stderr(&o).is_empty(),
        "no bar when stderr is not a terminal"
    );
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let put_url = presign(&["-X", "PUT", BUCKET, "cmd/second.bin"], PERM);
    let o = run(
        &["put", src_s, "--url", &put_url, "--proxy", &server.url],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out2 = dir.path().join("out2.bin");
    let o = run(
        &[
            "get",
            BUCKET,
            "cmd/second.bin",
            "-o",
            out2.to_str().unwrap(),
            "--scheme",
            "http",
            "--proxy",
            &server.url,
        ],
        PERM,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out2).unwrap(), bytes);
    // A COS error is exit 1 with its code, and no file is left.
    let out3 = dir.path().join("out3.bin");
    let o = run(
        &[
            "get",
            BUCKET,
            "cmd/none",
            "-o",
            out3.to_str().unwrap(),
            "--scheme",
            "http",
            "--proxy",
            &server.url,
        ],
        PERM,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NoSuchKey"), "{}", stderr(&o));
    assert!(!out3.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (&["presign", BUCKET, "a"], &[], "COS_SECRET_ID"),
        (&["presign", "-X", "G T", BUCKET, "a"], PERM, "bad method"),
        (
            &["presign", BUCKET, "a", "--param", "novalue"],
            PERM,
            "NAME=VALUE",
        ),
        (
            &["presign", BUCKET, "a", "-H", "no colon"],
            PERM,
            "Name: value",
        ),
        (&["presign", BUCKET, "a", "--expires", "0"], PERM, "expires"),
        (&["presign", "bad/bucket", "a"], PERM, "bucket"),
        (
            &["presign", BUCKET, "a", "--region", "evil.com/"],
            PERM,
            "region",
        ),
        (&["presign", BUCKET, "a", "--scheme", "ftp"], PERM, "scheme"),
        (&["presign", BUCKET], PERM, "KEY"),
        (&["verify", "not a url"], PERM, "bad URL"),
        (
            &["verify", "https://b.cos.ap-beijing.myqcloud.com/a"],
            PERM,
            "no q-signature",
        ),
        (
            &["put", "/definitely/not/here", BUCKET, "k"],
            PERM,
            "not a readable file",
        ),
        (&["put", "Cargo.toml"], PERM, "--url URL"),
        (
            &["get", "-o", "/x", "--url", "http://h/a", BUCKET, "k"],
            PERM,
            "not both",
        ),
        (
            &["get", BUCKET, "k", "-o", "/no/such/dir/f"],
            PERM,
            "does not exist",
        ),
        (&["serve", "--credential", "onlyid"], &[], "ID:KEY"),
        (&["serve"], &[], "--credential"),
        (&["frobnicate"], &[], "unrecognized subcommand"),
    ];
    for (args, env, needle) in cases {
        let o = run(args, env);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(
            stderr(&o).contains(needle),
            "{args:?}: expected {needle:?} in {}",
            stderr(&o)
        );
    }
    // A profile file is read when the environment has none.
    let f = home().join("creds.ini");
    std::fs::write(
        &f,
        format!("[default]\nsecret_id = {ID}\nsecret_key = {KEY}\n"),
    )
    .unwrap();
    let o = run(
        &[
            "presign",
            BUCKET,
            "a",
            "--profile-file",
            f.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("q-ak={ID}")));
    let o = run(
        &[
            "presign",
            BUCKET,
            "a",
            "--profile-file",
            f.to_str().unwrap(),
            "--profile",
            "other",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("[other]"), "{}", stderr(&o));
}

#[test]
fn help_is_for_newcomers() {
    let o = run(&["--help"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    for needle in [
        "Examples:",
        "cos-sign demo",
        "COS_SECRET_ID",
        "presign",
        "verify",
        "serve",
        "Exit codes",
    ] {
        assert!(s.contains(needle), "{needle} in {s}");
    }
    for sub in ["presign", "auth", "verify", "serve", "put", "get", "demo"] {
        let o = run(&[sub, "--help"], &[]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).len() > 300, "{sub} --help is substantial");
    }
}

/// Runs secret-handling commands itself, then scans every output recorded so far (tests run
/// in parallel, so some other tests' outputs are included too).
#[test]
fn no_secret_in_any_output() {
    // Exercise commands that handle secrets, then scan everything recorded so far as well.
    let _ = run(&["presign", BUCKET, "a"], PERM);
    let _ = run(&["auth", BUCKET, "a"], TEMP);
    let _ = run(&["presign", BUCKET, "a", "--region", "bad/"], TEMP);
    let _ = run(
        &[
            "verify",
            "--secret-key",
            "wrongwrong",
            "https://b.cos.x.myqcloud.com/a?q-sign-algorithm=sha1&q-ak=A&q-sign-time=1%3B2&q-key-time=1%3B2&q-header-list=&q-url-param-list=&q-signature=0000000000000000000000000000000000000000",
        ],
        &[],
    );
    let server = Server::start(&["--credential", &format!("{TMP_ID}:{TMP_KEY}:{TOKEN}")]);
    drop(server);
    let _ = run(
        &[
            "serve",
            "--credential",
            &format!("{ID}:{KEY}"),
            "--addr",
            "256.0.0.1:1",
        ],
        &[],
    );
    let outputs = OUTPUTS.lock().unwrap();
    assert!(outputs.len() >= 5);
    for (label, text) in outputs.iter() {
        assert!(!text.contains(KEY), "{label}: secret key in output");
        assert!(!text.contains(TMP_KEY), "{label}: secret key in output");
        assert!(
            !text.contains("wrongwrong"),
            "{label}: given secret key in output"
        );
        // The token appears only inside pre-signed URLs (COS needs it there), encoded.
        if !label.starts_with("presign") {
            assert!(
                !text.contains("cliSessionToken"),
                "{label}: token in output"
            );
        }
    }
}

#[test]
fn ctrl_c_during_get_leaves_no_file() {
    use std::io::{Read, Write};
    // A stand-in that announces 10 MB, sends 100 kB, then stalls.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n");
            let _ = s.write_all(&[1u8; 100_000]);
            open.push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.bin");
    let mut child = cmd(
        &[
            "get",
            "--url",
            &format!("http://{addr}/x"),
            "-o",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait for the temporary file, then interrupt.
    let t = std::time::Instant::now();
    while std::fs::read_dir(dir.path()).unwrap().count() == 0 {
        assert!(t.elapsed().as_secs() < 20, "the download never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
