//! Transfer options, and the big-file engines behind [`Bucket::upload_file`] and
//! [`Bucket::download_file`].
//!
//! * **Upload.** Up to the multipart threshold (default 64 MiB) a file is one streamed PUT.
//!   Above it: Initiate Multipart Upload, parts of `part_size` (default 16 MiB, at least
//!   1 MiB, grown when needed so that at most 10,000 parts are used; at most 5 GiB each)
//!   sent `concurrency` at a time (default 4), each streamed from the file and hashed on the
//!   way: the ETag COS answers must be the part's MD5. Complete Multipart Upload lists the
//!   parts. On failure the upload is aborted, unless [`TransferOptions::keep_incomplete`]
//!   asks to keep it: the error is then [`ClientError::MultipartIncomplete`] with the upload
//!   id, and [`TransferOptions::resume`] with that id continues it: List Parts tells which
//!   parts COS has; those whose size and MD5 match the file are not sent again.
//! * **Download.** HEAD gives the size and ETag. Up to the threshold: one GET. Above it:
//!   ranged GETs of `part_size`, `concurrency` at a time, each written at its offset into a
//!   temporary file beside the target (each answer must be a 206 with the asked
//!   `Content-Range` and the same ETag). The file must then have the object's length, and
//!   when the ETag is an MD5 (a simple upload) the file's MD5 must match it, before the file
//!   is renamed into place. Any failure removes the temporary file.
//! * **Memory** stays bounded: bodies stream in 256 KiB chunks, so a transfer holds at most
//!   about `concurrency` chunks (never a whole part), well under part size × concurrency.
//!
//! [`Bucket::upload_file`]: crate::Bucket::upload_file
//! [`Bucket::download_file`]: crate::Bucket::download_file

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use cos_sign_std::method::Method;
use futures_util::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use reqwest::header::{self, HeaderMap};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::bucket::Bucket;
use crate::client::{
    CHUNK, DownloadOutput, ObjectMeta, ProgressTx, Remake, UploadOutput, file_body, file_len,
    with_progress,
};
use crate::error::ClientError;
use crate::hex;
pub use crate::options::{MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, ProgressFn, TransferOptions};
pub use crate::output::OutputFile;

impl Bucket {
    /// Uploads the file `path`: one streamed PUT up to the multipart threshold, else a
    /// multipart upload with parallel parts (see [`transfer`](crate::transfer)).
    ///
    /// # Errors
    /// The file, signing, HTTP, a timeout, COS's error answer, [`ClientError::Integrity`]
    /// (a part's ETag is not its MD5), [`ClientError::MultipartIncomplete`].
    pub async fn upload_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        opts: TransferOptions<'_>,
    ) -> Result<UploadOutput, ClientError> {
        upload_file(self, key, path.as_ref(), opts).await
    }

    /// Downloads `key` into the file `path` through a temporary file beside it: one GET up
    /// to the threshold, else parallel ranges; the length and an MD5 ETag are checked before
    /// the rename (see [`transfer`](crate::transfer)).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, the file, [`ClientError::Length`],
    /// [`ClientError::Integrity`].
    pub async fn download_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        opts: TransferOptions<'_>,
    ) -> Result<DownloadOutput, ClientError> {
        download_file(self, key, path.as_ref(), opts).await
    }
}

/// The part size for `len` bytes: `wanted`, grown so that at most 10,000 parts are needed.
///
/// # Errors
/// More than 10,000 × 5 GiB.
pub fn plan_part_size(len: u64, wanted: u64) -> Result<u64, ClientError> {
    let needed = len.div_ceil(MAX_PARTS);
    let size = wanted.clamp(MIN_PART_SIZE, MAX_PART_SIZE).max(needed);
    if size > MAX_PART_SIZE {
        return Err(ClientError::InvalidRequest(format!(
            "{len} bytes exceed COS's limit of {MAX_PARTS} parts of 5 GiB"
        )));
    }
    Ok(size)
}

/// The parts of `len` bytes: (number from 1, offset, size).
fn parts(len: u64, size: u64) -> Vec<(u32, u64, u64)> {
    let count = len.div_ceil(size).max(1);
    (0..count)
        .map(|i| {
            let offset = i * size;
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            (n, offset, size.min(len - offset))
        })
        .collect()
}

