//! End-to-end tests of `cos-sign sync` against the local server (`cos-sign serve`, its
//! request log read to see what it was asked) and stand-in servers: only what differs is
//! transferred, both ways; `--delete`, `--dryrun`, `--size-only`; multipart objects; keys with
//! spaces, `+`, `%` and non-ASCII; a failed listing refuses `--delete`; a failed item does not
//! stop the others. Credentials come from the environment, never argv.

mod cli_common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime};

use cli_common::*;
use md5::{Digest, Md5};

/// The part flags that make a 2 MiB file go multipart (and download by ranges).
const SMALL_PARTS: [&str; 4] = ["--multipart-threshold", "1M", "--part-size", "1M"];

/// `cos-sign sync ARGS` through the server at `proxy` with the permanent key from the
/// environment; its output shows no secret.
fn sync(proxy: &str, args: &[&str]) -> Output {
    let mut a = vec!["sync"];
    a.extend_from_slice(args);
    let o = run(&through(&a, proxy), PERM);
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!text.contains(KEY), "{text}");
    assert!(
        !o.stderr.is_empty() || o.status.success(),
        "a failure says why"
    );
    assert!(!text.contains("panicked"), "{text}");
    o
}

/// The lines of `o`'s stdout that start with `start`.
fn lines_starting(o: &Output, start: &str) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| l.starts_with(start))
        .map(str::to_owned)
        .collect()
}

/// The requests among `seen` that change something (anything but GET and HEAD).
fn writes(seen: &[String]) -> Vec<&String> {
    seen.iter()
        .filter(|r| !r.starts_with("GET ") && !r.starts_with("HEAD "))
        .collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `bytes` to `path` (its folder made) and sets its modification time to `mtime`.
fn write_at(path: &Path, bytes: &[u8], mtime: SystemTime) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(mtime).unwrap();
}

/// A time long ago (2001), older than any object.
fn long_ago() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
}

/// The object `key`, downloaded with `get -o -`: its bytes and what `get` said on stderr.
fn object(server: &Server, key: &str) -> (Vec<u8>, String) {
    let uri = format!("cos://{BUCKET}/{key}");
    let o = run(&through(&["get", &uri, "-o", "-"], &server.url), PERM);
    assert_exit(&o, 0);
    (o.stdout.clone(), stderr(&o))
}

