//! Object storage: in memory, or one file per object under a folder.
//!
//! On disk an object is `<dir>/<bucket>/<name>`, where `<name>` is the key percent-encoded
//! (everything but `A-Z a-z 0-9 - _ . ~`, and a leading `.`). An encoded key longer than
//! 200 bytes is cut into 200-byte pieces: `<dir>/<bucket>/%%long/d<piece>/.../f<last>`, so
//! every key has its own path and no two keys share a file (no hash is involved). The file
//! holds a small text header, then the bytes:
//!
//! ```text
//! cos-sign-object 2 <etag: 32 hex, or <32 hex>-<parts> for a completed multipart upload>\n
//! c: <CRC-64 of the bytes (x-cos-hash-crc64ecma), 20 decimal digits>\n   (files written since)
//! key: <percent-encoded key>\n
//! g: <generation: unique to this file>\n
//! h: <header name> <percent-encoded value>\n      (one line per stored header)
//! \n
//! <object bytes>
//! ```
//!
//! A stored header changed on its own (an object's ACL or tags, see [`Store::set_header`]) does not
//! rewrite the object: it goes to the object's override file `<dir>/.meta/<bucket>/<name>`
//! (the same `<name>` as the object's file), which names the generation of the object file it
//! applies to. An override file of another generation (the object was replaced or deleted
//! and uploaded again since) is ignored, so a new object never takes an old one's settings.
//! Files written before generations existed read as generation `""`.
//!
//! An upload is written to `<dir>/<bucket>/.tmp-<unique>` and renamed into place after the
//! whole body arrived, its MD5 checked and the file synced; the folder is synced after the
//! rename. A temporary file is removed as soon as its upload fails or is dropped, and the
//! ones a crash left behind are removed when the store opens (no key maps to a name that
//! starts with `.`).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, ReadBuf};

use super::Storage;
use super::crc64::{self, Crc64};

const MAGIC: &str = "cos-sign-object 2 ";
const MAGIC_V1: &str = "cos-sign-object 1 ";
const MAX_NAME: usize = 200;
const LONG_DIR: &str = "%%long";
const MAX_HEADER: usize = 64 * 1024;
const TMP_PREFIX: &str = ".tmp-";
/// The folder of override files under the data folder.
const META_DIR: &str = ".meta";
const OVERRIDE_MAGIC: &str = "cos-sign-override 1 ";
/// The line of an object file's CRC-64 (see the module docs), written at a fixed width so
/// the value can be filled in once the bytes are in.
const CRC_LINE: &str = "c: ";
const CRC_DIGITS: usize = 20;

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
    /// The headers stored with the object (lowercase names: `content-type`,
    /// `content-disposition`, `content-encoding`, `cache-control`, `expires`,
    /// `x-cos-meta-*`), exactly as the upload that was verified sent them.
    pub headers: Vec<(String, String)>,
    pub modified: SystemTime,
}

pub(crate) struct MemObject {
    meta: Meta,
    data: Bytes,
    /// Unique to the upload that stored these bytes; kept by a header change (see
    /// [`Version`]).
    generation: u64,
    /// Who counts this object's bytes in the memory store's `used` (see [`Claim`]).
    claim: Claim,
}

/// Who counts the bytes of something held in memory against a cap: an object of the memory
/// store, or a part of an in-memory multipart upload. An upload that will replace it claims
/// it (one upload at most), and may then write that many bytes without counting them: the
/// replaced bytes stand for them. Whoever ends the last state gives the bytes back, once:
/// leaving the map unclaimed (`STORED` → `GONE`), or the claimant ending while the thing
/// already left the map (`GONE_CLAIMED` → `GONE`). Transitions are atomic, so racing
/// replacements and removals count every byte exactly once.
pub(crate) struct Claim(AtomicU8);

impl Claim {
    const STORED: u8 = 0;
    const CLAIMED: u8 = 1;
    const GONE_CLAIMED: u8 = 2;
    const GONE: u8 = 3;

    /// Stored, unclaimed: its bytes are counted by the map that holds it.
    pub fn new() -> Self {
        Self(AtomicU8::new(Self::STORED))
    }

    /// Whether an upload could claim it now (stored, and no upload claimed it).
    pub fn is_free(&self) -> bool {
        self.0.load(Ordering::Acquire) == Self::STORED
    }

    /// An upload claims it; `false` when another did first or it left the map.
    pub fn take(&self) -> bool {
        self.0
            .compare_exchange(
                Self::STORED,
                Self::CLAIMED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// It leaves the map: of its `len` bytes, those to give back now (none while it is
    /// claimed; its claimant gives them back then).
    pub fn retire(&self, len: u64) -> u64 {
        match self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| match c {
                Self::STORED => Some(Self::GONE),
                Self::CLAIMED => Some(Self::GONE_CLAIMED),
                _ => None,
            }) {
            Ok(Self::STORED) => len,
            _ => 0,
        }
    }

    /// Its claimant ends: of its `len` bytes, those to give back now (all when it already
    /// left the map, none while it stays there).
    pub fn unclaim(&self, len: u64) -> u64 {
        match self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| match c {
                Self::CLAIMED => Some(Self::STORED),
                Self::GONE_CLAIMED => Some(Self::GONE),
                _ => None,
            }) {
            Ok(Self::GONE_CLAIMED) => len,
            _ => 0,
        }
    }
}

/// Something held in memory whose bytes count against a cap, with its [`Claim`]: an object
/// of the memory store, or a part of an in-memory multipart upload.
pub(crate) trait Held {
    /// Who counts its bytes.
    fn claim(&self) -> &Claim;
    /// Its bytes.
    fn held_len(&self) -> u64;

    /// It leaves its map: its bytes to give back now (see [`Claim::retire`]).
    fn retire(&self) -> u64 {
        self.claim().retire(self.held_len())
    }

    /// Its claimant ends: the bytes to give back now (see [`Claim::unclaim`]).
    fn unclaim(&self) -> u64 {
        self.claim().unclaim(self.held_len())
    }
}

impl Held for MemObject {
    fn claim(&self) -> &Claim {
        &self.claim
    }
    fn held_len(&self) -> u64 {
        self.meta.len
    }
}

/// The bytes an upload that replaces `replaced` may still write under `cap`: the room left,
/// plus the replaced thing's bytes when no other upload claimed it.
pub(crate) fn room_replacing<T: Held>(used: &AtomicU64, cap: u64, replaced: Option<&T>) -> u64 {
    let freed = replaced
        .filter(|r| r.claim().is_free())
        .map_or(0, Held::held_len);
    cap.saturating_sub(used.load(Ordering::Acquire))
        .saturating_add(freed)
}

