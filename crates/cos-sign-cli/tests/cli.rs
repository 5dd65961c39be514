//! End-to-end tests of the `cos-sign` binary: `demo`; `serve` in the background with
//! `presign` URLs used by `curl` (through `--proxy`, the URLs keeping the real COS host, and
//! directly); tampered URLs; `verify` verdicts; `put`/`get`; bad input; no secret in any
//! output. Needs `curl` (installed with apt-get when missing).

mod cli_common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use cli_common::*;

fn presign(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut a = vec!["presign", "--scheme", "http"];
    a.extend_from_slice(args);
    let o = run(&a, env);
    assert_exit(&o, 0);
    stdout(&o).trim().to_owned()
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
    let (src, bytes) = source(dir.path(), "up.bin", 300_000, 5);
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
    assert_has(&stdout(&o), "invalid: expired");
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
    // `verify` of the request the URL was signed for, with `extra` arguments.
    let verify_put = |extra: &[&str], env: &[(&str, &str)]| {
        let mut a = vec!["verify", "-X", "PUT", "-H", "Content-Type: text/plain"];
        a.extend_from_slice(extra);
        a.push(url.as_str());
        run(&a, env)
    };
    // Valid with the header; the secret from the environment.
    let o = verify_put(&[], PERM);
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
    assert_has(&stdout(&o), "recomputed FormatString:\n  get\\n");
    // A wrong secret key.
    let o = verify_put(&["--secret-key", "nope"], &[]);
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
    assert_has(&stdout(&o), "not AKIDother");
    // Not yet valid / expired.
    let o = verify_put(&["--at", "1000"], PERM);
    assert_eq!(o.status.code(), Some(1));
    assert_has(&stdout(&o), "not valid before");
    let o = verify_put(&["--at", &(now() + 400).to_string()], PERM);
    assert_eq!(o.status.code(), Some(1));
    assert_has(&stdout(&o), "expired");
    // A malformed signature.
    let broken = url.replace("q-signature=", "q-signature=zz");
    let o = run(&["verify", &broken], PERM);
    assert_eq!(o.status.code(), Some(1));
    assert_has(&stdout(&o), "not a well-formed COS signature");

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
    // `verify` of the PUT with this x-cos-meta-a header (the signed one is `1`).
    let verify_auth = |meta: &str| {
        let a = [
            "verify",
            "--authorization",
            &auth,
            "-X",
            "PUT",
            "-H",
            meta,
            "-H",
            &token_header,
            &target,
        ];
        run(&a, TEMP)
    };
    let o = verify_auth("x-cos-meta-a: 1");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = verify_auth("x-cos-meta-a: 2");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn put_and_get_commands() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let (src, bytes) = source(dir.path(), "in.bin", 1_200_000, 9);
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
    assert_exit(&o, 0);
    assert_has(&stdout(&o), "1200000 bytes");
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
    assert_exit(&o, 0);
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
    assert_exit(&o, 0);
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
    assert_exit(&o, 0);
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
    assert_has(&stderr(&o), "NoSuchKey");
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
        (
            &["serve", "--body-idle-timeout", "0"],
            PERM,
            "a timeout must be more than 0 seconds",
        ),
        (
            &["serve", "--header-read-timeout", "0.0"],
            PERM,
            "a timeout must be more than 0 seconds",
        ),
        (
            &["serve", "--owner-uin", "12x"],
            PERM,
            "a uin is 1 to 20 digits",
        ),
        (
            &["serve", "--cors-allow-origin", "http://a b"],
            PERM,
            "http://a b",
        ),
        (
            &["presign", BUCKET, "a", "--param", "a=b", "--param", "A=c"],
            PERM,
            "param \"A\" is given twice",
        ),
        (
            &[
                "auth",
                BUCKET,
                "a",
                "-H",
                "x-cos-meta-a: 1",
                "-H",
                "X-Cos-Meta-A: 2",
            ],
            PERM,
            "header \"X-Cos-Meta-A\" is given twice",
        ),
        (
            &[
                "put",
                "Cargo.toml",
                BUCKET,
                "k",
                "--meta",
                "a=1",
                "-H",
                "x-cos-meta-a: 2",
            ],
            PERM,
            "is given twice",
        ),
        (
            &[
                "get",
                BUCKET,
                "k",
                "-o",
                "-",
                "-H",
                "Range: bytes=0-1",
                "-H",
                "range: bytes=2-3",
            ],
            PERM,
            "header \"range\" is given twice",
        ),
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
    // serve: a HOST:PORT is resolved; a data folder that is a file is named as the fault.
    let mut child = cmd(
        &[
            "serve",
            "--credential",
            "a:b",
            "--quiet",
            "--addr",
            "localhost:0",
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let file = home().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let o = run(
        &[
            "serve",
            "--credential",
            "a:b",
            "--data-dir",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "cannot serve: data folder");
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
    assert_exit(&o, 0);
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
    assert_has(&stderr(&o), "[other]");
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

// ---- Habits users bring (issue 12): cos://, headers, stdin/stdout, JSON, completions,
// diagnostics, profiles, region and bucket checks, hints, help layout.

/// Runs with `stdin` as standard input.
fn run_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd(args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cos-sign runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    record(&args.join(" "), &out);
    out
}

fn json(o: &Output) -> serde_json::Map<String, serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)));
    assert_eq!(
        stdout(o).trim().lines().count(),
        1,
        "one line: {}",
        stdout(o)
    );
    v.as_object().expect("a JSON object").clone()
}

fn keys(m: &serde_json::Map<String, serde_json::Value>) -> Vec<&str> {
    let mut k: Vec<&str> = m.keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn query_value(url: &str, name: &str) -> String {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in {url}"))
        .to_owned()
}

#[test]
fn cos_uris_name_bucket_and_key() {
    let plain = presign(&[BUCKET, "dir/a b.txt"], PERM);
    let uri = presign(&[&format!("cos://{BUCKET}/dir/a b.txt")], PERM);
    let base = |u: &str| u.split('?').next().unwrap().to_owned();
    assert_eq!(base(&plain), base(&uri));
    assert_eq!(base(&uri), format!("http://{HOST}/dir/a%20b.txt"));
    let o = run(
        &["auth", &format!("cos://{BUCKET}/k.txt"), "--output", "json"],
        PERM,
    );
    let m = json(&o);
    assert_eq!(
        (m["bucket"].as_str(), m["key"].as_str()),
        (Some(BUCKET), Some("k.txt"))
    );
    for (args, needle) in [
        (vec!["presign", "cos://nokey"], "cos://BUCKET/KEY"),
        (vec!["presign", "cos://b-1250000000/"], "cos://BUCKET/KEY"),
        (
            vec!["presign", "cos://b-1250000000/a", "extra"],
            "already names the key",
        ),
        (
            vec!["get", "cos://b-1250000000", "-o", "/tmp/x"],
            "cos://BUCKET/KEY",
        ),
    ] {
        let o = run(&args, PERM);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn put_and_get_headers_stdin_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let (src, bytes) = source(dir.path(), "notes.bin", 70_000, 3);
    let src_s = src.to_str().unwrap();
    let proxy = ["--proxy", server.url.as_str()];
    // With the permanent key, over http through the local server.
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let local_stdin =
        |args: &[&str], stdin: &[u8]| run_with_stdin(&through(args, &server.url), PERM, stdin);

    // The help's own example: a URL pre-signed with a Content-Type works with put -H.
    let url = presign(
        &[
            "-X",
            "PUT",
            BUCKET,
            "h/notes.bin",
            "-H",
            "Content-Type: text/plain",
        ],
        PERM,
    );
    let mut a = vec![
        "put",
        src_s,
        "--url",
        &url,
        "-H",
        "Content-Type: text/plain",
    ];
    a.extend_from_slice(&proxy);
    let o = run(&a, &[]);
    assert_exit(&o, 0);
    // Without it, the guess for .bin does not match what was signed: COS's 403, and a warning.
    let mut a = vec!["put", src_s, "--url", &url];
    a.extend_from_slice(&proxy);
    let o = run(&a, &[]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "SignatureDoesNotMatch");
    assert_has(&stderr(&o), "the URL signs content-type");
    // The object keeps the signed type.
    let o = local(&["get", &format!("cos://{BUCKET}/h/notes.bin"), "-o", "-"]);
    assert_exit(&o, 0);
    assert_eq!(o.stdout, bytes, "get -o - writes the object to stdout");
    assert_has(&stderr(&o), "Content-Type: text/plain");
    assert!(!dir.path().join("-").exists() && !Path::new("-").exists());

    // With credentials: the type guessed from the extension, or given; metadata.
    let txt = dir.path().join("page.html");
    std::fs::write(&txt, b"<p>hi</p>").unwrap();
    let o = local(&[
        "put",
        txt.to_str().unwrap(),
        &format!("cos://{BUCKET}/h/page.html"),
        "--meta",
        "owner=ops",
    ]);
    assert_exit(&o, 0);
    let o = local(&[
        "get",
        BUCKET,
        "h/page.html",
        "-o",
        dir.path().join("p").to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    assert_has(&stdout(&o), "Content-Type: text/html");
    let o = local(&[
        "put",
        src_s,
        &format!("cos://{BUCKET}/h/typed"),
        "--content-type",
        "application/x-custom",
    ]);
    assert_exit(&o, 0);
    let o = local(&["get", &format!("cos://{BUCKET}/h/typed"), "-o", "-"]);
    assert_has(&stderr(&o), "Content-Type: application/x-custom");

    // A named pipe (as <(command) gives) is read as standard input is.
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, b"from a pipe").unwrap())
    };
    let o = local(&[
        "put",
        fifo.to_str().unwrap(),
        &format!("cos://{BUCKET}/h/piped.txt"),
    ]);
    writer.join().unwrap();
    assert_exit(&o, 0);
    assert_has(&stdout(&o), "(11 bytes)");
    let o = local(&["get", &format!("cos://{BUCKET}/h/piped.txt"), "-o", "-"]);
    assert_eq!(o.stdout, b"from a pipe");
    assert_has(&stderr(&o), "Content-Type: text/plain");

    // put - reads stdin; the type comes from the key.
    let o = local_stdin(
        &["put", "-", &format!("cos://{BUCKET}/h/from-stdin.json")],
        b"{\"a\": 1}",
    );
    assert_exit(&o, 0);
    assert_has(&stdout(&o), "standard input (8 bytes)");
    let o = local(&[
        "get",
        &format!("cos://{BUCKET}/h/from-stdin.json"),
        "-o",
        "-",
    ]);
    assert_eq!(o.stdout, b"{\"a\": 1}");
    assert_has(&stderr(&o), "Content-Type: application/json");
}

/// `get -o -` into a reader that goes away (`| head -c 10`) ends as `cat` does there: no
/// error message, the exit status of a program SIGPIPE stopped (141). Before, it printed
/// "cannot write -: Broken pipe" and exited 1, which looked like a failed download.
#[test]
fn a_reader_that_goes_away_ends_get_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let (src, _) = source(dir.path(), "big.bin", 8 << 20, 5);
    let obj = format!("cos://{BUCKET}/pipe/big.bin");
    let o = run(
        &through(&["put", src.to_str().unwrap(), &obj], &server.url),
        PERM,
    );
    assert_exit(&o, 0);
    let mut child = cmd(&through(&["get", &obj, "-o", "-"], &server.url), PERM)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // (the pipe's reading end is dropped here)
    let o = child.wait_with_output().unwrap();
    record("get into a closed pipe", &o);
    assert_exit(&o, 141);
    assert!(!stderr(&o).contains("cos-sign:"), "{}", stderr(&o));
    // Any other failure to write standard output still says so: /dev/full.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = cmd(&through(&["get", &obj, "-o", "-"], &server.url), PERM)
        .stdout(full)
        .output()
        .unwrap();
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "cannot write to standard output");
}

