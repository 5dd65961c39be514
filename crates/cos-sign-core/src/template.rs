//! [`Template`]: what stays the same across many signatures of one shape of request, rendered
//! once.

use core::fmt;

use crate::SigningKey;
use crate::encode::{put_name, put_query, put_value};
use crate::error::Error;
use crate::sha::Sha1;
use crate::sign::{Order, given, put_auth_head, put_auth_lists, start_message};
use crate::sink::{ByteOut, Form};
use crate::text::{Counter, FmtOut, SliceOut};

/// The longest params of a pre-signed query that [`Template::push_presigned_url_query`]
/// renders in its buffer after the signature.
const TAIL: usize = 512;

/// The end of the label before every signature (`&q-signature=`), checked to be UTF-8 with
/// the signature: the 48 bytes are three whole 16-byte steps of the check, no byte steps.
const LEAD: &[u8; 8] = b"gnature=";

/// The bytes of [`LEAD`] and a signature.
const SIGNED: usize = LEAD.len() + 40;

/// A buffer on a word boundary: the UTF-8 check takes its word steps from the first byte.
#[repr(align(16))]
struct Signed<const L: usize>([u8; L]);

/// Refuses a text of `len` bytes more than `s` has room for, with the length it would need.
fn room<const M: usize>(s: &heapless::String<M>, len: usize) -> Result<(), Error> {
    let needed = s.len() + len;
    if needed > M {
        Err(Error::BufferTooSmall {
            needed,
            available: M,
        })
    } else {
        Ok(())
    }
}

/// Appends a text [`room`] found room for.
#[inline(always)]
fn push<const M: usize>(s: &mut heapless::String<M>, text: &str) {
    // (Cannot fail: the room was checked.)
    let _ = s.push_str(text);
}

/// Where a piece of a template's text lies in its buffer.
#[derive(Clone, Copy)]
struct Span {
    start: u16,
    end: u16,
}

impl Span {
    #[inline(always)]
    fn of(self, text: &[u8]) -> &[u8] {
        text.get(usize::from(self.start)..usize::from(self.end))
            .unwrap_or_default()
    }

    /// A head's text without the [`LEAD`] it ends with (written with the signature).
    #[inline(always)]
    fn before_lead(self, text: &str) -> &str {
        let end = usize::from(self.end).saturating_sub(LEAD.len());
        text.get(usize::from(self.start)..end).unwrap_or_default()
    }
}

/// A text with holes: each literal is followed by a value given per call (its index in the
/// call's values), then the tail.
#[derive(Clone, Copy)]
struct Pieces<const N: usize> {
    items: [(Span, u16); N],
    len: usize,
    tail: Span,
}

impl<const N: usize> Pieces<N> {
    const fn new() -> Self {
        Self {
            items: [(Span { start: 0, end: 0 }, 0); N],
            len: 0,
            tail: Span { start: 0, end: 0 },
        }
    }

    /// Ends the literal from `start` at `end` with the hole of open value `index`; the next
    /// literal starts at `end`.
    fn hole(&mut self, start: &mut usize, end: usize, index: usize) {
        if let Some(item) = self.items.get_mut(self.len) {
            *item = (span(*start, end), u16::try_from(index).unwrap_or(u16::MAX));
            self.len += 1;
        }
        *start = end;
    }

    /// No literal and no value.
    fn is_empty(&self) -> bool {
        self.len == 0 && self.tail.start == self.tail.end
    }

    /// Writes the literals, and between them the values encoded as `form`.
    #[inline(always)]
    fn put<O: ByteOut + ?Sized>(&self, o: &mut O, text: &[u8], values: &[&str], form: Form) {
        for &(lit, var) in self.items.get(..self.len).unwrap_or_default() {
            o.put(lit.of(text));
            if let Some(v) = values.get(usize::from(var)) {
                o.put_encoded(v.as_bytes(), form);
            }
        }
        o.put(self.tail.of(text));
    }
}

/// The values of one call of a [`Template`]: the method, the decoded path, and the value of
/// each param and each header that the template left open, in the order their names were
/// given to [`Template::new`].
#[derive(Clone, Copy)]
pub struct Fill<'a> {
    /// HTTP method, lowercased (ASCII) when signed.
    pub method: &'a str,
    /// The decoded object path, `/` + key.
    pub path: &'a str,
    /// The open params' values.
    pub params: &'a [&'a str],
    /// The open headers' values.
    pub headers: &'a [&'a str],
}

