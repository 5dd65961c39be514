use core::fmt;

use crate::ParseError;

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
            self.push_u32(small);
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

    fn push_u32(&mut self, mut v: u32) {
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
