//! The files of a local folder, and the place of each object of a prefix in it: the mapping
//! between `/`-separated paths below a folder and keys below a prefix that `put -r`,
//! `get -r` and `sync` share.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::CliError;
use crate::target::cos_uri;

/// What [`files_below`] found under a folder.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    /// Regular files and links to files, that could be opened: (path, `/`-joined path
    /// below the folder), in path order.
    pub(crate) files: Vec<(PathBuf, String)>,
    /// The rest, not uploaded: linked folders, pipes, devices, sockets, links to nothing,
    /// files that cannot be opened (not readable) and names that are not UTF-8.
    pub(crate) skipped: Vec<Skip>,
}

/// An entry of a folder that is not uploaded.
#[derive(Debug)]
pub(crate) struct Skip {
    pub(crate) path: PathBuf,
    /// Its `/`-joined path below the folder (`None`: its name is not UTF-8).
    pub(crate) rel: Option<String>,
    pub(crate) why: String,
}

impl Tree {
    /// The files and the skipped entries that `admits` takes (by their path below the
    /// folder; a name that is not UTF-8 has none and always counts), each of those skipped
    /// entries reported on stderr as a warning.
    pub(crate) fn admitted(
        self,
        admits: impl Fn(&str) -> bool,
    ) -> (Vec<(PathBuf, String)>, Vec<Skip>) {
        let files = self
            .files
            .into_iter()
            .filter(|(_, rel)| admits(rel))
            .collect();
        let skipped: Vec<Skip> = self
            .skipped
            .into_iter()
            .filter(|skip| skip.rel.as_deref().is_none_or(&admits))
            .collect();
        for skip in &skipped {
            crate::warn(&format!("{}: skipped: {}", skip.path.display(), skip.why));
        }
        (files, skipped)
    }
}

/// The files under `dir` (see [`Tree`]): regular files and links to files that can be
/// opened; linked folders are not entered (no loops); other kinds, files that cannot be
/// opened and names that are not UTF-8 (no key can name them as they are) are skipped.
pub(crate) fn files_below(dir: &Path) -> Result<Tree, CliError> {
    let read = |d: &Path, e: std::io::Error| CliError::fail(format!("{}: {e}", d.display()));
    let mut tree = Tree::default();
    let mut folders = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = folders.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| read(&d, e))? {
            let entry = entry.map_err(|e| read(&d, e))?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                let why = "the name is not UTF-8".to_owned();
                tree.skipped.push(Skip {
                    path,
                    rel: None,
                    why,
                });
                continue;
            };
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type().map_err(|e| read(&path, e))?;
            if kind.is_dir() {
                folders.push((path, rel));
                continue;
            }
            let why = if kind.is_file() || kind.is_symlink() && path.is_file() {
                // Opened (and closed) now, so that an unreadable file is skipped as a pipe
                // is, not counted as an upload that failed (as `aws s3` skips it).
                match std::fs::File::open(&path) {
                    Ok(_) => {
                        tree.files.push((path, rel));
                        continue;
                    }
                    Err(e) => format!("cannot be read: {e}"),
                }
            } else {
                "not a file".to_owned()
            };
            tree.skipped.push(Skip {
                path,
                rel: Some(rel),
                why,
            });
        }
    }
    tree.files.sort_by(|a, b| a.1.cmp(&b.1));
    tree.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(tree)
}

/// Where `get -r` writes `key` (listed under `prefix`) in `dir`: its path below the prefix,
/// `/`-separated (after a prefix not ending in `/`, one `/` is dropped: `photos` gives
/// `photos/a.jpg` as `a.jpg`). `None` when that is no plain relative path (empty, with an
/// empty, `.` or `..` part, or a NUL), so nothing is written outside `dir` whatever the keys.
pub(crate) fn path_below(dir: &Path, prefix: &str, key: &str) -> Option<PathBuf> {
    let rel = key.strip_prefix(prefix)?;
    let rel = if prefix.is_empty() || prefix.ends_with('/') {
        rel
    } else {
        rel.strip_prefix('/').unwrap_or(rel)
    };
    if rel.is_empty() || rel.contains('\0') {
        return None;
    }
    let mut path = dir.to_path_buf();
    for part in rel.split('/') {
        if matches!(part, "" | "." | "..") {
            return None;
        }
        path.push(part);
    }
    Some(path)
}

/// Why the place `path`, below the folder `dir` (a [`path_below`] it), cannot be written by
/// a download without leaving the folder or writing into something that is no file: a folder
/// on the way that is a symbolic link (it may lead anywhere) or no folder, or a path that is
/// a symbolic link (not followed, not replaced), a folder, a named pipe (writing would wait
/// for a reader forever) or a device. `None`: it can be written (folders that are missing
/// are made as real folders). `dir` itself, which the user named, may be a link.
pub(crate) fn unwritable_place(dir: &Path, path: &Path) -> Option<String> {
    let Ok(rel) = path.strip_prefix(dir) else {
        return Some(format!("{} is not below {}", path.display(), dir.display()));
    };
    let mut at = dir.to_path_buf();
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        let last = parts.peek().is_none();
        let kind = match std::fs::symlink_metadata(&at) {
            Ok(m) => m.file_type(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => return Some(format!("{}: {e}", at.display())),
        };
        let what = if kind.is_symlink() {
            "a symbolic link"
        } else if kind.is_dir() {
            "a folder"
        } else if kind.is_file() {
            "a file"
        } else {
            "no regular file (a named pipe, a device or a socket)"
        };
        let fits = if last { kind.is_file() } else { kind.is_dir() };
        if !fits {
            let role = if last { "" } else { " on the way" };
            return Some(format!(
                "{}{role} is {what}: not written through or into",
                at.display()
            ));
        }
    }
    None
}