/// Up: the first sync uploads every file (a multipart one with its MD5 as x-cos-meta-md5);
/// the second sends nothing (the server saw only GET and HEAD); a file changed with the same
/// size (and an old time) is found by content, through its ETag or, multipart, its stored
/// MD5; --size-only does not see it; a new file is uploaded and a removed one kept, then with
/// --delete deleted; --dryrun changes nothing.
#[test]
fn sync_up_transfers_only_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::logged(&["--credential", &format!("{ID}:{KEY}")]);
    let up = dir.path().join("up");
    let odd = "sub/b c+%25 谷.txt";
    let big = data(2 * 1024 * 1024 + 3, 7);
    write_at(&up.join("a.txt"), b"alpha", long_ago());
    write_at(&up.join(odd), b"beta", long_ago());
    write_at(&up.join("big.bin"), &big, long_ago());
    let dst = format!("cos://{BUCKET}/s");
    let up_s = up.to_str().unwrap();
    let run_sync = |extra: &[&str]| {
        let mut a = vec![up_s, dst.as_str()];
        a.extend_from_slice(&SMALL_PARTS);
        a.extend_from_slice(extra);
        sync(&server.url, &a)
    };

    let o = run_sync(&[]);
    assert_exit(&o, 0);
    assert_eq!(lines_starting(&o, "upload: ").len(), 3, "{}", stdout(&o));
    assert_has(
        &stdout(&o),
        &format!("upload: {up_s}/{odd} to cos://{BUCKET}/s/{odd} (new)"),
    );
    assert_has(
        &stdout(&o),
        "sync: 3 transferred, 0 unchanged, 0 deleted, 0 failed",
    );
    let objects = listed_objects(&server, "s/");
    let keys: Vec<&str> = objects.iter().map(|o| o["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["s/a.txt", "s/big.bin", &format!("s/{odd}")]);
    // The big file went multipart (its ETag is no MD5), with its MD5 in its metadata.
    assert!(objects[1]["etag"].as_str().unwrap().ends_with("-3"));
    let (bytes, said) = object(&server, "s/big.bin");
    assert!(bytes == big, "the multipart object differs");
    assert_has(&said, &format!("x-cos-meta-md5: {}", md5_hex(&big)));
    assert_eq!(object(&server, &format!("s/{odd}")).0, b"beta");

    // Again: nothing to do, and nothing written on the server.
    let before = server.requests().len();
    let o = run_sync(&[]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        "sync: 0 transferred, 3 unchanged, 0 deleted, 0 failed\n"
    );
    let seen = server.requests()[before..].to_vec();
    assert!(writes(&seen).is_empty(), "{seen:?}");
    // The multipart object's content was checked through its metadata (one HEAD).
    assert!(
        seen.contains(&format!("HEAD {BUCKET}/s/big.bin")),
        "{seen:?}"
    );

    // The same sizes, other bytes, an old time: found by content.
    write_at(&up.join("a.txt"), b"ALPHA", long_ago());
    let mut big2 = big.clone();
    big2[1_500_000] ^= 0xff;
    write_at(&up.join("big.bin"), &big2, long_ago());
    let before = server.requests().len();
    let o = run_sync(&["--size-only"]);
    assert_exit(&o, 0);
    assert_has(
        &stdout(&o),
        "sync: 0 transferred, 3 unchanged, 0 deleted, 0 failed",
    );
    let o = run_sync(&[]);
    assert_exit(&o, 0);
    assert_eq!(
        lines_starting(&o, "upload: "),
        [
            format!("upload: {up_s}/a.txt to cos://{BUCKET}/s/a.txt (content differs)"),
            format!("upload: {up_s}/big.bin to cos://{BUCKET}/s/big.bin (content differs)"),
        ]
    );
    let seen = server.requests()[before..].to_vec();
    let written = writes(&seen);
    assert!(
        written
            .iter()
            .all(|r| r.ends_with("/s/a.txt") || r.ends_with("/s/big.bin")),
        "{written:?}"
    );
    assert!(written.contains(&&format!("PUT {BUCKET}/s/a.txt")));
    assert_eq!(object(&server, "s/a.txt").0, b"ALPHA");
    let (bytes, said) = object(&server, "s/big.bin");
    assert!(bytes == big2, "the multipart object was not replaced");
    assert_has(&said, &format!("x-cos-meta-md5: {}", md5_hex(&big2)));

    // A new file, a removed one: --dryrun with --delete says so and changes nothing.
    std::fs::write(up.join("new file.txt"), "new").unwrap();
    std::fs::remove_file(up.join(odd)).unwrap();
    let before = server.requests().len();
    let o = run_sync(&["--delete", "--dryrun"]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        format!(
            "(dryrun) upload: {up_s}/new file.txt to cos://{BUCKET}/s/new file.txt (new)\n\
             (dryrun) delete: cos://{BUCKET}/s/{odd}\n\
             (dryrun) sync: 1 to transfer, 2 unchanged, 1 to delete, 0 failed\n"
        )
    );
    let seen = server.requests()[before..].to_vec();
    assert!(writes(&seen).is_empty(), "{seen:?}");
    assert_eq!(listed_keys(&server, "s/").len(), 3);
    // Without --delete the removed file's object stays.
    let o = run_sync(&[]);
    assert_exit(&o, 0);
    assert_has(
        &stdout(&o),
        "sync: 1 transferred, 2 unchanged, 0 deleted, 0 failed",
    );
    assert_eq!(listed_keys(&server, "s/").len(), 4);
    // With it, it goes; nothing else.
    let o = run_sync(&["--delete"]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        format!(
            "delete: cos://{BUCKET}/s/{odd}\nsync: 0 transferred, 3 unchanged, 1 deleted, 0 failed\n"
        )
    );
    assert_eq!(
        listed_keys(&server, "s/"),
        ["s/a.txt", "s/big.bin", "s/new file.txt"]
    );
}

/// Up, a multipart object that `put` made (no x-cos-meta-md5): the times decide. The file
/// is older than the object: unchanged; modified later: uploaded, now with its MD5, so the
/// next sync compares contents.
#[test]
fn sync_up_falls_back_on_times_without_an_md5() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let up = dir.path().join("up");
    let big = data(2 * 1024 * 1024 + 5, 8);
    write_at(&up.join("big.bin"), &big, long_ago());
    let file = up.join("big.bin");
    let key = format!("cos://{BUCKET}/t/big.bin");
    let mut put = vec!["put", file.to_str().unwrap(), key.as_str()];
    put.extend_from_slice(&SMALL_PARTS);
    assert_exit(&run(&through(&put, &server.url), PERM), 0);
    let (_, said) = object(&server, "t/big.bin");
    assert!(!said.contains("x-cos-meta-md5"), "{said}");
    let dst = format!("cos://{BUCKET}/t/");
    let args = [
        up.to_str().unwrap(),
        dst.as_str(),
        SMALL_PARTS[0],
        SMALL_PARTS[1],
    ];
    let o = sync(&server.url, &args);
    assert_exit(&o, 0);
    assert_has(
        &stdout(&o),
        "sync: 0 transferred, 1 unchanged, 0 deleted, 0 failed",
    );
    // Modified after the upload (an hour ahead): uploaded again.
    let later = SystemTime::now() + Duration::from_secs(3600);
    write_at(&file, &big, later);
    let o = sync(&server.url, &args);
    assert_exit(&o, 0);
    assert_has(&stdout(&o), "(modification time differs)");
    let (_, said) = object(&server, "t/big.bin");
    assert_has(&said, &format!("x-cos-meta-md5: {}", md5_hex(&big)));
    // Now its MD5 is known: the time no longer matters.
    let o = sync(&server.url, &args);
    assert_exit(&o, 0);
    assert_has(
        &stdout(&o),
        "sync: 0 transferred, 1 unchanged, 0 deleted, 0 failed",
    );
}

