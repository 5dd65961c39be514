//! `x-cos-forbid-overwrite: true` on PUT Object, PUT Object - Copy, Initiate and Complete
//! Multipart Upload: 409 `FileAlreadyExists` where the key has an object, the object kept;
//! of racing uploads that forbid it, exactly one stores. Also PUT Object - Copy from a source
//! named in S3's form, `/<bucket>/<key>` (as OpenDAL's COS service names it).

mod server_common;

use cos_sign_server::ServerHandle;
use server_common::*;

const FORBID: &str = "x-cos-forbid-overwrite";

async fn put_with(c: &reqwest::Client, key: &str, data: &[u8], forbid: &str) -> reqwest::Response {
    c.put(signed("PUT", key, &[]))
        .header(FORBID, forbid)
        .body(data.to_vec())
        .send()
        .await
        .unwrap()
}

async fn get_body(c: &reqwest::Client, key: &str) -> (u16, Vec<u8>) {
    let resp = c.get(signed("GET", key, &[])).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

async fn assert_exists_error(resp: reqwest::Response, what: &str) {
    let (status, code, body) = error_of(resp).await;
    assert_eq!(
        (status, code.as_str()),
        (409, "FileAlreadyExists"),
        "{what}: {body}"
    );
}

async fn put_object_cases(handle: &ServerHandle) {
    let c = proxy_client(handle);
    let key = "fo/put.txt";
    assert_eq!(put_with(&c, key, b"first", "true").await.status(), 200);
    for value in ["true", "TRUE", " True "] {
        assert_exists_error(put_with(&c, key, b"second", value).await, value).await;
    }
    assert_eq!(get_body(&c, key).await, (200, b"first".to_vec()));
    // false, or no header: replaced.
    assert_eq!(put_with(&c, key, b"third", "false").await.status(), 200);
    assert_eq!(get_body(&c, key).await, (200, b"third".to_vec()));
    put_object(&c, key, b"fourth").await;
    assert_eq!(get_body(&c, key).await, (200, b"fourth".to_vec()));
    // Another value: 400, nothing stored.
    let (status, code, _) = error_of(put_with(&c, "fo/bad.txt", b"x", "yes").await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    assert_eq!(get_body(&c, "fo/bad.txt").await.0, 404);
    // A large body to an existing key is refused and the connection stays usable.
    let big = vec![7u8; 2 * 1024 * 1024];
    assert_exists_error(put_with(&c, key, &big, "true").await, "large").await;
    assert_eq!(get_body(&c, key).await, (200, b"fourth".to_vec()));
}

/// Racing PUTs that forbid overwriting one fresh key: one stores, the others get 409.
async fn racing_puts(handle: &ServerHandle) {
    let c = proxy_client(handle);
    let key = "fo/race.bin";
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let data = vec![i; 256 * 1024];
                let resp = put_with(&c, key, &data, "true").await;
                (i, resp.status().as_u16())
            })
        })
        .collect();
    let mut stored = Vec::new();
    for t in tasks {
        let (i, status) = t.await.unwrap();
        match status {
            200 => stored.push(i),
            409 => {}
            other => panic!("PUT {i}: {other}"),
        }
    }
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(get_body(&c, key).await, (200, vec![stored[0]; 256 * 1024]));
}

async fn copy_cases(handle: &ServerHandle) {
    let c = proxy_client(handle);
    put_object(&c, "fo/src 中.txt", b"source").await;
    put_object(&c, "fo/taken.txt", b"taken").await;
    let copy = |dst: &'static str, source: String, forbid: Option<&'static str>| {
        let c = c.clone();
        async move {
            let mut req = c
                .put(signed("PUT", dst, &[]))
                .header("x-cos-copy-source", source);
            if let Some(f) = forbid {
                req = req.header(FORBID, f);
            }
            req.send().await.unwrap()
        }
    };
    let cos_form = format!("{HOST}{}", url_path("fo/src 中.txt"));
    let s3_form = format!("/{BUCKET}{}", url_path("fo/src 中.txt"));
    let resp = copy("fo/taken.txt", cos_form.clone(), Some("true")).await;
    assert_exists_error(resp, "copy onto an object").await;
    assert_eq!(get_body(&c, "fo/taken.txt").await, (200, b"taken".to_vec()));
    let resp = copy("fo/new.txt", cos_form, Some("true")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(get_body(&c, "fo/new.txt").await, (200, b"source".to_vec()));
    // S3's form of the source.
    for (dst, source) in [
        ("fo/s3-form.txt", s3_form.clone()),
        ("fo/s3-form-2.txt", s3_form[1..].to_owned()),
    ] {
        let resp = copy(dst, source, None).await;
        assert_eq!(resp.status(), 200, "{dst}");
        assert_eq!(get_body(&c, dst).await, (200, b"source".to_vec()));
    }
    let resp = copy("fo/s3-form.txt", s3_form, Some("true")).await;
    assert_exists_error(resp, "copy in S3's form onto an object").await;
}

async fn multipart_cases(handle: &ServerHandle) {
    let c = proxy_client(handle);
    let key = "fo/mpu.bin";
    put_object(&c, key, b"already").await;
    // Initiate refuses at once where the key has an object.
    let resp = c
        .post(signed("POST", key, &[("uploads", "")]))
        .header(FORBID, "true")
        .send()
        .await
        .unwrap();
    assert_exists_error(resp, "initiate").await;

    // Complete refuses, keeping the upload, which completes without the header.
    let id = initiate(&c, key).await;
    let etag = upload_part(&c, key, &id, 1, vec![5u8; 100]).await;
    let resp = c
        .post(signed("POST", key, &[("uploadId", &id)]))
        .header(FORBID, "true")
        .body(complete_body(std::slice::from_ref(&etag)))
        .send()
        .await
        .unwrap();
    assert_exists_error(resp, "complete").await;
    assert_eq!(get_body(&c, key).await, (200, b"already".to_vec()));
    let resp = complete(&c, key, &id, &[etag]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(get_body(&c, key).await, (200, vec![5u8; 100]));

    // On a fresh key both store.
    let fresh = "fo/mpu-fresh.bin";
    let resp = c
        .post(signed("POST", fresh, &[("uploads", "")]))
        .header(FORBID, "true")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = xml_field(&resp.text().await.unwrap(), "UploadId").unwrap();
    let etag = upload_part(&c, fresh, &id, 1, vec![6u8; 10]).await;
    let resp = c
        .post(signed("POST", fresh, &[("uploadId", &id)]))
        .header(FORBID, "true")
        .body(complete_body(&[etag]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(get_body(&c, fresh).await, (200, vec![6u8; 10]));
}

async fn all(handle: ServerHandle) {
    put_object_cases(&handle).await;
    racing_puts(&handle).await;
    copy_cases(&handle).await;
    multipart_cases(&handle).await;
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbid_overwrite_in_memory() {
    all(start_memory().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbid_overwrite_on_disk() {
    let dir = TempDir::new("forbid");
    all(start_disk(dir.path()).await).await;
}
