//! The body of a SigV4 request, checked as it streams: the hex SHA-256 of
//! `x-amz-content-sha256`, the aws-chunked framing of `STREAMING-*` payloads (each chunk's
//! signature chained from the seed signature, the trailer's signature, or unsigned chunks
//! with a trailer), `x-amz-decoded-content-length`, and an `x-amz-checksum-*` value sent as
//! a header or a trailer (CRC-32, CRC-32C, CRC-64/NVME, SHA-1, SHA-256).
//!
//! A check that fails is an error of the body stream *before* its end, so the operation
//! reading it never sees a complete body and stores nothing; the same error is returned
//! again if the body is polled after it. Chunk header lines are at most [`MAX_LINE`] bytes and
//! trailers at most [`MAX_TRAILER`] bytes.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use hyper::StatusCode;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::checksum::{ChecksumAlgo, Summer};
use super::error::CosError;
use super::sigv4_key::{hex, sign_hex};

/// The longest chunk header line (`<hex size>;chunk-signature=<64 hex>`) or trailer line.
pub const MAX_LINE: usize = 4096;
/// The most trailer bytes.
pub const MAX_TRAILER: usize = 16 * 1024;
/// SHA-256 of nothing.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What `x-amz-content-sha256` says of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `UNSIGNED-PAYLOAD`: the body is not covered.
    Unsigned,
    /// The hex SHA-256 of the body.
    Sha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (`trailer`: `-TRAILER`): signed aws-chunked.
    Signed { trailer: bool },
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, unsigned chunks, a trailer.
    UnsignedTrailer,
}

impl Payload {
    /// Reads an `x-amz-content-sha256` value.
    ///
    /// # Errors
    /// 501 for ECDSA streaming, 400 `InvalidArgument` for anything else unknown.
    pub fn parse(v: &str) -> Result<Self, CosError> {
        match v {
            "UNSIGNED-PAYLOAD" => return Ok(Self::Unsigned),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => return Ok(Self::Signed { trailer: false }),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => {
                return Ok(Self::Signed { trailer: true });
            }
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => return Ok(Self::UnsignedTrailer),
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
            | "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" => {
                return Err(super::error::not_implemented("SigV4a (ECDSA) streaming"));
            }
            _ => {}
        }
        let mut out = [0u8; 32];
        let b = v.as_bytes();
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let ok = b.len() == 64
            && out.iter_mut().enumerate().all(|(i, o)| {
                match (nibble(b[2 * i]), nibble(b[2 * i + 1])) {
                    (Some(h), Some(l)) => {
                        *o = h << 4 | l;
                        true
                    }
                    _ => false,
                }
            });
        if ok {
            Ok(Self::Sha256(out))
        } else {
            Err(CosError::new(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER), STREAMING-UNSIGNED-PAYLOAD-TRAILER or a lowercase hex SHA-256.",
            ))
        }
    }

    /// aws-chunked framing.
    pub fn is_streaming(&self) -> bool {
        matches!(self, Self::Signed { .. } | Self::UnsignedTrailer)
    }

    /// A trailer may follow the last chunk.
    pub fn has_trailer(&self) -> bool {
        matches!(self, Self::Signed { trailer: true } | Self::UnsignedTrailer)
    }

    /// The signature covers the body's bytes.
    pub fn covers_body(&self) -> bool {
        matches!(self, Self::Sha256(_) | Self::Signed { .. })
    }
}

/// How the body of a verified SigV4 request is checked (see the module docs).
#[derive(Clone)]
pub struct BodyCheck {
    pub(crate) payload: Payload,
    /// An `x-amz-checksum-*` header: its algorithm and value.
    pub(crate) checksum: Option<(ChecksumAlgo, Vec<u8>)>,
    /// The checksum the `x-amz-trailer` header announces.
    pub(crate) trailer: Option<ChecksumAlgo>,
    pub(crate) decoded_len: Option<u64>,
    /// The request's signature: the first chunk's previous signature.
    pub(crate) seed_signature: String,
    /// The signing key of the request's scope (for chunk signatures).
    pub(crate) signing_key: [u8; 32],
    pub(crate) amz_date: String,
    pub(crate) scope: String,
}

