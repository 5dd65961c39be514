//! Load on the disk store: 200 concurrent uploads (every tenth one multipart, three parts),
//! then 200 concurrent ranged downloads. No object may be lost or corrupted and no
//! temporary file or upload folder may remain. Figures are printed (never asserted).

mod server_common;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use md5::{Digest, Md5};
use server_common::*;

const OBJECTS: usize = 200;
const SEED: u64 = 0x0A91_0200;
const PART: usize = 1024 * 1024;

async fn multipart_upload(client: &reqwest::Client, key: &str, data: &Bytes) -> String {
    let id = initiate(client, key).await;
    let mut etags = Vec::new();
    for (i, chunk) in data.chunks(PART).enumerate() {
        let n = u32::try_from(i + 1).unwrap();
        etags.push(upload_part(client, key, &id, n, Bytes::copy_from_slice(chunk)).await);
    }
    let resp = complete(client, key, &id, &etags).await;
    assert_eq!(resp.status(), 200);
    xml_field(&resp.text().await.unwrap(), "ETag").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_multipart_and_ranged_transfers_on_disk() {
    let dir = TempDir::new("load-api");
    let handle = start_disk(dir.path()).await;
    let client = proxy_client(&handle);
    let mut rng = Rng::new(SEED);
    let objects: Arc<Vec<(String, Bytes, bool)>> = Arc::new(
        (0..OBJECTS)
            .map(|i| {
                let multipart = i % 10 == 0;
                let size = if multipart {
                    2 * PART + rng.below(PART as u64) as usize
                } else {
                    rng.below(200_000) as usize
                };
                let mut data = vec![0u8; size];
                rng.fill(&mut data);
                (format!("load-api/{i:03}.bin"), Bytes::from(data), multipart)
            })
            .collect(),
    );
    let total: usize = objects.iter().map(|o| o.1.len()).sum();

    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..OBJECTS {
        let (client, objects) = (client.clone(), objects.clone());
        tasks.spawn(async move {
            let (key, data, multipart) = &objects[i];
            let etag = if *multipart {
                multipart_upload(&client, key, data).await
            } else {
                put_object(&client, key, data).await
            };
            let expected = if *multipart {
                let mut cat = Vec::new();
                for c in data.chunks(PART) {
                    cat.extend_from_slice(&Md5::digest(c));
                }
                format!("\"{}-{}\"", md5_hex(&cat), data.len().div_ceil(PART))
            } else {
                format!("\"{}\"", md5_hex(data))
            };
            assert_eq!(etag, expected, "{key}");
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let up = start.elapsed();

    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..OBJECTS {
        let (client, objects) = (client.clone(), objects.clone());
        tasks.spawn(async move {
            let (key, data, _) = &objects[i];
            let len = data.len();
            // A range in the middle third (the whole object when it is tiny).
            let (first, last) = if len < 3 {
                (0, len.saturating_sub(1))
            } else {
                (len / 3, 2 * len / 3)
            };
            let req = client.get(signed("GET", key, &[]));
            let resp = if len == 0 {
                req
            } else {
                req.header("range", format!("bytes={first}-{last}"))
            }
            .send()
            .await
            .unwrap();
            let got = resp.bytes().await.unwrap();
            let want = if len == 0 {
                &data[..]
            } else {
                &data[first..=last]
            };
            assert!(got == want, "{key}: corrupted range");
            got.len()
        });
    }
    let mut read = 0;
    while let Some(r) = tasks.join_next().await {
        read += r.unwrap();
    }
    let down = start.elapsed();

    // Every object is there, whole.
    for (key, data, _) in objects.iter() {
        let got = client
            .get(signed("GET", key, &[]))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(got == data, "{key}: lost or corrupted");
    }
    let files = dir.bucket_files();
    assert_eq!(files.len(), OBJECTS, "{files:?}");
    assert!(
        files.iter().all(|f| !f.starts_with('.')),
        "temporary files left: {files:?}"
    );
    let uploads = dir.path().join(".uploads").join(BUCKET);
    let left = std::fs::read_dir(&uploads)
        .map(|rd| rd.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "multipart folders left");
    eprintln!(
        "load: {OBJECTS} uploads ({} multipart), {:.1} MiB in {:.2?} ({:.1} MiB/s); \
         {OBJECTS} ranged downloads, {:.1} MiB in {:.2?}",
        OBJECTS / 10,
        total as f64 / 1048576.0,
        up,
        total as f64 / 1048576.0 / up.as_secs_f64(),
        read as f64 / 1048576.0,
        down
    );
    handle.shutdown().await;
}
