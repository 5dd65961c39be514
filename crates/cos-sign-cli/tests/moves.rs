//! End-to-end tests of `cos-sign mv` against the local server (`cos-sign serve`): the copy
//! is made before the source is deleted, a move onto itself is refused and deletes nothing,
//! `-r` with filters and `--dry-run`, keys that would share a place are not moved, a copy
//! that fails leaves its source. Credentials come from the environment, never argv.

mod cli_common;

use cli_common::*;

fn bytes_of(server: &Server, bucket: &str, key: &str) -> Option<Vec<u8>> {
    let o = run(
        &through(
            &["get", &format!("cos://{bucket}/{key}"), "-o", "-"],
            &server.url,
        ),
        PERM,
    );
    o.status.success().then(|| o.stdout.clone())
}

fn put(server: &Server, dir: &std::path::Path, key: &str, text: &str) {
    let f = dir.join("f");
    std::fs::write(&f, text).unwrap();
    let o = run(
        &through(
            &["put", f.to_str().unwrap(), &format!("cos://{BUCKET}/{key}")],
            &server.url,
        ),
        PERM,
    );
    assert_exit(&o, 0);
}

#[test]
fn mv_copies_then_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let mv = |args: &[&str]| {
        let mut a = vec!["mv"];
        a.extend_from_slice(args);
        run(&through(&a, &server.url), PERM)
    };
    let uri = |k: &str| format!("cos://{BUCKET}/{k}");
    put(&server, dir.path(), "a 谷.txt", "alpha");

    // Onto itself: refused, and the object stays.
    let o = mv(&[&uri("a 谷.txt"), &uri("a 谷.txt")]);
    assert_exit(&o, 2);
    assert_eq!(bytes_of(&server, BUCKET, "a 谷.txt").unwrap(), b"alpha");

    let o = mv(&[&uri("a 谷.txt"), &uri("old/a.txt"), "--dry-run"]);
    assert_exit(&o, 0);
    assert_eq!(listed_keys(&server, ""), ["a 谷.txt"]);

    let o = mv(&[&uri("a 谷.txt"), &uri("old/a.txt")]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        format!("moved {} to {}\n", uri("a 谷.txt"), uri("old/a.txt"))
    );
    assert_eq!(listed_keys(&server, ""), ["old/a.txt"]);
    assert_eq!(bytes_of(&server, BUCKET, "old/a.txt").unwrap(), b"alpha");

    // A source that is not there: the copy fails, exit 1, nothing deleted or made.
    let o = mv(&[&uri("missing"), &uri("x")]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "not moved");
    assert_eq!(listed_keys(&server, ""), ["old/a.txt"]);

    // Filters go with -r only.
    let o = mv(&[&uri("old/a.txt"), &uri("b"), "--exclude", "*"]);
    assert_exit(&o, 2);
    assert_eq!(listed_keys(&server, ""), ["old/a.txt"]);
}

#[test]
fn mv_r_moves_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let mv = |args: &[&str]| {
        let mut a = vec!["mv", "-r"];
        a.extend_from_slice(args);
        run(&through(&a, &server.url), PERM)
    };
    for (k, v) in [
        ("logs/a.log", "a"),
        ("logs/b.gz", "b"),
        ("logs/sub/c.gz", "c"),
        ("logsx.gz", "x"),
        ("other.gz", "o"),
    ] {
        put(&server, dir.path(), k, v);
    }
    let logs = format!("cos://{BUCKET}/logs/");
    let kept = format!("cos://{BUCKET}/kept");

    let o = mv(&[
        &logs,
        &kept,
        "--exclude",
        "*",
        "--include",
        "*.gz",
        "--dry-run",
    ]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_eq!(listed_keys(&server, "kept"), Vec::<String>::new());

    let o = mv(&[&logs, &kept, "--exclude", "*", "--include", "*.gz"]);
    assert_exit(&o, 0);
    assert_eq!(
        listed_keys(&server, ""),
        [
            "kept/b.gz",
            "kept/sub/c.gz",
            "logs/a.log",
            "logsx.gz",
            "other.gz"
        ]
    );
    assert_eq!(bytes_of(&server, BUCKET, "kept/sub/c.gz").unwrap(), b"c");

    // After "logs" (no /), logs/a.log and logsx.gz... are a.log and x.gz; put a key that
    // shares a place: logs/x.gz and logsx.gz are both x.gz. The first listed moves, the
    // other stays, exit 1.
    put(&server, dir.path(), "logs/x.gz", "first");
    let o = mv(&[
        &format!("cos://{BUCKET}/logs"),
        &format!("cos://{BUCKET}/all/"),
    ]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "is taken by a key listed before it");
    let keys = listed_keys(&server, "");
    assert!(keys.contains(&"logsx.gz".to_owned()), "{keys:?}");
    assert_eq!(bytes_of(&server, BUCKET, "all/x.gz").unwrap(), b"first");
    assert!(keys.contains(&"all/a.log".to_owned()), "{keys:?}");

    // Into a prefix inside the source: each object moves once.
    let o = mv(&[
        &format!("cos://{BUCKET}/all/"),
        &format!("cos://{BUCKET}/all/deeper/"),
    ]);
    assert_exit(&o, 0);
    assert_eq!(
        listed_keys(&server, "all/"),
        ["all/deeper/a.log", "all/deeper/x.gz"]
    );

    // -r between cos:// places only.
    let o = mv(&[dir.path().to_str().unwrap(), &kept]);
    assert_exit(&o, 2);
}

/// `a` and `/a` are one object (its path is `/a` either way): moving one onto the other
/// would copy the object onto itself and then delete it. Refused before anything is sent,
/// with a stand-in that would accept the copy and the delete (COS itself refuses a copy
/// onto itself without new metadata; other servers need not).
#[test]
fn a_move_onto_the_same_object_by_another_name_sends_nothing() {
    let (addr, seen) = stand_in(|method, _| match method {
        "GET" => ("HTTP/1.1 200 OK\r\n".to_owned(), list_page(&["p/a"], None)),
        "PUT" => (
            "HTTP/1.1 200 OK\r\n".to_owned(),
            b"<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>".to_vec(),
        ),
        _ => ("HTTP/1.1 204 No Content\r\n".to_owned(), Vec::new()),
    });
    let proxy = format!("http://{addr}");
    let o = run(
        &through(
            &[
                "mv",
                &format!("cos://{BUCKET}/p/a"),
                &format!("cos://{BUCKET}//p/a"),
            ],
            &proxy,
        ),
        PERM,
    );
    assert_exit(&o, 2);
    assert_has(&stderr(&o), "the same object");
    let o = run(
        &through(
            &[
                "mv",
                "-r",
                &format!("cos://{BUCKET}/p/"),
                &format!("cos://{BUCKET}//p/"),
            ],
            &proxy,
        ),
        PERM,
    );
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "its own new place");
    let sent = seen.lock().unwrap().clone();
    assert!(
        sent.iter().all(|r| r.starts_with("GET")),
        "only the listing: {sent:?}"
    );
}
