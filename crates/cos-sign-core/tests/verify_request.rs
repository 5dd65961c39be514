//! `verify_request` and `fields`: one call from the Authorization text to a verdict, the
//! secret looked up by the decoded id, the documented occurrence rule for duplicates.

use cos_sign_core::{
    AuthorizationSource, KeyTime, ParseError, Request, RequestAuthError, SigningKey, VerifyError,
    fields, verify_request,
};

const ID: &str = "AKIDtest";
const SECRET: &[u8] = b"secret";

fn secret(id: &[u8]) -> Option<&'static [u8]> {
    (id == ID.as_bytes()).then_some(SECRET)
}

fn signed(req: &Request<'_>) -> (String, String) {
    let key = SigningKey::derive(SECRET, KeyTime::new(100, 200));
    let s = key.sign(req).unwrap();
    (
        s.authorization(ID).to_string(),
        s.presigned_query(ID).to_string(),
    )
}

#[test]
fn fields_are_the_seven_in_sdk_order() {
    assert_eq!(
        fields::ALL,
        [
            "q-sign-algorithm",
            "q-ak",
            "q-sign-time",
            "q-key-time",
            "q-header-list",
            "q-url-param-list",
            "q-signature"
        ]
    );
    assert!(fields::is_field(fields::AK));
    assert!(!fields::is_field("Q-AK"));
}

#[test]
fn header_and_query_forms_verify_and_fail_as_typed() {
    let headers = [("host", "b-1.cos.r.myqcloud.com"), ("content-type", "a/b")];
    let params = [("acl", "")];
    let req = Request::new("PUT", "/k").headers(&headers).params(&params);
    let (auth, query) = signed(&req);
    for src in [
        AuthorizationSource::Header(&auth),
        AuthorizationSource::Query(&query),
    ] {
        let a = verify_request(src, &req, 150, secret).unwrap();
        assert!(a.signs_header("Content-Type") && a.signs_header("HOST"));
        assert!(!a.signs_header("content-md5"));
        assert!(a.signs_param("acl") && !a.signs_param("ACLx"));
        assert_eq!(
            verify_request(src, &req, 201, secret).err(),
            Some(RequestAuthError::Rejected(VerifyError::Expired {
                end: 200,
                now: 201
            }))
        );
        assert_eq!(
            verify_request(src, &req, 150, |_: &[u8]| None::<&[u8]>).err(),
            Some(RequestAuthError::UnknownAccessKey)
        );
        assert_eq!(
            verify_request(src, &req, 150, |_: &[u8]| Some(b"other")).err(),
            Some(RequestAuthError::Rejected(VerifyError::SignatureMismatch))
        );
    }
    let dup = format!("{auth}&q-ak={ID}");
    assert_eq!(
        verify_request(AuthorizationSource::Header(&dup), &req, 150, secret).err(),
        Some(RequestAuthError::Malformed(ParseError::Duplicate("q-ak")))
    );
}

#[test]
fn the_last_occurrence_is_the_one_verified() {
    let one = [("host", "h"), ("content-type", "text/plain")];
    let req = Request::new("PUT", "/k").headers(&one);
    let (auth, _) = signed(&req);
    let src = AuthorizationSource::Header(&auth);
    let signed_last = [
        ("host", "h"),
        ("content-type", "text/html"),
        ("Content-Type", "text/plain"),
    ];
    let signed_first = [
        ("host", "h"),
        ("content-type", "text/plain"),
        ("content-type", "text/html"),
    ];
    assert!(
        verify_request(
            src,
            &Request::new("PUT", "/k").headers(&signed_last),
            150,
            secret
        )
        .is_ok()
    );
    assert!(
        verify_request(
            src,
            &Request::new("PUT", "/k").headers(&signed_first),
            150,
            secret
        )
        .is_err()
    );
}
