//! The compatibility layer's types that hold a secret key or a token are formatted (`Debug`,
//! pretty `Debug`, and `Display` where they have one) and the text searched for the secrets.

use std::fmt::{Debug, Display};

use cos_sign_core::{KeyTime, SigningKey};
use cos_sign_qcloud::{Op, SdkCall, SdkConfig, SdkKey, SdkOptions, sign};

const KEY: &str = "Sk3yMARKERzz";
const TOKEN: &str = "T0kenMARKERyy";

fn secrets() -> Vec<String> {
    let kt = KeyTime::sdk_window(1_700_000_000, 300);
    let sign_key = SigningKey::derive(KEY.as_bytes(), kt)
        .expose_hex()
        .to_owned();
    vec![
        KEY.to_owned(),
        TOKEN.to_owned(),
        sign_key,
        "MARKER".to_owned(),
    ]
}

fn check_debug(what: &str, v: &impl Debug) {
    for text in [format!("{v:?}"), format!("{v:#?}")] {
        for s in secrets() {
            assert!(!text.contains(&s), "{what} Debug shows a secret: {text}");
        }
    }
}

fn check_both(what: &str, v: &(impl Debug + Display)) {
    check_debug(what, v);
    let text = v.to_string();
    for s in secrets() {
        assert!(!text.contains(&s), "{what} Display shows a secret: {text}");
    }
}

#[test]
fn sdk_types() {
    let opts = SdkOptions::default()
        .region("ap-beijing")
        .secret_id("AKIDpublic")
        .secret_key(KEY)
        .token(TOKEN)
        .secret_key_alias(KEY)
        .access_key(KEY);
    check_debug("SdkOptions", &opts);
    let conf = SdkConfig::new(opts.clone()).unwrap();
    check_debug("SdkConfig", &conf);
    check_debug("SdkKey", &SdkKey::text(KEY));
    check_debug("SdkKey", &SdkKey::bytes(KEY.as_bytes()));
    let inst = SdkConfig::new(
        SdkOptions::default()
            .region("ap-beijing")
            .credential_instance(true),
    )
    .unwrap()
    .with_instance_credentials("AKIDpublic", SdkKey::text(KEY));
    check_debug("SdkConfig (instance)", &inst);

    // Errors raised with secrets around: spaces in the key, set_credential, bad calls.
    let mut bad = opts.clone();
    bad.secret_key = Some(format!("{KEY} "));
    check_both("SdkError", &SdkConfig::new(bad).unwrap_err());
    let mut c = conf.clone();
    check_both(
        "SdkError",
        &c.set_credential("id".into(), format!(" {KEY}"), Some(TOKEN.into()))
            .unwrap_err(),
    );
    check_both(
        "SdkError",
        &c.set_credential("id".into(), KEY.into(), None).unwrap_err(),
    );
    let e = sign(
        &conf,
        &SdkCall::new(Op::Auth, "GET", Some("a/b"), Some("k"), 1_700_000_000),
    );
    check_both("SdkError", &e.unwrap_err());
}
