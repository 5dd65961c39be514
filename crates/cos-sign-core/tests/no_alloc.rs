//! Its own test binary, with a counting global allocator (the `allocation-counter` crate
//! installs one that counts per thread, so the harness's threads never pollute a count):
//! deriving a key, signing, writing the Authorization and the pre-signed query into stack
//! buffers (in two steps and in one call), and verifying make zero heap allocations.

use cos_sign_core::{KeyTime, ParsedAuthorization, Request, SigningKey};

#[test]
fn signing_makes_zero_heap_allocations() {
    // The counter is live: a Box is counted (so a zero below is not vacuous).
    let boxed = allocation_counter::measure(|| {
        std::hint::black_box(Box::new(7u64));
    });
    assert_eq!(boxed.count_total, 1);

    let headers = [
        (
            "Host",
            "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
        ),
        ("Content-Type", "text/plain"),
        ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
        ("x-cos-storage-class", "STANDARD_IA"),
        ("x-cos-meta-名字", "值 ü"),
    ];
    let params = [
        (
            "response-content-disposition",
            "attachment; filename=\"a.txt\"",
        ),
        ("response-content-type", "application/octet-stream"),
        ("acl", ""),
    ];
    let mut lens = (0, 0, 0);
    let info = allocation_counter::measure(|| {
        let kt = KeyTime::sdk_window(std::hint::black_box(1_700_000_000), 300);
        let key = SigningKey::derive(
            std::hint::black_box(b"PERFTESTSECRETKEYPERFTESTSECRETK"),
            kt,
        );
        let req = Request::new("PUT", "/项目资料/报告 📊.xlsx")
            .params(&params)
            .headers(&headers);
        let signed = key.sign(std::hint::black_box(&req)).unwrap();
        let mut auth_buf = [0u8; 1024];
        let auth = signed
            .authorization("AKIDPERFTEST")
            .write_into(&mut auth_buf)
            .unwrap();
        let mut query_buf = [0u8; 1024];
        let query = signed
            .presigned_query("AKIDPERFTEST")
            .write_into(&mut query_buf)
            .unwrap();
        let mut params_buf = [0u8; 512];
        let pq = signed.params_query().write_into(&mut params_buf).unwrap();
        let hs = signed.http_string().to_heapless::<1024>().unwrap();
        lens = (auth.len(), query.len(), pq.len() + hs.len());
        // Verifying both forms allocates nothing either.
        let a = ParsedAuthorization::parse(auth).unwrap();
        assert!(
            a.verify(
                &req,
                "AKIDPERFTEST",
                b"PERFTESTSECRETKEYPERFTESTSECRETK",
                1_700_000_000
            )
            .is_ok()
        );
        let q = ParsedAuthorization::from_query(query).unwrap();
        assert!(
            q.verify(
                &req,
                "AKIDPERFTEST",
                b"PERFTESTSECRETKEYPERFTESTSECRETK",
                1_700_000_000
            )
            .is_ok()
        );
        // The one-call API neither.
        let mut one_buf = [0u8; 1024];
        let one = key
            .sign_authorization_into(&req, "AKIDPERFTEST", &mut one_buf)
            .unwrap();
        assert_eq!(one, auth);
        let one = key
            .sign_presigned_url_query_into(&req, "AKIDPERFTEST", &mut one_buf)
            .unwrap();
        assert!(one.starts_with(query));
        let _ = key.sign_post_policy(b"{\"conditions\":[]}");
    });
    assert!(lens.0 > 0 && lens.1 > 0 && lens.2 > 0);
    assert_eq!(
        info.count_total, 0,
        "heap allocations while signing: {info:?}"
    );
    assert_eq!(info.bytes_total, 0);
}