/// A one-shot HTTP stand-in that records the request head and answers 200.
fn capture_one() -> (String, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let h = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 65536];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&buf).into_owned();
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nETag: \"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        head
    });
    (addr, h)
}

#[test]
fn put_sends_and_signs_meta_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("photo.jpg");
    std::fs::write(&f, b"jpeg").unwrap();
    let (addr, h) = capture_one();
    let proxy = format!("http://{addr}");
    let o = run(
        &through(
            &[
                "put",
                f.to_str().unwrap(),
                &format!("cos://{BUCKET}/p.jpg"),
                "--meta",
                "owner=ops",
                "-H",
                "x-cos-storage-class: STANDARD_IA",
            ],
            &proxy,
        ),
        PERM,
    );
    assert_exit(&o, 0);
    let head = h.join().unwrap().to_ascii_lowercase();
    assert!(head.contains("\r\ncontent-type: image/jpeg\r\n"), "{head}");
    assert!(head.contains("\r\nx-cos-meta-owner: ops\r\n"), "{head}");
    assert!(
        head.contains("\r\nx-cos-storage-class: standard_ia\r\n"),
        "{head}"
    );
    assert!(
        head.contains(
            "q-header-list=content-length;content-type;host;x-cos-meta-owner;x-cos-storage-class"
        ),
        "{head}"
    );
    // get --content-type: the response-content-type param, signed.
    let (addr, h) = capture_one();
    let proxy = format!("http://{addr}");
    let o = run(
        &through(
            &[
                "get",
                &format!("cos://{BUCKET}/p.jpg"),
                "-o",
                "-",
                "--content-type",
                "text/csv",
                "-H",
                "Range: bytes=0-3",
            ],
            &proxy,
        ),
        PERM,
    );
    assert_exit(&o, 0);
    let head = h.join().unwrap();
    assert!(
        head.starts_with(&format!(
            "GET http://{HOST}/p.jpg?response-content-type=text%2Fcsv HTTP/1.1"
        )),
        "{head}"
    );
    assert!(
        head.contains("q-url-param-list=response-content-type&"),
        "{head}"
    );
}

#[test]
fn json_output_has_stable_fields() {
    let o = run(
        &[
            "presign",
            "-X",
            "PUT",
            BUCKET,
            "j.txt",
            "--output",
            "json",
            "-H",
            "Content-Type: text/plain",
        ],
        TEMP,
    );
    assert_exit(&o, 0);
    let p = json(&o);
    assert_eq!(
        keys(&p),
        [
            "bucket",
            "expires_in",
            "headers",
            "host",
            "key",
            "method",
            "secret_id",
            "signed_headers",
            "signed_params",
            "url",
            "valid_from",
            "valid_until"
        ]
    );
    let url = p["url"].as_str().unwrap();
    assert_eq!(p["method"], "PUT");
    assert_eq!(
        p["headers"],
        serde_json::json!({"Content-Type": "text/plain"})
    );
    assert_eq!(p["host"], HOST);
    assert_eq!(p["secret_id"], TMP_ID);
    assert_eq!(p["expires_in"], 300);
    assert_eq!(
        p["signed_headers"],
        serde_json::json!(["content-type", "host"])
    );
    assert_eq!(
        p["signed_params"],
        serde_json::json!(["x-cos-security-token"])
    );
    let (from, until) = (
        p["valid_from"].as_u64().unwrap(),
        p["valid_until"].as_u64().unwrap(),
    );
    assert_eq!(until - from, 360);
    assert_eq!(query_value(url, "q-sign-time"), format!("{from}%3B{until}"));

    let o = run(&["auth", BUCKET, "j.txt", "--output", "json"], TEMP);
    let m = json(&o);
    assert_eq!(
        keys(&m),
        [
            "authorization",
            "bucket",
            "expires_in",
            "host",
            "key",
            "method",
            "secret_id",
            "security_token_header",
            "signed_headers",
            "signed_params",
            "url",
            "valid_from",
            "valid_until"
        ]
    );
    assert_eq!(m["security_token_header"], true);
    assert_eq!(m["url"], format!("https://{HOST}/j.txt"));
    assert!(
        m["authorization"]
            .as_str()
            .unwrap()
            .starts_with(&format!("q-sign-algorithm=sha1&q-ak={TMP_ID}&"))
    );

    let verify_fields = [
        "checked_at",
        "format_string",
        "message",
        "method",
        "path",
        "reason",
        "secret_id",
        "string_to_sign",
        "valid",
        "valid_from",
        "valid_until",
    ];
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/plain",
            "--output",
            "json",
            url,
        ],
        TEMP,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(keys(&v), verify_fields);
    assert_eq!(
        (v["valid"].clone(), v["reason"].clone()),
        (serde_json::json!(true), serde_json::Value::Null)
    );
    assert_eq!(
        (v["valid_from"].as_u64(), v["valid_until"].as_u64()),
        (Some(from), Some(until))
    );
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/html",
            "--output",
            "json",
            url,
        ],
        TEMP,
    );
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(keys(&v), verify_fields);
    assert_eq!(v["reason"], "signature_mismatch");
    assert!(v["string_to_sign"].as_str().unwrap().starts_with("sha1\n"));
    assert!(
        v["format_string"]
            .as_str()
            .unwrap()
            .contains("content-type=text%2Fhtml")
    );
    assert!(
        v["format_string"]
            .as_str()
            .unwrap()
            .contains("x-cos-security-token=REDACTED"),
        "the token is not shown"
    );
    let o = run(
        &[
            "verify",
            "-X",
            "PUT",
            "--output",
            "json",
            "--at",
            &(until + 10).to_string(),
            url,
        ],
        TEMP,
    );
    assert_eq!(json(&o)["reason"], "expired");
    let o = run(
        &[
            "verify",
            "--output",
            "json",
            &url.replace("q-signature=", "q-signature=zz"),
        ],
        TEMP,
    );
    assert_eq!(json(&o)["reason"], "malformed");
}

