//! Texts the crate produces (Authorization, pre-signed query, HttpString...), each written on
//! demand into whatever the caller owns.

use core::fmt;

use crate::Error;
#[cfg(target_pointer_width = "64")]
use crate::encode::{all_plain, encode_direct};
use crate::encode::{encode_staged, encoded_len};
use crate::sha::hex20_public_into;
use crate::sink::{ByteOut, Form, copy_small, lower_into};

mod sealed {
    pub trait Render {
        /// Writes the text into `o`.
        fn render<O: crate::sink::ByteOut + ?Sized>(&self, o: &mut O);

        /// Writes the text at the start of `buf` and returns its length, which is more than
        /// `buf.len()` when it does not fit (`buf` holds nothing usable then). A text whose
        /// length is cheap to know ahead writes itself straight into the exact room.
        #[inline]
        fn write_slice(&self, buf: &mut [u8]) -> Result<usize, usize> {
            super::render_slice(self, buf)
        }
    }
}
pub(crate) use sealed::Render;

/// [`Render::write_slice`] through a [`SliceOut`]: one pass; past the end of `buf` the
/// writer only counts, so it ends with the text's length either way.
#[inline]
pub(crate) fn render_slice<R: Render + ?Sized>(r: &R, buf: &mut [u8]) -> Result<usize, usize> {
    let mut out = SliceOut::new(buf);
    r.render(&mut out);
    out.written()
}

/// The text a writer left at the start of `buf` (`Ok` with its length), or
/// [`Error::BufferTooSmall`] with the length it needed (`Err`).
#[inline]
fn text_in(buf: &mut [u8], written: Result<usize, usize>) -> Result<&str, Error> {
    let available = buf.len();
    let buf: &[u8] = buf;
    match written {
        Ok(n) => buf
            .get(..n)
            .and_then(|w| core::str::from_utf8(w).ok())
            .ok_or(Error::BufferTooSmall {
                needed: n,
                available,
            }),
        Err(needed) => Err(Error::BufferTooSmall { needed, available }),
    }
}

/// A text that is produced on demand: measure it with [`len`](Text::len), write it into a
/// byte buffer with [`write_into`](Text::write_into), into a `heapless::String` with
/// [`to_heapless`](Text::to_heapless), or anywhere through [`fmt::Display`].
#[derive(Clone, Copy)]
pub struct Text<R>(pub(crate) R);

/// Counts the bytes put.
pub(crate) struct Counter(pub(crate) usize);

impl ByteOut for Counter {
    #[inline]
    fn put(&mut self, b: &[u8]) {
        self.0 += b.len();
    }

    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        let n = encoded_len(s, form);
        self.0 += n;
        n
    }

    fn put_lower(&mut self, s: &[u8]) {
        self.0 += s.len();
    }
}

/// Writes at the start of a slice; past its end it only counts.
pub(crate) struct SliceOut<'a> {
    buf: &'a mut [u8],
    pos: usize,
    overflow: bool,
}

