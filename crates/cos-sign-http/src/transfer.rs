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

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use cos_sign_std::method::Method;
use futures_util::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::bucket::{Bucket, PartInfo};
use crate::client::{
    CHUNK, DownloadOutput, ObjectMeta, ProgressTx, Remake, TempFile, UploadOutput, file_body,
    file_len, with_progress,
};
use crate::error::ClientError;
use crate::hex;

/// A progress callback: `(bytes done, total if known)`, called from the task running the
/// transfer, never decreasing.
pub type ProgressFn<'a> = Box<dyn FnMut(u64, Option<u64>) + Send + 'a>;

/// COS's most parts per upload.
pub const MAX_PARTS: u64 = 10_000;
/// COS's largest part.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// COS's smallest part (but the last).
pub const MIN_PART_SIZE: u64 = 1 << 20;

/// Options of a transfer (all optional): progress, headers, metadata, content type, part
/// size, concurrency, the multipart threshold, resuming.
///
/// ```
/// use cos_sign_http::TransferOptions;
/// let mut seen = 0;
/// let opts = TransferOptions::new()
///     .content_type("text/plain")
///     .metadata("origin", "docs")
///     .header("x-cos-storage-class", "STANDARD_IA")
///     .part_size(8 << 20)
///     .concurrency(8)
///     .progress(|done, _total| seen = done);
/// # drop(opts);
/// ```
pub struct TransferOptions<'a> {
    progress: Option<ProgressFn<'a>>,
    headers: Vec<(String, String)>,
    metadata: Vec<(String, String)>,
    content_type: Option<String>,
    part_size: u64,
    concurrency: usize,
    multipart_threshold: u64,
    resume: Option<String>,
    keep_incomplete: bool,
}

impl fmt::Debug for TransferOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferOptions")
            .field("progress", &self.progress.is_some())
            .field("headers", &self.headers)
            .field("metadata", &self.metadata)
            .field("content_type", &self.content_type)
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("resume", &self.resume)
            .field("keep_incomplete", &self.keep_incomplete)
            .finish()
    }
}

impl Default for TransferOptions<'_> {
    fn default() -> Self {
        Self {
            progress: None,
            headers: Vec::new(),
            metadata: Vec::new(),
            content_type: None,
            part_size: 16 << 20,
            concurrency: 4,
            multipart_threshold: 64 << 20,
            resume: None,
            keep_incomplete: false,
        }
    }
}

impl<'a> TransferOptions<'a> {
    /// The defaults: no progress, 16 MiB parts, 4 at a time, multipart above 64 MiB.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `f(done, total)` as bytes go.
    pub fn progress(mut self, f: impl FnMut(u64, Option<u64>) + Send + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Sends this header (uploads: signed when allow-listed; downloads: with each GET).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Stores `x-cos-meta-<name>: value` with the object (uploads).
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }

    /// The object's `Content-Type` (uploads).
    pub fn content_type(mut self, ct: impl Into<String>) -> Self {
        self.content_type = Some(ct.into());
        self
    }

