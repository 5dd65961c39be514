use core::cmp::Ordering;
use core::fmt;

use crate::encode::{cmp_names, put_name, put_name_in_query, put_query};
use crate::keytime::TimeText;
use crate::sha::{HmacSha1, Sha1, hex20, hex20_public, hex20_public_into};
#[cfg(target_arch = "x86_64")]
use crate::sha::{NameNote, fills_first_block};
use crate::sink::ByteOut;
use crate::text::{Render, SliceOut, Text};
use crate::{Error, KeyTime};

/// A request to sign: method, decoded path, and the params and headers to sign, all borrowed.
///
/// `N` is how many params and how many headers it may carry (32 unless
/// [`with_capacity`](Request::with_capacity) says otherwise); the sort order lives in two
/// `[u16; N]` arrays on the stack while signing. More than `N` is
/// [`Error::TooManyParams`]/[`Error::TooManyHeaders`].
///
/// Exactly the params and headers given are signed: choosing them (the SDK's header
/// allow-list, the `host` header) is the caller's job. Names that are equal once encoded and
/// lowercased are signed once, with the value of the later pair, as qcloud_cos does.
#[derive(Clone, Copy)]
pub struct Request<'a, const N: usize = 32> {
    /// HTTP method, lowercased (ASCII) when signed.
    pub method: &'a str,
    /// The decoded object path, `/` + key as the user wrote it (`/exampleobject(腾讯云)`).
    pub path: &'a str,
    /// Query params to sign, as `(name, value)`; a param without value is `(name, "")`.
    pub params: &'a [(&'a str, &'a str)],
    /// Headers to sign, as `(name, value)`.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> Request<'a> {
    /// A request with no params and no headers, of the default capacity (32 of each).
    pub const fn new(method: &'a str, path: &'a str) -> Self {
        Self {
            method,
            path,
            params: &[],
            headers: &[],
        }
    }
}

impl<'a, const N: usize> Request<'a, N> {
    /// The same request with room for `M` params and `M` headers.
    pub const fn with_capacity<const M: usize>(self) -> Request<'a, M> {
        Request {
            method: self.method,
            path: self.path,
            params: self.params,
            headers: self.headers,
        }
    }

    /// The same request with these params.
    pub const fn params(mut self, params: &'a [(&'a str, &'a str)]) -> Self {
        self.params = params;
        self
    }

    /// The same request with these headers.
    pub const fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }
}

/// Shows names only: header and param values may carry tokens.
impl<const N: usize> fmt::Debug for Request<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names<'b>(&'b [(&'b str, &'b str)]);
        impl fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|(n, _)| n))
                    .finish()
            }
        }
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("params", &Names(self.params))
            .field("headers", &Names(self.headers))
            .finish()
    }
}

/// The SignKey of one [`KeyTime`]: `hex(HMAC-SHA1(SecretKey, KeyTime))`, with its HMAC pads
/// precomputed. Derive it once per key-time window and sign any number of requests with it.
///
/// ```
/// use cos_sign_core::{KeyTime, Request, SigningKey};
/// let key = SigningKey::derive(b"BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", KeyTime::new(1557989151, 1557996351));
/// let headers = [("Host", "examplebucket-1250000000.cos.ap-beijing.myqcloud.com")];
/// let signed = key.sign(&Request::new("GET", "/a.txt").headers(&headers)).unwrap();
/// let mut buf = [0u8; 512];
/// let auth = signed.authorization("AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q").write_into(&mut buf).unwrap();
/// assert!(auth.starts_with("q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989151;1557996351&"));
/// assert!(auth.contains("&q-header-list=host&q-url-param-list=&q-signature="));
/// ```
#[derive(Clone)]
pub struct SigningKey {
    key_time: KeyTime,
    /// `key_time` as text, formatted once.
    key_time_text: TimeText,
    hex: [u8; 40],
    mac: HmacSha1,
    /// The Authorization's fields after the secret id, rendered once.
    #[cfg(target_pointer_width = "64")]
    tails: Option<HeadTails>,
}

/// `&q-sign-time=<KeyTime>&q-key-time=<KeyTime>&q-header-list=`, the Authorization's fields
/// between the secret id and the name lists, in header form and in query form (`;` as
/// `%3B`), for a key time of two ten-digit times (the usual one): what a signature with the
/// key writes as one copy instead of five pieces.
#[cfg(target_pointer_width = "64")]
#[derive(Clone)]
pub(crate) struct HeadTails {
    auth: [u8; 82],
    query: [u8; 86],
}

#[cfg(target_pointer_width = "64")]
impl HeadTails {
    /// The tails of a key time of two ten-digit times; `None` for another one.
    fn of(kt: &TimeText) -> Option<Self> {
        let (start, end) = kt.halves();
        let (start, end): (&[u8; 10], &[u8; 10]) = (start.try_into().ok()?, end.try_into().ok()?);
        /// The pieces one after the other (fixed sizes: fixed-size copies).
        fn cat<const K: usize>(parts: [&[u8]; 9]) -> [u8; K] {
            let mut out = [0u8; K];
            let mut at = 0;
            for p in parts {
                if let Some(d) = out.get_mut(at..at + p.len()) {
                    d.copy_from_slice(p);
                }
                at += p.len();
            }
            out
        }
        let (s, e) = (&start[..], &end[..]);
        Some(Self {
            auth: cat([
                b"&q-sign-time=",
                s,
                b";",
                e,
                b"&q-key-time=",
                s,
                b";",
                e,
                b"&q-header-list=",
            ]),
            query: cat([
                b"&q-sign-time=",
                s,
                b"%3B",
                e,
                b"&q-key-time=",
                s,
                b"%3B",
                e,
                b"&q-header-list=",
            ]),
        })
    }
}

