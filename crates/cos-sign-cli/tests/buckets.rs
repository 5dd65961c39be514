//! End-to-end tests of `cos-sign mb`, `cos-sign rb` (`--force` too) and `cos-sign ls` without
//! a bucket, against the local server (`cos-sign serve`) as the proxy. Credentials come from
//! the environment or a profile file, never argv; no output shows the secret key.

mod cli_common;

use cli_common::*;

const MADE: &str = "made-1250000000";
const FULL: &str = "full-1250000000";

/// `cos-sign ARGS` through the server with the permanent key from the environment.
fn local(server: &Server, args: &[&str]) -> std::process::Output {
    let o = run(&through(args, &server.url), PERM);
    assert!(!stdout(&o).contains(KEY) && !stderr(&o).contains(KEY));
    o
}

fn put(server: &Server, bucket: &str, key: &str) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("abc");
    std::fs::write(&f, "abc").unwrap();
    let target = format!("cos://{bucket}/{key}");
    assert_exit(&local(server, &["put", f.to_str().unwrap(), &target]), 0);
}

/// The buckets `ls` lists as JSON: (name, region).
fn listed(server: &Server) -> Vec<(String, String)> {
    let o = local(server, &["ls", "--output", "json"]);
    assert_exit(&o, 0);
    stdout(&o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["bucket_type"], "cos");
            assert_eq!(v["creation_date"].as_str().unwrap().len(), 20, "{v}");
            (
                v["name"].as_str().unwrap().to_owned(),
                v["region"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn mb_creates_once_and_ls_lists_buckets() {
    let server = Server::with_key();
    let o = local(&server, &["mb", &format!("cos://{MADE}")]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), format!("created cos://{MADE}\n"));
    // Again: COS's error, exit 1.
    let o = local(&server, &["mb", &format!("cos://{MADE}/")]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "BucketAlreadyOwnedByYou");
    assert!(o.stdout.is_empty());
    // In another region (the host names it).
    let o = local(
        &server,
        &["mb", "beijing-1250000000", "--region", "ap-beijing"],
    );
    assert_exit(&o, 0);
    // A key is not a bucket.
    let o = local(&server, &["mb", &format!("cos://{MADE}/k")]);
    assert_exit(&o, 2);
    put(&server, FULL, "a.txt");
    assert_eq!(
        listed(&server),
        [
            ("beijing-1250000000".to_owned(), "ap-beijing".to_owned()),
            (FULL.to_owned(), "ap-guangzhou".to_owned()),
            (MADE.to_owned(), "ap-guangzhou".to_owned()),
        ]
    );
    // Text: date, time, region, name.
    let o = local(&server, &["ls"]);
    assert_exit(&o, 0);
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let words: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(words.len(), 4, "{words:?}");
    assert_eq!((words[2], words[3]), ("ap-guangzhou", FULL));
    assert_eq!(words[0].len(), 10);
    assert_eq!(words[1].len(), 8);
    // -r without a bucket is a usage error.
    assert_exit(&local(&server, &["ls", "-r"]), 2);
}

#[test]
fn rb_refuses_a_non_empty_bucket_unless_forced() {
    let server = Server::with_key();
    assert_exit(&local(&server, &["mb", &format!("cos://{MADE}")]), 0);
    put(&server, MADE, "a/b.txt");
    put(&server, MADE, "谷 c");
    let o = local(&server, &["rb", &format!("cos://{MADE}")]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "BucketNotEmpty");
    assert!(o.stdout.is_empty());
    // --force: every object as rm -r deletes them, then the bucket.
    let o = local(&server, &["rb", &format!("cos://{MADE}"), "--force"]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        format!("deleted cos://{MADE}/a/b.txt\ndeleted cos://{MADE}/谷 c\nremoved cos://{MADE}\n")
    );
    assert!(listed(&server).is_empty());
    // Gone: COS's NoSuchBucket; an empty one goes without --force.
    let o = local(&server, &["rb", MADE]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "NoSuchBucket");
    assert_exit(&local(&server, &["mb", MADE]), 0);
    let o = local(&server, &["rb", &format!("cos://{MADE}")]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), format!("removed cos://{MADE}\n"));
}

/// `rb --force` on a bucket holding objects and two unfinished uploads (one key twice, one
/// with a key no object has): everything goes, then the bucket; a new `mb` creates it again.
/// `rb --force` on a bucket holding an object and three unfinished uploads: created first
/// with `mb` (`create`), or only written to (the local server's implicit bucket, which is
/// known from its first write on, so it is still there to delete once emptied).
fn rb_force_with_uploads(
    rb: impl Fn(&[&str]) -> std::process::Output,
    server: &Server,
    create: bool,
) {
    if create {
        assert_exit(&rb(&["mb", FULL]), 0);
    }
    put(server, FULL, "a/b.txt");
    let first = initiate_direct(server.addr(), FULL, "big/谷 1.bin");
    let second = initiate_direct(server.addr(), FULL, "big/谷 1.bin");
    let third = initiate_direct(server.addr(), FULL, "z");
    // ls --uploads: the three, by key then id, text and JSON; with a prefix, two.
    let mut ids = [first.clone(), second.clone()];
    ids.sort();
    let o = rb(&["ls", &format!("cos://{FULL}/"), "--uploads"]);
    assert_exit(&o, 0);
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let tail = |l: &str| l.splitn(3, ' ').nth(2).unwrap_or_default().to_owned();
    assert_eq!(
        lines.iter().map(|l| tail(l)).collect::<Vec<_>>(),
        [
            format!("{} big/谷 1.bin", ids[0]),
            format!("{} big/谷 1.bin", ids[1]),
            format!("{third} z"),
        ]
    );
    let o = rb(&["ls", FULL, "big/", "--uploads", "--output", "json"]);
    assert_exit(&o, 0);
    let json: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(json.len(), 2, "{json:?}");
    assert_eq!(json[0]["key"], "big/谷 1.bin");
    assert_eq!(json[0]["upload_id"], ids[0].as_str());
    assert!(
        json[1]["initiated"].as_str().unwrap().ends_with('Z'),
        "{json:?}"
    );
    assert_exit(&rb(&["ls", "--uploads"]), 2);
    // Not empty, without --force.
    let o = rb(&["rb", FULL]);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "BucketNotEmpty");
    let o = rb(&["rb", &format!("cos://{FULL}"), "--force"]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        format!(
            "deleted cos://{FULL}/a/b.txt\n\
             aborted cos://{FULL}/big/谷 1.bin (upload {})\n\
             aborted cos://{FULL}/big/谷 1.bin (upload {})\n\
             aborted cos://{FULL}/z (upload {third})\n\
             removed cos://{FULL}\n",
            ids[0], ids[1]
        )
    );
    assert_has(
        &stderr(&o),
        &format!("cos://{FULL}: 1 of 1 objects deleted, 3 of 3 unfinished uploads aborted"),
    );
    // Gone: not listed, and a new mb creates it (200, not 409).
    let o = rb(&["ls"]);
    assert_exit(&o, 0);
    assert!(!stdout(&o).contains(FULL), "{}", stdout(&o));
    let o = rb(&["mb", FULL]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), format!("created cos://{FULL}\n"));
}

