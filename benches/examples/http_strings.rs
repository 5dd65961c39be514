//! Prints each bench case's HttpString as JSON (`{"name": ..., "path_len": ...,
//! "params": ..., "headers": ..., "http": ...}` per line), for `scripts/bench_profile.py`,
//! which builds diagnostic variants of the core that hash these texts as given:
//! `cargo run --release -p cos-sign-benches --example http_strings`.

use cos_sign_benches::{Cases, borrow};
use cos_sign_core::SigningKey;

fn main() {
    let cases = Cases::load();
    let key = SigningKey::derive(cases.secret_key.as_bytes(), cases.key_time());
    for case in &cases.cases {
        let (p, h) = (borrow(&case.params), borrow(&case.headers));
        let signed = key
            .sign(&case.request(&p, &h))
            .expect("the bench cases fit");
        let line = serde_json::json!({
            "name": case.name,
            "path_len": case.path.len(),
            "params": case.params.len(),
            "headers": case.headers.len(),
            "http": signed.http_string().to_string(),
        });
        println!("{line}");
    }
}