/// Down: the first sync writes every object (a multipart one by ranges) into a new folder;
/// the second gets none (the server saw no GET of an object); a file changed with the same
/// size is written over (found by content, or for a multipart object that `put` made, by its
/// time, which the download had set to the object's); a file touched but the same is kept;
/// --dryrun and no --delete keep local extras, --delete removes them (not the folders).
#[test]
fn sync_down_transfers_only_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::logged(&["--credential", &format!("{ID}:{KEY}")]);
    let src = dir.path().join("src");
    let odd = "d e/f+%41 谷.txt";
    write_at(&src.join("a.txt"), b"alpha", long_ago());
    write_at(&src.join(odd), b"beta", long_ago());
    let prefix = format!("cos://{BUCKET}/d/");
    assert_exit(&sync(&server.url, &[src.to_str().unwrap(), &prefix]), 0);
    let big = data(2 * 1024 * 1024 + 7, 9);
    let big_file = dir.path().join("big.bin");
    std::fs::write(&big_file, &big).unwrap();
    let big_key = format!("cos://{BUCKET}/d/big.bin");
    let mut put = vec!["put", big_file.to_str().unwrap(), big_key.as_str()];
    put.extend_from_slice(&SMALL_PARTS);
    assert_exit(&run(&through(&put, &server.url), PERM), 0);

    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let run_sync = |extra: &[&str]| {
        let mut a = vec![prefix.as_str(), out_s];
        a.extend_from_slice(&SMALL_PARTS);
        a.extend_from_slice(extra);
        sync(&server.url, &a)
    };
    let o = run_sync(&[]);
    assert_exit(&o, 0);
    assert_eq!(lines_starting(&o, "download: ").len(), 3, "{}", stdout(&o));
    assert_has(
        &stdout(&o),
        &format!(
            "download: cos://{BUCKET}/d/{odd} to {} (new)",
            out.join(odd).display()
        ),
    );
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"alpha");
    assert_eq!(std::fs::read(out.join(odd)).unwrap(), b"beta");
    assert!(std::fs::read(out.join("big.bin")).unwrap() == big);

    // Again: nothing, and no object fetched.
    let before = server.requests().len();
    let o = run_sync(&[]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        "sync: 0 transferred, 3 unchanged, 0 deleted, 0 failed\n"
    );
    let seen = server.requests()[before..].to_vec();
    let fetched: Vec<&String> = seen
        .iter()
        .filter(|r| !r.starts_with("HEAD ") && **r != format!("GET {BUCKET}/"))
        .collect();
    assert!(fetched.is_empty(), "{seen:?}");

    // Changed here with the same size: written over. Touched only: kept.
    write_at(&out.join("a.txt"), b"ALPHA", long_ago());
    let mut big2 = big.clone();
    big2[10] ^= 1;
    write_at(&out.join("big.bin"), &big2, long_ago());
    let touched = SystemTime::now() + Duration::from_secs(7200);
    write_at(&out.join(odd), b"beta", touched);
    let o = run_sync(&[]);
    assert_exit(&o, 0);
    assert_eq!(
        lines_starting(&o, "download: "),
        [
            format!(
                "download: cos://{BUCKET}/d/a.txt to {} (content differs)",
                out.join("a.txt").display()
            ),
            format!(
                "download: cos://{BUCKET}/d/big.bin to {} (modification time differs)",
                out.join("big.bin").display()
            ),
        ]
    );
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"alpha");
    assert!(std::fs::read(out.join("big.bin")).unwrap() == big);
    let o = run_sync(&[]);
    assert_has(
        &stdout(&o),
        "sync: 0 transferred, 3 unchanged, 0 deleted, 0 failed",
    );

    // Files the prefix lacks: kept without --delete and with --dryrun, then removed.
    std::fs::write(out.join("stale.txt"), "old").unwrap();
    std::fs::write(out.join("d e").join("old.txt"), "old").unwrap();
    let all = [
        "a.txt",
        "big.bin",
        "d e",
        "d e/f+%41 谷.txt",
        "d e/old.txt",
        "stale.txt",
    ];
    let o = run_sync(&[]);
    assert_has(
        &stdout(&o),
        "sync: 0 transferred, 3 unchanged, 0 deleted, 0 failed",
    );
    let o = run_sync(&["--delete", "--dryrun"]);
    assert_exit(&o, 0);
    assert_eq!(
        lines_starting(&o, "(dryrun) delete: "),
        [
            format!(
                "(dryrun) delete: {}",
                out.join("d e").join("old.txt").display()
            ),
            format!("(dryrun) delete: {}", out.join("stale.txt").display()),
        ]
    );
    assert_has(
        &stdout(&o),
        "(dryrun) sync: 0 to transfer, 3 unchanged, 2 to delete, 0 failed",
    );
    assert_eq!(tree(&out), all);
    let o = run_sync(&["--delete"]);
    assert_exit(&o, 0);
    assert_has(
        &stdout(&o),
        "sync: 0 transferred, 3 unchanged, 2 deleted, 0 failed",
    );
    assert_eq!(tree(&out), ["a.txt", "big.bin", "d e", "d e/f+%41 谷.txt"]);
    // Nothing was written beside the folder.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["big.bin", "out", "src"]);
}

