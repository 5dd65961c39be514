use core::fmt;

use crate::ParseError;
#[cfg(target_pointer_width = "64")]
use crate::sink::copy_small;

/// The validity window of a signature, `<start>;<end>` in unix seconds (`q-key-time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyTime {
    start: u64,
    end: u64,
}

/// `sha1\n`, the StringToSign's start, which [`TimeText`] keeps in front of the key time.
const STS_PREFIX: &[u8; 5] = b"sha1\n";
/// Room for `sha1\n` + `u64::MAX;u64::MAX` + `\n`.
const MAX_TEXT: usize = 48;

impl KeyTime {
    /// A window from `start` to `end` (unix seconds).
    pub const fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    /// The window the official SDKs use: from `now - 60` to `now + expires`.
    ///
    /// ```
    /// let kt = cos_sign_core::KeyTime::sdk_window(1_700_000_000, 300);
    /// assert_eq!(kt.to_string(), "1699999940;1700000300");
    /// ```
    pub const fn sdk_window(now: u64, expires: u64) -> Self {
        Self {
            start: now.saturating_sub(60),
            end: now.saturating_add(expires),
        }
    }

    /// Start of the window.
    pub const fn start(&self) -> u64 {
        self.start
    }

    /// End of the window.
    pub const fn end(&self) -> u64 {
        self.end
    }

    /// Whether `start <= now <= end`.
    pub const fn contains(&self, now: u64) -> bool {
        self.start <= now && now <= self.end
    }

    /// Parses `<start>;<end>` as COS writes it (decimal, no sign, no leading zeros).
    ///
    /// ```
    /// use cos_sign_core::KeyTime;
    /// assert_eq!(KeyTime::parse("1557989151;1557996351").unwrap(), KeyTime::new(1557989151, 1557996351));
    /// assert!(KeyTime::parse("01;2").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::parse_field(s.as_bytes(), "q-key-time")
    }

    pub(crate) fn parse_field(s: &[u8], field: &'static str) -> Result<Self, ParseError> {
        let bad = ParseError::BadTime(field);
        let mut parts = s.splitn(2, |&b| b == b';');
        let start = parse_u64(parts.next().ok_or(bad)?).ok_or(bad)?;
        let end = parse_u64(parts.next().ok_or(bad)?).ok_or(bad)?;
        Ok(Self { start, end })
    }

    /// The text `<start>;<end>` in a stack buffer, inside the StringToSign's head
    /// `sha1\n<start>;<end>\n`.
    pub(crate) fn text(&self) -> TimeText {
        #[cfg(target_pointer_width = "64")]
        if let Some((start, end)) = self.ten_digit_words() {
            return TimeText::of_ten_digit_words(start, end);
        }
        let mut t = TimeText {
            buf: [0; MAX_TEXT],
            len: STS_PREFIX.len() as u8,
            semi: 0,
        };
        if let Some(p) = t.buf.first_chunk_mut::<5>() {
            *p = *STS_PREFIX;
        }
        t.push_u64(self.start);
        t.semi = t.len;
        t.push_byte(b';');
        t.push_u64(self.end);
        if let Some(nl) = t.buf.get_mut(usize::from(t.len)) {
            *nl = b'\n';
        }
        t
    }
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s[0] == b'0') {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 19;
    while i > 0 {
        t[i - 1] = t[i] * 10;
        i -= 1;
    }
    t
};

/// `"00" "01" ... "99"`.
#[cfg(any(test, not(target_pointer_width = "64")))]
static DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// The ten decimal digits of `v`, zero-padded: the top two by one division, the other eight
/// in the lanes of one word (halves of four digits, then pairs, then digits, each split by a
/// multiply-shift that stands for the division by 100 or 10 in that range).
#[cfg(target_pointer_width = "64")]
#[inline]
fn ten_digits(v: u32) -> [u8; 10] {
    let mut out = [0u8; 10];
    if let Some(d) = ten_digits_word(v).to_le_bytes().first_chunk::<10>() {
        out = *d;
    }
    out
}

