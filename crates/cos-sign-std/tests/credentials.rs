//! Credential providers: environment (real variables, in a child process so no test mutates
//! this process's environment), profile files in temporary directories, chains, and the
//! caching provider's refresh and failure rules on an injected clock.

use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cos_sign_std::clock::Clock;
use cos_sign_std::credentials::{
    CachingProvider, ChainProvider, Credentials, CredentialsError, CredentialsProvider,
    EnvProvider, ProfileProvider, StaticProvider,
};

const CHILD: &str = "COS_SIGN_STD_ENV_CHILD";

/// Runs in the child process: prints what `EnvProvider` (real environment) answers.
#[test]
fn env_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    match EnvProvider::new().credentials() {
        Ok(c) => println!(
            "RESULT ok id={} key={} token={:?}",
            c.secret_id(),
            c.expose_secret_key(),
            c.token()
        ),
        Err(CredentialsError::NotFound { .. }) => println!("RESULT notfound"),
        Err(e) => println!("RESULT error {e}"),
    }
}

fn env_result(vars: &[(&str, &str)]) -> String {
    let vars: Vec<(&str, std::ffi::OsString)> =
        vars.iter().map(|(k, v)| (*k, (*v).into())).collect();
    env_result_os(&vars)
}

fn env_result_os(vars: &[(&str, std::ffi::OsString)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(CHILD, "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("child printed no result: {stdout}"))
        .to_owned()
}

#[test]
fn env_provider_reads_the_real_environment() {
    assert_eq!(env_result(&[]), "notfound");
    assert_eq!(
        env_result(&[
            ("COS_SECRET_ID", "id1"),
            ("COS_SECRET_KEY", "k1"),
            ("COS_SECURITY_TOKEN", "t1")
        ]),
        "ok id=id1 key=k1 token=Some(\"t1\")"
    );
    assert_eq!(
        env_result(&[
            ("TENCENTCLOUD_SECRET_ID", "id2"),
            ("TENCENTCLOUD_SECRET_KEY", "k2"),
            ("TENCENTCLOUD_SESSION_TOKEN", "t2"),
        ]),
        "ok id=id2 key=k2 token=Some(\"t2\")"
    );
    // COS_* first; each family takes its own token.
    assert_eq!(
        env_result(&[
            ("COS_SECRET_ID", "id1"),
            ("COS_SECRET_KEY", "k1"),
            ("TENCENTCLOUD_SECRET_ID", "id2"),
            ("TENCENTCLOUD_SECRET_KEY", "k2"),
            ("TENCENTCLOUD_SESSION_TOKEN", "t2"),
        ]),
        "ok id=id1 key=k1 token=None"
    );
    let half = env_result(&[
        ("COS_SECRET_ID", "id1"),
        ("TENCENTCLOUD_SECRET_KEY", "hidden-key"),
    ]);
    assert!(
        half.starts_with("error ") && half.contains("COS_SECRET_KEY"),
        "{half}"
    );
    assert!(!half.contains("hidden-key"));
    use std::os::unix::ffi::OsStrExt;
    let bytes = std::ffi::OsStr::from_bytes(b"k\xff").to_owned();
    let not_utf8 = env_result_os(&[("COS_SECRET_ID", "id1".into()), ("COS_SECRET_KEY", bytes)]);
    assert!(
        not_utf8.starts_with("error ") && not_utf8.contains("COS_SECRET_KEY is not valid UTF-8"),
        "{not_utf8}"
    );
    let spaced = env_result(&[("COS_SECRET_ID", "id1"), ("COS_SECRET_KEY", " padded-key ")]);
    assert!(
        spaced.starts_with("error ") && spaced.contains("whitespace"),
        "{spaced}"
    );
    assert!(!spaced.contains("padded-key"));
}

#[test]
fn env_provider_lookup() {
    let p = EnvProvider::from_lookup(|n| match n {
        "COS_SECRET_ID" => Some(String::new()),
        "TENCENTCLOUD_SECRET_ID" => Some("tid".into()),
        "TENCENTCLOUD_SECRET_KEY" => Some("tkey".into()),
        _ => None,
    });
    let c = p.credentials().unwrap();
    assert_eq!(
        (c.secret_id(), c.expose_secret_key(), c.token()),
        ("tid", "tkey", None)
    );
}

fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let p = dir.path().join("credentials");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn profile_provider_reads_ini() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "# comment\n[default]\nsecret_id = AKIDdefault\nSecret_Key=keydefault\n\n; other\n[dev]\nsecret_id: AKIDdev\nsecret_key : keydev\ntoken = tokdev\n",
    );
    let c = ProfileProvider::new()
        .with_path(&path)
        .credentials()
        .unwrap();
    assert_eq!(
        (c.secret_id(), c.expose_secret_key(), c.token()),
        ("AKIDdefault", "keydefault", None)
    );
    let c = ProfileProvider::new()
        .with_path(&path)
        .with_profile("dev")
        .credentials()
        .unwrap();
    assert_eq!(
        (c.secret_id(), c.expose_secret_key(), c.token()),
        ("AKIDdev", "keydev", Some("tokdev"))
    );

    let e = ProfileProvider::new()
        .with_path(&path)
        .with_profile("prod")
        .credentials()
        .unwrap_err();
    assert!(matches!(e, CredentialsError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("[prod]"), "{e}");

    let e = ProfileProvider::new()
        .with_path(dir.path().join("missing"))
        .credentials()
        .unwrap_err();
    assert!(matches!(e, CredentialsError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("missing"), "{e}");
}

#[test]
fn profile_provider_malformed_files_never_leak() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "[default]\nsecret_id = AKID\n",                          // no key
        "[default\nsecret_id = AKID\nsecret_key = s3cr3tvalue\n", // bad header
        "secret_key = s3cr3tvalue\n[default]\n",                  // key outside a section
        "[default]\nsecret_key s3cr3tvalue\n",                    // not key = value
        "[default]\nsecret_id = AKID\nsecret_key = s3cr3t\u{7}value\n", // control char
    ] {
        let path = write(&dir, text);
        let e = ProfileProvider::new()
            .with_path(&path)
            .credentials()
            .unwrap_err();
        assert!(
            matches!(e, CredentialsError::Invalid { .. }),
            "{text:?}: {e:?}"
        );
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("credentials"), "names the file: {shown}");
    }
    // A directory instead of a file: an I/O error naming the source.
    let e = ProfileProvider::new()
        .with_path(dir.path())
        .credentials()
        .unwrap_err();
    assert!(matches!(e, CredentialsError::Io { .. }), "{e:?}");
}