/// A file COS refuses (EntityTooLarge) is reported with why, counted, and the others are
/// uploaded (exit 1). With --delete, a folder marker is left quietly, and a key that is no
/// path below the folder is left, reported and counted; the rest is deleted.
#[test]
fn sync_goes_on_after_a_failed_item() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        "--credential",
        &format!("{ID}:{KEY}"),
        "--max-object-size",
        "1000",
    ]);
    let up = dir.path().join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("a.txt"), "a").unwrap();
    std::fs::write(up.join("big.bin"), data(5000, 3)).unwrap();
    std::fs::write(up.join("sub").join("c.txt"), "c").unwrap();
    let dst = format!("cos://{BUCKET}/f/");
    let o = sync(&server.url, &[up.to_str().unwrap(), &dst]);
    assert_exit(&o, 1);
    assert_eq!(lines_starting(&o, "upload: ").len(), 2, "{}", stdout(&o));
    assert_has(
        &stdout(&o),
        "sync: 2 transferred, 0 unchanged, 0 deleted, 1 failed",
    );
    let err = stderr(&o);
    let line = err.lines().find(|l| l.contains("big.bin")).unwrap_or("");
    assert_has(line, "EntityTooLarge");
    assert_has(&err, "1 of 3 files or objects failed");
    assert_eq!(listed_keys(&server, "f/"), ["f/a.txt", "f/sub/c.txt"]);

    // --delete: a marker and a key no file can have stay; the object the folder lacks goes.
    std::fs::remove_file(up.join("big.bin")).unwrap();
    std::fs::remove_file(up.join("sub").join("c.txt")).unwrap();
    for key in ["f/dir/", "f/../escape"] {
        put_direct(server.addr(), key);
    }
    let o = sync(&server.url, &[up.to_str().unwrap(), &dst, "--delete"]);
    assert_exit(&o, 1);
    assert_eq!(
        stdout(&o),
        format!(
            "delete: cos://{BUCKET}/f/sub/c.txt\nsync: 0 transferred, 1 unchanged, 1 deleted, 1 failed\n"
        )
    );
    let err = stderr(&o);
    assert_has(
        &err,
        &format!("cos://{BUCKET}/f/../escape: not deleted: its key is no path below the folder"),
    );
    assert!(!err.contains("f/dir/"), "a marker is left quietly: {err}");
    assert_eq!(
        listed_keys(&server, "f/"),
        ["f/../escape", "f/a.txt", "f/dir/"]
    );
}

