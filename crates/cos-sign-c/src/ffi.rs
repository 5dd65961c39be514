//! The exported functions and types. All the crate's `unsafe` is here: reading C's
//! (pointer, length) arguments as slices, and writing results through C's out pointers.
//! Each `unsafe` block says why it holds; every pointer is checked for NULL first.

use core::ffi::c_char;
use core::mem::{align_of, size_of};
use core::ptr;

use cos_sign_core::{
    Error, KeyTime, ParseError, ParsedAuthorization, Request, Signed, SigningKey, VerifyError,
    policy_base64,
};

/// The most params, and the most headers, one request may carry.
pub const COS_SIGN_MAX_PAIRS: usize = 16;

/// What a function returns.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosSignStatus {
    /// Success.
    Ok = 0,
    /// A required pointer is NULL (or a string/array pointer is NULL with a non-zero length).
    NullPointer = 1,
    /// A string is not valid UTF-8.
    InvalidUtf8 = 2,
    /// The output buffer is too small; `*len` holds the size needed.
    BufferTooSmall = 3,
    /// More than `COS_SIGN_MAX_PAIRS` params.
    TooManyParams = 4,
    /// More than `COS_SIGN_MAX_PAIRS` headers.
    TooManyHeaders = 5,
    /// An argument is out of range: an unknown text kind or form, a signing key that was not
    /// derived (or was wiped), a length above `PTRDIFF_MAX`.
    InvalidArgument = 6,
    /// The Authorization could not be parsed.
    MalformedAuthorization = 7,
    /// The Authorization is for another secret id.
    AccessKeyMismatch = 8,
    /// `now` is before the signature's start time.
    NotYetValid = 9,
    /// `now` is after the signature's end time.
    Expired = 10,
    /// A header listed in `q-header-list` is not in the request.
    MissingHeader = 11,
    /// A param listed in `q-url-param-list` is not in the request.
    MissingParam = 12,
    /// The signature does not match the request.
    SignatureMismatch = 13,
}

/// Which text [`cos_sign_write`] writes (passed as a `uint32_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosSignText {
    /// The `Authorization` header value.
    Authorization = 0,
    /// The `q-*` pairs of a pre-signed URL (`;` as `%3B`), without the request's params.
    SignatureQuery = 1,
    /// The request's params as a query (`quote_plus`-encoded, in the order given).
    ParamsQuery = 2,
    /// What follows `?` in qcloud_cos's pre-signed URL: the `q-*` pairs, then `&` and the
    /// params query when there are params.
    PresignedQuery = 3,
    /// The canonical HttpString (`method\npath\nparams\nheaders\n`).
    HttpString = 4,
    /// The StringToSign (`sha1\n<key time>\n<sha1 of HttpString>\n`).
    StringToSign = 5,
    /// `q-header-list`.
    HeaderList = 6,
    /// `q-url-param-list`.
    ParamList = 7,
}

/// How [`cos_sign_verify`] reads the Authorization (passed as a `uint32_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CosSignForm {
    /// The `Authorization` header value.
    Header = 0,
    /// The query of a pre-signed URL (`q-*` pairs, percent-encoded, other pairs ignored).
    Query = 1,
}

/// A UTF-8 string: `len` bytes at `ptr`, no NUL needed. `ptr` may be NULL when `len` is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CosSignStr {
    /// The first byte.
    pub ptr: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

/// A header or param: `name` and `value` (a param without value has an empty value).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CosSignPair {
    /// The name, as sent.
    pub name: CosSignStr,
    /// The value, as sent (decoded).
    pub value: CosSignStr,
}

/// A request to sign or verify. `params`/`headers` may be NULL when their count is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CosSignRequest {
    /// The HTTP method (any case).
    pub method: CosSignStr,
    /// The decoded object path: `/` + key as written (`/exampleobject(腾讯云)`).
    pub path: CosSignStr,
    /// The params to sign.
    pub params: *const CosSignPair,
    /// How many params.
    pub params_len: usize,
    /// The headers to sign.
    pub headers: *const CosSignPair,
    /// How many headers.
    pub headers_len: usize,
}