impl fmt::Debug for BodyCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyCheck")
            .field("payload", &self.payload)
            .field("checksum", &self.checksum.as_ref().map(|c| c.0))
            .field("trailer", &self.trailer)
            .field("decoded_len", &self.decoded_len)
            .field("signing_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// What verification found, handed to the operations and the body.
#[derive(Debug, Clone)]
pub struct SigV4Info {
    /// How the body is checked as it streams.
    pub(crate) body: BodyCheck,
    /// Whether the body's bytes are covered (a hex payload hash, signed chunks, or a
    /// checksum): such a request needs no `Content-MD5` where COS requires one.
    pub(crate) body_covered: bool,
}

/// A failure of the body, kept so a later poll returns it again.
#[derive(Debug, Clone)]
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn error(&self) -> CosError {
        CosError::new(self.status, self.code, self.message.clone())
    }
}

fn incomplete(msg: impl Into<String>) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, "IncompleteBody", msg)
}

fn bad_chunk(msg: impl Into<String>) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, "InvalidChunkSizeError", msg)
}

fn chunk_signature_mismatch() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
        "The chunk signature we calculated does not match the signature you provided.",
    )
}

/// An error of a request body: the connection's, or a check's.
#[derive(Debug)]
pub enum BodyError {
    /// Reading failed (the connection).
    Io(hyper::Error),
    /// A check failed: the refusal to answer.
    Refused(CosError),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => e.fmt(f),
            Self::Refused(e) => write!(f, "{}: {}", e.code, e.message),
        }
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    /// The refusal: a check's own, or 400 `IncompleteBody` for the connection's.
    pub(crate) fn into_cos(self) -> CosError {
        match self {
            Self::Io(e) => CosError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                format!("The request body ended early: {e}"),
            ),
            Self::Refused(e) => e,
        }
    }
}

#[derive(Debug)]
enum State {
    Header,
    Data { left: u64, sig: Option<String> },
    DataEnd { sig: Option<String>, last: bool },
    Trailer,
    Done,
}

/// The checks of one body.
struct Checker {
    check: BodyCheck,
    sha: Option<Sha256>,
    sum: Option<Summer>,
    decoded: u64,
    buf: BytesMut,
    state: State,
    prev_sig: String,
    chunk_sha: Sha256,
    trailer_bytes: usize,
    trailers: Vec<(String, String)>,
    out: VecDeque<Bytes>,
}

impl Checker {
    fn new(check: BodyCheck) -> Self {
        let sha = matches!(check.payload, Payload::Sha256(_)).then(Sha256::new);
        let algo = check.checksum.as_ref().map(|c| c.0).or(check.trailer);
        Self {
            sha,
            sum: algo.map(Summer::new),
            decoded: 0,
            buf: BytesMut::new(),
            state: State::Header,
            prev_sig: check.seed_signature.clone(),
            chunk_sha: Sha256::new(),
            trailer_bytes: 0,
            trailers: Vec::new(),
            out: VecDeque::new(),
            check,
        }
    }

    fn emit(&mut self, data: Bytes) {
        if let Some(s) = &mut self.sum {
            s.update(&data);
        }
        self.decoded = self.decoded.saturating_add(data.len() as u64);
        if !data.is_empty() {
            self.out.push_back(data);
        }
    }

    fn feed(&mut self, data: Bytes) -> Result<(), Failure> {
        if !self.check.payload.is_streaming() {
            if let Some(h) = &mut self.sha {
                h.update(&data);
            }
            self.emit(data);
            return Ok(());
        }
        self.buf.extend_from_slice(&data);
        self.decode()
    }