type MemMap = RwLock<HashMap<(String, String), Arc<MemObject>>>;

pub(crate) enum Store {
    Memory {
        map: MemMap,
        /// Bytes held: stored objects plus reservations of uploads in progress.
        used: Arc<AtomicU64>,
        cap: u64,
    },
    /// The folder, and the lock every change of which object a name holds takes around its
    /// last step (the rename of an upload, the removal of a delete, the check and rename of
    /// a tag change): a tag change that read an object cannot put it back over an upload or
    /// a delete that landed after the read.
    Disk(PathBuf, tokio::sync::Mutex<()>),
}

/// An object's bytes, streamed.
pub(crate) enum Content {
    Memory(Bytes),
    File(tokio::fs::File),
}

/// Why an upload's bytes were refused.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The memory store would pass its cap.
    Full,
    Io(io::Error),
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
    /// Opens the store; on disk, removes the temporary files a crash left behind.
    pub async fn open(storage: &Storage, memory_cap: u64) -> io::Result<Self> {
        Ok(match storage {
            Storage::Memory => Store::Memory {
                map: RwLock::new(HashMap::new()),
                used: Arc::new(AtomicU64::new(0)),
                cap: memory_cap,
            },
            Storage::Disk(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                remove_orphans(dir).await?;
                Store::Disk(dir.clone(), tokio::sync::Mutex::new(()))
            }
        })
    }

    /// Bytes the memory store can still take for an upload to `bucket`/`key`, counting the
    /// object it would replace as freed when no other upload claimed it (`None` on disk: no
    /// cap).
    pub fn room_for(&self, bucket: &str, key: &str) -> Option<u64> {
        match self {
            Store::Memory { used, cap, map } => {
                let map = map.read().ok();
                let replaced = map
                    .as_ref()
                    .and_then(|m| m.get(&(bucket.to_owned(), key.to_owned())));
                Some(room_replacing(used, *cap, replaced.map(Arc::as_ref)))
            }
            Store::Disk(..) => None,
        }
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
        Ok(self
            .get_versioned(bucket, key, head)
            .await?
            .map(|(meta, content, _)| (meta, content)))
    }

    /// As [`get`](Self::get), with the [`Version`] of the object read, for a change that
    /// must land only over that very object ([`Upload::commit_over`]).
    pub async fn get_versioned(
        &self,
        bucket: &str,
        key: &str,
        head: bool,
    ) -> io::Result<Option<(Meta, Option<Content>, Version)>> {
        match self {
            Store::Memory { map, .. } => {
                let map = map
                    .read()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                Ok(map.get(&(bucket.to_owned(), key.to_owned())).map(|o| {
                    (
                        o.meta.clone(),
                        (!head).then(|| Content::Memory(o.data.clone())),
                        Version(Some(VersionId::Memory(o.generation))),
                    )
                }))
            }
            Store::Disk(dir, _) => {
                let path = Self::object_path(dir, bucket, key);
                let Some(mut file) = open_if_there(&path).await? else {
                    return Ok(None);
                };
                let fmeta = file.metadata().await?;
                if !fmeta.is_file() {
                    return Ok(None);
                }
                let (header_len, etag, stored_key, mut headers, generation) =
                    read_header(&mut file).await?;
                apply_overrides(dir, bucket, key, &generation, &mut headers).await?;
                if stored_key != key {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the object file holds another key",
                    ));
                }
                let meta = Meta {
                    len: fmeta.len().saturating_sub(header_len),
                    etag,
                    headers,
                    modified: fmeta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                };
                let version = Version(Some(VersionId::Disk(generation)));
                if head {
                    return Ok(Some((meta, None, version)));
                }
                file.seek(io::SeekFrom::Start(header_len)).await?;
                Ok(Some((meta, Some(Content::File(file)), version)))
            }
        }
    }

    /// Deletes an object; deleting a missing one is not an error.
    pub async fn delete(&self, bucket: &str, key: &str) -> io::Result<()> {
        match self {
            Store::Memory { map, used, .. } => {
                let mut map = map
                    .write()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                if let Some(old) = map.remove(&(bucket.to_owned(), key.to_owned())) {
                    release(used, old.retire());
                }
                Ok(())
            }
            Store::Disk(dir, replacing) => {
                let path = Self::object_path(dir, bucket, key);
                if self.get(bucket, key, true).await?.is_none() {
                    return Ok(());
                }
                let _replacing = replacing.lock().await;
                match tokio::fs::remove_file(&path).await {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                    _ => {
                        match tokio::fs::remove_file(override_path(dir, bucket, key)).await {
                            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                            _ => {}
                        }
                        sync_dir(path.parent()).await
                    }
                }
            }
        }
    }

    /// Sets the stored header `name` of an object (its ACL, its tags) to `value` (`None`:
    /// removes it), keeping its bytes, ETag and Last-Modified; `false` when there is no such
    /// object. In memory the object is replaced by one sharing its bytes, which takes over
    /// their count. On disk the object file stays as it is: the change goes to its override
    /// file (see the module docs), written under the store's lock with the generation of the
    /// object file in place, so an upload or a delete that lands first leaves it no object
    /// to apply to.
    pub async fn set_header(
        &self,
        bucket: &str,
        key: &str,
        name: &str,
        value: Option<&str>,
    ) -> io::Result<bool> {
        let change = |h: &mut Vec<(String, String)>| {
            h.retain(|(n, _)| n != name);
            if let Some(v) = value {
                h.push((name.to_owned(), v.to_owned()));
            }
        };
        let (dir, replacing) = match self {
            Store::Memory { map, used, .. } => {
                let mut map = map
                    .write()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                let name = (bucket.to_owned(), key.to_owned());
                let Some(old) = map.get(&name).cloned() else {
                    return Ok(false);
                };
                let mut meta = old.meta.clone();
                change(&mut meta.headers);
                let len = meta.len;
                map.insert(
                    name,
                    Arc::new(MemObject {
                        meta,
                        data: old.data.clone(),
                        generation: old.generation,
                        claim: Claim::new(),
                    }),
                );
                // The old object's count passes to the new one; while an upload claims the
                // old one (and gives its bytes back when it ends), the new one counts anew.
                if old.retire() == 0 && len > 0 {
                    used.fetch_add(len, Ordering::AcqRel);
                }
                return Ok(true);
            }
            Store::Disk(dir, replacing) => (dir, replacing),
        };
        let _replacing = replacing.lock().await;
        let mut file = match open_if_there(&Self::object_path(dir, bucket, key)).await? {
            Some(f) if f.metadata().await?.is_file() => f,
            _ => return Ok(false),
        };
        let (_, _, stored_key, _, generation) = read_header(&mut file).await?;
        if stored_key != key {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the object file holds another key",
            ));
        }
        let mut overrides = read_overrides(dir, bucket, key, &generation)
            .await?
            .unwrap_or_default();
        overrides.retain(|(n, _)| n != name);
        overrides.push((name.to_owned(), value.map(str::to_owned)));
        write_overrides(dir, bucket, key, &generation, &overrides).await?;
        Ok(true)
    }

    /// Every object of a bucket whose key starts with `prefix`, in UTF-8 binary key order.
    pub async fn list(&self, bucket: &str, prefix: &str) -> io::Result<Vec<(String, Meta)>> {
        let mut out = match self {
            Store::Memory { map, .. } => {
                let map = map
                    .read()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                map.iter()
                    .filter(|((b, k), _)| b == bucket && k.starts_with(prefix))
                    .map(|((_, k), o)| (k.clone(), o.meta.clone()))
                    .collect::<Vec<_>>()
            }
            Store::Disk(dir, _) => {
                let mut out = Vec::new();
                let mut folders = vec![dir.join(bucket)];
                while let Some(folder) = folders.pop() {
                    let mut rd = match tokio::fs::read_dir(&folder).await {
                        Ok(rd) => rd,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    };
                    while let Some(entry) = rd.next_entry().await? {
                        let name = entry.file_name();
                        let name = name.to_string_lossy();
                        // Temporary files: never objects (no key maps to a leading `.`).
                        if name.starts_with('.') {
                            continue;
                        }
                        let ft = entry.file_type().await?;
                        if ft.is_dir() {
                            // The pieces of long keys (see `file_name`).
                            folders.push(entry.path());
                            continue;
                        }
                        // A plain name decodes to its key: skip it unless it matches.
                        if folder.ends_with(bucket)
                            && !percent_decode_str(&name)
                                .decode_utf8_lossy()
                                .starts_with(prefix)
                        {
                            continue;
                        }
                        let mut file = match tokio::fs::File::open(entry.path()).await {
                            Ok(f) => f,
                            // Deleted meanwhile.
                            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                            Err(e) => return Err(e),
                        };
                        let fmeta = file.metadata().await?;
                        let Ok((header_len, etag, key, headers, _)) = read_header(&mut file).await
                        else {
                            continue;
                        };
                        if key.starts_with(prefix) {
                            let meta = Meta {
                                len: fmeta.len().saturating_sub(header_len),
                                etag,
                                headers,
                                modified: fmeta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                            };
                            out.push((key, meta));
                        }
                    }
                }
                out
            }
        };
        out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(out)
    }

    /// Every bucket that may hold objects (in memory: holds one; on disk: has a folder),
    /// in no particular order; [`oldest`](Self::oldest) tells which hold one.
    pub async fn bucket_names(&self) -> io::Result<Vec<String>> {
        match self {
            Store::Memory { map, .. } => {
                let map = map
                    .read()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                let mut names: Vec<String> = map.keys().map(|(b, _)| b.clone()).collect();
                names.sort_unstable();
                names.dedup();
                Ok(names)
            }
            Store::Disk(dir, _) => {
                let mut names = Vec::new();
                let mut rd = tokio::fs::read_dir(dir).await?;
                while let Some(e) = rd.next_entry().await? {
                    let name = e.file_name().to_string_lossy().into_owned();
                    // `.buckets`, `.meta`, `.uploads`: no bucket name starts with `.`.
                    if !name.starts_with('.') && e.file_type().await?.is_dir() {
                        names.push(name);
                    }
                }
                Ok(names)
            }
        }
    }

    /// The earliest Last-Modified of the objects of `bucket`; `None` when it holds none.
    pub async fn oldest(&self, bucket: &str) -> io::Result<Option<SystemTime>> {
        let objects = self.list(bucket, "").await?;
        Ok(objects.iter().map(|(_, m)| m.modified).min())
    }

    /// Starts an upload that will store `headers` with the object.
    pub async fn begin(
        &self,
        bucket: &str,
        key: &str,
        headers: Vec<(String, String)>,
    ) -> io::Result<Upload> {
        self.begin_with_etag(bucket, key, headers, None).await
    }

    /// Starts an upload whose ETag is known before its bytes (a completed multipart
    /// upload's); `None` for the MD5 of the bytes.
    pub async fn begin_with_etag(
        &self,
        bucket: &str,
        key: &str,
        mut headers: Vec<(String, String)>,
        etag: Option<String>,
    ) -> io::Result<Upload> {
        // The CRC is the new bytes' (a copy's headers hold the source's).
        headers.retain(|(n, _)| n != crc64::HEADER);
        let kind = match self {
            Store::Memory { used, cap, map } => {
                let map = map
                    .read()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                let replaced = map.get(&(bucket.to_owned(), key.to_owned()));
                UploadKind::Memory {
                    buf: Vec::new(),
                    reservation: Reservation::new(used, *cap, replaced),
                }
            }
            Store::Disk(dir, _) => {
                let bucket_dir = dir.join(bucket);
                tokio::fs::create_dir_all(&bucket_dir).await?;
                let (mut file, guard) = TempFile::create(&bucket_dir).await?;
                let generation = new_generation();
                let first = format!(
                    "{MAGIC}{}\n",
                    etag.clone().unwrap_or_else(|| "0".repeat(32))
                );
                let crc_at = (first.len() + CRC_LINE.len()) as u64;
                let mut header = format!(
                    "{first}{CRC_LINE}{}\nkey: {}\ng: {generation}\n",
                    "0".repeat(CRC_DIGITS),
                    utf8_percent_encode(key, KEY_SET),
                );
                for (n, v) in &headers {
                    header.push_str(&format!(
                        "h: {} {}\n",
                        utf8_percent_encode(n, KEY_SET),
                        utf8_percent_encode(v, KEY_SET)
                    ));
                }
                header.push('\n');
                file.write_all(header.as_bytes()).await?;
                UploadKind::Disk {
                    file,
                    guard,
                    dest: Self::object_path(dir, bucket, key),
                    generation,
                    crc_at,
                }
            }
        };
        Ok(Upload {
            kind,
            md5: Md5::new(),
            crc: Crc64::new(),
            len: 0,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            headers,
            etag,
        })
    }
}

