//! The object API beyond PUT/GET (issue 9) with requests signed by cos-sign-core: multipart
//! on disk (atomic, nothing left behind, abandoned uploads swept), listings of long keys,
//! Range in memory, Upload Part - Copy in memory and on disk, and the operations named by
//! `--help`.

mod server_common;

use std::time::Duration;

use cos_sign_server as server;
use md5::{Digest, Md5};
use server_common::*;

/// Listing the parts of upload `id` of `key` answers 404 `NoSuchUpload`.
async fn assert_upload_gone(client: &reqwest::Client, key: &str, id: &str) {
    let resp = client
        .get(signed("GET", key, &[("uploadId", id)]))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchUpload"));
}

fn upload_files(dir: &TempDir) -> Vec<String> {
    let root = dir.path().join(".uploads").join(BUCKET);
    match std::fs::read_dir(root) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_on_disk_is_atomic_and_leaves_nothing() {
    let dir = TempDir::new("mpu");
    let handle = start_disk(dir.path()).await;
    let client = proxy_client(&handle);
    let key = "mpu/disk object.bin";
    let mut rng = Rng::new(7);
    let mut parts = vec![
        vec![0u8; 1024 * 1024],
        vec![0u8; 1024 * 1024 + 3],
        vec![0u8; 10],
    ];
    for p in &mut parts {
        rng.fill(p);
    }
    let id = initiate(&client, key).await;
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let etag = upload_part(&client, key, &id, i as u32 + 1, p.clone()).await;
        assert_eq!(etag, format!("\"{}\"", md5_hex(p)));
        etags.push(etag);
    }
    // Replacing a part keeps one file for it.
    let again = upload_part(&client, key, &id, 3, parts[2].clone()).await;
    assert_eq!(again, etags[2]);
    // Nothing visible yet: no object file, no listing entry.
    assert!(dir.bucket_files().is_empty(), "{:?}", dir.bucket_files());
    let list = client
        .get(signed("GET", "", &[("prefix", "mpu/")]))
        .send()
        .await
        .unwrap();
    assert!(!list.text().await.unwrap().contains("<Contents>"));

    let resp = complete(&client, key, &id, &etags).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let mut cat = Vec::new();
    for p in &parts {
        cat.extend_from_slice(&Md5::digest(p));
    }
    let expected = format!("\"{}-3\"", md5_hex(&cat));
    assert_eq!(xml_field(&text, "ETag").unwrap(), expected);

    let resp = client.get(signed("GET", key, &[])).send().await.unwrap();
    assert_eq!(resp.headers()["etag"], expected.as_str());
    assert_eq!(resp.bytes().await.unwrap().to_vec(), parts.concat());
    assert_eq!(dir.bucket_files().len(), 1, "{:?}", dir.bucket_files());
    assert!(upload_files(&dir).is_empty());
    // The upload is gone.
    assert_upload_gone(&client, key, &id).await;
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_uploads_are_removed() {
    let dir = TempDir::new("sweep");
    let config = config()
        .data_dir(dir.path())
        // Long enough for the part to land on a loaded machine (400 ms was not, once).
        .upload_expiry(Duration::from_millis(1500));
    let handle = server::spawn(config).await.unwrap();
    let client = proxy_client(&handle);
    let key = "abandoned.bin";
    let id = initiate(&client, key).await;
    upload_part(&client, key, &id, 1, vec![1u8; 1000]).await;
    assert_eq!(upload_files(&dir), vec![id.clone()]);
    tokio::time::sleep(Duration::from_millis(5000)).await;
    assert!(upload_files(&dir).is_empty(), "{:?}", upload_files(&dir));
    assert_upload_gone(&client, key, &id).await;
    assert!(dir.bucket_files().is_empty());
    handle.shutdown().await;
}

#[tokio::test]
async fn long_keys_are_listed_on_disk_in_byte_order() {
    let dir = TempDir::new("longlist");
    let handle = start_disk(dir.path()).await;
    let client = proxy_client(&handle);
    let long = format!("l/{}", "长".repeat(150));
    let keys = [long.as_str(), "l/a", "l/z", "l/é"];
    for k in keys {
        let resp = client
            .put(signed("PUT", k, &[]))
            .body(k.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{k}");
    }
    let resp = client
        .get(signed("GET", "", &[("prefix", "l/")]))
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    let listed: Vec<String> = text
        .split("<Key>")
        .skip(1)
        .map(|s| s.split("</Key>").next().unwrap().to_owned())
        .collect();
    let mut expected: Vec<&str> = keys.to_vec();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(listed, expected);
    handle.shutdown().await;
}

#[tokio::test]
async fn ranges_in_memory() {
    let handle = start_memory().await;
    let client = proxy_client(&handle);
    let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    client
        .put(signed("PUT", "r.bin", &[]))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    for (range, first, last) in [
        ("bytes=0-9", 0, 9),
        ("bytes=-10", 4990, 4999),
        ("bytes=4000-", 4000, 4999),
    ] {
        let resp = client
            .get(signed("GET", "r.bin", &[]))
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 206);
        assert_eq!(
            resp.headers()["content-range"],
            format!("bytes {first}-{last}/5000").as_str()
        );
        assert_eq!(
            resp.bytes().await.unwrap().to_vec(),
            data[first..=last].to_vec()
        );
    }
    let resp = client
        .get(signed("GET", "r.bin", &[]))
        .header("range", "bytes=5000-")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-range"], "bytes */5000");
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (416, "InvalidRange"));
    handle.shutdown().await;
}

