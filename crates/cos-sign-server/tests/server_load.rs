//! Load: 64 concurrent uploads of random sizes (fixed seed) through pre-signed URLs to the
//! on-disk server, then every object read back concurrently and checked by MD5.

mod server_common;

use std::time::Instant;

use bytes::Bytes;
use server_common::*;

const OBJECTS: usize = 64;
const MAX_SIZE: u64 = 4 * 1024 * 1024;
const SEED: u64 = 0x05EE_DC05;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_presigned_uploads_then_downloads() {
    let dir = TempDir::new("load");
    let handle = start_disk(dir.path()).await;
    let client = proxy_client(&handle);

    let mut rng = Rng::new(SEED);
    let objects: Vec<(String, Bytes, String)> = (0..OBJECTS)
        .map(|i| {
            // A few empty and tiny objects, the rest up to MAX_SIZE.
            let size = match i % 16 {
                0 => 0,
                1 => rng.below(100),
                _ => rng.below(MAX_SIZE + 1),
            } as usize;
            let mut data = vec![0u8; size];
            rng.fill(&mut data);
            let md5 = md5_hex(&data);
            (
                format!("load/{i:02} object {size}.bin"),
                Bytes::from(data),
                md5,
            )
        })
        .collect();
    let total: u64 = objects.iter().map(|o| o.1.len() as u64).sum();

    let t = Instant::now();
    let uploads = objects.iter().map(|(key, data, md5)| {
        let client = client.clone();
        let url = presigned_url("PUT", key, window());
        let data = data.clone();
        let md5 = md5.clone();
        tokio::spawn(async move {
            let resp = client.put(url).body(data).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["etag"], format!("\"{md5}\""));
        })
    });
    for u in uploads.collect::<Vec<_>>() {
        u.await.unwrap();
    }
    let up = t.elapsed();

    let t = Instant::now();
    let downloads = objects.iter().map(|(key, data, md5)| {
        let client = client.clone();
        let url = presigned_url("GET", key, window());
        let len = data.len();
        let md5 = md5.clone();
        tokio::spawn(async move {
            let resp = client.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["etag"], format!("\"{md5}\""));
            let body = resp.bytes().await.unwrap();
            assert_eq!(body.len(), len);
            assert_eq!(md5_hex(&body), md5);
        })
    });
    for d in downloads.collect::<Vec<_>>() {
        d.await.unwrap();
    }
    let down = t.elapsed();

    let files = dir.bucket_files();
    assert_eq!(files.len(), OBJECTS, "{files:?}");
    assert!(!files.iter().any(|f| f.starts_with(".tmp-")));
    println!(
        "load: {OBJECTS} objects, {total} bytes ({:.1} MiB); upload {:.2} s ({:.1} MiB/s), \
         download + MD5 check {:.2} s ({:.1} MiB/s)",
        total as f64 / 1048576.0,
        up.as_secs_f64(),
        total as f64 / 1048576.0 / up.as_secs_f64(),
        down.as_secs_f64(),
        total as f64 / 1048576.0 / down.as_secs_f64(),
    );
    handle.shutdown().await;
}
