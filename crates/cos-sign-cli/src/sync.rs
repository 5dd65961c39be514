//! `cos-sign sync SRC DST`: a local folder to `cos://BUCKET/PREFIX` or back, transferring
//! only the files the other side lacks or has different, and with `--delete` removing what
//! DST has and SRC lacks.
//!
//! It sits on `put -r` and `get -r`: the same files ([`files_below`]), keys and places
//! ([`Placement`](crate::folder::Placement)), uploads ([`FolderUpload`]) and downloads
//! ([`FolderDownload`]); what it adds is the comparison ([`Compare`]) and the deletes.
//!
//! "Differs" is decided as `aws s3 sync` and coscmd's `upload -s` do: by size first; then by
//! content, when the object tells its MD5 (an ETag of 32 hex digits, which COS gives an object
//! of one PUT, else the `x-cos-meta-md5` that `sync` stores with each upload, read by a HEAD
//! of a multipart object); else by time (see [`by_time`]).

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use cos_sign_http::{Bucket, ObjectSummary};
use md5::{Digest, Md5};

use crate::CliError;
use crate::filter::FilterArgs;
use crate::folder::{Place, files_below, path_below};
use crate::list::Removal;
use crate::remote::{PagesError, Remote, pages};
use crate::target::{bucket_prefix, cos_uri};
use crate::transfer::{FolderDownload, FolderUpload, HeaderArgs, PartArgs, upload_prefix};

/// The user metadata (`x-cos-meta-md5`) holding the MD5 (hex) of the file an upload of
/// `sync` sent, as coscmd's `upload -s` stores it: the content check of an object whose
/// ETag is not its MD5 (a multipart upload's `<hex>-<parts>`).
const MD5_META: &str = "md5";

/// The start of the line of a deleted object, and of one a dry run would delete.
const DELETE_LINES: (&str, &str) = ("delete: ", "(dryrun) delete: ");

#[derive(Args, Debug)]
pub(crate) struct SyncArgs {
    /// A local folder, or cos://BUCKET/PREFIX.
    #[arg(value_name = "SRC")]
    source: String,
    /// cos://BUCKET/PREFIX, or a local folder (created when missing).
    #[arg(value_name = "DST")]
    dest: String,
    /// After the transfers, delete the files or objects under DST that SRC lacks (never
    /// anything outside DST; not after a listing that failed).
    #[arg(long)]
    delete: bool,
    /// Print what would be transferred and deleted; change nothing.
    #[arg(long, visible_alias = "dry-run")]
    dryrun: bool,
    /// A file and an object of the same size are the same (no content or time check).
    #[arg(long)]
    size_only: bool,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    send: HeaderArgs,
    #[command(flatten)]
    parts: PartArgs,
    #[command(flatten)]
    remote: Remote,
}

pub(crate) fn run(a: &SyncArgs) -> Result<ExitCode, CliError> {
    let is_cos = |s: &str| s.starts_with("cos://");
    match (is_cos(&a.source), is_cos(&a.dest)) {
        (false, true) => {
            let (bucket, prefix) = upload_prefix(&a.dest, None)?;
            upload(a, Path::new(&a.source), &bucket, &prefix)
        }
        (true, false) => {
            let (bucket, prefix) = bucket_prefix(&a.source, None)?;
            download(a, &bucket, &prefix, Path::new(&a.dest))
        }
        (true, true) => Err(CliError::usage(
            "sync copies between a local folder and COS; from one cos:// prefix to another, \
             copy objects with cos-sign cp",
        )),
        (false, false) => Err(CliError::usage(
            "one of SRC and DST must be cos://BUCKET/PREFIX (the other a local folder)",
        )),
    }
}

/// Why a file is transferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// The other side lacks it.
    New,
    /// The sizes differ.
    Size,
    /// The MD5s differ.
    Content,
    /// No MD5 to compare: the times say so (see [`by_time`]).
    Time,
}

impl Why {
    fn text(self) -> &'static str {
        match self {
            Why::New => "new",
            Why::Size => "size differs",
            Why::Content => "content differs",
            Why::Time => "modification time differs",
        }
    }
}

/// Which way the bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Up,
    Down,
}