#[test]
fn chain_takes_the_first_that_answers() {
    let empty = EnvProvider::from_lookup(|_| None);
    let dir = tempfile::tempdir().unwrap();
    let chain = ChainProvider::new()
        .push(empty)
        .push(ProfileProvider::new().with_path(dir.path().join("none")))
        .push(StaticProvider::new(Credentials::new("id3", "k3")))
        .push(StaticProvider::new(Credentials::new("id4", "k4")));
    assert_eq!(chain.credentials().unwrap().secret_id(), "id3");

    let none = ChainProvider::new()
        .push(EnvProvider::from_lookup(|_| None))
        .push(ProfileProvider::new().with_path(dir.path().join("none")));
    match none.credentials().unwrap_err() {
        CredentialsError::Chain(errors) => {
            assert_eq!(errors.len(), 2);
            assert!(errors[0].to_string().contains("environment"));
            assert!(errors[1].to_string().contains("profile file"));
        }
        e => panic!("{e:?}"),
    }
}

/// A provider whose answers the test scripts: each call pops the next, counting calls.
#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<Vec<Result<Credentials, CredentialsError>>>,
    calls: AtomicUsize,
}

impl CredentialsProvider for &'static Scripted {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.answers.lock().unwrap().remove(0)
    }
}

fn temp(id: &str, expiry_unix: i64) -> Credentials {
    Credentials::new(id, "k")
        .with_token("t")
        .with_expiry(std::time::UNIX_EPOCH + Duration::from_secs(expiry_unix.unsigned_abs()))
}

fn down() -> CredentialsError {
    CredentialsError::Io {
        source: "sts".into(),
        detail: "connection refused".into(),
    }
}

#[test]
fn caching_provider_refreshes_before_expiry() {
    let script: &'static Scripted = Box::leak(Box::default());
    *script.answers.lock().unwrap() = vec![Ok(temp("first", 2000)), Ok(temp("second", 4000))];
    let p = CachingProvider::new(script)
        .with_margin(Duration::from_secs(100))
        .with_clock(Clock::fixed(1000));
    assert_eq!(p.credentials().unwrap().secret_id(), "first");
    p.clock().set_skew(899); // now 1899 < 2000 - 100: cached
    assert_eq!(p.credentials().unwrap().secret_id(), "first");
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);
    p.clock().set_skew(900); // now 1900: inside the margin, refresh
    assert_eq!(p.credentials().unwrap().secret_id(), "second");
    assert_eq!(p.credentials().unwrap().secret_id(), "second");
    assert_eq!(script.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn caching_provider_serves_the_valid_key_while_refresh_fails() {
    let script: &'static Scripted = Box::leak(Box::default());
    *script.answers.lock().unwrap() = vec![
        Ok(temp("first", 2000)),
        Err(down()),
        Err(down()),
        Err(down()),
        Ok(temp("second", 5000)),
    ];
    let p = CachingProvider::new(script)
        .with_margin(Duration::from_secs(300))
        .with_clock(Clock::fixed(1000));
    assert_eq!(p.credentials().unwrap().secret_id(), "first");
    p.clock().set_skew(800); // 1800: refresh fails, key still valid
    assert_eq!(p.credentials().unwrap().secret_id(), "first");
    p.clock().set_skew(999); // 1999: still valid
    assert_eq!(p.credentials().unwrap().secret_id(), "first");
    p.clock().set_skew(1000); // 2000: expired and the refresh fails
    let e = p.credentials().unwrap_err();
    assert!(matches!(e, CredentialsError::Expired { .. }), "{e:?}");
    assert!(e.to_string().contains("connection refused"), "{e}");
    assert_eq!(p.credentials().unwrap().secret_id(), "second");
    assert_eq!(script.calls.load(Ordering::SeqCst), 5);
}

#[test]
fn caching_provider_keeps_permanent_keys_and_passes_first_errors() {
    let script: &'static Scripted = Box::leak(Box::default());
    *script.answers.lock().unwrap() = vec![Err(down()), Ok(Credentials::new("perm", "k"))];
    let p = CachingProvider::new(script).with_clock(Clock::fixed(1000));
    assert_eq!(p.credentials().unwrap_err(), down());
    for _ in 0..3 {
        assert_eq!(p.credentials().unwrap().secret_id(), "perm");
    }
    assert_eq!(script.calls.load(Ordering::SeqCst), 2);
}