/// The size of [`CosSignSigningKey`]'s storage in 64-bit words: room for the core's SigningKey
/// (`hex(HMAC-SHA1(SecretKey, KeyTime))` with its HMAC state, and on 64-bit targets the
/// Authorization's fields rendered once, 320 bytes in all) on any target.
pub const COS_SIGN_KEY_WORDS: usize = 40;
const KEY_MAGIC: u64 = 0x636f_732d_7369_676e; // "cos-sign"
const _: () = assert!(size_of::<SigningKey>() <= COS_SIGN_KEY_WORDS * 8);
const _: () = assert!(align_of::<SigningKey>() <= align_of::<u64>());

/// The signing key of one key time, derived by [`cos_sign_signing_key_derive`]: reuse it
/// for every request in its window, wipe it with [`cos_sign_signing_key_wipe`]. Opaque: it
/// holds secret material; its fields are not part of the API.
#[repr(C)]
pub struct CosSignSigningKey {
    /// Set once derived.
    magic: u64,
    /// The core's `SigningKey`.
    storage: [u64; COS_SIGN_KEY_WORDS],
}

impl core::fmt::Debug for CosSignSigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CosSignSigningKey(<redacted>)")
    }
}

/// A request's signature: 40 lowercase hex digits and a NUL.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CosSignSignature {
    /// `q-signature`, NUL-terminated.
    pub signature: [c_char; 41],
}

/// A POST Object policy's signature.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CosSignPostSignature {
    /// The StringToSign: hex SHA-1 of the policy JSON, NUL-terminated.
    pub string_to_sign: [c_char; 41],
    /// The form field `q-signature`, NUL-terminated.
    pub signature: [c_char; 41],
}

type Status = CosSignStatus;
type Pairs<'a> = [(&'a str, &'a str); COS_SIGN_MAX_PAIRS];

/// `len` bytes at `ptr`, or the empty slice for `len == 0`.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` is valid for reads of `len` bytes for `'a`.
unsafe fn bytes_of<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Status> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Status::NullPointer);
    }
    if len > isize::MAX as usize {
        return Err(Status::InvalidArgument);
    }
    // SAFETY: not NULL, at most isize::MAX bytes, valid for `len` bytes (the caller's contract).
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// # Safety
/// As [`bytes_of`] for `s.ptr`, `s.len`.
unsafe fn str_of<'a>(s: CosSignStr) -> Result<&'a str, Status> {
    // SAFETY: the caller's contract.
    let b = unsafe { bytes_of(s.ptr.cast::<u8>(), s.len) }?;
    core::str::from_utf8(b).map_err(|_| Status::InvalidUtf8)
}

/// Reads `len` pairs at `ptr` into `out`.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` points to `len` pairs whose strings are valid
/// as [`str_of`] requires, for `'a`.
unsafe fn pairs_of<'a, 'o>(
    ptr: *const CosSignPair,
    len: usize,
    out: &'o mut Pairs<'a>,
    too_many: Status,
) -> Result<&'o [(&'a str, &'a str)], Status> {
    if len > COS_SIGN_MAX_PAIRS {
        return Err(too_many);
    }
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Status::NullPointer);
    }
    // SAFETY: not NULL, `len` (<= COS_SIGN_MAX_PAIRS) pairs (the caller's contract).
    let given = unsafe { core::slice::from_raw_parts(ptr, len) };
    for (slot, p) in out.iter_mut().zip(given) {
        // SAFETY: the caller's contract, pair by pair.
        *slot = unsafe { (str_of(p.name)?, str_of(p.value)?) };
    }
    Ok(out.get(..len).unwrap_or_default())
}

