//! Times the parts of one signature separately (derive, the hashes alone, sign, each output)
//! for profiling:
//! `cargo run --release -p cos-sign-benches --example parts`.

use std::hint::black_box;
use std::time::Instant;

use cos_sign_benches::{Case, Cases, HashChain, borrow, write_presigned};
use cos_sign_core::{Request, SigningKey};
use cos_sign_std::rules::{KeyCache, QueryOut, render_into};

fn time(name: &str, mut f: impl FnMut()) {
    const N: u32 = 200_000;
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..N {
            f();
        }
        best = best.min(t.elapsed().as_nanos() as f64 / f64::from(N));
    }
    println!("{name:<40} {best:>9.1} ns");
}

/// One call of the one-call API (what the bench times): the Authorization, or the
/// pre-signed URL's query; the text's length.
fn one_call(
    key: &SigningKey,
    req: &Request<'_>,
    id: &str,
    buf: &mut [u8],
    presigned: bool,
) -> usize {
    let (req, id) = (black_box(req), black_box(id));
    let text = if presigned {
        key.sign_presigned_url_query_into(req, id, buf)
    } else {
        key.sign_authorization_into(req, id, buf)
    };
    text.unwrap().len()
}

/// Both texts the Python binding writes for a pre-signed URL with headers (the Authorization,
/// and the query with its params) through cos-sign-std: signed whole with the key
/// (`rules::render_into`), or through the key cache (`KeyCache::render_into`: after the
/// shape's second call, its cached template).
fn std_both(
    cases: &Cases,
    case: &Case,
    cache: Option<&KeyCache>,
    key: &SigningKey,
) -> (String, String) {
    let (p, h) = (borrow(&case.params), borrow(&case.headers));
    let method = case.method.to_ascii_lowercase();
    let parts = (method.as_str(), case.path.as_str(), &p[..], &h[..]);
    let (mut header, mut query) = (String::with_capacity(1024), String::with_capacity(1024));
    let q = QueryOut {
        out: &mut query,
        params: true,
    };
    let id = black_box(cases.secret_id.as_str());
    match cache {
        Some(c) => c.render_into(
            cases.secret_key.as_bytes(),
            cases.key_time(),
            id,
            parts,
            Some(&mut header),
            Some(q),
        ),
        None => render_into(key, id, parts, Some(&mut header), Some(q)),
    }
    .unwrap();
    (header, query)
}

