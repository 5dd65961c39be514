//! Bucket tagging (PUT, GET, DELETE `/?tagging` on a bucket) and GET Service's
//! `tagkey`/`tagvalue` filter, with requests pre-signed by cos-sign-core and sent through the
//! server as an HTTP proxy: the tags round-trip, COS's limits and codes hold (50 tags,
//! `InvalidTag`, `MalformedXML`, `BadDigest`, `NoSuchTagSet`, `NoSuchTagSetError`), unsigned and forged
//! requests are refused, DELETE Bucket takes the tags with it, and on the disk store the
//! tags survive a restart.

mod server_common;

use cos_sign_server::ServerHandle;
use server_common::*;

const ALPHA: &str = "alpha-1250000000";
const BRAVO: &str = "bravo-1250000000";
const CHARLIE: &str = "charlie-1250000000";
const SERVICE: &str = "service.cos.myqcloud.com";

fn host_of(bucket: &str) -> String {
    format!("{bucket}.cos.ap-guangzhou.myqcloud.com")
}

/// A tagging body with `tags`, written by hand (not by the server's code).
fn tagging(tags: &[(&str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?><Tagging><TagSet>");
    for (k, v) in tags {
        s.push_str(&format!("<Tag><Key>{k}</Key><Value>{v}</Value></Tag>"));
    }
    s.push_str("</TagSet></Tagging>");
    s
}

/// One request through the proxy, pre-signed over `host` and `params` (`sign_as`: the method
/// signed, when it differs from the one sent; `None` for `signed`: no signature at all).
struct Call<'a> {
    method: &'a str,
    host: String,
    params: Vec<(&'a str, &'a str)>,
    headers: Vec<(&'a str, String)>,
    body: Vec<u8>,
    sign_as: Option<&'a str>,
    signed: bool,
}

impl<'a> Call<'a> {
    fn new(method: &'a str, host: String, params: &[(&'a str, &'a str)]) -> Self {
        Self {
            method,
            host,
            params: params.to_vec(),
            headers: Vec::new(),
            body: Vec::new(),
            sign_as: None,
            signed: true,
        }
    }

    fn tagging(method: &'a str, bucket: &str) -> Self {
        Self::new(method, host_of(bucket), &[("tagging", "")])
    }

    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The status, the error `Code` (empty when none) and the body text.
    async fn go(self, c: &reqwest::Client) -> (u16, String, String) {
        let query = if self.signed {
            let signed_method = self.sign_as.unwrap_or(self.method);
            let hosts = [("host", self.host.as_str())];
            presigned_query(signed_method, "", &self.params, &hosts, ID, KEY, window())
        } else {
            let names: Vec<&str> = self.params.iter().map(|(k, _)| *k).collect();
            names.join("&")
        };
        let url = format!("http://{}/?{query}", self.host);
        let mut req = c.request(self.method.parse().unwrap(), url);
        for (n, v) in &self.headers {
            req = req.header(*n, v.as_str());
        }
        error_of(req.body(self.body).send().await.unwrap()).await
    }
}

async fn put_tags(c: &reqwest::Client, bucket: &str, tags: &[(&str, &str)]) -> (u16, String) {
    let body = tagging(tags);
    let (status, code, _) = Call::tagging("PUT", bucket)
        .header("content-md5", md5_base64(body.as_bytes()))
        .body(body)
        .go(c)
        .await;
    (status, code)
}

/// The tags of a GET Bucket tagging answer, in order, or its status and code.
async fn get_tags(
    c: &reqwest::Client,
    bucket: &str,
) -> Result<Vec<(String, String)>, (u16, String)> {
    let (status, code, text) = Call::tagging("GET", bucket).go(c).await;
    if status != 200 {
        return Err((status, code));
    }
    assert!(text.contains("<Tagging><TagSet>"), "{text}");
    Ok(text
        .split("<Tag>")
        .skip(1)
        .map(|t| {
            let f = |n: &str| xml_field(t, n).unwrap_or_default();
            (f("Key"), f("Value"))
        })
        .collect())
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The names GET Service lists with `params`.
async fn service_names(c: &reqwest::Client, params: &[(&str, &str)]) -> Vec<String> {
    let (status, code, text) = Call::new("GET", SERVICE.to_owned(), params).go(c).await;
    assert_eq!((status, code.as_str()), (200, ""), "{text}");
    text.split("<Name>")
        .skip(1)
        .filter_map(|s| s.split("</Name>").next())
        .map(str::to_owned)
        .collect()
}

async fn bucket_op(c: &reqwest::Client, method: &str, bucket: &str) -> (u16, String) {
    let (status, code, _) = Call::new(method, host_of(bucket), &[]).go(c).await;
    (status, code)
}

#[tokio::test]
async fn bucket_tags_round_trip_with_cos_limits_and_codes() {
    let handle = server_common::start_memory().await;
    let c = proxy_client(&handle);
    assert_eq!(bucket_op(&c, "PUT", ALPHA).await.0, 200);
    // No tags yet: GET is 404 NoSuchTagSet (what the JavaScript SDKs read as no tags),
    // DELETE 404 NoSuchTagSetError (its page's error table).
    let none = Err((404, "NoSuchTagSet".to_owned()));
    assert_eq!(get_tags(&c, ALPHA).await, none);
    let (status, code, _) = Call::tagging("DELETE", ALPHA).go(&c).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchTagSetError"));

    let tags = [
        ("age", "18"),
        ("name", "xiao ming"),
        ("中文", "值 +-_=/.:@"),
    ];
    assert_eq!(put_tags(&c, ALPHA, &tags).await, (204, String::new()));
    assert_eq!(get_tags(&c, ALPHA).await, Ok(owned(&tags)));
    // HEAD answers like GET, without a body.
    let (status, _, text) = Call::tagging("HEAD", ALPHA).go(&c).await;
    assert_eq!((status, text.as_str()), (200, ""));
    // A new PUT replaces every tag; Content-MD5 is optional.
    let (status, _, _) = Call::tagging("PUT", ALPHA)
        .body(tagging(&[("team", "")]))
        .go(&c)
        .await;
    assert_eq!(status, 204);
    assert_eq!(get_tags(&c, ALPHA).await, Ok(owned(&[("team", "")])));

    // Fifty tags are allowed, fifty-one are not (an object's limit is ten).
    let keys: Vec<String> = (0..51).map(|i| format!("k{i:02}")).collect();
    let fifty: Vec<(&str, &str)> = keys.iter().take(50).map(|k| (k.as_str(), "v")).collect();
    assert_eq!(put_tags(&c, ALPHA, &fifty).await.0, 204);
    assert_eq!(get_tags(&c, ALPHA).await.map(|t| t.len()), Ok(50));
    let fifty_one: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    assert_eq!(
        put_tags(&c, ALPHA, &fifty_one).await,
        (400, "InvalidTag".to_owned())
    );
    let k129 = "k".repeat(129);
    let v257 = "v".repeat(257);
    for bad in [
        vec![("a", "1"), ("a", "2")],
        vec![(k129.as_str(), "v")],
        vec![("k", v257.as_str())],
        vec![("", "v")],
        vec![("k", "a#b")],
        vec![("qcs:owner", "v")],
        vec![("project", "v")],
    ] {
        assert_eq!(
            put_tags(&c, ALPHA, &bad).await,
            (400, "InvalidTag".to_owned()),
            "{bad:?}"
        );
    }
    for bad in [
        "not xml",
        "<Tags><TagSet/></Tags>",
        "<Tagging></Tagging>",
        "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
    ] {
        let (status, code, _) = Call::tagging("PUT", ALPHA).body(bad).go(&c).await;
        assert_eq!((status, code.as_str()), (400, "MalformedXML"), "{bad}");
    }
    // A Content-MD5 of other bytes.
    let (status, code, _) = Call::tagging("PUT", ALPHA)
        .header("content-md5", md5_base64(b"other"))
        .body(tagging(&[("a", "1")]))
        .go(&c)
        .await;
    assert_eq!((status, code.as_str()), (400, "BadDigest"));
    // A body past the limit.
    let huge = format!(
        "<Tagging><TagSet>{}</TagSet></Tagging>",
        " ".repeat(300 * 1024)
    );
    let (status, code, _) = Call::tagging("PUT", ALPHA).body(huge).go(&c).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"));
    // Nothing refused changed the tags.
    assert_eq!(get_tags(&c, ALPHA).await.map(|t| t.len()), Ok(50));
    // POST is no tagging operation.
    let (status, code, _) = Call::tagging("POST", ALPHA).go(&c).await;
    assert_eq!((status, code.as_str()), (501, "NotImplemented"));

    // An empty TagSet removes the tags, as DELETE does.
    assert_eq!(put_tags(&c, ALPHA, &[]).await.0, 204);
    assert_eq!(get_tags(&c, ALPHA).await, none);
    assert_eq!(put_tags(&c, ALPHA, &[("a", "1")]).await.0, 204);
    let (status, _, _) = Call::tagging("DELETE", ALPHA).go(&c).await;
    assert_eq!(status, 204);
    assert_eq!(get_tags(&c, ALPHA).await, none);
    handle.shutdown().await;
}

#[tokio::test]
async fn unsigned_and_forged_bucket_tagging_is_refused() {
    let handle = server_common::start_memory().await;
    let c = proxy_client(&handle);
    // A public-read-write bucket still keeps its tags to signed requests.
    let (status, _, _) = Call::new("PUT", host_of(ALPHA), &[])
        .header("x-cos-acl", "public-read-write")
        .go(&c)
        .await;
    assert_eq!(status, 200);
    assert_eq!(put_tags(&c, ALPHA, &[("a", "1")]).await.0, 204);
    for method in ["GET", "PUT", "DELETE"] {
        let mut call = Call::tagging(method, ALPHA).body(tagging(&[("b", "2")]));
        call.signed = false;
        let (status, code, _) = call.go(&c).await;
        assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{method}");
        // Signed for GET, sent as another method.
        let mut forged = Call::tagging(method, ALPHA).body(tagging(&[("b", "2")]));
        forged.sign_as = Some("GET");
        let (status, code, _) = forged.go(&c).await;
        if method == "GET" {
            assert_eq!(status, 200);
        } else {
            assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
        }
    }
    // Unsigned GET Service by tag.
    let mut call = Call::new(
        "GET",
        SERVICE.to_owned(),
        &[("tagkey", "a"), ("tagvalue", "1")],
    );
    call.signed = false;
    assert_eq!(call.go(&c).await.0, 403);
    assert_eq!(get_tags(&c, ALPHA).await, Ok(owned(&[("a", "1")])));
    handle.shutdown().await;
}

/// GET Service by tag, and DELETE Bucket taking the tags with it.
async fn service_filter_and_delete(c: &reqwest::Client) {
    for b in [ALPHA, BRAVO, CHARLIE] {
        assert_eq!(bucket_op(c, "PUT", b).await.0, 200);
    }
    assert_eq!(put_tags(c, ALPHA, &[("team", "x")]).await.0, 204);
    assert_eq!(put_tags(c, BRAVO, &[("team", "y")]).await.0, 204);
    assert_eq!(
        put_tags(c, CHARLIE, &[("env", "prod"), ("team", "x")])
            .await
            .0,
        204
    );
    let by = |k: &'static str, v: &'static str| [("tagkey", k), ("tagvalue", v)];
    assert_eq!(service_names(c, &by("team", "x")).await, [ALPHA, CHARLIE]);
    assert_eq!(service_names(c, &by("team", "y")).await, [BRAVO]);
    assert_eq!(service_names(c, &by("env", "prod")).await, [CHARLIE]);
    assert!(service_names(c, &by("team", "z")).await.is_empty());
    assert!(service_names(c, &by("x", "team")).await.is_empty());
    // Combined with the other filters and paging.
    let page = [("tagkey", "team"), ("tagvalue", "x"), ("max-keys", "1")];
    assert_eq!(service_names(c, &page).await, [ALPHA]);
    let next = [("tagkey", "team"), ("tagvalue", "x"), ("marker", ALPHA)];
    assert_eq!(service_names(c, &next).await, [CHARLIE]);
    // One without the other.
    for half in [[("tagkey", "team")], [("tagvalue", "x")]] {
        let (status, code, _) = Call::new("GET", SERVICE.to_owned(), &half).go(c).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidArgument"),
            "{half:?}"
        );
    }
    assert_eq!(service_names(c, &[]).await, [ALPHA, BRAVO, CHARLIE]);

    // DELETE Bucket removes the tags: a new bucket of that name has none.
    assert_eq!(bucket_op(c, "DELETE", CHARLIE).await.0, 204);
    assert_eq!(service_names(c, &by("team", "x")).await, [ALPHA]);
    assert_eq!(bucket_op(c, "PUT", CHARLIE).await.0, 200);
    assert_eq!(
        get_tags(c, CHARLIE).await,
        Err((404, "NoSuchTagSet".to_owned()))
    );
    assert_eq!(
        service_names(c, &by("env", "prod")).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn service_filters_by_bucket_tag_in_memory() {
    let handle = server_common::start_memory().await;
    service_filter_and_delete(&proxy_client(&handle)).await;
    handle.shutdown().await;
}

async fn restart(dir: &TempDir, old: ServerHandle) -> ServerHandle {
    old.shutdown().await;
    start_disk(dir.path()).await
}

#[tokio::test]
async fn bucket_tags_survive_a_restart_on_disk() {
    let dir = TempDir::new("bucket-tagging");
    let handle = start_disk(dir.path()).await;
    service_filter_and_delete(&proxy_client(&handle)).await;
    let tags = [("team", "x"), ("名字", "值 1")];
    assert_eq!(put_tags(&proxy_client(&handle), ALPHA, &tags).await.0, 204);
    let stored = dir.path().join(".buckets").join(ALPHA).join("tagging");
    assert!(stored.is_file());

    let handle = restart(&dir, handle).await;
    let c = proxy_client(&handle);
    assert_eq!(get_tags(&c, ALPHA).await, Ok(owned(&tags)));
    assert_eq!(get_tags(&c, BRAVO).await, Ok(owned(&[("team", "y")])));
    let by = [("tagkey", "名字"), ("tagvalue", "值 1")];
    assert_eq!(service_names(&c, &by).await, [ALPHA]);
    // DELETE Bucket removes the stored tags, which stay gone after another restart.
    assert_eq!(bucket_op(&c, "DELETE", ALPHA).await.0, 204);
    assert!(!stored.exists());
    let handle = restart(&dir, handle).await;
    let c = proxy_client(&handle);
    assert!(service_names(&c, &by).await.is_empty());
    assert_eq!(bucket_op(&c, "PUT", ALPHA).await.0, 200);
    assert_eq!(
        get_tags(&c, ALPHA).await,
        Err((404, "NoSuchTagSet".to_owned()))
    );
    handle.shutdown().await;
}
