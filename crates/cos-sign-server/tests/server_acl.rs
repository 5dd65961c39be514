//! ACLs and anonymous access, with requests signed by cos-sign-core (or not signed at all):
//! PUT/GET Object and Bucket acl round trips in memory and on disk (and across a restart),
//! every canned value, grant headers and bodies good and bad, the full matrix of anonymous
//! GET/HEAD against object and bucket ACLs, what stays refused without a signature, and the
//! ACL an object has after an overwrite, a delete, a copy, a multipart upload and a POST
//! Object.

mod server_common;

use base64::Engine;
use cos_sign_core::SigningKey;
use cos_sign_server::ServerHandle;
use server_common::*;

const ALL_USERS: &str = "http://cam.qcloud.com/groups/global/AllUsers";
const OWNER: &str = "qcs::cam::uin/1250000000:uin/1250000000";

/// A signed request with `headers` (not signed but `host`) and `body`.
async fn send(
    client: &reqwest::Client,
    method: &str,
    key: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: &[u8],
) -> reqwest::Response {
    let mut req = client
        .request(method.parse().unwrap(), signed(method, key, params))
        .body(body.to_vec());
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    req.send().await.unwrap()
}

/// An unsigned request.
async fn anonymous(
    client: &reqwest::Client,
    method: &str,
    key: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut url = object_url(key);
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let mut req = client.request(method.parse().unwrap(), url);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    req.send().await.unwrap()
}

async fn put_acl(
    client: &reqwest::Client,
    key: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let resp = send(client, "PUT", key, &[("acl", "")], headers, body).await;
    let (status, code, _) = error_of(resp).await;
    (status, code)
}

async fn get_acl(client: &reqwest::Client, key: &str) -> (String, Option<String>) {
    let resp = send(client, "GET", key, &[("acl", "")], &[], b"").await;
    assert_eq!(resp.status(), 200, "GET {key}?acl");
    let canned = resp
        .headers()
        .get("x-cos-acl")
        .map(|v| v.to_str().unwrap().to_owned());
    (resp.text().await.unwrap(), canned)
}

/// The grants of a GET acl answer as (grantee, permission), in order.
fn grants(xml: &str) -> Vec<(String, String)> {
    xml.split("<Grant>")
        .skip(1)
        .map(|g| {
            let who = xml_field(g, "URI")
                .or_else(|| xml_field(g, "ID"))
                .unwrap_or_default();
            (who, xml_field(g, "Permission").unwrap_or_default())
        })
        .collect()
}

fn owner_only() -> Vec<(String, String)> {
    vec![(OWNER.to_owned(), "FULL_CONTROL".to_owned())]
}

fn with_all_users(perms: &[&str]) -> Vec<(String, String)> {
    let mut v = owner_only();
    for p in perms {
        v.push((ALL_USERS.to_owned(), (*p).to_owned()));
    }
    v
}

async fn servers() -> Vec<(ServerHandle, Option<TempDir>)> {
    let dir = TempDir::new("acl");
    let disk = start_disk(dir.path()).await;
    vec![(start_memory().await, None), (disk, Some(dir))]
}