/// Sets a file's modification time (an object's or a part's Last-Modified on disk) to `t`,
/// the server's clock rather than the system's.
pub(crate) async fn set_modified(file: &tokio::fs::File, t: SystemTime) -> io::Result<()> {
    file.try_clone().await?.into_std().await.set_modified(t)
}

/// Gives back `n` bytes of a memory cap's count.
pub(crate) fn release(used: &AtomicU64, n: u64) {
    let _ = used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
        Some(u.saturating_sub(n))
    });
}

/// Removes `.tmp-*` files left in the bucket folders by a crash.
async fn remove_orphans(dir: &Path) -> io::Result<()> {
    let mut buckets = tokio::fs::read_dir(dir).await?;
    while let Some(bucket) = buckets.next_entry().await? {
        if !bucket.file_type().await?.is_dir() {
            continue;
        }
        let mut entries = tokio::fs::read_dir(bucket.path()).await?;
        let mut removed = false;
        while let Some(e) = entries.next_entry().await? {
            if e.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                tokio::fs::remove_file(e.path()).await?;
                removed = true;
            }
        }
        if removed {
            sync_dir(Some(&bucket.path())).await?;
        }
    }
    Ok(())
}

/// Syncs a folder, so a rename or removal in it survives a crash.
pub(crate) async fn sync_dir(dir: Option<&Path>) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(d) = dir {
        tokio::fs::File::open(d).await?.sync_all().await?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A temporary file being written (`.tmp-<pid>-<n>`), removed on drop unless it was renamed
/// into place.
pub(crate) struct TempFile(Option<PathBuf>);

impl TempFile {
    /// Creates a new temporary file in `dir` (which must exist) for buffered writing.
    pub(crate) async fn create(
        dir: &Path,
    ) -> io::Result<(tokio::io::BufWriter<tokio::fs::File>, TempFile)> {
        let path = dir.join(format!(
            "{TMP_PREFIX}{}-{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok((
            tokio::io::BufWriter::with_capacity(256 * 1024, file),
            TempFile(Some(path)),
        ))
    }

    /// Renames the file to `dest` (nothing is removed on drop then); returns where it was.
    pub(crate) async fn persist(&mut self, dest: &Path) -> io::Result<PathBuf> {
        let tmp = self
            .0
            .clone()
            .ok_or_else(|| io::Error::other("no temp file"))?;
        tokio::fs::rename(&tmp, dest).await?;
        self.0 = None;
        Ok(tmp)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What one upload to memory (an object, or a part) holds of a count of bytes under a cap:
/// the bytes it counted, and the stored thing of the same name it claimed to replace, whose
/// bytes stand for its first ones (so replacing something near the cap fits). Both are
/// given back on drop unless [`settle`](Reservation::settle)d.
pub(crate) struct Reservation<T: Held> {
    used: Arc<AtomicU64>,
    cap: u64,
    /// Bytes of `used` this upload holds.
    n: u64,
    /// The stored thing this upload claimed to replace.
    credit: Option<Arc<T>>,
    /// Bytes still to write on the claimed thing's count, uncounted.
    credit_left: u64,
}

impl<T: Held> Reservation<T> {
    /// A reservation on `used` under `cap` for an upload replacing `replaced`, which it
    /// claims unless another upload did first.
    pub fn new(used: &Arc<AtomicU64>, cap: u64, replaced: Option<&Arc<T>>) -> Self {
        let credit = replaced.filter(|r| r.claim().take()).cloned();
        Self {
            used: used.clone(),
            cap,
            n: 0,
            credit_left: credit.as_ref().map_or(0, |c| c.held_len()),
            credit,
        }
    }

    /// Counts `n` more bytes (those past the claimed thing's); `false`, with nothing
    /// counted, when they do not fit under the cap.
    pub fn reserve(&mut self, n: u64) -> bool {
        let on_credit = n.min(self.credit_left);
        let counted = n - on_credit;
        let cap = self.cap;
        if counted > 0
            && self
                .used
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                    u.checked_add(counted).filter(|&t| t <= cap)
                })
                .is_err()
        {
            return false;
        }
        self.credit_left -= on_credit;
        self.n = self.n.saturating_add(counted);
        true
    }

    /// The upload's bytes now belong to the thing stored in its place, which replaced `old`
    /// (if any): the bytes written on the claimed thing's count are counted, the replaced
    /// thing's (and the claimed one's, when it left its map meanwhile) given back, in one
    /// step. Nothing is given back on drop after.
    pub fn settle(&mut self, old: Option<Arc<T>>) {
        self.n = 0;
        let credit = self.credit.take();
        let on_credit = credit
            .as_ref()
            .map_or(0, |c| c.held_len().saturating_sub(self.credit_left));
        let freed = old
            .map_or(0, |o| o.retire())
            .saturating_add(credit.map_or(0, |c| c.unclaim()));
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                Some(u.saturating_add(on_credit).saturating_sub(freed))
            });
    }
}