/// A listing whose second page fails (500 InternalError, retried): down, the objects of the
/// first page are written, then it stops (exit 1) and --delete deletes nothing; up, the
/// listing comes first, so nothing is uploaded or deleted.
#[test]
fn sync_delete_is_refused_after_a_failed_listing() {
    const ABC_MD5: &str = "900150983cd24fb0d6963f7d28e17f72";
    let (addr, seen) = stand_in(|method, target| {
        let (path, query) = path_query(target);
        let ok = format!("HTTP/1.1 200 OK\r\nETag: \"{ABC_MD5}\"\r\n");
        match (method, path) {
            ("GET", "/") if query.contains("marker=") => {
                cos_error("500 Internal Server Error", "InternalError")
            }
            ("GET", "/") => (
                "HTTP/1.1 200 OK\r\n".into(),
                list_page(&["l/a", "l/b"], Some("l/b")),
            ),
            ("HEAD", _) => (format!("{ok}Content-Length: 3\r\n"), Vec::new()),
            ("GET", _) => (ok, b"abc".to_vec()),
            _ => cos_error("403 Forbidden", "AccessDenied"),
        }
    });
    let proxy = format!("http://{addr}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("stale"), "keep me").unwrap();
    let from = format!("cos://{BUCKET}/l/");
    let failed_listing =
        format!("cannot list cos://{BUCKET}/l/ after \"l/b\": COS error 500 InternalError");
    let o = sync(&proxy, &[&from, out.to_str().unwrap(), "--delete"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert_has(&err, &failed_listing);
    assert_has(&err, "--delete: nothing deleted");
    assert_eq!(lines_starting(&o, "download: ").len(), 2, "{}", stdout(&o));
    assert!(!stdout(&o).contains("delete: "), "{}", stdout(&o));
    assert_eq!(tree(&out), ["a", "b", "stale"]);
    assert_eq!(std::fs::read(out.join("stale")).unwrap(), b"keep me");

    let up = dir.path().join("up");
    std::fs::create_dir_all(&up).unwrap();
    std::fs::write(up.join("a"), "abc").unwrap();
    std::fs::write(up.join("new"), "new").unwrap();
    let o = sync(&proxy, &[up.to_str().unwrap(), &from, "--delete"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert_has(&err, &failed_listing);
    assert_has(&err, "nothing transferred or deleted");
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let seen = seen.lock().unwrap();
    assert!(writes(&seen).is_empty(), "{seen:?}");
}

/// Bad usage is exit 2 with a clear message, before anything is done; the help has
/// examples and says how files are compared.
#[test]
fn sync_refuses_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let d = dir.path().to_str().unwrap();
    let file = dir.path().join("f.txt");
    std::fs::write(&file, "x").unwrap();
    let b = format!("cos://{BUCKET}/p/");
    let other = "cos://otherbucket-1250000000/q/";
    for (args, says) in [
        (vec![b.as_str(), other], "cos-sign cp"),
        (vec![d, d], "must be cos://"),
        (vec![file.to_str().unwrap(), b.as_str()], "not a folder"),
        (vec![d, b.as_str(), "--meta", "md5=0"], "x-cos-meta-md5"),
        (
            vec![d, b.as_str(), "-H", "x-cos-meta-MD5: 0"],
            "x-cos-meta-md5",
        ),
        (
            vec![b.as_str(), d, "-H", "x-cos-acl: private"],
            "for uploads",
        ),
        (
            vec![b.as_str(), d, "--content-type", "text/plain"],
            "for uploads",
        ),
        (vec!["cos://", d], "cos://BUCKET"),
    ] {
        let o = sync(&server.url, &args);
        assert_exit(&o, 2);
        assert_has(&stderr(&o), says);
    }
    assert!(listed_keys(&server, "").is_empty());
    let o = run(&["sync", "--help"], &[]);
    assert_exit(&o, 0);
    for needle in [
        "Examples:",
        "--delete",
        "--dryrun",
        "x-cos-meta-md5",
        "Last-Modified",
    ] {
        assert_has(&stdout(&o), needle);
    }
}