#[test]
fn completions_and_man_page() {
    for (shell, needle) in [
        ("bash", "complete -F _cos__sign"),
        ("zsh", "#compdef cos-sign"),
        ("fish", "complete -c cos-sign"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[cos-sign]"),
    ] {
        let o = run(&["completions", shell], &[]);
        assert_eq!(o.status.code(), Some(0));
        let s = stdout(&o);
        assert!(s.contains(needle), "{shell}: {needle}");
        assert!(s.contains("presign") && s.contains("expires"), "{shell}");
    }
    // The bash script parses.
    let f = home().join("cos-sign.bash");
    std::fs::write(&f, run(&["completions", "bash"], &[]).stdout).unwrap();
    let ok = Command::new("bash").arg("-n").arg(&f).status().unwrap();
    assert!(ok.success());
    let o = run(&["man"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(
        s.starts_with(".ie") || s.contains(".TH cos-sign"),
        "{}",
        &s[..200.min(s.len())]
    );
    assert!(s.contains(".TH cos-sign 1") && s.contains("presign") && s.contains("Examples"));
    assert!(run(&["completions", "tcsh"], &[]).status.code() == Some(2));
}

#[test]
fn diagnostics_show_no_secret_or_signature() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&["--credential", &format!("{TMP_ID}:{TMP_KEY}:{TOKEN}")]);
    let f = dir.path().join("d.txt");
    std::fs::write(&f, b"diagnostics").unwrap();
    let url = presign(&["-X", "PUT", BUCKET, "d/u.txt"], TEMP);
    let signature = query_value(&url, "q-signature");
    let mut logs = String::new();
    let obj = format!("cos://{BUCKET}/d/c.txt");
    type Run<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let runs: Vec<Run<'_>> = vec![
        (vec!["presign", "-vvv", BUCKET, "d/a"], TEMP.to_vec()),
        (vec!["auth", "-vvv", BUCKET, "d/a"], TEMP.to_vec()),
        (
            vec![
                "-vvv",
                "put",
                f.to_str().unwrap(),
                "--url",
                &url,
                "--proxy",
                &server.url,
            ],
            vec![],
        ),
        (
            vec![
                "put",
                f.to_str().unwrap(),
                &obj,
                "--scheme",
                "http",
                "--proxy",
                &server.url,
            ],
            [TEMP, &[("RUST_LOG", "trace")]].concat(),
        ),
        (
            vec![
                "-vv",
                "get",
                &obj,
                "-o",
                "-",
                "--scheme",
                "http",
                "--proxy",
                &server.url,
            ],
            TEMP.to_vec(),
        ),
        (vec!["-vvv", "verify", &url, "-X", "PUT"], TEMP.to_vec()),
    ];
    for (args, env) in &runs {
        let o = run(args, env);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("INFO"), "{args:?} logs: {err}");
        logs.push_str(&err);
        // Signatures made in this run (printed on stdout) never reach the log.
        for line in stdout(&o).lines() {
            if let Some(i) = line.find("q-signature=") {
                let sig: String = line[i + 12..].chars().take(40).collect();
                assert!(!err.contains(&sig), "{args:?}: signature in the log");
            }
        }
    }
    assert!(
        logs.contains("request") && logs.contains("response"),
        "{logs}"
    );
    assert!(logs.contains("q-signature=REDACTED"), "{logs}");
    for secret in [TMP_KEY, TOKEN, "cliSessionToken", &signature] {
        assert!(
            !logs.contains(secret),
            "{secret:?} in the diagnostics:\n{logs}"
        );
    }
    assert!(
        !logs.to_ascii_lowercase().contains("authorization: q-"),
        "{logs}"
    );
    // Nothing without -v or RUST_LOG.
    let o = run(&["presign", BUCKET, "d/a"], TEMP);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

/// A password in `--proxy` shows in no diagnostic: not in the usage error of a proxy URL
/// that does not parse, not in the `-v` log of one written without a scheme (which reqwest
/// takes as http).
#[test]
fn a_proxy_password_is_never_shown() {
    const PASSWORD: &str = "pr0xyPassw0rd";
    let obj = format!("cos://{BUCKET}/p/a");
    for (proxy, code) in [
        (format!("http://user:{PASSWORD}@bad host:8080"), 2),
        (format!("http://user:{PASSWORD}@host:99999"), 2),
        (format!("http://user:{PASSWORD}@[::1"), 2),
        // Parses, and names a port nothing listens on: the request fails, exit 1.
        (format!("user:{PASSWORD}@127.0.0.1:9"), 1),
        (format!("http://user:{PASSWORD}@127.0.0.1:9"), 1),
    ] {
        let o = run(&["-v", "get", &obj, "-o", "-", "--proxy", &proxy], PERM);
        assert_exit(&o, code);
        let text = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!text.contains(PASSWORD), "{proxy}:\n{text}");
        assert_has(&text, "REDACTED");
    }
}

/// Secret header values given with `-H` (a token, an Authorization, an SSE-C customer key)
/// appear in no `-vv` log line: not in the transfer options logged for a transfer with
/// credentials, not in the request headers logged for a pre-signed URL.
#[test]
fn secret_headers_are_never_logged() {
    const SECRETS: [&str; 4] = [
        "T0kenSecret1",
        "Auth0rSecret2",
        "SsecKeySecret3",
        "CopyKeySecret4",
    ];
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let f = dir.path().join("s.txt");
    std::fs::write(&f, "secret headers").unwrap();
    let headers = [
        format!("x-cos-security-token: {}", SECRETS[0]),
        format!("Authorization: {}", SECRETS[1]),
        format!("X-Cos-Server-Side-Encryption-Customer-Key: {}", SECRETS[2]),
        format!(
            "x-cos-copy-source-server-side-encryption-customer-key: {}",
            SECRETS[3]
        ),
    ];
    let url = presign(&["-X", "PUT", BUCKET, "s/u.txt"], PERM);
    let obj = format!("cos://{BUCKET}/s/c.txt");
    let f_s = f.to_str().unwrap();
    let runs: [Vec<&str>; 3] = [
        vec!["-vv", "put", f_s, &obj, "--scheme", "http"],
        vec!["-vv", "get", &obj, "-o", "-", "--scheme", "http"],
        vec!["-vv", "put", f_s, "--url", &url],
    ];
    for base in runs {
        let mut args = base.clone();
        for h in &headers {
            args.extend_from_slice(&["-H", h.as_str()]);
        }
        args.extend_from_slice(&["--proxy", &server.url]);
        let o = run(&args, PERM);
        let err = stderr(&o);
        assert_has(&err, "INFO");
        for secret in SECRETS {
            assert!(!err.contains(secret), "{base:?}: {secret} in\n{err}");
        }
        assert_has(&err, "REDACTED");
    }
}