#[tokio::test]
async fn object_and_bucket_acls_round_trip_every_canned_value() {
    for (handle, _dir) in servers().await {
        let c = proxy_client(&handle);
        put_object(&c, "o.txt", b"bytes").await;
        let (xml, canned) = get_acl(&c, "o.txt").await;
        assert_eq!(canned.as_deref(), Some("default"));
        assert_eq!(xml_field(&xml, "ID").as_deref(), Some(OWNER));
        assert!(xml.contains(
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\""
        ));
        assert_eq!(grants(&xml), owner_only());
        for (value, expected, default_header) in [
            ("public-read", with_all_users(&["READ"]), None),
            ("private", owner_only(), None),
            ("default", owner_only(), Some("default")),
        ] {
            assert_eq!(
                put_acl(&c, "o.txt", &[("x-cos-acl", value)], b"").await,
                (200, String::new())
            );
            let (xml, canned) = get_acl(&c, "o.txt").await;
            assert_eq!(grants(&xml), expected, "{value}");
            assert_eq!(canned.as_deref(), default_header, "{value}");
        }
        // The object's bytes, ETag and Last-Modified stay.
        let got = c.get(signed("GET", "o.txt", &[])).send().await.unwrap();
        assert_eq!(
            got.headers()["etag"],
            format!("\"{}\"", md5_hex(b"bytes")).as_str()
        );
        assert!(got.headers().get("x-cos-acl").is_none());
        assert_eq!(got.bytes().await.unwrap().as_ref(), b"bytes");

        // Buckets: private by default, then each canned value.
        let (xml, canned) = get_acl(&c, "").await;
        assert_eq!((grants(&xml), canned), (owner_only(), None));
        for (value, expected) in [
            ("public-read", with_all_users(&["READ"])),
            ("public-read-write", with_all_users(&["READ", "WRITE"])),
            ("private", owner_only()),
        ] {
            assert_eq!(
                put_acl(&c, "", &[("x-cos-acl", value)], b"").await,
                (200, String::new())
            );
            assert_eq!(grants(&get_acl(&c, "").await.0), expected, "{value}");
        }
        for (key, value) in [
            ("o.txt", "public-read-write"),
            ("o.txt", "authenticated-read"),
            ("", "default"),
            ("", "PUBLIC-READ"),
        ] {
            assert_eq!(
                put_acl(&c, key, &[("x-cos-acl", value)], b"").await,
                (400, "InvalidArgument".to_owned()),
                "{key} {value}"
            );
        }
        // A missing object has no ACL to read or write.
        let resp = send(&c, "GET", "missing", &[("acl", "")], &[], b"").await;
        assert_eq!(error_of(resp).await.1, "NoSuchKey");
        assert_eq!(
            put_acl(&c, "missing", &[("x-cos-acl", "private")], b"").await,
            (404, "NoSuchKey".to_owned())
        );
    }
}