/// Where a listed key goes in the folder.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// At this path.
    At(PathBuf),
    /// Nowhere, quietly: a folder marker (a key ending in `/`).
    Marker,
    /// Nowhere, reported: no path below the folder, or the path of a key listed before.
    Skipped,
}

/// The places of the keys listed under a prefix in a folder (`get -r`, `sync`): each key
/// at its [`path_below`] the folder, the first key listed keeping a path that two keys
/// share (after a prefix not ending in `/`, `p/a` and `pa` are both `a`).
#[derive(Debug)]
pub(crate) struct Placement {
    bucket: String,
    dir: PathBuf,
    prefix: String,
    /// Paths already given, with the key's name for the report; only for a prefix not
    /// ending in `/` (the only case where two keys can share one).
    claimed: Option<HashMap<PathBuf, String>>,
}

impl Placement {
    /// The places of the keys of `bucket` listed under `prefix`, in `dir`.
    pub(crate) fn new(bucket: &str, dir: &Path, prefix: &str) -> Self {
        Self {
            bucket: bucket.to_owned(),
            dir: dir.to_path_buf(),
            prefix: prefix.to_owned(),
            claimed: (!prefix.is_empty() && !prefix.ends_with('/')).then(HashMap::new),
        }
    }

    /// The folder the keys are placed in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The place of `key`; a skipped key is reported on stderr (a folder marker is not).
    pub(crate) fn place(&mut self, key: &str) -> Place {
        let shown = cos_uri(&self.bucket, key);
        let Some(path) = path_below(&self.dir, &self.prefix, key) else {
            if key.ends_with('/') {
                return Place::Marker;
            }
            crate::warn(&format!(
                "{shown}: skipped: its key is no path below the folder"
            ));
            return Place::Skipped;
        };
        if let Some(claimed) = &mut self.claimed {
            if let Some(first) = claimed.get(&path) {
                crate::warn(&format!(
                    "{shown}: skipped: {} is the path of {} (listed first)",
                    path.display(),
                    cos_uri(&self.bucket, first)
                ));
                return Place::Skipped;
            }
            claimed.insert(path.clone(), key.to_owned());
        }
        Place::At(path)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_below_the_folder() {
        use super::path_below;
        use std::path::Path;
        let d = Path::new("/out");
        let at = |prefix: &str, key: &str| path_below(d, prefix, key);
        assert_eq!(at("p/", "p/a.jpg"), Some(d.join("a.jpg")));
        assert_eq!(
            at("p/", "p/x/y z/谷"),
            Some(d.join("x").join("y z").join("谷"))
        );
        assert_eq!(at("p", "p/a"), Some(d.join("a")));
        assert_eq!(at("p", "p2/b"), Some(d.join("2").join("b")));
        assert_eq!(at("", "a\\b"), Some(d.join("a\\b")));
        for (prefix, key) in [
            ("p/", "p/"),
            ("p/", "p/../x"),
            ("p/", "p/a/../../x"),
            ("p/", "p//etc/passwd"),
            ("p/", "p/a//b"),
            ("p/", "p/./a"),
            ("p/", "p/a/."),
            ("p/", "p/a/"),
            ("p/", "p/a\0b"),
            ("", "/etc/passwd"),
            ("", ".."),
            ("p", "p"),
            ("q/", "p/a"),
        ] {
            assert_eq!(at(prefix, key), None, "{prefix:?} {key:?}");
        }
    }

    #[test]
    fn places_through_links_or_into_no_file_are_unwritable() {
        use super::unwritable_place;
        use std::os::unix::fs::symlink;
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("file"), "x").unwrap();
        symlink(t.path(), d.join("up")).unwrap();
        symlink(d.join("file"), d.join("alias")).unwrap();
        for ok in ["new", "file", "sub/new", "sub/deeper/new", "missing/a/b"] {
            assert_eq!(unwritable_place(&d, &d.join(ok)), None, "{ok}");
        }
        for (bad, says) in [
            ("up/x", "up on the way is a symbolic link"),
            ("alias", "alias is a symbolic link"),
            ("sub", "sub is a folder"),
            ("file/x", "file on the way is a file"),
        ] {
            let why = unwritable_place(&d, &d.join(bad)).unwrap_or_default();
            assert!(why.contains(says), "{bad}: {why}");
        }
        let why = unwritable_place(&d, std::path::Path::new("/etc/passwd")).unwrap_or_default();
        assert!(why.contains("is not below"), "{why}");
    }

    #[test]
    fn the_first_key_keeps_a_shared_path() {
        use super::{Place, Placement};
        use std::path::Path;
        let d = Path::new("/out");
        let mut p = Placement::new("b", d, "c");
        assert_eq!(p.place("c/a"), Place::At(d.join("a")));
        assert_eq!(p.place("ca"), Place::Skipped);
        assert_eq!(p.place("c/"), Place::Marker);
        assert_eq!(p.place("c/x/"), Place::Marker);
        assert_eq!(p.place("c/../x"), Place::Skipped);
        let mut p = Placement::new("b", d, "c/");
        assert_eq!(p.place("c/a"), Place::At(d.join("a")));
        assert_eq!(p.place("c/a"), Place::At(d.join("a")));
    }
}