impl<'a> SliceOut<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            overflow: false,
        }
    }

    /// Where the next byte goes (past the end once the slice ran out).
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Leaves `n` bytes to be written later ([`put_hex_at`](Self::put_hex_at)); returns where.
    #[inline]
    pub(crate) fn skip(&mut self, n: usize) -> usize {
        let at = self.pos;
        self.pos = self.pos.saturating_add(n);
        if self.pos > self.buf.len() {
            self.overflow = true;
        }
        at
    }

    /// [`put`](ByteOut::put) for a piece that may be longer than 64 bytes (x86_64): 16-byte
    /// copies, the last one overlapping, not a `memcpy` call.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    pub(crate) fn put_long(&mut self, b: &[u8]) {
        let end = self.pos.saturating_add(b.len());
        match self.buf.get_mut(self.pos..end) {
            Some(dst) if b.len() >= 16 => {
                for (d, s) in dst
                    .as_chunks_mut::<16>()
                    .0
                    .iter_mut()
                    .zip(b.as_chunks::<16>().0)
                {
                    *d = *s;
                }
                if let (Some(d), Some(s)) = (dst.last_chunk_mut::<16>(), b.last_chunk::<16>()) {
                    *d = *s;
                }
            }
            Some(dst) => copy_small(dst, b),
            None => self.overflow = true,
        }
        self.pos = end;
    }

    /// Writes the hex of `digest` where [`skip`](Self::skip) left room for it.
    #[inline]
    pub(crate) fn put_hex_at(&mut self, at: usize, digest: &[u8; 20]) {
        if let Some(d) = self
            .buf
            .get_mut(at..)
            .and_then(|r| r.first_chunk_mut::<40>())
        {
            hex20_public_into(d, digest);
        }
    }

    /// The length written, or (when the slice ran out) the length the text needed.
    #[inline]
    pub(crate) fn written(&self) -> Result<usize, usize> {
        if self.overflow {
            Err(self.pos)
        } else {
            Ok(self.pos)
        }
    }

    /// The text written, or [`Error::BufferTooSmall`] with the length it needed.
    #[inline]
    pub(crate) fn into_text(self) -> Result<&'a str, Error> {
        let written = self.written();
        text_in(self.buf, written)
    }
}
impl ByteOut for SliceOut<'_> {
    #[inline]
    fn put(&mut self, b: &[u8]) {
        let end = self.pos.saturating_add(b.len());
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => copy_small(dst, b),
            None => self.overflow = true,
        }
        self.pos = end;
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        // A value with nothing to escape (a q-ak, most param values) is one copy.
        #[cfg(target_pointer_width = "64")]
        if matches!(form, Form::Value | Form::Query) && all_plain(s) {
            self.put(s);
            return s.len();
        }
        #[cfg(target_pointer_width = "64")]
        if let Some(d) = self.buf.get_mut(self.pos..)
            && let Some(n) = encode_direct(d, s, form)
        {
            self.pos += n;
            return n;
        }
        encode_staged(self, s, form)
    }

    #[inline]
    fn put_byte(&mut self, b: u8) {
        match self.buf.get_mut(self.pos) {
            Some(d) => *d = b,
            None => self.overflow = true,
        }
        self.pos = self.pos.saturating_add(1);
    }

    #[inline]
    fn put_lower(&mut self, s: &[u8]) {
        let end = self.pos.saturating_add(s.len());
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => lower_into(dst, s),
            None => self.overflow = true,
        }
        self.pos = end;
    }
}

/// Every piece a renderer puts is whole UTF-8 (ASCII escapes, or whole `&str`s).
pub(crate) struct FmtOut<'a, W: fmt::Write + ?Sized> {
    w: &'a mut W,
    result: fmt::Result,
}

impl<'a, W: fmt::Write + ?Sized> FmtOut<'a, W> {
    pub(crate) fn new(w: &'a mut W) -> Self {
        Self { w, result: Ok(()) }
    }
}

impl<W: fmt::Write + ?Sized> ByteOut for FmtOut<'_, W> {
    fn put(&mut self, b: &[u8]) {
        if self.result.is_ok() {
            self.result = match core::str::from_utf8(b) {
                Ok(s) => self.w.write_str(s),
                Err(_) => Err(fmt::Error),
            };
        }
    }

    fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
        encode_staged(self, s, form)
    }
}

impl<R: Render> Text<R> {
    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        let mut c = Counter(0);
        self.0.render(&mut c as &mut dyn ByteOut);
        c.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the text at the start of `buf` and returns it.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `buf` is shorter than [`len`](Text::len); `buf` holds
    /// nothing usable then.
    pub fn write_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let written = self.0.write_slice(buf);
        text_in(buf, written)
    }

    /// The text as a `heapless::String` of capacity `M`.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when the text is longer than `M`.
    pub fn to_heapless<const M: usize>(&self) -> Result<heapless::String<M>, Error> {
        let needed = self.len();
        if needed > M {
            return Err(Error::BufferTooSmall {
                needed,
                available: M,
            });
        }
        let mut s = heapless::String::new();
        let mut out = FmtOut::new(&mut s);
        self.0.render(&mut out);
        match out.result {
            Ok(()) => Ok(s),
            Err(_) => Err(Error::BufferTooSmall {
                needed,
                available: M,
            }),
        }
    }
}

impl<R: Render> fmt::Display for Text<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = FmtOut::new(f);
        self.0.render(&mut out);
        out.result
    }
}

impl<R: Render> fmt::Debug for Text<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Text(")?;
        fmt::Display::fmt(self, f)?;
        f.write_str(")")
    }
}

impl<R: Render> PartialEq<str> for Text<R> {
    fn eq(&self, other: &str) -> bool {
        struct Cmp<'a> {
            rest: &'a [u8],
            ok: bool,
        }
        impl ByteOut for Cmp<'_> {
            fn put(&mut self, b: &[u8]) {
                match self.rest.strip_prefix(b) {
                    Some(r) if self.ok => self.rest = r,
                    _ => self.ok = false,
                }
            }

            fn put_encoded(&mut self, s: &[u8], form: Form) -> usize {
                encode_staged(self, s, form)
            }
        }
        let mut c = Cmp {
            rest: other.as_bytes(),
            ok: true,
        };
        self.0.render(&mut c);
        c.ok && c.rest.is_empty()
    }
}

impl<R: Render> PartialEq<&str> for Text<R> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}
