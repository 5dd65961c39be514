//! Transfer options, and the big-file engines behind [`Bucket::upload_file`] and
//! [`Bucket::download_file`].
//!
//! * **Upload.** Up to the multipart threshold (default 64 MiB) a file is one streamed PUT.
//!   Above it: Initiate Multipart Upload, parts of `part_size` (default 16 MiB, at least
//!   1 MiB, grown when needed so that at most 10,000 parts are used; at most 5 GiB each)
//!   sent `concurrency` at a time (default 4), each streamed from the file and hashed on the
//!   way: the ETag COS answers must be the part's MD5, and its `x-cos-hash-crc64ecma` (when
//!   COS sends it) the part's CRC-64. Complete Multipart Upload lists the parts; the CRC-64
//!   COS answers for the object must be the parts' CRCs combined in part order
//!   ([`cos_sign_core::crc64::combine`]). A single PUT's CRC-64 is checked the same way. On
//!   failure (a mismatch too) the upload is aborted, unless [`TransferOptions::keep_incomplete`]
//!   asks to keep it: the error is then [`ClientError::MultipartIncomplete`] with the upload
//!   id, and [`TransferOptions::resume`] with that id continues it: List Parts tells which
//!   parts COS has; those whose size and MD5 match the file are not sent again.
//! * **Download.** HEAD gives the size and ETag. Up to the threshold: one GET. Above it:
//!   ranged GETs of `part_size`, `concurrency` at a time, each written at its offset into a
//!   temporary file beside the target (each answer must be a 206 with the asked
//!   `Content-Range` and the same ETag). The file must then have the object's length, and
//!   when the ETag is an MD5 (a simple upload) the file's MD5 must match it, and when COS
//!   sends `x-cos-hash-crc64ecma` (the whole object's, on every answer) the ranges' CRC-64s,
//!   combined in order, must match it, before the file is renamed into place: a multipart
//!   object, which has no MD5 to check, is checked by its CRC. Two answers with different
//!   CRCs (or ETags) mean the object changed during the download: an error. One GET is
//!   checked the same way. Any failure removes the temporary file; the destination is left
//!   as it was.
//! * **Memory** stays bounded: bodies stream in 256 KiB chunks, so a transfer holds at most
//!   about `concurrency` chunks (never a whole part), well under part size × concurrency.
//!
//! [`Bucket::upload_file`]: crate::Bucket::upload_file
//! [`Bucket::download_file`]: crate::Bucket::download_file

use std::path::Path;
use std::time::Instant;

use cos_sign_core::crc64::{self, Crc64};
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
use crate::crc::BodyHash;
use crate::error::{ClientError, Crc64Check};
pub use crate::options::{MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, ProgressFn, TransferOptions};
pub use crate::output::OutputFile;

impl Bucket {
    /// Uploads the file `path`: one streamed PUT up to the multipart threshold, else a
    /// multipart upload with parallel parts (see [`transfer`](crate::transfer)).
    ///
    /// # Errors
    /// The file, signing, HTTP, a timeout, COS's error answer, [`ClientError::Integrity`]
    /// (a part's ETag is not its MD5), [`ClientError::Crc64`] (COS's CRC-64 of the object or
    /// of a part is not the bytes'), [`ClientError::MultipartIncomplete`].
    pub async fn upload_file(
        &self,
        key: &str,
        path: impl AsRef<Path>,
        opts: TransferOptions<'_>,
    ) -> Result<UploadOutput, ClientError> {
        upload_file(self, key, path.as_ref(), opts).await
    }

