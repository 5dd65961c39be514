//! [`OutputFile`], where a download is written before it is complete: re-exported from
//! [`transfer`](crate::transfer).

use std::fs::Permissions;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::AsyncWriteExt;

use crate::error::ClientError;

/// The destination of a download, written in full before it replaces anything: a temporary
/// file, removed when dropped (a failure, or the future cancelled midway) unless
/// [`persist`](OutputFile::persist)ed.
///
/// As `curl -o` and `aws s3 cp` treat the path given:
/// * a new path, or an existing regular file: the temporary file is made beside it and
///   renamed onto it (an existing file keeps its permissions; a new one gets the umask's);
/// * a symbolic link: the same for the file it points to, so the link stays a link;
/// * anything else that exists (`/dev/null`, `/dev/stdout`, a named pipe): the temporary file
///   is made in the system's temporary folder and copied into it, which is opened for
///   writing as it is (not replaced, not truncated, its permissions untouched).
///
/// ```no_run
/// # async fn f() -> Result<(), cos_sign_http::ClientError> {
/// use cos_sign_http::transfer::OutputFile;
/// use tokio::io::AsyncWriteExt;
/// let out = OutputFile::new("report.pdf");
/// let mut f = out.create().await?;
/// f.write_all(b"%PDF").await.ok();
/// drop(f);
/// out.persist().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OutputFile {
    temp: PathBuf,
    target: PathBuf,
    into: Into,
    armed: bool,
}

/// How the temporary file reaches the target.
#[derive(Debug)]
enum Into {
    /// Renamed onto it, with these permissions first when it existed.
    Rename(Option<Permissions>),
    /// Copied into it (a device or a pipe).
    Copy,
}

impl OutputFile {
    /// The destination `path` (nothing is created yet: write to [`temp_path`](Self::temp_path)).
    pub fn new(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let linked = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let target = match linked {
            true => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
            false => path.to_owned(),
        };
        let (temp, into) = match std::fs::metadata(&target) {
            Ok(m) if m.is_file() => (temp_path(&target), Into::Rename(Some(m.permissions()))),
            Ok(_) => (
                temp_path(&std::env::temp_dir().join("cos-sign-download")),
                Into::Copy,
            ),
            Err(_) => (temp_path(&target), Into::Rename(None)),
        };
        Self {
            temp,
            target,
            into,
            armed: true,
        }
    }

    /// Where to write the download.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Creates the temporary file, empty, for writing. It must not exist yet: a file or a
    /// symbolic link already at that name (planted there to be written through) is an error,
    /// not followed.
    ///
    /// # Errors
    /// [`ClientError::Io`] of the temporary path.
    pub async fn create(&self) -> Result<tokio::fs::File, ClientError> {
        tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.temp)
            .await
            .map_err(|e| ClientError::io(&self.temp, e))
    }

    /// The file the download goes to (a symbolic link resolved).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Puts the written temporary file in place: renamed onto the target, or copied into it.
    ///
    /// # Errors
    /// [`ClientError::Io`] of the file that could not be renamed, set, opened or written.
    pub async fn persist(mut self) -> Result<(), ClientError> {
        match &self.into {
            Into::Rename(perms) => {
                if let Some(p) = perms {
                    tokio::fs::set_permissions(&self.temp, p.clone())
                        .await
                        .map_err(|e| ClientError::io(&self.temp, e))?;
                }
                tokio::fs::rename(&self.temp, &self.target)
                    .await
                    .map_err(|e| ClientError::io(&self.target, e))?;
                self.armed = false;
            }
            Into::Copy => {
                let mut from = tokio::fs::File::open(&self.temp)
                    .await
                    .map_err(|e| ClientError::io(&self.temp, e))?;
                let mut to = tokio::fs::OpenOptions::new()
                    .write(true)
                    .open(&self.target)
                    .await
                    .map_err(|e| ClientError::io(&self.target, e))?;
                tokio::io::copy(&mut from, &mut to)
                    .await
                    .map_err(|e| ClientError::io(&self.target, e))?;
                to.flush()
                    .await
                    .map_err(|e| ClientError::io(&self.target, e))?;
            }
        }
        Ok(())
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A temporary path beside `target`.
fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".to_owned());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    target.with_file_name(format!(
        ".{name}.cos-part-{}-{nanos:08x}",
        std::process::id()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_path_is_beside_target() {
        let t = temp_path(Path::new("/a/b/file.bin"));
        assert_eq!(t.parent(), Some(Path::new("/a/b")));
        assert!(
            t.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".file.bin.cos-part-")
        );
    }

    async fn write(out: OutputFile, text: &str) {
        tokio::fs::write(out.temp_path(), text).await.unwrap();
        out.persist().await.unwrap();
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn outputs_are_written_as_curl_writes_them() {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // a new file
        write(OutputFile::new(d.join("new")), "one").await;
        assert_eq!(std::fs::read_to_string(d.join("new")).unwrap(), "one");
        // an existing file keeps its mode
        std::fs::set_permissions(d.join("new"), Permissions::from_mode(0o751)).unwrap();
        write(OutputFile::new(d.join("new")), "two").await;
        assert_eq!(std::fs::read_to_string(d.join("new")).unwrap(), "two");
        let mode = std::fs::metadata(d.join("new"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o751);
        // a link stays a link; the file it points to is written
        symlink(d.join("new"), d.join("link")).unwrap();
        let out = OutputFile::new(d.join("link"));
        assert_eq!(out.target(), std::fs::canonicalize(d.join("new")).unwrap());
        write(out, "three").await;
        let link = std::fs::symlink_metadata(d.join("link")).unwrap();
        assert!(link.file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(d.join("new")).unwrap(), "three");
        // a device is written into, not replaced
        let out = OutputFile::new("/dev/null");
        assert!(!out.temp_path().starts_with("/dev"));
        write(out, "gone").await;
        let null = std::fs::metadata("/dev/null").unwrap();
        assert!(null.file_type().is_char_device());
        // a named pipe gets the bytes
        let fifo = d.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write(OutputFile::new(&fifo), "piped").await;
        assert_eq!(reader.join().unwrap(), "piped");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        // nothing left behind
        let left: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("cos-part"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// A symbolic link planted at the temporary name (which a local user could guess) is
    /// not written through: `create` refuses it, and the file it points to is untouched.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_link_at_the_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("victim"), "kept").unwrap();
        let out = OutputFile::new(d.join("download"));
        std::os::unix::fs::symlink(d.join("victim"), out.temp_path()).unwrap();
        let err = out.create().await.unwrap_err();
        assert!(
            matches!(&err, ClientError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(d.join("victim")).unwrap(), "kept");
        // Without the link, the same call creates the file.
        std::fs::remove_file(out.temp_path()).unwrap();
        let f = out.create().await.unwrap();
        drop(f);
        out.persist().await.unwrap();
        assert_eq!(std::fs::read(d.join("download")).unwrap(), b"");
    }
}