/// The key derived into `key`.
///
/// # Safety
/// `key` is NULL or points to a `CosSignSigningKey`.
unsafe fn key_of<'a>(key: *const CosSignSigningKey) -> Result<&'a SigningKey, Status> {
    // SAFETY: NULL or a valid CosSignSigningKey (the caller's contract).
    let k = unsafe { key.as_ref() }.ok_or(Status::NullPointer)?;
    if k.magic != KEY_MAGIC {
        return Err(Status::InvalidArgument);
    }
    // SAFETY: `magic` is set only by `cos_sign_signing_key_derive`, right after it wrote a
    // SigningKey at the start of `storage`, which is large and aligned enough (asserted at
    // compile time above).
    Ok(unsafe { &*k.storage.as_ptr().cast::<SigningKey>() })
}

/// Both arrays of the request read as Rust pairs.
struct Converted<'a> {
    method: &'a str,
    path: &'a str,
    params: Pairs<'a>,
    params_len: usize,
    headers: Pairs<'a>,
    headers_len: usize,
}

impl<'a> Converted<'a> {
    /// Nothing read yet.
    const EMPTY: Converted<'static> = Converted {
        method: "",
        path: "",
        params: [("", ""); COS_SIGN_MAX_PAIRS],
        params_len: 0,
        headers: [("", ""); COS_SIGN_MAX_PAIRS],
        headers_len: 0,
    };

    /// Reads `req` into `self` (in place: the arrays are not copied through a return value,
    /// which would double their stack on small targets).
    ///
    /// # Safety
    /// `req` is NULL or points to a request whose pointers are valid as documented.
    unsafe fn read(&mut self, req: *const CosSignRequest) -> Result<(), Status> {
        // SAFETY: NULL or a valid request (the caller's contract).
        let r = unsafe { req.as_ref() }.ok_or(Status::NullPointer)?;
        // SAFETY: the request's strings and arrays are valid (the caller's contract).
        self.method = unsafe { str_of(r.method) }?;
        // SAFETY: as above.
        self.path = unsafe { str_of(r.path) }?;
        // SAFETY: as above.
        unsafe {
            pairs_of(
                r.params,
                r.params_len,
                &mut self.params,
                Status::TooManyParams,
            )
        }?;
        self.params_len = r.params_len;
        // SAFETY: as above.
        unsafe {
            pairs_of(
                r.headers,
                r.headers_len,
                &mut self.headers,
                Status::TooManyHeaders,
            )
        }?;
        self.headers_len = r.headers_len;
        Ok(())
    }

    fn request(&self) -> Request<'_, COS_SIGN_MAX_PAIRS> {
        Request::new(self.method, self.path)
            .with_capacity::<COS_SIGN_MAX_PAIRS>()
            .params(self.params.get(..self.params_len).unwrap_or_default())
            .headers(self.headers.get(..self.headers_len).unwrap_or_default())
    }
}

fn status_of(e: Error) -> Status {
    match e {
        Error::TooManyParams { .. } => Status::TooManyParams,
        Error::TooManyHeaders { .. } => Status::TooManyHeaders,
        Error::BufferTooSmall { .. } => Status::BufferTooSmall,
        _ => Status::InvalidArgument,
    }
}

/// Runs `write` on the caller's buffer and reports the length written, or needed.
///
/// # Safety
/// `len` is NULL or valid for a write; `buf` is NULL or valid for writes of `cap` bytes.
unsafe fn write_out(
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
    write: impl FnOnce(&mut [u8]) -> Result<usize, Error>,
) -> Status {
    if len.is_null() || (buf.is_null() && cap > 0) {
        return Status::NullPointer;
    }
    if cap > isize::MAX as usize {
        return Status::InvalidArgument;
    }
    let out: &mut [u8] = if cap == 0 {
        &mut []
    } else {
        // SAFETY: not NULL, valid for `cap` (<= isize::MAX) bytes (the caller's contract).
        unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), cap) }
    };
    let (status, n) = match write(out) {
        Ok(n) => (Status::Ok, n),
        Err(Error::BufferTooSmall { needed, .. }) => (Status::BufferTooSmall, needed),
        Err(e) => return status_of(e),
    };
    // SAFETY: not NULL, valid for a write (the caller's contract).
    unsafe { len.write(n) };
    status
}

/// Copies 40 hex digits and a NUL.
fn hex_out(dst: &mut [c_char; 41], hex: &str) {
    for (d, &b) in dst.iter_mut().zip(hex.as_bytes().iter().chain(&[0])) {
        *d = b as c_char;
    }
}