    /// The part (and range) size; at least 1 MiB, at most 5 GiB.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
        self
    }

    /// How many parts or ranges are in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Files larger than this go multipart (uploads) or by ranges (downloads).
    pub fn multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Continues the multipart upload `upload_id` (from
    /// [`ClientError::MultipartIncomplete`]) instead of starting one.
    pub fn resume(mut self, upload_id: impl Into<String>) -> Self {
        self.resume = Some(upload_id.into());
        self
    }

    /// On failure, keeps the multipart upload for [`resume`](TransferOptions::resume)
    /// instead of aborting it.
    pub fn keep_incomplete(mut self, on: bool) -> Self {
        self.keep_incomplete = on;
        self
    }

    pub(crate) fn progress_mut(&mut self) -> Option<&mut ProgressFn<'a>> {
        self.progress.as_mut()
    }

    /// The headers to send: the given ones, `Content-Type`, and `x-cos-meta-*`.
    pub(crate) fn request_headers(&self) -> Result<HeaderMap, ClientError> {
        let mut h = HeaderMap::new();
        let mut add = |k: &str, v: &str| -> Result<(), ClientError> {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| ClientError::InvalidRequest(format!("bad header name {k:?}")))?;
            let value = HeaderValue::from_str(v)
                .map_err(|_| ClientError::InvalidRequest(format!("bad value for header {k:?}")))?;
            h.append(name, value);
            Ok(())
        };
        for (k, v) in &self.headers {
            add(k, v)?;
        }
        if let Some(ct) = &self.content_type {
            add("content-type", ct)?;
        }
        for (k, v) in &self.metadata {
            add(&format!("x-cos-meta-{k}"), v)?;
        }
        Ok(h)
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
        let h = headers.clone();
        let remake: Remake<'_> = Box::new(move || {
            Ok(Some(
                b.request(Method::Get, key)?.headers(h.clone()).build()?,
            ))
        });
        let started = Instant::now();
        let resp = b.client().send(remake, true, true).await?;
        return b
            .client()
            .save_response(resp, path, opts.progress_mut(), started)
            .await;
    };
    let size_each = plan_part_size(size, opts.part_size)?;
    let plan = parts(size, size_each);
    let tmp = TempFile::beside(path);
    let file = tokio::fs::File::create(&tmp.path)
        .await
        .map_err(|e| ClientError::io(&tmp.path, e))?;
    file.set_len(size)
        .await
        .map_err(|e| ClientError::io(&tmp.path, e))?;
    drop(file);
    let (tx, rx) = mpsc::unbounded_channel::<(usize, u64)>();
    let concurrency = opts.concurrency;
    let etag = meta.etag.clone();
    let work = futures_util::stream::iter(plan.clone())
        .map(|(n, offset, len)| {
            let (tx, headers, etag, tmp_path) = (tx.clone(), &headers, etag.as_deref(), &tmp.path);
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
    let got = tokio::fs::metadata(&tmp.path)
        .await
        .map_err(|e| ClientError::io(&tmp.path, e))?
        .len();
    if got != size {
        return Err(ClientError::Length {
            expected: size,
            actual: got,
        });
    }
    let md5 = range_md5(&tmp.path, 0, size).await?;
    let md5_checked = meta.check_md5(&md5)?;
    let f = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&tmp.path)
        .await
        .map_err(|e| ClientError::io(&tmp.path, e))?;
    f.sync_all()
        .await
        .map_err(|e| ClientError::io(&tmp.path, e))?;
    drop(f);
    tmp.persist(path).await?;
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
        return Err(ClientError::InvalidRequest(format!(
            "asked {want}, the server answered {} with Content-Range {got_range:?}",
            resp.status().as_u16()
        )));
    }
    let now_etag = ObjectMeta::from_headers(resp.headers()).etag;
    if let (Some(a), Some(b)) = (etag, now_etag.as_deref())
        && a != b
    {
        return Err(ClientError::InvalidRequest(format!(
            "the object changed during the download (ETag {a} became {b})"
        )));
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

/// A part as List Parts reports it.
pub(crate) fn parse_parts(xml: &str) -> (Vec<PartInfo>, Option<u32>) {
    let mut parts = Vec::new();
    let mut cur = PartInfo::default();
    let mut truncated = false;
    let mut next = None;
    for (path, text) in crate::error::xml_fields(xml) {
        match path.as_str() {
            "Part/PartNumber" => cur.part_number = text.trim().parse().unwrap_or(0),
            "Part/ETag" => cur.etag = text.trim().trim_matches('"').to_owned(),
            "Part/Size" => cur.size = text.trim().parse().unwrap_or(0),
            "Part" => parts.push(std::mem::take(&mut cur)),
            "IsTruncated" => truncated = text.trim() == "true",
            "NextPartNumberMarker" => next = text.trim().parse().ok(),
            _ => {}
        }
    }
    (parts, if truncated { next } else { None })
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

    #[test]
    fn list_parts_xml() {
        let xml = r#"<?xml version="1.0"?><ListPartsResult><Bucket>b</Bucket><UploadId>u</UploadId>
<IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
<Part><PartNumber>1</PartNumber><ETag>"aa"</ETag><Size>5</Size></Part>
<Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag><Size>6</Size></Part></ListPartsResult>"#;
        let (p, next) = parse_parts(xml);
        assert_eq!(next, Some(2));
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].part_number, p[0].etag.as_str(), p[0].size),
            (1, "aa", 5)
        );
        assert_eq!(
            (p[1].part_number, p[1].etag.as_str(), p[1].size),
            (2, "bb", 6)
        );
    }
}