/// With arguments `<case> <part>` (part: sign, auth, presigned, sign+auth, sign+presigned,
/// fused-auth, fused-presigned, template-auth, template-presigned, template-push,
/// template-push-presigned, std-whole, std-cached, derive, none), runs only that
/// part 10 000 times, for `valgrind --tool=callgrind` (`none`: the fixed cost of the program,
/// to subtract).
fn only(cases: &Cases, key: &SigningKey, case: &str, part: &str) {
    let case = cases
        .cases
        .iter()
        .find(|c| c.name == case)
        .expect("a case name");
    let (p, h) = (borrow(&case.params), borrow(&case.headers));
    let req = case.request(&p, &h);
    let signed = key.sign(&req).unwrap();
    let template = case.template(key, &cases.secret_id);
    let values = case.open_values();
    let fill = case.fill(&values);
    let mut buf = [0u8; 2048];
    let cache = KeyCache::default();
    for _ in 0..10_000 {
        match part {
            "sign" => drop(black_box(key.sign(black_box(&req)).unwrap())),
            "auth" => drop(black_box(
                signed
                    .authorization(black_box(&cases.secret_id))
                    .write_into(&mut buf)
                    .unwrap()
                    .len(),
            )),
            "presigned" => drop(black_box(
                write_presigned(&signed, black_box(&cases.secret_id), &mut buf)
                    .unwrap()
                    .len(),
            )),
            // What the bench times with the key reused: sign, then write the output.
            "sign+auth" => drop(black_box(
                key.sign(black_box(&req))
                    .unwrap()
                    .authorization(black_box(&cases.secret_id))
                    .write_into(&mut buf)
                    .unwrap()
                    .len(),
            )),
            "sign+presigned" => drop(black_box(
                write_presigned(
                    &key.sign(black_box(&req)).unwrap(),
                    black_box(&cases.secret_id),
                    &mut buf,
                )
                .unwrap()
                .len(),
            )),
            // The fused calls the bench times: sign and write in one.
            "fused-auth" => drop(black_box(one_call(
                key,
                &req,
                &cases.secret_id,
                &mut buf,
                false,
            ))),
            "fused-presigned" => drop(black_box(one_call(
                key,
                &req,
                &cases.secret_id,
                &mut buf,
                true,
            ))),
            // The same texts from the case's template (host fixed, the other values open).
            "template-auth" => drop(black_box(
                template
                    .sign_authorization_into(black_box(&fill), &mut buf)
                    .unwrap()
                    .len(),
            )),
            "template-presigned" => drop(black_box(
                template
                    .sign_presigned_url_query_into(black_box(&fill), &mut buf)
                    .unwrap()
                    .len(),
            )),
            "template-push" | "template-push-presigned" => {
                let mut s = heapless::String::<2048>::new();
                if part == "template-push" {
                    template.push_authorization(black_box(&fill), &mut s)
                } else {
                    template.push_presigned_url_query(black_box(&fill), &mut s)
                }
                .unwrap();
                black_box(s.len());
            }
            // (after the core's parts: the arms before a part are compared on each call)
            "std-whole" => drop(black_box(std_both(cases, case, None, key))),
            "std-cached" => drop(black_box(std_both(cases, case, Some(&cache), key))),
            "none" => drop(black_box((&signed, &template))),
            _ => drop(black_box(SigningKey::derive(
                black_box(cases.secret_key.as_bytes()),
                black_box(cases.key_time()),
            ))),
        }
    }
}

fn main() {
    let cases = Cases::load();
    let key = SigningKey::derive(cases.secret_key.as_bytes(), cases.key_time());
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [case, part] = args.as_slice() {
        only(&cases, &key, case, part);
        return;
    }
    let mut state = [0u32; 5];
    let block = [0x5au8; 64];
    time("sha1 block", || {
        sha1::block_api::compress(&mut state, core::slice::from_ref(black_box(&block)))
    });
    time("derive", || {
        black_box(SigningKey::derive(
            black_box(cases.secret_key.as_bytes()),
            black_box(cases.key_time()),
        ));
    });
    for case in &cases.cases {
        let (p, h) = (borrow(&case.params), borrow(&case.headers));
        let req = case.request(&p, &h);
        let signed = key.sign(&req).unwrap();
        println!("{}: http len {}", case.name, signed.http_string().len());
        // The floor: the signature's hashes alone (the bench's "hashes only" row); `sign`
        // adds the sorting and the HttpString's rendering, `one-call` the text written.
        let chain = HashChain::of(&signed, &key);
        let mut sig = [0u8; 40];
        time(&format!("{} hashes only", case.name), || {
            chain.run(black_box(&mut sig));
        });
        time(&format!("{} sign", case.name), || {
            black_box(key.sign(black_box(&req)).unwrap());
        });
        let mut buf = [0u8; 2048];
        time(&format!("{} authorization write", case.name), || {
            black_box(
                signed
                    .authorization(black_box(&cases.secret_id))
                    .write_into(&mut buf)
                    .unwrap()
                    .len(),
            );
        });
        time(&format!("{} authorization len", case.name), || {
            black_box(signed.authorization(black_box(&cases.secret_id)).len());
        });
        for (name, presigned) in [("authorization", false), ("presigned", true)] {
            time(&format!("{} one-call {name}", case.name), || {
                black_box(one_call(&key, &req, &cases.secret_id, &mut buf, presigned));
            });
        }
        let template = case.template(&key, &cases.secret_id);
        let values = case.open_values();
        let fill = case.fill(&values);
        time(&format!("{} template authorization", case.name), || {
            black_box(
                template
                    .sign_authorization_into(black_box(&fill), &mut buf)
                    .unwrap()
                    .len(),
            );
        });
        let mut s = heapless::String::<2048>::new();
        time(
            &format!("{} template push authorization", case.name),
            || {
                s.clear();
                template
                    .push_authorization(black_box(&fill), &mut s)
                    .unwrap();
                black_box(s.len());
            },
        );
        let cache = KeyCache::default();
        for _ in 0..3 {
            assert_eq!(
                std_both(&cases, case, Some(&cache), &key),
                std_both(&cases, case, None, &key)
            );
        }
        time(&format!("{} std both texts, whole", case.name), || {
            black_box(std_both(&cases, case, None, &key));
        });
        time(&format!("{} std both texts, cached", case.name), || {
            black_box(std_both(&cases, case, Some(&cache), &key));
        });
        time(&format!("{} presigned write", case.name), || {
            black_box(
                write_presigned(&signed, black_box(&cases.secret_id), &mut buf)
                    .unwrap()
                    .len(),
            );
        });
        stores_and_checks(case.name.as_str(), &signed, &cases.secret_id);
    }
}

