//! The secret search shared by the redaction tests of cos-sign-std and cos-sign-qcloud
//! (included by both with `#[path]`): format a value and look for the marked secrets.

use std::fmt::{Debug, Display};

use cos_sign_core::{KeyTime, SigningKey};

pub const KEY: &str = "Sk3yMARKERzz";
pub const TOKEN: &str = "T0kenMARKERyy";

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

pub fn check_debug(what: &str, v: &impl Debug) {
    for text in [format!("{v:?}"), format!("{v:#?}")] {
        for s in secrets() {
            assert!(!text.contains(&s), "{what} Debug shows a secret: {text}");
        }
    }
}

pub fn check_both(what: &str, v: &(impl Debug + Display)) {
    check_debug(what, v);
    let text = v.to_string();
    for s in secrets() {
        assert!(!text.contains(&s), "{what} Display shows a secret: {text}");
    }
}