impl<'a> Fill<'a> {
    /// A call with no open values.
    pub const fn new(method: &'a str, path: &'a str) -> Self {
        Self {
            method,
            path,
            params: &[],
            headers: &[],
        }
    }

    /// The same call with these param values.
    pub const fn params(mut self, params: &'a [&'a str]) -> Self {
        self.params = params;
        self
    }

    /// The same call with these header values.
    pub const fn headers(mut self, headers: &'a [&'a str]) -> Self {
        self.headers = headers;
        self
    }
}

/// Shows the method only: the path and the values may carry tokens.
impl fmt::Debug for Fill<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fill")
            .field("method", &self.method)
            .field("params", &self.params.len())
            .field("headers", &self.headers.len())
            .finish_non_exhaustive()
    }
}

/// Many signatures of one shape of request: one [`SigningKey`] and secret id, and fixed
/// param and header names, some with fixed values (such as `host`). What does not change
/// from call to call is sorted, encoded and rendered once, in [`new`](Self::new): the name
/// lists, the Authorization up to its signature, the names and fixed values of the
/// HttpString and of the pre-signed query. A call then renders only its method, path and
/// open values, and hashes.
///
/// Each output equals what [`SigningKey`]'s one-call methods give for the [`Request`](crate::Request)
/// with the same pairs in the same order (names equal once encoded and lowercased are signed
/// once, with the later value; the pre-signed query keeps every param).
///
/// `N` is how many params and how many headers it may have (16 unless said), `B` the bytes
/// of its rendered text (1024 unless said); more is an error from [`new`](Self::new).
///
/// ```
/// use cos_sign_core::{Fill, KeyTime, Request, SigningKey, Template};
/// let key = SigningKey::derive(b"BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", KeyTime::new(1557989151, 1557996351));
/// let id = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
/// let host = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com";
/// let t: Template = Template::new(
///     key.clone(),
///     id,
///     &[("response-content-type", None)],
///     &[("Host", Some(host)), ("Content-Type", None)],
/// )?;
/// let mut buf = [0u8; 512];
/// let fill = Fill::new("GET", "/a.txt").params(&["text/plain"]).headers(&["text/plain"]);
/// let auth = t.sign_authorization_into(&fill, &mut buf)?;
///
/// // The same as signing the whole request:
/// let headers = [("Host", host), ("Content-Type", "text/plain")];
/// let params = [("response-content-type", "text/plain")];
/// let req = Request::new("GET", "/a.txt").headers(&headers).params(&params);
/// let mut other = [0u8; 512];
/// assert_eq!(auth, key.sign_authorization_into(&req, id, &mut other)?);
/// # Ok::<(), cos_sign_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Template<const N: usize = 16, const B: usize = 1024> {
    key: SigningKey,
    /// Every rendered piece, checked to be UTF-8 once, here: a call copies the pieces it
    /// needs as `str`s.
    text: heapless::String<B>,
    /// The Authorization header up to its signature (`...&q-signature=`).
    auth_head: Span,
    /// The pre-signed query's `q-*` pairs up to the signature.
    query_head: Span,
    /// The HttpString from the `\n` after the path to the `\n` before the headers.
    http_params: Pieces<N>,
    /// The HttpString's headers and its last `\n`.
    http_headers: Pieces<N>,
    /// `&name=value` of every param in the order given, after the pre-signed query's
    /// signature.
    query_params: Pieces<N>,
    /// How many param and header values a call gives.
    open: (usize, usize),
}

/// Renders the pairs of one list of the HttpString in signing order into `out`, leaving a
/// hole for each open value; the literal before the first pair starts with `lead`, the tail
/// ends with `\n`.
fn http_pieces<const N: usize>(
    out: &mut SliceOut<'_>,
    lead: &[u8],
    pairs: &[(&str, Option<&str>)],
    order: &Order<N>,
) -> Pieces<N> {
    let mut p = Pieces::new();
    let mut start = out.pos();
    out.put(lead);
    for (j, &i) in order.indices().iter().enumerate() {
        let Some(&(name, value)) = pairs.get(usize::from(i)) else {
            continue;
        };
        if j > 0 {
            out.put(b"&");
        }
        put_name(out, name.as_bytes());
        out.put(b"=");
        match value {
            Some(v) => put_value(out, v.as_bytes()),
            None => p.hole(&mut start, out.pos(), open_before(pairs, usize::from(i))),
        }
    }
    out.put(b"\n");
    p.tail = span(start, out.pos());
    p
}