#[test]
fn explicit_profile_beats_the_environment() {
    let f = home().join("profiles.ini");
    std::fs::write(
        &f,
        "[default]\nsecret_id = AKIDfromDefaultProfile\nsecret_key = k1\n\n[work]\nsecret_id = AKIDfromWorkProfile\nsecret_key = k2\n",
    )
    .unwrap();
    let fs = f.to_str().unwrap();
    let ak = |args: &[&str]| query_value(&presign(args, PERM), "q-ak");
    assert_eq!(ak(&[BUCKET, "a"]), ID, "the environment by default");
    assert_eq!(
        ak(&[BUCKET, "a", "--profile-file", fs]),
        "AKIDfromDefaultProfile"
    );
    assert_eq!(
        ak(&[BUCKET, "a", "--profile-file", fs, "--profile", "work"]),
        "AKIDfromWorkProfile"
    );
    // An explicit profile that does not exist is an error, not a silent fallback.
    let o = run(
        &[
            "presign",
            BUCKET,
            "a",
            "--profile-file",
            fs,
            "--profile",
            "nope",
        ],
        PERM,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_has(&stderr(&o), "[nope]");
}

#[test]
fn regions_and_buckets_are_checked() {
    let warn_of = |args: &[&str]| {
        let mut a = vec!["presign"];
        a.extend_from_slice(args);
        let o = run(&a, PERM);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        (stdout(&o), stderr(&o))
    };
    let (url, err) = warn_of(&[BUCKET, "a", "--region", "cosgz"]);
    assert!(err.is_empty(), "{err}");
    assert!(
        url.starts_with(&format!("https://{HOST}/")),
        "the SDK's alias: {url}"
    );
    for ok in ["ap-beijing", "na-ashburn", "cn-south", "ap-beijing-1"] {
        assert!(warn_of(&[BUCKET, "a", "--region", ok]).1.is_empty(), "{ok}");
    }
    let (_, err) = warn_of(&[BUCKET, "a", "--region", "gz"]);
    assert!(
        err.contains("warning") && err.contains("did you mean cosgz"),
        "{err}"
    );
    let (_, err) = warn_of(&[BUCKET, "a", "--region", "mars"]);
    assert!(err.contains("\"mars\" is not a known COS region"), "{err}");
    let (_, err) = warn_of(&[BUCKET, "a", "--region", "ap-beijing.evil.com"]);
    assert!(err.contains("did you mean ap-beijing?"), "{err}");
    let (_, err) = warn_of(&[BUCKET, "a", "--region", "ap-shangahi"]);
    assert!(err.contains("did you mean ap-shanghai?"), "{err}");
    let (_, err) = warn_of(&["examplebucket", "a"]);
    assert!(err.contains("no -APPID suffix"), "{err}");
    let (url, err) = warn_of(&["examplebucket", "a", "--appid", "1250000000"]);
    assert!(err.is_empty() && url.contains(HOST), "{err}{url}");
    // The SDK's pattern still refuses.
    let o = run(&["presign", BUCKET, "a", "--region", "ap-beijing/x"], PERM);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn local_server_mistakes_get_hints() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let f = dir.path().join("a.txt");
    std::fs::write(&f, b"a").unwrap();
    // --proxy without --scheme http: https through the proxy is a CONNECT tunnel.
    let o = run(
        &[
            "put",
            f.to_str().unwrap(),
            BUCKET,
            "a.txt",
            "--proxy",
            &server.url,
        ],
        PERM,
    );
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "add --scheme http");
    let o = run(
        &["get", BUCKET, "a.txt", "-o", "-", "--proxy", &server.url],
        PERM,
    );
    assert_has(&stderr(&o), "add --scheme http");
    // --endpoint with a scheme.
    let o = run(
        &[
            "presign",
            BUCKET,
            "a",
            "--endpoint",
            "https://cos.ap-beijing.myqcloud.com",
        ],
        PERM,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_has(
        &stderr(&o),
        "drop the scheme and write --endpoint cos.ap-beijing.myqcloud.com",
    );
    let o = run(
        &[
            "presign",
            BUCKET,
            "a",
            "--endpoint",
            "http://127.0.0.1:9000",
        ],
        PERM,
    );
    assert_has(&stderr(&o), "--endpoint 127.0.0.1:9000 --scheme http");
}

#[test]
fn help_layout_and_messages() {
    // Examples are never wrapped, whatever the terminal width.
    for (args, line) in [
        (
            vec!["--help"],
            "  curl --upload-file cat.jpg \"$(cos-sign presign -X PUT examplebucket-1250000000 photos/cat.jpg)\"",
        ),
        (
            vec!["put", "--help"],
            "  cos-sign put a.bin b-1250000000 a.bin --scheme http --proxy http://127.0.0.1:9000   # local server",
        ),
        (
            vec!["verify", "--help"],
            "  cos-sign verify --authorization 'q-sign-algorithm=sha1&q-ak=...' -X PUT -H 'Content-Type: text/plain' https://b-1250000000.cos.ap-guangzhou.myqcloud.com/a.txt",
        ),
    ] {
        let o = run(&args, &[("COLUMNS", "40")]);
        assert!(
            stdout(&o).lines().any(|l| l == line),
            "{args:?}: {line}\n{}",
            stdout(&o)
        );
    }
    // auth has its own help.
    let auth = stdout(&run(&["auth", "--help"], &[]));
    let presign_help = stdout(&run(&["presign", "--help"], &[]));
    assert!(presign_help.contains("sign and append to the URL"));
    assert!(presign_help.contains("works with any Host"));
    assert!(
        !auth.contains("sign and append") && !auth.contains("URL then works"),
        "{auth}"
    );
    assert!(auth.contains("Prints only the value of the Authorization header"));
    assert!(auth.contains("A header your request carries"));
    // --expires -5: a clear message, not clap's '-- -5' tip.
    let o = run(&["presign", BUCKET, "a", "--expires", "-5"], PERM);
    assert_eq!(o.status.code(), Some(2));
    assert_has(&stderr(&o), "positive number of seconds");
    assert!(!stderr(&o).contains("-- -5"), "{}", stderr(&o));
    // The missing-credentials message says each thing once.
    let o = run(&["presign", BUCKET, "a"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).matches("COS_SECRET_ID").count(),
        1,
        "{}",
        stderr(&o)
    );
    assert_has(&stderr(&o), "none in the environment");
    // verify --at in the past: times relative to now, with the time checked.
    let url = presign(&[BUCKET, "a"], PERM);
    let o = run(&["verify", "--at", "1", &url], PERM);
    let s = stdout(&o);
    assert!(
        s.contains("not valid before") && s.contains(" s ago; checked at Thu, 01 Jan 1970"),
        "{s}"
    );
    assert!(!s.contains("from now"), "{s}");
    let o = run(
        &["verify", "--at", &(now() + 100_000).to_string(), &url],
        PERM,
    );
    let s = stdout(&o);
    assert!(
        s.contains("expired at") && s.contains(" (in ") && s.contains("; checked at"),
        "{s}"
    );
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    for args in [
        vec!["completions", "bash"],
        vec!["man"],
        vec!["presign", BUCKET, "a"],
        vec!["presign", BUCKET, "a", "--output", "json"],
        vec!["--help"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = cmd(&args, PERM)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_ne!(o.status.code(), Some(101), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn put_and_get_big_files_go_multipart_and_by_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    // 3 parts of 1 MiB: two full ones (the server's minimum for a non-last part) and a tail.
    let len = 2 * (1 << 20) + 700_001;
    let (src, bytes) = source(dir.path(), "big.bin", len, 12);
    let obj = format!("cos://{BUCKET}/big/big.bin");
    let http = ["--scheme", "http", "--proxy", server.url.as_str()];
    let small = [
        "--part-size",
        "1M",
        "--multipart-threshold",
        "1MiB",
        "--concurrency",
        "3",
    ];
    let put = |extra: &[&str]| {
        let mut a = vec!["put", src.to_str().unwrap(), obj.as_str()];
        a.extend_from_slice(extra);
        a.extend_from_slice(&http);
        run(&a, PERM)
    };
    let mut a = small.to_vec();
    a.extend_from_slice(&[
        "--content-type",
        "application/x-big",
        "--meta",
        "owner=ops",
        "-H",
        "x-cos-meta-team: core",
    ]);
    let o = put(&a);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains(&format!("({len} bytes, 3 parts)")),
        "{}",
        stdout(&o)
    );
    // The ETag of a multipart object is not an MD5: "<hex>-3".
    assert_has(&stdout(&o), "-3");

    // Downloaded by ranges (3 of 1 MiB), to a file: the same bytes, type and metadata.
    let out = dir.path().join("back.bin");
    let mut a = vec!["get", obj.as_str(), "-o", out.to_str().unwrap()];
    a.extend_from_slice(&small);
    a.extend_from_slice(&http);
    let o = run(&a, PERM);
    assert_exit(&o, 0);
    let said = stdout(&o);
    assert!(said.contains(&format!("{len} bytes in 3 ranges")), "{said}");
    assert!(said.contains("Content-Type: application/x-big"), "{said}");
    assert!(said.contains("x-cos-meta-owner: ops"), "{said}");
    assert!(said.contains("x-cos-meta-team: core"), "{said}");
    assert!(
        std::fs::read(&out).unwrap() == bytes,
        "ranged download differs"
    );

    // The server holds the concatenation: one plain GET to stdout says so too.
    let mut a = vec!["get", obj.as_str(), "-o", "-"];
    a.extend_from_slice(&http);
    let o = run(&a, PERM);
    assert_exit(&o, 0);
    assert!(o.stdout == bytes, "plain download differs");
    assert_has(&stderr(&o), "Content-Type: application/x-big");

    // Below the default threshold: one PUT, one GET.
    let o = put(&[]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains(&format!("({len} bytes)")),
        "{}",
        stdout(&o)
    );
    let mut a = vec!["get", obj.as_str(), "-o", out.to_str().unwrap()];
    a.extend_from_slice(&http);
    let o = run(&a, PERM);
    assert_exit(&o, 0);
    assert_has(&stdout(&o), "matches the ETag");
    assert!(!stdout(&o).contains("ranges"), "{}", stdout(&o));
    assert!(std::fs::read(&out).unwrap() == bytes);
    // Multipart with one part of 5 MiB: "1 part", "1 range".
    let one = ["--part-size", "5M", "--multipart-threshold", "1"];
    let o = put(&one);
    assert_exit(&o, 0);
    assert_has(&stdout(&o), &format!("({len} bytes, 1 part)"));
    let mut a = vec!["get", obj.as_str(), "-o", out.to_str().unwrap()];
    a.extend_from_slice(&one);
    a.extend_from_slice(&http);
    let o = run(&a, PERM);
    assert_exit(&o, 0);
    assert_has(&stdout(&o), &format!("{len} bytes in 1 range to"));

    // Bad values are usage errors (exit 2), never panics.
    for (flag, value, says) in [
        ("--part-size", "10K", "at least 1 MiB"),
        ("--part-size", "6G", "at most 5 GiB"),
        ("--part-size", "99999999999999999999", "size in bytes"),
        ("--part-size", "1T", "unknown unit"),
        ("--concurrency", "0", "from 1 to 64"),
        ("--concurrency", "65", "from 1 to 64"),
        ("--multipart-threshold", "-1", "size in bytes"),
    ] {
        let o = put(&[flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{flag} {value}: {}", stderr(&o));
    }
    let url = presign(&["-X", "PUT", BUCKET, "big/u.bin"], PERM);
    let o = run(
        &[
            "put",
            src.to_str().unwrap(),
            "--url",
            &url,
            "--part-size",
            "1M",
        ],
        &[],
    );
    assert_exit(&o, 2);
    assert_has(&stderr(&o), "need credentials");
}

/// A stand-in server that answers each request by the first segment of its path: the
/// status line and headers given, `Content-Length` of the body, then the body; then it
/// closes the connection.
type Canned = (&'static str, &'static str, &'static [u8]);

fn canned(answers: &'static [Canned]) -> String {
    let (addr, _) = stand_in(move |_, target| {
        let first = target
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        answers.iter().find(|(p, _, _)| *p == first).map_or(
            ("HTTP/1.1 404 Not Found\r\n".into(), Vec::new()),
            |(_, h, b)| ((*h).into(), b.to_vec()),
        )
    });
    addr
}

/// Answers that are not the object: a redirect, a 204, a 206 to a GET without Range, and
/// error answers with terminal escapes or a temporary key's token in them. Each `get` fails
/// (exit 1) and leaves the existing output file as it was; the error shows no escape and no
/// token. A good answer then replaces the file, which keeps its permissions; through a
/// symbolic link, the file it points to is written and the link stays; a named pipe is
/// written into.
#[test]
fn unexpected_answers_fail_and_outputs_are_written_in_place() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
    const ANSWERS: &[Canned] = &[
        (
            "redirect",
            "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/k\r\n",
            b"page",
        ),
        ("empty", "HTTP/1.1 204 No Content\r\n", b""),
        (
            "partial",
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/100\r\n",
            b"abcd",
        ),
        (
            "escapes",
            "HTTP/1.1 403 Forbidden\r\n",
            b"<Error><Code>AccessDenied</Code><Message>\x1b[2Jall good\x07</Message></Error>",
        ),
        (
            "token",
            "HTTP/1.1 403 Forbidden\r\n",
            b"<Error><Code>SignatureDoesNotMatch</Code><FormatString>get\n/k\n\nhost=h&amp;\
              x-cos-security-token=cliSessionToken:xyz/+=0000000000002\n</FormatString></Error>",
        ),
        ("ok", "HTTP/1.1 200 OK\r\n", b"fresh"),
    ];
    let addr = canned(ANSWERS);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    std::fs::write(&out, "GOOD").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    let get = |path: &str, to: &Path| {
        let url = format!("http://{addr}/{path}/k");
        run(&["get", "--url", &url, "-o", to.to_str().unwrap()], &[])
    };
    for (path, says) in [
        ("redirect", "a redirect to http://elsewhere.example/k"),
        ("empty", "HTTP 204"),
        ("partial", "HTTP 206"),
        ("escapes", "AccessDenied"),
        ("token", "x-cos-security-token=REDACTED"),
    ] {
        let o = get(path, &out);
        assert_exit(&o, 1);
        let err = stderr(&o);
        assert_has(&err, says);
        assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
        assert!(!err.contains(TOKEN), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "GOOD", "{path}");
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 1, "{path}: a temporary file left behind");
    }
    let url = format!("http://{addr}/redirect/k");
    let o = run(&["put", out.to_str().unwrap(), "--url", &url], &[]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "not followed");
    // a good answer: the file is replaced and keeps its mode
    assert_exit(&get("ok", &out), 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "fresh");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    // through a link
    std::fs::write(&out, "GOOD").unwrap();
    let link = dir.path().join("link");
    symlink(&out, &link).unwrap();
    assert_exit(&get("ok", &link), 0);
    let link_type = std::fs::symlink_metadata(&link).unwrap().file_type();
    assert!(link_type.is_symlink());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "fresh");
    // into a named pipe
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    assert_exit(&get("ok", &fifo), 0);
    assert_eq!(reader.join().unwrap(), "fresh");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// `get` of one GET (here a pre-signed URL) checks COS's `x-cos-hash-crc64ecma` (crcmod's
/// CRC-64 of "fresh" is 17241126404985333312) against the bytes received: a wrong one fails
/// (exit 1) and leaves the output as it was; the right one, or none, is a success.
#[test]
fn a_wrong_crc64_fails_a_get() {
    const ANSWERS: &[Canned] = &[
        (
            "bad",
            "HTTP/1.1 200 OK\r\nx-cos-hash-crc64ecma: 17241126404985333313\r\n",
            b"fresh",
        ),
        (
            "good",
            "HTTP/1.1 200 OK\r\nx-cos-hash-crc64ecma: 17241126404985333312\r\n",
            b"fresh",
        ),
        ("none", "HTTP/1.1 200 OK\r\n", b"fresh"),
    ];
    let addr = canned(ANSWERS);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    std::fs::write(&out, "GOOD").unwrap();
    let get = |path: &str, to: &str| {
        let url = format!("http://{addr}/{path}/k");
        run(&["get", "--url", &url, "-o", to], &[])
    };
    for to in [out.to_str().unwrap(), "-"] {
        let o = get("bad", to);
        assert_exit(&o, 1);
        assert_has(
            &stderr(&o),
            "do not match the object's CRC-64: CRC-64 17241126404985333312, \
             x-cos-hash-crc64ecma 17241126404985333313",
        );
    }
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "GOOD");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file"
    );
    for path in ["good", "none"] {
        std::fs::write(&out, "GOOD").unwrap();
        assert_exit(&get(path, out.to_str().unwrap()), 0);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "fresh", "{path}");
    }
}

/// `ls`: one level with folders as PRE, every key with -r, pages of 1,000 followed to the end,
/// json lines with each object's fields, a control character in a key escaped in text.
#[test]
fn ls_lists_a_bucket() {
    let server = Server::with_key();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    put_abc(
        &server,
        &[
            "ls/a.txt",
            "ls/sub/b.txt",
            "ls/谷 c",
            "ls/d\u{1b}[2J",
            "other",
        ],
    );
    // One level under ls/: the folder once, the objects with date, time and size.
    let o = local(&["ls", &format!("cos://{BUCKET}/ls/")]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0].trim_start(), "PRE ls/sub/");
    assert!(lines[1].ends_with("          3 ls/a.txt"), "{text}");
    assert!(lines[2].ends_with(" ls/d\\u{1b}[2J"), "{text}");
    assert!(lines[3].ends_with(" ls/谷 c"), "{text}");
    assert!(!text.contains('\u{1b}'));
    // -r, BUCKET PREFIX: every key under ls/, as json lines.
    let o = local(&["ls", BUCKET, "ls/", "-r", "--output", "json"]);
    assert_exit(&o, 0);
    let keys: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["size"], 3);
            assert_eq!(v["etag"], "900150983cd24fb0d6963f7d28e17f72");
            assert_eq!(v["storage_class"], "STANDARD");
            v["key"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        keys,
        ["ls/a.txt", "ls/d\u{1b}[2J", "ls/sub/b.txt", "ls/谷 c"]
    );
    // More than a page: 1,001 keys under many/, listed to the end.
    put_many(&server, "many/", 1001);
    let o = local(&["ls", &format!("cos://{BUCKET}/many/"), "-r"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 1001);
    assert!(text.lines().last().unwrap().ends_with(" many/1000"));
    // --summarize: the count and the total size after the list (on stderr with json).
    let o = local(&["ls", BUCKET, "ls/", "-r", "--summarize"]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).ends_with("\nTotal Objects: 4\n   Total Size: 12\n"),
        "{}",
        stdout(&o)
    );
    let o = local(&["ls", BUCKET, "ls/", "-r", "--summarize", "--output", "json"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 4);
    assert_has(&stderr(&o), "Total Objects: 4\n   Total Size: 12");
    // Nothing under a prefix: no line, exit 0.
    let o = local(&["ls", BUCKET, "none/"]);
    assert_exit(&o, 0);
    assert!(o.stdout.is_empty());
}