impl SigningKey {
    /// Derives the SignKey of `key_time` from the secret key.
    pub fn derive(secret_key: &[u8], key_time: KeyTime) -> Self {
        // The usual key time (two ten-digit times): its text and every block built from the
        // times' digit words in registers, the blocks stored in whole 16-byte chunks, where
        // the compression loads them.
        #[cfg(target_arch = "x86_64")]
        if let Some((start, end)) = key_time.ten_digit_words() {
            let block = crate::sse::key_time21_block(start, end);
            let sign_key = HmacSha1::new(secret_key).mac_block(&block);
            let (chunks, hex) = crate::sse::hex_key(&sign_key);
            let key_time_text = TimeText::of_ten_digit_words(start, end);
            return Self {
                key_time,
                key_time_text,
                hex,
                mac: HmacSha1::of_chunks(chunks),
                tails: HeadTails::of(&key_time_text),
            };
        }
        let text = key_time.text();
        let hex =
            hex20(&HmacSha1::new(secret_key).mac_key_time(text.sts_head(), text.sts_head_len()));
        let mac = HmacSha1::new(&hex);
        Self {
            key_time,
            #[cfg(target_pointer_width = "64")]
            tails: HeadTails::of(&text),
            key_time_text: text,
            hex,
            mac,
        }
    }

    /// The key time this key signs for.
    pub const fn key_time(&self) -> KeyTime {
        self.key_time
    }

    /// The SignKey as 40 lowercase hex digits. It is secret: whoever holds it can sign for
    /// the whole window.
    pub fn expose_hex(&self) -> &str {
        core::str::from_utf8(&self.hex).unwrap_or("")
    }