/// Renders `&name=value` of every param, in the order given, `quote_plus`-encoded.
fn query_pieces<const N: usize>(
    out: &mut SliceOut<'_>,
    pairs: &[(&str, Option<&str>)],
) -> Pieces<N> {
    let mut p = Pieces::new();
    let mut start = out.pos();
    for (i, &(name, value)) in pairs.iter().enumerate() {
        out.put(b"&");
        put_query(out, name.as_bytes());
        out.put(b"=");
        match value {
            Some(v) => put_query(out, v.as_bytes()),
            None => p.hole(&mut start, out.pos(), open_before(pairs, i)),
        }
    }
    p.tail = span(start, out.pos());
    p
}

/// The open pairs before pair `i`: where its value is among a call's values of the list
/// (all of them, for `i` past the end).
fn open_before(pairs: &[(&str, Option<&str>)], i: usize) -> usize {
    let before = pairs.get(..i).unwrap_or(pairs);
    before.iter().filter(|(_, v)| v.is_none()).count()
}

/// A span of the text (past `u16::MAX`, which [`Template::new`] refuses, it is cut short).
fn span(start: usize, end: usize) -> Span {
    let at = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    Span {
        start: at(start),
        end: at(end),
    }
}

impl<const N: usize, const B: usize> Template<N, B> {
    /// Sorts and renders a template: `key` and `secret_id` sign every call; `params` and
    /// `headers` are `(name, value)` in the order a [`Request`](crate::Request) would give
    /// them, `Some(value)` fixed for every call, `None` given by each call's [`Fill`].
    ///
    /// # Errors
    /// [`Error::TooManyParams`] or [`Error::TooManyHeaders`] past `N`;
    /// [`Error::BufferTooSmall`] when the rendered text needs more than `B` bytes (with the
    /// bytes it needs).
    pub fn new(
        key: SigningKey,
        secret_id: &str,
        params: &[(&str, Option<&str>)],
        headers: &[(&str, Option<&str>)],
    ) -> Result<Self, Error> {
        const {
            assert!(
                B <= u16::MAX as usize,
                "a template's text is at most 65535 bytes"
            )
        };
        let (mut param_order, mut header_order) = (Order::<N>::new(), Order::<N>::new());
        if !param_order.sort(params) {
            return Err(Error::TooManyParams { max: N });
        }
        if !header_order.sort(headers) {
            return Err(Error::TooManyHeaders { max: N });
        }
        let mut text = [0u8; B];
        let mut out = SliceOut::new(&mut text);
        let kt = key.key_time_text();
        let head = |out: &mut SliceOut<'_>, query: bool| {
            let start = out.pos();
            put_auth_head(out, secret_id, kt, None, query);
            put_auth_lists(out, (&header_order, headers), (&param_order, params), query);
            span(start, out.pos())
        };
        let auth_head = head(&mut out, false);
        let query_head = head(&mut out, true);
        let http_params = http_pieces(&mut out, b"\n", params, &param_order);
        let http_headers = http_pieces(&mut out, b"", headers, &header_order);
        let query_params = query_pieces(&mut out, params);
        // (A text the buffer of `B` bytes held fits the string of `B` bytes.)
        let rendered = out.into_text()?;
        let text = heapless::String::try_from(rendered).map_err(|_| Error::BufferTooSmall {
            needed: rendered.len(),
            available: B,
        })?;
        Ok(Self {
            key,
            text,
            auth_head,
            query_head,
            http_params,
            http_headers,
            query_params,
            open: (
                open_before(params, params.len()),
                open_before(headers, headers.len()),
            ),
        })
    }

    /// The key every call signs with.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs one call and writes its Authorization header value into `buf`: what
    /// [`SigningKey::sign_authorization_into`] writes for the same request.
    ///
    /// # Errors
    /// [`Error::ValueCount`] when `fill` does not give one value for each open param and
    /// header; [`Error::BufferTooSmall`] (with the length needed) when `buf` cannot hold the
    /// text.
    pub fn sign_authorization_into<'b>(
        &self,
        fill: &Fill<'_>,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        given(self.sign_text_into(fill, Some(buf), None)?.0)
    }

    /// Signs one call and writes the query of its pre-signed URL into `buf`: what
    /// [`SigningKey::sign_presigned_url_query_into`] writes for the same request.
    ///
    /// # Errors
    /// As [`sign_authorization_into`](Self::sign_authorization_into).
    pub fn sign_presigned_url_query_into<'b>(
        &self,
        fill: &Fill<'_>,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        given(self.sign_text_into(fill, None, Some(buf))?.1)
    }

    /// Signs one call once and writes both its Authorization header and its pre-signed
    /// query: what [`SigningKey::sign_authorization_and_query_into`] writes.
    ///
    /// # Errors
    /// As [`sign_authorization_into`](Self::sign_authorization_into), the header's
    /// [`Error::BufferTooSmall`] first.
    pub fn sign_authorization_and_query_into<'a, 'b>(
        &self,
        fill: &Fill<'_>,
        header_buf: &'a mut [u8],
        query_buf: &'b mut [u8],
    ) -> Result<(&'a str, &'b str), Error> {
        let (h, q) = self.sign_text_into(fill, Some(header_buf), Some(query_buf))?;
        Ok((given(h)?, given(q)?))
    }

    /// Signs one call and appends its Authorization header value to `out`: the same text as
    /// [`sign_authorization_into`](Self::sign_authorization_into), without checking it is
    /// UTF-8 (a `&str` of a byte buffer needs that pass over the whole text, about a tenth
    /// of a short signature's time): the fixed text is checked once, in [`new`](Self::new).
    ///
    /// # Errors
    /// [`Error::ValueCount`] as [`sign_authorization_into`](Self::sign_authorization_into);
    /// [`Error::BufferTooSmall`] (with the length `out` would need, and the room it has) when
    /// the text does not fit, and `out` is left as it was.
    pub fn push_authorization<const M: usize>(
        &self,
        fill: &Fill<'_>,
        out: &mut heapless::String<M>,
    ) -> Result<(), Error> {
        self.push_texts::<M, M>(fill, Some(out), None)
    }

    /// Signs one call and appends the query of its pre-signed URL to `out`: the text of
    /// [`sign_presigned_url_query_into`](Self::sign_presigned_url_query_into), as
    /// [`push_authorization`](Self::push_authorization) appends its (only the open param
    /// values are checked to be UTF-8).
    ///
    /// # Errors
    /// As [`push_authorization`](Self::push_authorization).
    pub fn push_presigned_url_query<const M: usize>(
        &self,
        fill: &Fill<'_>,
        out: &mut heapless::String<M>,
    ) -> Result<(), Error> {
        self.push_texts::<M, M>(fill, None, Some(out))
    }

    /// Signs one call once and appends its Authorization header value to `header` and the
    /// query of its pre-signed URL to `query`: the texts of
    /// [`sign_authorization_and_query_into`](Self::sign_authorization_and_query_into), as
    /// [`push_authorization`](Self::push_authorization) and
    /// [`push_presigned_url_query`](Self::push_presigned_url_query) append theirs.
    ///
    /// # Errors
    /// As [`push_authorization`](Self::push_authorization), the header's
    /// [`Error::BufferTooSmall`] first; both strings are left as they were.
    pub fn push_authorization_and_query<const M: usize, const Q: usize>(
        &self,
        fill: &Fill<'_>,
        header: &mut heapless::String<M>,
        query: &mut heapless::String<Q>,
    ) -> Result<(), Error> {
        self.push_texts(fill, Some(header), Some(query))
    }

    /// The push methods: the texts of the strings given, signed once. The signature is
    /// checked to be UTF-8 in one piece with the bytes before it (`gnature=`) and the params
    /// after it: one check of a length the check's word loop covers (its bytes one by one
    /// cost more than the words); every length is known before a string is touched.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn push_texts<const M: usize, const Q: usize>(
        &self,
        fill: &Fill<'_>,
        header: Option<&mut heapless::String<M>>,
        query: Option<&mut heapless::String<Q>>,
    ) -> Result<(), Error> {
        let digest = self.http_digest(fill)?;
        let mut query = match query {
            Some(q) if !self.query_params.is_empty() => q,
            query => {
                // No params after the signature.
                let mut signed = Signed([0u8; SIGNED]);
                self.sign_after_lead(&digest, &mut signed.0);
                let signed = core::str::from_utf8(&signed.0).unwrap_or_default();
                return self.push_signed(header, query, signed, 0);
            }
        };
        let text = self.text.as_bytes();
        let mut buf = Signed([0u8; SIGNED + TAIL]);
        let (sig, rest) = buf.0.split_at_mut(SIGNED);
        // The params after the signature (short ones, as nearly all are; longer ones are
        // written straight into the string).
        let mut o = SliceOut::new(rest);
        self.query_params
            .put(&mut o, text, fill.params, Form::Query);
        let params = o.written().ok();
        if let Some(sig) = sig.first_chunk_mut::<SIGNED>() {
            self.sign_after_lead(&digest, sig);
        }
        let signed = buf
            .0
            .get(..SIGNED + params.unwrap_or(0))
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default();
        if params.is_some() {
            return self.push_signed(header, Some(query), signed, 0);
        }
        let mut c = Counter(0);
        self.query_params
            .put(&mut c, text, fill.params, Form::Query);
        self.push_signed(header, Some(&mut query), signed, c.0)?;
        let mut w = FmtOut::new(query);
        self.query_params
            .put(&mut w, text, fill.params, Form::Query);
        Ok(())
    }

    /// Appends its head and `signed` (the [`LEAD`], the signature, and in a query the params
    /// after it) to each string given, once both have room (the query's with `more` bytes
    /// past `signed`); the header's refusal first.
    #[inline(always)]
    fn push_signed<const M: usize, const Q: usize>(
        &self,
        header: Option<&mut heapless::String<M>>,
        query: Option<&mut heapless::String<Q>>,
        signed: &str,
        more: usize,
    ) -> Result<(), Error> {
        let text = self.text.as_str();
        let auth_head = self.auth_head.before_lead(text);
        let query_head = self.query_head.before_lead(text);
        if let Some(h) = &header {
            room(h, auth_head.len() + SIGNED)?;
        }
        if let Some(q) = &query {
            room(q, query_head.len() + signed.len() + more)?;
        }
        if let Some(h) = header {
            push(h, auth_head);
            push(h, signed.get(..SIGNED).unwrap_or_default());
        }
        if let Some(q) = query {
            push(q, query_head);
            push(q, signed);
        }
        Ok(())
    }

    /// Writes the bytes before the signature (`gnature=`) and the signature of `digest`
    /// after them.
    #[inline(always)]
    fn sign_after_lead(&self, digest: &[u8; 20], out: &mut [u8; SIGNED]) {
        let (lead, sig) = out.split_at_mut(LEAD.len());
        lead.copy_from_slice(LEAD);
        if let Some(sig) = sig.first_chunk_mut::<40>() {
            self.key.sign_digest_into(digest, sig);
        }
    }

    /// The SHA-1 of one call's HttpString, once `fill` is checked to give each open value.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn http_digest(&self, fill: &Fill<'_>) -> Result<[u8; 20], Error> {
        let given = (fill.params.len(), fill.headers.len());
        if given != self.open {
            return Err(self.value_count(given));
        }
        let text = self.text.as_bytes();
        let mut h = Sha1::new();
        start_message::<true>(&mut h, fill.method, fill.path);
        self.http_params.put(&mut h, text, fill.params, Form::Value);
        self.http_headers
            .put(&mut h, text, fill.headers, Form::Value);
        Ok(h.finalize())
    }

    /// The refusal of a call that gives `given` values (params, headers), not one for each
    /// open value.
    #[cold]
    fn value_count(&self, given: (usize, usize)) -> Error {
        let (list, expected, given) = if given.0 == self.open.0 {
            ("headers", self.open.1, given.1)
        } else {
            ("params", self.open.0, given.0)
        };
        Error::ValueCount {
            list,
            expected,
            given,
        }
    }

    /// The signing of the three calls above: the HttpString, then (as `SigningKey`'s
    /// one-call methods) the texts written between the HMAC's hashes.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn sign_text_into<'a, 'b>(
        &self,
        fill: &Fill<'_>,
        header_buf: Option<&'a mut [u8]>,
        query_buf: Option<&'b mut [u8]>,
    ) -> Result<(Option<&'a str>, Option<&'b str>), Error> {
        let text = self.text.as_bytes();
        self.key.write_signed(
            &self.http_digest(fill)?,
            (header_buf, query_buf),
            |o, query| {
                o.put(
                    if query {
                        self.query_head
                    } else {
                        self.auth_head
                    }
                    .of(text),
                )
            },
            |_, _| {},
            |o| self.query_params.put(o, text, fill.params, Form::Query),
        )
    }
}

