//! Object tags: their rules, the `x-cos-tagging` header, and PUT, GET and DELETE Object
//! tagging (`/<key>?tagging`).
//!
//! COS's rules (PUT Object tagging, <https://cloud.tencent.com/document/product/436/42997>):
//! at most [`MAX_TAGS`] tags per object, a key of 1 to [`MAX_KEY_CHARS`] characters, a value
//! of at most [`MAX_VALUE_CHARS`] (empty allowed), both of letters (Chinese included), digits,
//! spaces and `+ - _ = / . : @`, keys unique. A tag that breaks them is 400 `InvalidTag`; an
//! `x-cos-tagging` header that is no URL query (a bad escape, not UTF-8, an empty pair) is
//! 400 `InvalidArgument`.
//!
//! Tags are kept with the object's other stored headers, under the name [`STORED_NAME`], as
//! one canonical query string (each key and value percent-encoded); so the disk store keeps
//! them across a restart, a multipart upload carries them from Initiate to Complete, and a
//! copy copies them with the rest. GET and HEAD never send that entry back: they send
//! `x-cos-tagging-count` instead, when there are tags.

use super::aws_chunked::ReqBody;
use hyper::{Response, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::State;
use super::body::read_checked_body;
use super::bucket::xml_response;
use super::error::CosError;
use super::request::{VerifiedRequest, form_decode};
use super::response::{Body, Ctx, Refused, empty_answer, no_content};
use super::xml::{XmlOut, malformed, parse};

/// Most tags one object may have.
pub(crate) const MAX_TAGS: usize = 10;
/// Longest tag key, in characters.
pub(crate) const MAX_KEY_CHARS: usize = 128;
/// Longest tag value, in characters.
pub(crate) const MAX_VALUE_CHARS: usize = 256;
/// Largest PUT Object tagging body read: ten tags of the longest keys and values, each
/// character written as a character reference, fit well.
pub(crate) const MAX_TAGGING_BODY: usize = 64 * 1024;

/// The request header (and POST form field) that tags an upload, and the name the tags are
/// stored under with the object's headers.
pub(crate) const STORED_NAME: &str = "x-cos-tagging";
/// The response header of GET and HEAD Object: how many tags the object has.
pub(crate) const COUNT_HEADER: &str = "x-cos-tagging-count";

/// The characters escaped in the stored form: all but `A-Z a-z 0-9 - _ . ~`.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An object's (or a bucket's) tags, in the order given, checked against COS's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tags(Vec<(String, String)>);

/// What differs between the tags of an object and those of a bucket: how many a resource
/// may carry, what it is called in a refusal, and the key prefixes it may not use. The
/// characters and lengths of keys and values are the same for both.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TagRules {
    /// Most tags one resource may have.
    pub max_tags: usize,
    /// The resource, as a refusal names it (`An object`).
    pub what: &'static str,
    /// Key prefixes kept for the system (a key starting with one is 400 `InvalidTag`).
    pub reserved: &'static [&'static str],
}

/// The rules of object tags.
pub(crate) const OBJECT_TAGS: TagRules = TagRules {
    max_tags: MAX_TAGS,
    what: "An object",
    reserved: &[],
};

fn invalid_tag(message: impl Into<String>) -> CosError {
    CosError::new(StatusCode::BAD_REQUEST, "InvalidTag", message)
}

fn bad_header() -> CosError {
    CosError::new(
        StatusCode::BAD_REQUEST,
        "InvalidArgument",
        "The header x-cos-tagging must be URL query parameters (key1=value1&key2=value2), UTF-8 and percent-encoded.",
    )
}

/// Whether a character may be in a tag key or value.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, ' ' | '+' | '-' | '_' | '=' | '/' | '.' | ':' | '@')
}

impl Tags {
    /// Checks `pairs` against COS's rules for object tags.
    pub fn new(pairs: Vec<(String, String)>) -> Result<Self, CosError> {
        Self::checked(pairs, &OBJECT_TAGS)
    }

