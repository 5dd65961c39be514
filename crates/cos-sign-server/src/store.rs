//! Object storage: in memory, or one file per object under a folder.
//!
//! On disk an object is `<dir>/<bucket>/<name>`, where `<name>` is the key percent-encoded
//! (everything but `A-Z a-z 0-9 - _ . ~`, and a leading `.`), or `%%<md5 of key>` when that
//! would be longer than 200 bytes. The file holds a small text header, then the bytes:
//!
//! ```text
//! cos-sign-object 1 <etag: 32 hex, or <32 hex>-<parts> for a multipart object>\n
//! key: <percent-encoded key>\n
//! content-type: <value>\n
//! meta: <percent-encoded header name>:<percent-encoded value>\n   (zero or more)
//! \n
//! <object bytes>
//! ```
//!
//! An upload is written to `<dir>/<bucket>/.tmp-<unique>` and renamed into place after the
//! whole body arrived, its MD5 checked and the file synced; a temporary file is removed as
//! soon as its upload fails or is dropped.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, ReadBuf};

use super::Storage;

const MAGIC: &str = "cos-sign-object 1 ";
const MAX_NAME: usize = 200;
const MAX_HEADER: usize = 64 * 1024;

const KEY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What HEAD and GET return about an object.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub len: u64,
    /// MD5 hex, unquoted.
    pub etag: String,
    pub content_type: String,
    pub modified: SystemTime,
    /// The other stored headers (lowercase names, in the order received): see
    /// [`crate::object_ops::STORED_HEADERS`].
    pub headers: Vec<(String, String)>,
}

/// What an upload stores besides its bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewObject {
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// The ETag when it is known before the bytes (a completed multipart upload); otherwise
    /// the MD5 of the bytes.
    pub etag: Option<String>,
}

pub(crate) struct MemObject {
    meta: Meta,
    data: Bytes,
}

type MemMap = RwLock<HashMap<(String, String), Arc<MemObject>>>;

pub(crate) enum Store {
    Memory(MemMap),
    Disk(PathBuf),
}

/// An object's bytes, streamed.
pub(crate) enum Content {
    Memory(Bytes),
    File(tokio::fs::File),
}