    fn line(&mut self) -> Result<Option<String>, Failure> {
        let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") else {
            if self.buf.len() > MAX_LINE {
                return Err(bad_chunk("A chunk header or trailer line is too long."));
            }
            return Ok(None);
        };
        if pos > MAX_LINE {
            return Err(bad_chunk("A chunk header or trailer line is too long."));
        }
        let line = self.buf.split_to(pos);
        self.buf.advance(2);
        String::from_utf8(line.to_vec())
            .map(Some)
            .map_err(|_| bad_chunk("A chunk header is not UTF-8."))
    }

    fn chunk_sts(&self, chunk_hash: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{chunk_hash}",
            self.check.amz_date, self.check.scope, self.prev_sig
        )
    }

    fn verify_chunk(&mut self, sig: Option<String>) -> Result<(), Failure> {
        let hash = hex(&std::mem::take(&mut self.chunk_sha).finalize());
        let Some(given) = sig else { return Ok(()) };
        let expected = sign_hex(&self.check.signing_key, &self.chunk_sts(&hash));
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(chunk_signature_mismatch());
        }
        self.prev_sig = expected;
        Ok(())
    }

    fn decode(&mut self) -> Result<(), Failure> {
        let signed = matches!(self.check.payload, Payload::Signed { .. });
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Header => {
                    let Some(line) = self.line()? else {
                        self.state = State::Header;
                        return Ok(());
                    };
                    let (size, ext) = match line.split_once(';') {
                        Some((s, e)) => (s, Some(e)),
                        None => (line.as_str(), None),
                    };
                    if size.is_empty()
                        || size.len() > 16
                        || !size.bytes().all(|b| b.is_ascii_hexdigit())
                    {
                        return Err(bad_chunk("A chunk size is not hex."));
                    }
                    let size = u64::from_str_radix(size, 16)
                        .map_err(|_| bad_chunk("A chunk size is not hex."))?;
                    let sig = match (signed, ext) {
                        (true, Some(e)) => {
                            let s = e.strip_prefix("chunk-signature=").ok_or_else(|| {
                                bad_chunk("A signed chunk needs chunk-signature=.")
                            })?;
                            if s.len() != 64 {
                                return Err(chunk_signature_mismatch());
                            }
                            Some(s.to_owned())
                        }
                        (true, None) => {
                            return Err(bad_chunk("A signed chunk needs chunk-signature=."));
                        }
                        (false, None) => None,
                        (false, Some(_)) => {
                            return Err(bad_chunk("An unsigned chunk has no extensions."));
                        }
                    };
                    if size == 0 {
                        if self.check.payload.has_trailer() {
                            self.verify_chunk(sig)?;
                            self.state = State::Trailer;
                        } else {
                            self.state = State::DataEnd { sig, last: true };
                        }
                    } else {
                        self.state = State::Data { left: size, sig };
                    }
                }
                State::Data { left, sig } => {
                    if self.buf.is_empty() {
                        self.state = State::Data { left, sig };
                        return Ok(());
                    }
                    let n = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(self.buf.len());
                    let data = self.buf.split_to(n).freeze();
                    self.chunk_sha.update(&data);
                    self.emit(data);
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd { sig, last: false }
                    } else {
                        State::Data { left, sig }
                    };
                }
                State::DataEnd { sig, last } => {
                    if self.buf.len() < 2 {
                        self.state = State::DataEnd { sig, last };
                        return Ok(());
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err(bad_chunk("A chunk's data is not followed by CRLF."));
                    }
                    self.buf.advance(2);
                    self.verify_chunk(sig)?;
                    self.state = if last { State::Done } else { State::Header };
                }
                State::Trailer => {
                    let Some(line) = self.line()? else {
                        self.state = State::Trailer;
                        return Ok(());
                    };
                    self.trailer_bytes += line.len() + 2;
                    if self.trailer_bytes > MAX_TRAILER {
                        return Err(bad_chunk("The trailer is too long."));
                    }
                    if line.is_empty() {
                        self.end_trailer()?;
                        self.state = State::Done;
                        continue;
                    }
                    let (n, v) = line
                        .split_once(':')
                        .ok_or_else(|| bad_chunk("A trailer line is not name:value."))?;
                    self.trailers
                        .push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
                    self.state = State::Trailer;
                }
                State::Done => {
                    if !self.buf.is_empty() {
                        return Err(bad_chunk("Bytes follow the final chunk."));
                    }
                    return Ok(());
                }
            }
        }
    }

    /// The trailer's lines: the announced checksum (once), and with signed chunks, the
    /// trailer signature.
    fn end_trailer(&mut self) -> Result<(), Failure> {
        let signed = matches!(self.check.payload, Payload::Signed { .. });
        let mut canonical = String::new();
        let mut signature = None;
        for (n, v) in &self.trailers {
            if n == "x-amz-trailer-signature" && signed {
                if signature.replace(v.clone()).is_some() {
                    return Err(bad_chunk("The trailer signature appears twice."));
                }
            } else {
                canonical.push_str(&format!("{n}:{v}\n"));
            }
        }
        if signed {
            let given = signature
                .ok_or_else(|| bad_chunk("A signed trailer needs x-amz-trailer-signature."))?;
            let sts = format!(
                "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
                self.check.amz_date,
                self.check.scope,
                self.prev_sig,
                hex(&Sha256::digest(canonical.as_bytes()))
            );
            let expected = sign_hex(&self.check.signing_key, &sts);
            if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(chunk_signature_mismatch());
            }
        }
        let Some(algo) = self.check.trailer else {
            if self
                .trailers
                .iter()
                .any(|(n, _)| n != "x-amz-trailer-signature")
            {
                return Err(bad_chunk(
                    "A trailer was sent that x-amz-trailer did not announce.",
                ));
            }
            return Ok(());
        };
        let mut value = None;
        for (n, v) in &self.trailers {
            if n == "x-amz-trailer-signature" {
                continue;
            }
            let named = n.strip_prefix("x-amz-checksum-").and_then(ChecksumAlgo::of);
            if named != Some(algo) || value.is_some() {
                return Err(bad_chunk(format!(
                    "The trailer {n} is not the one x-amz-trailer announced."
                )));
            }
            value = Some(algo.decode(v).ok_or_else(|| {
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    format!("Value for {n} trailing header is invalid."),
                )
            })?);
        }
        let value = value.ok_or_else(|| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "MalformedTrailerError",
                "The request's trailer lacks the checksum x-amz-trailer announced.",
            )
        })?;
        self.check.checksum = Some((algo, value));
        Ok(())
    }

    /// The stream ended: every check that needs the whole body.
    fn end(&mut self) -> Result<(), Failure> {
        if self.check.payload.is_streaming() && !matches!(self.state, State::Done) {
            return Err(incomplete(
                "The aws-chunked body ended before its final chunk.",
            ));
        }
        if let (Payload::Sha256(expected), Some(h)) = (&self.check.payload, self.sha.take()) {
            let got = h.finalize();
            if !bool::from(got.as_slice().ct_eq(expected)) {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ));
            }
        }
        if let Some(n) = self.check.decoded_len
            && n != self.decoded
        {
            return Err(incomplete(format!(
                "The body decoded to {} bytes, x-amz-decoded-content-length says {n}.",
                self.decoded
            )));
        }
        if let (Some((algo, expected)), Some(sum)) = (&self.check.checksum, self.sum.take())
            && sum.finish() != *expected
        {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "BadDigest",
                format!(
                    "The {} you specified did not match the calculated checksum.",
                    algo.name()
                ),
            ));
        }
        Ok(())
    }
}

