//! Bucket settings (a bucket's ACL, its CORS rules, the record of its creation): small
//! named texts per bucket, in memory or on disk.
//!
//! On disk a setting is the file `<dir>/.buckets/<bucket>/<name>` (no bucket name starts
//! with `.`), written to a temporary file in `<dir>/.buckets/`, synced and renamed into
//! place, so a crash leaves the old or the new text; the temporary files a crash left
//! behind are removed when the store opens (as the object store's are). A setting is read
//! with a size limit.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::RwLock;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Storage;
use super::store::{TempFile, sync_dir};

/// The folder under the data folder.
const FOLDER: &str = ".buckets";
/// Largest setting read back.
pub(crate) const MAX_SETTING: usize = 256 * 1024;

pub(crate) enum BucketConfig {
    Memory(RwLock<HashMap<(String, String), String>>),
    /// `<dir>/.buckets`, and the lock every write takes (two writes of one setting land in
    /// the order they took it).
    Disk(PathBuf, tokio::sync::Mutex<()>),
}

fn poisoned() -> io::Error {
    io::Error::other("bucket settings lock poisoned")
}

fn too_large() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "a bucket setting is too large")
}

impl BucketConfig {
    pub async fn open(storage: &Storage) -> io::Result<Self> {
        Ok(match storage {
            Storage::Memory => Self::Memory(RwLock::new(HashMap::new())),
            Storage::Disk(dir) => {
                let root = dir.join(FOLDER);
                tokio::fs::create_dir_all(&root).await?;
                let mut entries = tokio::fs::read_dir(&root).await?;
                while let Some(e) = entries.next_entry().await? {
                    if e.file_name().to_string_lossy().starts_with('.') {
                        tokio::fs::remove_file(e.path()).await?;
                    }
                }
                Self::Disk(root, tokio::sync::Mutex::new(()))
            }
        })
    }

    /// The setting `name` of `bucket`, if set. `bucket` is a valid bucket name and `name` a
    /// fixed name of this crate (neither holds a `/` or starts with `.`).
    pub async fn get(&self, bucket: &str, name: &str) -> io::Result<Option<String>> {
        match self {
            Self::Memory(map) => Ok(map
                .read()
                .map_err(|_| poisoned())?
                .get(&(bucket.to_owned(), name.to_owned()))
                .cloned()),
            Self::Disk(root, _) => {
                let file = match tokio::fs::File::open(root.join(bucket).join(name)).await {
                    Ok(f) => f,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                };
                let mut text = String::new();
                let limit = MAX_SETTING as u64 + 1;
                file.take(limit).read_to_string(&mut text).await?;
                if text.len() > MAX_SETTING {
                    return Err(too_large());
                }
                Ok(Some(text))
            }
        }
    }

    /// Sets `name` of `bucket` to `value` (at most [`MAX_SETTING`] bytes).
    pub async fn put(&self, bucket: &str, name: &str, value: &str) -> io::Result<()> {
        if value.len() > MAX_SETTING {
            return Err(too_large());
        }
        match self {
            Self::Memory(map) => {
                map.write()
                    .map_err(|_| poisoned())?
                    .insert((bucket.to_owned(), name.to_owned()), value.to_owned());
                Ok(())
            }
            Self::Disk(root, lock) => {
                let folder = root.join(bucket);
                let (mut file, mut guard) = TempFile::create(root).await?;
                file.write_all(value.as_bytes()).await?;
                file.flush().await?;
                file.get_ref().sync_all().await?;
                drop(file);
                // The folder is made under the lock, so a `clear` cannot remove it between.
                let _order = lock.lock().await;
                tokio::fs::create_dir_all(&folder).await?;
                guard.persist(&folder.join(name)).await?;
                sync_dir(Some(&folder)).await
            }
        }
    }