/// A local file, its MD5 read once when asked.
#[derive(Debug)]
struct Local {
    path: PathBuf,
    len: u64,
    /// Modification time, whole seconds since 1970.
    mtime: Option<u64>,
    md5: Option<String>,
}

impl Local {
    /// The file at `path`; `None` when there is none (missing, or not a file).
    fn stat(path: &Path) -> Result<Option<Self>, CliError> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(Some(Self {
                path: path.to_path_buf(),
                len: m.len(),
                mtime: m.modified().ok().and_then(unix_secs),
                md5: None,
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CliError::fail(format!("{}: {e}", path.display()))),
        }
    }

    /// The MD5 (lowercase hex) of the file's bytes.
    fn md5(&mut self) -> Result<&str, CliError> {
        if self.md5.is_none() {
            let read = |e: std::io::Error| CliError::fail(format!("cannot read it: {e}"));
            let mut f = std::fs::File::open(&self.path).map_err(read)?;
            let mut h = Md5::new();
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                match f.read(&mut buf).map_err(read)? {
                    0 => break,
                    n => h.update(&buf[..n]),
                }
            }
            self.md5 = Some(crate::transfer::hex(&h.finalize()));
        }
        Ok(self.md5.as_deref().unwrap_or_default())
    }
}

fn unix_secs(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// `s` lowercased when it is an MD5 in hex (32 hex digits): an ETag of one PUT, or
/// [`MD5_META`]. A multipart ETag (`<hex>-<parts>`) is none.
fn md5_hex(s: &str) -> Option<String> {
    (s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// When only times can tell (no MD5 on the object's side), whether the file and the object
/// differ, from the file's modification time and the object's `Last-Modified` (whole
/// seconds). Up: the file was modified after the object was written (as `aws s3 sync`).
/// Down: the times are not equal (a download of `sync` gives the file the object's time;
/// as `aws s3 sync --exact-timestamps`). A time not known: they differ.
fn by_time(way: Way, file: Option<u64>, object: Option<u64>) -> Option<Why> {
    let differ = match (way, file, object) {
        (Way::Up, Some(f), Some(o)) => f > o,
        (Way::Down, Some(f), Some(o)) => f != o,
        _ => true,
    };
    differ.then_some(Why::Time)
}

/// The comparison of a local file with the object at its key.
struct Compare<'a> {
    bucket: &'a Bucket,
    rt: &'a tokio::runtime::Runtime,
    way: Way,
    size_only: bool,
}

impl Compare<'_> {
    /// Why `local` and the object `o` differ; `None` when they are taken as the same.
    fn why(&self, local: &mut Local, o: &ObjectSummary) -> Result<Option<Why>, CliError> {
        if local.len != o.size {
            return Ok(Some(Why::Size));
        }
        if self.size_only {
            return Ok(None);
        }
        if let Some(etag) = md5_hex(&o.etag) {
            return Ok((local.md5()? != etag).then_some(Why::Content));
        }
        // A multipart object (or another ETag): its metadata may hold the MD5.
        let meta = self.rt.block_on(self.bucket.head(&o.key))?;
        let stored = meta
            .metadata
            .iter()
            .find(|(k, _)| k == MD5_META)
            .and_then(|(_, v)| md5_hex(v));
        if let Some(md5) = stored {
            return Ok((local.md5()? != md5).then_some(Why::Content));
        }
        let modified = meta
            .last_modified
            .as_deref()
            .and_then(|t| httpdate::parse_http_date(t).ok())
            .and_then(unix_secs);
        Ok(by_time(self.way, local.mtime, modified))
    }
}

/// What a sync did.
#[derive(Debug, Default)]
struct Tally {
    transferred: usize,
    unchanged: usize,
    deleted: usize,
    failed: usize,
    /// Entries of the folder an upload skips (see [`crate::folder::Tree`]).
    skipped: usize,
}

impl Tally {
    /// Counts a failure of `what`, reported on stderr.
    fn fail(&mut self, what: &str, e: &CliError) {
        self.failed += 1;
        crate::warn(&format!("{what}: {}", e.message));
    }

    /// Counts the outcome of a comparison of `what`: unchanged (`None`), failed (reported);
    /// gives why it is to be transferred.
    fn verdict(&mut self, what: &str, why: Result<Option<Why>, CliError>) -> Option<Why> {
        match why {
            Ok(Some(why)) => Some(why),
            Ok(None) => {
                tracing::debug!(%what, "unchanged");
                self.unchanged += 1;
                None
            }
            Err(e) => {
                self.fail(what, &e);
                None
            }
        }
    }

    /// Counts a transfer done (or, in a dry run, to do), said by `line` on stdout.
    fn done(&mut self, line: &str) {
        say!("{line}");
        self.transferred += 1;
    }

    /// The summary line on stdout.
    fn summary(&self, dryrun: bool) {
        let (dry, transferred, deleted) = if dryrun {
            ("(dryrun) ", "to transfer", "to delete")
        } else {
            ("", "transferred", "deleted")
        };
        let skipped = match self.skipped {
            0 => String::new(),
            n => format!(", {n} skipped"),
        };
        say!(
            "{dry}sync: {} {transferred}, {} unchanged, {} {deleted}, {} failed{skipped}",
            self.transferred,
            self.unchanged,
            self.deleted,
            self.failed
        );
    }

    /// The summary, then exit 0; 1 when anything failed; else [`crate::SKIPPED`] when
    /// entries of the folder were skipped.
    fn end(&self, dryrun: bool) -> Result<ExitCode, CliError> {
        self.summary(dryrun);
        let total = self.transferred + self.unchanged + self.deleted + self.failed;
        crate::ended_skipping(self.failed, self.skipped, total, "files or objects failed")
    }

    /// Exit after a signal (`code`).
    fn interrupted(&self, code: u8) -> ExitCode {
        esay!(
            "cos-sign: interrupted after {} transfers; the one in progress was not finished",
            self.transferred
        );
        ExitCode::from(code)
    }
}

/// A local folder to `cos://BUCKET/PREFIX`: the objects under the prefix are listed first
/// (a listing that fails stops it, before any transfer), then each file that differs is
/// uploaded as `put -r` does, with [`MD5_META`]; with `--delete`, the objects left over
/// are deleted, but for those where the folder has an entry it skipped.
fn upload(a: &SyncArgs, dir: &Path, bucket: &str, prefix: &str) -> Result<ExitCode, CliError> {
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "{}: not a folder (sync uploads the files of a folder)",
            dir.display()
        )));
    }
    if a.send.has_meta(MD5_META) {
        return Err(CliError::usage(
            "sync stores the file's MD5 as x-cos-meta-md5 itself; do not give it",
        ));
    }
    let filters = a.filter.filters();
    let (files, skipped) = files_below(dir)?.admitted(|rel| filters.admits(rel));
    let handle = a.remote.bucket(bucket)?;
    let rt = crate::runtime()?;
    let up = FolderUpload::new(&handle, prefix, &rt, &a.parts, &a.send)?;
    // The objects the filters take: those left out are neither compared nor deleted.
    let mut objects: BTreeMap<String, ObjectSummary> = BTreeMap::new();
    pages(&rt, &handle, prefix, None, |page| {
        for o in &page.objects {
            if filters.admits_key(prefix, &o.key) {
                objects.insert(o.key.clone(), o.clone());
            }
        }
        Ok(())
    })
    .map_err(|e| nothing_done(e.into(), a.delete))?;
    let cmp = Compare {
        bucket: &handle,
        rt: &rt,
        way: Way::Up,
        size_only: a.size_only,
    };
    let mut tally = Tally {
        skipped: skipped.len(),
        ..Tally::default()
    };
    let dry = if a.dryrun { "(dryrun) " } else { "" };
    for (path, rel) in &files {
        let key = up.key(rel);
        let object = objects.remove(&key);
        let shown = crate::target::shown_path(path);
        let local = Local::stat(path).and_then(|l| l.ok_or_else(|| CliError::fail("it is gone")));
        let mut local = match local {
            Ok(local) => local,
            Err(e) => {
                tally.fail(&shown, &e);
                continue;
            }
        };
        let why = match &object {
            None => Ok(Some(Why::New)),
            Some(o) => cmp.why(&mut local, o),
        };
        let Some(why) = tally.verdict(&shown, why) else {
            continue;
        };
        let line = format!(
            "{dry}upload: {shown} to {} ({})",
            cos_uri(bucket, &key),
            why.text()
        );
        if a.dryrun {
            tally.done(&line);
            continue;
        }
        let md5 = match local.md5() {
            Ok(m) => m.to_owned(),
            Err(e) => {
                tally.fail(&shown, &e);
                continue;
            }
        };
        match up.upload(path, rel, &[(format!("x-cos-meta-{MD5_META}"), md5)]) {
            Err(code) => return Ok(tally.interrupted(code)),
            Ok(Ok(_)) => tally.done(&line),
            Ok(Err(e)) => tally.fail(&shown, &e),
        }
    }
    if a.delete {
        // What is left of the listing: the objects the folder has no file for. Those at the
        // path of an entry it skipped (an unreadable file, a pipe) or below it (a linked
        // folder) are kept: the folder has something there, only not uploaded.
        let kept: Vec<String> = skipped
            .iter()
            .filter_map(|s| s.rel.as_deref())
            .map(|rel| up.key(rel))
            .collect();
        let mut keys = Vec::new();
        for key in objects.keys() {
            if key.ends_with('/') {
                continue;
            }
            if kept.iter().any(|k| {
                key.strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            }) {
                continue;
            }
            if path_below(dir, prefix, key).is_none() {
                let e = CliError::fail("not deleted: its key is no path below the folder");
                tally.fail(&cos_uri(bucket, key), &e);
                continue;
            }
            keys.push(key.as_str());
        }
        let mut rm = Removal::new(&handle, &rt, a.dryrun, DELETE_LINES);
        rm.delete(&keys)?;
        tally.deleted += rm.tried - rm.failed;
        tally.failed += rm.failed;
    }
    tally.end(a.dryrun)
}

