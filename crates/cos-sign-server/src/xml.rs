//! XML request bodies and response bodies, with `quick-xml`.

use quick_xml::Reader;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::writer::Writer;

use hyper::StatusCode;

use super::error::CosError;

/// Most elements a request body may hold (1,000 objects or 10,000 parts, a few each).
const MAX_ELEMENTS: usize = 40_000;
const MAX_DEPTH: usize = 8;

/// An element of a request body: its name, its text and its child elements.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The children named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

pub(crate) fn malformed() -> CosError {
    CosError::new(
        StatusCode::BAD_REQUEST,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema.",
    )
}

/// Parses a request body into its root element. Namespaces are dropped from names, text is
/// unescaped (entities and character references), and DOCTYPEs are refused.
pub(crate) fn parse(body: &[u8]) -> Result<Element, CosError> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut seen = 0usize;
    let mut buf = Vec::new();
    let local = |e: &BytesStart<'_>| -> Result<String, CosError> {
        std::str::from_utf8(e.local_name().as_ref())
            .map(str::to_owned)
            .map_err(|_| malformed())
    };
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|_| malformed())?;
        match event {
            Event::Start(e) => {
                seen += 1;
                if seen > MAX_ELEMENTS || stack.len() >= MAX_DEPTH || root.is_some() {
                    return Err(malformed());
                }
                stack.push(Element {
                    name: local(&e)?,
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                seen += 1;
                if seen > MAX_ELEMENTS || root.is_some() {
                    return Err(malformed());
                }
                let el = Element {
                    name: local(&e)?,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(malformed)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|_| malformed())?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(malformed()),
                }
            }
            Event::CData(t) => {
                let text = t.decode().map_err(|_| malformed())?;
                stack.last_mut().ok_or_else(malformed)?.text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let el = stack.last_mut().ok_or_else(malformed)?;
                if r.is_char_ref() {
                    let c = r.resolve_char_ref().ok().flatten().ok_or_else(malformed)?;
                    el.text.push(c);
                } else {
                    let name = r.decode().map_err(|_| malformed())?;
                    let v = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(malformed)?;
                    el.text.push_str(v);
                }
            }
            Event::DocType(_) => return Err(malformed()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(malformed());
    }
    root.ok_or_else(malformed)
}

/// Writes a response body.
pub(crate) struct XmlOut {
    w: Writer<Vec<u8>>,
    root: &'static str,
}

impl XmlOut {
    /// A document with its declaration and the root element opened.
    pub fn new(root: &'static str) -> Self {
        let mut w = Writer::new(Vec::with_capacity(1024));
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        let _ = w.write_event(Event::Text(BytesText::from_escaped("\n")));
        let mut out = Self { w, root };
        out.open(root);
        out
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        let _ = self.w.write_event(Event::Start(BytesStart::new(name)));
        self
    }

    /// `<name a="v" ...>`, the values escaped.
    pub fn open_with(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        let mut start = BytesStart::new(name);
        for (a, v) in attributes {
            start.push_attribute((*a, *v));
        }
        let _ = self.w.write_event(Event::Start(start));
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        let _ = self.w.write_event(Event::End(BytesEnd::new(name)));
        self
    }

    /// `<name>value</name>`, the value escaped.
    pub fn field(&mut self, name: &str, value: &str) -> &mut Self {
        self.open(name).text(value).close(name)
    }

    /// Text in the element open, escaped.
    pub fn text(&mut self, value: &str) -> &mut Self {
        let _ = self.w.write_event(Event::Text(BytesText::new(value)));
        self
    }

    /// `<tag><ID>id</ID><DisplayName>id</DisplayName></tag>` (an owner or initiator).
    pub fn person(&mut self, tag: &str, id: &str) -> &mut Self {
        self.open(tag)
            .field("ID", id)
            .field("DisplayName", id)
            .close(tag)
    }

    /// Closes the root and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.close(self.root);
        self.w.into_inner()
    }
}

/// A time as `2006-01-02T15:04:05.000Z` (UTC, whole seconds), as COS writes times in XML
/// and as a POST policy's `expiration` is written (times before 1970 are written as 1970).
pub fn iso8601(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A proleptic Gregorian date to days since 1970-01-01 (the inverse of `civil_from_days`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bodies_with_entities_and_namespaces() {
        let el = parse(
            br#"<?xml version="1.0"?>
<Delete xmlns="http://example"><Quiet>true</Quiet>
<Object><Key>a&amp;b&#x4e2d;&lt;</Key></Object><Object><Key><![CDATA[c<d]]></Key></Object></Delete>"#,
        )
        .unwrap();
        assert_eq!(el.name, "Delete");
        assert_eq!(el.child("Quiet").unwrap().text, "true");
        let keys: Vec<_> = el
            .all("Object")
            .map(|o| o.child("Key").unwrap().text.clone())
            .collect();
        assert_eq!(keys, ["a&b中<", "c<d"]);
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a></a><b></b>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>").is_err());
        assert!(parse(b"<a>&x;</a>").is_err());
        let deep = "<a>".repeat(20) + &"</a>".repeat(20);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn writes_escaped_fields_and_times() {
        let mut x = XmlOut::new("R");
        x.field("Key", "a<&>'\"");
        let s = String::from_utf8(x.finish()).unwrap();
        assert_eq!(
            s,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R><Key>a&lt;&amp;&gt;&apos;&quot;</Key></R>"
        );
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.000Z");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        for days in [-1000, 0, 59, 11_016, 19_675, 60_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
