//! Measures a big upload and download through a running local server (not a test: run it by
//! hand, in release, under `/usr/bin/time -v` for the peak memory of the client alone):
//!
//! ```text
//! cargo build --release -p cos-sign-server -p cos-sign-http --example transfer_1gib
//! COS_SECRET_ID=AKIDbench COS_SECRET_KEY=benchSecret \
//!     target/release/cos-sign-server --data-dir /tmp/cos-data --quiet &   # prints `listening on http://ADDR`
//! /usr/bin/time -v target/release/examples/transfer_1gib http://ADDR [MiB] [part MiB] [concurrency]
//! ```
//!
//! Writes a file of pseudo-random bytes (default 1024 MiB) in a temporary folder, uploads it
//! with `upload_file` (multipart), downloads it with `download_file` (parallel ranges), checks
//! the bytes, and prints the times and part counts.

use std::io::Write;
use std::time::Instant;

use cos_sign_http::{Client, TransferOptions};
use cos_sign_std::config::{Endpoint, Scheme};
use cos_sign_std::credentials::{Credentials, StaticProvider};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let server = args
        .first()
        .ok_or("usage: transfer_1gib http://ADDR [MiB] [part MiB] [concurrency]")?;
    let mib: u64 = args.get(1).map_or(Ok(1024), |s| s.parse())?;
    let part_mib: u64 = args.get(2).map_or(Ok(16), |s| s.parse())?;
    let concurrency: usize = args.get(3).map_or(Ok(4), |s| s.parse())?;
    let endpoint = Endpoint::builder()
        .region("ap-guangzhou")
        .scheme(Scheme::Http)
        .build()?;
    let client = Client::builder()
        .credentials(
            StaticProvider::new(Credentials::new("AKIDbench", "benchSecret")),
            endpoint,
        )
        .proxy(reqwest::Proxy::http(server.as_str())?)
        .build()?;
    let bucket = client.bucket("examplebucket-1250000000");
    let dir = tempfile::tempdir()?;
    let src = dir.path().join("src.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src)?);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..mib {
            for chunk in buf.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
            }
            f.write_all(&buf)?;
        }
    }
    let opts = || {
        TransferOptions::new()
            .part_size(part_mib << 20)
            .concurrency(concurrency)
    };
    let t = Instant::now();
    let up = bucket.upload_file("bench/big.bin", &src, opts()).await?;
    let up_time = t.elapsed();
    let dst = dir.path().join("back.bin");
    let t = Instant::now();
    let down = bucket.download_file("bench/big.bin", &dst, opts()).await?;
    let down_time = t.elapsed();
    let same = files_equal(&src, &dst)?;
    let secs = |d: std::time::Duration| d.as_secs_f64();
    println!(
        "size {mib} MiB, part {part_mib} MiB, concurrency {concurrency}\n\
         upload:   {:.2} s ({:.0} MiB/s), {} parts, ETag {}\n\
         download: {:.2} s ({:.0} MiB/s), {} ranges, md5 checked {}\n\
         bytes equal: {same}",
        secs(up_time),
        mib as f64 / secs(up_time),
        up.parts,
        up.meta.etag.as_deref().unwrap_or("-"),
        secs(down_time),
        mib as f64 / secs(down_time),
        down.ranges,
        down.md5_checked,
    );
    bucket.delete("bench/big.bin").await?;
    if !same {
        return Err("the downloaded bytes differ".into());
    }
    Ok(())
}

fn files_equal(a: &std::path::Path, b: &std::path::Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = fa.read(&mut ba)?;
        let mut nb = 0;
        while nb < na {
            let n = fb.read(&mut bb[nb..na])?;
            if n == 0 {
                break;
            }
            nb += n;
        }
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}
