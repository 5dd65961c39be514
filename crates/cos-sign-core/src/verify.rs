//! Parsing an Authorization and checking a request against it, as COS does.

use subtle::ConstantTimeEq;

use crate::encode::{hex_val, is_unreserved};
use crate::sha::{ByteOut, Sha1, hex20};
use crate::sign::{StringToSignOwned, put_method_and_path};
use crate::text::{Render, Text};
use crate::{KeyTime, ParseError, Request, SigningKey, VerifyError};

/// A field's text as it stood: raw (header form) or to be percent-decoded once (query form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field<'a> {
    raw: &'a [u8],
    query: bool,
}

impl<'a> Field<'a> {
    /// Decoded bytes. Escapes were validated at parse time.
    fn bytes(self) -> impl Iterator<Item = u8> + 'a {
        let mut rest = self.raw;
        let query = self.query;
        core::iter::from_fn(move || {
            let (&b, tail) = rest.split_first()?;
            if query && b == b'%' {
                let (h, l) = (tail.first().copied()?, tail.get(1).copied()?);
                rest = tail.get(2..)?;
                Some((hex_val(h)? << 4) | hex_val(l)?)
            } else {
                rest = tail;
                Some(if query && b == b'+' { b' ' } else { b })
            }
        })
    }

    fn validate(self) -> Result<Self, ParseError> {
        if self.query {
            let mut i = 0;
            while let Some(&b) = self.raw.get(i) {
                if b == b'%' {
                    let ok = matches!((self.raw.get(i + 1), self.raw.get(i + 2)),
                        (Some(&h), Some(&l)) if hex_val(h).is_some() && hex_val(l).is_some());
                    if !ok {
                        return Err(ParseError::BadEscape);
                    }
                    i += 3;
                } else {
                    i += 1;
                }
            }
        }
        Ok(self)
    }

    /// Splits a name list on (decoded) `;`.
    fn names(self) -> impl Iterator<Item = Field<'a>> + 'a {
        let mut rest = Some(self.raw);
        let query = self.query;
        core::iter::from_fn(move || {
            let r = rest?;
            if r.is_empty() {
                rest = None;
                return None;
            }
            let mut i = 0;
            while let Some(&b) = r.get(i) {
                let sep = if b == b';' {
                    Some(1)
                } else if query
                    && b == b'%'
                    && r.get(i + 1) == Some(&b'3')
                    && matches!(r.get(i + 2), Some(b'b' | b'B'))
                {
                    Some(3)
                } else {
                    None
                };
                if let Some(n) = sep {
                    rest = r.get(i + n..);
                    return Some(Field {
                        raw: r.get(..i).unwrap_or(&[]),
                        query,
                    });
                }
                i += if query && b == b'%' { 3 } else { 1 };
            }
            rest = Some(&[]);
            Some(Field { raw: r, query })
        })
    }

    fn decoded_eq(self, other: &[u8]) -> bool {
        let mut o = other.iter().copied();
        self.bytes().all(|b| o.next() == Some(b)) && o.next().is_none()
    }
}

/// Whether `lower(encode(raw))` equals the decoded list name `listed`.
fn name_matches(raw: &[u8], listed: Field<'_>) -> bool {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let mut c = listed.bytes();
    for &b in raw {
        if is_unreserved(b) {
            if c.next() != Some(b.to_ascii_lowercase()) {
                return false;
            }
        } else if c.next() != Some(b'%')
            || c.next() != Some(LOWER[(b >> 4) as usize])
            || c.next() != Some(LOWER[(b & 15) as usize])
        {
            return false;
        }
    }
    c.next().is_none()
}

/// A parsed Authorization: from the header (`q-sign-algorithm=sha1&q-ak=...`) or from the
/// `q-*` params of a pre-signed URL.
///
/// ```
/// use cos_sign_core::{ParsedAuthorization, KeyTime, Request, SigningKey};
/// let kt = KeyTime::new(1_700_000_000, 1_700_000_600);
/// let key = SigningKey::derive(b"secret", kt);
/// let headers = [("host", "b-1250000000.cos.ap-beijing.myqcloud.com")];
/// let req = Request::new("GET", "/a b.txt").headers(&headers);
/// let signed = key.sign(&req).unwrap();
/// let mut buf = [0u8; 400];
/// let auth = signed.authorization("AKIDexample").write_into(&mut buf).unwrap();
/// let parsed = ParsedAuthorization::parse(auth).unwrap();
/// assert!(parsed.verify(&req, "AKIDexample", b"secret", 1_700_000_100).is_ok());
/// assert!(parsed.verify(&req, "AKIDexample", b"wrong", 1_700_000_100).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedAuthorization<'a> {
    secret_id: Field<'a>,
    sign_time: KeyTime,
    key_time: KeyTime,
    header_list: Field<'a>,
    param_list: Field<'a>,
    signature: [u8; 40],
}

