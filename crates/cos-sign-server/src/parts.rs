//! Multipart uploads in progress: their parts, in memory or on disk.
//!
//! On disk an upload is a folder `<dir>/.uploads/<bucket>/<upload id>/` (a bucket name never
//! starts with `.`, so it is never a bucket folder), holding `info` (the key, the
//! metadata of the object to be, and whether an unsigned request initiated it) and one file
//! per part, `<part number>.<md5 hex>`. A part is
//! streamed into a `.tmp-*` file of that folder and renamed into place once it is whole, so
//! a part is either complete or absent. Nothing here is visible as an object: Complete copies
//! the parts into a new object file that is renamed into place atomically (see `store`),
//! then removes the folder. Abort removes it; uploads untouched for longer than the server's
//! upload expiry are removed by [`Parts::sweep`].

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::io::AsyncWriteExt;

use super::Storage;
use super::crc64::Crc64;
use super::store::{
    Claim, Content, Held, Reservation, TempFile, hex, release, room_replacing, set_modified,
};

const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Largest upload id accepted from a request.
const MAX_ID: usize = 64;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A multipart upload's object to be.
#[derive(Debug, Clone)]
pub(crate) struct UploadInfo {
    pub key: String,
    /// The headers the object will store (`content-type` first).
    pub headers: Vec<(String, String)>,
    pub initiated: SystemTime,
    /// Initiated by an unsigned request (see `anonymous`): only such an upload takes unsigned
    /// parts and an unsigned Complete.
    pub anonymous: bool,
}

/// One stored part.
#[derive(Debug, Clone)]
pub(crate) struct PartInfo {
    pub number: u32,
    /// MD5 hex, unquoted.
    pub etag: String,
    pub size: u64,
    pub modified: SystemTime,
}

pub(crate) struct MemUpload {
    info: UploadInfo,
    touched: SystemTime,
    parts: BTreeMap<u32, Arc<MemPart>>,
}

/// A part of an in-memory upload.
pub(crate) struct MemPart {
    info: PartInfo,
    data: Bytes,
    /// Who counts its bytes in the uploads' `used`: the upload, or the one upload of the
    /// same part number that claimed it to replace it (see [`Claim`]).
    claim: Claim,
}

impl Held for MemPart {
    fn claim(&self) -> &Claim {
        &self.claim
    }
    fn held_len(&self) -> u64 {
        self.info.size
    }
}

/// Uploads in memory, and the bytes their parts hold (counted against a cap, as the memory
/// store's objects are).
pub(crate) struct MemUploads {
    map: Mutex<HashMap<(String, String), MemUpload>>,
    used: Arc<AtomicU64>,
    cap: u64,
}