impl<T: Held> Drop for Reservation<T> {
    fn drop(&mut self) {
        let gone = self.credit.take().map_or(0, |o| o.unclaim());
        release(&self.used, self.n.saturating_add(gone));
    }
}

enum UploadKind {
    Memory {
        buf: Vec<u8>,
        reservation: Reservation<MemObject>,
    },
    Disk {
        file: tokio::io::BufWriter<tokio::fs::File>,
        guard: TempFile,
        dest: PathBuf,
        /// The `g:` line of the file's header.
        generation: String,
        /// Where the digits of the `c:` line start in the file.
        crc_at: u64,
    },
}

/// An upload in progress. Dropping it discards everything received.
pub(crate) struct Upload {
    kind: UploadKind,
    md5: Md5,
    crc: Crc64,
    len: u64,
    bucket: String,
    key: String,
    headers: Vec<(String, String)>,
    /// The ETag given at the start, if any.
    etag: Option<String>,
}

impl Upload {
    /// Writes all of `content` (a stored object's or part's bytes), a file read through
    /// `buf`.
    pub async fn write_content(
        &mut self,
        content: Content,
        buf: &mut [u8],
    ) -> Result<(), WriteError> {
        match content {
            Content::Memory(b) => self.write(&b).await,
            Content::File(mut f) => loop {
                let n = f.read(buf).await.map_err(WriteError::Io)?;
                let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                    return Ok(());
                };
                self.write(chunk).await?;
            },
        }
    }

    pub async fn write(&mut self, data: &[u8]) -> Result<(), WriteError> {
        let n = data.len() as u64;
        match &mut self.kind {
            UploadKind::Memory { buf, reservation } => {
                if !reservation.reserve(n) {
                    return Err(WriteError::Full);
                }
                buf.try_reserve(data.len()).map_err(|_| WriteError::Full)?;
                buf.extend_from_slice(data);
            }
            UploadKind::Disk { file, .. } => file.write_all(data).await.map_err(WriteError::Io)?,
        }
        self.md5.update(data);
        self.crc.update(data);
        self.len = self.len.saturating_add(n);
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The MD5 of everything written.
    pub fn digest(&self) -> [u8; 16] {
        self.md5.clone().finalize().into()
    }

    /// The CRC-64 (`x-cos-hash-crc64ecma`) of everything written.
    pub fn crc64(&self) -> u64 {
        self.crc.value()
    }

    /// Makes the object visible (replacing any previous one), last modified at `now` (the
    /// server's clock). Returns its ETag (MD5 hex, or the one given at the start).
    pub async fn commit(self, store: &Store, now: SystemTime) -> io::Result<String> {
        self.commit_if(store, now, None)
            .await?
            .ok_or_else(|| io::Error::other("an unconditional commit was refused"))
    }

    /// As [`commit`](Self::commit), but only over the object `over` names (read by
    /// [`Store::get_versioned`]; [`Version::NONE`]: only where there is none), checked under
    /// the same lock as the replacement itself: `None`, with nothing stored, when another
    /// upload or a delete landed since. A change of the object's stored headers alone (its
    /// ACL or tags, [`Store::set_header`]) is not another object: it is kept (in memory the
    /// new object takes the current headers; on disk the override file is carried over to
    /// the new object file).
    pub async fn commit_over(
        self,
        store: &Store,
        now: SystemTime,
        over: &Version,
    ) -> io::Result<Option<String>> {
        self.commit_if(store, now, Some(over)).await
    }

    async fn commit_if(
        self,
        store: &Store,
        now: SystemTime,
        over: Option<&Version>,
    ) -> io::Result<Option<String>> {
        let preset = self.etag.is_some();
        let etag = self.etag.clone().unwrap_or_else(|| hex(&self.digest()));
        let crc = self.crc64();
        match self.kind {
            UploadKind::Memory {
                buf,
                mut reservation,
            } => {
                let Store::Memory { map, .. } = store else {
                    return Err(io::Error::other("upload and store differ"));
                };
                let mut headers = self.headers;
                let mut map = map
                    .write()
                    .map_err(|_| io::Error::other("store lock poisoned"))?;
                let name = (self.bucket, self.key);
                if let Some(over) = over {
                    let current = map.get(&name);
                    let same = match (&over.0, current) {
                        (None, None) => true,
                        (Some(VersionId::Memory(g)), Some(c)) => c.generation == *g,
                        _ => false,
                    };
                    if !same {
                        // Dropping the reservation gives its bytes back.
                        return Ok(None);
                    }
                    if let Some(c) = current {
                        headers.clone_from(&c.meta.headers);
                    }
                }
                // the bytes' own CRC, never one carried over
                headers.retain(|(n, _)| n != crc64::HEADER);
                headers.push((crc64::HEADER.to_owned(), crc.to_string()));
                let obj = MemObject {
                    meta: Meta {
                        len: self.len,
                        etag: etag.clone(),
                        headers,
                        modified: now,
                    },
                    data: Bytes::from(buf),
                    generation: MEM_GENERATION.fetch_add(1, Ordering::Relaxed),
                    claim: Claim::new(),
                };
                let old = map.insert(name, Arc::new(obj));
                reservation.settle(old);
            }
            UploadKind::Disk {
                mut file,
                mut guard,
                dest,
                generation,
                crc_at,
            } => {
                file.flush().await?;
                let mut file = file.into_inner();
                if !preset {
                    file.seek(io::SeekFrom::Start(MAGIC.len() as u64)).await?;
                    file.write_all(etag.as_bytes()).await?;
                }
                file.seek(io::SeekFrom::Start(crc_at)).await?;
                file.write_all(format!("{crc:0CRC_DIGITS$}").as_bytes())
                    .await?;
                file.flush().await?;
                // The file's time is the object's Last-Modified: the server's clock.
                set_modified(&file, now).await?;
                file.sync_all().await?;
                drop(file);
                let parent = dest.parent().map(Path::to_path_buf);
                if let Some(p) = &parent {
                    tokio::fs::create_dir_all(p).await?;
                }
                let Store::Disk(dir, replacing) = store else {
                    return Err(io::Error::other("upload and store differ"));
                };
                let replacing = replacing.lock().await;
                if let Some(over) = over {
                    let current = match open_if_there(&dest).await? {
                        Some(mut f) if f.metadata().await?.is_file() => {
                            Some(read_header(&mut f).await?.4)
                        }
                        _ => None,
                    };
                    let same = match (&over.0, &current) {
                        (None, None) => true,
                        (Some(VersionId::Disk(g)), Some(c)) => g == c,
                        _ => false,
                    };
                    if !same {
                        // Dropping the guard removes the temporary file.
                        return Ok(None);
                    }
                    if let Some(old) = &current
                        && let Some(overrides) =
                            read_overrides(dir, &self.bucket, &self.key, old).await?
                    {
                        write_overrides(dir, &self.bucket, &self.key, &generation, &overrides)
                            .await?;
                    }
                }
                let tmp = guard.persist(&dest).await?;
                drop(replacing);
                sync_dir(parent.as_deref()).await?;
                if let Some(bucket_dir) = tmp.parent()
                    && Some(bucket_dir) != parent.as_deref()
                {
                    sync_dir(Some(bucket_dir)).await?;
                }
            }
        }
        Ok(Some(etag))
    }
}