#[test]
fn rb_force_aborts_unfinished_uploads() {
    let server = Server::with_key();
    rb_force_with_uploads(|args| local(&server, args), &server, false);
    // A wrong key: the first listing is refused, nothing is deleted, the bucket is kept
    // (exit 1).
    initiate_direct(server.addr(), FULL, "k");
    let wrong = [("COS_SECRET_ID", ID), ("COS_SECRET_KEY", "not-the-key")];
    let o = run(&through(&["rb", FULL, "--force"], &server.url), &wrong);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "SignatureDoesNotMatch");
    assert!(!stdout(&o).contains("removed"));
}

#[test]
fn rb_force_aborts_uploads_with_a_profile_file() {
    let server = Server::with_key();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    let profile = format!("[test]\nsecret_id = {ID}\nsecret_key = {KEY}\n");
    std::fs::write(&file, profile).unwrap();
    let with_profile = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&[
            "--profile-file",
            file.to_str().unwrap(),
            "--profile",
            "test",
        ]);
        let o = run(&through(&a, &server.url), &[]);
        assert!(!stdout(&o).contains(KEY) && !stderr(&o).contains(KEY));
        o
    };
    rb_force_with_uploads(with_profile, &server, true);
}

#[test]
fn bucket_commands_read_a_profile_file() {
    let server = Server::with_key();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        format!("[test]\nsecret_id = {ID}\nsecret_key = {KEY}\n"),
    )
    .unwrap();
    let with_profile = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&[
            "--profile-file",
            file.to_str().unwrap(),
            "--profile",
            "test",
        ]);
        let o = run(&through(&a, &server.url), &[]);
        assert!(!stdout(&o).contains(KEY) && !stderr(&o).contains(KEY));
        o
    };
    assert_exit(&with_profile(&["mb", MADE]), 0);
    let o = with_profile(&["ls"]);
    assert_exit(&o, 0);
    assert_has(&stdout(&o), MADE);
    assert_exit(&with_profile(&["rb", MADE]), 0);
    // No credentials at all: a usage error naming where they were looked for.
    let o = run(&through(&["ls"], &server.url), &[]);
    assert_exit(&o, 2);
    assert_has(&stderr(&o), "no usable credentials");
}