    /// Signs `req`: the sorted, deduplicated name lists and the signature.
    ///
    /// # Errors
    /// [`Error::TooManyParams`] or [`Error::TooManyHeaders`] past the capacity `N`.
    #[cfg_attr(target_pointer_width = "64", inline)]
    pub fn sign<'r, const N: usize>(&self, req: &Request<'r, N>) -> Result<Signed<'r, N>, Error> {
        // Built in the returned value itself, the orders sorted into it: no copy of the
        // index arrays (a value built aside is copied out whole, over 300 bytes).
        let mut out = Ok(Signed {
            method: req.method,
            path: req.path,
            params: req.params,
            headers: req.headers,
            param_order: Order::new(),
            header_order: Order::new(),
            key_time: self.key_time,
            key_time_text: self.key_time_text,
            signature: [0; 40],
        });
        if let Ok(s) = &mut out
            && let Err(e) = self.sign_into(s)
        {
            out = Err(e);
        }
        out
    }

    /// Sorts, hashes and signs the request `s` holds, into `s`.
    fn sign_into<const N: usize>(&self, s: &mut Signed<'_, N>) -> Result<(), Error> {
        // Encoded straight into the hasher's block buffer.
        let mut h = Sha1::new();
        sort_and_hash(
            &mut h,
            s.method,
            s.path,
            (&mut s.param_order, s.params),
            (&mut s.header_order, s.headers),
        )?;
        s.signature = self.sign_digest(&h.finalize());
        Ok(())
    }

    /// Signs `req` and writes its Authorization header value into `buf`, in one call: what
    /// [`sign`](Self::sign) then [`Signed::authorization`] and [`Text::write_into`] give,
    /// without the [`Signed`] in between (the sort order stays on the stack, nothing is
    /// copied out), and with the parts that do not depend on the signature written while its
    /// hashes are computed.
    ///
    /// ```
    /// use cos_sign_core::{KeyTime, Request, SigningKey};
    /// let key = SigningKey::derive(b"BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", KeyTime::new(1557989151, 1557996351));
    /// let headers = [("Host", "examplebucket-1250000000.cos.ap-beijing.myqcloud.com")];
    /// let req = Request::new("GET", "/a.txt").headers(&headers);
    /// let mut buf = [0u8; 512];
    /// let auth = key.sign_authorization_into(&req, "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q", &mut buf)?;
    /// let signed = key.sign(&req)?;
    /// assert_eq!(signed.authorization("AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q"), auth);
    /// # Ok::<(), cos_sign_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::TooManyParams`] or [`Error::TooManyHeaders`] past the capacity `N`;
    /// [`Error::BufferTooSmall`] (with the length needed) when `buf` cannot hold the text.
    pub fn sign_authorization_into<'b, const N: usize>(
        &self,
        req: &Request<'_, N>,
        secret_id: &str,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        given(self.sign_text_into(req, secret_id, Some(buf), None)?.0)
    }

    /// Signs `req` and writes the query of its pre-signed URL into `buf`, in one call: the
    /// `q-*` pairs ([`Signed::presigned_query`]), then, when the request has params, `&` and
    /// the params ([`Signed::params_query`]), the whole query qcloud_cos's
    /// `get_presigned_url` puts after the `?`. As
    /// [`sign_authorization_into`](Self::sign_authorization_into), without the [`Signed`]
    /// in between.
    ///
    /// ```
    /// use cos_sign_core::{KeyTime, Request, SigningKey};
    /// let key = SigningKey::derive(b"BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", KeyTime::new(1557989151, 1557996351));
    /// let headers = [("Host", "examplebucket-1250000000.cos.ap-beijing.myqcloud.com")];
    /// let params = [("response-content-type", "text/plain")];
    /// let req = Request::new("GET", "/a.txt").headers(&headers).params(&params);
    /// let mut buf = [0u8; 512];
    /// let query = key.sign_presigned_url_query_into(&req, "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q", &mut buf)?;
    /// let signed = key.sign(&req)?;
    /// let id = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    /// assert_eq!(query, format!("{}&{}", signed.presigned_query(id), signed.params_query()));
    /// assert!(query.ends_with("&response-content-type=text%2Fplain"));
    /// # Ok::<(), cos_sign_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`sign_authorization_into`](Self::sign_authorization_into).
    pub fn sign_presigned_url_query_into<'b, const N: usize>(
        &self,
        req: &Request<'_, N>,
        secret_id: &str,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        given(self.sign_text_into(req, secret_id, None, Some(buf))?.1)
    }

    /// Signs `req` once and writes both texts of a pre-signed URL whose request also carries
    /// the Authorization header (qcloud_cos's `get_presigned_url` with Headers, which puts it
    /// into them): the header into `header_buf` as
    /// [`sign_authorization_into`](Self::sign_authorization_into) writes it, the URL query
    /// into `query_buf` as [`sign_presigned_url_query_into`](Self::sign_presigned_url_query_into)
    /// does.
    ///
    /// ```
    /// use cos_sign_core::{KeyTime, Request, SigningKey};
    /// let key = SigningKey::derive(b"BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", KeyTime::new(1557989151, 1557996351));
    /// let headers = [("Host", "examplebucket-1250000000.cos.ap-beijing.myqcloud.com")];
    /// let req = Request::new("GET", "/a.txt").headers(&headers);
    /// let id = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    /// let (mut a, mut b, mut c) = ([0u8; 512], [0u8; 512], [0u8; 512]);
    /// let (header, query) = key.sign_authorization_and_query_into(&req, id, &mut a, &mut b)?;
    /// assert_eq!(header, key.sign_authorization_into(&req, id, &mut c)?);
    /// assert_eq!(query, key.sign_presigned_url_query_into(&req, id, &mut c)?);
    /// # Ok::<(), cos_sign_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// As the two calls, the header's [`Error::BufferTooSmall`] first.
    pub fn sign_authorization_and_query_into<'a, 'b, const N: usize>(
        &self,
        req: &Request<'_, N>,
        secret_id: &str,
        header_buf: &'a mut [u8],
        query_buf: &'b mut [u8],
    ) -> Result<(&'a str, &'b str), Error> {
        let (h, q) = self.sign_text_into(req, secret_id, Some(header_buf), Some(query_buf))?;
        Ok((given(h)?, given(q)?))
    }

    /// The fused signing of [`sign_authorization_into`](Self::sign_authorization_into),
    /// [`sign_presigned_url_query_into`](Self::sign_presigned_url_query_into) and both at once:
    /// the texts of the buffers given. (Inlined into each of them on 64-bit targets, where
    /// the buffers not given fold away; one copy elsewhere, for smaller code.)
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn sign_text_into<'a, 'b, const N: usize>(
        &self,
        req: &Request<'_, N>,
        secret_id: &str,
        header_buf: Option<&'a mut [u8]>,
        query_buf: Option<&'b mut [u8]>,
    ) -> Result<(Option<&'a str>, Option<&'b str>), Error> {
        let (mut params, mut headers) = (Order::<N>::new(), Order::<N>::new());
        let mut h = Sha1::new();
        // x86_64: with more than two names, the name lists noted while the names are hashed,
        // in the form of the text written (the header's when both are). (With fewer, the
        // notes cost more than the lists they save.)
        #[cfg(target_arch = "x86_64")]
        let mut noted: (NameNote, NameNote);
        #[cfg(target_arch = "x86_64")]
        let notes = if req.params.len() + req.headers.len() > 2 {
            noted = (
                NameNote::new(header_buf.is_none()),
                NameNote::new(header_buf.is_none()),
            );
            sort_and_hash_noted(
                &mut h,
                req.method,
                req.path,
                (&mut params, req.params, &mut noted.0),
                (&mut headers, req.headers, &mut noted.1),
            )?;
            Some(&noted)
        } else {
            None
        };
        // (No notes elsewhere.)
        #[cfg(not(target_arch = "x86_64"))]
        let notes = None::<()>;
        if notes.is_none() {
            sort_and_hash(
                &mut h,
                req.method,
                req.path,
                (&mut params, req.params),
                (&mut headers, req.headers),
            )?;
        }
        let digest = h.finalize();
        let kt = &self.key_time_text;
        self.write_signed(
            &digest,
            (header_buf, query_buf),
            |o, query| put_auth_head(o, secret_id, kt, self.tails(), query),
            |o, query| {
                #[cfg(target_arch = "x86_64")]
                if let Some((pn, hn)) = notes
                    && let (Some(hl), Some(pl)) = (hn.list(query), pn.list(query))
                {
                    o.put_long(hl);
                    o.put(b"&q-url-param-list=");
                    o.put_long(pl);
                    o.put(b"&q-signature=");
                    return;
                }
                put_auth_lists(o, (&headers, req.headers), (&params, req.params), query)
            },
            |o| {
                if !req.params.is_empty() {
                    o.put(b"&");
                    ParamsQuery {
                        params: req.params,
                        plain: params.plain,
                    }
                    .render(o);
                }
            },
        )
    }

    /// Signs the HttpString's `digest` and writes the texts of the buffers given: `head` and
    /// `lists` (with whether the text is the pre-signed query) before the signature, `tail`
    /// after it in the query. All but the signature does not depend on the hashes. Written
    /// between them in the program, the processor runs it while the blocks before it are
    /// compressed: `head` during the HttpString's last block, `lists` and `tail` (after the
    /// signature's place, left for it) during the HMAC's inner blocks. (Written after the
    /// outer block in the program, the tail of a typical pre-signed query cost 15 ns more.)
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    pub(crate) fn write_signed<'a, 'b>(
        &self,
        digest: &[u8; 20],
        bufs: (Option<&'a mut [u8]>, Option<&'b mut [u8]>),
        head: impl Fn(&mut SliceOut<'_>, bool),
        lists: impl Fn(&mut SliceOut<'_>, bool),
        tail: impl Fn(&mut SliceOut<'_>),
    ) -> Result<(Option<&'a str>, Option<&'b str>), Error> {
        let kt = &self.key_time_text;
        let (mut ho, mut qo) = (bufs.0.map(SliceOut::new), bufs.1.map(SliceOut::new));
        if let Some(o) = &mut ho {
            head(o, false);
        }
        if let Some(o) = &mut qo {
            head(o, true);
        }
        let inner = self.mac.sts_inner(kt.sts_head(), kt.sts_head_len(), digest);
        if let Some(o) = &mut ho {
            lists(o, false);
        }
        if let Some(o) = &mut qo {
            lists(o, true);
        }
        let (at_h, at_q) = (
            ho.as_mut().map(|o| o.skip(40)),
            qo.as_mut().map(|o| o.skip(40)),
        );
        if let Some(o) = &mut qo {
            tail(o);
        }
        let signature = self.mac.outer_of(inner);
        if let (Some(o), Some(at)) = (&mut ho, at_h) {
            o.put_hex_at(at, &signature);
        }
        if let (Some(o), Some(at)) = (&mut qo, at_q) {
            o.put_hex_at(at, &signature);
        }
        Ok((
            ho.map(SliceOut::into_text).transpose()?,
            qo.map(SliceOut::into_text).transpose()?,
        ))
    }

    /// `hex(HMAC(SignKey, "sha1\n<KeyTime>\n<hex digest>\n"))`.
    pub(crate) fn sign_digest(&self, digest: &[u8; 20]) -> [u8; 40] {
        let kt = &self.key_time_text;
        hex20_public(&self.mac.mac_sts(kt.sts_head(), kt.sts_head_len(), digest))
    }

    /// [`sign_digest`](Self::sign_digest) written into `out`.
    #[inline]
    pub(crate) fn sign_digest_into(&self, digest: &[u8; 20], out: &mut [u8; 40]) {
        let kt = &self.key_time_text;
        hex20_public_into(
            out,
            &self.mac.mac_sts(kt.sts_head(), kt.sts_head_len(), digest),
        );
    }

    pub(crate) fn mac(&self) -> &HmacSha1 {
        &self.mac
    }

    /// The key time as text, with the StringToSign's head around it.
    pub(crate) fn key_time_text(&self) -> &TimeText {
        &self.key_time_text
    }

    /// The Authorization's fields after the secret id, when rendered once.
    #[inline]
    pub(crate) fn tails(&self) -> Tails<'_> {
        #[cfg(target_pointer_width = "64")]
        return self.tails.as_ref();
        #[cfg(not(target_pointer_width = "64"))]
        return None;
    }
}

/// The text of a buffer that was given (always there: a missing one reads as no room).
#[inline(always)]
pub(crate) fn given(text: Option<&str>) -> Result<&str, Error> {
    text.ok_or(Error::BufferTooSmall {
        needed: 0,
        available: 0,
    })
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.hex.fill(0);
        self.mac.wipe();
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_time", &self.key_time)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A pair whose name is signed: `(name, value)` of a [`Request`], `(name, fixed value)` of a
/// [`Template`](crate::Template).
pub(crate) trait Named {
    fn name(&self) -> &[u8];
}

impl Named for (&str, &str) {
    #[inline(always)]
    fn name(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Named for (&str, Option<&str>) {
    #[inline(always)]
    fn name(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Indices of the distinct names of a pair list, in signing order.
#[derive(Clone, Copy)]
pub(crate) struct Order<const N: usize> {
    idx: [u16; N],
    len: usize,
    /// Bit `i` (for `i < 64`): the name of pair `i` needs no escape (found while hashing).
    plain: u64,
}

impl<const N: usize> Order<N> {
    /// No pairs.
    pub(crate) const fn new() -> Self {
        const { assert!(N <= u16::MAX as usize, "capacity is at most 65535") };
        Self {
            idx: [0; N],
            len: 0,
            plain: 0,
        }
    }

    /// Sorts `pairs` into this empty order: a stable insertion sort by encoded-lowercased
    /// name; of equal names the last pair stays. False when there are more than `N`.
    pub(crate) fn sort<P: Named>(&mut self, pairs: &[P]) -> bool {
        self.sort_pairs(pairs).is_some()
    }

    fn sort_pairs<P: Named>(&mut self, pairs: &[P]) -> Option<()> {
        if pairs.len() > N {
            return None;
        }
        let o = self;
        for (i, pair) in pairs.iter().enumerate() {
            let name = pair.name();
            // Find where it goes: after every name <= it (stability), replacing an equal one.
            let mut j = o.len;
            let mut replace = false;
            while j > 0 {
                let prev = pairs.get(usize::from(*o.idx.get(j - 1)?))?.name();
                match cmp_names(prev, name) {
                    Ordering::Greater => j -= 1,
                    Ordering::Equal => {
                        replace = true;
                        break;
                    }
                    Ordering::Less => break,
                }
            }
            let i = u16::try_from(i).ok()?;
            if replace {
                *o.idx.get_mut(j - 1)? = i;
            } else {
                // A hand-written shift: `copy_within` pulls `memmove` into firmware builds.
                let mut k = o.len;
                while k > j {
                    *o.idx.get_mut(k)? = *o.idx.get(k - 1)?;
                    k -= 1;
                }
                *o.idx.get_mut(j)? = i;
                o.len += 1;
            }
        }
        Some(())
    }

    /// The indices of the signed pairs, in signing order.
    #[inline]
    pub(crate) fn indices(&self) -> &[u16] {
        self.idx.get(..self.len).unwrap_or_default()
    }

    /// Whether the name of pair `i` is known to need no escape.
    #[inline]
    fn is_plain(&self, i: u16) -> bool {
        self.plain & bit(i) != 0
    }
}

/// The bit of pair `i` in a plain-name mask (none past 63).
#[inline]
fn bit(i: u16) -> u64 {
    1u64.checked_shl(u32::from(i)).unwrap_or(0)
}

/// A signed request: its signature, the `q-header-list` and `q-url-param-list`, and the
/// texts built from them (Authorization, pre-signed query, HttpString, StringToSign).
#[derive(Clone, Copy)]
pub struct Signed<'r, const N: usize = 32> {
    method: &'r str,
    path: &'r str,
    params: &'r [(&'r str, &'r str)],
    headers: &'r [(&'r str, &'r str)],
    param_order: Order<N>,
    header_order: Order<N>,
    key_time: KeyTime,
    key_time_text: TimeText,
    signature: [u8; 40],
}

impl<const N: usize> fmt::Debug for Signed<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("key_time", &self.key_time)
            .field("header_list", &self.header_list())
            .field("param_list", &self.param_list())
            .field("signature", &self.signature())
            .finish()
    }
}

impl<'r, const N: usize> Signed<'r, N> {
    /// `q-signature`: 40 lowercase hex digits.
    pub fn signature(&self) -> &str {
        core::str::from_utf8(&self.signature).unwrap_or("")
    }

    /// The key time signed for (`q-sign-time` and `q-key-time`).
    pub const fn key_time(&self) -> KeyTime {
        self.key_time
    }

    /// `q-header-list`: the signed header names, encoded, lowercased, sorted, `;`-joined.
    pub fn header_list(&self) -> Text<NameList<'_, 'r, N>> {
        Text(NameList {
            pairs: self.headers,
            order: &self.header_order,
            query: false,
        })
    }

    /// `q-url-param-list`.
    pub fn param_list(&self) -> Text<NameList<'_, 'r, N>> {
        Text(NameList {
            pairs: self.params,
            order: &self.param_order,
            query: false,
        })
    }

    /// The Authorization header value:
    /// `q-sign-algorithm=sha1&q-ak=..&q-sign-time=..&q-key-time=..&q-header-list=..&q-url-param-list=..&q-signature=..`.
    pub fn authorization<'s>(&'s self, secret_id: &'s str) -> Text<AuthorizationText<'s, 'r, N>> {
        Text(AuthorizationText {
            signed: self,
            secret_id,
            query: false,
        })
    }

    /// The `q-*` pairs of a pre-signed URL, encoded as qcloud_cos's `urlencode` does
    /// (`;` → `%3B`, `%` → `%25`, space → `+`). The request's params are not included;
    /// [`params_query`](Signed::params_query) writes them.
    pub fn presigned_query<'s>(&'s self, secret_id: &'s str) -> Text<AuthorizationText<'s, 'r, N>> {
        Text(AuthorizationText {
            signed: self,
            secret_id,
            query: true,
        })
    }

    /// The request's params as a query (`name=value&...`, in the order given, names and
    /// values encoded as `quote_plus` does), to follow the `q-*` pairs after a `&`.
    pub fn params_query(&self) -> Text<ParamsQuery<'r>> {
        Text(ParamsQuery {
            params: self.params,
            plain: self.param_order.plain,
        })
    }

    /// The canonical `HttpString` (`method\npath\nparams\nheaders\n`), as COS returns it in
    /// `FormatString` on `SignatureDoesNotMatch`.
    pub fn http_string(&self) -> Text<HttpString<'_, 'r, N>> {
        self.http_string_render()
    }

    fn http_string_render(&self) -> Text<HttpString<'_, 'r, N>> {
        Text(HttpString { signed: self })
    }

    /// The `StringToSign` (`sha1\n<KeyTime>\n<sha1 of HttpString>\n`).
    pub fn string_to_sign(&self) -> Text<StringToSignOwned> {
        let mut h = Sha1::new();
        self.http_string_render().0.render(&mut h);
        Text(StringToSignOwned {
            key_time: self.key_time,
            digest_hex: hex20(&h.finalize()),
        })
    }
}

