//! The object API beyond PUT/GET (issue 9) with requests signed by cos-sign-core: multipart
//! on disk (atomic, nothing left behind, abandoned uploads swept), listings of long keys,
//! Range in memory, and the operations named by `--help`.

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
        .upload_expiry(Duration::from_millis(400));
    let handle = server::spawn(config).await.unwrap();
    let client = proxy_client(&handle);
    let key = "abandoned.bin";
    let id = initiate(&client, key).await;
    upload_part(&client, key, &id, 1, vec![1u8; 1000]).await;
    assert_eq!(upload_files(&dir), vec![id.clone()]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
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
        "DELETE Multiple Objects",
        "HEAD Bucket",
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