fn collapse(r: Result<Status, Status>) -> Status {
    r.unwrap_or_else(|e| e)
}

/// Derives the signing key of the key time `start;end` (unix seconds; the SDKs use
/// `now - 60` to `now + expires`) from the secret key (`secret_key_len` bytes, need not be
/// UTF-8) into `*out`.
///
/// # Safety
/// `secret_key` valid for `secret_key_len` bytes (or NULL with 0); `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_signing_key_derive(
    secret_key: *const u8,
    secret_key_len: usize,
    start: u64,
    end: u64,
    out: *mut CosSignSigningKey,
) -> CosSignStatus {
    collapse((|| {
        if out.is_null() {
            return Err(Status::NullPointer);
        }
        // SAFETY: the caller's contract.
        let secret = unsafe { bytes_of(secret_key, secret_key_len) }?;
        let key = SigningKey::derive(secret, KeyTime::new(start, end));
        // SAFETY: `out` is not NULL and writable; `storage` has room and alignment for a
        // SigningKey (asserted at compile time). `ptr::write` does not read the old bytes.
        unsafe {
            ptr::addr_of_mut!((*out).storage)
                .cast::<SigningKey>()
                .write(key);
            ptr::addr_of_mut!((*out).magic).write(KEY_MAGIC);
        }
        Ok(Status::Ok)
    })())
}

/// Overwrites the key with zeros; it must be derived again before use. NULL is ignored.
///
/// # Safety
/// `key` NULL or a writable `CosSignSigningKey`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_signing_key_wipe(key: *mut CosSignSigningKey) {
    // SAFETY: NULL or valid and writable (the caller's contract).
    if let Some(k) = unsafe { key.as_mut() } {
        for w in k.storage.iter_mut() {
            // SAFETY: a valid `u64` of the key; volatile so the wipe is not optimised away.
            unsafe { ptr::write_volatile(w, 0) };
        }
        // SAFETY: as above.
        unsafe { ptr::write_volatile(&mut k.magic, 0) };
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
    }
}

/// Writes the SignKey (40 lowercase hex digits; secret: it signs for the whole window).
///
/// # Safety
/// `key` a derived key or NULL; `buf` valid for `cap` bytes (or NULL with 0); `len` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_signing_key_hex(
    key: *const CosSignSigningKey,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> CosSignStatus {
    // SAFETY: the caller's contract.
    let key = match unsafe { key_of(key) } {
        Ok(k) => k,
        Err(e) => return e,
    };
    // SAFETY: the caller's contract.
    unsafe {
        write_out(buf, cap, len, |out| {
            let hex = key.expose_hex().as_bytes();
            let needed = hex.len();
            let available = out.len();
            out.get_mut(..needed)
                .ok_or(Error::BufferTooSmall { needed, available })?
                .copy_from_slice(hex);
            Ok(needed)
        })
    }
}

/// Signs `req` with `key` and writes its `q-signature` into `*out`.
///
/// # Safety
/// `key` a derived key or NULL; `req` NULL or a valid request; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_sign(
    key: *const CosSignSigningKey,
    req: *const CosSignRequest,
    out: *mut CosSignSignature,
) -> CosSignStatus {
    collapse((|| {
        // SAFETY: the caller's contract.
        let out = unsafe { out.as_mut() }.ok_or(Status::NullPointer)?;
        // SAFETY: the caller's contract.
        let key = unsafe { key_of(key) }?;
        let mut conv = Converted::EMPTY;
        // SAFETY: the caller's contract.
        unsafe { conv.read(req) }?;
        let signed = key.sign(&conv.request()).map_err(status_of)?;
        hex_out(&mut out.signature, signed.signature());
        Ok(Status::Ok)
    })())
}

