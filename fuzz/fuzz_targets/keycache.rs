//! Sequences of signing calls through one `cos_sign_std::rules::KeyCache` (two secrets, key
//! times and secret ids; a few request shapes repeated with arbitrary names and values, so
//! keys and templates are made, used and evicted): never panics, and each call writes what
//! signing the whole request with the key writes (`rules::render_into`), for every output,
//! or refuses as it does.
#![no_main]

use arbitrary::Arbitrary;
use cos_sign_core::{KeyTime, SigningKey};
use cos_sign_std::rules::{KeyCache, QueryOut, render_into};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Call<'a> {
    /// Which secret, key time and secret id (two of each), shape and output.
    pick: u16,
    method: &'a str,
    path: &'a str,
    /// The values of the shape's params, then its headers (missing ones empty).
    values: Vec<&'a str>,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    secrets: [&'a [u8]; 2],
    ids: [&'a str; 2],
    times: [(u64, u64); 2],
    /// Shapes: (param names, header names).
    shapes: [(Vec<&'a str>, Vec<&'a str>); 3],
    calls: Vec<Call<'a>>,
}

fuzz_target!(|x: Input<'_>| {
    let cache = KeyCache::default();
    let keys: Vec<Vec<SigningKey>> = x
        .secrets
        .iter()
        .map(|s| {
            (x.times.iter())
                .map(|&(a, b)| SigningKey::derive(s, KeyTime::new(a, b)))
                .collect()
        })
        .collect();
    for call in x.calls.iter().take(64) {
        let p = usize::from(call.pick);
        let (si, ti, ii) = (p & 1, p >> 1 & 1, p >> 2 & 1);
        let (pn, hn) = &x.shapes[(p >> 3) % 3];
        let mut values = call.values.iter().copied().chain(std::iter::repeat(""));
        let params: Vec<(&str, &str)> = pn
            .iter()
            .map(|n| (*n, values.next().unwrap_or("")))
            .collect();
        let headers: Vec<(&str, &str)> = hn
            .iter()
            .map(|n| (*n, values.next().unwrap_or("")))
            .collect();
        let parts = (call.method, call.path, &params[..], &headers[..]);
        let (header, query, with_params) = match p >> 5 & 3 {
            0 => (true, false, false),
            1 => (false, true, true),
            2 => (false, true, false),
            _ => (true, true, p >> 7 & 1 == 1),
        };
        let (a, b) = x.times[ti];
        let run = |cached: bool| {
            let (mut h, mut q) = (String::from("<"), String::from("u?"));
            let hs = header.then_some(&mut h);
            let qs = query.then_some(QueryOut {
                out: &mut q,
                params: with_params,
            });
            let r = match cached {
                true => {
                    cache.render_into(x.secrets[si], KeyTime::new(a, b), x.ids[ii], parts, hs, qs)
                }
                false => render_into(&keys[si][ti], x.ids[ii], parts, hs, qs),
            };
            (r, h, q)
        };
        assert_eq!(run(true), run(false), "{call:?}");
    }
});