    /// Checks `pairs` against COS's rules, with `rules`' count and reserved prefixes.
    pub fn checked(pairs: Vec<(String, String)>, rules: &TagRules) -> Result<Self, CosError> {
        if pairs.len() > rules.max_tags {
            return Err(invalid_tag(format!(
                "{} can have at most {} tags.",
                rules.what, rules.max_tags
            )));
        }
        for (i, (k, v)) in pairs.iter().enumerate() {
            if rules.reserved.iter().any(|p| k.starts_with(p)) {
                return Err(invalid_tag(format!(
                    "A tag key may not start with {}: those are the system's.",
                    rules.reserved.join(" or ")
                )));
            }
            if k.is_empty() || k.chars().count() > MAX_KEY_CHARS {
                return Err(invalid_tag(format!(
                    "A tag key must be 1 to {MAX_KEY_CHARS} characters long."
                )));
            }
            if v.chars().count() > MAX_VALUE_CHARS {
                return Err(invalid_tag(format!(
                    "A tag value must be at most {MAX_VALUE_CHARS} characters long."
                )));
            }
            if !k.chars().chain(v.chars()).all(allowed) {
                return Err(invalid_tag(
                    "A tag key or value holds a character other than letters, digits, spaces and + - _ = / . : @.",
                ));
            }
            if pairs.iter().take(i).any(|(seen, _)| seen == k) {
                return Err(invalid_tag(
                    "Cannot provide multiple tags with the same key.",
                ));
            }
        }
        Ok(Self(pairs))
    }

    /// The tags of an `x-cos-tagging` value: URL query parameters decoded as the server
    /// decodes a request's query (`+` a space, UTF-8), a pair without `=` a tag with an
    /// empty value; an empty value is no tags.
    pub fn from_query(value: &str) -> Result<Self, CosError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(Self::default());
        }
        let decode = |s: &str| form_decode(s).map_err(|_| bad_header());
        let pairs = value
            .split('&')
            .map(|pair| {
                if pair.is_empty() {
                    return Err(bad_header());
                }
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                Ok((decode(k)?, decode(v)?))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(pairs)
    }

    /// The tags of a PUT Object tagging body:
    /// `<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>`.
    pub fn from_xml(body: &[u8]) -> Result<Self, CosError> {
        Self::from_xml_with(body, &OBJECT_TAGS)
    }

    /// The tags of a tagging body (the same document for objects and buckets), checked
    /// with `rules`.
    pub fn from_xml_with(body: &[u8], rules: &TagRules) -> Result<Self, CosError> {
        let root = parse(body)?;
        if root.name != "Tagging" {
            return Err(malformed());
        }
        let set = root.child("TagSet").ok_or_else(malformed)?;
        let pairs = set
            .all("Tag")
            .map(|t| {
                let key = t.child("Key").ok_or_else(malformed)?.text.clone();
                let value = t.child("Value").map(|v| v.text.clone()).unwrap_or_default();
                Ok((key, value))
            })
            .collect::<Result<Vec<_>, CosError>>()?;
        Self::checked(pairs, rules)
    }

    /// The tags stored with an object (none when its headers hold none). The stored form
    /// was written by [`Tags::stored_value`]; a damaged one reads as no tags.
    pub fn of(headers: &[(String, String)]) -> Self {
        headers
            .iter()
            .find(|(n, _)| n == STORED_NAME)
            .and_then(|(_, v)| Self::from_query(v).ok())
            .unwrap_or_default()
    }

    /// The canonical query string the tags are stored as.
    pub fn stored_value(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.extend(utf8_percent_encode(k, ENCODE));
            out.push('=');
            out.extend(utf8_percent_encode(v, ENCODE));
        }
        out
    }

    /// Puts these tags in place of those in `headers` (none: the entry is removed).
    pub fn store_in(&self, headers: &mut Vec<(String, String)>) {
        headers.retain(|(n, _)| n != STORED_NAME);
        if !self.0.is_empty() {
            headers.push((STORED_NAME.to_owned(), self.stored_value()));
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether one of the tags is `key` with `value`.
    pub fn has(&self, key: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == key && v == value)
    }

    /// The GET Object tagging answer.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut x = XmlOut::new("Tagging");
        x.open("TagSet");
        for (k, v) in &self.0 {
            x.open("Tag").field("Key", k).field("Value", v).close("Tag");
        }
        x.close("TagSet");
        x.finish()
    }
}

