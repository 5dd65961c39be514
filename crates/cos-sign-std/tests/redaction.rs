//! Every public type that holds a secret key, a token or a signing key is formatted (`Debug`,
//! pretty `Debug`, and `Display` where it has one) and the text searched for the secrets.

use cos_sign_std::clock::Clock;
use cos_sign_std::config::Endpoint;
use cos_sign_std::credentials::{
    CachingProvider, ChainProvider, Credentials, CredentialsError, CredentialsProvider,
    ProfileProvider, Secret, StaticProvider,
};
use cos_sign_std::method::Method;
use cos_sign_std::signer::{SignOptions, Signer};

#[path = "support/redaction.rs"]
mod support;
use support::{KEY, TOKEN, check_both, check_debug};

fn creds() -> Credentials {
    Credentials::new("AKIDpublic", KEY).with_token(TOKEN)
}

#[test]
fn credentials_types() {
    check_both("Secret", &Secret::new(KEY));
    check_both("Credentials", &creds());
    check_debug("StaticProvider", &StaticProvider::new(creds()));
    check_debug(
        "ChainProvider",
        &ChainProvider::new().push(StaticProvider::new(creds())),
    );
    let caching = CachingProvider::new(StaticProvider::new(creds()));
    caching.credentials().unwrap();
    check_debug("CachingProvider", &caching);
    check_debug(
        "ProfileProvider",
        &ProfileProvider::new().with_path("/nonexistent"),
    );
}

#[test]
fn credential_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    let mut errors = Vec::new();
    for text in [
        format!("[default]\nsecret_id = AKID\nsecret_key = {KEY} \u{1}\ntoken = {TOKEN}\n"),
        format!("[default]\nsecret_key = {KEY}\n"),
        format!("[default]\nsecret_id = AKID\nsecret_key = {KEY}\ntoken = {TOKEN}\u{7}\n"),
        format!("{KEY}\n"),
        format!("[default\n{KEY}"),
    ] {
        std::fs::write(&path, text).unwrap();
        errors.push(
            ProfileProvider::new()
                .with_path(&path)
                .credentials()
                .unwrap_err(),
        );
    }
    errors.push(
        Credentials::new("id", format!(" {KEY}"))
            .validate("test")
            .unwrap_err(),
    );
    errors.push(CredentialsError::Chain(errors.clone()));
    for e in &errors {
        check_both("CredentialsError", e);
    }
}

#[test]
fn signer_types() {
    let signer = Signer::new(
        StaticProvider::new(creds()),
        Endpoint::from_region("ap-beijing").unwrap(),
    )
    .with_clock(Clock::fixed(1_700_000_000));
    let url = signer
        .presign(Method::Get, "b-125", "k", &SignOptions::default())
        .unwrap()
        .url;
    assert!(url.contains(TOKEN), "the token is in the URL on purpose");
    assert!(signer.cached_keys() == 1);
    check_debug("Signer", &signer);
    let parts = signer
        .sign_parts_for(
            Method::Get,
            "/k",
            Some("h"),
            &[],
            &[],
            std::time::Duration::from_secs(300),
        )
        .unwrap();
    check_debug("SignedParts", &parts);
    let err = signer
        .presign(Method::Get, "a/b", "k", &SignOptions::default())
        .unwrap_err();
    check_both("signer::Error", &err);
}