#[tokio::test]
async fn grant_headers_and_bodies_good_and_bad() {
    for (handle, _dir) in servers().await {
        let c = proxy_client(&handle);
        put_object(&c, "g.txt", b"g").await;
        let headers = [
            (
                "x-cos-grant-read",
                "id=\"100000000001\",id=\"100000000001/100000000011\"",
            ),
            ("x-cos-grant-read-acp", "id=\"qcs::cam::uin/2:uin/3\""),
            ("x-cos-grant-write-acp", "id=\"4\""),
            (
                "x-cos-grant-full-control",
                "uri=\"http://cam.qcloud.com/groups/global/AllUsers\"",
            ),
        ];
        assert_eq!(put_acl(&c, "g.txt", &headers, b"").await.0, 200);
        let (xml, _) = get_acl(&c, "g.txt").await;
        let expect: Vec<(String, String)> = [
            (OWNER, "FULL_CONTROL"),
            ("qcs::cam::uin/100000000001:uin/100000000001", "READ"),
            ("qcs::cam::uin/100000000001:uin/100000000011", "READ"),
            ("qcs::cam::uin/2:uin/3", "READ_ACP"),
            ("qcs::cam::uin/4:uin/4", "WRITE_ACP"),
            (ALL_USERS, "FULL_CONTROL"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        assert_eq!(grants(&xml), expect);
        // GET's answer sent back as a body (its MD5 checked) sets the same ACL.
        assert_eq!(
            put_acl(&c, "g.txt", &[("x-cos-acl", "private")], b"")
                .await
                .0,
            200
        );
        let md5 = md5_base64(xml.as_bytes());
        assert_eq!(
            put_acl(&c, "g.txt", &[("content-md5", &md5)], xml.as_bytes())
                .await
                .0,
            200
        );
        assert_eq!(get_acl(&c, "g.txt").await.0, xml);

        let grant = |who: &str, p: &str| {
            format!(
                "<AccessControlPolicy><AccessControlList><Grant><Grantee>{who}</Grantee><Permission>{p}</Permission></Grant></AccessControlList></AccessControlPolicy>"
            )
        };
        let too_large = format!("<AccessControlPolicy>{}", " ".repeat(64 * 1024));
        let many: String = (1..=101)
            .map(|i| {
                format!(
                    "<Grant><Grantee><ID>{i}</ID></Grantee><Permission>READ</Permission></Grant>"
                )
            })
            .collect();
        let many = format!(
            "<AccessControlPolicy><AccessControlList>{many}</AccessControlList></AccessControlPolicy>"
        );
        for (headers, body, code) in [
            (
                vec![],
                grant("<ID>1</ID>", "READ_EVERYTHING"),
                "InvalidArgument",
            ),
            (vec![], grant("<ID>1</ID>", "WRITE"), "InvalidArgument"),
            (vec![], grant("<ID>me</ID>", "READ"), "InvalidArgument"),
            (
                vec![],
                grant(
                    "<URI>http://cam.qcloud.com/groups/global/Other</URI>",
                    "READ",
                ),
                "InvalidArgument",
            ),
            (vec![], grant("", "READ"), "MalformedXML"),
            (
                vec![],
                "<AccessControlPolicy><AccessControlList>".to_owned(),
                "MalformedXML",
            ),
            (vec![], "not xml".to_owned(), "MalformedXML"),
            (vec![], too_large, "EntityTooLarge"),
            (vec![], many, "AttachmentFull"),
            (
                vec![("x-cos-acl", "private")],
                grant("<ID>1</ID>", "READ"),
                "InvalidArgument",
            ),
            (
                vec![("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
                grant("<ID>1</ID>", "READ"),
                "BadDigest",
            ),
            (
                vec![("content-md5", "nope")],
                grant("<ID>1</ID>", "READ"),
                "InvalidDigest",
            ),
            (vec![], String::new(), "InvalidArgument"),
            (
                vec![("x-cos-grant-read", "id=1;id=2")],
                String::new(),
                "InvalidArgument",
            ),
            (
                vec![("x-cos-grant-write", "id=\"1\"")],
                String::new(),
                "InvalidArgument",
            ),
        ] {
            assert_eq!(
                put_acl(&c, "g.txt", &headers, body.as_bytes()).await,
                (400, code.to_owned()),
                "{headers:?} {body:.80}"
            );
        }
        // None of them changed the ACL.
        assert_eq!(get_acl(&c, "g.txt").await.0, xml);
        // A bucket may grant WRITE.
        assert_eq!(
            put_acl(&c, "", &[("x-cos-grant-write", "id=\"7\"")], b"")
                .await
                .0,
            200
        );
        assert_eq!(
            grants(&get_acl(&c, "").await.0)[1],
            ("qcs::cam::uin/7:uin/7".to_owned(), "WRITE".to_owned())
        );
    }
}

#[tokio::test]
async fn anonymous_reads_follow_object_and_bucket_acls() {
    for (handle, _dir) in servers().await {
        let c = proxy_client(&handle);
        for (key, acl) in [
            ("private", "private"),
            ("default", "default"),
            ("public", "public-read"),
        ] {
            let resp = send(&c, "PUT", key, &[], &[("x-cos-acl", acl)], key.as_bytes()).await;
            assert_eq!(resp.status(), 200);
        }
        for bucket in ["private", "public-read", "public-read-write"] {
            assert_eq!(put_acl(&c, "", &[("x-cos-acl", bucket)], b"").await.0, 200);
            let bucket_reads = bucket != "private";
            for (key, readable) in [
                ("private", false),
                ("default", bucket_reads),
                ("public", true),
            ] {
                for method in ["GET", "HEAD"] {
                    let resp = anonymous(&c, method, key, "", &[]).await;
                    let status = resp.status().as_u16();
                    if readable {
                        assert_eq!(status, 200, "{method} {key} in {bucket}");
                        assert_eq!(
                            resp.headers()["content-length"],
                            key.len().to_string().as_str()
                        );
                        if method == "GET" {
                            assert_eq!(resp.bytes().await.unwrap().as_ref(), key.as_bytes());
                        }
                    } else {
                        assert_eq!(status, 403, "{method} {key} in {bucket}");
                        if method == "GET" {
                            assert_eq!(error_of(resp).await.1, "AccessDenied");
                        }
                    }
                }
            }
            // A missing key: 404 where anyone may list the bucket, else 403.
            let missing = anonymous(&c, "GET", "missing", "", &[]).await;
            assert_eq!(
                error_of(missing).await.0,
                if bucket_reads { 404 } else { 403 },
                "{bucket}"
            );
            let listing = anonymous(&c, "GET", "", "prefix=p", &[]).await;
            if bucket_reads {
                let body = listing.text().await.unwrap();
                assert!(
                    body.contains("<Key>private</Key><") && body.contains("<Key>public</Key>"),
                    "{body}"
                );
            } else {
                assert_eq!(error_of(listing).await.1, "AccessDenied");
            }
        }
        // Conditions and ranges apply; response-* overrides need a signature.
        let etag = format!("\"{}\"", md5_hex(b"public"));
        let resp = anonymous(&c, "GET", "public", "", &[("if-none-match", &etag)]).await;
        assert_eq!(resp.status(), 304);
        let resp = anonymous(&c, "GET", "public", "", &[("range", "bytes=1-2")]).await;
        assert_eq!(
            (resp.status().as_u16(), resp.bytes().await.unwrap().as_ref()),
            (206, &b"ub"[..])
        );
        let resp = anonymous(
            &c,
            "GET",
            "public",
            "response-content-type=text%2Fhtml",
            &[],
        )
        .await;
        assert_eq!(error_of(resp).await.1, "AccessDenied");
    }
}

#[tokio::test]
async fn everything_else_unsigned_stays_refused_and_signatures_are_checked() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    put_object(&c, "pub.txt", b"pub").await;
    assert_eq!(
        put_acl(&c, "pub.txt", &[("x-cos-acl", "public-read")], b"")
            .await
            .0,
        200
    );
    assert_eq!(
        put_acl(&c, "", &[("x-cos-acl", "public-read")], b"")
            .await
            .0,
        200
    );
    // (HEAD Bucket and List Multipart Uploads, which a bucket's READ allows:
    // server_unsigned_writes.)
    let unsigned: [(&str, &str, &str); 12] = [
        ("PUT", "pub.txt", "acl"),
        ("GET", "pub.txt", "acl"),
        ("PUT", "", "acl"),
        ("GET", "", "acl"),
        ("GET", "pub.txt", "tagging"),
        ("PUT", "pub.txt", "tagging"),
        ("POST", "pub.txt", "uploads"),
        ("GET", "", "location"),
        ("PUT", "new.txt", ""),
        ("DELETE", "pub.txt", ""),
        ("GET", "pub.txt", "versionId=1"),
        ("POST", "", "delete"),
    ];
    for (method, key, query) in unsigned {
        let resp = anonymous(&c, method, key, query, &[("x-cos-acl", "public-read")]).await;
        let status = resp.status().as_u16();
        assert_eq!(status, 403, "{method} /{key}?{query}");
        if method != "HEAD" {
            let (_, code, body) = error_of(resp).await;
            assert_eq!(code, "AccessDenied", "{method} /{key}?{query}");
            assert_eq!(
                xml_field(&body, "Message").as_deref(),
                Some("Access Denied.")
            );
        }
    }
    // Nothing changed.
    assert_eq!(
        grants(&get_acl(&c, "pub.txt").await.0),
        with_all_users(&["READ"])
    );
    assert_eq!(anonymous(&c, "GET", "new.txt", "", &[]).await.status(), 404);
    // A request with a signature is verified, even on a public object.
    let wrong = presigned_query(
        "GET",
        "pub.txt",
        &[],
        &[("host", HOST)],
        ID,
        "not-the-key",
        window(),
    );
    let resp = c
        .get(format!("{}?{wrong}", object_url("pub.txt")))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.1, "SignatureDoesNotMatch");
    let resp = c
        .get(object_url("pub.txt"))
        .header("authorization", "q-sign-algorithm=sha1&q-ak=x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.0, 400);
    let resp = c
        .get(format!("{}?q-ak={ID}", object_url("pub.txt")))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.0 / 100, 4);
    assert_eq!(anonymous(&c, "GET", "pub.txt", "", &[]).await.status(), 200);
}

#[tokio::test]
async fn public_read_write_buckets_take_anonymous_writes_without_acls() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    assert_eq!(anonymous(&c, "PUT", "w.txt", "", &[]).await.status(), 403);
    assert_eq!(
        put_acl(&c, "", &[("x-cos-acl", "public-read-write")], b"")
            .await
            .0,
        200
    );
    let resp = c
        .put(object_url("w.txt"))
        .body("anon")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, canned) = get_acl(&c, "w.txt").await;
    assert_eq!(canned.as_deref(), Some("default"));
    let resp = c
        .put(object_url("w2.txt"))
        .header("x-cos-acl", "public-read")
        .body("anon")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await.1, "AccessDenied");
    let copy = anonymous(
        &c,
        "PUT",
        "w3.txt",
        "",
        &[("x-cos-copy-source", &format!("{HOST}/w.txt"))],
    )
    .await;
    // A copy is one of the writes WRITE allows, from a source all may read (see
    // server_unsigned_writes.rs for its limits); its ACL is `default` too.
    assert_eq!(copy.status(), 200);
    assert_eq!(get_acl(&c, "w3.txt").await.1.as_deref(), Some("default"));
    assert_eq!(
        anonymous(&c, "DELETE", "w.txt", "", &[]).await.status(),
        204
    );
    assert_eq!(anonymous(&c, "GET", "w.txt", "", &[]).await.status(), 404);
}

