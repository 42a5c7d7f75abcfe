//! Field checks with the semantics of the zod schemas in `subjects/schemas.ts`: numbers are
//! JavaScript numbers (an integral float64 is an integer, integers stop at 2^53 - 1), string
//! lengths count code points, objects drop fields they do not name, an optional field may be
//! absent but not nil. An error names the first failing path the way the TypeScript codec does.

use std::collections::BTreeMap;

use rmpv::Value;

use crate::limits::*;
use crate::msgpack::kind;

/// Why bytes are not a valid message: the failing path (`taskId`, `labels.zone`, `<root>`,
/// `<msgpack>`, `<size>`) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
}

impl Invalid {
    pub fn at(path: &str, message: String) -> Invalid {
        Invalid { path: path.to_string(), message }
    }

    fn field(path: &str, what: String) -> Invalid {
        let path = if path.is_empty() { "<root>" } else { path };
        Invalid { path: path.to_string(), message: format!("invalid message: {path}: {what}") }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

pub type Checked<T> = Result<T, Invalid>;

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn expected(path: &str, what: &str, v: &Value) -> Invalid {
    Invalid::field(path, format!("expected {what}, received {}", kind(v)))
}

/// A map read as an object: fields by name (the decoder already kept the last of repeated keys).
pub struct Obj<'a> {
    path: &'a str,
    fields: &'a [(Value, Value)],
}

impl<'a> Obj<'a> {
    pub fn new(v: &'a Value, path: &'a str) -> Checked<Obj<'a>> {
        match v {
            Value::Map(fields) => Ok(Obj { path, fields }),
            other => Err(expected(path, "object", other)),
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.fields.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }

