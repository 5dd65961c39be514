//! Load through the client layer: 64 concurrent streamed file uploads through pre-signed
//! URLs (sizes from a fixed seed, up to 1 MiB) to the on-disk server, then 64 concurrent
//! streamed downloads, every file MD5-checked. Prints objects, bytes and time.

mod client_common;

use std::time::Instant;

use client_common::*;
use cos_sign_http::TransferOptions;
use cos_sign_std::method::Method;
use cos_sign_std::signer::SignOptions;

const OBJECTS: u64 = 64;
const SEED: u64 = 0x00C1_1E17;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_presigned_file_transfers() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config().data_dir(dir.path().join("data"))).await;
    let signer = std::sync::Arc::new(cos_signer(temporary()));
    let client = proxy_client(server.addr, None);
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();

    let mut sizes = bytes(OBJECTS as usize * 4, SEED)
        .chunks(4)
        .map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], 0])) % (1 << 20))
        .collect::<Vec<_>>();
    sizes[0] = 0;
    let mut expected = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let data = bytes(size as usize, SEED + i as u64);
        let path = files.join(format!("{i}.bin"));
        std::fs::write(&path, &data).unwrap();
        expected.push((format!("load/{i:02} f.bin"), path, md5_hex(&data), size));
    }
    let total: u64 = sizes.iter().sum();

    let t = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (key, path, md5, size) in expected.clone() {
        let (client, signer) = (client.clone(), signer.clone());
        tasks.spawn(async move {
            let url = signer
                .presign(Method::Put, BUCKET, &key, &SignOptions::default())
                .unwrap()
                .url;
            let out = client
                .upload_presigned(&url, &path, TransferOptions::new())
                .await
                .unwrap();
            assert_eq!(out.bytes, size);
            assert_eq!(out.meta.etag.as_deref(), Some(md5.as_str()));
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let up = t.elapsed();

    let t = Instant::now();
    let back = dir.path().join("back");
    std::fs::create_dir(&back).unwrap();
    for (i, (key, _, md5, size)) in expected.iter().cloned().enumerate() {
        let (client, signer) = (client.clone(), signer.clone());
        let dst = back.join(format!("{i}.bin"));
        tasks.spawn(async move {
            let url = signer
                .presign(Method::Get, BUCKET, &key, &SignOptions::default())
                .unwrap()
                .url;
            let out = client
                .download_presigned(&url, &dst, TransferOptions::new())
                .await
                .unwrap();
            assert_eq!((out.bytes, out.md5.as_str()), (size, md5.as_str()));
            assert_eq!(file_md5(&dst), md5);
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let down = t.elapsed();
    assert_eq!(
        std::fs::read_dir(&back).unwrap().count(),
        OBJECTS as usize,
        "no object lost, no temporary file left"
    );
    eprintln!(
        "client load: {OBJECTS} objects, {total} bytes: uploads {:.2} s, downloads {:.2} s",
        up.as_secs_f64(),
        down.as_secs_f64()
    );
}