    /// Removes `name` of `bucket` (not set is no error).
    pub async fn delete(&self, bucket: &str, name: &str) -> io::Result<()> {
        match self {
            Self::Memory(map) => {
                map.write()
                    .map_err(|_| poisoned())?
                    .remove(&(bucket.to_owned(), name.to_owned()));
                Ok(())
            }
            Self::Disk(root, lock) => {
                let folder = root.join(bucket);
                let _order = lock.lock().await;
                match tokio::fs::remove_file(folder.join(name)).await {
                    Ok(()) => sync_dir(Some(&folder)).await,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Every bucket with the setting `name`, and its value, in no particular order.
    pub async fn with_setting(&self, name: &str) -> io::Result<Vec<(String, String)>> {
        match self {
            Self::Memory(map) => Ok(map
                .read()
                .map_err(|_| poisoned())?
                .iter()
                .filter(|((_, n), _)| n == name)
                .map(|((b, _), v)| (b.clone(), v.clone()))
                .collect()),
            Self::Disk(root, _) => {
                let mut out = Vec::new();
                let mut entries = tokio::fs::read_dir(root).await?;
                while let Some(e) = entries.next_entry().await? {
                    let bucket = e.file_name().to_string_lossy().into_owned();
                    // Temporary files, and anything that is not a bucket's folder.
                    if bucket.starts_with('.') || !e.file_type().await?.is_dir() {
                        continue;
                    }
                    if let Some(v) = self.get(&bucket, name).await? {
                        out.push((bucket, v));
                    }
                }
                Ok(out)
            }
        }
    }

    /// Removes every setting of `bucket` (none is no error).
    pub async fn clear(&self, bucket: &str) -> io::Result<()> {
        match self {
            Self::Memory(map) => {
                map.write()
                    .map_err(|_| poisoned())?
                    .retain(|(b, _), _| b != bucket);
                Ok(())
            }
            Self::Disk(root, lock) => {
                let _order = lock.lock().await;
                match tokio::fs::remove_dir_all(root.join(bucket)).await {
                    Ok(()) => sync_dir(Some(root)).await,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settings_survive_a_reopen_and_refuse_large_values() {
        let dir =
            std::env::temp_dir().join(format!("cos-sign-bucket-config-{}", std::process::id()));
        let storage = Storage::Disk(dir.clone());
        let config = BucketConfig::open(&storage).await.unwrap();
        assert_eq!(config.get("b-1", "acl").await.unwrap(), None);
        config.put("b-1", "acl", "private").await.unwrap();
        config
            .put("b-1", "acl", "private READ=AllUsers")
            .await
            .unwrap();
        assert!(
            config
                .put("b-1", "acl", &"x".repeat(MAX_SETTING + 1))
                .await
                .is_err()
        );
        // A temporary file a crash left behind is removed on open.
        std::fs::write(dir.join(FOLDER).join(".tmp-crash"), b"x").unwrap();
        let again = BucketConfig::open(&storage).await.unwrap();
        assert_eq!(
            again.get("b-1", "acl").await.unwrap().as_deref(),
            Some("private READ=AllUsers")
        );
        assert!(!dir.join(FOLDER).join(".tmp-crash").exists());
        again.delete("b-1", "acl").await.unwrap();
        again.delete("b-1", "acl").await.unwrap();
        assert_eq!(again.get("b-1", "acl").await.unwrap(), None);
        // Every bucket with a setting; a cleared bucket has none left.
        again.put("b-1", "cors", "c").await.unwrap();
        again.put("b-2", "acl", "private").await.unwrap();
        again.put("b-2", "cors", "d").await.unwrap();
        let mut with = again.with_setting("cors").await.unwrap();
        with.sort();
        assert_eq!(
            with,
            [("b-1".into(), "c".into()), ("b-2".into(), "d".into())]
        );
        again.clear("b-2").await.unwrap();
        again.clear("b-3").await.unwrap();
        assert_eq!(again.get("b-2", "acl").await.unwrap(), None);
        assert_eq!(
            again.with_setting("cors").await.unwrap(),
            [("b-1".into(), "c".into())]
        );
        again.put("b-2", "acl", "again").await.unwrap();
        assert_eq!(
            again.get("b-2", "acl").await.unwrap().as_deref(),
            Some("again")
        );
        let _ = std::fs::remove_dir_all(&dir);
        let memory = BucketConfig::open(&Storage::Memory).await.unwrap();
        memory.put("b-1", "acl", "private").await.unwrap();
        assert_eq!(
            memory.get("b-1", "acl").await.unwrap().as_deref(),
            Some("private")
        );
        assert_eq!(memory.get("b-2", "acl").await.unwrap(), None);
        memory.delete("b-1", "acl").await.unwrap();
        memory.delete("b-1", "acl").await.unwrap();
        assert_eq!(memory.get("b-1", "acl").await.unwrap(), None);
        memory.put("b-1", "acl", "private").await.unwrap();
        memory.put("b-2", "acl", "public").await.unwrap();
        memory.clear("b-1").await.unwrap();
        assert_eq!(
            memory.with_setting("acl").await.unwrap(),
            [("b-2".into(), "public".into())]
        );
    }
}