/// Makes a named pipe at `path`.
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// `rm`: one object; with -r every object under a prefix, in key order, others kept;
/// --dry-run deletes nothing.
#[test]
fn rm_deletes_objects() {
    let server = Server::with_key();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    put_abc(&server, &["rm/a", "rm/b/c", "rm/谷", "rmx", "keep/d"]);
    let listed = |prefix: &str| listed_keys(&server, prefix);
    // One object.
    let o = local(&["rm", BUCKET, "rmx"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), format!("deleted cos://{BUCKET}/rmx\n"));
    // A dry run names what -r would delete, and deletes nothing.
    let o = local(&["rm", &format!("cos://{BUCKET}/rm/"), "-r", "--dry-run"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 3);
    assert_eq!(listed("rm/"), ["rm/a", "rm/b/c", "rm/谷"]);
    // -r: every key under rm/, in order; keep/ stays.
    let o = local(&["rm", &format!("cos://{BUCKET}/rm/"), "-r"]);
    assert_exit(&o, 0);
    let want: String = ["rm/a", "rm/b/c", "rm/谷"]
        .iter()
        .map(|k| format!("deleted cos://{BUCKET}/{k}\n"))
        .collect();
    assert_eq!(stdout(&o), want);
    assert!(listed("rm").is_empty());
    assert_eq!(listed(""), ["keep/d"]);
    // More than a page, deleted page by page.
    put_many(&server, "big/", 1001);
    let o = local(&["rm", &format!("cos://{BUCKET}/big/"), "-r"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 1001);
    assert!(stdout(&o).ends_with(&format!("deleted cos://{BUCKET}/big/1000\n")));
    assert!(listed("big/").is_empty());
    // Without -r a key is required.
    let o = local(&["rm", &format!("cos://{BUCKET}/")]);
    assert_exit(&o, 2);
}

/// `cp` copies on the server, within a bucket and to another; a local path is pointed to put
/// or get.
#[test]
fn cp_copies_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let (src, bytes) = source(dir.path(), "s.bin", 50_000, 9);
    let from = format!("cos://{BUCKET}/cp/src 谷.bin");
    assert_exit(&local(&["put", src.to_str().unwrap(), &from]), 0);
    let other = "otherbucket-1250000000";
    for to in [
        format!("cos://{BUCKET}/cp/copy.bin"),
        format!("cos://{other}/c.bin"),
    ] {
        let o = local(&["cp", &from, &to]);
        assert_exit(&o, 0);
        assert_has(&stdout(&o), &format!("to {to}, ETag "));
        let o = local(&["get", &to, "-o", "-"]);
        assert_exit(&o, 0);
        assert!(o.stdout == bytes, "{to}: the copy differs");
    }
    let o = local(&["cp", &format!("cos://{BUCKET}/cp/none"), &from]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "NoSuchKey");
    let o = local(&["cp", src.to_str().unwrap(), &from]);
    assert_exit(&o, 2);
    assert_has(&stderr(&o), "cos-sign put");
    let o = local(&["cp", &from, "copy.bin"]);
    assert_exit(&o, 2);
    assert_has(&stderr(&o), "cos-sign get");
}

/// A listing whose next marker does not move on (a broken server) fails instead of listing
/// the same page forever.
#[test]
fn a_listing_that_does_not_move_on_fails() {
    const STUCK: &[Canned] = &[(
        // Through the proxy the request target is absolute: its first segment is "http:".
        "http:",
        "HTTP/1.1 200 OK\r\n",
        b"<ListBucketResult><IsTruncated>true</IsTruncated><NextMarker>a</NextMarker>\
          <Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>",
    )];
    let addr = canned(STUCK);
    let proxy = format!("http://{addr}");
    let o = run(&through(&["ls", BUCKET, "-r"], &proxy), PERM);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "the listing does not move on");
    assert_eq!(stdout(&o).lines().count(), 2, "two pages, then the stop");
}

