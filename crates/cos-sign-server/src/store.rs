//! Object storage: in memory, or one file per object under a folder.
//!
//! On disk an object is `<dir>/<bucket>/<name>`, where `<name>` is the key percent-encoded
//! (everything but `A-Z a-z 0-9 - _ . ~`, and a leading `.`), or `%%<md5 of key>` when that
//! would be longer than 200 bytes. The file holds a small text header, then the bytes:
//!
//! ```text
//! cos-sign-object 1 <etag: 32 hex>\n
//! key: <percent-encoded key>\n
//! content-type: <value>\n
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
                let (header_len, etag, stored_key, content_type) = read_header(&mut file).await?;
                if stored_key != key {
                    // A different key with the same hashed name: not this object.
                    return Ok(None);
                }
                let meta = Meta {
                    len: fmeta.len().saturating_sub(header_len),
                    etag,
                    content_type,
                    modified: fmeta.modified().unwrap_or_else(|_| SystemTime::now()),
                };
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

    /// Starts an upload.
    pub async fn begin(&self, bucket: &str, key: &str, content_type: &str) -> io::Result<Upload> {
        match self {
            Store::Memory(_) => Ok(Upload {
                kind: UploadKind::Memory(Vec::new()),
                md5: Md5::new(),
                len: 0,
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                content_type: content_type.to_owned(),
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
                let header = format!(
                    "{MAGIC}{}\nkey: {}\ncontent-type: {}\n\n",
                    "0".repeat(32),
                    utf8_percent_encode(key, KEY_SET),
                    content_type.replace(['\r', '\n'], " "),
                );
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
                    content_type: content_type.to_owned(),
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
    content_type: String,
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

    /// Makes the object visible (replacing any previous one). Returns its ETag (MD5 hex).
    pub async fn commit(self, store: &Store) -> io::Result<String> {
        let etag = hex(&self.digest());
        match self.kind {
            UploadKind::Memory(buf) => {
                let Store::Memory(map) = store else {
                    return Err(io::Error::other("upload and store differ"));
                };
                let obj = MemObject {
                    meta: Meta {
                        len: self.len,
                        etag: etag.clone(),
                        content_type: self.content_type,
                        modified: SystemTime::now(),
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
                file.seek(io::SeekFrom::Start(MAGIC.len() as u64)).await?;
                file.write_all(etag.as_bytes()).await?;
                file.flush().await?;
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

/// Reads the header of an object file; returns (header length, etag, key, content type).
async fn read_header(file: &mut tokio::fs::File) -> io::Result<(u64, String, String, String)> {
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
    for line in lines {
        if let Some(k) = line.strip_prefix("key: ") {
            key = Some(percent_decode_str(k).decode_utf8_lossy().into_owned());
        } else if let Some(c) = line.strip_prefix("content-type: ") {
            content_type = c.to_owned();
        }
    }
    Ok((end as u64, etag, key.ok_or_else(bad)?, content_type))
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
                let b = std::mem::take(b);
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