/// The MD5 (hex) of `len` bytes of `path` from `offset`.
async fn range_md5(path: &Path, offset: u64, len: u64) -> Result<String, ClientError> {
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| ClientError::io(path, e))?;
    f.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| ClientError::io(path, e))?;
    let mut h = Md5::new();
    let mut left = len;
    let mut buf = vec![0u8; CHUNK];
    while left > 0 {
        let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
        let n = f
            .read(&mut buf[..want])
            .await
            .map_err(|e| ClientError::io(path, e))?;
        if n == 0 {
            return Err(ClientError::Length {
                expected: len,
                actual: len - left,
            });
        }
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(hex(&h.finalize()))
}

pub(crate) async fn upload_file(
    b: &Bucket,
    key: &str,
    path: &Path,
    mut opts: TransferOptions<'_>,
) -> Result<UploadOutput, ClientError> {
    let len = file_len(path).await?;
    let headers = opts.request_headers()?;
    if len <= opts.multipart_threshold && opts.resume.is_none() {
        return single_put(b, key, path, len, headers, &mut opts).await;
    }
    let size = plan_part_size(len, opts.part_size)?;
    let plan = parts(len, size);
    let upload_id = match &opts.resume {
        Some(id) => id.clone(),
        None => b.initiate_multipart_with(key, headers).await?,
    };
    let resume = opts.resume.is_some();
    let concurrency = opts.concurrency;
    let keep = opts.keep_incomplete;
    let (tx, rx) = mpsc::unbounded_channel::<(usize, u64)>();
    let id = upload_id.as_str();
    let work = async {
        // Parts COS already has (a resumed upload) whose size and MD5 match the file.
        let mut have: Vec<(u32, String)> = Vec::new();
        if resume {
            let listed = b.list_parts(key, id).await?;
            for (n, offset, len) in &plan {
                if let Some(p) = listed
                    .iter()
                    .find(|p| p.part_number == *n && p.size == *len)
                    && p.etag
                        .eq_ignore_ascii_case(&range_md5(path, *offset, *len).await?)
                {
                    have.push((*n, p.etag.clone()));
                    let _ = tx.send(((*n - 1) as usize, *len));
                }
            }
        }
        let skipped = have.len();
        let todo: Vec<(u32, u64, u64)> = plan
            .iter()
            .filter(|(n, _, _)| !have.iter().any(|(h, _)| h == n))
            .copied()
            .collect();
        let sent: Vec<(u32, String)> = futures_util::stream::iter(todo)
            .map(|(n, offset, len)| {
                let tx = tx.clone();
                async move {
                    let etag =
                        upload_part_from_file(b, key, id, (n, offset, len), path, tx).await?;
                    Ok::<_, ClientError>((n, etag))
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        let mut all = have;
        all.extend(sent);
        all.sort_by_key(|(n, _)| *n);
        let meta = b.complete_multipart(key, id, &all).await?;
        Ok::<_, ClientError>((meta, skipped))
    };
    let result = with_progress(work, rx, plan.len(), Some(len), opts.progress_mut()).await;
    match result {
        Ok((meta, skipped)) => Ok(UploadOutput {
            meta,
            bytes: len,
            parts: u32::try_from(plan.len()).unwrap_or(u32::MAX),
            parts_skipped: u32::try_from(skipped).unwrap_or(u32::MAX),
            upload_id: Some(upload_id),
        }),
        Err(e) if keep => Err(ClientError::MultipartIncomplete {
            upload_id,
            source: Box::new(e),
        }),
        Err(e) => {
            // Best effort: the error that stopped the upload is what the caller needs.
            let _ = b.abort_multipart(key, &upload_id).await;
            Err(e)
        }
    }
}

async fn single_put(
    b: &Bucket,
    key: &str,
    path: &Path,
    len: u64,
    headers: HeaderMap,
    opts: &mut TransferOptions<'_>,
) -> Result<UploadOutput, ClientError> {
    let (tx, rx) = mpsc::unbounded_channel::<(usize, u64)>();
    let remake: Remake<'_> = Box::new(move || {
        let body = file_body(path, 0, len, Some((0, tx.clone())), None)?;
        Ok(Some(
            b.request(Method::Put, key)?
                .headers(headers.clone())
                .header(header::CONTENT_LENGTH, len)
                .body(body)
                .build()?,
        ))
    });
    let resp = with_progress(
        b.client().send(remake, true, true),
        rx,
        1,
        Some(len),
        opts.progress_mut(),
    )
    .await?;
    Ok(UploadOutput::single(resp.headers(), len))
}

/// Uploads part `n` (`len` bytes of `path` at `offset`), streamed and hashed; returns its
/// ETag, checked against the MD5 of what was sent.
async fn upload_part_from_file(
    b: &Bucket,
    key: &str,
    upload_id: &str,
    (n, offset, len): (u32, u64, u64),
    path: &Path,
    tx: ProgressTx,
) -> Result<String, ClientError> {
    let md5 = Arc::new(Mutex::new(Md5::new()));
    let hasher = md5.clone();
    let slot = (n - 1) as usize;
    let remake: Remake<'_> = Box::new(move || {
        *hasher.lock().unwrap_or_else(PoisonError::into_inner) = Md5::new();
        let body = file_body(
            path,
            offset,
            len,
            Some((slot, tx.clone())),
            Some(hasher.clone()),
        )?;
        Ok(Some(
            b.part_request(key, upload_id, n)?
                .header(header::CONTENT_LENGTH, len)
                .body(body)
                .build()?,
        ))
    });
    let resp = b.client().send(remake, true, true).await?;
    let etag = ObjectMeta::from_headers(resp.headers())
        .etag
        .unwrap_or_default();
    let sent = hex(&md5
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .finalize());
    if !etag.eq_ignore_ascii_case(&sent) {
        return Err(ClientError::Integrity {
            expected: sent,
            actual: etag,
        });
    }
    Ok(etag)
}