/// Puts an object of the three bytes `abc` at each of `keys`, with `cos-sign put` through
/// `server`.
fn put_abc(server: &Server, keys: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("abc");
    std::fs::write(&f, "abc").unwrap();
    for k in keys {
        let args = ["put", f.to_str().unwrap(), &format!("cos://{BUCKET}/{k}")];
        assert_exit(&run(&through(&args, &server.url), PERM), 0);
    }
}

/// Puts `n` empty objects `<prefix>0000`, `<prefix>0001`... through `server`, eight at a time.
fn put_many(server: &Server, prefix: &str, n: usize) {
    let srv = server.url.trim_start_matches("http://").to_owned();
    std::thread::scope(|s| {
        for t in 0..8 {
            let srv = &srv;
            s.spawn(move || {
                for i in (t..n).step_by(8) {
                    put_direct(srv, &format!("{prefix}{i:04}"));
                }
            });
        }
    });
}

/// `get -r`: every object under a prefix into a folder at its path below the prefix (a big
/// one by ranges); a folder marker is skipped; keys that would leave the folder (`..`, an
/// empty part) are skipped, reported and counted (exit 1), and nothing is written outside.
#[test]
fn get_r_downloads_a_prefix_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let (big, big_bytes) = source(dir.path(), "big.bin", 3 * 1024 * 1024 + 5, 11);
    assert_exit(
        &local(&[
            "put",
            big.to_str().unwrap(),
            &format!("cos://{BUCKET}/tree/sub/big.bin"),
        ]),
        0,
    );
    put_abc(&server, &["tree/a.txt", "tree/谷 c", "other/x"]);
    let srv = server.url.trim_start_matches("http://");
    for hostile in [
        "tree/../escape",
        "tree/sub/../../escape2",
        "tree//abs",
        "tree/dir/",
    ] {
        put_direct(srv, hostile);
    }
    let out = dir.path().join("out");
    let o = local(&[
        "get",
        &format!("cos://{BUCKET}/tree/"),
        "-r",
        "-o",
        out.to_str().unwrap(),
        "--multipart-threshold",
        "1M",
        "--part-size",
        "1M",
    ]);
    assert_exit(&o, 1);
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"abc");
    assert_eq!(std::fs::read(out.join("谷 c")).unwrap(), b"abc");
    assert!(std::fs::read(out.join("sub").join("big.bin")).unwrap() == big_bytes);
    assert_has(&stdout(&o), "sub/big.bin (3145733 bytes)");
    let err = stderr(&o);
    for skipped in ["tree/../escape", "tree/sub/../../escape2", "tree//abs"] {
        assert_has(&err, &format!("cos://{BUCKET}/{skipped}: skipped"));
    }
    assert!(
        !err.contains("tree/dir/"),
        "a folder marker is skipped quietly: {err}"
    );
    assert_has(&err, "3 of 6 objects not downloaded");
    // Nothing outside the folder; inside, only what was listed.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["big.bin", "out"]);
    let mut inside: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside, ["a.txt", "sub", "谷 c"]);
    // -r wants a folder and credentials.
    let o = local(&["get", BUCKET, "tree/", "-r", "-o", "-"]);
    assert_exit(&o, 2);
    let o = local(&["get", BUCKET, "tree/", "-r", "-o", big.to_str().unwrap()]);
    assert_exit(&o, 2);
    assert_has(&stderr(&o), "not a folder");
}