const FIELDS: [&str; 7] = crate::fields::ALL;

impl<'a> ParsedAuthorization<'a> {
    /// Parses the header form: `&`-separated `q-*=value` pairs, values as they stand.
    /// Other names are ignored; each `q-*` field must appear once.
    pub fn parse(header: &'a str) -> Result<Self, ParseError> {
        Self::from_pairs(header.as_bytes(), false, false)
    }

    /// Parses the `q-*` params out of a URL's query string (the part after `?`); values are
    /// percent-decoded (`%3B` or a raw `;` both separate names). Other params are ignored.
    pub fn from_query(query: &'a str) -> Result<Self, ParseError> {
        Self::from_pairs(query.as_bytes(), true, true)
    }

    fn from_pairs(s: &'a [u8], query: bool, lenient: bool) -> Result<Self, ParseError> {
        let mut found: [Option<&'a [u8]>; 7] = [None; 7];
        for part in s.split(|&b| b == b'&') {
            if part.is_empty() && lenient {
                continue;
            }
            let eq = part.iter().position(|&b| b == b'=');
            let (name, value) = match eq {
                Some(i) => (
                    part.get(..i).unwrap_or(&[]),
                    part.get(i + 1..).unwrap_or(&[]),
                ),
                None if lenient => (part, &[][..]),
                None => return Err(ParseError::NotAPair),
            };
            if let Some(k) = FIELDS.iter().position(|f| f.as_bytes() == name) {
                let slot = found.get_mut(k).ok_or(ParseError::NotAPair)?;
                if slot.is_some() {
                    return Err(ParseError::Duplicate(FIELDS[k]));
                }
                *slot = Some(value);
            }
        }
        let field = |k: usize| -> Result<Field<'a>, ParseError> {
            let raw = found
                .get(k)
                .copied()
                .flatten()
                .ok_or(ParseError::Missing(FIELDS[k]))?;
            Field { raw, query }.validate()
        };
        if !field(0)?.decoded_eq(b"sha1") {
            return Err(ParseError::UnsupportedAlgorithm);
        }
        let time = |k: usize| -> Result<KeyTime, ParseError> {
            let mut buf = [0u8; 48];
            let mut n = 0;
            for b in field(k)?.bytes() {
                *buf.get_mut(n).ok_or(ParseError::BadTime(FIELDS[k]))? = b;
                n += 1;
            }
            KeyTime::parse_field(buf.get(..n).unwrap_or(&[]), FIELDS[k])
        };
        let mut signature = [0u8; 40];
        let mut n = 0;
        for b in field(6)?.bytes() {
            let slot = signature.get_mut(n).ok_or(ParseError::BadSignature)?;
            if !b.is_ascii_hexdigit() {
                return Err(ParseError::BadSignature);
            }
            *slot = b.to_ascii_lowercase();
            n += 1;
        }
        if n != 40 {
            return Err(ParseError::BadSignature);
        }
        let header_list = field(4)?;
        let param_list = field(5)?;
        for (list, k) in [(header_list, 4), (param_list, 5)] {
            if list.names().any(|n| n.raw.is_empty()) {
                return Err(ParseError::EmptyName(FIELDS[k]));
            }
        }
        Ok(Self {
            secret_id: field(1)?,
            sign_time: time(2)?,
            key_time: time(3)?,
            header_list,
            param_list,
            signature,
        })
    }

    /// Whether the Authorization is for `secret_id`.
    pub fn is_for(&self, secret_id: &str) -> bool {
        self.secret_id.decoded_eq(secret_id.as_bytes())
    }

