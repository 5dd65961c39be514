//! PUT Bucket, DELETE Bucket and GET Service, with requests signed by cos-sign-core and sent
//! through the server as an HTTP proxy (so each goes to the host COS would be asked): a
//! bucket is created once (then 409), a bucket holding objects or uploads counts as created,
//! DELETE Bucket refuses a non-empty bucket and takes the bucket's settings with it, GET
//! Service lists exactly the known buckets (names, regions, times, XML shape, filters and
//! pages), is verified like every request, and all of it holds on the disk store across a
//! restart.

mod server_common;

use cos_sign_server::{self as server, ServerHandle};
use server_common::*;

const A: &str = "alpha-1250000000";
const B: &str = "bravo-1250000000";
const C: &str = "charlie-1250000000";
const D: &str = "delta-1250000000";
const E: &str = "echo-1250000000";
const SERVICE: &str = "service.cos.myqcloud.com";
const CORS: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";

/// The host of `bucket` in `region`.
fn host(bucket: &str, region: &str) -> String {
    format!("{bucket}.cos.{region}.myqcloud.com")
}

/// A URL on `host` pre-signed over `host` and `params` with the permanent key.
fn url_on(host: &str, method: &str, key: &str, params: &[(&str, &str)]) -> String {
    let q = presigned_query(method, key, params, &[("host", host)], ID, KEY, window());
    format!("http://{host}{}?{q}", url_path(key))
}

/// Sends `method` to `key` of `host` (signed), with `headers` and `body`.
async fn send(
    c: &reqwest::Client,
    method: &str,
    host: &str,
    key: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: &[u8],
) -> reqwest::Response {
    let mut req = c.request(method.parse().unwrap(), url_on(host, method, key, params));
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    req.body(body.to_vec()).send().await.unwrap()
}

/// The status and, for an error, the code of PUT or DELETE Bucket on `bucket`.
async fn bucket_call(c: &reqwest::Client, method: &str, bucket: &str) -> (u16, String) {
    answer(send(c, method, &host(bucket, "ap-guangzhou"), "", &[], &[], b"").await).await
}

async fn answer(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, xml_field(&text, "Code").unwrap_or_default())
}

async fn put_in(c: &reqwest::Client, bucket: &str, key: &str) {
    let resp = send(c, "PUT", &host(bucket, "ap-guangzhou"), key, &[], &[], b"x").await;
    assert_eq!(resp.status(), 200);
}

/// A bucket of a GET Service answer: name, region, creation date, type.
#[derive(Debug, PartialEq, Eq)]
struct Listed {
    name: String,
    location: String,
    created: String,
    kind: String,
}

/// The buckets of a `ListAllMyBucketsResult`, after checking its shape.
fn buckets_of(xml: &str) -> Vec<Listed> {
    assert!(
        xml.contains("<ListAllMyBucketsResult>") && xml.ends_with("</ListAllMyBucketsResult>"),
        "{xml}"
    );
    assert!(
        xml.contains("<Buckets>") || xml.contains("<Buckets/>"),
        "{xml}"
    );
    xml.split("<Bucket>")
        .skip(1)
        .map(|b| {
            let b = b.split("</Bucket>").next().unwrap();
            let f = |n: &str| xml_field(b, n).unwrap_or_default();
            Listed {
                name: f("Name"),
                location: f("Location"),
                created: f("CreationDate"),
                kind: f("BucketType"),
            }
        })
        .collect()
}

