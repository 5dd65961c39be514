//! Every call of `tests/data/qcloud_cos-1.9.44.json` (600 calls of the official SDK with
//! `time.time()` fixed) reproduced through `cos_sign_qcloud`: an `ok` answer byte for
//! byte, an `error` as an error of the same exception class.

use cos_sign_qcloud::{
    Bucket, ErrorKind, Op, Presigned, SdkCall, SdkConfig, SdkError, SdkKey, SdkOptions, object_url,
    sign, sign_into,
};
use serde_json::Value;

/// Python's `str()` of a JSON scalar as the binding would convert it.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        Value::Number(n) => {
            assert!(
                n.is_i64() || n.is_u64(),
                "float values are not in the vectors"
            );
            n.to_string()
        }
        other => panic!("unexpected value {other}"),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), py_str(v))).collect(),
        Some(other) => panic!("not a dict: {other}"),
    }
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn options(config: &serde_json::Map<String, Value>) -> SdkOptions {
    let mut o = SdkOptions::default();
    for (k, v) in config {
        // A keyword given as None: the SDK's `None` for text settings, falsy for flags.
        let s = || (!v.is_null()).then(|| py_str(v));
        match k.as_str() {
            "SecretId" => o.secret_id = s(),
            "SecretKey" => o.secret_key = s(),
            "Region" => o.region = s(),
            "Appid" => o.appid = s(),
            "Scheme" => o.scheme = s(),
            "Token" => o.token = s(),
            "Domain" => o.domain = s(),
            "Endpoint" => o.endpoint = s(),
            "EndpointCi" => o.endpoint_ci = s(),
            "IP" => o.ip = s(),
            "Port" => o.port = s(),
            "SignHost" => o.sign_host = Some(truthy(v)),
            "SignParams" => o.sign_params = Some(truthy(v)),
            "EnableOldDomain" => o.enable_old_domain = Some(truthy(v)),
            "EnableInternalDomain" => o.enable_internal_domain = Some(truthy(v)),
            "Anonymous" => o.anonymous = Some(truthy(v)),
            "Secret_id" => o.secret_id_alias = s(),
            "Secret_key" => o.secret_key_alias = s(),
            "Access_id" => o.access_id = s(),
            "Access_key" => o.access_key = s(),
            other => panic!("config keyword {other} not handled by this test"),
        }
    }
    o
}

fn run(case: &Value) -> Result<Option<String>, SdkError> {
    let config = case["config"].as_object().expect("config");
    let conf = SdkConfig::new(options(config))?;
    run_with(&conf, case)
}

thread_local! {
    static REUSED: std::cell::RefCell<Presigned> = const { std::cell::RefCell::new(Presigned::new()) };
}