/// A request body: the connection's bytes, checked and decoded for a SigV4 request.
pub struct ReqBody {
    inner: Incoming,
    checker: Option<Box<Checker>>,
    failure: Option<Failure>,
    ended: bool,
}

impl From<Incoming> for ReqBody {
    fn from(inner: Incoming) -> Self {
        Self {
            inner,
            checker: None,
            failure: None,
            ended: false,
        }
    }
}

impl ReqBody {
    /// The body checked as `check` says.
    pub(crate) fn checked(inner: Incoming, check: Option<BodyCheck>) -> Self {
        Self {
            inner,
            checker: check.map(|c| Box::new(Checker::new(c))),
            failure: None,
            ended: false,
        }
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if let Some(f) = &this.failure {
            return Poll::Ready(Some(Err(BodyError::Refused(f.error()))));
        }
        let Some(checker) = this.checker.as_mut() else {
            return Pin::new(&mut this.inner)
                .poll_frame(cx)
                .map(|o| o.map(|r| r.map_err(BodyError::Io)));
        };
        loop {
            if let Some(data) = checker.out.pop_front() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            let step = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                None => {
                    this.ended = true;
                    checker.end()
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(BodyError::Io(e)))),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => checker.feed(data),
                    Err(_) => Ok(()),
                },
            };
            if let Err(f) = step {
                let e = f.error();
                this.failure = Some(f);
                checker.out.clear();
                return Poll::Ready(Some(Err(BodyError::Refused(e))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.checker {
            None => self.inner.is_end_stream(),
            Some(c) => self.ended && c.out.is_empty() && self.failure.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.checker {
            None => self.inner.size_hint(),
            Some(c) if c.check.payload.is_streaming() => match c.check.decoded_len {
                Some(n) => SizeHint::with_exact(n),
                None => SizeHint::default(),
            },
            Some(_) => self.inner.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published chunked upload example ("Signature calculations for the Authorization
    /// header: transferring payload in multiple chunks"): 65536 + 1024 bytes of `a`, the seed
    /// signature and the three chunk signatures of the example.
    fn example_check() -> BodyCheck {
        BodyCheck {
            payload: Payload::Signed { trailer: false },
            checksum: None,
            trailer: None,
            decoded_len: Some(66_560),
            seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
                .to_owned(),
            signing_key: super::super::sigv4_key::signing_key(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "20130524",
                "us-east-1",
                "s3",
            ),
            amz_date: "20130524T000000Z".to_owned(),
            scope: "20130524/us-east-1/s3/aws4_request".to_owned(),
        }
    }

    fn example_body() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
        b.extend_from_slice(&[b'a'; 65_536]);
        b.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
        b.extend_from_slice(&[b'a'; 1024]);
        b.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
        b
    }

    /// Feeds `body` in pieces of `step` bytes; the decoded bytes, or the failure's code.
    fn run(check: BodyCheck, body: &[u8], step: usize) -> Result<Vec<u8>, &'static str> {
        let mut c = Checker::new(check);
        let mut out = Vec::new();
        for piece in body.chunks(step) {
            c.feed(Bytes::copy_from_slice(piece)).map_err(|f| f.code)?;
            while let Some(d) = c.out.pop_front() {
                out.extend_from_slice(&d);
            }
        }
        c.end().map_err(|f| f.code)?;
        Ok(out)
    }

    #[test]
    fn aws_chunked_example_decodes_in_any_pieces() {
        assert_eq!(example_body().len(), 66_824);
        for step in [1, 7, 4096, 100_000] {
            let out = run(example_check(), &example_body(), step);
            assert_eq!(
                out.map(|o| (o.len(), o.iter().all(|&b| b == b'a'))),
                Ok((66_560, true)),
                "{step}"
            );
        }
    }

    #[test]
    fn aws_chunked_example_tampered_is_refused() {
        let body = example_body();
        // A data byte of the second chunk, a signature byte, the size, the final CRLF.
        let data_at = body.len() - 120;
        for (at, byte) in [(data_at, b'b'), (30, b'0'), (2, b'1')] {
            let mut b = body.clone();
            b[at] = byte;
            assert!(run(example_check(), &b, 999).is_err(), "{at}");
        }
        assert_eq!(
            run(example_check(), &body[..body.len() - 2], 999),
            Err("IncompleteBody")
        );
        let mut extra = body.clone();
        extra.extend_from_slice(b"x");
        assert!(run(example_check(), &extra, 999).is_err());
        let mut wrong_seed = example_check();
        wrong_seed.seed_signature = "0".repeat(64);
        assert_eq!(run(wrong_seed, &body, 999), Err("SignatureDoesNotMatch"));
        // The chunks in another order: each signature chains the one before.
        let mut long = example_check();
        long.decoded_len = Some(66_561);
        assert_eq!(run(long, &body, 999), Err("IncompleteBody"));
    }

    #[test]
    fn unsigned_trailer_checks_its_checksum() {
        let check = |algo| BodyCheck {
            payload: Payload::UnsignedTrailer,
            checksum: None,
            trailer: Some(algo),
            decoded_len: Some(5),
            seed_signature: String::new(),
            signing_key: [0; 32],
            amz_date: String::new(),
            scope: String::new(),
        };
        let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        assert_eq!(
            run(check(ChecksumAlgo::Crc32), body, 3),
            Ok(b"hello".to_vec())
        );
        let bad = b"5\r\nhellp\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        assert_eq!(run(check(ChecksumAlgo::Crc32), bad, 3), Err("BadDigest"));
        let other = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32c:NhCmhg==\r\n\r\n";
        assert!(run(check(ChecksumAlgo::Crc32), other, 3).is_err());
        let none = b"5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(
            run(check(ChecksumAlgo::Crc32), none, 3),
            Err("MalformedTrailerError")
        );
        let huge = b"ffffffffffffffffff\r\n";
        assert!(run(check(ChecksumAlgo::Crc32), huge, 3).is_err());
    }

    #[test]
    fn payload_values() {
        assert_eq!(
            Payload::parse("UNSIGNED-PAYLOAD").ok(),
            Some(Payload::Unsigned)
        );
        assert!(matches!(
            Payload::parse(EMPTY_SHA256),
            Ok(Payload::Sha256(_))
        ));
        for bad in [
            "",
            "unsigned-payload",
            &EMPTY_SHA256.to_uppercase(),
            &EMPTY_SHA256[1..],
        ] {
            assert_eq!(
                Payload::parse(bad).err().map(|e| e.code),
                Some("InvalidArgument"),
                "{bad}"
            );
        }
        assert_eq!(
            Payload::parse("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
                .err()
                .map(|e| e.code),
            Some("NotImplemented")
        );
    }
}