/// Two costs outside the hashes that no rendering removes (the closing notes' profile):
///
/// - The HttpString's blocks compressed right after they are written: from blocks stored in
///   whole 16-byte chunks at the offsets the compression loads (as `HashChain` lays its
///   blocks out), then from the same bytes stored in 8-byte pieces and in pieces of varied
///   sizes (as a renderer writes them). A load across two stores that have not reached the
///   cache yet cannot be forwarded from them and waits until they do; the difference is that
///   wait.
/// - `str::from_utf8` of the Authorization: the check a `&str` of a caller's byte buffer
///   needs without `unsafe`.
fn stores_and_checks(case: &str, signed: &cos_sign_core::Signed<'_>, id: &str) {
    let http = signed.http_string().to_string().into_bytes();
    let mut padded = http.clone();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&(http.len() as u64 * 8).to_be_bytes());
    // Two blocks a call, as the streaming hasher compresses them.
    let run = |name: &str, store: fn(&mut [u8], &[u8])| {
        time(&format!("{case} http blocks {name}"), || {
            let mut state = cos_sign_benches::SHA1_IV;
            for pair in black_box(&padded[..]).chunks(128) {
                let mut b = [0u8; 136];
                store(&mut b, pair);
                let blocks = b.as_chunks::<64>().0;
                sha1::block_api::compress(&mut state, &blocks[..pair.len() / 64]);
            }
            black_box(state);
        });
    };
    run("stored whole, then hashed", |b, src| {
        for (d, s) in b
            .as_chunks_mut::<16>()
            .0
            .iter_mut()
            .zip(src.as_chunks::<16>().0)
        {
            *d = *s;
        }
    });
    run("stored in 8-byte pieces, then hashed", |b, src| {
        // (each word through `black_box`: the stores stay eight bytes wide, not merged)
        for (d, s) in b
            .as_chunks_mut::<8>()
            .0
            .iter_mut()
            .zip(src.as_chunks::<8>().0)
        {
            *d = black_box(u64::from_le_bytes(*s)).to_le_bytes();
        }
    });
    run("stored in varied pieces, then hashed", |b, src| {
        let (mut at, mut k) = (0, 0);
        while at < src.len() {
            let n = [5usize, 11, 3, 17, 7][k % 5].min(src.len() - at);
            b[at..at + n].copy_from_slice(&src[at..at + n]);
            at += n;
            k += 1;
        }
    });
    let mut buf = [0u8; 2048];
    let n = signed.authorization(id).write_into(&mut buf).unwrap().len();
    time(&format!("{case} from_utf8 of the authorization"), || {
        black_box(core::str::from_utf8(black_box(&buf[..n])).is_ok());
    });
}