/// Shows the key time and the counts: the key is secret, and fixed values may be tokens.
impl<const N: usize, const B: usize> fmt::Debug for Template<N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("key", &self.key)
            .field("open_params", &self.open.0)
            .field("open_headers", &self.open.1)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyTime, Request};

    /// Pieces of names and values: escapes, case, UTF-8, the separators of each text.
    const BITS: [&str; 16] = [
        "host",
        "Content-Type",
        "x-cos-meta-",
        "a",
        "A",
        " ",
        "%",
        "=",
        "&",
        ";",
        "~",
        ".",
        "é",
        "项目",
        "📊",
        "0123456789abcdefghijklmnopqrstuvwxyz",
    ];

    fn string(next: &mut impl FnMut() -> u64, out: &mut heapless::String<512>) {
        out.clear();
        for _ in 0..next() % 6 {
            let bit = BITS[(next() % 16) as usize];
            for _ in 0..=next() % 4 {
                let _ = out.push_str(bit);
            }
        }
    }

    /// Lists of up to 6 pairs whose names often collide once lowercased; each value fixed or
    /// open at random.
    fn pairs<'s>(
        next: &mut impl FnMut() -> u64,
        names: &'s [heapless::String<512>],
        values: &'s [heapless::String<512>],
    ) -> heapless::Vec<(&'s str, Option<&'s str>), 6> {
        let mut v = heapless::Vec::new();
        for value in values.iter().take((next() % 7) as usize) {
            let name = names[(next() % names.len() as u64) as usize].as_str();
            let _ = v.push((name, (!next().is_multiple_of(3)).then_some(value.as_str())));
        }
        v
    }

    /// The whole pairs of a generated request.
    type Pairs<'s> = heapless::Vec<(&'s str, &'s str), 6>;

    #[test]
    fn equals_signing_the_whole_request() {
        let mut next = crate::xorshift(0x7e3a_91c5_0d2b_4f68);
        let id = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
        let mut names: [heapless::String<512>; 8] = Default::default();
        let mut values: [heapless::String<512>; 12] = Default::default();
        let mut checked = 0;
        for round in 0..3000 {
            for s in names.iter_mut().chain(values.iter_mut()) {
                string(&mut next, s);
            }
            let start = next() % 2_000_000_000;
            let key = SigningKey::derive(b"secret", KeyTime::new(start, start + next() % 100_000));
            let params = pairs(&mut next, &names, &values[..6]);
            let headers = pairs(&mut next, &names, &values[6..]);
            let method = [
                "GET",
                "put",
                "Post",
                "DELETE",
                "a-long-method-name-of-twenty-six",
            ][(next() % 5) as usize];
            let path = values[(next() % 12) as usize].as_str();
            let t: Template<8, 16384> = Template::new(key.clone(), id, &params, &headers).unwrap();
            // The whole request, and the open values in the order given.
            let (mut pv, mut hv): (heapless::Vec<&str, 6>, heapless::Vec<&str, 6>) =
                Default::default();
            let (mut pfull, mut hfull) = (Pairs::new(), Pairs::new());
            for (list, open, whole) in [
                (&params, &mut pv, &mut pfull),
                (&headers, &mut hv, &mut hfull),
            ] {
                for &(n, fixed) in list.iter() {
                    let v = fixed.unwrap_or_else(|| values[(next() % 12) as usize].as_str());
                    if fixed.is_none() {
                        let _ = open.push(v);
                    }
                    let _ = whole.push((n, v));
                }
            }
            let req = Request::new(method, path).params(&pfull).headers(&hfull);
            let fill = Fill::new(method, path).params(&pv).headers(&hv);
            let (mut a, mut b, mut c, mut d) =
                ([0u8; 16384], [0u8; 16384], [0u8; 16384], [0u8; 16384]);
            assert_eq!(
                t.sign_authorization_into(&fill, &mut a).unwrap(),
                key.sign_authorization_into(&req, id, &mut b).unwrap(),
                "round {round}: {req:?}"
            );
            assert_eq!(
                t.sign_presigned_url_query_into(&fill, &mut a).unwrap(),
                key.sign_presigned_url_query_into(&req, id, &mut b).unwrap(),
                "round {round}: {req:?}"
            );
            assert_eq!(
                t.sign_authorization_and_query_into(&fill, &mut a, &mut c)
                    .unwrap(),
                key.sign_authorization_and_query_into(&req, id, &mut b, &mut d)
                    .unwrap(),
                "round {round}: {req:?}"
            );
            // Appended to what a string already holds.
            let mut s: heapless::String<16384> = heapless::String::try_from("x").unwrap();
            t.push_authorization(&fill, &mut s).unwrap();
            t.push_presigned_url_query(&fill, &mut s).unwrap();
            let (h, q) = key
                .sign_authorization_and_query_into(&req, id, &mut b, &mut d)
                .unwrap();
            assert_eq!(
                s.get(1..).unwrap().split_at(h.len()),
                (h, q),
                "round {round}: {req:?}"
            );
            // Both at once, each appended to its string.
            let mut sh: heapless::String<16384> = heapless::String::try_from("h").unwrap();
            let mut sq: heapless::String<16384> = heapless::String::try_from("q").unwrap();
            t.push_authorization_and_query(&fill, &mut sh, &mut sq)
                .unwrap();
            assert_eq!(
                (sh.get(1..).unwrap(), sq.get(1..).unwrap()),
                (h, q),
                "round {round}: {req:?}"
            );
            checked += 1;
        }
        assert_eq!(checked, 3000);
    }

    #[test]
    fn refusals() {
        let key = SigningKey::derive(b"secret", KeyTime::new(1, 2));
        let id = "AKIDEXAMPLE";
        let three = [("a", None), ("b", None), ("c", None)];
        let host = [("host", Some("token-like-fixed-value"))];
        assert_eq!(
            Template::<2>::new(key.clone(), id, &three, &[]).err(),
            Some(Error::TooManyParams { max: 2 })
        );
        assert_eq!(
            Template::<2>::new(key.clone(), id, &[], &three).err(),
            Some(Error::TooManyHeaders { max: 2 })
        );
        // The text's own length is what a too-small template is told it needs.
        let Err(Error::BufferTooSmall { needed, available }) =
            Template::<4, 64>::new(key.clone(), id, &three, &host)
        else {
            panic!("64 bytes hold no template");
        };
        assert_eq!(available, 64);
        assert!(Template::<4, 512>::new(key.clone(), id, &three, &host).is_ok());
        assert!(needed > 64 && needed <= 512);
        let t: Template<4, 512> = Template::new(key.clone(), id, &three, &host).unwrap();
        let mut buf = [0u8; 512];
        let fill = Fill::new("GET", "/k").params(&["1", "2"]);
        assert_eq!(
            t.sign_authorization_into(&fill, &mut buf),
            Err(Error::ValueCount {
                list: "params",
                expected: 3,
                given: 2
            })
        );
        let fill = Fill::new("GET", "/k")
            .params(&["1", "2", "3"])
            .headers(&["x"]);
        assert_eq!(
            t.sign_presigned_url_query_into(&fill, &mut buf),
            Err(Error::ValueCount {
                list: "headers",
                expected: 0,
                given: 1
            })
        );
        // Too small an output: the same refusal as signing the request.
        let fill = Fill::new("GET", "/k").params(&["1", "2", "3"]);
        let pairs = [("a", "1"), ("b", "2"), ("c", "3")];
        let req = Request::new("GET", "/k")
            .params(&pairs)
            .headers(&[("host", "token-like-fixed-value")]);
        let (mut small, mut other) = ([0u8; 100], [0u8; 100]);
        let refused = key.sign_authorization_into(&req, id, &mut other);
        assert!(matches!(refused, Err(Error::BufferTooSmall { .. })));
        assert_eq!(t.sign_authorization_into(&fill, &mut small), refused);
        // Too short a string: the length it would need, and nothing lost.
        let mut s: heapless::String<100> = heapless::String::try_from("kept").unwrap();
        let Err(Error::BufferTooSmall { needed, available }) = refused else {
            unreachable!()
        };
        assert_eq!(
            t.push_authorization(&fill, &mut s),
            Err(Error::BufferTooSmall {
                needed: needed + 4,
                available
            })
        );
        assert_eq!(s, "kept");
        // Room for all but the last param value of the query: nothing of it stays either.
        let fill = Fill::new("GET", "/k").params(&["1", "2", "a value with spaces"]);
        let mut q = [0u8; 512];
        let whole = t.sign_presigned_url_query_into(&fill, &mut q).unwrap();
        let mut s: heapless::String<200> = heapless::String::new();
        assert!(whole.len() > 200 && whole.len() - "a+value+with+spaces".len() < 200);
        assert_eq!(
            t.push_presigned_url_query(&fill, &mut s),
            Err(Error::BufferTooSmall {
                needed: whole.len(),
                available: 200
            })
        );
        assert!(s.is_empty());
        // Both at once: the header's refusal first, the query's next; neither string keeps
        // any of its text.
        let (mut room, mut small) = (
            heapless::String::<512>::new(),
            heapless::String::<200>::new(),
        );
        let _ = room.push_str("kept");
        let _ = small.push_str("kept");
        assert_eq!(
            t.push_authorization_and_query(&fill, &mut room, &mut small),
            Err(Error::BufferTooSmall {
                needed: whole.len() + 4,
                available: 200
            })
        );
        assert_eq!((room.as_str(), small.as_str()), ("kept", "kept"));
        let mut tiny = heapless::String::<8>::new();
        assert!(matches!(
            t.push_authorization_and_query(&fill, &mut tiny, &mut small),
            Err(Error::BufferTooSmall { available: 8, .. })
        ));
        assert_eq!((tiny.as_str(), small.as_str()), ("", "kept"));
        // Debug shows neither the key nor a fixed value.
        let shown = alloc_free_debug(&t);
        assert!(shown.contains("open_params: 3"), "{shown}");
        assert!(!shown.contains("token-like") && !shown.contains(key.expose_hex()));
    }

    /// The push methods write each head without its last [`LEAD`] bytes and the lead with
    /// the signature: both heads end with it. Params longer than the push buffer are written
    /// straight into the string, the same text.
    #[test]
    fn lead_and_long_params() {
        let key = SigningKey::derive(b"secret", KeyTime::new(1, 2));
        let id = "AKIDEXAMPLE";
        let t: Template<4, 1024> =
            Template::new(key.clone(), id, &[("a", None), ("b", Some("1"))], &[]).unwrap();
        let text = t.text.as_bytes();
        for head in [t.auth_head, t.query_head] {
            assert!(head.of(text).ends_with(b"&q-signature="));
        }
        assert!(b"&q-signature=".ends_with(LEAD));
        let mut long: heapless::String<1024> = heapless::String::new();
        for _ in 0..200 {
            long.push_str("é ").unwrap();
        }
        let values = [long.as_str()];
        let fill = Fill::new("GET", "/k").params(&values);
        let mut buf = [0u8; 4096];
        let whole = t.sign_presigned_url_query_into(&fill, &mut buf).unwrap();
        assert!(whole.len() > TAIL + 200);
        let mut s: heapless::String<4096> = heapless::String::try_from("x").unwrap();
        t.push_presigned_url_query(&fill, &mut s).unwrap();
        assert_eq!(s.get(1..), Some(whole));
        let mut short: heapless::String<1024> = heapless::String::new();
        assert_eq!(
            t.push_presigned_url_query(&fill, &mut short),
            Err(Error::BufferTooSmall {
                needed: whole.len(),
                available: 1024
            })
        );
        assert!(short.is_empty());
    }

    /// `Debug` of `t` into a fixed string.
    fn alloc_free_debug(t: &impl fmt::Debug) -> heapless::String<512> {
        let mut s = heapless::String::new();
        fmt::write(&mut s, format_args!("{t:?}")).unwrap();
        s
    }
}
