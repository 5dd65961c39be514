//! The exit status of `put -r` and `sync` (uploading) when entries of the folder are
//! skipped: a pipe, an unreadable file. Everything else is uploaded, each skip is a warning on
//! stderr, and the command ends with exit 3, apart from a failure (1) and bad usage (2), as
//! `aws s3 cp --recursive` and `aws s3 sync` end with a status of their own (2) when files
//! were skipped. A failure wins over a skip; `sync --delete` keeps the objects where the
//! folder has an entry it skipped.
//!
//! Root passes file permissions, so where the tests run as root (CI does) the commands run as
//! uid and gid 65534 (`nobody`), to whom a mode-000 file is as unreadable as to any user.

mod cli_common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cli_common::*;

/// Makes a named pipe at `path`.
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// The unprivileged user and group the commands run as when this process passes permissions.
const NOBODY: u32 = 65534;

/// Who runs the commands: this process, or (when it passes file permissions) `nobody`, with a
/// copy of the binary in the test's folder, which it can reach.
enum Runner {
    Me,
    Nobody(PathBuf),
}

impl Runner {
    /// `Nobody` when this process can open `locked` (a mode-000 file), after opening the
    /// test's folder `dir` to it; else `Me`.
    fn for_locked(dir: &Path, locked: &Path) -> Runner {
        if std::fs::File::open(locked).is_err() {
            return Runner::Me;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let bin = dir.join("cos-sign");
        std::fs::copy(BIN, &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cat = Command::new("cat")
            .arg(locked)
            .uid(NOBODY)
            .gid(NOBODY)
            .output()
            .unwrap();
        assert!(!cat.status.success(), "nobody reads a mode-000 file");
        let runner = Runner::Nobody(bin);
        assert_exit(&runner.run(&["--version"], &[]), 0);
        runner
    }

    /// Runs `cos-sign args` with the permanent credentials through the server at `url`.
    fn through(&self, args: &[&str], url: &str) -> Output {
        self.run(&through(args, url), PERM)
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = match self {
            Runner::Me => cmd(args, env),
            Runner::Nobody(bin) => cmd_of(bin, args, env),
        };
        if let Runner::Nobody(_) = self {
            c.uid(NOBODY).gid(NOBODY);
        }
        let out = c.output().expect("cos-sign runs");
        record(&args.join(" "), &out);
        out
    }
}

/// A folder `up` holding two readable files, a pipe, and a file no one may read (mode 000):
/// the folder, the names a skip warning must show, and who runs the commands.
fn folder_with_skips(dir: &Path) -> (PathBuf, [&'static str; 2], Runner) {
    let up = dir.join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("a.txt"), "a").unwrap();
    std::fs::write(up.join("sub").join("b.txt"), "b").unwrap();
    mkfifo(&up.join("sub").join("pipe"));
    let locked = up.join("locked.txt");
    std::fs::write(&locked, "secret").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let runner = Runner::for_locked(dir, &locked);
    let skipped = [
        "pipe: skipped: not a file",
        "locked.txt: skipped: cannot be read",
    ];
    (up, skipped, runner)
}

#[test]
fn put_r_exits_3_when_entries_were_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let (up, skips, runner) = folder_with_skips(dir.path());
    let local = |args: &[&str]| runner.through(args, &server.url);
    let put = |dst: &str| local(&["put", up.to_str().unwrap(), dst, "-r"]);

    let o = put(&format!("cos://{BUCKET}/up/"));
    assert_exit(&o, 3);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    for skip in &skips {
        assert_has(&stderr(&o), skip);
    }
    assert_has(
        &stderr(&o),
        &format!("{} skipped, not uploaded", skips.len()),
    );
    assert_eq!(listed_keys(&server, "up/"), ["up/a.txt", "up/sub/b.txt"]);

    // Skipped entries the filters leave out count for nothing: exit 0, no warning.
    let mut args = vec![
        "put",
        up.to_str().unwrap(),
        "cos://examplebucket-1250000000/f/",
        "-r",
    ];
    args.extend(["--exclude", "sub/pipe", "--exclude", "locked.txt"]);
    let o = local(&args);
    assert_exit(&o, 0);
    assert!(!stderr(&o).contains("skipped"), "{}", stderr(&o));

    // A failure wins over a skip: exit 1, both told.
    std::fs::write(up.join("big.bin"), data(5000, 3)).unwrap();
    let small = Server::start(&[
        "--credential",
        &format!("{ID}:{KEY}"),
        "--max-object-size",
        "1000",
    ]);
    let dst = format!("cos://{BUCKET}/up/");
    let o = runner.through(&["put", up.to_str().unwrap(), &dst, "-r"], &small.url);
    assert_exit(&o, 1);
    assert_has(
        &stderr(&o),
        &format!(
            "1 of 3 files not uploaded; {} skipped, not uploaded",
            skips.len()
        ),
    );
}

#[test]
fn sync_up_exits_3_when_entries_were_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let (up, skips, runner) = folder_with_skips(dir.path());
    let local = |args: &[&str]| runner.through(args, &server.url);
    let dst = format!("cos://{BUCKET}/s/");
    let sync = |extra: &[&str]| {
        let mut a = vec!["sync", up.to_str().unwrap(), dst.as_str()];
        a.extend_from_slice(extra);
        local(&a)
    };

    for extra in [&["--dryrun"][..], &[], &[]] {
        let o = sync(extra);
        assert_exit(&o, 3);
        for skip in &skips {
            assert_has(&stderr(&o), skip);
        }
        assert_has(
            &stdout(&o),
            &format!(" 0 failed, {} skipped\n", skips.len()),
        );
    }
    assert_eq!(listed_keys(&server, "s/"), ["s/a.txt", "s/sub/b.txt"]);

    // --delete keeps an object where the folder has an entry it skipped (the pipe), and
    // deletes one it lacks.
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "o").unwrap();
    for key in ["s/sub/pipe", "s/gone.txt"] {
        let o = local(&[
            "put",
            other.to_str().unwrap(),
            &format!("cos://{BUCKET}/{key}"),
        ]);
        assert_exit(&o, 0);
    }
    let o = sync(&["--delete"]);
    assert_exit(&o, 3);
    assert_has(&stdout(&o), &format!("delete: cos://{BUCKET}/s/gone.txt"));
    assert_eq!(
        listed_keys(&server, "s/"),
        ["s/a.txt", "s/sub/b.txt", "s/sub/pipe"]
    );

    // Downloading does not upload what the folder skips: exit 0.
    let back = dir.path().join("back");
    let o = local(&["sync", &dst, back.to_str().unwrap()]);
    assert_exit(&o, 0);
}