/// Renders a sorted name list.
#[derive(Clone, Copy)]
pub struct NameList<'s, 'r, const N: usize> {
    pairs: &'s [(&'r str, &'r str)],
    order: &'s Order<N>,
    query: bool,
}

impl<const N: usize> Render for NameList<'_, '_, N> {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        put_name_list(o, self.order, self.pairs, self.query);
    }
}

/// Writes the names of `pairs` in the signing order `order`, `;`-separated (`%3B` in a query).
#[cfg_attr(target_pointer_width = "64", inline(always))]
pub(crate) fn put_name_list<O: ByteOut + ?Sized, P: Named, const N: usize>(
    o: &mut O,
    order: &Order<N>,
    pairs: &[P],
    query: bool,
) {
    for (j, &i) in order.indices().iter().enumerate() {
        let Some(name) = pairs.get(usize::from(i)).map(Named::name) else {
            continue;
        };
        if j > 0 {
            if query {
                o.put(b"%3B");
            } else {
                o.put_byte(b';');
            }
        }
        if order.is_plain(i) {
            // No escape: both forms are the name lowercased.
            o.put_lower(name);
        } else if query {
            // The encoded name is unreserved characters and `%`: quote_plus turns `%` into `%25`.
            put_name_in_query(o, name);
        } else {
            put_name(o, name);
        }
    }
}