/// `put -r` uploads a folder's files under a prefix (the type guessed per file, a big one
/// multipart, a link to a file followed, a linked folder and a pipe skipped: exit 3), and
/// `get -r` brings the same files back.
#[test]
fn put_r_uploads_a_folder_and_get_r_brings_it_back() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let up = dir.path().join("up");
    std::fs::create_dir_all(up.join("sub").join("deeper")).unwrap();
    std::fs::write(up.join("a.txt"), "a").unwrap();
    std::fs::write(up.join("sub").join("b.json"), "{}").unwrap();
    let big = data(3 * 1024 * 1024 + 1, 21);
    std::fs::write(up.join("sub").join("deeper").join("谷 c.bin"), &big).unwrap();
    symlink(up.join("a.txt"), up.join("link.txt")).unwrap();
    symlink(&up, up.join("sub").join("loop")).unwrap();
    mkfifo(&up.join("pipe"));
    let o = local(&[
        "put",
        up.to_str().unwrap(),
        &format!("cos://{BUCKET}/up"),
        "-r",
        "--multipart-threshold",
        "1M",
        "--part-size",
        "1M",
    ]);
    // Every file went; the two skipped entries make it exit 3 (see skipped.rs).
    assert_exit(&o, 3);
    assert_eq!(stdout(&o).lines().count(), 4, "{}", stdout(&o));
    assert_has(&stderr(&o), "pipe: skipped: not a file");
    assert_has(&stderr(&o), "loop: skipped: not a file");
    let keys = listed_keys(&server, "up/");
    assert_eq!(
        keys,
        [
            "up/a.txt",
            "up/link.txt",
            "up/sub/b.json",
            "up/sub/deeper/谷 c.bin"
        ]
    );
    let o = local(&["get", &format!("cos://{BUCKET}/up/sub/b.json"), "-o", "-"]);
    assert_has(&stderr(&o), "Content-Type: application/json");
    // Back into another folder: the same files.
    let back = dir.path().join("back");
    let o = local(&[
        "get",
        &format!("cos://{BUCKET}/up/"),
        "-r",
        "-o",
        back.to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    assert_eq!(std::fs::read(back.join("a.txt")).unwrap(), b"a");
    assert_eq!(std::fs::read(back.join("link.txt")).unwrap(), b"a");
    assert_eq!(
        std::fs::read(back.join("sub").join("b.json")).unwrap(),
        b"{}"
    );
    assert!(std::fs::read(back.join("sub").join("deeper").join("谷 c.bin")).unwrap() == big);
    // -r wants a folder.
    let o = local(&[
        "put",
        up.join("a.txt").to_str().unwrap(),
        BUCKET,
        "x/",
        "-r",
    ]);
    assert_exit(&o, 2);
    assert_has(&stderr(&o), "not a folder");
}

/// `put -r` where the server refuses two files (EntityTooLarge: one PUT, one multipart
/// upload): the others are uploaded all the same, each refusal names its file and why, the
/// summary counts them, exit 1; no multipart upload is left open on the server.
#[test]
fn put_r_goes_on_after_a_refused_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        "--credential",
        &format!("{ID}:{KEY}"),
        "--max-object-size",
        "1000",
    ]);
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let up = dir.path().join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("a.txt"), "a").unwrap();
    std::fs::write(up.join("big.bin"), data(5000, 3)).unwrap();
    std::fs::write(up.join("sub").join("c.txt"), "c").unwrap();
    std::fs::write(
        up.join("sub").join("huge.bin"),
        data(2 * 1024 * 1024 + 1, 4),
    )
    .unwrap();
    let o = local(&[
        "put",
        up.to_str().unwrap(),
        &format!("cos://{BUCKET}/pr/"),
        "-r",
        "--multipart-threshold",
        "1M",
        "--part-size",
        "1M",
    ]);
    assert_exit(&o, 1);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_has(&out, &format!("to cos://{BUCKET}/pr/a.txt (1 bytes)"));
    assert_has(&out, &format!("to cos://{BUCKET}/pr/sub/c.txt (1 bytes)"));
    for name in ["big.bin", "huge.bin"] {
        let line = err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not named in:\n{err}"));
        assert_has(line, "EntityTooLarge");
    }
    assert_has(&err, "2 of 4 files not uploaded");
    assert!(!err.contains(KEY), "{err}");
    assert_eq!(listed_keys(&server, "pr/"), ["pr/a.txt", "pr/sub/c.txt"]);
    let o = local(&["get", &format!("cos://{BUCKET}/pr/sub/c.txt"), "-o", "-"]);
    assert_exit(&o, 0);
    assert_eq!(o.stdout, b"c");
    // The refused multipart upload was aborted.
    let url = presign(&[BUCKET, "/", "--param", "uploads="], PERM);
    let (status, body) = curl(&["--proxy", &server.url, &url]);
    assert_eq!(status, 200, "{body}");
    assert_has(&body, "<ListMultipartUploadsResult>");
    assert!(!body.contains("<Upload>"), "an upload left open: {body}");
}

/// `get -r` where some objects cannot be written here: `x/y` after the file `x`, a link to
/// a full device, a key whose path is a folder already. The others are written; each
/// failure names its key; nothing is left in the temporary folder or beside the outputs,
/// and the folder that was there keeps its file.
#[test]
fn get_r_goes_on_after_local_failures() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    put_abc(&server, &["lf/a", "lf/x", "lf/x/y", "lf/z", "lf/zz"]);
    let out = dir.path().join("out");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(out.join("zz")).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(out.join("zz").join("inner"), "mine").unwrap();
    symlink("/dev/full", out.join("z")).unwrap();
    let mut env = PERM.to_vec();
    env.push(("TMPDIR", tmp.to_str().unwrap()));
    let args = [
        "get",
        &format!("cos://{BUCKET}/lf/"),
        "-r",
        "-o",
        out.to_str().unwrap(),
    ];
    let o = run(&through(&args, &server.url), &env);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_eq!(std::fs::read(out.join("a")).unwrap(), b"abc");
    assert_eq!(std::fs::read(out.join("x")).unwrap(), b"abc");
    for key in ["lf/x/y", "lf/z", "lf/zz"] {
        assert_has(&err, &format!("cos://{BUCKET}/{key}: "));
    }
    assert_has(&err, "3 of 5 objects not downloaded");
    assert_eq!(tree(&out), ["a", "x", "z", "zz", "zz/inner"]);
    assert_eq!(
        std::fs::read(out.join("zz").join("inner")).unwrap(),
        b"mine"
    );
    assert!(tree(&tmp).is_empty(), "left behind: {:?}", tree(&tmp));
}

/// Runs `cos-sign ARGS` with `env`, killing it (and failing the test) when it has not ended
/// within a minute: a download that would wait forever (a named pipe) fails the test
/// instead of hanging it.
fn run_bounded(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut child = cmd(args, env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > until {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("{args:?} did not end within a minute: {}", stderr(&o));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    record(&args.join(" "), &o);
    o
}

/// `get -r` and `sync` write nothing outside the folder and into nothing but files: a key
/// whose place is a symbolic link to a file outside, or whose folder is a link to a folder
/// outside, or a named pipe, is refused (named, counted as failed); the file outside keeps
/// its bytes, nothing appears outside, the pipe is not waited on; the other keys are written.
#[test]
fn folder_downloads_never_write_through_links_or_into_pipes() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    put_abc(&server, &["lk/f", "lk/fifo", "lk/link/x", "lk/plain"]);
    let (out, outside) = (dir.path().join("out"), dir.path().join("outside"));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("target"), "original").unwrap();
    symlink(outside.join("target"), out.join("f")).unwrap();
    symlink(&outside, out.join("link")).unwrap();
    mkfifo(&out.join("fifo"));
    let src = format!("cos://{BUCKET}/lk/");
    let out_s = out.to_str().unwrap();
    for args in [
        vec!["get", src.as_str(), "-r", "-o", out_s],
        vec!["sync", src.as_str(), out_s],
    ] {
        let o = run_bounded(&through(&args, &server.url), PERM);
        assert_exit(&o, 1);
        let err = stderr(&o);
        for key in ["lk/f", "lk/fifo", "lk/link/x"] {
            assert_has(&err, &format!("cos://{BUCKET}/{key}: "));
        }
        assert_has(&err, "is a symbolic link");
        assert_has(&err, "named pipe");
        assert_eq!(
            std::fs::read(outside.join("target")).unwrap(),
            b"original",
            "{args:?}"
        );
        assert_eq!(tree(&outside), ["target"], "{args:?}");
        assert_eq!(tree(&out), ["f", "fifo", "link", "plain"], "{args:?}");
        assert_eq!(std::fs::read(out.join("plain")).unwrap(), b"abc");
    }
}

/// Keys are the server's to choose, and the folder's names come from them: a key with a
/// terminal escape (ESC) reaches the terminal escaped, in the lines of `get -r` and `sync`
/// (stdout) and in their warnings (stderr), never as a raw control character; the file
/// keeps its real name.
#[test]
fn names_from_keys_reach_the_terminal_escaped() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    put_abc(&server, &["esc/\u{1b}[31mred", "esc/\u{1b}[2Jlinked"]);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    symlink("/dev/null", out.join("\u{1b}[2Jlinked")).unwrap();
    let src = format!("cos://{BUCKET}/esc/");
    let out_s = out.to_str().unwrap();
    for args in [
        vec!["get", src.as_str(), "-r", "-o", out_s],
        vec!["sync", src.as_str(), out_s],
    ] {
        // Not there yet: each run downloads it.
        let _ = std::fs::remove_file(out.join("\u{1b}[31mred"));
        let o = run_bounded(&through(&args, &server.url), PERM);
        assert_exit(&o, 1);
        let (so, se) = (stdout(&o), stderr(&o));
        assert!(
            !so.contains('\u{1b}') && !se.contains('\u{1b}'),
            "{args:?}:\n{so:?}\n{se:?}"
        );
        assert_has(&so, "\\u{1b}[31mred");
        assert_has(&se, "\\u{1b}[2Jlinked");
        assert_eq!(std::fs::read(out.join("\u{1b}[31mred")).unwrap(), b"abc");
    }
}

