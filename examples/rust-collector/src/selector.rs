//! Label selectors (`where` and `prefer` of a submission), parsed with the grammar of
//! subjects/selector.ts and its bounds:
//!
//! ```text
//! selector := term ("," term)*
//! term     := key op value
//! op       := "=" | "!=" | "~" | "!~"        (~ is a glob: * any run, ? one character)
//! key      := [A-Za-z0-9_.-]+
//! value    := any characters but "," and line breaks; spaces around terms are ignored
//! ```
//!
//! At most `MAX_SELECTOR_TERMS` terms and `MAX_SELECTOR_LENGTH` UTF-16 code units (what
//! JavaScript's `length` counts). Positions in errors are UTF-16 offsets too, as the TypeScript side
//! reports them.

use rmpv::Value;

use crate::check::{is_js_space, string, Checked, Invalid};
use crate::limits::{MAX_SELECTOR_LENGTH, MAX_SELECTOR_TERMS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorOp {
    Eq,
    Ne,
    Glob,
    NotGlob,
}

impl SelectorOp {
    pub fn as_str(self) -> &'static str {
        match self {
            SelectorOp::Eq => "=",
            SelectorOp::Ne => "!=",
            SelectorOp::Glob => "~",
            SelectorOp::NotGlob => "!~",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorTerm {
    pub key: String,
    pub op: SelectorOp,
    pub value: String,
}

/// A selector that does not parse: `position` is the 0-based UTF-16 offset of the mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    pub position: usize,
    pub reason: String,
    pub selector: String,
}

impl std::fmt::Display for SelectorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'selector' {} at position {}: {:?}", self.reason, self.position + 1, self.selector)
    }
}

impl std::error::Error for SelectorError {}

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// What JavaScript's `.` does not match: a value stops short of these, so the term fails.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Parses a selector; the error names the position of the first mistake.
pub fn parse_selector(selector: &str) -> Result<Vec<SelectorTerm>, SelectorError> {
    let fail =
        |position: usize, reason: String| SelectorError { position, reason, selector: selector.to_string() };
    if units(selector) > MAX_SELECTOR_LENGTH {
        return Err(fail(MAX_SELECTOR_LENGTH, format!("longer than {MAX_SELECTOR_LENGTH}")));
    }
    let mut terms = Vec::new();
    let mut start = 0;
    for part in selector.split(',') {
        let lead = part.len() - part.trim_start_matches(is_js_space).len();
        let at = start + units(&part[..lead]);
        start += units(part) + 1;
        let text = part.trim_matches(is_js_space);
        if text.is_empty() {
            return Err(fail(at, "an empty term".into()));
        }
        let no_op = || fail(at, "a term without =, !=, ~ or !~".into());
        let i = text.find(['=', '!', '~']).ok_or_else(no_op)?;
        let rest = &text[i..];
        let op = if rest.starts_with("!=") {
            SelectorOp::Ne
        } else if rest.starts_with("!~") {
            SelectorOp::NotGlob
        } else if rest.starts_with('=') {
            SelectorOp::Eq
        } else if rest.starts_with('~') {
            SelectorOp::Glob
        } else {
            return Err(no_op());
        };
        let (raw_key, raw_value) = (&text[..i], &rest[op.as_str().len()..]);
        if raw_value.contains(is_line_terminator) {
            return Err(no_op());
        }
        let key = raw_key.trim_matches(is_js_space);
        if !is_key(key) {
            return Err(fail(at, format!("the label name {key:?}")));
        }
        let value = raw_value.trim_matches(is_js_space);
        if value.starts_with(['=', '!', '~']) {
            return Err(fail(at + units(raw_key) + op.as_str().len(), "a second operator".into()));
        }
        terms.push(SelectorTerm { key: key.to_string(), op, value: value.to_string() });
        if terms.len() > MAX_SELECTOR_TERMS {
            return Err(fail(at, format!("more than {MAX_SELECTOR_TERMS} terms")));
        }
    }
    Ok(terms)
}

/// A selector on the wire: a string of 1-1024 characters that parses.
pub fn selector(v: &Value, path: &str) -> Checked<String> {
    let s = string(v, path, 1, MAX_SELECTOR_LENGTH)?;
    parse_selector(&s).map_err(|e| Invalid::at(path, format!("invalid message: {path}: {e}")))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_operators() {
        let t = parse_selector(" zone = eu ,role!=db,host~web-*,k!~a=b").unwrap();
        let got: Vec<(&str, &str, &str)> =
            t.iter().map(|t| (t.key.as_str(), t.op.as_str(), t.value.as_str())).collect();
        assert_eq!(
            got,
            [("zone", "=", "eu"), ("role", "!=", "db"), ("host", "~", "web-*"), ("k", "!~", "a=b")]
        );
    }

    #[test]
    fn mistakes_and_their_positions() {
        let pos = |s: &str| parse_selector(s).unwrap_err().position;
        assert_eq!(pos("a=b,"), 4);
        assert_eq!(pos("a=b,  c"), 6);
        assert_eq!(pos("a==b"), 2);
        assert_eq!(pos("=b"), 0);
        assert_eq!(pos("a!b"), 0);
        assert_eq!(pos(&"k=v,".repeat(33)[..131]), 128);
        assert_eq!(pos(&format!("k={}", "\u{1F600}".repeat(512))), MAX_SELECTOR_LENGTH);
        assert!(parse_selector(&format!("k={}", "\u{1F600}".repeat(511))).is_ok());
    }
}
