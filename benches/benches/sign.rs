//! `cargo bench -p cos-sign-benches`: the three cases of `data/bench-cases.json`, for the
//! Authorization string and for the pre-signed URL's query, each signed and written in one
//! call (`SigningKey::sign_authorization_into`, `sign_presigned_url_query_into`), with the
//! signing key derived once
//! outside the loop (reuse) and inside it (no reuse); one SHA-1 block compression in the same
//! run; then, after checking that every timed output equals the text rendered independently,
//! a table of each case's time / (compressions it needs x block cost): the ratio of the
//! fastest of many interleaved batches, with the p10/median/p90 of the per-round ratios as the
//! machine's noise, and the goal per row (<= 1.2 key reused, <= 1.3 key derived), after a
//! row per case that times its hashes alone (`HashChain`: the floor under its signature);
//! and a row per output that signs through the case's `Template` (the key and what stays the
//! same per signer rendered once: `Template::push_authorization`, `push_presigned_url_query`);
//! then the heap allocations per signature counted by the bench binary's global allocator.
//!
//! Short runs while iterating: `COS_BENCH_ROUNDS=101 cargo bench -p cos-sign-benches --bench
//! sign -- --warm-up-time 0.1 --measurement-time 0.3` (`--bench sign`: the library's test
//! harness takes no criterion options; a filter matching no criterion bench, such as
//! `-- zzz`, prints only the table).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use cos_sign_benches::{
    Case, Cases, HashChain, SHA1_IV, borrow, derive_compressions, signature_compressions,
    write_presigned,
};
use cos_sign_core::{Fill, SigningKey, Template};
use criterion::Criterion;

/// One SHA-1 block compression, chained through the state as in a real hash.
#[inline(always)]
fn block(state: &mut [u32; 5], block: &[u8; 64]) {
    sha1::block_api::compress(state, core::slice::from_ref(black_box(block)));
}

/// The `q`-quantile of `v` (sorted in place).
fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len().saturating_sub(1)) as f64 * q).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

/// What [`paired`] measured.
struct Paired {
    /// The fastest batch of the case, ns per signature.
    best_case: f64,
    /// The fastest batch of block compressions, ns per block.
    best_block: f64,
    /// `best_case / (needed x best_block)`: the headline ratio (on a shared machine the
    /// fastest of many interleaved batches moves least from run to run).
    best_ratio: f64,
    /// The per-round ratios (case batch / the block batch right after it): 10th percentile,
    /// median, 90th percentile, the machine's noise.
    p10: f64,
    median: f64,
    p90: f64,
}

