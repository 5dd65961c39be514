//! OpenDAL's COS service against the local cos-sign server: every call it makes is signed by
//! OpenDAL's own COS signer (reqsign), so the server's verification meets an independent
//! implementation of the algorithm.
//!
//! Environment: `COS_ENDPOINT` (`http://cos.<region>.myqcloud.com`), `COS_BUCKET`,
//! `COS_SECRET_ID` and `COS_SECRET_KEY` (or, without them, the key OpenDAL's signer loads from
//! its own environment: `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY` and, for a
//! temporary key, `TENCENTCLOUD_TOKEN`), `COS_PREFIX` (the keys this run may write under), and
//! `HTTP_PROXY` naming the server, through which OpenDAL's HTTP client reaches
//! `<bucket>.cos.<region>.myqcloud.com`. Prints `ok <step>` for each step that passed; the
//! first failure ends the run with its reason and exit status 1.

use std::collections::HashMap;
use std::time::Duration;

use opendal::services::Cos;
use opendal::{ErrorKind, Operator};

type Outcome = Result<(), String>;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

fn fail(step: &str) -> impl Fn(opendal::Error) -> String + '_ {
    move |e| format!("{step}: {e}")
}

async fn read(op: &Operator, path: &str) -> Result<Vec<u8>, String> {
    Ok(op.read(path).await.map_err(fail(path))?.to_vec())
}

#[tokio::main]
async fn main() {
    match run().await {
        Ok(()) => println!("all ok"),
        Err(e) => {
            eprintln!("FAILED: {e}");
            std::process::exit(1);
        }
    }
}

