//! The COS signing rules the SDK applies, stated once and shared by the [`Signer`] and the
//! qcloud_cos compatibility layer (`cos-sign-qcloud`): which headers are signed, the key-time
//! window, how the host is signed, the pair limit, and one cache of signing keys.
//!
//! ```
//! use cos_sign_std::rules::{is_signed_header, key_time, with_host};
//! assert!(is_signed_header("Content-Type") && is_signed_header("X-COS-meta-a"));
//! assert!(!is_signed_header("User-Agent"));
//! let kt = key_time(1_700_000_000, 300).unwrap();
//! assert_eq!((kt.start(), kt.end()), (1_699_999_940, 1_700_000_300));
//! assert_eq!(key_time(59, 300), None);
//! let mut h = vec![("Content-Type", "text/plain")];
//! with_host(&mut h, Some("b.cos.ap-beijing.myqcloud.com"));
//! assert_eq!(h[1], ("host", "b.cos.ap-beijing.myqcloud.com"));
//! ```
//!
//! [`Signer`]: crate::signer::Signer

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use cos_sign_core::{Error as CoreError, Fill, KeyTime, Request, SigningKey, Template};
use zeroize::Zeroizing;

/// The header names the SDK signs (besides `x-cos-*` and `x-ci-*`), lowercase.
pub const SIGNED_HEADERS: [&str; 17] = [
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-type",
    "content-md5",
    "content-length",
    "expect",
    "expires",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "origin",
    "range",
    "transfer-encoding",
    "pic-operations",
];

/// Whether a header of this name is signed: in [`SIGNED_HEADERS`] or starting with `x-cos-` or
/// `x-ci-`, compared in ASCII case (HTTP header names are ASCII and case-insensitive).
///
/// This equals the SDK's test on `str.lower(name)` for every name: the only non-ASCII
/// characters Unicode lowercases to ASCII are `K` (U+212A, to `k`, which no listed name holds)
/// and `İ` (U+0130, to `i` followed by U+0307, which breaks the match).
pub fn is_signed_header(name: &str) -> bool {
    let b = name.as_bytes();
    let prefix = |p: &str| match load(b, 0) {
        // (the first word, past the prefix's bytes masked off)
        Some(x) => word_eq(x & (u64::MAX >> (64 - 8 * p.len())), load_padded(p)),
        None => b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes()),
    };
    // the one listed name a name of this length and first letter can be
    let listed = match (b.len(), b.first().map(u8::to_ascii_lowercase)) {
        (_, Some(b'x')) => return prefix("x-cos-") || prefix("x-ci-"),
        (4, Some(b'h')) => "host",
        (5, Some(b'r')) => "range",
        (6, Some(b'e')) => "expect",
        (6, Some(b'o')) => "origin",
        (7, Some(b'e')) => "expires",
        (8, Some(b'i')) => "if-match",
        (11, Some(b'c')) => "content-md5",
        (12, Some(b'c')) => "content-type",
        (13, Some(b'c')) => "cache-control",
        (13, Some(b'i')) => "if-none-match",
        (14, Some(b'c')) => "content-length",
        (14, Some(b'p')) => "pic-operations",
        (16, Some(b'c')) => "content-encoding",
        (17, Some(b'i')) => "if-modified-since",
        (17, Some(b't')) => "transfer-encoding",
        (19, Some(b'c')) => "content-disposition",
        (19, Some(b'i')) => "if-unmodified-since",
        _ => return false,
    };
    let l = listed.as_bytes();
    if l.len() < 8 {
        return b.eq_ignore_ascii_case(l);
    }
    // eight bytes at a time, the last word overlapping the one before (same lengths here)
    let mut next = 0;
    loop {
        let at = next.min(l.len() - 8);
        match (load(b, at), load(l, at)) {
            (Some(x), Some(p)) if word_eq(x, p) => {}
            _ => return false,
        }
        if at + 8 >= l.len() {
            return true;
        }
        next = at + 8;
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// The eight bytes of `b` from `at`, if there are as many.
fn load(b: &[u8], at: usize) -> Option<u64> {
    let w = b.get(at..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*w))
}

/// The bytes of a short lowercase `p` as one word, zeros after them.
fn load_padded(p: &str) -> u64 {
    p.bytes().rev().fold(0, |w, b| w << 8 | u64::from(b))
}

/// Whether the word `x` equals the word `p` of lowercase ASCII (letters, digits, `-`, zero
/// padding) in ASCII case: `x` gains `0x20` where `p` holds a letter (which then matches
/// both cases of it, and nothing else), and must equal `p` everywhere else.
fn word_eq(x: u64, p: u64) -> bool {
    // the top bit of each byte of `p` (all below 0x80: no carries across bytes) in `a..=z`
    let ge_a = p.wrapping_add(ONES * (0x80 - u64::from(b'a')));
    let gt_z = p.wrapping_add(ONES * (0x80 - u64::from(b'z') - 1));
    let letters = ge_a & !gt_z & (ONES * 0x80);
    x | (letters >> 2) == p
}