/// Renders the Authorization, in header form or as pre-signed query pairs.
#[derive(Clone, Copy)]
pub struct AuthorizationText<'s, 'r, const N: usize> {
    signed: &'s Signed<'r, N>,
    secret_id: &'s str,
    query: bool,
}

impl<const N: usize> Render for AuthorizationText<'_, '_, N> {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        let s = self.signed;
        put_auth_head(o, self.secret_id, &s.key_time_text, None, self.query);
        put_auth_lists(
            o,
            (&s.header_order, s.headers),
            (&s.param_order, s.params),
            self.query,
        );
        o.put(&s.signature);
    }
}

/// The Authorization's fields before the name lists, in header form or as pre-signed query
/// pairs: `q-sign-algorithm=sha1&q-ak=..&q-sign-time=..&q-key-time=..&q-header-list=`.
#[inline]
pub(crate) fn put_auth_head<O: ByteOut + ?Sized>(
    o: &mut O,
    secret_id: &str,
    kt: &TimeText,
    tails: Tails<'_>,
    query: bool,
) {
    o.put(b"q-sign-algorithm=sha1&q-ak=");
    #[cfg(target_pointer_width = "64")]
    if let Some(t) = tails {
        let tail: &[u8] = if query {
            put_query(o, secret_id.as_bytes());
            &t.query
        } else {
            o.put(secret_id.as_bytes());
            &t.auth
        };
        // In two pieces of known length (fixed-size copies, no `memcpy` call).
        if let Some((first, rest)) = tail.split_first_chunk::<64>() {
            o.put(first);
            o.put(rest);
        }
        return;
    }
    #[cfg(not(target_pointer_width = "64"))]
    let _ = tails;
    if query {
        put_query(o, secret_id.as_bytes());
        // Digits stay as they are; the `;` is `%3B`.
        let (start, end) = kt.halves();
        for label in [&b"&q-sign-time="[..], b"&q-key-time="] {
            o.put(label);
            o.put(start);
            o.put(b"%3B");
            o.put(end);
        }
    } else {
        o.put(secret_id.as_bytes());
        let kt = kt.as_bytes();
        for label in [&b"&q-sign-time="[..], b"&q-key-time="] {
            o.put(label);
            o.put(kt);
        }
    }
    o.put(b"&q-header-list=");
}