/// Rounds of the paired measurement; `COS_BENCH_ROUNDS` overrides it (short runs while
/// iterating).
fn rounds() -> usize {
    std::env::var("COS_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1001)
}

/// Paired measurement for the ratio table: each round times `CASE_ITERS` runs of the case,
/// then as many block compressions as those runs need, back to back, so a noisy neighbour
/// slows both alike.
fn paired(mut case: impl FnMut(), needed: usize) -> Paired {
    const CASE_ITERS: u32 = 50;
    let block_iters = CASE_ITERS * u32::try_from(needed).unwrap_or(u32::MAX);
    let mut state = SHA1_IV;
    let data = [0x5au8; 64];
    let (mut cases, mut blocks, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds() {
        let t = Instant::now();
        for _ in 0..CASE_ITERS {
            case();
        }
        let c = t.elapsed().as_nanos() as f64 / f64::from(CASE_ITERS);
        let t = Instant::now();
        for _ in 0..block_iters {
            block(&mut state, &data);
        }
        let b = t.elapsed().as_nanos() as f64 / f64::from(block_iters);
        cases.push(c);
        blocks.push(b);
        ratios.push(c / (b * needed as f64));
    }
    black_box(state);
    let best_case = quantile(&mut cases, 0.0);
    let best_block = quantile(&mut blocks, 0.0);
    Paired {
        best_case,
        best_block,
        best_ratio: best_case / (needed as f64 * best_block),
        p10: quantile(&mut ratios, 0.1),
        median: quantile(&mut ratios, 0.5),
        p90: quantile(&mut ratios, 0.9),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Authorization,
    Presigned,
}

impl Output {
    fn name(self) -> &'static str {
        match self {
            Output::Authorization => "authorization",
            Output::Presigned => "presigned",
        }
    }
}

/// One signature: optionally derive, sign, write the output into the caller's (stack)
/// buffer, through the one-call API (`SigningKey::sign_authorization_into`,
/// `SigningKey::sign_presigned_url_query_into`), which signs and writes without a `Signed`
/// in between. `check_outputs` compares what it writes with the two-step API's text.
#[inline(always)]
fn one(
    cases: &Cases,
    reused: Option<&SigningKey>,
    case_req: &cos_sign_core::Request<'_>,
    out: Output,
    buf: &mut [u8],
) -> usize {
    let derived;
    let key = match reused {
        Some(k) => k,
        None => {
            derived = SigningKey::derive(
                black_box(cases.secret_key.as_bytes()),
                black_box(cases.key_time()),
            );
            &derived
        }
    };
    let req = black_box(case_req);
    let id = black_box(&cases.secret_id);
    let text = match out {
        Output::Authorization => key.sign_authorization_into(req, id, buf),
        Output::Presigned => key.sign_presigned_url_query_into(req, id, buf),
    };
    black_box(text.expect("the caller's buffer holds every case")).len()
}

/// One signature from the case's [`Template`] (the key and what stays the same per signer
/// rendered once; the `host` header fixed, the other values given by the call), appended to
/// an emptied string on the stack (`Template::push_authorization`,
/// `push_presigned_url_query`: no pass over the text to check it is UTF-8).
#[inline(always)]
fn one_template(
    t: &Template,
    fill: &Fill<'_>,
    out: Output,
    s: &mut heapless::String<2048>,
) -> usize {
    let fill = black_box(fill);
    s.clear();
    let pushed = match out {
        Output::Authorization => t.push_authorization(fill, s),
        Output::Presigned => t.push_presigned_url_query(fill, s),
    };
    pushed.expect("the string holds every case");
    black_box(s.as_str()).len()
}

fn bench(c: &mut Criterion, cases: &Cases) {
    let mut g = c.benchmark_group("sha1_block");
    g.bench_function("compress", |b| {
        let mut state = SHA1_IV;
        let data = [0x5au8; 64];
        b.iter(|| block(&mut state, &data));
    });
    g.finish();

    let key = SigningKey::derive(cases.secret_key.as_bytes(), cases.key_time());
    for case in &cases.cases {
        let (p, h) = (borrow(&case.params), borrow(&case.headers));
        let req = case.request(&p, &h);
        let mut g = c.benchmark_group(case.name.as_str());
        for out in [Output::Authorization, Output::Presigned] {
            for reuse in [true, false] {
                let id = bench_id(case, out, reuse);
                let name = id
                    .split_once('/')
                    .map(|(_, n)| n.to_owned())
                    .unwrap_or_default();
                g.bench_function(name, |b| {
                    let mut buf = [0u8; 2048];
                    b.iter(|| one(cases, reuse.then_some(&key), &req, out, &mut buf));
                });
            }
            let (t, values) = (case.template(&key, &cases.secret_id), case.open_values());
            let fill = case.fill(&values);
            g.bench_function(format!("{}_template", out.name()), |b| {
                let mut s = heapless::String::new();
                b.iter(|| one_template(&t, &fill, out, &mut s));
            });
        }
        g.finish();
    }
}

/// Before any timing: the output `one` writes with the key reused, with the key derived in
/// the call, the case's template's output, the same text rendered through `Display` from an independently derived key
/// (the two-step API: `sign`, then the text), and that text written into a buffer by the
/// two-step API (`write_into`, `write_presigned`) are equal.
fn check_outputs(cases: &Cases, key: &SigningKey, case: &Case, out: Output) {
    let (p, h) = (borrow(&case.params), borrow(&case.headers));
    let req = &case.request(&p, &h);
    let mut a = [0u8; 2048];
    let mut b = [0u8; 2048];
    let n = one(cases, Some(key), req, out, &mut a);
    let m = one(cases, None, req, out, &mut b);
    assert_eq!(a[..n], b[..m], "key reused and key derived disagree");
    let (t, values) = (case.template(key, &cases.secret_id), case.open_values());
    let mut s = heapless::String::new();
    one_template(&t, &case.fill(&values), out, &mut s);
    assert_eq!(a[..n], *s.as_bytes(), "the template writes another text");
    let fresh = SigningKey::derive(cases.secret_key.as_bytes(), cases.key_time());
    let signed = fresh.sign(req).expect("the bench cases fit");
    let want = match out {
        Output::Authorization => signed.authorization(&cases.secret_id).to_string(),
        Output::Presigned if req.params.is_empty() => {
            signed.presigned_query(&cases.secret_id).to_string()
        }
        Output::Presigned => format!(
            "{}&{}",
            signed.presigned_query(&cases.secret_id),
            signed.params_query()
        ),
    };
    assert_eq!(
        std::str::from_utf8(&a[..n]).expect("outputs are UTF-8"),
        want,
        "the timed output differs from the rendered one"
    );
    let two_step = match out {
        Output::Authorization => signed.authorization(&cases.secret_id).write_into(&mut b),
        Output::Presigned => write_presigned(&signed, &cases.secret_id, &mut b),
    };
    assert_eq!(
        two_step.expect("the buffer holds every case"),
        want,
        "the two-step API writes another text"
    );
}

fn bench_id(case: &Case, out: Output, reuse: bool) -> String {
    format!(
        "{}/{}_{}",
        case.name,
        out.name(),
        if reuse { "key_reused" } else { "key_derived" }
    )
}

fn template_id(case: &Case, out: Output) -> String {
    format!("{}/{}_template", case.name, out.name())
}

/// One row of the ratio table: its labels (case, output, key), the HttpString's length and
/// the compressions needed, the measurement, and the goal and allocation columns.
fn print_row(
    (case, output, key): (&Case, &str, &str),
    (http_len, needed): (usize, usize),
    m: &Paired,
    (goal, allocs): (&str, &str),
) {
    println!(
        "{:<8} {:<13} {:<8} {:>8} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>6.2} {:>5.2}/{:>5.2}/{:>5.2} {:>6} {:>6}",
        case.name,
        output,
        key,
        http_len,
        needed,
        m.best_case,
        m.best_block,
        needed as f64 * m.best_block,
        m.best_ratio,
        m.p10,
        m.median,
        m.p90,
        goal,
        allocs
    );
}

/// Heap allocations per signature, counted by the bench binary's global allocator.
fn allocations(cases: &Cases) -> Vec<(String, f64)> {
    const RUNS: u64 = 1000;
    let key = SigningKey::derive(cases.secret_key.as_bytes(), cases.key_time());
    let mut rows = Vec::new();
    for case in &cases.cases {
        let (p, h) = (borrow(&case.params), borrow(&case.headers));
        let req = case.request(&p, &h);
        for out in [Output::Authorization, Output::Presigned] {
            for reuse in [true, false] {
                let mut buf = [0u8; 2048];
                let info = allocation_counter::measure(|| {
                    for _ in 0..RUNS {
                        black_box(one(cases, reuse.then_some(&key), &req, out, &mut buf));
                    }
                });
                rows.push((
                    bench_id(case, out, reuse),
                    info.count_total as f64 / RUNS as f64,
                ));
            }
            let (t, values) = (case.template(&key, &cases.secret_id), case.open_values());
            let fill = case.fill(&values);
            let mut s = heapless::String::new();
            let info = allocation_counter::measure(|| {
                for _ in 0..RUNS {
                    black_box(one_template(&t, &fill, out, &mut s));
                }
            });
            rows.push((
                template_id(case, out),
                info.count_total as f64 / RUNS as f64,
            ));
        }
    }
    rows
}

fn main() {
    let cases = Cases::load();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &cases);
    c.final_summary();

    let kt_len = cases.key_time().to_string().len();
    let derive = derive_compressions(cases.secret_key.len(), kt_len);
    let key = SigningKey::derive(cases.secret_key.as_bytes(), cases.key_time());
    let allocs: BTreeMap<String, f64> = allocations(&cases).into_iter().collect();
    let boxed = allocation_counter::measure(|| {
        black_box(Box::new(1u8));
    });

    println!();
    println!("cos-sign-core vs the SHA-1 lower bound");
    println!(
        "  needed = SHA-1 compressions: per signature the HttpString blocks + 2 inner + 1 outer"
    );
    println!(
        "           HMAC blocks; without key reuse + {derive} to derive the key (SignKey HMAC: 2 pad"
    );
    println!("           blocks + KeyTime + outer; then the SignKey's own 2 pad blocks)");
    println!(
        "  time   = one signature: (derive,) sign, write the output into a stack buffer, in one"
    );
    println!(
        "           call (SigningKey::sign_authorization_into / sign_presigned_url_query_into)"
    );
    println!(
        "  ratio  = fastest case batch / (needed x fastest block batch), of {} paired rounds",
        rounds()
    );
    println!("           (case batch, then the blocks it needs); p10/median/p90 of the per-round");
    println!("           ratios show the machine's noise. Outputs checked equal before timing.");
    println!("  goal   : <= 1.3 with the key derived, <= 1.2 with the key reused");
    println!(
        "  template: the key and the case's Template reused (the host header fixed, the other"
    );
    println!("           values given per call), appended to a heapless::String");
    println!("           (Template::push_authorization / push_presigned_url_query); goal 1.2");
    println!("  hashes only: the signature's compressions alone, with the data dependencies the");
    println!("           algorithm puts between them (digest -> hex -> next message) and nothing");
    println!("           rendered: the floor under a signature with this compression function");
    println!();
    println!(
        "{:<8} {:<13} {:<8} {:>8} {:>6} {:>8} {:>8} {:>8} {:>6} {:>17} {:>6} {:>6}",
        "case",
        "output",
        "key",
        "http len",
        "needed",
        "time ns",
        "block ns",
        "bound ns",
        "ratio",
        "p10/median/p90",
        "goal",
        "allocs"
    );
    let mut worst_alloc = 0.0f64;
    let mut missed = Vec::new();
    for case in &cases.cases {
        let (p, h) = (borrow(&case.params), borrow(&case.headers));
        let req = case.request(&p, &h);
        let signed = key.sign(&req).expect("the bench cases fit");
        let http_len = signed.http_string().len();
        let chain = HashChain::of(&signed, &key);
        let mut sig = [0u8; 40];
        let needed = signature_compressions(http_len, kt_len);
        let m = paired(|| chain.run(black_box(&mut sig)), needed);
        print_row(
            (case, "hashes only", "reused"),
            (http_len, needed),
            &m,
            ("-", "-"),
        );
        for out in [Output::Authorization, Output::Presigned] {
            check_outputs(&cases, &key, case, out);
            for reuse in [true, false] {
                let id = bench_id(case, out, reuse);
                let needed =
                    signature_compressions(http_len, kt_len) + if reuse { 0 } else { derive };
                let mut buf = [0u8; 2048];
                let m = paired(
                    || {
                        black_box(one(&cases, reuse.then_some(&key), &req, out, &mut buf));
                    },
                    needed,
                );
                let a = allocs.get(&id).copied().unwrap_or(f64::NAN);
                worst_alloc = worst_alloc.max(a);
                let goal = if reuse { 1.2 } else { 1.3 };
                if m.best_ratio > goal {
                    missed.push(format!("{id} ({:.2} > {goal})", m.best_ratio));
                }
                print_row(
                    (case, out.name(), if reuse { "reused" } else { "derived" }),
                    (http_len, needed),
                    &m,
                    (
                        if m.best_ratio <= goal { "ok" } else { "MISSED" },
                        &a.to_string(),
                    ),
                );
            }
            // The key and the template reused: held to the goal of the key reused.
            let (t, values) = (case.template(&key, &cases.secret_id), case.open_values());
            let fill = case.fill(&values);
            let needed = signature_compressions(http_len, kt_len);
            let mut s = heapless::String::new();
            let m = paired(
                || {
                    black_box(one_template(&t, &fill, out, &mut s));
                },
                needed,
            );
            let id = template_id(case, out);
            let a = allocs.get(&id).copied().unwrap_or(f64::NAN);
            worst_alloc = worst_alloc.max(a);
            if m.best_ratio > 1.2 {
                missed.push(format!("{id} ({:.2} > 1.2)", m.best_ratio));
            }
            print_row(
                (case, out.name(), "template"),
                (http_len, needed),
                &m,
                (
                    if m.best_ratio <= 1.2 { "ok" } else { "MISSED" },
                    &a.to_string(),
                ),
            );
        }
    }
    println!();
    if missed.is_empty() {
        println!("every case within its goal");
    } else {
        println!("above the goal: {}", missed.join("; "));
    }
    println!();
    println!(
        "heap allocations per signature: {worst_alloc} (counter live: a Box counted {} time)",
        boxed.count_total
    );
    assert_eq!(boxed.count_total, 1, "the counting allocator is not active");
    assert!(worst_alloc == 0.0, "signing allocated on the heap");
}