/// The tags of a document written by [`Tags::to_xml`] and read back (a stored setting):
/// the same rules, so what was accepted once reads back whole.
pub(crate) fn stored(text: &str, rules: &TagRules) -> Result<Tags, CosError> {
    Tags::from_xml_with(text.as_bytes(), rules).map_err(|_| {
        CosError::storage(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the stored tags are damaged",
        ))
    })
}

/// GET Object tagging (HEAD too, without a body): 404 `NoSuchKey` for a missing object.
pub(crate) async fn get(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    let found = state
        .store
        .get(&vreq.bucket, &vreq.key, true)
        .await
        .map_err(CosError::storage)?;
    let (meta, _) = found.ok_or_else(CosError::no_such_key)?;
    Ok(xml_response(
        ctx,
        StatusCode::OK,
        Tags::of(&meta.headers).to_xml(),
    ))
}

/// PUT Object tagging: the body's tags replace the object's (its bytes, ETag and
/// Last-Modified stay). `Content-MD5` is checked when sent (qcloud_cos sends none).
pub(crate) async fn put(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
    body: ReqBody,
) -> Result<Response<Body>, Refused> {
    let body = read_checked_body(state, vreq, body, MAX_TAGGING_BODY, false).await?;
    let tags = Tags::from_xml(&body)?;
    set(state, vreq, &tags).await?;
    Ok(empty_answer(ctx, StatusCode::OK))
}

/// DELETE Object tagging: 204, the object without tags.
pub(crate) async fn delete(
    state: &State,
    ctx: &Ctx,
    vreq: &VerifiedRequest,
) -> Result<Response<Body>, CosError> {
    set(state, vreq, &Tags::default()).await?;
    Ok(no_content(ctx))
}

