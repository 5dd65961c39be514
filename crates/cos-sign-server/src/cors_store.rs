//! Where each bucket's CORS rules are kept: in memory, or on disk as
//! `<dir>/.cors/<bucket>.xml` (the GET Bucket cors document, read back through the same
//! checks as a PUT body), so a disk-store server keeps them across a restart.
//!
//! A PUT writes a temporary file in `<dir>/.cors/` (`.tmp-*`, removed on failure, and by
//! the object store's start-up sweep after a crash), syncs it and renames it into place; a
//! DELETE removes the file. Both take this store's lock around their last step (the rename,
//! the removal) and sync the folder after, as the object store does: a reader sees the old
//! rules or the new ones, never a part.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio::io::AsyncWriteExt;

use super::Storage;
use super::cors::{CorsConfig, MAX_BODY};
use super::store::{TempFile, sync_dir};

/// The folder of the rules under the data folder (no bucket name starts with `.`).
const CORS_DIR: &str = ".cors";

pub(crate) enum CorsStore {
    Memory(RwLock<HashMap<String, Arc<CorsConfig>>>),
    Disk(PathBuf, tokio::sync::Mutex<()>),
}

impl CorsStore {
    /// Opens the store (on disk, creates `<dir>/.cors`).
    pub async fn open(storage: &Storage) -> io::Result<Self> {
        Ok(match storage {
            Storage::Memory => CorsStore::Memory(RwLock::new(HashMap::new())),
            Storage::Disk(dir) => {
                let dir = dir.join(CORS_DIR);
                tokio::fs::create_dir_all(&dir).await?;
                CorsStore::Disk(dir, tokio::sync::Mutex::new(()))
            }
        })
    }

    fn path(dir: &Path, bucket: &str) -> PathBuf {
        dir.join(format!("{bucket}.xml"))
    }

    /// The rules of `bucket` (a valid bucket name), if it has any.
    pub async fn get(&self, bucket: &str) -> io::Result<Option<Arc<CorsConfig>>> {
        match self {
            CorsStore::Memory(map) => {
                let map = map
                    .read()
                    .map_err(|_| io::Error::other("cors lock poisoned"))?;
                Ok(map.get(bucket).cloned())
            }
            CorsStore::Disk(dir, _) => {
                let path = Self::path(dir, bucket);
                let bytes = match tokio::fs::read(&path).await {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e),
                };
                // Written by `put` from a checked body no larger than this.
                if bytes.len() > 2 * MAX_BODY {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the stored CORS rules are too large",
                    ));
                }
                CorsConfig::from_xml(&bytes)
                    .map(|c| Some(Arc::new(c)))
                    .map_err(|_| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the stored CORS rules are damaged",
                        )
                    })
            }
        }
    }

    /// Replaces the rules of `bucket`.
    pub async fn put(&self, bucket: &str, config: CorsConfig) -> io::Result<()> {
        match self {
            CorsStore::Memory(map) => {
                let mut map = map
                    .write()
                    .map_err(|_| io::Error::other("cors lock poisoned"))?;
                map.insert(bucket.to_owned(), Arc::new(config));
                Ok(())
            }
            CorsStore::Disk(dir, lock) => {
                let (mut file, mut guard) = TempFile::create(dir).await?;
                file.write_all(&config.to_xml()).await?;
                file.flush().await?;
                let file = file.into_inner();
                file.sync_all().await?;
                drop(file);
                let _replacing = lock.lock().await;
                guard.persist(&Self::path(dir, bucket)).await?;
                sync_dir(Some(dir)).await
            }
        }
    }

    /// Removes the rules of `bucket` (none is not an error).
    pub async fn delete(&self, bucket: &str) -> io::Result<()> {
        match self {
            CorsStore::Memory(map) => {
                let mut map = map
                    .write()
                    .map_err(|_| io::Error::other("cors lock poisoned"))?;
                map.remove(bucket);
                Ok(())
            }
            CorsStore::Disk(dir, lock) => {
                let _removing = lock.lock().await;
                match tokio::fs::remove_file(Self::path(dir, bucket)).await {
                    Ok(()) => sync_dir(Some(dir)).await,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(e),
                }
            }
        }
    }
}