/// The [`HeadTails`] of a key, where it has them.
#[cfg(target_pointer_width = "64")]
pub(crate) type Tails<'k> = Option<&'k HeadTails>;
/// (No [`HeadTails`] on small targets.)
#[cfg(not(target_pointer_width = "64"))]
pub(crate) type Tails<'k> = Option<&'k core::convert::Infallible>;

/// The name lists and the label of the signature:
/// `<header list>&q-url-param-list=<param list>&q-signature=`.
#[inline]
pub(crate) fn put_auth_lists<O: ByteOut + ?Sized, P: Named, const N: usize>(
    o: &mut O,
    headers: (&Order<N>, &[P]),
    params: (&Order<N>, &[P]),
    query: bool,
) {
    // (No call for an empty list.)
    if headers.0.len > 0 {
        put_name_list(o, headers.0, headers.1, query);
    }
    o.put(b"&q-url-param-list=");
    if params.0.len > 0 {
        put_name_list(o, params.0, params.1, query);
    }
    o.put(b"&q-signature=");
}

/// Renders the params as a `quote_plus`-encoded query.
#[derive(Clone, Copy)]
pub struct ParamsQuery<'r> {
    params: &'r [(&'r str, &'r str)],
    /// Which names need no escape (bit `i` for pair `i`).
    plain: u64,
}

impl Render for ParamsQuery<'_> {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        for (i, (k, v)) in self.params.iter().enumerate() {
            if i > 0 {
                o.put(b"&");
            }
            if u16::try_from(i).is_ok_and(|i| self.plain & bit(i) != 0) {
                o.put(k.as_bytes());
            } else {
                put_query(o, k.as_bytes());
            }
            o.put(b"=");
            put_query(o, v.as_bytes());
        }
    }
}

/// Renders the HttpString.
#[derive(Clone, Copy)]
pub struct HttpString<'s, 'r, const N: usize> {
    signed: &'s Signed<'r, N>,
}

impl<const N: usize> HttpString<'_, '_, N> {
    /// Renders the HttpString and returns which names need no escape.
    #[inline]
    fn render_pairs<O: ByteOut + ?Sized>(&self, o: &mut O) -> (u64, u64) {
        let s = self.signed;
        put_http_string(
            o,
            s.method,
            s.path,
            (&s.param_order, s.params),
            (&s.header_order, s.headers),
        )
    }
}

/// Writes the HttpString and returns which names need no escape (param names, header
/// names; bit `i` for pair `i`).
#[inline]
fn put_http_string<O: ByteOut + ?Sized, const N: usize>(
    o: &mut O,
    method: &str,
    path: &str,
    params: (&Order<N>, &[(&str, &str)]),
    headers: (&Order<N>, &[(&str, &str)]),
) -> (u64, u64) {
    let params = put_http_head(o, method, path, params);
    (params, put_pair_list(o, headers))
}

/// The HttpString up to the headers, `method\npath\nparams\n`; returns which param names
/// need no escape.
#[inline]
fn put_http_head<O: ByteOut + ?Sized, const N: usize>(
    o: &mut O,
    method: &str,
    path: &str,
    params: (&Order<N>, &[(&str, &str)]),
) -> u64 {
    put_method_and_path(o, method, path);
    o.put_byte(b'\n');
    put_pair_list(o, params)
}

/// The HttpString's start, `lower(method)\npath` (a request's, a template call's, a rebuilt
/// one's).
#[cfg_attr(target_pointer_width = "64", inline(always))]
pub(crate) fn put_method_and_path<O: ByteOut + ?Sized>(o: &mut O, method: &str, path: &str) {
    put_method(o, method);
    o.put_byte(b'\n');
    o.put(path.as_bytes());
}

/// [`put_method_and_path`] into a hasher that holds nothing yet; with `LONG` (x86_64) a
/// method and path that fill the first block go in through [`Sha1::start_method_path`].
#[inline(always)]
pub(crate) fn start_message<const LONG: bool>(h: &mut Sha1, method: &str, path: &str) {
    #[cfg(target_arch = "x86_64")]
    if LONG && h.start_method_path(method.as_bytes(), path.as_bytes()) {
        return;
    }
    put_method_and_path(h, method, path);
}

/// One list of pairs of the HttpString and its `\n` (the params, or the headers: the rest of
/// the HttpString); returns which names need no escape.
#[inline]
fn put_pair_list<O: ByteOut + ?Sized, const N: usize>(
    o: &mut O,
    pairs: (&Order<N>, &[(&str, &str)]),
) -> u64 {
    // (No call for an empty list: most requests have no params.)
    let plain = if pairs.0.len == 0 {
        0
    } else {
        put_pairs(o, pairs.0, pairs.1)
    };
    o.put_byte(b'\n');
    plain
}