async fn run() -> Outcome {
    let mut builder = Cos::default()
        .endpoint(&var("COS_ENDPOINT")?)
        .bucket(&var("COS_BUCKET")?);
    if let (Ok(id), Ok(key)) = (var("COS_SECRET_ID"), var("COS_SECRET_KEY")) {
        builder = builder.secret_id(&id).secret_key(&key);
    }
    let op = Operator::new(builder).map_err(fail("operator"))?.finish();
    let p = var("COS_PREFIX")?;
    let at = |name: &str| format!("{p}{name}");

    // Write with metadata, read back, stat.
    let odd = at("dir/a b+c(中)&=%.txt");
    op.write_with(&odd, "hello opendal")
        .content_type("text/plain")
        .cache_control("no-cache")
        .content_disposition("attachment; filename=\"a.txt\"")
        .user_metadata([("colour".to_owned(), "blue".to_owned())])
        .await
        .map_err(fail("write"))?;
    ensure!(
        read(&op, &odd).await? == b"hello opendal",
        "read gave other bytes"
    );
    let meta = op.stat(&odd).await.map_err(fail("stat"))?;
    ensure!(
        meta.content_length() == 13,
        "stat length {}",
        meta.content_length()
    );
    ensure!(
        meta.content_type() == Some("text/plain"),
        "stat type {:?}",
        meta.content_type()
    );
    ensure!(
        meta.cache_control() == Some("no-cache"),
        "cache {:?}",
        meta.cache_control()
    );
    let user: Option<&HashMap<String, String>> = meta.user_metadata();
    ensure!(
        user.and_then(|m| m.get("colour")).map(String::as_str) == Some("blue"),
        "user metadata {user:?}"
    );
    let etag = meta.etag().ok_or("stat gave no ETag")?.to_owned();
    println!("ok write-read-stat");

    // Conditions.
    let same = op.read_with(&odd).if_match(&etag).await;
    ensure!(same.is_ok(), "if-match on the ETag: {same:?}");
    let other = op.read_with(&odd).if_match("\"0000\"").await;
    ensure!(
        matches!(&other, Err(e) if e.kind() == ErrorKind::ConditionNotMatch),
        "if-match on another ETag: {other:?}"
    );
    let none = op.stat_with(&odd).if_none_match(&etag).await;
    ensure!(
        matches!(&none, Err(e) if e.kind() == ErrorKind::ConditionNotMatch),
        "if-none-match on the ETag: {none:?}"
    );
    println!("ok conditions");

    // Ranges.
    let part = op
        .read_with(&odd)
        .range(6..13)
        .await
        .map_err(fail("range"))?;
    ensure!(
        part.to_vec() == b"opendal",
        "range gave {:?}",
        part.to_vec()
    );
    println!("ok range");

    // Missing objects.
    let missing = op.stat(&at("missing")).await;
    ensure!(
        matches!(&missing, Err(e) if e.kind() == ErrorKind::NotFound),
        "stat of a missing object: {missing:?}"
    );
    ensure!(
        !op.exists(&at("missing")).await.map_err(fail("exists"))?,
        "exists"
    );
    println!("ok not-found");

    // if_not_exists: x-cos-forbid-overwrite.
    let once = at("once.txt");
    op.write_with(&once, "first")
        .if_not_exists(true)
        .await
        .map_err(fail("write if-not-exists"))?;
    let again = op.write_with(&once, "second").if_not_exists(true).await;
    ensure!(
        matches!(&again, Err(e) if e.kind() == ErrorKind::ConditionNotMatch),
        "a second if-not-exists write: {again:?}"
    );
    ensure!(
        read(&op, &once).await? == b"first",
        "the first write was replaced"
    );
    println!("ok if-not-exists");

    // Append (APPEND Object).
    let log = at("log.txt");
    for piece in ["one,", "two,", "three"] {
        op.write_with(&log, piece)
            .append(true)
            .await
            .map_err(fail("append"))?;
    }
    ensure!(
        read(&op, &log).await? == b"one,two,three",
        "append gave other bytes"
    );
    println!("ok append");

    // Multipart: a writer with 1 MiB chunks.
    let big = at("big.bin");
    let data: Vec<u8> = (0..(2 * 1024 * 1024 + 12345u32))
        .map(|i| (i % 251) as u8)
        .collect();
    let mut w = op
        .writer_with(&big)
        .chunk(1024 * 1024)
        .await
        .map_err(fail("writer"))?;
    w.write(data.clone()).await.map_err(fail("writer write"))?;
    w.close().await.map_err(fail("writer close"))?;
    ensure!(read(&op, &big).await? == data, "multipart object differs");
    println!("ok multipart");

    // Copy (x-cos-copy-source: /<bucket>/<key>).
    let copied = at("dir/copy of 中.txt");
    op.copy(&odd, &copied).await.map_err(fail("copy"))?;
    ensure!(
        read(&op, &copied).await? == b"hello opendal",
        "copy differs"
    );
    println!("ok copy");

    // Folders and listings.
    op.create_dir(&at("empty/"))
        .await
        .map_err(fail("create_dir"))?;
    let mut all: Vec<String> = op
        .list_with(&p)
        .recursive(true)
        .await
        .map_err(fail("list recursive"))?
        .iter()
        .map(|e| e.path().to_owned())
        .collect();
    all.sort();
    let mut want = vec![
        at("big.bin"),
        at("dir/a b+c(中)&=%.txt"),
        at("dir/copy of 中.txt"),
        at("empty/"),
        at("log.txt"),
        at("once.txt"),
    ];
    want.sort();
    ensure!(
        all.iter().filter(|k| *k != &p).cloned().collect::<Vec<_>>() == want,
        "recursive listing {all:?}"
    );
    let mut top: Vec<String> = op
        .list(&p)
        .await
        .map_err(fail("list"))?
        .iter()
        .map(|e| e.path().to_owned())
        .filter(|k| k != &p)
        .collect();
    top.sort();
    let mut want_top = vec![
        at("big.bin"),
        at("dir/"),
        at("empty/"),
        at("log.txt"),
        at("once.txt"),
    ];
    want_top.sort();
    ensure!(top == want_top, "listing {top:?}");
    println!("ok list");

    // Pre-signed requests, sent by a plain HTTP client (through HTTP_PROXY).
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let put = op
        .presign_write(&at("presigned.txt"), Duration::from_secs(600))
        .await
        .map_err(fail("presign_write"))?;
    let resp = http
        .put(put.uri().to_string())
        .body("via a pre-signed PUT")
        .send()
        .await
        .map_err(|e| format!("pre-signed PUT: {e}"))?;
    ensure!(resp.status() == 200, "pre-signed PUT: {}", resp.status());
    let get = op
        .presign_read(&at("presigned.txt"), Duration::from_secs(600))
        .await
        .map_err(fail("presign_read"))?;
    let resp = http
        .get(get.uri().to_string())
        .send()
        .await
        .map_err(|e| format!("pre-signed GET: {e}"))?;
    ensure!(resp.status() == 200, "pre-signed GET: {}", resp.status());
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    ensure!(
        &body[..] == b"via a pre-signed PUT",
        "pre-signed GET gave {body:?}"
    );
    // The same URL for another key is refused.
    let tampered = get.uri().to_string().replace("presigned.txt", "once.txt");
    let resp = http
        .get(&tampered)
        .send()
        .await
        .map_err(|e| format!("tampered GET: {e}"))?;
    ensure!(
        resp.status() == 403,
        "a pre-signed URL moved to another key: {}",
        resp.status()
    );
    println!("ok presign");

    // Delete, and delete of what is gone.
    op.delete(&copied).await.map_err(fail("delete"))?;
    op.delete(&copied).await.map_err(fail("delete again"))?;
    ensure!(
        !op.exists(&copied).await.map_err(fail("exists"))?,
        "deleted object still there"
    );
    op.remove_all(&at("empty/"))
        .await
        .map_err(fail("remove_all"))?;
    println!("ok delete");
    Ok(())
}