/// `rm -r` where COS refuses two deletes (403 AccessDenied, with a temporary key's token in
/// the answer; 500 InternalError, retried): the other deletes are sent and reported, each
/// refusal names its key and its code without the token, the summary counts them, exit 1.
#[test]
fn rm_r_goes_on_after_a_failed_delete() {
    let (addr, seen) = stand_in(|method, target| match (method, path_query(target).0) {
        ("GET", "/") => (
            "HTTP/1.1 200 OK\r\n".into(),
            list_page(&["r/a", "r/b", "r/c", "r/d"], None),
        ),
        ("DELETE", "/r/b") => (
            "HTTP/1.1 403 Forbidden\r\n".into(),
            format!(
                "<Error><Code>AccessDenied</Code><FormatString>delete\n/r/b\n\nhost=h&amp;\
                 x-cos-security-token={TOKEN}\n</FormatString></Error>"
            )
            .into_bytes(),
        ),
        ("DELETE", "/r/c") => cos_error("500 Internal Server Error", "InternalError"),
        ("DELETE", _) => ("HTTP/1.1 204 No Content\r\n".into(), Vec::new()),
        _ => cos_error("400 Bad Request", "InvalidRequest"),
    });
    let proxy = format!("http://{addr}");
    let o = run(
        &through(&["rm", &format!("cos://{BUCKET}/r/"), "-r"], &proxy),
        TEMP,
    );
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert_eq!(
        stdout(&o),
        format!("deleted cos://{BUCKET}/r/a\ndeleted cos://{BUCKET}/r/d\n")
    );
    assert_has(
        &err,
        &format!("cos://{BUCKET}/r/b: COS error 403 AccessDenied"),
    );
    assert_has(
        &err,
        &format!("cos://{BUCKET}/r/c: COS error 500 InternalError"),
    );
    assert_has(&err, "2 of 4 objects not deleted");
    assert!(!err.contains(TOKEN), "{err}");
    let seen = seen.lock().unwrap();
    for key in ["r/a", "r/b", "r/c", "r/d"] {
        let sent = seen
            .iter()
            .filter(|r| r.starts_with("DELETE ") && path_query(&r[7..]).0 == format!("/{key}"))
            .count();
        assert!(sent >= 1, "no DELETE of {key}: {seen:?}");
    }
}

/// `get -r` where one download fails on the server (403 AccessDenied), one gets bytes that
/// do not match the ETag, and one by ranges gets 500 InternalError to each range: the files
/// already there under those names are kept as they were, no temporary file is left beside
/// them, the others are written, exit 1.
#[test]
fn get_r_keeps_existing_files_when_a_download_fails() {
    const ABC_MD5: &str = "900150983cd24fb0d6963f7d28e17f72";
    let (addr, _) = stand_in(|method, target| {
        let ok = format!("HTTP/1.1 200 OK\r\nETag: \"{ABC_MD5}\"\r\n");
        match (method, path_query(target).0) {
            ("GET", "/") => (
                "HTTP/1.1 200 OK\r\n".into(),
                list_page(&["d/a", "d/b", "d/c", "d/d", "d/e"], None),
            ),
            ("HEAD", "/d/c") => ("HTTP/1.1 403 Forbidden\r\n".into(), Vec::new()),
            ("HEAD", "/d/e") => (format!("{ok}Content-Length: 2097153\r\n"), Vec::new()),
            ("GET", "/d/e") => cos_error("500 Internal Server Error", "InternalError"),
            ("GET", "/d/c") => cos_error("403 Forbidden", "AccessDenied"),
            ("HEAD", _) => (format!("{ok}Content-Length: 3\r\n"), Vec::new()),
            ("GET", "/d/b") => (ok, b"xyz".to_vec()),
            ("GET", _) => (ok, b"abc".to_vec()),
            _ => cos_error("400 Bad Request", "InvalidRequest"),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("b"), "OLD").unwrap();
    std::fs::write(out.join("c"), "OLD").unwrap();
    std::fs::write(out.join("e"), "OLD").unwrap();
    let proxy = format!("http://{addr}");
    let args = [
        "get",
        &format!("cos://{BUCKET}/d/"),
        "-r",
        "-o",
        out.to_str().unwrap(),
        "--multipart-threshold",
        "1M",
        "--part-size",
        "1M",
    ];
    let o = run(&through(&args, &proxy), PERM);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_has(&err, &format!("cos://{BUCKET}/d/b: "));
    assert_has(&err, ABC_MD5);
    assert_has(
        &err,
        &format!("cos://{BUCKET}/d/c: COS error 403 AccessDenied"),
    );
    assert_has(
        &err,
        &format!("cos://{BUCKET}/d/e: COS error 500 InternalError"),
    );
    assert_has(&err, "3 of 5 objects not downloaded");
    assert_eq!(tree(&out), ["a", "b", "c", "d", "e"]);
    for (name, want) in [
        ("a", "abc"),
        ("b", "OLD"),
        ("c", "OLD"),
        ("d", "abc"),
        ("e", "OLD"),
    ] {
        assert_eq!(
            std::fs::read_to_string(out.join(name)).unwrap(),
            want,
            "{name}"
        );
    }
}

/// A listing whose second page fails (500 InternalError, retried) stops `ls -r`, `rm -r`
/// and `get -r` with exit 1, after what the first page listed was done: the error says it
/// was the listing, of which prefix and after which key, and how many of the objects
/// listed before it failed (one, refused with 403).
#[test]
fn a_listing_that_fails_midway_stops_rm_r_and_get_r() {
    let (addr, seen) = stand_in(|method, target| {
        let (path, query) = path_query(target);
        match (method, path) {
            ("GET", "/") if query.contains("marker=") => {
                cos_error("500 Internal Server Error", "InternalError")
            }
            ("GET", "/") => (
                "HTTP/1.1 200 OK\r\n".into(),
                list_page(&["l/a", "l/b"], Some("l/b")),
            ),
            ("HEAD", "/l/b") => ("HTTP/1.1 403 Forbidden\r\n".into(), Vec::new()),
            (_, "/l/b") => cos_error("403 Forbidden", "AccessDenied"),
            ("DELETE", _) => ("HTTP/1.1 204 No Content\r\n".into(), Vec::new()),
            ("HEAD", _) => (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n".into(),
                Vec::new(),
            ),
            ("GET", _) => ("HTTP/1.1 200 OK\r\n".into(), b"abc".to_vec()),
            _ => cos_error("400 Bad Request", "InvalidRequest"),
        }
    });
    let proxy = format!("http://{addr}");
    let listings = || {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|r| r.starts_with("GET ") && path_query(&r[4..]).0 == "/")
            .count()
    };
    let failed_listing = format!(
        "cos-sign: cannot list cos://{BUCKET}/l/ after \"l/b\": COS error 500 InternalError"
    );
    let o = run(&through(&["ls", BUCKET, "l/", "-r"], &proxy), PERM);
    assert_exit(&o, 1);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_has(&stderr(&o), &failed_listing);
    let after_ls = listings();
    assert!((2..=5).contains(&after_ls), "{after_ls} listings");
    let o = run(
        &through(&["rm", &format!("cos://{BUCKET}/l/"), "-r"], &proxy),
        PERM,
    );
    assert_exit(&o, 1);
    assert_eq!(stdout(&o), format!("deleted cos://{BUCKET}/l/a\n"));
    let err = stderr(&o);
    assert_has(
        &err,
        &format!("cos://{BUCKET}/l/b: COS error 403 AccessDenied"),
    );
    assert_has(&err, &failed_listing);
    assert_has(&err, "1 of 2 objects not deleted");
    let after_rm = listings();
    assert!(
        (2..=5).contains(&(after_rm - after_ls)),
        "{after_rm} listings"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = [
        "get",
        &format!("cos://{BUCKET}/l/"),
        "-r",
        "-o",
        out.to_str().unwrap(),
    ];
    let o = run(&through(&args, &proxy), PERM);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert_has(
        &err,
        &format!("cos://{BUCKET}/l/b: COS error 403 AccessDenied"),
    );
    assert_has(&err, &failed_listing);
    assert_has(&err, "1 of 2 objects not downloaded");
    assert_eq!(std::fs::read(out.join("a")).unwrap(), b"abc");
    assert_eq!(tree(&out), ["a"]);
    assert!((2..=5).contains(&(listings() - after_rm)));
}

/// `get -r` of a prefix not ending in `/` maps `c/a` and `ca` (and `c.b`, `c/.b`) to the
/// same file: the first key listed is written there, the later one is skipped and reported
/// (exit 1) instead of replacing it unsaid.
#[test]
fn get_r_never_writes_two_objects_to_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    for (key, body) in [
        ("c/a", "first"),
        ("ca", "second"),
        ("c.b", "dot"),
        ("c/.b", "x"),
    ] {
        let f = dir.path().join("body");
        std::fs::write(&f, body).unwrap();
        let put = ["put", f.to_str().unwrap(), &format!("cos://{BUCKET}/{key}")];
        assert_exit(&local(&put), 0);
    }
    let out = dir.path().join("out");
    let args = [
        "get",
        &format!("cos://{BUCKET}/c"),
        "-r",
        "-o",
        out.to_str().unwrap(),
    ];
    let o = local(&args);
    assert_exit(&o, 1);
    assert_eq!(std::fs::read_to_string(out.join("a")).unwrap(), "first");
    assert_eq!(std::fs::read_to_string(out.join(".b")).unwrap(), "dot");
    let err = stderr(&o);
    assert_has(&err, &format!("cos://{BUCKET}/ca: skipped: "));
    assert_has(&err, &format!("cos://{BUCKET}/c/.b: skipped: "));
    assert_has(&err, "2 of 4 objects not downloaded");
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_eq!(tree(&out), [".b", "a"]);
}