impl Content {
    /// Skips the first `n` bytes (`n` no larger than what is left).
    pub async fn skip(&mut self, n: u64) -> io::Result<()> {
        match self {
            Content::Memory(b) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX).min(b.len());
                *b = b.slice(n..);
                Ok(())
            }
            Content::File(f) => {
                let off = i64::try_from(n).map_err(|_| io::Error::other("offset too large"))?;
                f.seek(io::SeekFrom::Current(off)).await.map(|_| ())
            }
        }
    }
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    pub async fn open(storage: &Storage) -> io::Result<Self> {
        Ok(match storage {
            Storage::Memory => Store::Memory(RwLock::new(HashMap::new())),
            Storage::Disk(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                Store::Disk(dir.clone())
            }
        })
    }

    fn object_path(dir: &Path, bucket: &str, key: &str) -> PathBuf {
        dir.join(bucket).join(file_name(key))
    }

    /// Meta and (unless `head`) content of an object; `None` if there is none.
    pub async fn get(
        &self,
        bucket: &str,
        key: &str,
        head: bool,
    ) -> io::Result<Option<(Meta, Option<Content>)>> {
        match self {
            Store::Memory(map) => {
                let map = map
                    .read()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                Ok(map.get(&(bucket.to_owned(), key.to_owned())).map(|o| {
                    (
                        o.meta.clone(),
                        (!head).then(|| Content::Memory(o.data.clone())),
                    )
                }))
            }
            Store::Disk(dir) => {
                let path = Self::object_path(dir, bucket, key);
                let mut file = match tokio::fs::File::open(&path).await {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                };
                let fmeta = file.metadata().await?;
                let h = read_header(&mut file).await?;
                if h.key != key {
                    // A different key with the same hashed name: not this object.
                    return Ok(None);
                }
                let header_len = h.len;
                let meta = h.into_meta(&fmeta);
                if head {
                    return Ok(Some((meta, None)));
                }
                file.seek(io::SeekFrom::Start(header_len)).await?;
                Ok(Some((meta, Some(Content::File(file)))))
            }
        }
    }

    /// Deletes an object; deleting a missing one is not an error.
    pub async fn delete(&self, bucket: &str, key: &str) -> io::Result<()> {
        match self {
            Store::Memory(map) => {
                let mut map = map
                    .write()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                map.remove(&(bucket.to_owned(), key.to_owned()));
                Ok(())
            }
            Store::Disk(dir) => {
                let path = Self::object_path(dir, bucket, key);
                if self.get(bucket, key, true).await?.is_none() {
                    return Ok(());
                }
                match tokio::fs::remove_file(&path).await {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Every object of a bucket whose key starts with `prefix`, in UTF-8 binary key order.
    pub async fn list(&self, bucket: &str, prefix: &str) -> io::Result<Vec<(String, Meta)>> {
        let mut out = match self {
            Store::Memory(map) => {
                let map = map
                    .read()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                map.iter()
                    .filter(|((b, k), _)| b == bucket && k.starts_with(prefix))
                    .map(|((_, k), o)| (k.clone(), o.meta.clone()))
                    .collect::<Vec<_>>()
            }
            Store::Disk(dir) => {
                let mut out = Vec::new();
                let mut rd = match tokio::fs::read_dir(dir.join(bucket)).await {
                    Ok(rd) => rd,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e),
                };
                while let Some(entry) = rd.next_entry().await? {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    // Temporary files, multipart folders: never objects (see `file_name`).
                    if name.starts_with('.') {
                        continue;
                    }
                    // A plain name decodes to its key: skip the file unless it matches.
                    if !name.starts_with("%%")
                        && !percent_decode_str(&name)
                            .decode_utf8_lossy()
                            .starts_with(prefix)
                    {
                        continue;
                    }
                    let mut file = match tokio::fs::File::open(entry.path()).await {
                        Ok(f) => f,
                        // Deleted or replaced meanwhile.
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    };
                    let fmeta = file.metadata().await?;
                    if !fmeta.is_file() {
                        continue;
                    }
                    let Ok(h) = read_header(&mut file).await else {
                        continue;
                    };
                    if h.key.starts_with(prefix) {
                        let key = h.key.clone();
                        out.push((key, h.into_meta(&fmeta)));
                    }
                }
                out
            }
        };
        out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(out)
    }

    /// Starts an upload.
    pub async fn begin(&self, bucket: &str, key: &str, new: NewObject) -> io::Result<Upload> {
        match self {
            Store::Memory(_) => Ok(Upload {
                kind: UploadKind::Memory(Vec::new()),
                md5: Md5::new(),
                len: 0,
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                new,
            }),
            Store::Disk(dir) => {
                let bucket_dir = dir.join(bucket);
                tokio::fs::create_dir_all(&bucket_dir).await?;
                let tmp = bucket_dir.join(format!(
                    ".tmp-{}-{}",
                    std::process::id(),
                    TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
                ));
                let guard = TempFile(Some(tmp.clone()));
                let file = tokio::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp)
                    .await?;
                let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
                let mut header = format!(
                    "{MAGIC}{}\nkey: {}\ncontent-type: {}\n",
                    new.etag.clone().unwrap_or_else(|| "0".repeat(32)),
                    utf8_percent_encode(key, KEY_SET),
                    new.content_type.replace(['\r', '\n'], " "),
                );
                for (name, value) in &new.headers {
                    header.push_str(&format!(
                        "meta: {}:{}\n",
                        utf8_percent_encode(name, KEY_SET),
                        utf8_percent_encode(value, KEY_SET)
                    ));
                }
                header.push('\n');
                if header.len() > MAX_HEADER {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the object's headers are too large",
                    ));
                }
                file.write_all(header.as_bytes()).await?;
                Ok(Upload {
                    kind: UploadKind::Disk {
                        file,
                        guard,
                        dest: Self::object_path(dir, bucket, key),
                    },
                    md5: Md5::new(),
                    len: 0,
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    new,
                })
            }
        }
    }
}

/// Removes the temporary file on drop unless it was renamed into place.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

enum UploadKind {
    Memory(Vec<u8>),
    Disk {
        file: tokio::io::BufWriter<tokio::fs::File>,
        guard: TempFile,
        dest: PathBuf,
    },
}

/// An upload in progress. Dropping it discards everything received.
pub(crate) struct Upload {
    kind: UploadKind,
    md5: Md5,
    len: u64,
    bucket: String,
    key: String,
    new: NewObject,
}

impl Upload {
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.md5.update(data);
        self.len += data.len() as u64;
        match &mut self.kind {
            UploadKind::Memory(buf) => {
                buf.extend_from_slice(data);
                Ok(())
            }
            UploadKind::Disk { file, .. } => file.write_all(data).await,
        }
    }

    /// The MD5 of everything written.
    pub fn digest(&self) -> [u8; 16] {
        self.md5.clone().finalize().into()
    }

    /// Makes the object visible (replacing any previous one). Returns its ETag (unquoted:
    /// the MD5 hex, or the preset one).
    pub async fn commit(self, store: &Store) -> io::Result<String> {
        let preset = self.new.etag.is_some();
        let etag = self.new.etag.clone().unwrap_or_else(|| hex(&self.digest()));
        match self.kind {
            UploadKind::Memory(buf) => {
                let Store::Memory(map) = store else {
                    return Err(io::Error::other("upload and store differ"));
                };
                let obj = MemObject {
                    meta: Meta {
                        len: self.len,
                        etag: etag.clone(),
                        content_type: self.new.content_type,
                        modified: SystemTime::now(),
                        headers: self.new.headers,
                    },
                    data: Bytes::from(buf),
                };
                map.write()
                    .map_err(|_| io::Error::other("store lock poisoned"))?
                    .insert((self.bucket, self.key), Arc::new(obj));
            }
            UploadKind::Disk {
                mut file,
                mut guard,
                dest,
            } => {
                file.flush().await?;
                let mut file = file.into_inner();
                if !preset {
                    file.seek(io::SeekFrom::Start(MAGIC.len() as u64)).await?;
                    file.write_all(etag.as_bytes()).await?;
                    file.flush().await?;
                }
                file.sync_all().await?;
                drop(file);
                let tmp = guard
                    .0
                    .clone()
                    .ok_or_else(|| io::Error::other("no temp file"))?;
                tokio::fs::rename(&tmp, &dest).await?;
                guard.0 = None;
            }
        }
        Ok(etag)
    }
}