fn run_with(conf: &SdkConfig, case: &Value) -> Result<Option<String>, SdkError> {
    let kw = case["kwargs"].as_object().expect("kwargs");
    let now = case["now"].as_i64().expect("now");
    let s = |name: &str| kw.get(name).filter(|v| !v.is_null()).map(py_str);
    let expired = kw.get("Expired").and_then(Value::as_i64).unwrap_or(300);
    let sign_host = kw.get("SignHost").filter(|v| !v.is_null()).map(truthy);
    let ci = kw.get("UseCiEndPoint").is_some_and(truthy);
    let headers = pairs(kw.get("Headers"));
    let params = pairs(kw.get("Params"));
    let bucket = s("Bucket");
    let key = s("Key");
    let method = s("Method");
    let op = match case["call"].as_str().expect("call") {
        "get_auth" => Some(Op::Auth),
        "get_presigned_url" | "get_presigned_download_url" => Some(Op::Presign),
        _ => None,
    };
    if let Some(op) = op {
        let method = method.as_deref().unwrap_or("GET");
        let mut call = SdkCall::new(op, method, bucket.as_deref(), key.as_deref(), now);
        call.expired = expired;
        let (headers, params) = (refs(&headers), refs(&params));
        call.headers = &headers;
        call.params = &params;
        call.sign_host = sign_host;
        call.use_ci_endpoint = ci;
        let out = sign(conf, &call);
        let pick = |o: &Presigned| match op {
            Op::Auth => o.authorization.clone(),
            Op::Presign => o.url.clone(),
        };
        // the same through one Presigned written by every case in turn (after errors too)
        REUSED.with_borrow_mut(|r| {
            for lean in [false, true] {
                let got = sign_into(conf, &call, lean, r).map(|()| pick(r));
                let want = out.as_ref().map(pick);
                let brief = |e: &SdkError| (e.kind, e.message.clone());
                assert_eq!(got.map_err(|e| brief(&e)), want.map_err(brief), "{lean}");
                if let (false, Ok(o)) = (lean, &out) {
                    assert_eq!(r, o);
                }
            }
        });
        return Ok(Some(pick(&out?)));
    }
    match case["call"].as_str().expect("call") {
        "get_object_url" => object_url(conf, bucket.as_deref(), key.as_deref()).map(Some),
        "uri" => conf
            .uri(
                s("bucket").as_deref().map(Bucket::Name),
                s("path").as_deref(),
                s("endpoint").as_deref(),
                s("domain").as_deref(),
            )
            .map(Some),
        "get_host" => conf.get_host(bucket.as_deref().map(Bucket::Name), s("Appid").as_deref()),
        other => panic!("call {other} not handled"),
    }
}

/// Runs every case of a vector file; returns (answers, refusals) reproduced, failures.
fn check_file(text: &str) -> (usize, usize, usize, Vec<String>) {
    let data: Value = serde_json::from_str(text).expect("json");
    let cases = data["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    let (mut oks, mut errs, mut added) = (0, 0, 0);
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        let got = run(case);
        let refused_by_crate = case.get("refused_by_crate").is_some_and(truthy);
        match (case.get("ok"), case.get("error"), &got) {
            (_, sdk_error, Err(e)) if refused_by_crate => {
                // Refused on purpose, or (the refused value unused by this call) the SDK's own
                // error.
                if sdk_error.and_then(Value::as_str) == Some(e.kind.name()) {
                    errs += 1;
                } else if e.kind == ErrorKind::Refused {
                    added += 1;
                } else {
                    failures.push(format!("{id}: refused input, want CosClientError, got {e}"));
                }
            }
            (Some(want), None, Ok(got)) => {
                let want = if want.is_null() {
                    None
                } else {
                    Some(py_str(want))
                };
                if &want == got {
                    oks += 1;
                } else {
                    failures.push(format!("{id}: want {want:?}\n        got {got:?}"));
                }
            }
            (None, Some(Value::String(class)), Err(e)) => {
                if e.kind.name() == class {
                    errs += 1;
                } else {
                    failures.push(format!("{id}: want {class}, got {e}"));
                }
            }
            _ => failures.push(format!(
                "{id}: want ok={:?} error={:?}, got {got:?}",
                case.get("ok"),
                case.get("error")
            )),
        }
    }
    assert_eq!(oks + errs + added + failures.len(), cases.len());
    (oks, errs, added, failures)
}