    /// Writes the secret id (`q-ak`, decoded) into `buf`: to look up which secret to verify with.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`](crate::Error::BufferTooSmall) if it does not fit.
    pub fn secret_id_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], crate::Error> {
        let needed = self.secret_id.bytes().count();
        let available = buf.len();
        let dst = buf
            .get_mut(..needed)
            .ok_or(crate::Error::BufferTooSmall { needed, available })?;
        for (d, b) in dst.iter_mut().zip(self.secret_id.bytes()) {
            *d = b;
        }
        Ok(dst)
    }

    /// `q-sign-time`.
    pub const fn sign_time(&self) -> KeyTime {
        self.sign_time
    }

    /// `q-key-time`.
    pub const fn key_time(&self) -> KeyTime {
        self.key_time
    }

    /// `q-signature`, lowercased.
    pub fn signature(&self) -> &str {
        core::str::from_utf8(&self.signature).unwrap_or("")
    }

    /// The number of names in `q-header-list`.
    pub fn header_count(&self) -> usize {
        self.header_list.names().count()
    }

    /// The number of names in `q-url-param-list`.
    pub fn param_count(&self) -> usize {
        self.param_list.names().count()
    }

    /// Checks `req` against this Authorization at time `now`, as COS does: the secret id, the
    /// time window (`start <= now <= end` for both times), then the signature recomputed over
    /// the listed headers and params taken from `req` (looked up by encoded, lowercased name;
    /// of several, the last), compared in constant time.
    ///
    /// # Errors
    /// The first check that fails, as a [`VerifyError`].
    pub fn verify<const N: usize>(
        &self,
        req: &Request<'_, N>,
        secret_id: &str,
        secret_key: &[u8],
        now: u64,
    ) -> Result<(), VerifyError> {
        if !self.is_for(secret_id) {
            return Err(VerifyError::AccessKeyMismatch);
        }
        for kt in [self.sign_time, self.key_time] {
            if now < kt.start() {
                return Err(VerifyError::NotYetValid {
                    start: kt.start(),
                    now,
                });
            }
            if now > kt.end() {
                return Err(VerifyError::Expired { end: kt.end(), now });
            }
        }
        self.check_present(req)?;
        let key = SigningKey::derive(secret_key, self.key_time);
        let expected = self.expected_signature(&key, req);
        if bool::from(expected.ct_eq(&self.signature)) {
            Ok(())
        } else {
            Err(VerifyError::SignatureMismatch)
        }
    }

    /// Checks only that every listed header and param is in `req`.
    fn check_present<const N: usize>(&self, req: &Request<'_, N>) -> Result<(), VerifyError> {
        for (i, name) in self.header_list.names().enumerate() {
            if lookup(req.headers, name).is_none() {
                return Err(VerifyError::MissingHeader(i));
            }
        }
        for (i, name) in self.param_list.names().enumerate() {
            if lookup(req.params, name).is_none() {
                return Err(VerifyError::MissingParam(i));
            }
        }
        Ok(())
    }

    fn expected_signature<const N: usize>(
        &self,
        key: &SigningKey,
        req: &Request<'_, N>,
    ) -> [u8; 40] {
        let mut h = Sha1::new();
        self.http_string(req).0.render(&mut h);
        let digest = hex20(&h.finalize());
        let mut m = key.mac().start();
        crate::sign::StringToSign {
            key_time: self.sign_time,
            digest_hex: &digest,
        }
        .render(&mut m);
        hex20(&key.mac().finish(m))
    }

    /// The HttpString COS rebuilds from `req` for this Authorization (its `FormatString`):
    /// listed names in the listed order, missing values as empty.
    pub fn http_string<'s, const N: usize>(
        &'s self,
        req: &'s Request<'s, N>,
    ) -> Text<Rebuilt<'s, N>> {
        Text(Rebuilt { auth: self, req })
    }

    /// The StringToSign COS rebuilds from `req` for this Authorization.
    pub fn string_to_sign<const N: usize>(&self, req: &Request<'_, N>) -> Text<StringToSignOwned> {
        let mut h = Sha1::new();
        self.http_string(req).0.render(&mut h);
        Text(StringToSignOwned {
            key_time: self.sign_time,
            digest_hex: hex20(&h.finalize()),
        })
    }
}

fn lookup<'r>(pairs: &[(&'r str, &'r str)], listed: Field<'_>) -> Option<&'r str> {
    pairs
        .iter()
        .rev()
        .find(|(n, _)| name_matches(n.as_bytes(), listed))
        .map(|(_, v)| *v)
}

/// Renders the HttpString rebuilt from a request view.
#[derive(Clone, Copy)]
pub struct Rebuilt<'s, const N: usize> {
    auth: &'s ParsedAuthorization<'s>,
    req: &'s Request<'s, N>,
}

struct Decode<'a>(Field<'a>);
impl Decode<'_> {
    fn put<O: ByteOut + ?Sized>(&self, o: &mut O) {
        if self.0.query {
            for b in self.0.bytes() {
                // Listed names decode to ASCII; anything else is written escaped so the
                // output stays text.
                if b.is_ascii() {
                    o.put(&[b]);
                } else {
                    crate::encode::put_value(o, &[b]);
                }
            }
        } else {
            o.put(self.0.raw);
        }
    }
}

impl<const N: usize> core::fmt::Debug for Rebuilt<'_, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Rebuilt").finish_non_exhaustive()
    }
}