/// An upload listing whose next markers do not move on (a broken server) fails instead of
/// listing, or aborting, the same page forever: `ls --uploads` and `rb --force` stop with
/// exit 1 after the page was seen twice.
#[test]
fn an_upload_listing_that_does_not_move_on_fails() {
    let stuck = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>\
        <NextKeyMarker>k</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>\
        <Upload><Key>k</Key><UploadId>u1</UploadId><Initiated>2024-01-02T03:04:05.000Z</Initiated>\
        <StorageClass>STANDARD</StorageClass></Upload></ListMultipartUploadsResult>";
    let (addr, seen) = stand_in(move |method, target| match method {
        "GET" if target.contains("uploads") => {
            ("HTTP/1.1 200 OK\r\n".to_owned(), stuck.as_bytes().to_vec())
        }
        // Aborts succeed; everything else (the object listing of rb --force) is empty.
        "DELETE" => ("HTTP/1.1 204 No Content\r\n".to_owned(), Vec::new()),
        _ => (
            "HTTP/1.1 200 OK\r\n".to_owned(),
            b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>".to_vec(),
        ),
    });
    let proxy = format!("http://{addr}");
    let o = run(&through(&["ls", FULL, "--uploads"], &proxy), PERM);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "the upload listing does not move on");
    assert_eq!(stdout(&o).lines().count(), 2, "two pages, then the stop");
    let o = run(&through(&["rb", FULL, "--force"], &proxy), PERM);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "the upload listing does not move on");
    assert!(!stdout(&o).contains("removed"), "{}", stdout(&o));
    let deletes = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with("DELETE"))
        .count();
    assert_eq!(
        deletes,
        2,
        "one abort a page seen: {:?}",
        seen.lock().unwrap()
    );
}

/// An upload listing that goes round the upload ids of one key (u1, u2, u1...: ids need not
/// sort as text, so no order check catches it) fails at the first repeat instead of listing
/// forever. The stand-in ends the listing after 30 pages, so a client that loops ends too.
#[test]
fn an_upload_listing_going_round_one_key_fails() {
    let page = |id: &str, next: &str| {
        format!(
            "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>\
             <NextKeyMarker>k</NextKeyMarker><NextUploadIdMarker>{next}</NextUploadIdMarker>\
             <Upload><Key>k</Key><UploadId>{id}</UploadId>\
             <Initiated>2024-01-02T03:04:05.000Z</Initiated>\
             <StorageClass>STANDARD</StorageClass></Upload></ListMultipartUploadsResult>"
        )
    };
    let pages = std::sync::atomic::AtomicUsize::new(0);
    let (addr, _seen) = stand_in(move |_, target| {
        let ok = "HTTP/1.1 200 OK\r\n".to_owned();
        if pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 30 {
            let end = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
                       </ListMultipartUploadsResult>";
            return (ok, end.as_bytes().to_vec());
        }
        let body = if target.contains("upload-id-marker=u1") {
            page("u2", "u2")
        } else {
            page("u1", "u1")
        };
        (ok, body.into_bytes())
    });
    let proxy = format!("http://{addr}");
    let o = run(&through(&["ls", FULL, "--uploads"], &proxy), PERM);
    assert_exit(&o, 1);
    assert_has(&stderr(&o), "the upload listing does not move on");
    assert_eq!(
        stdout(&o).lines().count(),
        3,
        "u1, u2, u1 again: then the stop\n{}",
        stdout(&o)
    );
}

/// Values the server chooses reach the terminal escaped: a LastModified, a CreationDate, an
/// ETag or an upload id with a terminal escape (ESC) in `ls`, `ls` without a bucket, `cp`
/// and `rb --force` lines, never as a raw control character.
#[test]
fn server_values_reach_the_terminal_escaped() {
    const ESC: &str = "\u{1b}[2J";
    let (addr, _seen) = stand_in(|method, target| {
        let ok = "HTTP/1.1 200 OK\r\n".to_owned();
        let body = match method {
            "GET" if target.contains("uploads") => format!(
                "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload>\
                 <Key>k</Key><UploadId>u{ESC}</UploadId>\
                 <Initiated>2024-01-02T03:04:05.000Z{ESC}</Initiated></Upload>\
                 </ListMultipartUploadsResult>"
            ),
            "GET" if !target.contains(FULL) => format!(
                "<ListAllMyBucketsResult><Buckets><Bucket><Name>{FULL}</Name>\
                 <Location>ap-guangzhou</Location>\
                 <CreationDate>{ESC}2024-01-02T03:04:05Z</CreationDate></Bucket></Buckets>\
                 </ListAllMyBucketsResult>"
            ),
            "GET" => format!(
                "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>\
                 <LastModified>{ESC}2024-01-02T03:04:05.000Z</LastModified><Size>1</Size>\
                 </Contents></ListBucketResult>"
            ),
            "PUT" => format!("<CopyObjectResult><ETag>\"e{ESC}\"</ETag></CopyObjectResult>"),
            "DELETE" => return ("HTTP/1.1 204 No Content\r\n".to_owned(), Vec::new()),
            _ => String::new(),
        };
        (ok, body.into_bytes())
    });
    let proxy = format!("http://{addr}");
    let src = format!("cos://{FULL}/a");
    let dst = format!("cos://{FULL}/b");
    for args in [
        vec!["ls", FULL],
        vec!["ls", FULL, "--uploads"],
        vec!["ls"],
        vec!["cp", src.as_str(), dst.as_str()],
        vec!["rb", FULL, "--force"],
    ] {
        let o = run(&through(&args, &proxy), PERM);
        let (so, se) = (stdout(&o), stderr(&o));
        assert!(!so.is_empty(), "{args:?}: {se}");
        assert!(
            !so.contains('\u{1b}') && !se.contains('\u{1b}'),
            "{args:?}:\n{so:?}\n{se:?}"
        );
    }
}