/// Which object a read found, for a change that must land over that very object
/// ([`Upload::commit_over`]): the generation of its bytes (a header change keeps it), or
/// [`Version::NONE`] for no object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version(Option<VersionId>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum VersionId {
    Memory(u64),
    /// The `g:` line of the object file.
    Disk(String),
}

impl Version {
    /// No object.
    pub const NONE: Version = Version(None);
}

/// The generation of the next object stored in memory.
static MEM_GENERATION: AtomicU64 = AtomicU64::new(1);

/// The headers a stored header line list may hold.
type StoredHeaders = Vec<(String, String)>;

/// Reads the header of an object file; returns (header length, etag, key, stored headers,
/// generation).
async fn read_header(
    file: &mut tokio::fs::File,
) -> io::Result<(u64, String, String, StoredHeaders, String)> {
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
    let first = lines.next().ok_or_else(bad)?;
    // Version 1 files (content type only) are still read.
    let etag = first
        .strip_prefix(MAGIC)
        .or_else(|| first.strip_prefix(MAGIC_V1))
        .ok_or_else(bad)?
        .to_owned();
    let mut key = None;
    let mut generation = String::new();
    let mut headers = Vec::new();
    let mut crc = None;
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    for line in lines {
        if let Some(k) = line.strip_prefix("key: ") {
            key = Some(decode(k));
        } else if let Some(c) = line.strip_prefix(CRC_LINE) {
            crc = Some(c.parse::<u64>().map_err(|_| bad())?);
        } else if let Some(g) = line.strip_prefix("g: ") {
            g.clone_into(&mut generation);
        } else if let Some(c) = line.strip_prefix("content-type: ") {
            headers.push(("content-type".to_owned(), c.to_owned()));
        } else if let Some(h) = line.strip_prefix("h: ")
            && let Some((n, v)) = h.split_once(' ')
        {
            headers.push((decode(n), decode(v)));
        }
    }
    // After the stored headers (`content-type` first), as in memory.
    if let Some(crc) = crc {
        headers.push((crc64::HEADER.to_owned(), crc.to_string()));
    }
    Ok((end as u64, etag, key.ok_or_else(bad)?, headers, generation))
}

