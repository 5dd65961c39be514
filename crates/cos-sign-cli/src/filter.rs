//! `--exclude` and `--include`: which files or objects the commands over a folder or a
//! prefix (`put -r`, `get -r`, `sync`, `rm -r`) act on, as `aws s3`'s filters decide it.
//!
//! - Every file or object is taken, unless a filter says otherwise.
//! - The filters are read in the order given, across both flags, and the last one whose
//!   pattern matches decides: `--exclude '*' --include '*.jpg'` takes only the `.jpg` files.
//! - A pattern is matched against the path below the folder or the prefix, `/`-separated
//!   (for an object, where `get -r` would write it: see [`rel_below`]). Matching is
//!   case-sensitive, in the way of Python's `fnmatch`, which `aws s3` uses:
//!   - `*` matches any run of characters, `/` included;
//!   - `?` matches one character;
//!   - `[seq]` matches one character of the set (ranges such as `a-z`), and `[!seq]` one
//!     character outside it;
//!   - a `[` with no closing `]` is itself.
//! - With `sync --delete`, what the filters leave out on the destination is not deleted.

use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

/// The filters of a command, in the order given.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct FilterArgs {
    /// Leave out the files or objects whose path below the folder or prefix matches PATTERN
    /// (`*` any characters, `/` included; `?` one; `[seq]`, `[!seq]`). Repeatable; with
    /// --include, the last pattern that matches decides.
    #[arg(long, value_name = "PATTERN", value_parser = exclude)]
    exclude: Vec<Rule>,
    /// Take again the files or objects matching PATTERN that an --exclude given before it
    /// left out (e.g. --exclude '*' --include '*.jpg'). Repeatable.
    #[arg(long, value_name = "PATTERN", value_parser = include)]
    include: Vec<Rule>,
}

/// One `--exclude` or `--include`: `seq` is its place on the command line (clap parses the
/// values in the order they come, so a counter read by the value parser gives it).
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    seq: u64,
    include: bool,
    pattern: Vec<char>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

fn rule(include: bool, pattern: &str) -> Result<Rule, String> {
    if pattern.is_empty() {
        return Err("an empty pattern matches nothing; give a pattern such as '*.tmp'".into());
    }
    Ok(Rule {
        seq: NEXT.fetch_add(1, Ordering::Relaxed),
        include,
        pattern: pattern.chars().collect(),
    })
}

fn exclude(pattern: &str) -> Result<Rule, String> {
    rule(false, pattern)
}

fn include(pattern: &str) -> Result<Rule, String> {
    rule(true, pattern)
}

/// The filters in command-line order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters(Vec<Rule>);

impl FilterArgs {
    /// Refuses filters on a command over one object (they choose among many: `-r`).
    pub(crate) fn only_with_recursive(&self) -> Result<(), crate::CliError> {
        if self.exclude.is_empty() && self.include.is_empty() {
            Ok(())
        } else {
            Err(crate::CliError::usage(
                "--exclude and --include choose among the files or objects of -r",
            ))
        }
    }

    pub(crate) fn filters(&self) -> Filters {
        let mut rules: Vec<Rule> = self.exclude.iter().chain(&self.include).cloned().collect();
        rules.sort_by_key(|r| r.seq);
        Filters(rules)
    }
}

impl Filters {
    /// Whether the file or object at `rel` (its path below the folder or prefix) is taken.
    pub(crate) fn admits(&self, rel: &str) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let text: Vec<char> = rel.chars().collect();
        self.0
            .iter()
            .rev()
            .find(|r| matches(&r.pattern, &text))
            .is_none_or(|r| r.include)
    }

    /// Whether the object `key`, listed under `prefix`, is taken: never when it is not under
    /// the prefix (a broken or lying server listed it), filters or not.
    pub(crate) fn admits_key(&self, prefix: &str, key: &str) -> bool {
        rel_below(prefix, key).is_some_and(|rel| self.admits(rel))
    }
}

/// The path of `key` below `prefix` as the filters see it: after the prefix, and after one
/// `/` more when the prefix does not end in `/` (the path `get -r` writes it at).
pub(crate) fn rel_below<'k>(prefix: &str, key: &'k str) -> Option<&'k str> {
    let rel = key.strip_prefix(prefix)?;
    if prefix.is_empty() || prefix.ends_with('/') {
        Some(rel)
    } else {
        Some(rel.strip_prefix('/').unwrap_or(rel))
    }
}

