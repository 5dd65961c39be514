//! The compatibility layer's types that hold a secret key or a token are formatted (`Debug`,
//! pretty `Debug`, and `Display` where they have one) and the text searched for the secrets.

use cos_sign_qcloud::{Op, SdkCall, SdkConfig, SdkKey, SdkOptions, sign};

#[path = "../../cos-sign-std/tests/support/redaction.rs"]
mod support;
use support::{KEY, TOKEN, check_both, check_debug};

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