/// [`ten_digits`] in the low ten bytes of a word (the first digit in the lowest byte),
/// all in registers.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn ten_digits_word(v: u32) -> u128 {
    let top = v / 100_000_000;
    let low = v % 100_000_000;
    // Lanes of 32 bits: the first four digits, the last four.
    let x = u64::from(low / 10_000) | u64::from(low % 10_000) << 32;
    // x / 100 for x < 10_000 is (x * 10486) >> 20; into lanes of 16 bits: hundreds, rest.
    let q = ((x * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let x = q | (x - q * 100) << 16;
    // x / 10 for x < 100 is (x * 103) >> 10; into bytes: tens, ones.
    let q = ((x * 103) >> 10) & 0x000F_000F_000F_000F;
    let x = q | (x - q * 10) << 8;
    u128::from(b'0' + (top / 10) as u8)
        | u128::from(b'0' + (top % 10) as u8) << 8
        | u128::from(x | 0x3030_3030_3030_3030) << 16
}

impl KeyTime {
    /// The start's and the end's ten digits as [`ten_digits_word`]s, when both have ten
    /// digits (every time from 2001-09-09 to 2106-02-07): the usual key time, whose text is
    /// 21 bytes.
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    pub(crate) fn ten_digit_words(&self) -> Option<(u128, u128)> {
        let ten = |t: u64| {
            u32::try_from(t)
                .ok()
                .filter(|&t| t >= 1_000_000_000)
                .map(ten_digits_word)
        };
        Some((ten(self.start)?, ten(self.end)?))
    }
}

/// `sha1\n<start>;<end>\n`, zero-padded: the key time's text and the head of every
/// StringToSign signed for it.
#[derive(Clone, Copy)]
pub(crate) struct TimeText {
    buf: [u8; MAX_TEXT],
    /// Where the key time ends (where the `\n` is).
    len: u8,
    /// Where the `;` is.
    semi: u8,
}

impl TimeText {
    /// The text of the usual window, two ten-digit times given as their
    /// [`ten_digits_word`]s ([`KeyTime::ten_digit_words`]): two whole words, no digit loop.
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    pub(crate) fn of_ten_digit_words(start: u128, end: u128) -> Self {
        const PREFIX: u128 = {
            let mut b = [0u8; 16];
            let mut i = 0;
            while i < STS_PREFIX.len() {
                b[i] = STS_PREFIX[i];
                i += 1;
            }
            u128::from_le_bytes(b)
        };
        let mut buf = [0; MAX_TEXT];
        let words = [
            PREFIX | start << 40 | u128::from(b';') << 120,
            end | u128::from(b'\n') << 80,
        ];
        for (d, w) in buf.as_chunks_mut::<16>().0.iter_mut().zip(words) {
            *d = w.to_le_bytes();
        }
        Self {
            buf,
            len: 26,
            semi: 15,
        }
    }

    fn push_byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(usize::from(self.len)) {
            *slot = b;
            self.len += 1;
        }
    }

    /// Decimal digits by subtracting powers of ten: no 64-bit division, which costs
    /// a kilobyte of code on 32-bit targets.
    fn push_u64(&mut self, mut v: u64) {
        // Unix seconds fit 32 bits until 2106: 32-bit division is one instruction on
        // Cortex-M4 and x86, and much faster than the subtraction loop below.
        if let Ok(small) = u32::try_from(v) {
            #[cfg(target_pointer_width = "64")]
            self.push_u32(small);
            #[cfg(not(target_pointer_width = "64"))]
            self.push_u32_pairs(small);
            return;
        }
        let mut started = false;
        for (i, &p) in POW10.iter().enumerate() {
            let mut d = 0u8;
            while v >= p {
                v -= p;
                d += 1;
            }
            if d > 0 || started || i == POW10.len() - 1 {
                started = true;
                self.push_byte(b'0' + d);
            }
        }
    }

    /// All ten digits of `v` at once by word arithmetic (no division loop), the leading
    /// zeros cut (64-bit targets: the multiplications are single instructions there).
    #[cfg(target_pointer_width = "64")]
    fn push_u32(&mut self, v: u32) {
        let digits = v.checked_ilog10().unwrap_or(0) as usize + 1;
        let text = ten_digits(v);
        let start = usize::from(self.len);
        if let (Some(d), Some(s)) = (
            self.buf.get_mut(start..start + digits),
            text.get(10 - digits..),
        ) {
            copy_small(d, s);
            self.len += digits as u8;
        }
    }

    #[cfg(any(test, not(target_pointer_width = "64")))]
    fn push_u32_pairs(&mut self, mut v: u32) {
        // Two digits at a time from the last, straight into place: the digit count first.
        let start = usize::from(self.len);
        let mut end = start + v.checked_ilog10().unwrap_or(0) as usize + 1;
        if end > self.buf.len() {
            return;
        }
        self.len = end as u8;
        while v >= 10 {
            let pair = (v % 100) as usize * 2;
            v /= 100;
            if let (Some(d), Some(p)) = (
                self.buf.get_mut(end - 2..end),
                DIGIT_PAIRS.get(pair..pair + 2),
            ) {
                d.copy_from_slice(p);
            }
            end -= 2;
        }
        // A last single digit (or the `0` of zero).
        if end > start
            && let Some(d) = self.buf.get_mut(end - 1)
        {
            *d = b'0' + v as u8;
        }
    }

    /// `<start>;<end>`.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf
            .get(STS_PREFIX.len()..usize::from(self.len))
            .unwrap_or_default()
    }

    /// The start and the end, as decimal digits (the text around the `;`).
    #[inline]
    pub(crate) fn halves(&self) -> (&[u8], &[u8]) {
        let (start, end) = (usize::from(self.semi), usize::from(self.len));
        (
            self.buf.get(STS_PREFIX.len()..start).unwrap_or_default(),
            self.buf.get(start + 1..end).unwrap_or_default(),
        )
    }

    /// `sha1\n<start>;<end>\n` in the first [`sts_head_len`](Self::sts_head_len) bytes,
    /// zeros after them.
    #[inline]
    pub(crate) fn sts_head(&self) -> &[u8; MAX_TEXT] {
        &self.buf
    }

    /// The length of `sha1\n<start>;<end>\n` (at most 47).
    #[inline]
    pub(crate) fn sts_head_len(&self) -> usize {
        usize::from(self.len) + 1
    }
}

impl fmt::Display for KeyTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;
    use std::vec;

    /// The word arithmetic writes what the division loop writes, for every digit count, the
    /// edges of each multiply-shift's range, and many generated values.
    #[test]
    fn ten_digits_equals_the_pair_loop() {
        let mut values = vec![
            0u32,
            1,
            9,
            10,
            99,
            100,
            9_999,
            10_000,
            99_999_999,
            100_000_000,
        ];
        values.extend([u32::MAX, u32::MAX - 1, 1_700_000_000, 1_699_999_940]);
        for d in 0..10 {
            let p = 10u32.pow(d);
            values.extend([p - 1, p, p + 1]);
        }
        let mut x = 0x9E37_79B9u32;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            values.push(x);
            values.push(x % 1_000_000);
        }
        for v in values {
            let (mut a, mut b) = (KeyTime::new(0, 0).text(), KeyTime::new(0, 0).text());
            a.len = 0;
            b.len = 0;
            a.push_u32(v);
            b.push_u32_pairs(v);
            assert_eq!(
                a.buf[..usize::from(a.len)],
                b.buf[..usize::from(b.len)],
                "{v}"
            );
            assert_eq!(usize::from(a.len), v.to_string().len(), "{v}");
        }
    }
}