/// GET Service on `host` with `params`: its buckets as (name, region), and the whole text.
async fn service(
    c: &reqwest::Client,
    host: &str,
    params: &[(&str, &str)],
) -> (Vec<(String, String)>, String) {
    let resp = send(c, "GET", host, "", params, &[], b"").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/xml");
    let text = resp.text().await.unwrap();
    let names = buckets_of(&text)
        .into_iter()
        .map(|l| (l.name, l.location))
        .collect();
    (names, text)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// Whether a time is written as COS writes a CreationDate: `2019-05-24T11:20:10Z`.
fn is_creation_date(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[tokio::test]
async fn put_bucket_creates_once_and_known_buckets_conflict() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    assert_eq!(bucket_call(&c, "PUT", A).await, (200, String::new()));
    assert_eq!(
        bucket_call(&c, "PUT", A).await,
        (409, "BucketAlreadyOwnedByYou".to_owned())
    );
    // Never created, but holding an object, or only an unfinished upload: known.
    put_in(&c, B, "k").await;
    assert_eq!(
        bucket_call(&c, "PUT", B).await,
        (409, "BucketAlreadyOwnedByYou".to_owned())
    );
    let resp = send(
        &c,
        "POST",
        &host(C, "ap-guangzhou"),
        "u",
        &[("uploads", "")],
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        bucket_call(&c, "PUT", C).await,
        (409, "BucketAlreadyOwnedByYou".to_owned())
    );
    // A never-created, empty bucket is still there for reads and writes.
    let resp = send(&c, "GET", &host(D, "ap-guangzhou"), "", &[], &[], b"").await;
    assert_eq!(resp.status(), 200);
    let resp = send(&c, "HEAD", &host(D, "ap-guangzhou"), "", &[], &[], b"").await;
    assert_eq!(resp.status(), 200);
    // PUT Bucket with an ACL: set when the bucket is created, refused (and unchanged) when
    // it is known; a bad ACL is refused before anything.
    let h = host(E, "ap-guangzhou");
    let acl = [("x-cos-acl", "public-read")];
    let resp = send(&c, "PUT", &h, "", &[], &[("x-cos-acl", "public")], b"").await;
    assert_eq!(answer(resp).await, (400, "InvalidArgument".to_owned()));
    assert_eq!(send(&c, "PUT", &h, "", &[], &acl, b"").await.status(), 200);
    let got = send(&c, "GET", &h, "", &[("acl", "")], &[], b"").await;
    assert!(got.text().await.unwrap().contains("AllUsers"));
    let private = [("x-cos-acl", "private")];
    let resp = send(&c, "PUT", &h, "", &[], &private, b"").await;
    assert_eq!(
        answer(resp).await,
        (409, "BucketAlreadyOwnedByYou".to_owned())
    );
    let got = send(&c, "GET", &h, "", &[("acl", "")], &[], b"").await;
    assert!(got.text().await.unwrap().contains("AllUsers"));
    handle.shutdown().await;
}

async fn delete_rules(handle: &ServerHandle) {
    let c = proxy_client(handle);
    // Objects: 409, until the last one is gone.
    assert_eq!(bucket_call(&c, "PUT", A).await.0, 200);
    put_in(&c, A, "a/b.txt").await;
    assert_eq!(
        bucket_call(&c, "DELETE", A).await,
        (409, "BucketNotEmpty".to_owned())
    );
    let resp = send(
        &c,
        "DELETE",
        &host(A, "ap-guangzhou"),
        "a/b.txt",
        &[],
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status(), 204);
    // Only an unfinished multipart upload: 409 too, until it is aborted.
    let h = host(A, "ap-guangzhou");
    let resp = send(&c, "POST", &h, "big", &[("uploads", "")], &[], b"").await;
    let id = xml_field(&resp.text().await.unwrap(), "UploadId").unwrap();
    assert_eq!(
        bucket_call(&c, "DELETE", A).await,
        (409, "BucketNotEmpty".to_owned())
    );
    let resp = send(&c, "DELETE", &h, "big", &[("uploadId", &id)], &[], b"").await;
    assert_eq!(resp.status(), 204);
    // Its ACL and CORS rules go with it.
    let acl = [("x-cos-acl", "public-read")];
    assert_eq!(
        send(&c, "PUT", &h, "", &[("acl", "")], &acl, b"")
            .await
            .status(),
        200
    );
    let cors = send(&c, "PUT", &h, "", &[("cors", "")], &[], CORS.as_bytes()).await;
    assert_eq!(cors.status(), 200);
    assert_eq!(bucket_call(&c, "DELETE", A).await, (204, String::new()));
    let got = send(&c, "GET", &h, "", &[("cors", "")], &[], b"").await;
    assert_eq!(
        answer(got).await,
        (404, "NoSuchCORSConfiguration".to_owned())
    );
    // Deleted: not known any more, HEAD is 404 (a name never used is 200), and a new PUT
    // Bucket finds it private and HEAD 200 again.
    assert_eq!(
        bucket_call(&c, "DELETE", A).await,
        (404, "NoSuchBucket".to_owned())
    );
    assert_eq!(bucket_call(&c, "HEAD", A).await.0, 404);
    assert_eq!(bucket_call(&c, "HEAD", B).await.0, 200);
    assert_eq!(bucket_call(&c, "PUT", A).await.0, 200);
    assert_eq!(bucket_call(&c, "HEAD", A).await.0, 200);
    let got = send(&c, "GET", &h, "", &[("acl", "")], &[], b"").await;
    let text = got.text().await.unwrap();
    assert!(
        text.contains("FULL_CONTROL") && !text.contains("AllUsers"),
        "{text}"
    );
    // Never created, never written.
    assert_eq!(
        bucket_call(&c, "DELETE", B).await,
        (404, "NoSuchBucket".to_owned())
    );
    // Never created but written to: known from then on, as on COS. Not empty: 409; once
    // emptied it is still there (204, as `rb --force` expects), then gone.
    put_in(&c, C, "k").await;
    assert_eq!(bucket_call(&c, "DELETE", C).await.0, 409);
    let resp = send(&c, "DELETE", &host(C, "ap-guangzhou"), "k", &[], &[], b"").await;
    assert_eq!(resp.status(), 204);
    assert_eq!(bucket_call(&c, "PUT", C).await.0, 409);
    assert_eq!(bucket_call(&c, "DELETE", C).await.0, 204);
    assert_eq!(bucket_call(&c, "DELETE", C).await.0, 404);
    // Deleted, then written to again: it exists again (HEAD 200, known: DELETE 409).
    assert_eq!(bucket_call(&c, "HEAD", C).await.0, 404);
    put_in(&c, C, "k").await;
    assert_eq!(bucket_call(&c, "HEAD", C).await.0, 200);
    assert_eq!(bucket_call(&c, "DELETE", C).await.0, 409);
}

#[tokio::test]
async fn delete_bucket_refuses_non_empty_and_removes_settings_in_memory() {
    let handle = start_memory().await;
    delete_rules(&handle).await;
    handle.shutdown().await;
}

#[tokio::test]
async fn delete_bucket_refuses_non_empty_and_removes_settings_on_disk() {
    let dir = TempDir::new("buckets-delete");
    let handle = start_disk(dir.path()).await;
    delete_rules(&handle).await;
    handle.shutdown().await;
}

/// A, created through its Beijing host; B, created through the server's address (the
/// server's region); C, an object written through its Guangzhou host; D, an unfinished
/// upload begun there (both recorded in the region of that host); E, only an ACL (not
/// known).
async fn populate(c: &reqwest::Client) {
    let resp = send(c, "PUT", &host(A, "ap-beijing"), "", &[], &[], b"").await;
    assert_eq!(resp.status(), 200);
    // A Host that names the bucket but no region.
    let resp = send(c, "PUT", &format!("{B}.localhost.test"), "", &[], &[], b"").await;
    assert_eq!(resp.status(), 200);
    put_in(c, C, "k").await;
    let resp = send(
        c,
        "POST",
        &host(D, "ap-guangzhou"),
        "u",
        &[("uploads", "")],
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status(), 200);
    let acl = [("x-cos-acl", "public-read")];
    let resp = send(
        c,
        "PUT",
        &host(E, "ap-guangzhou"),
        "",
        &[("acl", "")],
        &acl,
        b"",
    )
    .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn get_service_lists_exactly_the_known_buckets() {
    let handle = server::spawn(config().region("ap-chengdu")).await.unwrap();
    let c = proxy_client(&handle);
    let (none, text) = service(&c, SERVICE, &[]).await;
    assert!(none.is_empty(), "{text}");
    populate(&c).await;
    let (all, text) = service(&c, SERVICE, &[]).await;
    assert_eq!(
        all,
        pairs(&[
            (A, "ap-beijing"),
            (B, "ap-chengdu"),
            (C, "ap-guangzhou"),
            (D, "ap-guangzhou"),
        ]),
        "{text}"
    );
    for l in buckets_of(&text) {
        assert!(is_creation_date(&l.created), "{l:?}");
        assert_eq!(l.kind, "cos");
    }
    // The owner as GET acl names it (the buckets' APPID without --owner-uin).
    let owner = "qcs::cam::uin/1250000000:uin/1250000000";
    assert!(
        text.contains(&format!(
            "<Owner><ID>{owner}</ID><DisplayName>{owner}</DisplayName></Owner>"
        )),
        "{text}"
    );
    assert_eq!(xml_field(&text, "IsTruncated").as_deref(), Some("false"));
    assert_eq!(xml_field(&text, "MaxKeys").as_deref(), Some("2000"));
    // The other service host and the regional one.
    assert_eq!(service(&c, "service.cos.tencentcos.cn", &[]).await.0, all);
    let (beijing, _) = service(&c, "cos.ap-beijing.myqcloud.com", &[]).await;
    assert_eq!(beijing, pairs(&[(A, "ap-beijing")]));
    let (chengdu, _) = service(&c, SERVICE, &[("region", "ap-chengdu")]).await;
    assert_eq!(chengdu, pairs(&[(B, "ap-chengdu")]));
    let (guangzhou, _) = service(&c, "cos.ap-guangzhou.myqcloud.com", &[]).await;
    assert_eq!(
        guangzhou,
        pairs(&[(C, "ap-guangzhou"), (D, "ap-guangzhou")])
    );
    let (nowhere, _) = service(
        &c,
        "cos.ap-beijing.myqcloud.com",
        &[("region", "ap-chengdu")],
    )
    .await;
    assert!(nowhere.is_empty());
    // Pages.
    let (first, text) = service(&c, SERVICE, &[("max-keys", "3")]).await;
    assert_eq!(first, all[..3]);
    assert_eq!(xml_field(&text, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(xml_field(&text, "NextMarker").as_deref(), Some(C));
    let (rest, text) = service(&c, SERVICE, &[("marker", C), ("max-keys", "3")]).await;
    assert_eq!(rest, all[3..]);
    assert_eq!(xml_field(&text, "Marker").as_deref(), Some(C));
    assert_eq!(xml_field(&text, "IsTruncated").as_deref(), Some("false"));
    // Creation time filters: everything was created within the last minute.
    let now = now().to_string();
    let past = (now.parse::<u64>().unwrap() - 3600).to_string();
    let (later, _) = service(&c, SERVICE, &[("create-time", &past), ("range", "gt")]).await;
    assert_eq!(later, all);
    let (earlier, _) = service(&c, SERVICE, &[("create-time", &past), ("range", "lte")]).await;
    assert!(earlier.is_empty());
    let (before_now, _) = service(&c, SERVICE, &[("create-time", &now), ("range", "lte")]).await;
    assert_eq!(before_now, all);
    // Numbers past 64 bits saturate: max-keys is held to 2,000, a creation time that far
    // ahead is after every bucket.
    let huge = "99999999999999999999999999";
    let (clamped, text) = service(&c, SERVICE, &[("max-keys", huge)]).await;
    assert_eq!(clamped, all);
    assert_eq!(xml_field(&text, "MaxKeys").as_deref(), Some("2000"));
    let (before_far, _) = service(&c, SERVICE, &[("create-time", huge), ("range", "lt")]).await;
    assert_eq!(before_far, all);
    let (after_far, _) = service(&c, SERVICE, &[("create-time", huge), ("range", "gte")]).await;
    assert!(after_far.is_empty());
    for bad in [
        &[("create-time", "x"), ("range", "gt")][..],
        &[("create-time", "1"), ("range", "ge")][..],
        &[("create-time", "1")][..],
        &[("max-keys", "-1")][..],
        &[("max-keys", "+3")][..],
        &[("create-time", "+1"), ("range", "gt")][..],
    ] {
        let resp = send(&c, "GET", SERVICE, "", bad, &[], b"").await;
        assert_eq!(
            answer(resp).await,
            (400, "InvalidArgument".to_owned()),
            "{bad:?}"
        );
    }
    // No bucket carries this tag (server_bucket_tagging.rs tests the filter).
    let (tagged, _) = service(&c, SERVICE, &[("tagkey", "a"), ("tagvalue", "b")]).await;
    assert!(tagged.is_empty(), "{tagged:?}");
    // Only GET / is answered where no bucket is named.
    for (method, key) in [("PUT", ""), ("DELETE", ""), ("GET", "k"), ("HEAD", "")] {
        let resp = send(&c, method, SERVICE, key, &[], &[], b"").await;
        assert_eq!(resp.status(), 404, "{method} /{key}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn get_service_is_signed_and_verified() {
    let handle = start_memory().await;
    let c = proxy_client(&handle);
    put_in(&c, A, "k").await;
    // No signature at all: refused, even with a public-read bucket about.
    let acl = [("x-cos-acl", "public-read")];
    let resp = send(
        &c,
        "PUT",
        &host(A, "ap-guangzhou"),
        "",
        &[("acl", "")],
        &acl,
        b"",
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = c.get(format!("http://{SERVICE}/")).send().await.unwrap();
    assert_eq!(answer(resp).await, (403, "AccessDenied".to_owned()));
    // Signed for another host, for another method, with another key, or with a changed
    // param: refused as COS refuses them.
    let other = url_on("cos.ap-beijing.myqcloud.com", "GET", "", &[]);
    let resp = c
        .get(other.replace("cos.ap-beijing.myqcloud.com", SERVICE))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(resp).await,
        (403, "SignatureDoesNotMatch".to_owned())
    );
    let put = url_on(SERVICE, "PUT", "", &[]);
    let resp = c.get(put).send().await.unwrap();
    assert_eq!(
        answer(resp).await,
        (403, "SignatureDoesNotMatch".to_owned())
    );
    let wrong_key = presigned_query(
        "GET",
        "",
        &[],
        &[("host", SERVICE)],
        ID,
        "not the key",
        window(),
    );
    let resp = c
        .get(format!("http://{SERVICE}/?{wrong_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(resp).await,
        (403, "SignatureDoesNotMatch".to_owned())
    );
    let region = url_on(SERVICE, "GET", "", &[("region", "ap-guangzhou")]);
    let resp = c
        .get(region.replace("region=ap-guangzhou", "region=ap-beijing"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(resp).await,
        (403, "SignatureDoesNotMatch".to_owned())
    );
    // The header form, with the signed path `/`, and a temporary key with its token.
    let auth = authorization("GET", "", &[], &[("host", SERVICE)], ID, KEY, window());
    let resp = c
        .get(format!("http://{SERVICE}/"))
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let tmp = authorization(
        "GET",
        "",
        &[],
        &[("host", SERVICE)],
        TMP_ID,
        TMP_KEY,
        window(),
    );
    let resp = c
        .get(format!("http://{SERVICE}/"))
        .header("authorization", &tmp)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(resp).await, (403, "InvalidAccessKeyId".to_owned()));
    let resp = c
        .get(format!("http://{SERVICE}/"))
        .header("authorization", &tmp)
        .header("x-cos-security-token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    handle.shutdown().await;
}

#[tokio::test]
async fn an_ip_host_lists_buckets_only_without_a_default_bucket() {
    // With a default bucket, GET / on the server's address is that bucket's List Objects.
    let handle = start_memory().await;
    let c = direct_client();
    let ip = handle.addr.to_string();
    let resp = c.get(url_on(&ip, "GET", "", &[])).send().await.unwrap();
    let text = resp.text().await.unwrap();
    assert!(text.contains("<ListBucketResult>"), "{text}");
    handle.shutdown().await;
    // Without one, it is GET Service.
    let handle = server::spawn(
        server::Config::new("127.0.0.1:0".parse().unwrap())
            .credential(server::Credential::permanent(ID, KEY)),
    )
    .await
    .unwrap();
    let ip = handle.addr.to_string();
    let p = proxy_client(&handle);
    put_in(&p, A, "k").await;
    let resp = c.get(url_on(&ip, "GET", "", &[])).send().await.unwrap();
    let text = resp.text().await.unwrap();
    let listed = buckets_of(&text);
    assert_eq!(listed.len(), 1, "{text}");
    assert_eq!(
        (listed[0].name.as_str(), listed[0].location.as_str()),
        (A, "ap-guangzhou")
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn disk_store_keeps_bucket_records_across_a_restart() {
    let dir = TempDir::new("buckets-restart");
    let handle = server::spawn(config().data_dir(dir.path()).region("ap-chengdu"))
        .await
        .unwrap();
    let c = proxy_client(&handle);
    populate(&c).await;
    let (before, text) = service(&c, SERVICE, &[]).await;
    let dates: Vec<Listed> = buckets_of(&text);
    handle.shutdown().await;

    let handle = server::spawn(config().data_dir(dir.path()).region("ap-chengdu"))
        .await
        .unwrap();
    let c = proxy_client(&handle);
    let (after, text) = service(&c, SERVICE, &[]).await;
    assert_eq!(after, before);
    assert_eq!(buckets_of(&text), dates);
    assert_eq!(
        bucket_call(&c, "PUT", A).await,
        (409, "BucketAlreadyOwnedByYou".to_owned())
    );
    assert_eq!(bucket_call(&c, "DELETE", A).await.0, 204);
    handle.shutdown().await;

    let handle = server::spawn(config().data_dir(dir.path()).region("ap-chengdu"))
        .await
        .unwrap();
    let c = proxy_client(&handle);
    let (left, _) = service(&c, SERVICE, &[]).await;
    assert_eq!(
        left,
        pairs(&[(B, "ap-chengdu"), (C, "ap-guangzhou"), (D, "ap-guangzhou")])
    );
    assert_eq!(bucket_call(&c, "PUT", A).await.0, 200);
    handle.shutdown().await;
}