    /// Downloads `key` into the file `path` through a temporary file beside it: one GET up
    /// to the threshold, else parallel ranges; the length, an MD5 ETag and COS's CRC-64 are
    /// checked before the rename (see [`transfer`](crate::transfer)).
    ///
    /// # Errors
    /// Signing, HTTP, a timeout, COS's error answer, the file, [`ClientError::Length`],
    /// [`ClientError::Integrity`], [`ClientError::Crc64`].
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

/// The MD5 (hex) of `len` bytes of `path` from `offset`, and their CRC-64 when `with_crc`
/// (a resumed upload's parts need it; the check of a finished download, whose ranges were
/// hashed as they came, does not).
async fn range_digest(
    path: &Path,
    offset: u64,
    len: u64,
    with_crc: bool,
) -> Result<(String, Option<u64>), ClientError> {
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| ClientError::io(path, e))?;
    f.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| ClientError::io(path, e))?;
    let mut md5 = Md5::new();
    let mut crc = with_crc.then(Crc64::new);
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
        md5.update(&buf[..n]);
        if let Some(c) = &mut crc {
            c.update(&buf[..n]);
        }
        left -= n as u64;
    }
    Ok((crate::hex(&md5.finalize()), crc.map(|c| c.value())))
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
        // Parts COS already has (a resumed upload) whose size and MD5 match the file, with
        // their CRC-64s read from the file.
        let mut have: Vec<(u32, String, u64)> = Vec::new();
        if resume {
            let listed = b.list_parts(key, id).await?;
            for (n, offset, len) in &plan {
                if let Some(p) = listed
                    .iter()
                    .find(|p| p.part_number == *n && p.size == *len)
                {
                    let (md5, crc) = range_digest(path, *offset, *len, true).await?;
                    if p.etag.eq_ignore_ascii_case(&md5) {
                        have.push((*n, p.etag.clone(), crc.unwrap_or_default()));
                        let _ = tx.send(((*n - 1) as usize, *len));
                    }
                }
            }
        }
        let skipped = have.len();
        let todo: Vec<(u32, u64, u64)> = plan
            .iter()
            .filter(|(n, _, _)| !have.iter().any(|(h, _, _)| h == n))
            .copied()
            .collect();
        let sent: Vec<(u32, String, u64)> = futures_util::stream::iter(todo)
            .map(|(n, offset, len)| {
                let tx = tx.clone();
                async move {
                    let (etag, crc) =
                        upload_part_from_file(b, key, id, (n, offset, len), path, tx).await?;
                    Ok::<_, ClientError>((n, etag, crc))
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        let mut all = have;
        all.extend(sent);
        all.sort_by_key(|(n, _, _)| *n);
        // The whole file's CRC-64, from the parts' in part order (the plan's sizes).
        let whole = all
            .iter()
            .zip(&plan)
            .fold(0, |acc, ((_, _, crc), (_, _, len))| {
                crc64::combine(acc, *crc, *len)
            });
        let etags: Vec<(u32, String)> = all.into_iter().map(|(n, e, _)| (n, e)).collect();
        let (meta, cos_crc) = b.complete_multipart_answer(key, id, &etags).await?;
        crate::crc::compare(Crc64Check::Complete, cos_crc, whole)?;
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
    let hash = BodyHash::shared(false);
    let hasher = hash.clone();
    let remake: Remake<'_> = Box::new(move || {
        BodyHash::reset(&hasher);
        let body = file_body(path, 0, len, Some((0, tx.clone())), Some(hasher.clone()))?;
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
    let sent = BodyHash::snapshot(&hash).crc64();
    crate::crc::check_answer(Crc64Check::Upload, &resp, sent)?;
    Ok(UploadOutput::single(resp.headers(), len))
}

/// Uploads part `n` (`len` bytes of `path` at `offset`), streamed and hashed; returns its
/// ETag, checked against the MD5 of what was sent, and the CRC-64 of what was sent, checked
/// against COS's `x-cos-hash-crc64ecma` when the answer has it.
async fn upload_part_from_file(
    b: &Bucket,
    key: &str,
    upload_id: &str,
    (n, offset, len): (u32, u64, u64),
    path: &Path,
    tx: ProgressTx,
) -> Result<(String, u64), ClientError> {
    let hash = BodyHash::shared(true);
    let hasher = hash.clone();
    let slot = (n - 1) as usize;
    let remake: Remake<'_> = Box::new(move || {
        BodyHash::reset(&hasher);
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
    let sent = BodyHash::snapshot(&hash);
    let md5 = sent.md5_hex().unwrap_or_default();
    if !etag.eq_ignore_ascii_case(&md5) {
        return Err(ClientError::Integrity {
            expected: md5,
            actual: etag,
        });
    }
    crate::crc::check_answer(Crc64Check::Part(n), &resp, sent.crc64())?;
    Ok((etag, sent.crc64()))
}

pub(crate) async fn download_file(
    b: &Bucket,
    key: &str,
    path: &Path,
    mut opts: TransferOptions<'_>,
) -> Result<DownloadOutput, ClientError> {
    let headers = opts.request_headers()?;
    // A Range the caller asks for is one ranged GET (the parallel ranges would send a second
    // Range header). HEAD answers have no body: when HEAD fails with an answer, the plain GET
    // below gives COS's own error code (`NoSuchKey`, ...).
    let head = match headers.contains_key(header::RANGE) {
        true => None,
        false => match b.head(key).await {
            Ok(meta) => Some(meta),
            Err(e) if e.cos().is_some() => None,
            Err(e) => return Err(e),
        },
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
    let file = tmp.create().await?;
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
            async move {
                let got = fetch_range(b, key, headers, range, etag, tmp_path, tx).await?;
                Ok::<_, ClientError>((n, len, got))
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<_>>();
    let mut got = with_progress(work, rx, plan.len(), Some(size), opts.progress_mut()).await?;
    // Every answer (HEAD's, each range's) carries the whole object's CRC-64: two that differ
    // mean the object changed during the download. The ranges' CRCs, combined in order, are
    // the file's.
    got.sort_by_key(|(n, _, _)| *n);
    let mut cos_crc = meta.crc64;
    for (_, _, r) in &got {
        match (cos_crc, r.cos) {
            (Some(a), Some(b)) if a != b => {
                return Err(ClientError::UnexpectedAnswer {
                    status: 206,
                    detail: format!(
                        "the object changed during the download (x-cos-hash-crc64ecma {a} \
                         became {b})"
                    ),
                });
            }
            (None, b) => cos_crc = b,
            _ => {}
        }
    }
    let file_crc = got
        .iter()
        .fold(0, |acc, (_, len, r)| crc64::combine(acc, r.crc, *len));
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
    let (md5, _) = range_digest(tmp.temp_path(), 0, size, false).await?;
    let md5_checked = meta.check_md5(&md5)?;
    let crc64_checked = crate::crc::compare(Crc64Check::Download, cos_crc, file_crc)?;
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
        crc64_checked,
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

/// What one range of a download got.
#[derive(Debug, Clone, Copy)]
struct RangeCrc {
    /// The CRC-64 of the range's bytes.
    crc: u64,
    /// The answer's `x-cos-hash-crc64ecma` (the whole object's), if it has one.
    cos: Option<u64>,
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
) -> Result<RangeCrc, ClientError> {
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
    let cos = crate::crc::reported(206, resp.headers())?;
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
    let mut crc = Crc64::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| b.client().transport_error(e, started))?;
        if done + chunk.len() as u64 > len {
            return Err(ClientError::Length {
                expected: len,
                actual: done + chunk.len() as u64,
            });
        }
        crc.update(&chunk);
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
    Ok(RangeCrc {
        crc: crc.value(),
        cos,
    })
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