/// Sorts the params and the headers of a request into `params` and `headers` (both empty)
/// and hashes its HttpString into `h` (which holds nothing yet). The headers are sorted
/// only once the params are hashed: the processor sorts them while the blocks filled by
/// then are compressed.
///
/// On x86_64 a method and path that fill the first block take a copy of the code of their
/// own ([`sort_and_hash_as`] with `LONG`): with one copy for both, where the two starts met
/// again, the other requests took about 4 ns more.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline)]
fn sort_and_hash<const N: usize>(
    h: &mut Sha1,
    method: &str,
    path: &str,
    params: (&mut Order<N>, &[(&str, &str)]),
    headers: (&mut Order<N>, &[(&str, &str)]),
) -> Result<(), Error> {
    #[cfg(target_arch = "x86_64")]
    if fills_first_block(method.as_bytes(), path.as_bytes()) {
        return sort_and_hash_as::<N, true>(h, method, path, params, headers);
    }
    sort_and_hash_as::<N, false>(h, method, path, params, headers)
}

/// [`sort_and_hash`], the method and path started as [`start_message`] says.
#[inline(always)]
fn sort_and_hash_as<const N: usize, const LONG: bool>(
    h: &mut Sha1,
    method: &str,
    path: &str,
    params: (&mut Order<N>, &[(&str, &str)]),
    headers: (&mut Order<N>, &[(&str, &str)]),
) -> Result<(), Error> {
    if !params.0.sort(params.1) {
        return Err(Error::TooManyParams { max: N });
    }
    // (Without `LONG`, the shared `put_http_head` as before: spelt out here for every target,
    // it cost the Cortex-M firmware 28 bytes.)
    params.0.plain = if LONG {
        start_message::<true>(h, method, path);
        h.put_byte(b'\n');
        put_pair_list(h, (params.0, params.1))
    } else {
        put_http_head(h, method, path, (params.0, params.1))
    };
    if !headers.0.sort(headers.1) {
        return Err(Error::TooManyHeaders { max: N });
    }
    headers.0.plain = put_pair_list(h, (headers.0, headers.1));
    Ok(())
}

/// [`sort_and_hash`], the names of each list noted as they are hashed (x86_64).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sort_and_hash_noted<const N: usize>(
    h: &mut Sha1,
    method: &str,
    path: &str,
    params: (&mut Order<N>, &[(&str, &str)], &mut NameNote),
    headers: (&mut Order<N>, &[(&str, &str)], &mut NameNote),
) -> Result<(), Error> {
    if fills_first_block(method.as_bytes(), path.as_bytes()) {
        return sort_and_hash_noted_as::<N, true>(h, method, path, params, headers);
    }
    sort_and_hash_noted_as::<N, false>(h, method, path, params, headers)
}

/// [`sort_and_hash_noted`], the method and path started as [`start_message`] says.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sort_and_hash_noted_as<const N: usize, const LONG: bool>(
    h: &mut Sha1,
    method: &str,
    path: &str,
    params: (&mut Order<N>, &[(&str, &str)], &mut NameNote),
    headers: (&mut Order<N>, &[(&str, &str)], &mut NameNote),
) -> Result<(), Error> {
    if !params.0.sort(params.1) {
        return Err(Error::TooManyParams { max: N });
    }
    start_message::<LONG>(h, method, path);
    h.put_byte(b'\n');
    params.0.plain = put_pair_list_noted(h, params.0, params.1, params.2);
    if !headers.0.sort(headers.1) {
        return Err(Error::TooManyHeaders { max: N });
    }
    headers.0.plain = put_pair_list_noted(h, headers.0, headers.1, headers.2);
    Ok(())
}

/// [`put_pair_list`] into the hasher, the names noted (x86_64).
#[cfg(target_arch = "x86_64")]
#[inline]
fn put_pair_list_noted<const N: usize>(
    h: &mut Sha1,
    order: &Order<N>,
    pairs: &[(&str, &str)],
    note: &mut NameNote,
) -> u64 {
    let plain = if order.len == 0 {
        0
    } else {
        pair_loop(order, pairs, |first, k, v| {
            h.put_pair_noted(first, k, v, note)
        })
    };
    h.put_byte(b'\n');
    plain
}

impl<const N: usize> Render for HttpString<'_, '_, N> {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        self.render_pairs(o);
    }
}

/// Writes `name=value&...` in signing order; returns which names needed no escape.
fn put_pairs<O: ByteOut + ?Sized, const N: usize>(
    o: &mut O,
    order: &Order<N>,
    pairs: &[(&str, &str)],
) -> u64 {
    pair_loop(order, pairs, |first, k, v| o.put_pair(first, k, v))
}

/// `put(first, name, value)` for each pair in `order` (it returns the name's encoded
/// length); which names need no escape (bit `i` for pair `i`).
#[inline(always)]
fn pair_loop<const N: usize>(
    order: &Order<N>,
    pairs: &[(&str, &str)],
    mut put: impl FnMut(bool, &[u8], &[u8]) -> usize,
) -> u64 {
    let mut plain = 0;
    for (j, &i) in order.indices().iter().enumerate() {
        let Some((k, v)) = pairs.get(usize::from(i)) else {
            continue;
        };
        if put(j == 0, k.as_bytes(), v.as_bytes()) == k.len() {
            plain |= bit(i);
        }
    }
    plain
}