/// The SDK's key-time window for a signature made at `now` and valid `expires` seconds:
/// `now - 60 .. now + expires`. `None` when it would start before 1970 or overflow.
pub fn key_time(now: i64, expires: i64) -> Option<KeyTime> {
    let start = u64::try_from(now.checked_sub(60)?).ok()?;
    let end = u64::try_from(now.checked_add(expires)?).ok()?;
    Some(KeyTime::new(start, end))
}

/// Whether `headers` hold a `host` header (in any ASCII case): host signing then signs it as
/// given instead of adding one.
///
/// ```
/// assert!(cos_sign_std::rules::has_host(&[("Host", "h")]));
/// assert!(!cos_sign_std::rules::has_host(&[("x-host", "h")]));
/// ```
pub fn has_host<K: AsRef<str>, V>(headers: &[(K, V)]) -> bool {
    headers
        .iter()
        .any(|(k, _)| k.as_ref().eq_ignore_ascii_case("host"))
}

/// Host signing: adds `("host", host)` to the signed headers unless they have a `host` header
/// already (which is then signed as given). `None`: the host is not signed.
pub fn with_host<'a>(headers: &mut Vec<(&'a str, &'a str)>, host: Option<&'a str>) {
    if let Some(h) = host
        && !has_host(headers)
    {
        headers.push(("host", h));
    }
}

/// The largest number of params (and of headers) one signature takes.
pub const MAX_PAIRS: usize = 4096;

/// Which text of a signature to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The Authorization header value (`q-sign-algorithm=sha1&q-ak=...`).
    Header,
    /// The `q-*` pairs of a pre-signed URL, encoded for a query string.
    Query,
}

/// Signs `method` (as signed: lowercase), the decoded `path`, `params` and the headers to sign
/// with `key`, and renders the chosen [`Form`], with a capacity fitted to the pair count.
///
/// # Errors
/// More than [`MAX_PAIRS`] params or headers.
pub fn render(
    key: &SigningKey,
    secret_id: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    form: Form,
) -> Result<String, CoreError> {
    let req = (method, path, params, headers);
    let mut text = String::new();
    match form {
        Form::Header => render_into(key, secret_id, req, Some(&mut text), None),
        Form::Query => render_into(key, secret_id, req, None, Some(QueryOut::pairs(&mut text))),
    }
    .map(|()| text)
}

/// Where [`render_into`] appends a pre-signed query: the `q-*` pairs, and the request's params
/// after them when asked.
#[derive(Debug)]
pub struct QueryOut<'o> {
    /// The text the query is appended to (a URL ending in `?`, for one written in place).
    pub out: &'o mut String,
    /// Whether the request's params follow the `q-*` pairs: `&name=value` each, in the order
    /// given, encoded as Python's `quote_plus` does (space as `+`); nothing without params.
    pub params: bool,
}

impl<'o> QueryOut<'o> {
    /// The `q-*` pairs alone, appended to `out`.
    pub fn pairs(out: &'o mut String) -> Self {
        Self { out, params: false }
    }
}

/// A request to sign, as [`render`] takes it: method, path, params, headers.
pub type Parts<'a> = (
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, &'a str)],
);

/// Signs `req` and appends its Authorization (`presigned`: its pre-signed query, params
/// included) to `out` with the core's one-call signing.
fn sign_one<const N: usize>(
    key: &SigningKey,
    secret_id: &str,
    req: &Request<'_, N>,
    out: &mut String,
    presigned: bool,
) -> Result<(), CoreError> {
    push_text(out, |buf| match presigned {
        true => key.sign_presigned_url_query_into(req, secret_id, buf),
        false => key.sign_authorization_into(req, secret_id, buf),
    })
}