pub(crate) async fn download_file(
    b: &Bucket,
    key: &str,
    path: &Path,
    mut opts: TransferOptions<'_>,
) -> Result<DownloadOutput, ClientError> {
    let headers = opts.request_headers()?;
    // HEAD answers have no body: when HEAD fails with an answer, the plain GET below gives
    // COS's own error code (`NoSuchKey`, ...).
    let head = match b.head(key).await {
        Ok(meta) => Some(meta),
        Err(e) if e.cos().is_some() => None,
        Err(e) => return Err(e),
    };
    let size = head.as_ref().and_then(|m| m.content_length);
    let Some((meta, size)) = head
        .zip(size)
        .filter(|(_, s)| *s > opts.multipart_threshold)
    else {
        let (h, ranged) = (headers.clone(), headers.contains_key(header::RANGE));
        let remake: Remake<'_> = Box::new(move || {
            Ok(Some(
                b.request(Method::Get, key)?.headers(h.clone()).build()?,
            ))
        });
        let started = Instant::now();
        let resp = b.client().send(remake, true, true).await?;
        return b
            .client()
            .save_response(resp, path, opts.progress_mut(), started, ranged)
            .await;
    };
    let size_each = plan_part_size(size, opts.part_size)?;
    let plan = parts(size, size_each);
    let tmp = OutputFile::new(path);
    let file = tokio::fs::File::create(tmp.temp_path())
        .await
        .map_err(|e| ClientError::io(tmp.temp_path(), e))?;
    file.set_len(size)
        .await
        .map_err(|e| ClientError::io(tmp.temp_path(), e))?;
    drop(file);
    let (tx, rx) = mpsc::unbounded_channel::<(usize, u64)>();
    let concurrency = opts.concurrency;
    let etag = meta.etag.clone();
    let work = futures_util::stream::iter(plan.clone())
        .map(|(n, offset, len)| {
            let (tx, headers, etag, tmp_path) =
                (tx.clone(), &headers, etag.as_deref(), tmp.temp_path());
            let range = Range {
                slot: (n - 1) as usize,
                offset,
                len,
                total: size,
            };
            async move { fetch_range(b, key, headers, range, etag, tmp_path, tx).await }
        })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<()>>();
    with_progress(work, rx, plan.len(), Some(size), opts.progress_mut()).await?;
    let got = tokio::fs::metadata(tmp.temp_path())
        .await
        .map_err(|e| ClientError::io(tmp.temp_path(), e))?
        .len();
    if got != size {
        return Err(ClientError::Length {
            expected: size,
            actual: got,
        });
    }
    let md5 = range_md5(tmp.temp_path(), 0, size).await?;
    let md5_checked = meta.check_md5(&md5)?;
    let f = tokio::fs::OpenOptions::new()
        .write(true)
        .open(tmp.temp_path())
        .await
        .map_err(|e| ClientError::io(tmp.temp_path(), e))?;
    f.sync_all()
        .await
        .map_err(|e| ClientError::io(tmp.temp_path(), e))?;
    drop(f);
    tmp.persist().await?;
    Ok(DownloadOutput {
        md5_checked,
        meta,
        bytes: size,
        md5,
        ranges: u32::try_from(plan.len()).unwrap_or(u32::MAX),
    })
}