impl std::ops::Deref for MemUploads {
    type Target = Mutex<HashMap<(String, String), MemUpload>>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl MemUploads {
    /// `f` of the upload `id` of `bucket`, under the lock (`None`: no such upload).
    fn with<T>(
        &self,
        bucket: &str,
        id: &str,
        f: impl FnOnce(&MemUpload) -> T,
    ) -> io::Result<Option<T>> {
        Ok(self
            .lock()
            .map_err(|_| poisoned())?
            .get(&(bucket.to_owned(), id.to_owned()))
            .map(f))
    }
}

/// An upload leaves the map: the bytes of its parts to give back now (a part being replaced
/// gives its bytes back when its claimant ends). Called once per upload, as it leaves.
fn retire_parts(u: &MemUpload) -> u64 {
    u.parts
        .values()
        .fold(0, |n, p| n.saturating_add(p.retire()))
}

pub(crate) enum Parts {
    Memory(MemUploads),
    Disk(PathBuf),
}

/// Whether a request's upload id can be one of ours (and is safe as a file name).
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn poisoned() -> io::Error {
    io::Error::other("upload lock poisoned")
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Parts {
    /// `memory_cap`: the most bytes the parts of in-memory uploads may hold together.
    pub async fn open(storage: &Storage, memory_cap: u64) -> io::Result<Self> {
        Ok(match storage {
            Storage::Memory => Parts::Memory(MemUploads {
                map: Mutex::new(HashMap::new()),
                used: Arc::new(AtomicU64::new(0)),
                cap: memory_cap,
            }),
            Storage::Disk(dir) => {
                let root = dir.join(".uploads");
                tokio::fs::create_dir_all(&root).await?;
                Parts::Disk(root)
            }
        })
    }

    fn folder(root: &Path, bucket: &str, id: &str) -> PathBuf {
        root.join(bucket).join(id)
    }

    /// Starts an upload, initiated at `now` (the server's clock), by an unsigned request
    /// when `anonymous`; returns its id (hex, ordered by creation time).
    pub async fn create(
        &self,
        bucket: &str,
        key: &str,
        headers: Vec<(String, String)>,
        now: SystemTime,
        anonymous: bool,
    ) -> io::Result<String> {
        let nanos = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let id = format!(
            "{nanos:024x}{:08x}{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff
        );
        let info = UploadInfo {
            key: key.to_owned(),
            headers,
            initiated: now,
            anonymous,
        };
        match self {
            Parts::Memory(m) => {
                m.lock().map_err(|_| poisoned())?.insert(
                    (bucket.to_owned(), id.clone()),
                    MemUpload {
                        info,
                        touched: now,
                        parts: BTreeMap::new(),
                    },
                );
            }
            Parts::Disk(root) => {
                let folder = Self::folder(root, bucket, &id);
                tokio::fs::create_dir_all(&folder).await?;
                let mut text = format!(
                    "key: {}\ninitiated: {}\n",
                    utf8_percent_encode(key, ENCODE),
                    secs(now),
                );
                if anonymous {
                    text.push_str("anonymous: 1\n");
                }
                for (n, v) in &info.headers {
                    text.push_str(&format!(
                        "meta: {}:{}\n",
                        utf8_percent_encode(n, ENCODE),
                        utf8_percent_encode(v, ENCODE)
                    ));
                }
                let tmp = folder.join(".tmp-info");
                let mut f = tokio::fs::File::create(&tmp).await?;
                f.write_all(text.as_bytes()).await?;
                // Its time is when the upload was last touched (see `sweep`).
                set_modified(&f, now).await?;
                drop(f);
                tokio::fs::rename(&tmp, folder.join("info")).await?;
            }
        }
        Ok(id)
    }

    /// The upload, if it exists in this bucket.
    pub async fn info(&self, bucket: &str, id: &str) -> io::Result<Option<UploadInfo>> {
        if !valid_id(id) {
            return Ok(None);
        }
        match self {
            Parts::Memory(m) => m.with(bucket, id, |u| u.info.clone()),
            Parts::Disk(root) => read_info(&Self::folder(root, bucket, id)).await,
        }
    }

    /// Bytes the in-memory uploads can still take for part `number` of upload `id`, counting
    /// the part it would replace as freed when no other upload of that number claimed it
    /// (`None` on disk: no cap).
    pub fn room_for(&self, bucket: &str, id: &str, number: u32) -> Option<u64> {
        match self {
            Parts::Memory(m) => {
                let room = |replaced: Option<&MemPart>| room_replacing(&m.used, m.cap, replaced);
                let with_part = m.with(bucket, id, |u| room(u.parts.get(&number).map(Arc::as_ref)));
                Some(with_part.ok().flatten().unwrap_or_else(|| room(None)))
            }
            Parts::Disk(_) => None,
        }
    }

    /// Starts receiving part `number` of an upload (`None`: no such upload).
    pub async fn begin_part(
        &self,
        bucket: &str,
        id: &str,
        number: u32,
    ) -> io::Result<Option<PartWriter>> {
        if self.info(bucket, id).await?.is_none() {
            return Ok(None);
        }
        let sink = match self {
            Parts::Memory(m) => {
                let map = m.lock().map_err(|_| poisoned())?;
                let Some(u) = map.get(&(bucket.to_owned(), id.to_owned())) else {
                    // Aborted meanwhile.
                    return Ok(None);
                };
                let reservation = Reservation::new(&m.used, m.cap, u.parts.get(&number));
                drop(map);
                PartSink::Memory {
                    buf: Vec::new(),
                    reservation,
                }
            }
            Parts::Disk(root) => {
                let folder = Self::folder(root, bucket, id);
                let (file, tmp) = match TempFile::create(&folder).await {
                    Ok(f) => f,
                    // Aborted meanwhile.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                };
                PartSink::Disk { file, tmp, folder }
            }
        };
        Ok(Some(PartWriter {
            sink,
            md5: Md5::new(),
            crc: Crc64::new(),
            len: 0,
            bucket: bucket.to_owned(),
            id: id.to_owned(),
            number,
        }))
    }

    /// The parts of an upload, by number (`None`: no such upload).
    pub async fn parts(&self, bucket: &str, id: &str) -> io::Result<Option<Vec<PartInfo>>> {
        if !valid_id(id) {
            return Ok(None);
        }
        match self {
            Parts::Memory(m) => m.with(bucket, id, |u| {
                u.parts.values().map(|p| p.info.clone()).collect()
            }),
            Parts::Disk(root) => {
                let folder = Self::folder(root, bucket, id);
                let mut rd = match tokio::fs::read_dir(&folder).await {
                    Ok(rd) => rd,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                };
                let mut parts: BTreeMap<u32, PartInfo> = BTreeMap::new();
                while let Some(entry) = rd.next_entry().await? {
                    let name = entry.file_name();
                    let Some((n, etag)) = name.to_str().and_then(|n| n.split_once('.')) else {
                        continue;
                    };
                    let Ok(number) = n.parse::<u32>() else {
                        continue;
                    };
                    let Ok(meta) = entry.metadata().await else {
                        continue;
                    };
                    let part = PartInfo {
                        number,
                        etag: etag.to_owned(),
                        size: meta.len(),
                        modified: meta.modified().unwrap_or(UNIX_EPOCH),
                    };
                    // Two files for one number only while a part is being replaced.
                    match parts.get(&number) {
                        Some(old) if old.modified > part.modified => {}
                        _ => {
                            parts.insert(number, part);
                        }
                    }
                }
                if parts.is_empty() && !folder.join("info").exists() {
                    return Ok(None);
                }
                Ok(Some(parts.into_values().collect()))
            }
        }
    }

    /// The bytes of a stored part.
    pub async fn open_part(&self, bucket: &str, id: &str, part: &PartInfo) -> io::Result<Content> {
        match self {
            Parts::Memory(m) => m
                .with(bucket, id, |u| {
                    u.parts
                        .get(&part.number)
                        .filter(|p| p.info.etag == part.etag)
                        .map(|p| Content::Memory(p.data.clone()))
                })?
                .flatten()
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "part gone")),
            Parts::Disk(root) => {
                let path = Self::folder(root, bucket, id)
                    .join(format!("{:05}.{}", part.number, part.etag));
                Ok(Content::File(tokio::fs::File::open(path).await?))
            }
        }
    }

    /// Removes an upload and its parts; `false` when there was none.
    pub async fn remove(&self, bucket: &str, id: &str) -> io::Result<bool> {
        if !valid_id(id) {
            return Ok(false);
        }
        match self {
            Parts::Memory(m) => {
                let gone = m
                    .lock()
                    .map_err(|_| poisoned())?
                    .remove(&(bucket.to_owned(), id.to_owned()));
                if let Some(u) = &gone {
                    release(&m.used, retire_parts(u));
                }
                Ok(gone.is_some())
            }
            Parts::Disk(root) => {
                match tokio::fs::remove_dir_all(Self::folder(root, bucket, id)).await {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Every bucket that may hold uploads (in memory: holds one; on disk: has a folder), in
    /// no particular order; [`uploads`](Self::uploads) tells which hold one.
    pub async fn bucket_names(&self) -> io::Result<Vec<String>> {
        match self {
            Parts::Memory(m) => {
                let mut names: Vec<String> = m
                    .lock()
                    .map_err(|_| poisoned())?
                    .keys()
                    .map(|(b, _)| b.clone())
                    .collect();
                names.sort_unstable();
                names.dedup();
                Ok(names)
            }
            Parts::Disk(root) => {
                let mut names = Vec::new();
                let mut rd = tokio::fs::read_dir(root).await?;
                while let Some(e) = rd.next_entry().await? {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if !name.starts_with('.') && e.file_type().await?.is_dir() {
                        names.push(name);
                    }
                }
                Ok(names)
            }
        }
    }

    /// Every upload of a bucket: (id, info), sorted by key then id (creation order).
    pub async fn uploads(&self, bucket: &str) -> io::Result<Vec<(String, UploadInfo)>> {
        let mut out: Vec<(String, UploadInfo)> = match self {
            Parts::Memory(m) => m
                .lock()
                .map_err(|_| poisoned())?
                .iter()
                .filter(|((b, _), _)| b == bucket)
                .map(|((_, id), u)| (id.clone(), u.info.clone()))
                .collect(),
            Parts::Disk(root) => {
                let mut out = Vec::new();
                let mut rd = match tokio::fs::read_dir(root.join(bucket)).await {
                    Ok(rd) => rd,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(e),
                };
                while let Some(entry) = rd.next_entry().await? {
                    let id = entry.file_name().to_string_lossy().into_owned();
                    if !valid_id(&id) {
                        continue;
                    }
                    if let Ok(Some(info)) = read_info(&entry.path()).await {
                        out.push((id, info));
                    }
                }
                out
            }
        };
        out.sort_by(|a, b| (a.1.key.as_bytes(), &a.0).cmp(&(b.1.key.as_bytes(), &b.0)));
        Ok(out)
    }

    /// Removes the uploads no part has reached for longer than `expiry` at `now` (the
    /// server's clock). Returns how many.
    pub async fn sweep(&self, expiry: Duration, now: SystemTime) -> io::Result<usize> {
        let stale = |t: SystemTime| now.duration_since(t).is_ok_and(|d| d > expiry);
        match self {
            Parts::Memory(m) => {
                let mut map = m.lock().map_err(|_| poisoned())?;
                let before = map.len();
                let mut freed = 0;
                map.retain(|_, u| {
                    let keep = !stale(u.touched);
                    if !keep {
                        freed += retire_parts(u);
                    }
                    keep
                });
                release(&m.used, freed);
                Ok(before - map.len())
            }
            Parts::Disk(root) => {
                let mut removed = 0;
                let mut buckets = tokio::fs::read_dir(root).await?;
                while let Some(b) = buckets.next_entry().await? {
                    let Ok(mut uploads) = tokio::fs::read_dir(b.path()).await else {
                        continue;
                    };
                    while let Some(u) = uploads.next_entry().await? {
                        // The info file and each part carry the server's clock when written.
                        let touched = last_touched(&u.path()).await;
                        if touched.is_ok_and(stale)
                            && tokio::fs::remove_dir_all(u.path()).await.is_ok()
                        {
                            removed += 1;
                        }
                    }
                }
                Ok(removed)
            }
        }
    }
}

/// The latest time of an upload folder's files (its info and parts, whose times are the
/// server's clock when they were written); the folder's own time if it holds none.
async fn last_touched(folder: &Path) -> io::Result<SystemTime> {
    let mut latest = None;
    let mut rd = tokio::fs::read_dir(folder).await?;
    while let Some(entry) = rd.next_entry().await? {
        if let Ok(t) = entry.metadata().await.and_then(|m| m.modified()) {
            latest = latest.max(Some(t));
        }
    }
    match latest {
        Some(t) => Ok(t),
        None => tokio::fs::metadata(folder).await?.modified(),
    }
}

async fn read_info(folder: &Path) -> io::Result<Option<UploadInfo>> {
    let text = match tokio::fs::read_to_string(folder.join("info")).await {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut key = None;
    let mut info = UploadInfo {
        key: String::new(),
        headers: Vec::new(),
        initiated: UNIX_EPOCH,
        anonymous: false,
    };
    for line in text.lines() {
        if let Some(k) = line.strip_prefix("key: ") {
            key = Some(decode(k));
        } else if let Some(t) = line.strip_prefix("initiated: ") {
            info.initiated = UNIX_EPOCH + Duration::from_secs(t.parse().unwrap_or(0));
        } else if line == "anonymous: 1" {
            info.anonymous = true;
        } else if let Some((n, v)) = line.strip_prefix("meta: ").and_then(|m| m.split_once(':')) {
            info.headers.push((decode(n), decode(v)));
        }
    }
    Ok(key.map(|k| UploadInfo { key: k, ..info }))
}

enum PartSink {
    Memory {
        buf: Vec<u8>,
        /// The uploads' bytes this part holds, and the part of its number it replaces.
        reservation: Reservation<MemPart>,
    },
    Disk {
        file: tokio::io::BufWriter<tokio::fs::File>,
        tmp: TempFile,
        folder: PathBuf,
    },
}

/// A part being received. Dropping it discards it.
pub(crate) struct PartWriter {
    sink: PartSink,
    md5: Md5,
    crc: Crc64,
    len: u64,
    bucket: String,
    id: String,
    number: u32,
}

impl PartWriter {
    /// Receives `data`; nothing of it is kept (or counted) when it is refused.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            PartSink::Memory { buf, reservation } => {
                if !reservation.reserve(data.len() as u64) {
                    return Err(io::Error::new(
                        io::ErrorKind::StorageFull,
                        "memory store full",
                    ));
                }
                buf.extend_from_slice(data);
            }
            PartSink::Disk { file, .. } => file.write_all(data).await?,
        }
        self.md5.update(data);
        self.crc.update(data);
        self.len += data.len() as u64;
        Ok(())
    }

    pub fn digest(&self) -> [u8; 16] {
        self.md5.clone().finalize().into()
    }

    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The CRC-64 (`x-cos-hash-crc64ecma`) of the bytes received.
    pub fn crc64(&self) -> u64 {
        self.crc.value()
    }

    /// Stores the part (replacing one of the same number), last modified at `now` (the
    /// server's clock). `Ok(None)`: the upload is gone.
    pub async fn commit(mut self, parts: &Parts, now: SystemTime) -> io::Result<Option<String>> {
        let etag = hex(&self.digest());
        let info = PartInfo {
            number: self.number,
            etag: etag.clone(),
            size: self.len,
            modified: now,
        };
        match &mut self.sink {
            PartSink::Memory { buf, reservation } => {
                let Parts::Memory(m) = parts else {
                    return Err(io::Error::other("part and store differ"));
                };
                let mut map = m.lock().map_err(|_| poisoned())?;
                let Some(u) = map.get_mut(&(self.bucket.clone(), self.id.clone())) else {
                    // Aborted, completed or swept meanwhile: dropping this part gives back
                    // what it holds and what it claimed.
                    return Ok(None);
                };
                u.touched = info.modified;
                let part = MemPart {
                    info,
                    data: Bytes::from(std::mem::take(buf)),
                    claim: Claim::new(),
                };
                let old = u.parts.insert(self.number, Arc::new(part));
                reservation.settle(old);
            }
            PartSink::Disk { file, tmp, folder } => {
                file.flush().await?;
                set_modified(file.get_ref(), now).await?;
                file.get_ref().sync_all().await?;
                let prefix = format!("{:05}.", self.number);
                let name = format!("{prefix}{etag}");
                match tmp.persist(&folder.join(&name)).await {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                }
                // The part this one replaces.
                if let Ok(mut rd) = tokio::fs::read_dir(&*folder).await {
                    while let Ok(Some(entry)) = rd.next_entry().await {
                        let n = entry.file_name();
                        let n = n.to_string_lossy();
                        if n.starts_with(&prefix) && n != name {
                            let _ = tokio::fs::remove_file(entry.path()).await;
                        }
                    }
                }
            }
        }
        Ok(Some(etag))
    }
}

/// COS's multipart ETag: MD5 of the parts' binary MD5s, `-`, the number of parts.
pub(crate) fn multipart_etag(part_etags: &[&str]) -> Option<String> {
    let mut md5 = Md5::new();
    for e in part_etags {
        let bytes = (0..e.len())
            .step_by(2)
            .map(|i| e.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()?;
        if bytes.len() != 16 {
            return None;
        }
        md5.update(&bytes);
    }
    Some(format!(
        "{}-{}",
        hex(&md5.finalize().into()),
        part_etags.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_etags() {
        assert!(valid_id("0123abcdef"));
        assert!(!valid_id("../x"));
        assert!(!valid_id(""));
        assert!(!valid_id(&"a".repeat(65)));
        let a = hex(&Md5::digest(b"a").into());
        let b = hex(&Md5::digest(b"b").into());
        let mut cat = Md5::digest(b"a").to_vec();
        cat.extend_from_slice(&Md5::digest(b"b"));
        assert_eq!(
            multipart_etag(&[&a, &b]).unwrap(),
            format!("{}-2", hex(&Md5::digest(&cat).into()))
        );
        assert!(multipart_etag(&["zz"]).is_none());
    }

    fn used(parts: &Parts) -> u64 {
        match parts {
            Parts::Memory(m) => m.used.load(Ordering::Acquire),
            Parts::Disk(_) => u64::MAX,
        }
    }

    async fn writer(parts: &Parts, id: &str, number: u32) -> PartWriter {
        parts.begin_part("b", id, number).await.unwrap().unwrap()
    }

    fn full(r: io::Result<()>) -> bool {
        r.is_err_and(|e| e.kind() == io::ErrorKind::StorageFull)
    }

    /// Part sizes of an upload, by number.
    async fn sizes(parts: &Parts, id: &str) -> Vec<(u32, u64)> {
        let list = parts.parts("b", id).await.unwrap().unwrap();
        list.iter().map(|p| (p.number, p.size)).collect()
    }

    #[tokio::test]
    async fn replaced_parts_count_as_freed_and_races_count_each_byte_once() {
        let parts = Parts::open(&Storage::Memory, 100).await.unwrap();
        let t = UNIX_EPOCH;
        let id = parts.create("b", "k", Vec::new(), t, false).await.unwrap();
        // Re-uploading one part near the cap: the replaced part's bytes are freed.
        for n in [60, 90, 100, 60] {
            let mut w = writer(&parts, &id, 1).await;
            w.write(&vec![1; n]).await.unwrap();
            assert!(w.commit(&parts, t).await.unwrap().is_some());
            assert_eq!(used(&parts), n as u64);
        }
        // A claims part 1's 60 bytes; B, beginning later, cannot, so only A fits 90 bytes.
        let mut a = writer(&parts, &id, 1).await;
        let mut b = writer(&parts, &id, 1).await;
        a.write(&[2; 90]).await.unwrap();
        assert_eq!(used(&parts), 90);
        assert!(full(b.write(&[3; 20]).await));
        b.write(&[3; 10]).await.unwrap();
        assert_eq!(used(&parts), 100);
        // B lands first (A's claimed part leaves the upload), then A.
        assert!(b.commit(&parts, t).await.unwrap().is_some());
        assert_eq!(used(&parts), 100);
        assert!(a.commit(&parts, t).await.unwrap().is_some());
        assert_eq!(used(&parts), 90);
        assert_eq!(sizes(&parts, &id).await, vec![(1, 90)]);
        // A claimant dropped while its part stays: the part keeps its count.
        let mut c = writer(&parts, &id, 1).await;
        c.write(&[4; 50]).await.unwrap();
        drop(c);
        assert_eq!(used(&parts), 90);
        // Abort while part 1 is being replaced and part 2 received: the claimed part is
        // given back when its claimant ends, once; the commits find the upload gone.
        let mut d = writer(&parts, &id, 1).await;
        let mut e = writer(&parts, &id, 2).await;
        d.write(&[5; 95]).await.unwrap();
        e.write(&[6; 5]).await.unwrap();
        assert_eq!(used(&parts), 100);
        assert!(parts.remove("b", &id).await.unwrap());
        assert!(!parts.remove("b", &id).await.unwrap());
        assert_eq!(used(&parts), 100);
        assert!(d.commit(&parts, t).await.unwrap().is_none());
        assert_eq!(used(&parts), 5);
        assert!(e.commit(&parts, t).await.unwrap().is_none());
        assert_eq!(used(&parts), 0);
        // Complete removes the upload as Abort does, while a part is being replaced.
        let id = parts.create("b", "k", Vec::new(), t, false).await.unwrap();
        let mut f = writer(&parts, &id, 1).await;
        f.write(&[7; 40]).await.unwrap();
        f.commit(&parts, t).await.unwrap();
        let mut g = writer(&parts, &id, 1).await;
        g.write(&[8; 70]).await.unwrap();
        assert_eq!(used(&parts), 70);
        assert!(parts.remove("b", &id).await.unwrap());
        assert_eq!(used(&parts), 70);
        drop(g);
        assert_eq!(used(&parts), 0);
        // The expiry sweep: a stored part and one being replaced, each given back once.
        let stale = parts.create("b", "k", Vec::new(), t, false).await.unwrap();
        let other = parts.create("b", "k", Vec::new(), t, false).await.unwrap();
        for (id, n) in [(&stale, 30), (&other, 20)] {
            let mut w = writer(&parts, id, 1).await;
            w.write(&vec![9; n]).await.unwrap();
            w.commit(&parts, t).await.unwrap();
        }
        let mut h = writer(&parts, &stale, 1).await;
        h.write(&[10; 45]).await.unwrap();
        assert_eq!(used(&parts), 65);
        let later = t + Duration::from_secs(10);
        assert_eq!(parts.sweep(Duration::from_secs(1), later).await.unwrap(), 2);
        assert_eq!(used(&parts), 45);
        assert!(h.commit(&parts, later).await.unwrap().is_none());
        assert_eq!(used(&parts), 0);
    }
}