/// A signed form upload with `extra` fields and the policy's conditions `conditions`.
fn form(key: &str, conditions: &str, extra: &[(&str, &str)]) -> (Vec<u8>, String) {
    let kt = window();
    let policy = format!(
        r#"{{"expiration":"2099-01-01T00:00:00.000Z","conditions":[{{"bucket":"{BUCKET}"}}{conditions}]}}"#
    );
    let signature = SigningKey::derive(KEY.as_bytes(), kt)
        .sign_post_policy(policy.as_bytes())
        .signature()
        .to_owned();
    let b64 = base64::engine::general_purpose::STANDARD.encode(policy.as_bytes());
    let kt = kt.to_string();
    let boundary = "----cos-sign-acl-boundary";
    let mut body = Vec::new();
    for (n, v) in [
        ("key", key),
        ("policy", b64.as_str()),
        ("q-sign-algorithm", "sha1"),
        ("q-ak", ID),
        ("q-key-time", kt.as_str()),
        ("q-signature", signature.as_str()),
    ]
    .iter()
    .chain(extra)
    {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nform\r\n--{boundary}--\r\n")
            .as_bytes(),
    );
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[tokio::test]
async fn uploads_set_their_acl_and_replace_the_old_one() {
    for (handle, _dir) in servers().await {
        let c = proxy_client(&handle);
        let canned = |h: (String, Option<String>)| (grants(&h.0), h.1);
        // Overwrite: the new upload's ACL, default without one.
        send(&c, "PUT", "k", &[], &[("x-cos-acl", "public-read")], b"1").await;
        assert_eq!(anonymous(&c, "GET", "k", "", &[]).await.status(), 200);
        send(&c, "PUT", "k", &[], &[], b"2").await;
        assert_eq!(
            canned(get_acl(&c, "k").await),
            (owner_only(), Some("default".to_owned()))
        );
        assert_eq!(anonymous(&c, "GET", "k", "", &[]).await.status(), 403);
        // PUT acl, delete, upload again: the old ACL is gone.
        assert_eq!(
            put_acl(&c, "k", &[("x-cos-acl", "public-read")], b"")
                .await
                .0,
            200
        );
        assert_eq!(anonymous(&c, "GET", "k", "", &[]).await.status(), 200);
        assert_eq!(send(&c, "DELETE", "k", &[], &[], b"").await.status(), 204);
        put_object(&c, "k", b"3").await;
        assert_eq!(anonymous(&c, "GET", "k", "", &[]).await.status(), 403);
        // A tag change keeps the ACL, an ACL change keeps the tags.
        assert_eq!(
            put_acl(&c, "k", &[("x-cos-acl", "public-read")], b"")
                .await
                .0,
            200
        );
        let tags = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";
        assert_eq!(
            send(&c, "PUT", "k", &[("tagging", "")], &[], tags.as_bytes())
                .await
                .status(),
            200
        );
        assert_eq!(grants(&get_acl(&c, "k").await.0), with_all_users(&["READ"]));
        assert_eq!(
            put_acl(&c, "k", &[("x-cos-acl", "private")], b"").await.0,
            200
        );
        let resp = c.head(signed("HEAD", "k", &[])).send().await.unwrap();
        assert_eq!(resp.headers()["x-cos-tagging-count"], "1");
        // Copy: the request's ACL, default without one.
        let source = [("x-cos-copy-source", format!("{HOST}/k"))];
        let src: Vec<(&str, &str)> = source.iter().map(|(a, b)| (*a, b.as_str())).collect();
        assert_eq!(send(&c, "PUT", "copy", &[], &src, b"").await.status(), 200);
        assert_eq!(get_acl(&c, "copy").await.1.as_deref(), Some("default"));
        let mut with_acl = src.clone();
        with_acl.push(("x-cos-acl", "public-read"));
        assert_eq!(
            send(&c, "PUT", "copy", &[], &with_acl, b"").await.status(),
            200
        );
        assert_eq!(anonymous(&c, "GET", "copy", "", &[]).await.status(), 200);
        with_acl.push(("x-cos-metadata-directive", "Replaced"));
        assert_eq!(
            send(&c, "PUT", "copy2", &[], &with_acl, b"").await.status(),
            200
        );
        assert_eq!(anonymous(&c, "GET", "copy2", "", &[]).await.status(), 200);
        // Multipart: Initiate's ACL, applied at Complete.
        let resp = send(
            &c,
            "POST",
            "mp",
            &[("uploads", "")],
            &[("x-cos-acl", "public-read")],
            b"",
        )
        .await;
        let id = xml_field(&resp.text().await.unwrap(), "UploadId").unwrap();
        let etag = upload_part(&c, "mp", &id, 1, b"part".to_vec()).await;
        assert_eq!(anonymous(&c, "GET", "mp", "", &[]).await.status(), 403);
        assert_eq!(complete(&c, "mp", &id, &[etag]).await.status(), 200);
        assert_eq!(anonymous(&c, "GET", "mp", "", &[]).await.status(), 200);
        let resp = send(
            &c,
            "POST",
            "mp2",
            &[("uploads", "")],
            &[("x-cos-acl", "public-read-write")],
            b"",
        )
        .await;
        assert_eq!(error_of(resp).await.1, "InvalidArgument");
        // POST Object: the x-cos-acl field, held to the policy's conditions.
        let post = |key: &str, conditions: &str, acl: &str| {
            let (body, ct) = form(key, conditions, &[("x-cos-acl", acl)]);
            c.post(format!("http://{HOST}/"))
                .header("content-type", ct)
                .body(body)
                .send()
        };
        assert_eq!(post("form", "", "public-read").await.unwrap().status(), 204);
        assert_eq!(anonymous(&c, "GET", "form", "", &[]).await.status(), 200);
        let resp = post("form2", r#",{"x-cos-acl":"private"}"#, "public-read")
            .await
            .unwrap();
        assert_eq!(error_of(resp).await.1, "AccessDenied");
        let resp = post(
            "form2",
            r#",["eq","$x-cos-acl","public-read"]"#,
            "public-read",
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), 204);
        let resp = post("form3", "", "public").await.unwrap();
        assert_eq!(error_of(resp).await.1, "InvalidArgument");
        assert_eq!(send(&c, "GET", "form3", &[], &[], b"").await.status(), 404);
        // PUT Bucket of a bucket that holds objects (so is known): 409 with or without an
        // ACL, which stays as it was (tests/server_buckets.rs: an ACL on creation).
        let before = grants(&get_acl(&c, "").await.0);
        let resp = send(&c, "PUT", "", &[], &[("x-cos-acl", "public-read")], b"").await;
        assert_eq!(error_of(resp).await.1, "BucketAlreadyOwnedByYou");
        assert_eq!(grants(&get_acl(&c, "").await.0), before);
        assert_eq!(
            error_of(send(&c, "PUT", "", &[], &[], b"").await).await.0,
            409
        );
        let resp = send(&c, "PUT", "", &[], &[("x-cos-acl", "default")], b"").await;
        assert_eq!(error_of(resp).await.1, "InvalidArgument");
    }
}

#[tokio::test]
async fn disk_store_keeps_acls_across_a_restart_without_rewriting_objects() {
    let dir = TempDir::new("acl-restart");
    let handle = start_disk(dir.path()).await;
    let c = proxy_client(&handle);
    let long = "l".repeat(500);
    for key in ["a.txt", long.as_str()] {
        put_object(&c, key, b"kept bytes").await;
    }
    let file = dir.path().join(BUCKET).join("a.txt");
    let before = std::fs::read(&file).unwrap();
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    for key in ["a.txt", long.as_str()] {
        assert_eq!(
            put_acl(
                &c,
                key,
                &[
                    ("x-cos-acl", "public-read"),
                    ("x-cos-grant-read", "id=\"5\"")
                ],
                b""
            )
            .await
            .0,
            200
        );
    }
    assert_eq!(
        put_acl(&c, "", &[("x-cos-acl", "public-read-write")], b"")
            .await
            .0,
        200
    );
    // The object's file is untouched.
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );
    handle.shutdown().await;

    let handle = start_disk(dir.path()).await;
    let c = proxy_client(&handle);
    let mut expected = with_all_users(&["READ"]);
    expected.push(("qcs::cam::uin/5:uin/5".to_owned(), "READ".to_owned()));
    for key in ["a.txt", long.as_str()] {
        assert_eq!(grants(&get_acl(&c, key).await.0), expected);
        let resp = anonymous(&c, "GET", key, "", &[]).await;
        assert_eq!(resp.bytes().await.unwrap().as_ref(), b"kept bytes");
    }
    assert_eq!(
        grants(&get_acl(&c, "").await.0),
        with_all_users(&["READ", "WRITE"])
    );
    // Deleted and uploaded again (even by an old-style write): the upload's ACL.
    assert_eq!(
        send(&c, "DELETE", "a.txt", &[], &[], b"").await.status(),
        204
    );
    put_object(&c, "a.txt", b"new").await;
    assert_eq!(get_acl(&c, "a.txt").await.1.as_deref(), Some("default"));
    // The bucket is public-read-write: the default object is readable.
    assert_eq!(anonymous(&c, "GET", "a.txt", "", &[]).await.status(), 200);
    assert_eq!(
        put_acl(&c, "a.txt", &[("x-cos-acl", "private")], b"")
            .await
            .0,
        200
    );
    assert_eq!(anonymous(&c, "GET", "a.txt", "", &[]).await.status(), 403);
    // Listing shows objects only (no override or bucket setting leaks in).
    let resp = send(&c, "GET", "", &[], &[], b"").await;
    let body = resp.text().await.unwrap();
    assert_eq!(body.matches("<Key>").count(), 2, "{body}");
}