/// One range of a download: bytes `offset .. offset+len` of `total`, progress slot `slot`.
#[derive(Debug, Clone, Copy)]
struct Range {
    slot: usize,
    offset: u64,
    len: u64,
    total: u64,
}

/// GETs `range` of the object into `tmp` at its offset; the answer must carry `etag`.
async fn fetch_range(
    b: &Bucket,
    key: &str,
    headers: &HeaderMap,
    range: Range,
    etag: Option<&str>,
    tmp: &Path,
    tx: ProgressTx,
) -> Result<(), ClientError> {
    let Range {
        slot,
        offset,
        len,
        total,
    } = range;
    let last = offset + len - 1;
    let range = format!("bytes={offset}-{last}");
    let headers = headers.clone();
    let remake: Remake<'_> = Box::new(move || {
        Ok(Some(
            b.request(Method::Get, key)?
                .headers(headers.clone())
                .header(header::RANGE, range.as_str())
                .build()?,
        ))
    });
    let started = Instant::now();
    let resp = b.client().send(remake, true, true).await?;
    let want = format!("bytes {offset}-{last}/{total}");
    let got_range = resp
        .headers()
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if resp.status().as_u16() != 206 || got_range != want {
        return Err(ClientError::UnexpectedAnswer {
            status: resp.status().as_u16(),
            detail: format!("asked {want}, the answer has Content-Range {got_range:?}"),
        });
    }
    let now_etag = ObjectMeta::from_headers(resp.headers()).etag;
    if let (Some(a), Some(b)) = (etag, now_etag.as_deref())
        && a != b
    {
        return Err(ClientError::UnexpectedAnswer {
            status: 206,
            detail: format!("the object changed during the download (ETag {a} became {b})"),
        });
    }
    let mut f = tokio::fs::OpenOptions::new()
        .write(true)
        .open(tmp)
        .await
        .map_err(|e| ClientError::io(tmp, e))?;
    f.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| ClientError::io(tmp, e))?;
    let mut done = 0u64;
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| b.client().transport_error(e, started))?;
        if done + chunk.len() as u64 > len {
            return Err(ClientError::Length {
                expected: len,
                actual: done + chunk.len() as u64,
            });
        }
        f.write_all(&chunk)
            .await
            .map_err(|e| ClientError::io(tmp, e))?;
        done += chunk.len() as u64;
        let _ = tx.send((slot, done));
    }
    f.flush().await.map_err(|e| ClientError::io(tmp, e))?;
    if done != len {
        return Err(ClientError::Length {
            expected: len,
            actual: done,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_plans_respect_cos_limits() {
        assert_eq!(plan_part_size(100, 16 << 20).unwrap(), 16 << 20);
        assert_eq!(plan_part_size(1 << 30, 1).unwrap(), MIN_PART_SIZE);
        // 10,000 parts of 16 MiB are not enough for 200 GiB: the size grows.
        let big = 200u64 << 30;
        let s = plan_part_size(big, 16 << 20).unwrap();
        assert_eq!(s, big.div_ceil(MAX_PARTS));
        assert!(big.div_ceil(s) <= MAX_PARTS);
        assert_eq!(
            plan_part_size(MAX_PARTS * MAX_PART_SIZE, 1).unwrap(),
            MAX_PART_SIZE
        );
        assert!(matches!(
            plan_part_size(MAX_PARTS * MAX_PART_SIZE + 1, 1),
            Err(ClientError::InvalidRequest(_))
        ));
        let p = parts(10, 4);
        assert_eq!(p, [(1, 0, 4), (2, 4, 4), (3, 8, 2)]);
        assert_eq!(parts(0, 4), [(1, 0, 0)]);
    }
}
