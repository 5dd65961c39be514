//! End-to-end tests of `--exclude` / `--include` (`put -r`, `get -r`, `rm -r`, `sync`)
//! against the local server (`cos-sign serve`): only what the filters take is uploaded,
//! downloaded or deleted; with `sync --delete`, what they leave out is kept on both sides;
//! filters are refused without `-r`. Credentials come from the environment, never argv.

mod cli_common;

use std::path::Path;

use cli_common::*;

fn write(path: &Path, bytes: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A folder with a `.git` folder, temporary files, logs and photos.
fn folder(dir: &Path) {
    for rel in [
        "index.html",
        "notes.tmp",
        ".git/HEAD",
        ".git/objects/ab/cd",
        "logs/a.log",
        "logs/b.log",
        "logs/keep.txt",
        "photos/2024/谷 1.jpg",
        "photos/2024/2.JPG",
        "photos/2023/3.jpg",
    ] {
        write(&dir.join(rel), rel);
    }
}

/// A temporary folder holding `up` (see [`folder`]), and a server.
fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    folder(&dir.path().join("up"));
    (dir, Server::with_key())
}

#[test]
fn put_r_and_get_r_take_what_the_filters_take() {
    let (dir, server) = start();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let up = dir.path().join("up");
    let up_s = up.to_str().unwrap();
    let site = format!("cos://{BUCKET}/site");
    let o = local(&[
        "put",
        up_s,
        &site,
        "-r",
        "--exclude",
        ".git/*",
        "--exclude",
        "*.tmp",
    ]);
    assert_exit(&o, 0);
    assert_eq!(
        listed_keys(&server, "site/"),
        [
            "site/index.html",
            "site/logs/a.log",
            "site/logs/b.log",
            "site/logs/keep.txt",
            "site/photos/2023/3.jpg",
            "site/photos/2024/2.JPG",
            "site/photos/2024/谷 1.jpg",
        ]
    );

    // Only the .jpg photos of 2024 (case-sensitive: not 2.JPG), the last filter deciding.
    let back = dir.path().join("back");
    let o = local(&[
        "get",
        &format!("{site}/"),
        "-r",
        "-o",
        back.to_str().unwrap(),
        "--exclude",
        "*",
        "--include",
        "photos/2024/*.jpg",
    ]);
    assert_exit(&o, 0);
    assert_eq!(
        tree(&back),
        ["photos", "photos/2024", "photos/2024/谷 1.jpg"]
    );
    // The other order: the exclude comes last and leaves nothing.
    let none = dir.path().join("none");
    let o = local(&[
        "get",
        &site,
        "-r",
        "-o",
        none.to_str().unwrap(),
        "--include",
        "photos/2024/*.jpg",
        "--exclude",
        "*",
    ]);
    assert_exit(&o, 0);
    assert!(tree(&none).is_empty(), "{:?}", tree(&none));

    // rm -r of the logs but keep.txt; --dry-run first deletes nothing.
    let rm = |extra: &[&str]| {
        let mut a = vec!["rm", "-r", BUCKET, "site/logs/", "--exclude", "keep.*"];
        a.extend_from_slice(extra);
        local(&a)
    };
    let o = rm(&["--dry-run"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert_eq!(listed_keys(&server, "site/logs/").len(), 3);
    let o = rm(&[]);
    assert_exit(&o, 0);
    assert_eq!(listed_keys(&server, "site/logs/"), ["site/logs/keep.txt"]);

    // Filters choose among the files of -r: not with one object, and not empty.
    let a = up.join("index.html");
    for args in [
        vec!["put", a.to_str().unwrap(), BUCKET, "x", "--exclude", "*"],
        vec![
            "get",
            BUCKET,
            "site/index.html",
            "-o",
            "-",
            "--include",
            "*",
        ],
        vec!["rm", BUCKET, "site/index.html", "--exclude", "*"],
        vec!["put", up_s, &site, "-r", "--exclude", ""],
    ] {
        let o = local(&args);
        assert_exit(&o, 2);
        assert!(!stderr(&o).is_empty());
    }
    assert_eq!(listed_keys(&server, "site/").len(), 5);
}

/// `sync --delete` both ways: what the filters leave out is neither transferred nor deleted,
/// on either side.
#[test]
fn sync_delete_keeps_what_the_filters_leave_out() {
    let (dir, server) = start();
    let local = |args: &[&str]| run(&through(args, &server.url), PERM);
    let up = dir.path().join("up");
    let up_s = up.to_str().unwrap();
    let dst = format!("cos://{BUCKET}/s/");
    // Objects the folder lacks: one under an excluded path, one not.
    for key in ["s/.git/old", "s/gone.txt"] {
        put_direct(server.addr(), key);
    }
    let o = local(&[
        "sync",
        up_s,
        &dst,
        "--delete",
        "--exclude",
        ".git/*",
        "--exclude",
        "*.tmp",
    ]);
    assert_exit(&o, 0);
    assert_has(
        &stdout(&o),
        "sync: 7 transferred, 0 unchanged, 1 deleted, 0 failed",
    );
    assert_has(&stdout(&o), &format!("delete: cos://{BUCKET}/s/gone.txt"));
    let keys = listed_keys(&server, "s/");
    assert!(keys.contains(&"s/.git/old".to_owned()), "{keys:?}");
    assert!(
        !keys
            .iter()
            .any(|k| k.ends_with(".tmp") || k == "s/.git/HEAD")
    );
    assert_eq!(keys.len(), 8, "{keys:?}");

    // Down into a folder holding files the prefix lacks: the excluded one stays.
    let down = dir.path().join("down");
    write(&down.join("local.tmp"), "mine");
    write(&down.join("stale.txt"), "old");
    let o = local(&[
        "sync",
        &dst,
        down.to_str().unwrap(),
        "--delete",
        "--exclude",
        "*.tmp",
        "--exclude",
        ".git/*",
    ]);
    assert_exit(&o, 0);
    assert_has(
        &stdout(&o),
        "sync: 7 transferred, 0 unchanged, 1 deleted, 0 failed",
    );
    let got = tree(&down);
    assert!(got.contains(&"local.tmp".to_owned()), "{got:?}");
    assert!(!got.contains(&"stale.txt".to_owned()), "{got:?}");
    assert!(!got.iter().any(|p| p.starts_with(".git")), "{got:?}");
}