/// A name no other object file has had: the time, the process and a counter.
fn new_generation() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos:x}.{:x}.{:x}",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Opens `path` for reading; `None` when there is nothing there (no such file, or a part of
/// the path is a file: a key below another key's file).
async fn open_if_there(path: &Path) -> io::Result<Option<tokio::fs::File>> {
    match tokio::fs::File::open(path).await {
        Ok(f) => Ok(Some(f)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The override file of an object (see the module docs).
fn override_path(dir: &Path, bucket: &str, key: &str) -> PathBuf {
    dir.join(META_DIR).join(bucket).join(file_name(key))
}

/// The overrides of an object file of `generation`: each header name with its value, or
/// `None` when removed; `None` when there is no override file for that generation.
async fn read_overrides(
    dir: &Path,
    bucket: &str,
    key: &str,
    generation: &str,
) -> io::Result<Option<Vec<(String, Option<String>)>>> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "not an override file");
    let Some(file) = open_if_there(&override_path(dir, bucket, key)).await? else {
        return Ok(None);
    };
    let mut text = String::new();
    file.take(MAX_HEADER as u64 + 1)
        .read_to_string(&mut text)
        .await?;
    if text.len() > MAX_HEADER {
        return Err(bad());
    }
    let mut lines = text.lines();
    let of = lines
        .next()
        .and_then(|l| l.strip_prefix(OVERRIDE_MAGIC))
        .ok_or_else(bad)?;
    if of != generation {
        return Ok(None);
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut out = Vec::new();
    for line in lines {
        if let Some(h) = line.strip_prefix("h: ") {
            let (n, v) = h.split_once(' ').ok_or_else(bad)?;
            out.push((decode(n), Some(decode(v))));
        } else if let Some(n) = line.strip_prefix("d: ") {
            out.push((decode(n), None));
        } else {
            return Err(bad());
        }
    }
    Ok(Some(out))
}

/// Applies the override file of an object file of `generation`, if any, to its headers.
async fn apply_overrides(
    dir: &Path,
    bucket: &str,
    key: &str,
    generation: &str,
    headers: &mut StoredHeaders,
) -> io::Result<()> {
    for (name, value) in read_overrides(dir, bucket, key, generation)
        .await?
        .unwrap_or_default()
    {
        headers.retain(|(n, _)| *n != name);
        if let Some(v) = value {
            headers.push((name, v));
        }
    }
    Ok(())
}

/// Writes the override file of an object file of `generation` (replacing any), under the
/// store's lock.
async fn write_overrides(
    dir: &Path,
    bucket: &str,
    key: &str,
    generation: &str,
    overrides: &[(String, Option<String>)],
) -> io::Result<()> {
    let mut text = format!("{OVERRIDE_MAGIC}{generation}\n");
    for (n, v) in overrides {
        let n = utf8_percent_encode(n, KEY_SET);
        match v {
            Some(v) => text.push_str(&format!("h: {n} {}\n", utf8_percent_encode(v, KEY_SET))),
            None => text.push_str(&format!("d: {n}\n")),
        }
    }
    let root = dir.join(META_DIR);
    let dest = override_path(dir, bucket, key);
    let parent = dest.parent().map(Path::to_path_buf);
    if let Some(p) = &parent {
        tokio::fs::create_dir_all(p).await?;
    }
    let (mut tmp, mut guard) = TempFile::create(&root).await?;
    tmp.write_all(text.as_bytes()).await?;
    tmp.flush().await?;
    tmp.get_ref().sync_all().await?;
    drop(tmp);
    guard.persist(&dest).await?;
    sync_dir(parent.as_deref()).await
}

/// The relative path of a key's file under its bucket folder (see the module docs).
pub(crate) fn file_name(key: &str) -> PathBuf {
    let mut name = utf8_percent_encode(key, KEY_SET).to_string();
    if name.starts_with('.') {
        name.replace_range(..1, "%2E");
    }
    if name.len() <= MAX_NAME {
        return PathBuf::from(name);
    }
    // Encoded names are ASCII, so byte pieces are valid strings.
    let bytes = name.as_bytes();
    let mut path = PathBuf::from(LONG_DIR);
    let mut pieces = bytes.chunks(MAX_NAME).peekable();
    while let Some(piece) = pieces.next() {
        let piece = String::from_utf8_lossy(piece);
        let kind = if pieces.peek().is_some() { 'd' } else { 'f' };
        path.push(format!("{kind}{piece}"));
    }
    path
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

    #[tokio::test]
    async fn version_1_files_are_read() {
        let dir = std::env::temp_dir().join(format!("cos-sign-v1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("obj");
        let etag = "0123456789abcdef0123456789abcdef";
        std::fs::write(
            &path,
            format!("{MAGIC_V1}{etag}\nkey: a%20b\ncontent-type: text/plain\n\nbytes"),
        )
        .unwrap();
        let mut f = tokio::fs::File::open(&path).await.unwrap();
        let (len, e, key, headers, generation) = read_header(&mut f).await.unwrap();
        assert_eq!(generation, "");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!((e.as_str(), key.as_str()), (etag, "a b"));
        assert_eq!(
            headers,
            vec![("content-type".to_owned(), "text/plain".to_owned())]
        );
        let header = format!("{MAGIC_V1}{etag}\nkey: a%20b\ncontent-type: text/plain\n\n");
        assert_eq!(len as usize, header.len());
    }

    async fn headers_of(store: &Store) -> StoredHeaders {
        store.get("b", "k", true).await.unwrap().unwrap().0.headers
    }

    /// On disk, header changes of two names (an ACL and tags) go to one override file and
    /// both apply; the object file is untouched; removing one keeps the other; a new upload
    /// of the key (a new generation) takes neither.
    #[tokio::test]
    async fn disk_header_changes_are_overrides_of_their_object_file() {
        let dir = std::env::temp_dir().join(format!("cos-sign-overrides-{}", std::process::id()));
        let store = Store::open(&Storage::Disk(dir.clone()), 0).await.unwrap();
        let t = SystemTime::UNIX_EPOCH;
        let put = |body: &'static [u8]| {
            let store = &store;
            async move {
                let headers = vec![("content-type".to_owned(), "text/plain".to_owned())];
                let mut up = store.begin("b", "k", headers).await.unwrap();
                up.write(body).await.unwrap();
                up.commit(store, t).await.unwrap();
            }
        };
        put(b"bytes").await;
        let file = Store::object_path(&dir, "b", "k");
        let before = std::fs::read(&file).unwrap();
        assert!(
            store
                .set_header("b", "k", "x-cos-acl", Some("public-read"))
                .await
                .unwrap()
        );
        assert!(
            store
                .set_header("b", "k", "x-cos-tagging", Some("a=1"))
                .await
                .unwrap()
        );
        assert!(
            store
                .set_header("b", "k", "x-cos-tagging", Some("a=2"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_header("b", "gone", "x-cos-acl", None)
                .await
                .unwrap()
        );
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        // CRC-64s of the bytes, from crcmod (see `crc64`).
        let crc = |v: &str| pair(crc64::HEADER, v);
        assert_eq!(
            headers_of(&store).await,
            vec![
                pair("content-type", "text/plain"),
                crc("12326705469913666358"),
                pair("x-cos-acl", "public-read"),
                pair("x-cos-tagging", "a=2")
            ]
        );
        assert_eq!(std::fs::read(&file).unwrap(), before);
        assert!(store.set_header("b", "k", "x-cos-acl", None).await.unwrap());
        assert_eq!(
            headers_of(&store).await,
            vec![
                pair("content-type", "text/plain"),
                crc("12326705469913666358"),
                pair("x-cos-tagging", "a=2")
            ]
        );
        put(b"again").await;
        assert_eq!(
            headers_of(&store).await,
            vec![
                pair("content-type", "text/plain"),
                crc("2735178203763289025")
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Both stores keep the CRC-64 of the bytes written (in pieces), not one the headers
    /// given bring (a copy's are its source's); a preset ETag (Complete) keeps its own slot;
    /// an object file written before CRCs were kept has none, and its bytes read as before.
    #[tokio::test]
    async fn the_crc64_of_the_bytes_is_kept() {
        let dir = std::env::temp_dir().join(format!("cos-sign-crc64-{}", std::process::id()));
        let disk = Store::open(&Storage::Disk(dir.clone()), 0).await.unwrap();
        let memory = Store::open(&Storage::Memory, 1 << 20).await.unwrap();
        let stale = vec![
            ("content-type".to_owned(), "text/plain".to_owned()),
            (crc64::HEADER.to_owned(), "1".to_owned()),
        ];
        for store in [&disk, &memory] {
            for etag in [None, Some("0123456789abcdef0123456789abcdef-2".to_owned())] {
                let mut up = store
                    .begin_with_etag("b", "k", stale.clone(), etag.clone())
                    .await
                    .unwrap();
                up.write(b"a").await.unwrap();
                up.write(b"bc").await.unwrap();
                assert_eq!(up.crc64(), 3_231_342_946_509_354_535);
                up.commit(store, SystemTime::UNIX_EPOCH).await.unwrap();
                let (meta, content) = store.get("b", "k", false).await.unwrap().unwrap();
                let crcs: Vec<&str> = meta
                    .headers
                    .iter()
                    .filter(|(n, _)| n == crc64::HEADER)
                    .map(|(_, v)| v.as_str())
                    .collect();
                assert_eq!(crcs, ["3231342946509354535"]);
                let want = etag.unwrap_or_else(|| "900150983cd24fb0d6963f7d28e17f72".to_owned());
                assert_eq!((meta.etag.as_str(), meta.len), (want.as_str(), 3));
                let mut body = ContentBody::new(content.unwrap(), meta.len);
                let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(frame.into_data().unwrap(), Bytes::from_static(b"abc"));
            }
        }
        // A file of the same version without a `c:` line.
        let etag = "0123456789abcdef0123456789abcdef";
        let file = Store::object_path(&dir, "b", "old");
        std::fs::write(&file, format!("{MAGIC}{etag}\nkey: old\ng: 1\n\nxyz")).unwrap();
        let (meta, _) = disk.get("b", "old", true).await.unwrap().unwrap();
        assert_eq!((meta.len, meta.headers.len()), (3, 0));
        // A `c:` line that holds no number is no object file.
        std::fs::write(&file, format!("{MAGIC}{etag}\nc: x\nkey: old\n\nxyz")).unwrap();
        assert!(disk.get("b", "old", true).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn used(store: &Store) -> u64 {
        match store {
            Store::Memory { used, .. } => used.load(Ordering::Acquire),
            Store::Disk(..) => u64::MAX,
        }
    }

    #[tokio::test]
    async fn racing_overwrites_and_deletes_count_each_byte_once() {
        let store = Store::open(&Storage::Memory, 100).await.unwrap();
        let t = SystemTime::UNIX_EPOCH;
        let mut first = store.begin("b", "k", Vec::new()).await.unwrap();
        first.write(&[1; 60]).await.unwrap();
        first.commit(&store, t).await.unwrap();
        assert_eq!(used(&store), 60);
        // A claims the 60 bytes; B, beginning later, cannot, so only A fits 90 bytes.
        let mut a = store.begin("b", "k", Vec::new()).await.unwrap();
        let mut b = store.begin("b", "k", Vec::new()).await.unwrap();
        a.write(&[2; 90]).await.unwrap();
        assert_eq!(used(&store), 90);
        assert!(matches!(b.write(&[3; 20]).await, Err(WriteError::Full)));
        b.write(&[3; 10]).await.unwrap();
        // B lands first (A's claimed object leaves the map), then A.
        b.commit(&store, t).await.unwrap();
        assert_eq!(used(&store), 100);
        a.commit(&store, t).await.unwrap();
        assert_eq!(used(&store), 90);
        // A claimant dropped after its object was deleted gives the bytes back once.
        let mut c = store.begin("b", "k", Vec::new()).await.unwrap();
        c.write(&[4; 50]).await.unwrap();
        store.delete("b", "k").await.unwrap();
        assert_eq!(used(&store), 90);
        drop(c);
        assert_eq!(used(&store), 0);
        // A claimant dropped while its object stays: the object keeps its count.
        let mut d = store.begin("b", "k", Vec::new()).await.unwrap();
        d.write(&[5; 40]).await.unwrap();
        d.commit(&store, t).await.unwrap();
        let e = store.begin("b", "k", Vec::new()).await.unwrap();
        drop(e);
        assert_eq!(used(&store), 40);
        store.delete("b", "k").await.unwrap();
        assert_eq!(used(&store), 0);
    }

    #[tokio::test]
    async fn header_changes_keep_the_count_with_and_without_a_claimant() {
        let store = Store::open(&Storage::Memory, 100).await.unwrap();
        let t = SystemTime::UNIX_EPOCH;
        let mut first = store.begin("b", "k", Vec::new()).await.unwrap();
        first.write(&[1; 60]).await.unwrap();
        first.commit(&store, t).await.unwrap();
        let tag = Some("a=1");
        assert!(
            store
                .set_header("b", "k", "x-cos-tagging", tag)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_header("b", "gone", "x-cos-tagging", tag)
                .await
                .unwrap()
        );
        assert_eq!(used(&store), 60);
        let (meta, _) = store.get("b", "k", true).await.unwrap().unwrap();
        assert_eq!((meta.len, meta.modified), (60, t));
        // (The CRC-64 of the 60 bytes from crcmod, see `crc64`.)
        assert_eq!(
            meta.headers,
            vec![
                (crc64::HEADER.into(), "17523276967619283551".into()),
                ("x-cos-tagging".into(), "a=1".into())
            ]
        );
        // An upload claimed the object: the retagged one counts anew until the upload ends,
        // then its 30 bytes are all that is counted.
        let mut a = store.begin("b", "k", Vec::new()).await.unwrap();
        assert!(
            store
                .set_header("b", "k", "x-cos-tagging", None)
                .await
                .unwrap()
        );
        assert_eq!(used(&store), 120);
        a.write(&[2; 30]).await.unwrap();
        a.commit(&store, t).await.unwrap();
        assert_eq!(used(&store), 30);
        store.delete("b", "k").await.unwrap();
        assert_eq!(used(&store), 0);
    }

    /// An upload over a version lands only while that version is in place; a header change
    /// made meanwhile (an ACL) is no other version, and the new object keeps it.
    async fn commit_over_keeps_to_its_version(store: &Store) {
        let t = SystemTime::UNIX_EPOCH;
        let put = |body: &'static [u8]| async move {
            let mut up = store.begin("b", "k", Vec::new()).await.unwrap();
            up.write(body).await.unwrap();
            up.commit(store, t).await.unwrap();
        };
        // Over no object: only while there is none.
        let mut first = store.begin("b", "k", Vec::new()).await.unwrap();
        first.write(b"a").await.unwrap();
        put(b"other").await;
        assert_eq!(
            first.commit_over(store, t, &Version::NONE).await.unwrap(),
            None
        );
        store.delete("b", "k").await.unwrap();
        let mut first = store.begin("b", "k", Vec::new()).await.unwrap();
        first.write(b"a").await.unwrap();
        assert!(
            first
                .commit_over(store, t, &Version::NONE)
                .await
                .unwrap()
                .is_some()
        );

        let (_, _, v) = store.get_versioned("b", "k", true).await.unwrap().unwrap();
        let mut next = store.begin("b", "k", Vec::new()).await.unwrap();
        next.write(b"ab").await.unwrap();
        assert!(
            store
                .set_header("b", "k", "x-cos-acl", Some("public-read"))
                .await
                .unwrap()
        );
        assert!(next.commit_over(store, t, &v).await.unwrap().is_some());
        let (meta, _) = store.get("b", "k", true).await.unwrap().unwrap();
        assert_eq!(meta.len, 2);
        // the ACL kept, and the CRC-64 of the new bytes (not the old object's)
        // (in any order: the disk store reads the CRC from its own line)
        let mut crc = Crc64::new();
        crc.update(b"ab");
        let mut headers = meta.headers.clone();
        headers.sort();
        assert_eq!(
            headers,
            vec![
                ("x-cos-acl".into(), "public-read".into()),
                (crc64::HEADER.into(), crc.value().to_string())
            ]
        );

        // Another upload landed: the version read is gone.
        let (_, _, v) = store.get_versioned("b", "k", true).await.unwrap().unwrap();
        let mut late = store.begin("b", "k", Vec::new()).await.unwrap();
        late.write(b"abc").await.unwrap();
        put(b"xyz!").await;
        assert_eq!(late.commit_over(store, t, &v).await.unwrap(), None);
        assert_eq!(store.get("b", "k", true).await.unwrap().unwrap().0.len, 4);
        store.delete("b", "k").await.unwrap();
    }

    #[tokio::test]
    async fn commit_over_in_memory() {
        let store = Store::open(&Storage::Memory, 100).await.unwrap();
        commit_over_keeps_to_its_version(&store).await;
        assert_eq!(used(&store), 0);
    }

    #[tokio::test]
    async fn commit_over_on_disk() {
        let dir = std::env::temp_dir().join(format!("cos-sign-over-{}", std::process::id()));
        let store = Store::open(&Storage::Disk(dir.clone()), 0).await.unwrap();
        commit_over_keeps_to_its_version(&store).await;
        let left: Vec<_> = std::fs::read_dir(dir.join("b")).unwrap().collect();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn file_names_stay_inside_the_bucket_folder() {
        assert_eq!(file_name("a/b c.txt"), PathBuf::from("a%2Fb%20c.txt"));
        assert_eq!(file_name(".."), PathBuf::from("%2E."));
        assert_eq!(file_name("."), PathBuf::from("%2E"));
        assert_eq!(file_name("腾"), PathBuf::from("%E8%85%BE"));
    }

    #[test]
    fn long_keys_get_distinct_paths_without_hashing() {
        let a = "k".repeat(400);
        let b = format!("{a}..");
        let c = "k".repeat(401);
        let pa = file_name(&a);
        let pb = file_name(&b);
        let pc = file_name(&c);
        assert_eq!(
            pa,
            PathBuf::from(LONG_DIR)
                .join(format!("d{}", "k".repeat(200)))
                .join(format!("f{}", "k".repeat(200)))
        );
        assert_eq!(pb.file_name().and_then(|f| f.to_str()), Some("f.."));
        assert!(pa != pb && pb != pc && pa != pc);
        for p in [&pa, &pb, &pc] {
            assert!(
                p.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            );
        }
    }
}
