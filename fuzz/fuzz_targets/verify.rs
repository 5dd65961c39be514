//! Parsing arbitrary Authorization headers and pre-signed queries, and verifying them against
//! an arbitrary request: never panics, and every renderer of a parsed Authorization is total.
//! The text is either arbitrary or assembled from `q-*` fragments, so that the fuzzer also
//! reaches the checks behind a successful parse.
#![no_main]

use arbitrary::Arbitrary;
use cos_sign_core::ParsedAuthorization;
use libfuzzer_sys::fuzz_target;

mod common;

#[derive(Arbitrary, Debug)]
enum Piece<'a> {
    Raw(&'a str),
    /// One of the seven field names followed by `=`.
    Field(u8),
    Amp,
    Semi,
    Semi3B,
    Time(u32, u32),
    Hex([u8; 20]),
    Name(&'a str),
}

const FIELDS: [&str; 7] = [
    "q-sign-algorithm=",
    "q-ak=",
    "q-sign-time=",
    "q-key-time=",
    "q-header-list=",
    "q-url-param-list=",
    "q-signature=",
];

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    raw: &'a str,
    pieces: Vec<Piece<'a>>,
    use_pieces: bool,
    req: common::FuzzRequest<'a>,
    now: u64,
}

fn assemble(pieces: &[Piece<'_>]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Raw(r) | Piece::Name(r) => s.push_str(r),
            Piece::Field(i) => s.push_str(FIELDS[usize::from(*i) % FIELDS.len()]),
            Piece::Amp => s.push('&'),
            Piece::Semi => s.push(';'),
            Piece::Semi3B => s.push_str("%3B"),
            Piece::Time(a, b) => s.push_str(&format!("{a};{b}")),
            Piece::Hex(h) => h.iter().for_each(|b| s.push_str(&format!("{b:02x}"))),
        }
    }
    s
}

fuzz_target!(|x: Input<'_>| {
    let assembled;
    let text = if x.use_pieces {
        assembled = assemble(&x.pieces);
        assembled.as_str()
    } else {
        x.raw
    };
    let req = x.req.request::<8>();
    for parsed in [
        ParsedAuthorization::parse(text),
        ParsedAuthorization::from_query(text),
    ] {
        let Ok(a) = parsed else { continue };
        let _ = a.verify(&req, x.req.secret_id, x.req.secret_key, x.now);
        let _ = a.is_for(x.req.secret_id);
        let hs = a.http_string(&req);
        assert_eq!(hs.len(), hs.to_string().len());
        let sts = a.string_to_sign(&req);
        assert_eq!(sts.len(), sts.to_string().len());
        let mut buf = [0u8; 64];
        let _ = hs.write_into(&mut buf);
        let _ = a.secret_id_into(&mut buf);
        assert_eq!(a.signature().len(), 40);
        let _ = (
            a.header_count(),
            a.param_count(),
            a.key_time(),
            a.sign_time(),
        );
    }
});