/// Appends to `out` the text `write` writes into a 512-byte stack buffer or, when that is
/// too small, into a heap buffer of the length it needed.
fn push_text(
    out: &mut String,
    mut write: impl for<'b> FnMut(&'b mut [u8]) -> Result<&'b str, CoreError>,
) -> Result<(), CoreError> {
    match write(&mut [0u8; 512]) {
        Ok(text) => out.push_str(text),
        Err(CoreError::BufferTooSmall { needed, .. }) => {
            out.push_str(write(&mut vec![0u8; needed])?)
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Signs once: appends the Authorization to `header` and the pre-signed query
/// ([`Form::Query`]'s `q-*` pairs, then the params when asked) to `query`, each when given (a
/// pre-signed URL is written in place, into a buffer that can be reused). Both forms from one
/// signature equal two [`render`]s:
///
/// ```
/// use cos_sign_std::rules::{Form, QueryOut, key_time, render, render_into};
/// let key = cos_sign_core::SigningKey::derive(b"secret", key_time(1_700_000_000, 300).unwrap());
/// let (p, h) = (&[("a b", "1;2")][..], &[("host", "h")][..]);
/// let mut query = String::from("https://h/k?");
/// let mut header = String::new();
/// let out = QueryOut { out: &mut query, params: true };
/// render_into(&key, "AKID", ("get", "/k", p, h), Some(&mut header), Some(out)).unwrap();
/// assert_eq!(header, render(&key, "AKID", "get", "/k", p, h, Form::Header).unwrap());
/// let pairs = render(&key, "AKID", "get", "/k", p, h, Form::Query).unwrap();
/// assert_eq!(query, format!("https://h/k?{pairs}&a+b=1%3B2"));
/// assert!(pairs.contains("&q-url-param-list=a%2520b&"));
/// ```
///
/// # Errors
/// As [`render`].
pub fn render_into(
    key: &SigningKey,
    secret_id: &str,
    (method, path, params, headers): Parts<'_>,
    header: Option<&mut String>,
    query: Option<QueryOut<'_>>,
) -> Result<(), CoreError> {
    fn go<const N: usize>(
        key: &SigningKey,
        secret_id: &str,
        req: Request<'_, N>,
        header: Option<&mut String>,
        query: Option<QueryOut<'_>>,
    ) -> Result<(), CoreError> {
        // One text alone (get_auth; a pre-signed URL without headers), or the Authorization
        // and a whole URL query, is signed and written in one call.
        // (At the usual capacity only: one copy of the one-call code.)
        let (header, query) = match (header, query) {
            other if N != 32 => other,
            (Some(out), None) => return sign_one(key, secret_id, &req, out, false),
            (None, Some(q)) if q.params || req.params.is_empty() => {
                return sign_one(key, secret_id, &req, q.out, true);
            }
            (Some(h), Some(q)) if q.params || req.params.is_empty() => {
                // both on the stack; longer ones are written as below
                let (mut hb, mut qb) = ([0u8; 512], [0u8; 512]);
                match key.sign_authorization_and_query_into(&req, secret_id, &mut hb, &mut qb) {
                    Ok((text, query)) => {
                        h.push_str(text);
                        q.out.push_str(query);
                        return Ok(());
                    }
                    Err(CoreError::BufferTooSmall { .. }) => (Some(h), Some(q)),
                    Err(e) => return Err(e),
                }
            }
            other => other,
        };
        // The rest (the q-* pairs without the params after them, a text past 512 bytes, a
        // larger capacity): signed once, each text written from the one `Signed`.
        let signed = key.sign(&req)?;
        if let Some(h) = header {
            let text = signed.authorization(secret_id);
            push_text(h, |buf| text.write_into(buf))?;
        }
        if let Some(q) = query {
            let text = signed.presigned_query(secret_id);
            push_text(q.out, |buf| text.write_into(buf))?;
            if q.params && !req.params.is_empty() {
                q.out.push('&');
                let text = signed.params_query();
                push_text(q.out, |buf| text.write_into(buf))?;
            }
        }
        Ok(())
    }
    if params.len() > MAX_PAIRS {
        return Err(CoreError::TooManyParams { max: MAX_PAIRS });
    }
    if headers.len() > MAX_PAIRS {
        return Err(CoreError::TooManyHeaders { max: MAX_PAIRS });
    }
    let req = Request::new(method, path).params(params).headers(headers);
    let n = params.len().max(headers.len());
    if n <= 32 {
        go(key, secret_id, req, header, query)
    } else if n <= 512 {
        go(key, secret_id, req.with_capacity::<512>(), header, query)
    } else {
        go(
            key,
            secret_id,
            req.with_capacity::<MAX_PAIRS>(),
            header,
            query,
        )
    }
}

/// How many signing keys a [`KeyCache`] keeps.
pub const KEY_CACHE_SLOTS: usize = 4;

/// How many shapes of request a cached key keeps a [`Template`] for.
const SHAPES: usize = 4;

/// The most params (and headers) of a request signed through a cached [`Template`]; larger
/// ones are signed whole.
const SHAPE_PAIRS: usize = 16;

/// The template of one shape of request.
type ShapeTemplate = Template<SHAPE_PAIRS, 1024>;

/// The signing keys derived last (up to [`KEY_CACHE_SLOTS`]), each with the secret key it came
/// from (zeroized when dropped): signatures in the same key time reuse the key. Thread-safe.
///
/// [`KeyCache::render_into`] also keeps, for each key, the [`Template`]s of the request
/// shapes (the secret id, the param names and the header names, in order) it signs more than
/// once: a call of a known shape renders only its method, path and values.
///
/// ```
/// use cos_sign_std::rules::{KeyCache, key_time};
/// let cache = KeyCache::default();
/// let kt = key_time(1_700_000_000, 300).unwrap();
/// let a = cache.get(b"secret", kt);
/// let b = cache.get(b"secret", kt);
/// assert!(a.key_time() == b.key_time() && cache.len() == 1);
/// ```
#[derive(Default)]
pub struct KeyCache {
    slots: RwLock<Vec<Slot>>,
}

/// A cached key and the templates made with it.
struct Slot {
    secret: Zeroizing<Vec<u8>>,
    key: SigningKey,
    /// Templates of the shapes signed more than once with this key, oldest first.
    shapes: Vec<Arc<Shape>>,
    /// The hashes of the last shapes signed without a template: a shape among them makes one.
    seen: Recent,
    /// The hashes of the last shapes whose template did not fit (not tried again).
    unfit: Recent,
}

/// The last [`SHAPES`] hashes pushed. As many as a key keeps templates: shapes taking turns
/// (A, B, A, B) get theirs on their second calls, while more shapes than that taking turns,
/// which would evict each other's templates, are signed whole.
#[derive(Default)]
struct Recent {
    hashes: [Option<u64>; SHAPES],
    next: usize,
}

impl Recent {
    fn contains(&self, h: u64) -> bool {
        self.hashes.contains(&Some(h))
    }

    fn push(&mut self, h: u64) {
        if let Some(slot) = self.hashes.get_mut(self.next) {
            *slot = Some(h);
        }
        self.next = (self.next + 1) % SHAPES;
    }
}

impl Slot {
    /// The template of this request's shape: cached, or made now when the shape is among the
    /// last ones signed whole. `None`: the request is signed whole.
    fn shape(
        &mut self,
        secret_id: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Option<Arc<Shape>> {
        if let Some(s) = (self.shapes.iter()).find(|s| s.matches(secret_id, params, headers)) {
            return Some(Arc::clone(s));
        }
        let h = shape_hash(secret_id, params, headers);
        if !self.seen.contains(h) {
            self.seen.push(h);
            return None;
        }
        if self.unfit.contains(h) {
            return None;
        }
        let Some(made) = Shape::new(&self.key, secret_id, params, headers).map(Arc::new) else {
            self.unfit.push(h);
            return None;
        };
        if self.shapes.len() >= SHAPES {
            self.shapes.remove(0);
        }
        self.shapes.push(Arc::clone(&made));
        Some(made)
    }
}

/// How [`KeyCache::render_into`] signs a call: through a cached template, or whole with the key.
#[allow(
    clippy::large_enum_variant,
    reason = "one short-lived value a call, never stored: boxing the key would cost an allocation a call"
)]
enum Signing {
    Shape(Arc<Shape>),
    Whole(SigningKey),
}

/// A template and the shape it signs.
struct Shape {
    secret_id: String,
    params: Vec<Box<str>>,
    headers: Vec<Box<str>>,
    template: ShapeTemplate,
}

impl Shape {
    fn matches(&self, secret_id: &str, params: &[(&str, &str)], headers: &[(&str, &str)]) -> bool {
        fn same(names: &[Box<str>], pairs: &[(&str, &str)]) -> bool {
            names.len() == pairs.len() && names.iter().zip(pairs).all(|(n, (k, _))| **n == **k)
        }
        same(&self.headers, headers) && same(&self.params, params) && self.secret_id == secret_id
    }

    /// A template for the shape of this request, unless it does not fit one.
    fn new(
        key: &SigningKey,
        secret_id: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Option<Self> {
        fn open<'a>(pairs: &[(&'a str, &str)], room: &mut [(&'a str, Option<&'a str>)]) {
            for (slot, (k, _)) in room.iter_mut().zip(pairs) {
                *slot = (*k, None);
            }
        }
        let (mut p, mut h) = ([("", None); SHAPE_PAIRS], [("", None); SHAPE_PAIRS]);
        open(params, &mut p);
        open(headers, &mut h);
        let (p, h) = (p.get(..params.len())?, h.get(..headers.len())?);
        let template = ShapeTemplate::new(key.clone(), secret_id, p, h).ok()?;
        let names = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, _)| Box::from(*k)).collect();
        Some(Self {
            secret_id: secret_id.to_owned(),
            params: names(params),
            headers: names(headers),
            template,
        })
    }

    /// Signs a request of this shape as [`render_into`] does.
    fn render_into(
        &self,
        parts: Parts<'_>,
        header: Option<&mut String>,
        query: Option<QueryOut<'_>>,
    ) -> Result<(), CoreError> {
        let (method, path, params, headers) = parts;
        // (the shape has at most SHAPE_PAIRS of each: every value is kept)
        fn values<'a>(pairs: &[(&str, &'a str)], room: &mut heapless::Vec<&'a str, SHAPE_PAIRS>) {
            for (_, v) in pairs {
                let _ = room.push(v);
            }
        }
        let (mut p, mut h) = (heapless::Vec::new(), heapless::Vec::new());
        values(params, &mut p);
        values(headers, &mut h);
        let fill = Fill::new(method, path).params(&p).headers(&h);
        let t = &self.template;
        // Appended to strings on the stack (no pass over the texts to check they are UTF-8:
        // the template's fixed text was checked once), then copied.
        let (mut hs, mut qs) = (TextRoom::new(), TextRoom::new());
        let pushed = match (&header, &query) {
            (Some(_), None) => t.push_authorization(&fill, &mut hs),
            (None, Some(_)) => t.push_presigned_url_query(&fill, &mut qs),
            (Some(_), Some(_)) => t.push_authorization_and_query(&fill, &mut hs, &mut qs),
            (None, None) => Ok(()),
        };
        match pushed {
            Ok(()) => {
                if let Some(h) = header {
                    h.push_str(&hs);
                }
                if let Some(q) = query {
                    q.out.push_str(&qs);
                }
                Ok(())
            }
            // (texts past the stack strings: signed whole with the key)
            Err(CoreError::BufferTooSmall { .. }) => {
                render_into(t.key(), &self.secret_id, parts, header, query)
            }
            Err(e) => Err(e),
        }
    }
}