#[test]
fn help_lists_the_operations() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cos-sign-server"))
        .arg("--help")
        .output()
        .unwrap();
    // Words as printed, whatever the line wrapping.
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for op in [
        "List Objects v1",
        "Upload Part",
        "List Multipart Uploads",
        "PUT Object - Copy",
        "Upload Part - Copy",
        "x-cos-copy-source-range",
        "DELETE Multiple Objects",
        "HEAD Bucket",
        "DELETE Bucket",
        "BucketNotEmpty",
        "GET Service",
        "--region",
        "NotImplemented",
        "--upload-expiry",
    ] {
        assert!(text.contains(op), "{op} missing from --help");
    }
}

#[tokio::test]
async fn memory_parts_count_against_the_memory_cap() {
    let mut config = config();
    config.limits.memory_store_cap = 2 * 1024 * 1024;
    let handle = server::spawn(config).await.unwrap();
    let client = proxy_client(&handle);
    let key = "capped.bin";
    let id = initiate(&client, key).await;
    upload_part(&client, key, &id, 1, vec![1u8; 1536 * 1024]).await;
    let resp = client
        .put(signed(
            "PUT",
            key,
            &[("partNumber", "2"), ("uploadId", &id)],
        ))
        .body(vec![2u8; 1024 * 1024])
        .send()
        .await
        .unwrap();
    let (status, code, body) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"), "{body}");
    // Aborting gives the room back.
    let resp = client
        .delete(signed("DELETE", key, &[("uploadId", &id)]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let id = initiate(&client, key).await;
    upload_part(&client, key, &id, 1, vec![1u8; 1536 * 1024]).await;
    handle.shutdown().await;
}

/// Upload Part - Copy of part `n` of upload `id` of `key` from `source` (a key of the
/// bucket), with these extra headers (`x-cos-copy-source-range`, conditions).
async fn part_copy(
    client: &reqwest::Client,
    key: &str,
    id: &str,
    n: &str,
    source: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client
        .put(signed("PUT", key, &[("partNumber", n), ("uploadId", id)]))
        .header("x-cos-copy-source", format!("{HOST}{}", url_path(source)));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

/// Copies parts out of an object (whole, by ranges), refuses bad ranges, a missing source,
/// failed conditions and bad part requests without keeping a part, and completes the upload
/// of the copied parts into the right bytes and multipart ETag.
async fn part_copy_round_trip(handle: &server::ServerHandle) {
    let client = proxy_client(handle);
    let src = "pc/source 中.bin";
    let mut data = vec![0u8; 2 * 1024 * 1024 + 1234];
    Rng::new(11).fill(&mut data);
    let src_etag = put_object(&client, src, &data).await;
    let len = data.len();
    let key = "pc/dest.bin";
    let id = initiate(&client, key).await;

    // Part 1: a range; part 2: the whole object (the Python SDK sends an empty range then);
    // part 3: a small last range.
    let mib = 1024 * 1024;
    let r1 = format!("bytes=5-{}", mib + 5);
    let ranges: [(&str, &[u8]); 3] = [
        (&r1, &data[5..=mib + 5]),
        ("", &data),
        ("bytes=100-199", &data[100..200]),
    ];
    let mut etags = Vec::new();
    for (n, (range, bytes)) in ranges.iter().enumerate() {
        let n = (n + 1).to_string();
        let resp = part_copy(
            &client,
            key,
            &id,
            &n,
            src,
            &[
                ("x-cos-copy-source-range", range),
                ("x-cos-copy-source-If-Match", &src_etag),
            ],
        )
        .await;
        assert_eq!(resp.status(), 200, "part {n}");
        let text = resp.text().await.unwrap();
        assert!(text.contains("<CopyPartResult>"), "{text}");
        let etag = xml_field(&text, "ETag").unwrap();
        assert_eq!(etag, format!("\"{}\"", md5_hex(bytes)));
        let modified = xml_field(&text, "LastModified").unwrap();
        assert!(modified.ends_with(".000Z"), "{modified}");
        etags.push(etag);
    }

    let refused = [
        ("bytes=0-", 400, "InvalidArgument"),
        ("bytes=-10", 400, "InvalidArgument"),
        ("0-9", 400, "InvalidArgument"),
        ("bytes=a-9", 400, "InvalidArgument"),
        ("bytes=0-1,3-4", 400, "InvalidArgument"),
        ("bytes= 0-9", 400, "InvalidArgument"),
        ("bytes=10-9", 400, "InvalidArgument"),
        (&*format!("bytes=0-{len}"), 400, "InvalidArgument"),
        (&*format!("bytes={len}-{}", len + 5), 400, "InvalidArgument"),
    ];
    for (range, status, code) in refused {
        let resp = part_copy(
            &client,
            key,
            &id,
            "4",
            src,
            &[("x-cos-copy-source-range", range)],
        )
        .await;
        let (s, c, body) = error_of(resp).await;
        assert_eq!((s, c.as_str()), (status, code), "{range}: {body}");
    }
    // A missing source; failed conditions (COS answers 412 for each of them).
    let resp = part_copy(&client, key, &id, "4", "pc/none", &[]).await;
    let (s, c, _) = error_of(resp).await;
    assert_eq!((s, c.as_str()), (404, "NoSuchKey"));
    for cond in [
        ("x-cos-copy-source-If-Match", "\"0\""),
        ("x-cos-copy-source-If-None-Match", src_etag.as_str()),
        (
            "x-cos-copy-source-If-Unmodified-Since",
            "Mon, 01 Jan 2001 00:00:00 GMT",
        ),
        (
            "x-cos-copy-source-If-Modified-Since",
            "Fri, 01 Jan 2100 00:00:00 GMT",
        ),
    ] {
        let resp = part_copy(&client, key, &id, "4", src, &[cond]).await;
        let (s, c, _) = error_of(resp).await;
        assert_eq!((s, c.as_str()), (412, "PreconditionFailed"), "{cond:?}");
    }
    // The part number and upload checks of Upload Part.
    for n in ["0", "10001", "x"] {
        let resp = part_copy(&client, key, &id, n, src, &[]).await;
        let (s, c, _) = error_of(resp).await;
        assert_eq!((s, c.as_str()), (400, "InvalidArgument"), "{n}");
    }
    let other = initiate(&client, "pc/other.bin").await;
    for upload in ["0123456789abcdef", other.as_str()] {
        let resp = part_copy(&client, key, upload, "4", src, &[]).await;
        let (s, c, _) = error_of(resp).await;
        assert_eq!((s, c.as_str()), (404, "NoSuchUpload"));
    }
    // No refused request left a part.
    let resp = client
        .get(signed("GET", key, &[("uploadId", &id)]))
        .send()
        .await
        .unwrap();
    let listed = resp.text().await.unwrap();
    assert_eq!(listed.matches("<Part>").count(), 3, "{listed}");

    let resp = complete(&client, key, &id, &etags).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let mut cat = Vec::new();
    for (_, bytes) in &ranges {
        cat.extend_from_slice(&Md5::digest(bytes));
    }
    let expected = format!("\"{}-3\"", md5_hex(&cat));
    assert_eq!(xml_field(&text, "ETag").unwrap(), expected);
    let resp = client.get(signed("GET", key, &[])).send().await.unwrap();
    assert_eq!(resp.headers()["etag"], expected.as_str());
    let whole: Vec<u8> = ranges.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    assert_eq!(resp.bytes().await.unwrap().to_vec(), whole);
    // An empty source copies into an empty part.
    put_object(&client, "pc/empty", b"").await;
    let id = initiate(&client, key).await;
    let resp = part_copy(&client, key, &id, "1", "pc/empty", &[]).await;
    let text = resp.text().await.unwrap();
    assert_eq!(
        xml_field(&text, "ETag").unwrap(),
        format!("\"{}\"", md5_hex(b""))
    );
    let resp = part_copy(
        &client,
        key,
        &id,
        "1",
        "pc/empty",
        &[("x-cos-copy-source-range", "bytes=0-0")],
    )
    .await;
    let (s, c, _) = error_of(resp).await;
    assert_eq!((s, c.as_str()), (400, "InvalidArgument"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_part_copy_in_memory() {
    let handle = start_memory().await;
    part_copy_round_trip(&handle).await;
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_part_copy_on_disk() {
    let dir = TempDir::new("part-copy");
    let handle = start_disk(dir.path()).await;
    part_copy_round_trip(&handle).await;
    handle.shutdown().await;
    // Nothing of the uploads is left but the open one and the other one.
    assert_eq!(upload_files(&dir).len(), 2, "{:?}", upload_files(&dir));
}

#[tokio::test]
async fn copied_parts_count_against_the_memory_cap() {
    let mut config = config();
    config.limits.memory_store_cap = 2 * 1024 * 1024;
    let handle = server::spawn(config).await.unwrap();
    let client = proxy_client(&handle);
    let data = vec![3u8; 1536 * 1024];
    put_object(&client, "cap/src", &data).await;
    let key = "cap/dest";
    let id = initiate(&client, key).await;
    let resp = part_copy(&client, key, &id, "1", "cap/src", &[]).await;
    assert_eq!(resp.status(), 200);
    // A second copied part passes the cap; one that replaces part 1 fits.
    let resp = part_copy(&client, key, &id, "2", "cap/src", &[]).await;
    let (status, code, body) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"), "{body}");
    for _ in 0..3 {
        let resp = part_copy(&client, key, &id, "1", "cap/src", &[]).await;
        assert_eq!(resp.status(), 200);
    }
    let resp = part_copy(
        &client,
        key,
        &id,
        "2",
        "cap/src",
        &[("x-cos-copy-source-range", "bytes=0-524287")],
    )
    .await;
    assert_eq!(resp.status(), 200);
    // The cap is full now; aborting gives the room back.
    let resp = part_copy(&client, key, &id, "3", "cap/src", &[]).await;
    let (status, code, _) = error_of(resp).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"));
    let resp = client
        .delete(signed("DELETE", key, &[("uploadId", &id)]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let id = initiate(&client, key).await;
    let resp = part_copy(&client, key, &id, "1", "cap/src", &[]).await;
    assert_eq!(resp.status(), 200);
    handle.shutdown().await;
}