/// Writes the q-* pairs, `&`, and the params (qcloud_cos's query after `?`).
fn presigned_query(
    signed: &Signed<'_, COS_SIGN_MAX_PAIRS>,
    secret_id: &str,
    out: &mut [u8],
) -> Result<usize, Error> {
    let q = signed.presigned_query(secret_id);
    let p = signed.params_query();
    let has_params = !p.is_empty();
    let needed = q.len() + if has_params { 1 + p.len() } else { 0 };
    let available = out.len();
    let too_small = Error::BufferTooSmall { needed, available };
    if needed > available {
        return Err(too_small);
    }
    let n = q.write_into(out)?.len();
    if has_params {
        let rest = out.get_mut(n..).ok_or(too_small)?;
        let (amp, rest) = rest.split_first_mut().ok_or(too_small)?;
        *amp = b'&';
        p.write_into(rest)?;
    }
    Ok(needed)
}

/// Writes the text `kind` of a signed request (out of line: one frame for all the kinds,
/// not one per kind in the caller's).
#[inline(never)]
fn write_text(
    signed: &Signed<'_, COS_SIGN_MAX_PAIRS>,
    id: &str,
    kind: u32,
    out: &mut [u8],
) -> Result<usize, Error> {
    Ok(match kind {
        0 => signed.authorization(id).write_into(out)?.len(),
        1 => signed.presigned_query(id).write_into(out)?.len(),
        2 => signed.params_query().write_into(out)?.len(),
        3 => presigned_query(signed, id, out)?,
        4 => signed.http_string().write_into(out)?.len(),
        5 => signed.string_to_sign().write_into(out)?.len(),
        6 => signed.header_list().write_into(out)?.len(),
        _ => signed.param_list().write_into(out)?.len(),
    })
}

/// Signs `req` with `key` and writes the text `kind` (a [`CosSignText`]) into `buf`.
/// `secret_id` is used by the texts that carry `q-ak`.
///
/// # Safety
/// `key` a derived key or NULL; `req` NULL or a valid request; `secret_id` a valid string;
/// `buf` valid for `cap` bytes (or NULL with 0); `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_write(
    key: *const CosSignSigningKey,
    req: *const CosSignRequest,
    secret_id: CosSignStr,
    kind: u32,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> CosSignStatus {
    collapse((|| {
        if len.is_null() {
            return Err(Status::NullPointer);
        }
        // SAFETY: the caller's contract.
        let key = unsafe { key_of(key) }?;
        let mut conv = Converted::EMPTY;
        // SAFETY: the caller's contract.
        unsafe { conv.read(req) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { str_of(secret_id) }?;
        if kind > CosSignText::ParamList as u32 {
            return Err(Status::InvalidArgument);
        }
        let req = conv.request();
        let signed = key.sign(&req).map_err(status_of)?;
        // SAFETY: the caller's contract.
        Ok(unsafe { write_out(buf, cap, len, |out| write_text(&signed, id, kind, out)) })
    })())
}

/// Writes the request's params as a query (`quote_plus`-encoded, in the order given):
/// [`cos_sign_write`] with `COS_SIGN_TEXT_PARAMS_QUERY`.
///
/// # Safety
/// As [`cos_sign_write`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_params_query(
    key: *const CosSignSigningKey,
    req: *const CosSignRequest,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> CosSignStatus {
    let none = CosSignStr {
        ptr: ptr::null(),
        len: 0,
    };
    // SAFETY: the same contract.
    unsafe {
        cos_sign_write(
            key,
            req,
            none,
            CosSignText::ParamsQuery as u32,
            buf,
            cap,
            len,
        )
    }
}

/// Checks `req` against an Authorization as COS does: parses it (`form` a
/// [`CosSignForm`]), checks the secret id, that `now` is inside both time windows, that
/// every listed header and param is in the request, and the signature (in constant time).
///
/// # Safety
/// `authorization`, `secret_id` valid strings; `req` NULL or a valid request; `secret_key`
/// valid for `secret_key_len` bytes (or NULL with 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_verify(
    authorization: CosSignStr,
    form: u32,
    req: *const CosSignRequest,
    secret_id: CosSignStr,
    secret_key: *const u8,
    secret_key_len: usize,
    now: u64,
) -> CosSignStatus {
    collapse((|| {
        // SAFETY: the caller's contract.
        let auth = unsafe { str_of(authorization) }?;
        let mut conv = Converted::EMPTY;
        // SAFETY: the caller's contract.
        unsafe { conv.read(req) }?;
        // SAFETY: the caller's contract.
        let id = unsafe { str_of(secret_id) }?;
        // SAFETY: the caller's contract.
        let secret = unsafe { bytes_of(secret_key, secret_key_len) }?;
        let parsed: Result<ParsedAuthorization<'_>, ParseError> = match form {
            0 => ParsedAuthorization::parse(auth),
            1 => ParsedAuthorization::from_query(auth),
            _ => return Err(Status::InvalidArgument),
        };
        let parsed = parsed.map_err(|_| Status::MalformedAuthorization)?;
        parsed
            .verify(&conv.request(), id, secret, now)
            .map_err(|e| match e {
                VerifyError::AccessKeyMismatch => Status::AccessKeyMismatch,
                VerifyError::NotYetValid { .. } => Status::NotYetValid,
                VerifyError::Expired { .. } => Status::Expired,
                VerifyError::MissingHeader(_) => Status::MissingHeader,
                VerifyError::MissingParam(_) => Status::MissingParam,
                _ => Status::SignatureMismatch,
            })?;
        Ok(Status::Ok)
    })())
}