#[test]
fn all_sdk_vectors() {
    let (oks, errs, added, failures) = check_file(include_str!("data/qcloud_cos-1.9.44.json"));
    assert!(
        failures.is_empty(),
        "{} of 600 failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!((oks + errs, added), (600, 0));
    println!("qcloud_cos-1.9.44.json: {oks} answers and {errs} refusals reproduced");
}

/// Oracle answers for the corners (tests/gen_quirks.py, from the live SDK): ValueError and
/// friends, anonymous configs, secret ids with '&'/'=', Unicode methods, bracketed hosts;
/// inputs marked `refused_by_crate` must give CosClientError or the SDK's own answer when the
/// call does not use the refused value.
#[test]
fn oracle_quirks() {
    let (oks, errs, added, failures) = check_file(include_str!("data/quirks.json"));
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("quirks.json: {oks} answers, {errs} SDK errors, {added} added refusals");
}

/// Runs one step of a scenario on `conf`; `Ok(None)` for the calls that return `None`.
fn step(
    conf: &mut SdkConfig,
    inst: Option<&Value>,
    call: &str,
    kw: &serde_json::Map<String, Value>,
    now: i64,
) -> Result<Option<String>, SdkError> {
    let s = |name: &str| kw.get(name).filter(|v| !v.is_null()).map(py_str);
    match call {
        "set_credential" => conf
            .set_credential(
                s("SecretId").unwrap_or_default(),
                s("SecretKey").unwrap_or_default(),
                s("Token"),
            )
            .map(|()| None),
        "set_ip_port" => {
            conf.set_ip_port(s("IP"), s("Port"));
            Ok(None)
        }
        _ => {
            // A CredentialInstance is read at every call, as the binding does.
            let per_call = inst.map(|i| {
                let key = match i["secret_key_type"].as_str() {
                    Some("str") => SdkKey::text(i["secret_key"].as_str().unwrap()),
                    // bytes were stored as latin-1 text: one char per byte.
                    Some("bytes") => SdkKey::bytes(
                        i["secret_key"]
                            .as_str()
                            .unwrap()
                            .chars()
                            .map(|c| u8::try_from(u32::from(c)).unwrap())
                            .collect::<Vec<u8>>(),
                    ),
                    Some(other) => SdkKey::Other(other.to_owned()),
                    None => panic!("no key type"),
                };
                conf.with_instance_credentials(i["secret_id"].as_str().unwrap(), key)
            });
            let c = per_call.as_ref().unwrap_or(conf);
            let case = serde_json::json!({ "call": call, "kwargs": kw, "now": now });
            run_with(c, &case)
        }
    }
}

/// Sequences of calls on one config from the live SDK (tests/gen_quirks.py): the
/// `set_credential` quirks (AttributeError without a token, after setting the id and key),
/// `set_ip_port`, the compatibility aliases, anonymous configs, CredentialInstance values of
/// several types.
#[test]
fn oracle_scenarios() {
    let data: Value = serde_json::from_str(include_str!("data/quirks.json")).expect("json");
    let scenarios = data["scenarios"].as_array().expect("scenarios");
    assert!(scenarios.len() >= 20);
    let mut failures = Vec::new();
    let mut steps = 0;
    for sc in scenarios {
        let id = sc["id"].as_str().unwrap();
        let config = sc["config"].as_object().unwrap();
        let mut o = options(config);
        o.credential_instance = sc.get("instance").is_some();
        let now = sc["now"].as_i64().unwrap();
        let mut conf = SdkConfig::new(o);
        for (n, st) in sc["steps"].as_array().unwrap().iter().enumerate() {
            steps += 1;
            let call = st["call"].as_str().unwrap();
            let got = match &mut conf {
                Ok(c) => step(
                    c,
                    sc.get("instance"),
                    call,
                    st["kwargs"].as_object().unwrap(),
                    now,
                ),
                Err(e) => Err(e.clone()),
            };
            let want: Result<Option<String>, String> = match (st.get("ok"), st.get("error")) {
                (Some(Value::Null), _) => Ok(None),
                (Some(v), _) => Ok(Some(py_str(v))),
                (None, Some(e)) => Err(e.as_str().unwrap().to_owned()),
                _ => panic!("bad step"),
            };
            let same = match (&want, &got) {
                (Ok(w), Ok(g)) => w == g,
                (Err(w), Err(g)) => g.kind.name() == w,
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "{id} step {n} {call}: want {want:?}\n        got {got:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "quirks.json: {} scenarios, {steps} steps reproduced",
        scenarios.len()
    );
}
