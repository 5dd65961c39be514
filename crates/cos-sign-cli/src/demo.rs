//! `cos-sign demo`: the offline round trip, step by step.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use cos_sign_http::{Client, TransferOptions};
use cos_sign_server::{self as server, Config, Credential};
use cos_sign_std::config::{Endpoint, Scheme};
use cos_sign_std::credentials::{Credentials, StaticProvider};
use cos_sign_std::method::Method;
use cos_sign_std::signer::{SignOptions, Signer};
use md5::{Digest, Md5};

use crate::CliError;
use crate::progress::{Bar, size};

const BUCKET: &str = "demo-1250000000";
const REGION: &str = "ap-guangzhou";
const KEY: &str = "demo/hello cos.bin";

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Size of the test file in bytes.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    size: u64,
    /// Work in this folder (kept afterwards) instead of a temporary one (removed).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Random hex from the OS-seeded hasher keys (throwaway demo credentials, not for real use).
fn random_hex(n: usize) -> String {
    let mut s = String::new();
    while s.len() < n {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(s.len());
        s.push_str(&format!("{:016x}", h.finish()));
    }
    s.truncate(n);
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes `len` pseudo-random bytes to `path`, in chunks; returns their MD5.
fn write_file(path: &Path, len: u64) -> std::io::Result<String> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut md5 = Md5::new();
    let mut x = RandomState::new().build_hasher().finish() | 1;
    let mut left = len;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        for b in &mut buf[..n] {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = (x >> 32) as u8;
        }
        f.write_all(&buf[..n])?;
        md5.update(&buf[..n]);
        left -= n as u64;
    }
    f.flush()?;
    Ok(hex(&md5.finalize()))
}

/// Whether two files hold the same bytes.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

fn step(n: u32, text: impl std::fmt::Display) {
    say!("[{n}/7] {text}");
}

pub fn run(a: &DemoArgs) -> Result<ExitCode, CliError> {
    let (dir, temporary) = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .map_err(|e| CliError::usage(format!("{}: {e}", d.display())))?;
            (d.clone(), false)
        }
        None => {
            let d = std::env::temp_dir().join(format!(
                "cos-sign-demo-{}-{}",
                std::process::id(),
                random_hex(8)
            ));
            std::fs::create_dir_all(&d)
                .map_err(|e| CliError::fail(format!("{}: {e}", d.display())))?;
            (d, true)
        }
    };
    let rt = crate::runtime()?;
    let result = rt.block_on(demo(a, &dir));
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result?;
    say!(
        "demo succeeded: the local server verified both pre-signed URLs and the bytes came back intact"
    );
    Ok(ExitCode::SUCCESS)
}

async fn demo(a: &DemoArgs, dir: &Path) -> Result<(), CliError> {
    let t0 = Instant::now();
    let io = |p: &Path, e: std::io::Error| CliError::fail(format!("{}: {e}", p.display()));

    // 1. The server, with throwaway credentials.
    let secret_id = format!("AKIDdemo{}", random_hex(24));
    let secret_key = random_hex(32);
    let data_dir = dir.join("server-data");
    let config = Config::new(([127, 0, 0, 1], 0).into())
        .data_dir(&data_dir)
        .credential(Credential::permanent(&secret_id, &secret_key))
        .default_bucket(BUCKET);
    let handle = server::spawn(config)
        .await
        .map_err(|e| CliError::fail(format!("cannot start the local server: {e}")))?;
    let proxy = handle.url();
    step(
        1,
        format!(
            "local COS server listening on {proxy} (objects under {}); throwaway key {secret_id} (secret not shown)",
            data_dir.display()
        ),
    );

    // 2. A test file.
    let src = dir.join("original.bin");
    let md5 = write_file(&src, a.size).map_err(|e| io(&src, e))?;
    step(
        2,
        format!(
            "test file {} : {} ({} bytes), MD5 {md5}",
            src.display(),
            size(a.size),
            a.size
        ),
    );

    // 3. Pre-sign the upload. URLs keep the real COS host; the local server is reached as an
    //    HTTP proxy, exactly as a client reaches COS through a proxy.
    let endpoint = Endpoint::builder()
        .region(REGION)
        .scheme(Scheme::Http)
        .build()
        .map_err(|e| CliError::fail(e.to_string()))?;
    let signer = Signer::new(
        StaticProvider::new(Credentials::new(&secret_id, &secret_key)),
        endpoint,
    );
    let opts = SignOptions::default().expires(Duration::from_secs(300));
    let put_url = signer
        .presign(Method::Put, BUCKET, KEY, &opts)
        .map_err(|e| CliError::fail(e.to_string()))?
        .url;
    step(
        3,
        format!("pre-signed upload URL (PUT, valid 300 s):\n      {put_url}"),
    );

    // 4. Upload through it.
    let client = Client::builder()
        .proxy(
            reqwest::Proxy::http(&proxy)
                .map_err(|e| CliError::fail(format!("proxy {proxy}: {e}")))?,
        )
        .build()?;
    let mut bar = Bar::new("upload", true);
    let up = client
        .upload_presigned(
            &put_url,
            &src,
            TransferOptions::new().progress(|d, t| bar.update(d, t)),
        )
        .await;
    bar.finish();
    let up = up?;
    let etag = up.meta.etag.unwrap_or_default();
    step(
        4,
        format!(
            "uploaded {} bytes through the pre-signed URL: 200 OK, ETag {etag}{}\n      (the same with curl: curl --proxy {proxy} --upload-file {} '<URL>')",
            up.bytes,
            if etag == md5 { " = the file's MD5" } else { "" },
            src.display()
        ),
    );
    if etag != md5 {
        return Err(CliError::fail(format!(
            "the server's ETag {etag} is not the file's MD5 {md5}"
        )));
    }

    // 5. Pre-sign the download.
    let get_url = signer
        .presign(Method::Get, BUCKET, KEY, &opts)
        .map_err(|e| CliError::fail(e.to_string()))?
        .url;
    step(
        5,
        format!("pre-signed download URL (GET, valid 300 s):\n      {get_url}"),
    );

    // 6. Download through it.
    let dst = dir.join("downloaded.bin");
    let mut bar = Bar::new("download", true);
    let down = client
        .download_presigned(
            &get_url,
            &dst,
            TransferOptions::new().progress(|d, t| bar.update(d, t)),
        )
        .await;
    bar.finish();
    let down = down?;
    step(
        6,
        format!(
            "downloaded {} bytes to {}, MD5 {}",
            down.bytes,
            dst.display(),
            down.md5
        ),
    );

    // 7. Check the bytes, and that a tampered URL is refused.
    let same = same_bytes(&src, &dst).map_err(|e| io(&dst, e))?;
    if !same || down.md5 != md5 {
        return Err(CliError::fail(
            "the downloaded bytes differ from the original",
        ));
    }
    let tampered = get_url.replace("/demo/hello%20cos.bin?", "/demo/other.bin?");
    let refused = match client
        .download_presigned(&tampered, dir.join("tampered.bin"), TransferOptions::new())
        .await
    {
        Err(e) => e
            .cos()
            .map(|c| format!("{} {}", c.status, c.code))
            .unwrap_or_else(|| e.to_string()),
        Ok(_) => {
            return Err(CliError::fail("a tampered URL (another key) was accepted"));
        }
    };
    step(
        7,
        format!(
            "check: {} bytes identical, MD5 {md5} both sides; the same URL pointed at another key is refused: {refused}",
            a.size
        ),
    );
    handle.shutdown().await;
    say!("done in {:.2} s", t0.elapsed().as_secs_f64());
    Ok(())
}
