//! List Multipart Uploads through `cos_sign_http::Bucket::list_uploads` against the local
//! server: every upload comes back once across pages of two (two uploads of one key split
//! between pages included), with its key as uploaded; the prefix filter; abort by key and
//! upload id empties the list; and a stalled or oversized answer is bounded by the client's
//! timeout and size limit.

mod client_common;

use std::time::Duration;

use client_common::*;
use cos_sign_http::{Client, ClientError, ListUploadsOptions, UploadSummary};

/// Every upload under `opts`, page by page; the number of pages.
async fn all_uploads(
    b: &cos_sign_http::Bucket,
    mut opts: ListUploadsOptions,
) -> (Vec<UploadSummary>, usize) {
    let (mut all, mut pages) = (Vec::new(), 0);
    loop {
        let page = b.list_uploads(&opts).await.unwrap();
        pages += 1;
        assert!(pages < 100, "paging does not end");
        all.extend(page.uploads);
        match page.next {
            Some(next) => opts = opts.after(next),
            None => return (all, pages),
        }
    }
}

fn pairs(list: &[UploadSummary]) -> Vec<(String, String)> {
    list.iter()
        .map(|u| (u.key.clone(), u.upload_id.clone()))
        .collect()
}

async fn uploads_listed_paged_and_aborted(client: &Client) {
    let b = client.bucket("uploads-1250000000");
    let keys = ["a/1", "a/2 谷", "a/2 谷", "b/x&y", "c"];
    let mut started = Vec::new();
    for k in keys {
        let id = b
            .initiate_multipart(k, &cos_sign_http::TransferOptions::new())
            .await
            .unwrap();
        started.push((k.to_owned(), id));
    }
    // By key (UTF-8 bytes), then upload id: the order COS lists them in.
    started.sort();
    let (all, pages) = all_uploads(&b, ListUploadsOptions::new()).await;
    assert_eq!(pairs(&all), started);
    assert_eq!(pages, 1);
    assert!(all.iter().all(|u| u.initiated.ends_with('Z')), "{all:?}");
    let (paged, pages) = all_uploads(&b, ListUploadsOptions::new().max_uploads(2)).await;
    assert_eq!(pairs(&paged), started);
    assert_eq!(pages, 3);
    // Pages of one: the two uploads of "a/2 谷" land on different pages, and the upload id
    // marker keeps the second.
    let (single, pages) = all_uploads(&b, ListUploadsOptions::new().max_uploads(1)).await;
    assert_eq!(pairs(&single), started);
    assert_eq!(pages, 5);
    let (under_a, _) = all_uploads(&b, ListUploadsOptions::new().prefix("a/").max_uploads(1)).await;
    assert_eq!(pairs(&under_a), started[..3].to_vec());
    // Starting after a key leaves out its uploads.
    let after = ListUploadsOptions::new().key_marker("a/2 谷");
    assert_eq!(
        pairs(&all_uploads(&b, after).await.0),
        started[3..].to_vec()
    );

    for (key, id) in &started[..4] {
        b.abort_multipart(key, id).await.unwrap();
    }
    let (left, _) = all_uploads(&b, ListUploadsOptions::new()).await;
    assert_eq!(pairs(&left), started[4..].to_vec());
    let e = b
        .abort_multipart(&started[0].0, &started[0].1)
        .await
        .unwrap_err();
    assert_eq!(e.cos().map(|c| c.code.as_str()), Some("NoSuchUpload"));
    b.abort_multipart(&started[4].0, &started[4].1)
        .await
        .unwrap();
    assert!(
        all_uploads(&b, ListUploadsOptions::new())
            .await
            .0
            .is_empty()
    );
    // Written to (its uploads), so known until deleted: empty now, it goes; then it is gone.
    b.delete_bucket().await.unwrap();
    let e = b.delete_bucket().await.unwrap_err();
    assert_eq!(e.cos().map(|c| c.code.as_str()), Some("NoSuchBucket"));
}

#[tokio::test]
async fn uploads_in_ip_mode() {
    let server = start(config()).await;
    uploads_listed_paged_and_aborted(&ip_client(server.addr, permanent())).await;
    server.shutdown().await;
}

#[tokio::test]
async fn uploads_through_the_proxy_with_a_temporary_key() {
    let server = start(config()).await;
    let client = proxy_client(server.addr, Some(cos_signer(temporary())));
    uploads_listed_paged_and_aborted(&client).await;
    server.shutdown().await;
}

fn stand_in_client(addr: std::net::SocketAddr) -> Client {
    Client::builder()
        .signer(ip_signer(addr, permanent()))
        .http_client(reqwest::Client::builder().no_proxy().build().unwrap())
        .timeout(Duration::from_millis(500))
        .retry(cos_sign_http::RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_stalled_or_oversized_list_is_bounded() {
    let stalled = StandIn::start(|_| {
        Reply::new(200, b"<ListMultipartUploadsResult>".repeat(1000)).stall_after(20)
    });
    let started = std::time::Instant::now();
    let e = stand_in_client(stalled.addr)
        .bucket(BUCKET)
        .list_uploads(&ListUploadsOptions::new())
        .await
        .unwrap_err();
    assert!(e.is_timeout() || matches!(e, ClientError::Http(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let first = stalled.seen.lock().unwrap()[0].path.clone();
    assert!(first.starts_with("/?uploads"), "{first}");

    let huge = StandIn::start(|_| Reply::new(200, vec![b' '; 9 << 20]));
    let e = stand_in_client(huge.addr)
        .bucket(BUCKET)
        .list_uploads(&ListUploadsOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::UnexpectedAnswer { .. }), "{e:?}");
}