    /// A required field.
    pub fn req<T>(&self, key: &str, f: impl FnOnce(&'a Value, &str) -> Checked<T>) -> Checked<T> {
        let path = join(self.path, key);
        match self.get(key) {
            Some(v) => f(v, &path),
            None => Err(Invalid::field(&path, "expected a value, received undefined".into())),
        }
    }

    /// An optional field: absent is None, nil is an error (as zod's `.optional()`).
    pub fn opt<T>(&self, key: &str, f: impl FnOnce(&'a Value, &str) -> Checked<T>) -> Checked<Option<T>> {
        let path = join(self.path, key);
        self.get(key).map(|v| f(v, &path)).transpose()
    }

    /// `z.unknown().optional()`: any value, nil included.
    pub fn any(&self, key: &str) -> Option<Value> {
        self.get(key).cloned()
    }
}

/// ECMAScript's `\s`: WhiteSpace and LineTerminator (not U+0085, unlike Unicode's White_Space).
pub fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// One subject token: no `.`, `*`, `>` or whitespace.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c == '.' || c == '*' || c == '>' || is_js_space(c))
}

pub fn string(v: &Value, path: &str, min: usize, max: usize) -> Checked<String> {
    let s = match v {
        Value::String(s) => s.as_str().unwrap_or_default(),
        other => return Err(expected(path, "string", other)),
    };
    let n = s.chars().count();
    if n < min {
        return Err(Invalid::field(path, format!("too small: expected string to have >={min} characters")));
    }
    if n > max {
        return Err(Invalid::field(path, format!("too big: expected string to have <={max} characters")));
    }
    Ok(s.to_string())
}

pub fn id(v: &Value, path: &str) -> Checked<String> {
    let s = string(v, path, ID_MIN, ID_MAX)?;
    if !is_token(&s) {
        return Err(Invalid::field(path, "must be one subject token".into()));
    }
    Ok(s)
}

/// A finite JavaScript number.
pub fn number(v: &Value, path: &str) -> Checked<f64> {
    let f = match v {
        Value::Integer(i) => i.as_f64().unwrap_or(f64::NAN),
        Value::F32(f) => f64::from(*f),
        Value::F64(f) => *f,
        other => return Err(expected(path, "number", other)),
    };
    if !f.is_finite() {
        return Err(Invalid::field(path, format!("expected number, received {f}")));
    }
    Ok(f)
}

pub fn number_min0(v: &Value, path: &str) -> Checked<f64> {
    let f = number(v, path)?;
    if f < 0.0 {
        return Err(Invalid::field(path, "too small: expected number to be >=0".into()));
    }
    Ok(f + 0.0)
}

/// A safe integer in `min..=max` (the contract has no negative integer fields).
pub fn int(v: &Value, path: &str, min: u64, max: u64) -> Checked<u64> {
    let f = number(v, path)?;
    if f.fract() != 0.0 {
        return Err(Invalid::field(path, "expected int, received number".into()));
    }
    if f < min as f64 {
        return Err(Invalid::field(path, format!("too small: expected int to be >={min}")));
    }
    if f > max.min(MAX_SAFE_INTEGER) as f64 {
        return Err(Invalid::field(path, format!("too big: expected int to be <={max}")));
    }
    Ok(f as u64)
}

pub fn millis(v: &Value, path: &str) -> Checked<u64> {
    int(v, path, 0, MAX_SAFE_INTEGER)
}

pub fn boolean(v: &Value, path: &str) -> Checked<bool> {
    match v {
        Value::Boolean(b) => Ok(*b),
        other => Err(expected(path, "boolean", other)),
    }
}

/// One of `names`, exactly (case-sensitive).
pub fn one_of(v: &Value, path: &str, names: &[&'static str]) -> Checked<&'static str> {
    let s = match v {
        Value::String(s) => s.as_str().unwrap_or_default(),
        other => return Err(expected(path, "string", other)),
    };
    names
        .iter()
        .find(|n| **n == s)
        .copied()
        .ok_or_else(|| Invalid::field(path, format!("invalid option: expected one of {}", names.join("|"))))
}

pub fn priority(v: &Value, path: &str) -> Checked<u8> {
    let f =
        number(v, path).map_err(|_| Invalid::field(path, "invalid input: expected 0, 1, 2 or 3".into()))?;
    PRIORITIES
        .iter()
        .find(|p| **p as f64 == f)
        .map(|p| *p as u8)
        .ok_or_else(|| Invalid::field(path, "invalid input: expected 0, 1, 2 or 3".into()))
}

pub fn array<'a, T>(
    v: &'a Value,
    path: &str,
    max: usize,
    mut item: impl FnMut(&'a Value, &str) -> Checked<T>,
) -> Checked<Vec<T>> {
    let items = match v {
        Value::Array(items) => items,
        other => return Err(expected(path, "array", other)),
    };
    let out = items
        .iter()
        .enumerate()
        .map(|(i, x)| item(x, &join(path, &i.to_string())))
        .collect::<Checked<Vec<T>>>()?;
    if out.len() > max {
        return Err(Invalid::field(path, format!("too big: expected array to have <={max} items")));
    }
    Ok(out)
}

/// The labels of an advert: names 1-64, values up to 256, at most 32.
pub fn labels(v: &Value, path: &str) -> Checked<BTreeMap<String, String>> {
    let Value::Map(fields) = v else {
        return Err(expected(path, "record", v));
    };
    let mut out = BTreeMap::new();
    for (k, x) in fields {
        let key = k.as_str().unwrap_or_default();
        let at = join(path, key);
        let n = key.chars().count();
        if !(LABEL_KEY_MIN..=LABEL_KEY_MAX).contains(&n) {
            return Err(Invalid::field(&at, "invalid key in record".into()));
        }
        out.insert(key.to_string(), string(x, &at, 0, LABEL_VALUE_MAX)?);
    }
    if out.len() > MAX_LABELS {
        return Err(Invalid::field(path, format!("at most {MAX_LABELS} labels")));
    }
    Ok(out)
}

/// True for base64url without padding of exactly `bytes` bytes, in its one canonical form (the
/// bits past the last byte are zero), as `SIGNING_KEY_PATTERN` and `SIGNATURE_PATTERN` say.
pub fn is_base64url(s: &str, bytes: usize) -> bool {
    let chars = (bytes * 8).div_ceil(6);
    let spare = chars * 6 - bytes * 8;
    let index = |c: char| match c {
        'A'..='Z' => Some(c as u32 - 'A' as u32),
        'a'..='z' => Some(c as u32 - 'a' as u32 + 26),
        '0'..='9' => Some(c as u32 - '0' as u32 + 52),
        '-' => Some(62),
        '_' => Some(63),
        _ => None,
    };
    let all: Option<Vec<u32>> = s.chars().map(index).collect();
    match all {
        Some(v) if v.len() == chars => v.last().is_none_or(|last| last & ((1 << spare) - 1) == 0),
        _ => false,
    }
}

/// An advert's signingKey: `ed25519:` and a 32-byte public key in base64url without padding.
pub fn signing_key(v: &Value, path: &str) -> Checked<String> {
    let s = match v {
        Value::String(s) => s.as_str().unwrap_or_default(),
        other => return Err(expected(path, "string", other)),
    };
    match s.strip_prefix(SIGNING_KEY_PREFIX) {
        Some(key) if is_base64url(key, 32) => Ok(s.to_string()),
        _ => Err(Invalid::field(path, "must be ed25519: and a 32-byte key in base64url".into())),
    }
}

/// `z.record(z.string(), z.unknown())`: a map, kept as it is.
pub fn record(v: &Value, path: &str) -> Checked<Value> {
    match v {
        Value::Map(_) => Ok(v.clone()),
        other => Err(expected(path, "record", other)),
    }
}