/// Puts `tags` in place of the object's (none: removes them); its bytes, ETag and
/// Last-Modified stay (`Store::set_header`: on disk the object file is not rewritten).
async fn set(state: &State, vreq: &VerifiedRequest, tags: &Tags) -> Result<(), CosError> {
    let value = (!tags.is_empty()).then(|| tags.stored_value());
    let done = state
        .store
        .set_header(&vreq.bucket, &vreq.key, STORED_NAME, value.as_deref())
        .await
        .map_err(CosError::storage)?;
    if done {
        Ok(())
    } else {
        Err(CosError::no_such_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated `x-cos-tagging` values and tagging bodies (escapes good and bad, `+`, `&`,
    /// `=`, multi-byte and forbidden characters, long runs) never panic; the tags accepted
    /// come back equal through the stored form and through the XML answer.
    #[test]
    fn generated_inputs_parse_or_are_refused_and_round_trip() {
        const PIECES: [&str; 18] = [
            "a",
            "Z9",
            " ",
            "+",
            "&",
            "=",
            "%",
            "%2",
            "%20",
            "%2B",
            "%E4%B8%AD",
            "%FF",
            "中",
            "é",
            "<",
            ":/@.-_",
            "\u{0}",
            "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
        ];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut value = String::new();
            for _ in 0..next() % 24 {
                value.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            match Tags::from_query(&value) {
                Ok(tags) => {
                    accepted += 1;
                    assert_eq!(
                        Tags::from_query(&tags.stored_value()).ok(),
                        Some(tags.clone())
                    );
                    assert_eq!(Tags::from_xml(&tags.to_xml()).ok(), Some(tags.clone()));
                    let mut headers = Vec::new();
                    tags.store_in(&mut headers);
                    assert_eq!(Tags::of(&headers), tags);
                }
                Err(e) => {
                    refused += 1;
                    assert!(
                        matches!(e.code, "InvalidTag" | "InvalidArgument"),
                        "{}",
                        e.code
                    );
                }
            }
            let body = format!(
                "<Tagging><TagSet><Tag><Key>{value}</Key><Value>{value}</Value></Tag></TagSet></Tagging>"
            );
            if let Err(e) = Tags::from_xml(body.as_bytes()) {
                assert!(
                    matches!(e.code, "InvalidTag" | "MalformedXML"),
                    "{}",
                    e.code
                );
            }
        }
        assert!(accepted > 1_000 && refused > 1_000, "{accepted} {refused}");
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn header_values_are_url_queries() {
        let t = Tags::from_query("a=1&b%20c=x+y%2By&e").unwrap();
        assert_eq!(t.0, pairs(&[("a", "1"), ("b c", "x y+y"), ("e", "")]));
        assert_eq!(t.stored_value(), "a=1&b%20c=x%20y%2By&e=");
        assert_eq!(Tags::from_query(&t.stored_value()).unwrap(), t);
        assert_eq!(Tags::from_query("  ").unwrap(), Tags::default());
        let t = Tags::from_query("%E4%B8%AD=%E6%96%87").unwrap();
        assert_eq!(t.0, pairs(&[("中", "文")]));
        for bad in ["a=1&&b=2", "&", "a=%ff", "a=1&"] {
            assert_eq!(
                Tags::from_query(bad).unwrap_err().code,
                "InvalidArgument",
                "{bad}"
            );
        }
        // A stray `%` stays a `%` (as in a request's query), which no tag may hold.
        assert_eq!(Tags::from_query("a=%zz").unwrap_err().code, "InvalidTag");
    }

    #[test]
    fn cos_rules_make_invalid_tags() {
        let code = |p: &[(&str, &str)]| Tags::new(pairs(p)).err().map(|e| e.code);
        let k128 = "k".repeat(128);
        let v256 = "中".repeat(256);
        assert_eq!(code(&[(&k128, &v256)]), None);
        assert_eq!(code(&[("a", "")]), None);
        assert_eq!(code(&[("a b+-_=/.:@Z9", "x")]), None);
        let k129 = "k".repeat(129);
        let v257 = "v".repeat(257);
        for bad in [
            vec![("", "v")],
            vec![(k129.as_str(), "v")],
            vec![("k", v257.as_str())],
            vec![("k", "a&b")],
            vec![("k#", "v")],
            vec![("k", "tab\t")],
            vec![("k", "1"), ("k", "2")],
        ] {
            assert_eq!(code(&bad), Some("InvalidTag"), "{bad:?}");
        }
        let ten: Vec<(String, String)> =
            (0..10).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(Tags::new(ten.clone()).is_ok());
        let mut eleven = ten;
        eleven.push(("k10".into(), String::new()));
        assert_eq!(Tags::new(eleven).unwrap_err().code, "InvalidTag");
    }

    #[test]
    fn bodies_and_answers() {
        let t = Tags::from_xml(
            b"<Tagging><TagSet><Tag><Key>age</Key><Value>18</Value></Tag><Tag><Key>a&amp;b</Key></Tag></TagSet></Tagging>",
        );
        // `&` is not a tag character.
        assert_eq!(t.unwrap_err().code, "InvalidTag");
        let t = Tags::from_xml(
            b"<Tagging><TagSet><Tag><Key>age</Key><Value>18</Value></Tag><Tag><Key>name</Key><Value></Value></Tag></TagSet></Tagging>",
        )
        .unwrap();
        assert_eq!(t.0, pairs(&[("age", "18"), ("name", "")]));
        assert_eq!(
            String::from_utf8(t.to_xml()).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging><TagSet><Tag><Key>age</Key><Value>18</Value></Tag><Tag><Key>name</Key><Value></Value></Tag></TagSet></Tagging>"
        );
        for bad in [
            &b"<Tagging></Tagging>"[..],
            b"<Tags><TagSet></TagSet></Tags>",
            b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
            b"not xml",
        ] {
            assert_eq!(Tags::from_xml(bad).unwrap_err().code, "MalformedXML");
        }
        assert!(
            Tags::from_xml(b"<Tagging><TagSet/></Tagging>")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn stored_tags_replace_each_other() {
        let mut headers = pairs(&[("content-type", "text/plain")]);
        let t = Tags::from_query("a=1").unwrap();
        t.store_in(&mut headers);
        assert_eq!(Tags::of(&headers), t);
        Tags::from_query("b=2").unwrap().store_in(&mut headers);
        assert_eq!(
            headers,
            pairs(&[("content-type", "text/plain"), ("x-cos-tagging", "b=2")])
        );
        Tags::default().store_in(&mut headers);
        assert_eq!(headers, pairs(&[("content-type", "text/plain")]));
        assert!(Tags::of(&headers).is_empty());
    }
}