/// Writes the method with ASCII letters lowercased, in whole UTF-8 pieces: a usual method in
/// one `put` through a small buffer, a long one in runs.
#[cfg_attr(target_pointer_width = "64", inline(always))]
fn put_method<O: ByteOut + ?Sized>(o: &mut O, method: &str) {
    let m = method.as_bytes();
    let mut buf = [0u8; 16];
    if let Some(dst) = buf.get_mut(..m.len()) {
        for (d, &b) in dst.iter_mut().zip(m) {
            *d = b.to_ascii_lowercase();
        }
        o.put(dst);
        return;
    }
    let mut run = 0;
    for (i, &b) in m.iter().enumerate() {
        if b.is_ascii_uppercase() {
            if run < i {
                o.put(m.get(run..i).unwrap_or(&[]));
            }
            o.put(&[b.to_ascii_lowercase()]);
            run = i + 1;
        }
    }
    if run < m.len() {
        o.put(m.get(run..).unwrap_or(&[]));
    }
}

/// Renders a StringToSign from a key time and the hex SHA-1 of the HttpString.
pub(crate) struct StringToSign<'d> {
    pub(crate) key_time: KeyTime,
    pub(crate) digest_hex: &'d [u8; 40],
}

impl Render for StringToSign<'_> {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        o.put(b"sha1\n");
        o.put(self.key_time.text().as_bytes());
        o.put(b"\n");
        o.put(self.digest_hex);
        o.put(b"\n");
    }
}

/// A StringToSign that owns its digest.
#[derive(Clone, Copy)]
pub struct StringToSignOwned {
    pub(crate) key_time: KeyTime,
    pub(crate) digest_hex: [u8; 40],
}

impl Render for StringToSignOwned {
    fn render<O: ByteOut + ?Sized>(&self, o: &mut O) {
        StringToSign {
            key_time: self.key_time,
            digest_hex: &self.digest_hex,
        }
        .render(o);
    }
}

impl<const N: usize> fmt::Debug for NameList<'_, '_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameList").finish_non_exhaustive()
    }
}

impl<const N: usize> fmt::Debug for AuthorizationText<'_, '_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationText").finish_non_exhaustive()
    }
}

impl fmt::Debug for ParamsQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParamsQuery").finish_non_exhaustive()
    }
}

impl<const N: usize> fmt::Debug for HttpString<'_, '_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpString").finish_non_exhaustive()
    }
}

impl fmt::Debug for StringToSignOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringToSignOwned").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::sink::Form;
    use std::string::String;
    use std::vec::Vec;

    /// Collects what is put.
    struct Collect(Vec<u8>);
    impl ByteOut for Collect {
        fn put(&mut self, b: &[u8]) {
            self.0.extend_from_slice(b);
        }

        fn put_encoded(&mut self, _: &[u8], _: Form) -> usize {
            unreachable!("the method and path are not encoded")
        }
    }

    /// The one-call texts (on x86_64 their name lists are noted while the names are hashed)
    /// equal the two-step API's: plain names of every length around the 16- and 32-byte
    /// pieces a name is noted in, lists shorter and longer than a note's room, names in
    /// any order, a name that needs an escape among them; in each text and in both at once.
    #[test]
    fn one_call_lists_equal_the_two_step_ones() {
        use crate::KeyTime;
        let key = SigningKey::derive(b"secret", KeyTime::new(1557989151, 1557996351));
        let id = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
        let names: Vec<String> = (1..=40)
            .map(|n| {
                (0..n)
                    .map(|i| char::from(b'A' + (i * 7 % 26) as u8))
                    .collect()
            })
            .collect();
        for count in [1, 2, 3, 5, 8] {
            for start in 0..names.len() {
                let mut headers: Vec<(&str, &str)> = (0..count)
                    .map(|k| (names[(start + 7 * k) % names.len()].as_str(), "v a"))
                    .collect();
                if start % 5 == 0 {
                    headers.insert(count / 2, ("X Y", "v"));
                }
                let params: Vec<(&str, &str)> =
                    headers.iter().rev().take(start % 4).copied().collect();
                let req = Request::new("GET", "/a").headers(&headers).params(&params);
                let signed = key.sign(&req).unwrap();
                let auth = std::format!("{}", signed.authorization(id));
                let query = if params.is_empty() {
                    std::format!("{}", signed.presigned_query(id))
                } else {
                    std::format!("{}&{}", signed.presigned_query(id), signed.params_query())
                };
                let mut buf = [0u8; 4096];
                assert_eq!(
                    key.sign_authorization_into(&req, id, &mut buf).unwrap(),
                    auth
                );
                assert_eq!(
                    key.sign_presigned_url_query_into(&req, id, &mut buf)
                        .unwrap(),
                    query
                );
                let (mut a, mut b) = ([0u8; 4096], [0u8; 4096]);
                let (h, q) = key
                    .sign_authorization_and_query_into(&req, id, &mut a, &mut b)
                    .unwrap();
                assert_eq!((h, q), (auth.as_str(), query.as_str()));
                // Exactly the room the text needs.
                let mut exact = std::vec![0u8; auth.len()];
                assert_eq!(
                    key.sign_authorization_into(&req, id, &mut exact).unwrap(),
                    auth
                );
            }
        }
    }

    /// `lower(method)\npath` for methods of every length around the 16-byte buffer of a
    /// usual method, with upper and lower case letters, other ASCII and multi-byte
    /// characters.
    #[test]
    fn method_and_path_equal_the_ascii_lowercase() {
        let chars = ['G', 'e', 'T', '-', 'Z', '@', '[', 'É', 'ß', '📊'];
        let mut next = crate::xorshift(0x51ed_2701_99aa_4b3c);
        for len in 0..24 {
            for _ in 0..40 {
                let method: String = (0..len)
                    .map(|_| chars[(next() % chars.len() as u64) as usize])
                    .collect();
                let mut o = Collect(Vec::new());
                put_method_and_path(&mut o, &method, "/Path/É");
                let want = std::format!("{}\n/Path/É", method.to_ascii_lowercase());
                assert_eq!(o.0, want.as_bytes(), "{method:?}");
            }
        }
    }
}