/// The stack string a cached template's text is appended to first.
type TextRoom = heapless::String<1024>;

/// A hash of a request's shape (which makes a template on its second call among the last
/// ones signed whole): FNV-1a
/// over the secret id and the names, each ended by its length.
fn shape_hash(secret_id: &str, params: &[(&str, &str)], headers: &[(&str, &str)]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    let mut eat = |b: &[u8]| {
        for &c in b.iter().chain(&b.len().to_le_bytes()) {
            h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(secret_id.as_bytes());
    for list in [params, headers] {
        eat(&list.len().to_le_bytes());
        for (k, _) in list {
            eat(k.as_bytes());
        }
    }
    h
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    /// The slot of `secret` for `kt`, its key derived when it has none.
    fn slot<'s>(slots: &'s mut Vec<Slot>, secret: &[u8], kt: KeyTime) -> &'s mut Slot {
        let found =
            (slots.iter()).position(|s| s.key.key_time() == kt && s.secret.as_slice() == secret);
        let i = found.unwrap_or_else(|| {
            if slots.len() >= KEY_CACHE_SLOTS {
                slots.remove(0);
            }
            slots.push(Slot {
                secret: Zeroizing::new(secret.to_vec()),
                key: SigningKey::derive(secret, kt),
                shapes: Vec::new(),
                seen: Recent::default(),
                unfit: Recent::default(),
            });
            slots.len() - 1
        });
        &mut slots[i]
    }

    /// The signing key of `secret` for `kt`, derived once.
    pub fn get(&self, secret: &[u8], kt: KeyTime) -> SigningKey {
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        Self::slot(&mut slots, secret, kt).key.clone()
    }

    /// [`render_into`] with the cached key of `secret` for `kt`: the same texts. A request
    /// of a shape among the last few this key signed whole (or of a shape it has a template
    /// of) is signed through the shape's [`Template`], made on that second call.
    ///
    /// ```
    /// use cos_sign_std::rules::{KeyCache, key_time, render};
    /// use cos_sign_std::rules::Form;
    /// let (cache, kt) = (KeyCache::default(), key_time(1_700_000_000, 300).unwrap());
    /// let key = cache.get(b"secret", kt);
    /// for object in ["/a", "/b", "/c"] {
    ///     let parts = ("get", object, &[("x", "1")][..], &[("host", "h")][..]);
    ///     let mut text = String::new();
    ///     cache.render_into(b"secret", kt, "AKID", parts, Some(&mut text), None).unwrap();
    ///     assert_eq!(text, render(&key, "AKID", "get", object, parts.2, parts.3, Form::Header).unwrap());
    /// }
    /// ```
    ///
    /// # Errors
    /// As [`render_into`].
    pub fn render_into(
        &self,
        secret: &[u8],
        kt: KeyTime,
        secret_id: &str,
        parts: Parts<'_>,
        header: Option<&mut String>,
        query: Option<QueryOut<'_>>,
    ) -> Result<(), CoreError> {
        let (_, _, params, headers) = parts;
        // A template writes a pre-signed query with its params, as the core's one call does.
        // (Without the `templates` feature, no call fits: the code is left out.)
        let fits = cfg!(feature = "templates")
            && params.len() <= SHAPE_PAIRS
            && headers.len() <= SHAPE_PAIRS
            && query.as_ref().is_none_or(|q| q.params || params.is_empty());
        if fits {
            // a shape with a template already: rendered under the read lock (other calls
            // render theirs meanwhile; nothing is counted or changed)
            let slots = self.slots.read().unwrap_or_else(PoisonError::into_inner);
            let known = (slots.iter())
                .find(|s| s.key.key_time() == kt && s.secret.as_slice() == secret)
                .and_then(|slot| {
                    (slot.shapes.iter()).find(|s| s.matches(secret_id, params, headers))
                });
            if let Some(shape) = known {
                return shape.render_into(parts, header, query);
            }
        }
        let signing = {
            let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
            let slot = Self::slot(&mut slots, secret, kt);
            match fits
                .then(|| slot.shape(secret_id, params, headers))
                .flatten()
            {
                Some(shape) => Signing::Shape(shape),
                None => Signing::Whole(slot.key.clone()),
            }
        };
        match signing {
            Signing::Shape(s) => s.render_into(parts, header, query),
            Signing::Whole(k) => render_into(&k, secret_id, parts, header, query),
        }
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.slots.read().map_or(0, |s| s.len())
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many request shapes the cached keys keep a template for.
    pub fn templates(&self) -> usize {
        self.slots
            .read()
            .map_or(0, |s| s.iter().map(|slot| slot.shapes.len()).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's `quote_plus(s, safe='')`, byte by byte.
    fn quote_plus(s: &str) -> String {
        let keep = |b: u8| b.is_ascii_alphanumeric() || b"-_.~".contains(&b);
        (s.bytes())
            .map(|b| match b {
                b' ' => "+".to_owned(),
                b if keep(b) => char::from(b).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect()
    }

    #[test]
    fn header_names_in_ascii_case() {
        for yes in [
            "Content-Type",
            "HOST",
            "x-cos-meta-é",
            "X-CI-x",
            "x-cos-İ",
            "pic-operations",
        ] {
            assert!(is_signed_header(yes), "{yes}");
        }
        // the lookup by length and first letter finds every listed name, and only those
        for h in SIGNED_HEADERS {
            assert!(
                is_signed_header(h) && is_signed_header(&h.to_ascii_uppercase()),
                "{h}"
            );
            assert!(!h.starts_with('x'), "{h}");
            let twins = SIGNED_HEADERS
                .iter()
                .filter(|o| o.len() == h.len() && o[..1] == h[..1]);
            assert_eq!(twins.count(), 1, "{h}");
            for i in 0..h.len() {
                let mut near = h.as_bytes().to_vec();
                near[i] ^= 0x01;
                let near = String::from_utf8(near).unwrap();
                assert!(!is_signed_header(&near), "{near}");
            }
        }
        // Python lowercases U+0130 to "i\u{307}" and U+212A to "k": neither makes a listed name
        for no in [
            "x-c\u{130}-a",
            "X-C\u{130}-a",
            "User-Agent",
            "x-cos",
            "content-typ",
            "hoſt",
            "",
            "x",
            "hosts",
            "Xost",
        ] {
            assert!(!is_signed_header(no), "{no}");
        }
    }

    #[test]
    fn signed_header_test_matches_the_reference_on_generated_names() {
        let reference = |n: &str| {
            let l = n.to_ascii_lowercase();
            SIGNED_HEADERS.contains(&l.as_str())
                || l.starts_with("x-cos-")
                || l.starts_with("x-ci-")
        };
        let mut next = crate::test_rng::picker(0x1234_5678_u32);
        let starts: Vec<String> = (SIGNED_HEADERS.iter().copied())
            .chain([
                "x-cos-meta-a",
                "x-ci-b",
                "x-cos-",
                "x-ci-",
                "x-co",
                "x-cos-acl-zz",
            ])
            .map(str::to_owned)
            .collect();
        let mut seen = [0usize; 2];
        for _ in 0..40_000 {
            let mut b = starts[next(starts.len())].clone().into_bytes();
            for _ in 0..next(3) {
                let i = next(b.len().max(1));
                match next(6) {
                    // the other case of a letter, or `-` to CR, `5` to 0x15 (one bit apart)
                    0 | 1 => b.get_mut(i).into_iter().for_each(|c| *c ^= 0x20),
                    2 => b
                        .get_mut(i)
                        .into_iter()
                        .for_each(|c| *c = (next(128)) as u8),
                    3 => b.truncate(i),
                    4 => b.extend_from_slice("é".as_bytes()),
                    _ => b.push(b"aZ-5"[next(4)]),
                }
            }
            let Ok(name) = String::from_utf8(b) else {
                continue;
            };
            assert_eq!(is_signed_header(&name), reference(&name), "{name:?}");
            seen[usize::from(reference(&name))] += 1;
        }
        // both answers were asked often
        assert!(seen[0] > 5_000 && seen[1] > 5_000, "{seen:?}");
    }

    #[test]
    fn key_time_window_bounds() {
        assert_eq!(key_time(60, 0), Some(KeyTime::new(0, 60)));
        assert_eq!(key_time(59, 300), None);
        assert_eq!(key_time(100, -101), None);
        assert_eq!(key_time(i64::MAX, 1), None);
    }

    #[test]
    fn both_forms_from_one_signature_equal_each_alone() {
        // names with escapes (`%` in the lists), `;`, spaces, non-ASCII, upper case; a q-ak
        // of unreserved bytes and q-aks that quote_plus changes
        let names = [
            "host",
            "X-Cos-Meta-A b",
            "a;b",
            "é",
            "%41",
            "Content-Type",
            "x~y",
            "",
        ];
        let ids = ["AKID-x_y.z~0", "AKID;x", "AKID%3B", "AK ID", "密钥"];
        let key = SigningKey::derive(b"secret", KeyTime::new(1, 2));
        let mut next = crate::test_rng::picker(0x9e37_79b9_u32);
        for round in 0..300 {
            let mut pick = |k: usize| -> Vec<(&str, &str)> {
                (0..k).map(|_| (names[next(names.len())], "v;%")).collect()
            };
            let (params, headers) = (pick(round % 4), pick(round % 5));
            let id = ids[round % ids.len()];
            let parts = ("get", "/k", &params[..], &headers[..]);
            let (mut both, mut alone) = (String::from("u?"), String::from("u?"));
            let mut header = String::from("<");
            let both_out = Some(QueryOut::pairs(&mut both));
            render_into(&key, id, parts, Some(&mut header), both_out).unwrap();
            render_into(&key, id, parts, None, Some(QueryOut::pairs(&mut alone))).unwrap();
            assert_eq!(both, alone, "{id} {params:?} {headers:?}");
            let rendered = render(&key, id, "get", "/k", &params, &headers, Form::Header);
            assert_eq!(header, format!("<{}", rendered.unwrap()));
            // the params after the pairs: `&` and each pair as quote_plus writes it
            let (mut with, mut h) = (String::from("u?"), String::new());
            let out = QueryOut {
                out: &mut with,
                params: true,
            };
            let h = (round % 2 == 0).then_some(&mut h);
            render_into(&key, id, parts, h, Some(out)).unwrap();
            let quoted: String = (params.iter())
                .map(|(k, v)| format!("&{}={}", quote_plus(k), quote_plus(v)))
                .collect();
            assert_eq!(with, format!("{alone}{quoted}"), "{params:?}");
        }
    }

    #[test]
    fn texts_longer_than_the_stack_buffer_are_written_whole() {
        // header lists of 20 long names: texts of well over 512 bytes, alone (one-call
        // signing, into the heap) and together (signed once, two texts)
        let names: Vec<String> = (0..20)
            .map(|i| format!("x-cos-meta-{i:02}-{}", "n".repeat(30)))
            .collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        let key = SigningKey::derive(b"secret", KeyTime::new(1, 2));
        let parts = ("get", "/k", &pairs[..], &pairs[..]);
        let (mut header, mut with, mut both_h, mut both_q) =
            (String::new(), String::new(), String::new(), String::new());
        render_into(&key, "AKID", parts, Some(&mut header), None).unwrap();
        let out = QueryOut {
            out: &mut with,
            params: true,
        };
        render_into(&key, "AKID", parts, None, Some(out)).unwrap();
        let out = QueryOut {
            out: &mut both_q,
            params: true,
        };
        render_into(&key, "AKID", parts, Some(&mut both_h), Some(out)).unwrap();
        assert!(
            header.len() > 1024 && with.len() > 2048,
            "{} {}",
            header.len(),
            with.len()
        );
        assert_eq!(header, both_h);
        assert_eq!(with, both_q);
    }

    /// Calls through a [`KeyCache`] write what the key's one-call signing writes, for every
    /// output: generated calls that repeat a few shapes (so templates are made, used and
    /// evicted) with generated values (escapes, `;`, non-ASCII, long ones past the stack
    /// buffers), over two secrets, key times and secret ids (so slots are made and evicted),
    /// some shapes past the template's pair count.
    #[test]
    #[cfg(feature = "templates")]
    fn cached_templates_write_what_the_key_writes() {
        let names = [
            "host",
            "Content-Type",
            "x-cos-meta-A b",
            "a;b",
            "é",
            "%41",
            "",
            "response-content-disposition",
        ];
        let long = "v".repeat(700);
        let values = ["", "1", "text/plain", "a b;c=%", "资料 ü", &long];
        let ids = ["AKID", "AKID;x", "AK ID"];
        let secrets: [&[u8]; 2] = [b"secret", b"other"];
        let times = [KeyTime::new(1, 2), KeyTime::new(3, 4), KeyTime::new(5, 6)];
        let mut next = crate::test_rng::picker(0x5bd1_e995_u32);
        // shapes: (param names, header names), a few of them past SHAPE_PAIRS
        let long_name = "x-cos-meta-".repeat(40);
        let mut shapes: Vec<(Vec<&str>, Vec<&str>)> = (0..7)
            .map(|i| {
                let (np, nh) = match i {
                    5 => (SHAPE_PAIRS + 1, 1),
                    6 => (0, SHAPE_PAIRS + 2),
                    _ => (next(4), next(5)),
                };
                let mut pick = |n: usize| (0..n).map(|_| names[next(names.len())]).collect();
                (pick(np), pick(nh))
            })
            .collect();
        // names too long for a template's text
        shapes.push((vec![&long_name], vec![&long_name, "host"]));
        let cache = KeyCache::default();
        let (mut made, mut calls) = (0, 0);
        for round in 0..3000 {
            // mostly the same secret, time and id; a shape for several calls in a row
            let si = usize::from(next(10) == 0);
            let ti = usize::from(next(20) == 0) + usize::from(round > 1500);
            let id = ids[usize::from(next(8) == 0) * (1 + next(2))];
            let (pn, hn) = &shapes[(round / 3 + next(2)) % shapes.len()];
            let mut value = || values[next(values.len())];
            let params: Vec<(&str, &str)> = pn.iter().map(|n| (*n, value())).collect();
            let headers: Vec<(&str, &str)> = hn.iter().map(|n| (*n, value())).collect();
            let path = ["/k", "/a b/资料", "/"][next(3)];
            let parts = (["get", "put"][next(2)], path, &params[..], &headers[..]);
            let key = SigningKey::derive(secrets[si], times[ti]);
            let (header, query, with_params) = match next(4) {
                0 => (true, false, false),
                1 => (false, true, true),
                2 => (false, true, false),
                _ => (true, true, next(2) == 0),
            };
            let run = |cached: bool| {
                let (mut h, mut q) = (String::from("<"), String::from("u?"));
                let hs = header.then_some(&mut h);
                let qs = query.then_some(QueryOut {
                    out: &mut q,
                    params: with_params,
                });
                let r = match cached {
                    true => cache.render_into(secrets[si], times[ti], id, parts, hs, qs),
                    false => render_into(&key, id, parts, hs, qs),
                };
                (r, h, q)
            };
            let want = run(false);
            assert_eq!(run(true), want, "{round} {id} {params:?} {headers:?}");
            calls += 1;
            made = made.max(cache.templates());
            assert!(cache.len() <= KEY_CACHE_SLOTS);
        }
        // templates were made and kept (up to SHAPES a key), and used
        assert!(
            made > 1 && made <= SHAPES * KEY_CACHE_SLOTS,
            "{made} of {calls}"
        );
        let (p, h) = (&[("a", "1")][..], &[("host", "h")][..]);
        let cache = KeyCache::default();
        let key = SigningKey::derive(b"s", times[0]);
        for i in 0..3 {
            let (mut text, mut want) = (String::new(), String::new());
            let parts = ("get", "/k", p, h);
            cache
                .render_into(b"s", times[0], "AKID", parts, Some(&mut text), None)
                .unwrap();
            render_into(&key, "AKID", parts, Some(&mut want), None).unwrap();
            assert_eq!(text, want);
            // made on the second call of the shape
            assert_eq!(cache.templates(), usize::from(i > 0));
        }
        // a shape too long for a template: signed whole every time
        let long = [(long_name.as_str(), "v")];
        for _ in 0..3 {
            let (mut text, mut want) = (String::new(), String::new());
            let parts = ("get", "/k", &long[..], &long[..]);
            cache
                .render_into(b"s", times[0], "AKID", parts, Some(&mut text), None)
                .unwrap();
            render_into(&key, "AKID", parts, Some(&mut want), None).unwrap();
            assert_eq!(text, want);
        }
        assert_eq!(cache.templates(), 1);
    }

    /// Shapes taking turns: up to [`SHAPES`] of them get their templates on their second
    /// calls; more than that, which would evict each other's, are signed whole.
    #[cfg(feature = "templates")]
    #[test]
    fn cached_templates_of_shapes_taking_turns() {
        let kt = KeyTime::new(1, 2);
        let key = SigningKey::derive(b"s", kt);
        let names = ["a", "b", "c", "d", "e"];
        let sign = |cache: &KeyCache, shape: usize| {
            let params = [(names[shape], "1")];
            let parts = ("get", "/k", &params[..], &[("host", "h")][..]);
            let (mut text, mut want) = (String::new(), String::new());
            (cache.render_into(b"s", kt, "AKID", parts, Some(&mut text), None)).unwrap();
            render_into(&key, "AKID", parts, Some(&mut want), None).unwrap();
            assert_eq!(text, want);
        };
        for turns in [2, SHAPES] {
            let cache = KeyCache::default();
            for shape in 0..turns {
                sign(&cache, shape);
            }
            assert_eq!(
                cache.templates(),
                0,
                "{turns}: first calls are signed whole"
            );
            for shape in 0..turns {
                sign(&cache, shape);
                assert_eq!(
                    cache.templates(),
                    shape + 1,
                    "{turns}: made on the second call"
                );
            }
            for shape in 0..turns {
                sign(&cache, shape);
            }
            assert_eq!(cache.templates(), turns);
        }
        let cache = KeyCache::default();
        for _ in 0..4 {
            for shape in 0..=SHAPES {
                sign(&cache, shape);
            }
        }
        assert_eq!(
            cache.templates(),
            0,
            "more shapes than a key keeps: signed whole"
        );
    }

    /// Threads signing through one cache (shapes made, used and evicted under them) get the
    /// texts the key writes.
    #[test]
    fn cached_templates_across_threads() {
        let cache = KeyCache::default();
        let times = [KeyTime::new(1, 2), KeyTime::new(3, 4)];
        let names = ["host", "content-type", "x-cos-meta-a", "b", "c", "d"];
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let cache = &cache;
                s.spawn(move || {
                    let mut next = crate::test_rng::picker(0x1000_0001 + t);
                    for round in 0..400 {
                        let kt = times[usize::from(next(10) == 0)];
                        let shape = &names[..1 + (round / 7 + t as usize) % names.len()];
                        let values: Vec<String> =
                            (0..shape.len()).map(|_| next(1000).to_string()).collect();
                        let headers: Vec<(&str, &str)> = shape
                            .iter()
                            .zip(&values)
                            .map(|(n, v)| (*n, v.as_str()))
                            .collect();
                        let parts = ("put", "/k", &headers[1..], &headers[..]);
                        let (mut got, mut want) = (String::new(), String::new());
                        let q = QueryOut {
                            out: &mut got,
                            params: true,
                        };
                        cache
                            .render_into(b"secret", kt, "AKID", parts, None, Some(q))
                            .unwrap();
                        let key = SigningKey::derive(b"secret", kt);
                        let q = QueryOut {
                            out: &mut want,
                            params: true,
                        };
                        render_into(&key, "AKID", parts, None, Some(q)).unwrap();
                        assert_eq!(got, want, "thread {t} round {round}");
                    }
                });
            }
        });
        assert_eq!(cache.templates() > 0, cfg!(feature = "templates"));
        assert!(cache.len() <= KEY_CACHE_SLOTS);
    }
}
