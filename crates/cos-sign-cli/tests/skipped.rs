//! The exit status of `put -r` and `sync` (uploading) when entries of the folder are
//! skipped: a pipe, an unreadable file (where permissions apply: not for root). Everything
//! else is uploaded, each skip is a warning on stderr, and the command ends with exit 3, apart
//! from a failure (1) and bad usage (2), as `aws s3 cp --recursive` and `aws s3 sync` end
//! with a status of their own (2) when files were skipped. A failure wins over a skip;
//! `sync --delete` keeps the objects where the folder has an entry it skipped.

mod cli_common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use cli_common::*;

/// Makes a named pipe at `path`.
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Makes `path` a file no one may read (mode 000); whether that keeps this process from
/// opening it (not for root, who passes permissions).
fn unreadable(path: &Path) -> bool {
    std::fs::write(path, "secret").unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::File::open(path).is_err()
}

/// A folder `up` holding two readable files, a pipe, and (unless this runs as root) an
/// unreadable file: the names a skip warning must show.
fn folder_with_skips(dir: &Path) -> (std::path::PathBuf, Vec<&'static str>) {
    let up = dir.join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("a.txt"), "a").unwrap();
    std::fs::write(up.join("sub").join("b.txt"), "b").unwrap();
    mkfifo(&up.join("sub").join("pipe"));
    let mut skipped = vec!["pipe: skipped: not a file"];
    if unreadable(&up.join("locked.txt")) {
        skipped.push("locked.txt: skipped: cannot be read");
    } else {
        std::fs::remove_file(up.join("locked.txt")).unwrap();
    }
    (up, skipped)
}

#[test]
fn put_r_exits_3_when_entries_were_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::with_key();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let (up, skips) = folder_with_skips(dir.path());
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
    let o = run(
        &through(&["put", up.to_str().unwrap(), &dst, "-r"], &small.url),
        PERM,
    );
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
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let (up, skips) = folder_with_skips(dir.path());
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