/// The error of a listing that failed before anything was transferred or deleted.
fn nothing_done(e: CliError, delete: bool) -> CliError {
    let what = if delete {
        "nothing transferred or deleted"
    } else {
        "nothing transferred"
    };
    CliError {
        message: format!("{}\n  {what}", e.message),
        ..e
    }
}

/// `cos://BUCKET/PREFIX` to a local folder: the listing is gone through page by page, each
/// object that differs from its file (or has none) downloaded as `get -r` does, the file
/// then given the object's `Last-Modified`; with `--delete`, the files that were in the
/// folder before and that no listed key has are deleted, only when the listing went to the
/// end.
fn download(a: &SyncArgs, bucket: &str, prefix: &str, dir: &Path) -> Result<ExitCode, CliError> {
    if a.send.given() {
        return Err(CliError::usage(
            "-H, --meta and --content-type are for uploads; sync from COS writes each object's \
             bytes as they are",
        ));
    }
    let handle = a.remote.bucket(bucket)?;
    let rt = crate::runtime()?;
    let mut down = FolderDownload::new(&handle, prefix, dir, &rt, &a.parts)?;
    let filters = a.filter.filters();
    // The files there before that the filters take: those no key has are deleted at the end.
    // (What it skips is only reported: a download does not upload it.)
    let before = if a.delete {
        files_below(dir)?.admitted(|rel| filters.admits(rel)).0
    } else {
        Vec::new()
    };
    let cmp = Compare {
        bucket: &handle,
        rt: &rt,
        way: Way::Down,
        size_only: a.size_only,
    };
    let mut tally = Tally::default();
    let mut placed: HashSet<PathBuf> = HashSet::new();
    let mut stopped: Option<u8> = None;
    let dry = if a.dryrun { "(dryrun) " } else { "" };
    let listed = pages(&rt, &handle, prefix, None, |page| {
        for o in &page.objects {
            if !filters.admits_key(prefix, &o.key) {
                continue;
            }
            let shown = cos_uri(bucket, &o.key);
            let path = match down.places.place(&o.key) {
                Place::At(path) => path,
                Place::Marker => continue,
                Place::Skipped => {
                    tally.failed += 1;
                    continue;
                }
            };
            placed.insert(path.clone());
            let why = Local::stat(&path).and_then(|local| match local {
                None => Ok(Some(Why::New)),
                Some(mut local) => cmp.why(&mut local, o),
            });
            let Some(why) = tally.verdict(&shown, why) else {
                continue;
            };
            let line = format!(
                "{dry}download: {shown} to {} ({})",
                crate::target::shown_path(&path),
                why.text()
            );
            if a.dryrun {
                tally.done(&line);
                continue;
            }
            match down.download(&o.key, &path) {
                Err(code) => {
                    stopped = Some(code);
                    return Err(CliError::fail("interrupted"));
                }
                Ok(Ok(got)) => {
                    keep_time(&path, got.meta.last_modified.as_deref());
                    tally.done(&line);
                }
                Ok(Err(e)) => tally.fail(&shown, &e),
            }
        }
        Ok(())
    });
    if let Some(code) = stopped {
        return Ok(tally.interrupted(code));
    }
    match listed {
        Err(PagesError::Listing(e)) => {
            tally.summary(a.dryrun);
            let refused = if a.delete {
                "\n  --delete: nothing deleted, as the listing is not complete"
            } else {
                ""
            };
            return Err(CliError {
                message: format!("{}{refused}", e.message),
                ..e
            });
        }
        Err(PagesError::Each(e)) => return Err(e),
        Ok(()) => {}
    }
    for (path, _) in before.iter().filter(|(p, _)| !placed.contains(p)) {
        let removed = if a.dryrun {
            Ok(())
        } else {
            std::fs::remove_file(path)
        };
        match removed {
            Ok(()) => {
                say!("{dry}delete: {}", crate::target::shown_path(path));
                tally.deleted += 1;
            }
            Err(e) => tally.fail(
                &crate::target::shown_path(path),
                &CliError::fail(e.to_string()),
            ),
        }
    }
    tally.end(a.dryrun)
}

