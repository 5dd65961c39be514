//! `rm -r` against the local server (`cos-sign serve`, its request log read): the keys of a
//! page go in one DELETE Multiple Objects request, a key XML cannot carry goes alone, and a
//! server that refuses the batch request gets one DELETE a key. Credentials come from the
//! environment, never argv.

mod cli_common;

use cli_common::*;

#[test]
fn rm_r_deletes_a_page_in_one_request() {
    let server = Server::logged(&["--credential", &format!("{ID}:{KEY}")]);
    let keys = ["d/a", "d/b c", "d/line\nfeed", "d/bell\u{7}", "d/谷 & <x>"];
    for k in keys {
        put_direct(server.addr(), k);
    }
    let before = server.requests().len();
    let o = run(
        &through(&["rm", "-r", &format!("cos://{BUCKET}/d/")], &server.url),
        PERM,
    );
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 5, "{}", stdout(&o));
    assert!(listed_keys(&server, "d/").is_empty());
    let seen = server.requests()[before..].to_vec();
    let posts = seen.iter().filter(|r| r.starts_with("POST ")).count();
    let deletes: Vec<&String> = seen.iter().filter(|r| r.starts_with("DELETE ")).collect();
    assert_eq!(posts, 1, "{seen:?}");
    // Only the key with a control character went alone.
    assert_eq!(deletes.len(), 1, "{seen:?}");
    assert!(deletes[0].contains("bell"), "{deletes:?}");
}

/// A server that refuses DELETE Multiple Objects as a whole: one DELETE a key, each
/// reported.
#[test]
fn rm_r_falls_back_to_one_delete_a_key() {
    let (addr, seen) = stand_in(|method, target| match (method, path_query(target)) {
        ("GET", ("/", _)) => (
            "HTTP/1.1 200 OK\r\n".into(),
            list_page(&["r/a", "r/b", "r/c"], None),
        ),
        ("POST", ("/", q)) if q.contains("delete") => cos_error("403 Forbidden", "AccessDenied"),
        ("DELETE", _) => ("HTTP/1.1 204 No Content\r\n".into(), Vec::new()),
        _ => cos_error("400 Bad Request", "InvalidRequest"),
    });
    let o = run(
        &through(
            &["rm", &format!("cos://{BUCKET}/r/"), "-r"],
            &format!("http://{addr}"),
        ),
        PERM,
    );
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        format!(
            "deleted cos://{BUCKET}/r/a\ndeleted cos://{BUCKET}/r/b\ndeleted cos://{BUCKET}/r/c\n"
        )
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.iter().filter(|r| r.starts_with("DELETE ")).count(),
        3,
        "{seen:?}"
    );
}

/// `rm -r` deletes only keys under the prefix it was given, whatever the listing says: a
/// listing of `tmp/` that also names `important` (a broken or lying server) deletes
/// `tmp/a` alone (one DELETE), never `important`.
#[test]
fn rm_r_deletes_nothing_outside_its_prefix() {
    let (addr, seen) = stand_in(|method, target| match method {
        "GET" => (
            "HTTP/1.1 200 OK\r\n".to_owned(),
            list_page(&["tmp/a", "important"], None),
        ),
        "POST" => (
            "HTTP/1.1 200 OK\r\n".to_owned(),
            b"<DeleteResult><Deleted><Key>tmp/a</Key></Deleted>\
              <Deleted><Key>important</Key></Deleted></DeleteResult>"
                .to_vec(),
        ),
        _ => {
            assert!(!target.contains("important"), "{target}");
            ("HTTP/1.1 204 No Content\r\n".to_owned(), Vec::new())
        }
    });
    let proxy = format!("http://{addr}");
    let o = run(
        &through(&["rm", "-r", &format!("cos://{BUCKET}/tmp/")], &proxy),
        PERM,
    );
    assert_exit(&o, 0);
    assert!(!stdout(&o).contains("important"), "{}", stdout(&o));
    let sent = seen.lock().unwrap().clone();
    let changes: Vec<&String> = sent.iter().filter(|r| !r.starts_with("GET")).collect();
    assert_eq!(changes.len(), 1, "{sent:?}");
    assert!(
        changes[0].starts_with("DELETE ") && changes[0].ends_with("/tmp/a"),
        "{sent:?}"
    );
}