/// The header of an object file.
struct Header {
    len: u64,
    etag: String,
    key: String,
    content_type: String,
    headers: Vec<(String, String)>,
}

impl Header {
    fn into_meta(self, fmeta: &std::fs::Metadata) -> Meta {
        Meta {
            len: fmeta.len().saturating_sub(self.len),
            etag: self.etag,
            content_type: self.content_type,
            modified: fmeta.modified().unwrap_or_else(|_| SystemTime::now()),
            headers: self.headers,
        }
    }
}

/// Reads the header of an object file.
async fn read_header(file: &mut tokio::fs::File) -> io::Result<Header> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "not an object file");
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(2).position(|w| w == b"\n\n") {
            break i + 2;
        }
        if buf.len() > MAX_HEADER {
            return Err(bad());
        }
        let n = file.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad());
        }
        buf.extend_from_slice(chunk.get(..n).ok_or_else(bad)?);
    };
    let text = std::str::from_utf8(buf.get(..end).ok_or_else(bad)?).map_err(|_| bad())?;
    let mut lines = text.lines();
    let etag = lines
        .next()
        .and_then(|l| l.strip_prefix(MAGIC))
        .ok_or_else(bad)?
        .to_owned();
    let mut key = None;
    let mut content_type = String::new();
    let mut headers = Vec::new();
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    for line in lines {
        if let Some(k) = line.strip_prefix("key: ") {
            key = Some(decode(k));
        } else if let Some(c) = line.strip_prefix("content-type: ") {
            content_type = c.to_owned();
        } else if let Some((n, v)) = line.strip_prefix("meta: ").and_then(|m| m.split_once(':')) {
            headers.push((decode(n), decode(v)));
        }
    }
    Ok(Header {
        len: end as u64,
        etag,
        key: key.ok_or_else(bad)?,
        content_type,
        headers,
    })
}

/// The file name of a key (see the module docs).
pub(crate) fn file_name(key: &str) -> String {
    let mut name = utf8_percent_encode(key, KEY_SET).to_string();
    if name.starts_with('.') {
        name.replace_range(..1, "%2E");
    }
    if name.len() > MAX_NAME {
        name = format!("%%{}", hex(&Md5::digest(key.as_bytes()).into()));
    }
    name
}

pub(crate) fn hex(bytes: &[u8; 16]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A response body streamed out of [`Content`].
pub(crate) struct ContentBody {
    content: Option<Content>,
    remaining: u64,
    buf: Vec<u8>,
}

impl ContentBody {
    pub fn new(content: Content, len: u64) -> Self {
        Self {
            content: Some(content),
            remaining: len,
            buf: Vec::new(),
        }
    }
}

impl Body for ContentBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            this.content = None;
            return Poll::Ready(None);
        }
        match &mut this.content {
            None => Poll::Ready(None),
            Some(Content::Memory(b)) => {
                let mut b = std::mem::take(b);
                b.truncate(usize::try_from(this.remaining).unwrap_or(usize::MAX));
                this.remaining = 0;
                this.content = None;
                Poll::Ready(Some(Ok(Frame::data(b))))
            }
            Some(Content::File(f)) => {
                let want = this.remaining.min(256 * 1024) as usize;
                if this.buf.len() < want {
                    this.buf.resize(want, 0);
                }
                let slice = this.buf.get_mut(..want).unwrap_or_default();
                let mut rb = ReadBuf::new(slice);
                match Pin::new(f).poll_read(cx, &mut rb) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    Poll::Ready(Ok(())) => {
                        let filled = rb.filled();
                        if filled.is_empty() {
                            return Poll::Ready(Some(Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "object file shorter than its size",
                            ))));
                        }
                        this.remaining -= filled.len() as u64;
                        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(filled)))))
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_stay_inside_the_bucket_folder() {
        assert_eq!(file_name("a/b c.txt"), "a%2Fb%20c.txt");
        assert_eq!(file_name(".."), "%2E.");
        assert_eq!(file_name("."), "%2E");
        assert_eq!(file_name("腾"), "%E8%85%BE");
        let long = "k".repeat(300);
        let n = file_name(&long);
        assert!(n.starts_with("%%") && n.len() == 34, "{n}");
    }
}