/// Whether `text` matches the glob `pattern` (the rules in the module's documentation).
/// One pass with a single backtrack point, the last `*`: what a later `*` can match, an
/// earlier one need not, so the time stays `O(pattern x text)`.
fn matches(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // After the last `*`: where the pattern resumes, and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some('?') => Some(p + 1),
            Some('[') => match class(pattern, p, c) {
                Some((true, next)) => Some(next),
                Some((false, _)) => None,
                // No closing `]`: a plain `[`.
                None => (c == '[').then_some(p + 1),
            },
            Some(&q) => (q == c).then_some(p + 1),
            None => None,
        };
        match (step, star) {
            (Some(next), _) => {
                p = next;
                t += 1;
            }
            (None, Some((resume, tried))) => {
                p = resume;
                t = tried + 1;
                star = Some((resume, tried + 1));
            }
            (None, None) => return false,
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|&c| c == '*')
}

/// The set at `pattern[open]` (a `[`) against `c`: whether `c` is in it, and where the
/// pattern goes on after its `]`; `None` when no `]` closes it. As `fnmatch`: `!` first
/// negates, a `]` first (after any `!`) is a member, `a-z` is a range (none when reversed),
/// a `-` first or last is itself.
fn class(pattern: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negated = pattern.get(i) == Some(&'!');
    if negated {
        i += 1;
    }
    let first = i;
    let mut found = false;
    loop {
        let &m = pattern.get(i)?;
        if m == ']' && i > first {
            return Some((found != negated, i + 1));
        }
        match (pattern.get(i + 1), pattern.get(i + 2)) {
            (Some('-'), Some(&hi)) if hi != ']' => {
                found |= m <= c && c <= hi;
                i += 3;
            }
            _ => {
                found |= m == c;
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Filters, Rule, matches, rel_below};

    fn m(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        matches(&p, &t)
    }

    /// Cases checked against Python's `fnmatch.fnmatchcase` (what `aws s3` filters use).
    #[test]
    fn globs_match_as_fnmatch_does() {
        for (pattern, text, want) in [
            ("*", "", true),
            ("*", "a/b/c.txt", true),
            ("*.txt", "a/b/c.txt", true),
            ("*.txt", "a/b/c.txt.bak", false),
            ("a/*", "a/b/c", true),
            ("a/*/c", "a/b/x/c", true),
            ("*/c", "c", false),
            ("?", "", false),
            ("?", "谷", true),
            ("??", "谷", false),
            ("a?c", "a/c", true),
            ("[abc]", "b", true),
            ("[abc]", "d", false),
            ("[!abc]", "d", true),
            ("[!abc]", "a", false),
            ("[a-c]x", "bx", true),
            ("[c-a]x", "bx", false),
            ("[]]", "]", true),
            ("[!]]", "]", false),
            ("[!]]", "a", true),
            ("[a-]", "-", true),
            ("[-a]", "-", true),
            ("[", "[", true),
            ("[a", "[a", true),
            ("[a", "a", false),
            ("a[", "a[", true),
            ("**", "x", true),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c*", "xxaxxcxxbxx", false),
            (
                "a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("*.JPG", "x.jpg", false),
            ("photos/2024-??-*/*.jpg", "photos/2024-05-01/a b.jpg", true),
        ] {
            assert_eq!(m(pattern, text), want, "{pattern:?} on {text:?}");
        }
    }

    fn filters(rules: &[(bool, &str)]) -> Filters {
        Filters(
            rules
                .iter()
                .enumerate()
                .map(|(i, &(include, p))| Rule {
                    seq: i as u64,
                    include,
                    pattern: p.chars().collect(),
                })
                .collect(),
        )
    }

    #[test]
    fn the_last_matching_filter_decides() {
        let none = filters(&[]);
        assert!(none.admits("anything") && none.admits(""));
        let f = filters(&[(false, "*"), (true, "*.jpg")]);
        assert!(f.admits("a/b.jpg"));
        assert!(!f.admits("a/b.png"));
        let f = filters(&[(true, "*.jpg"), (false, "*")]);
        assert!(!f.admits("a/b.jpg"));
        let f = filters(&[(false, "*.tmp"), (false, ".git/*")]);
        assert!(f.admits("src/main.rs"));
        assert!(!f.admits("x.tmp") && !f.admits(".git/HEAD"));
    }

    #[test]
    fn keys_are_matched_below_their_prefix() {
        assert_eq!(rel_below("photos/", "photos/a.jpg"), Some("a.jpg"));
        assert_eq!(rel_below("photos", "photos/a.jpg"), Some("a.jpg"));
        assert_eq!(rel_below("photos", "photosa.jpg"), Some("a.jpg"));
        assert_eq!(rel_below("", "a/b"), Some("a/b"));
        assert_eq!(rel_below("x/", "photos/a"), None);
        let f = filters(&[(false, "*"), (true, "2024/*")]);
        assert!(f.admits_key("logs/", "logs/2024/a.log"));
        assert!(!f.admits_key("logs/", "logs/2023/a.log"));
        assert!(!f.admits_key("logs/", "other/2024/a.log"));
    }
}