/// Gives the downloaded file at `path` the object's `Last-Modified` (an HTTP date) as its
/// modification time, so that a later sync finds them equal (see [`by_time`]). Only a
/// regular file (not a device or a pipe written into); a failure is a warning.
fn keep_time(path: &Path, last_modified: Option<&str>) {
    let Some(t) = last_modified.and_then(|t| httpdate::parse_http_date(t).ok()) else {
        return;
    };
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return;
    }
    let set = std::fs::File::open(path).and_then(|f| f.set_modified(t));
    if let Err(e) = set {
        crate::warn(&format!(
            "{}: cannot set its modification time: {e}",
            path.display()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::{Way, Why, by_time, md5_hex};

    #[test]
    fn only_an_md5_etag_is_an_md5() {
        let md5 = "900150983cd24fb0d6963f7d28e17f72";
        assert_eq!(md5_hex(md5).as_deref(), Some(md5));
        assert_eq!(md5_hex(&md5.to_ascii_uppercase()).as_deref(), Some(md5));
        for not in [
            "",
            "900150983cd24fb0d6963f7d28e17f72-3",
            "900150983cd24fb0d6963f7d28e17f7",
            "900150983cd24fb0d6963f7d28e17f7g",
            "\"900150983cd24fb0d6963f7d28e17f7\"",
        ] {
            assert_eq!(md5_hex(not), None, "{not:?}");
        }
    }

    #[test]
    fn times_decide_only_when_needed() {
        let t = Some(Why::Time);
        // Up: the file changed after the object was written.
        assert_eq!(by_time(Way::Up, Some(100), Some(100)), None);
        assert_eq!(by_time(Way::Up, Some(99), Some(100)), None);
        assert_eq!(by_time(Way::Up, Some(101), Some(100)), t);
        // Down: any other time than the object's (a download gives the file its time).
        assert_eq!(by_time(Way::Down, Some(100), Some(100)), None);
        assert_eq!(by_time(Way::Down, Some(99), Some(100)), t);
        assert_eq!(by_time(Way::Down, Some(101), Some(100)), t);
        // Unknown: transfer.
        for way in [Way::Up, Way::Down] {
            assert_eq!(by_time(way, None, Some(100)), t);
            assert_eq!(by_time(way, Some(100), None), t);
        }
    }
}