impl<const N: usize> Render for Rebuilt<'_, N> {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        put_method_and_path(o, self.req.method, self.req.path);
        o.put(b"\n");
        for (list, pairs) in [
            (self.auth.param_list, self.req.params),
            (self.auth.header_list, self.req.headers),
        ] {
            for (i, name) in list.names().enumerate() {
                if i > 0 {
                    o.put(b"&");
                }
                Decode(name).put(o);
                o.put(b"=");
                crate::encode::put_value(o, lookup(pairs, name).unwrap_or("").as_bytes());
            }
            o.put(b"\n");
        }
    }
}

/// Where a request carries its Authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationSource<'a> {
    /// The value of the `Authorization` header.
    Header(&'a str),
    /// The raw query string (after `?`) of a pre-signed URL, holding the `q-*` params.
    Query(&'a str),
}

/// Why [`verify_request`] refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestAuthError {
    /// The Authorization does not parse (COS: `InvalidArgument`).
    Malformed(ParseError),
    /// No secret is known for its `q-ak` (COS: `InvalidAccessKeyId`).
    UnknownAccessKey,
    /// The secret is known, but a check failed.
    Rejected(VerifyError),
}

impl core::fmt::Display for RequestAuthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RequestAuthError::Malformed(e) => write!(f, "malformed authorization: {e}"),
            RequestAuthError::UnknownAccessKey => f.write_str("unknown secret id"),
            RequestAuthError::Rejected(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for RequestAuthError {}

/// The longest secret id [`verify_request`] looks up (COS's are 36 bytes).
pub const MAX_SECRET_ID: usize = 256;

/// Verifies a request as COS does, in one call: parses the Authorization (header form or the
/// `q-*` params of a pre-signed URL), looks up the secret of its `q-ak` with `secret_for`
/// (given the decoded id), checks both time windows against `now` (unix seconds), then the
/// signature recomputed over `req` (see [`ParsedAuthorization::verify`]), compared in
/// constant time. Returns the parsed Authorization, whose lists say what was signed.
///
/// Which occurrence counts when something appears twice: a `q-*` field twice is
/// [`ParseError::Duplicate`]; of several headers or params in `req` whose names are equal
/// once encoded and lowercased, the **last** is the one verified (as COS and qcloud_cos do).
/// A caller that acts on a header or param must therefore act on that same occurrence, or
/// refuse requests where a signed name appears more than once (the local server refuses).
///
/// ```
/// use cos_sign_core::{AuthorizationSource, KeyTime, Request, SigningKey, verify_request};
/// let key = SigningKey::derive(b"secret", KeyTime::new(100, 200));
/// let headers = [("host", "b-1250000000.cos.ap-beijing.myqcloud.com")];
/// let req = Request::new("GET", "/k").headers(&headers);
/// let mut buf = [0u8; 400];
/// let auth = key.sign(&req).unwrap().authorization("AKIDx").write_into(&mut buf).unwrap();
/// let secret = |id: &[u8]| (id == b"AKIDx").then_some(b"secret");
/// assert!(verify_request(AuthorizationSource::Header(auth), &req, 150, secret).is_ok());
/// assert!(verify_request(AuthorizationSource::Header(auth), &req, 201, secret).is_err());
/// ```
///
/// # Errors
/// The first check that fails, as a [`RequestAuthError`].
pub fn verify_request<'a, const N: usize, K, F>(
    source: AuthorizationSource<'a>,
    req: &Request<'_, N>,
    now: u64,
    secret_for: F,
) -> Result<ParsedAuthorization<'a>, RequestAuthError>
where
    F: FnOnce(&[u8]) -> Option<K>,
    K: AsRef<[u8]>,
{
    let auth = match source {
        AuthorizationSource::Header(h) => ParsedAuthorization::parse(h),
        AuthorizationSource::Query(q) => ParsedAuthorization::from_query(q),
    }
    .map_err(RequestAuthError::Malformed)?;
    let mut buf = [0u8; MAX_SECRET_ID];
    let id = auth
        .secret_id_into(&mut buf)
        .map_err(|_| RequestAuthError::UnknownAccessKey)?;
    let id_str = core::str::from_utf8(id).map_err(|_| RequestAuthError::UnknownAccessKey)?;
    let secret = secret_for(id).ok_or(RequestAuthError::UnknownAccessKey)?;
    auth.verify(req, id_str, secret.as_ref(), now)
        .map_err(RequestAuthError::Rejected)?;
    Ok(auth)
}

impl<'a> ParsedAuthorization<'a> {
    /// Whether `name` (as sent, any case) is in `q-header-list`.
    pub fn signs_header(&self, name: &str) -> bool {
        self.header_list
            .names()
            .any(|n| name_matches(name.as_bytes(), n))
    }

    /// Whether `name` (decoded) is in `q-url-param-list`.
    pub fn signs_param(&self, name: &str) -> bool {
        self.param_list
            .names()
            .any(|n| name_matches(name.as_bytes(), n))
    }
}