/// Signs a POST Object policy: the JSON bytes exactly as they are base64-encoded into the
/// form's `policy` field (`policy_len` bytes, need not be NUL-terminated).
///
/// # Safety
/// `key` a derived key or NULL; `policy` valid for `policy_len` bytes (or NULL with 0);
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_post_policy(
    key: *const CosSignSigningKey,
    policy: *const u8,
    policy_len: usize,
    out: *mut CosSignPostSignature,
) -> CosSignStatus {
    collapse((|| {
        // SAFETY: the caller's contract.
        let out = unsafe { out.as_mut() }.ok_or(Status::NullPointer)?;
        // SAFETY: the caller's contract.
        let key = unsafe { key_of(key) }?;
        // SAFETY: the caller's contract.
        let policy = unsafe { bytes_of(policy, policy_len) }?;
        let sig = key.sign_post_policy(policy);
        hex_out(&mut out.string_to_sign, sig.string_to_sign());
        hex_out(&mut out.signature, sig.signature());
        Ok(Status::Ok)
    })())
}

/// Writes the form field `policy`: standard base64 of the policy JSON bytes.
///
/// # Safety
/// `policy` valid for `policy_len` bytes (or NULL with 0); `buf` valid for `cap` bytes (or
/// NULL with 0); `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cos_sign_policy_base64(
    policy: *const u8,
    policy_len: usize,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> CosSignStatus {
    // SAFETY: the caller's contract.
    let policy = match unsafe { bytes_of(policy, policy_len) } {
        Ok(p) => p,
        Err(e) => return e,
    };
    // SAFETY: the caller's contract.
    unsafe {
        write_out(buf, cap, len, |out| {
            Ok(policy_base64(policy).write_into(out)?.len())
        })
    }
}

/// The status's name (`"BUFFER_TOO_SMALL"`...), NUL-terminated, static; `"UNKNOWN"` for a
/// value that is not a status.
#[unsafe(no_mangle)]
pub extern "C" fn cos_sign_status_name(status: u32) -> *const c_char {
    const NAMES: [&core::ffi::CStr; 14] = [
        c"OK",
        c"NULL_POINTER",
        c"INVALID_UTF8",
        c"BUFFER_TOO_SMALL",
        c"TOO_MANY_PARAMS",
        c"TOO_MANY_HEADERS",
        c"INVALID_ARGUMENT",
        c"MALFORMED_AUTHORIZATION",
        c"ACCESS_KEY_MISMATCH",
        c"NOT_YET_VALID",
        c"EXPIRED",
        c"MISSING_HEADER",
        c"MISSING_PARAM",
        c"SIGNATURE_MISMATCH",
    ];
    usize::try_from(status)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or(c"UNKNOWN")
        .as_ptr()
}
