//! MessagePack bytes to a value, with the receiving rules of the contract (the TypeScript codec,
//! `src/codec.ts`, and the golden vectors fix them):
//!
//! - a message is one value with nothing after it, at most `MAX_MESSAGE_BYTES`;
//! - 0xc1 and truncated data are errors;
//! - an array or a map holds at most `MAX_COLLECTION_ITEMS` items, a string, bin or ext at most
//!   `MAX_MESSAGE_BYTES` bytes;
//! - a map key is a string or a number; a number key reads as its decimal string; the key
//!   `__proto__` is refused; a repeated key keeps its last value;
//! - ext -1 (timestamp) has 4, 8 or 12 data bytes.
//!
//! Stricter than the TypeScript codec, and said in the README: a string must be valid UTF-8, and
//! values nest at most `MAX_DEPTH` deep.

use std::collections::HashMap;

use rmp::Marker;
use rmpv::Value;

use crate::check::Invalid;
use crate::limits::{MAX_COLLECTION_ITEMS, MAX_MESSAGE_BYTES};

/// Nesting limit of arrays and maps: the TypeScript encoder's own limit, so nothing deeper could
/// be sent on by the mesh anyway; and the reader recurses, so the limit bounds its stack.
pub const MAX_DEPTH: usize = 100;

/// Decodes one message, or says why it is not one.
pub fn decode_value(bytes: &[u8], max_bytes: usize) -> Result<Value, Invalid> {
    if bytes.len() > max_bytes {
        return Err(Invalid::at("<size>", format!("message of {} bytes exceeds {max_bytes}", bytes.len())));
    }
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = r.value(0).map_err(|e| Invalid::at("<msgpack>", format!("not MessagePack: {e}")))?;
    if r.pos != bytes.len() {
        return Err(Invalid::at(
            "<msgpack>",
            format!("not MessagePack: {} extra byte(s) after the value", bytes.len() - r.pos),
        ));
    }
    Ok(v)
}

/// `decode_value` with the contract's size limit.
pub fn decode(bytes: &[u8]) -> Result<Value, Invalid> {
    decode_value(bytes, MAX_MESSAGE_BYTES)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        if self.buf.len() - self.pos < n {
            return Err(format!("{n} byte(s) wanted at {}, the message ends first", self.pos));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be<const N: usize>(&mut self) -> R<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len(&mut self, width: usize) -> R<usize> {
        Ok(match width {
            1 => self.be::<1>()?[0] as usize,
            2 => u16::from_be_bytes(self.be()?) as usize,
            _ => u32::from_be_bytes(self.be()?) as usize,
        })
    }

    fn value(&mut self, depth: usize) -> R<Value> {
        let m = Marker::from_u8(self.be::<1>()?[0]);
        Ok(match m {
            Marker::Null => Value::Nil,
            Marker::True => Value::Boolean(true),
            Marker::False => Value::Boolean(false),
            Marker::FixPos(n) => Value::from(n),
            Marker::FixNeg(n) => Value::from(n),
            Marker::U8 => Value::from(self.be::<1>()?[0]),
            Marker::U16 => Value::from(u16::from_be_bytes(self.be()?)),
            Marker::U32 => Value::from(u32::from_be_bytes(self.be()?)),
            Marker::U64 => Value::from(u64::from_be_bytes(self.be()?)),
            Marker::I8 => Value::from(self.be::<1>()?[0] as i8),
            Marker::I16 => Value::from(i16::from_be_bytes(self.be()?)),
            Marker::I32 => Value::from(i32::from_be_bytes(self.be()?)),
            Marker::I64 => Value::from(i64::from_be_bytes(self.be()?)),
            Marker::F32 => Value::F32(f32::from_be_bytes(self.be()?)),
            Marker::F64 => Value::F64(f64::from_be_bytes(self.be()?)),
            Marker::FixStr(n) => self.str(n as usize)?,
            Marker::Str8 => self.sized(1, Self::str)?,
            Marker::Str16 => self.sized(2, Self::str)?,
            Marker::Str32 => self.sized(4, Self::str)?,
            Marker::Bin8 => self.sized(1, Self::bin)?,
            Marker::Bin16 => self.sized(2, Self::bin)?,
            Marker::Bin32 => self.sized(4, Self::bin)?,
            Marker::FixArray(n) => self.array(n as usize, depth)?,
            Marker::Array16 => {
                let n = self.len(2)?;
                self.array(n, depth)?
            }
            Marker::Array32 => {
                let n = self.len(4)?;
                self.array(n, depth)?
            }
            Marker::FixMap(n) => self.map(n as usize, depth)?,
            Marker::Map16 => {
                let n = self.len(2)?;
                self.map(n, depth)?
            }
            Marker::Map32 => {
                let n = self.len(4)?;
                self.map(n, depth)?
            }
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 => {
                let n = self.len(1)?;
                self.ext(n)?
            }
            Marker::Ext16 => {
                let n = self.len(2)?;
                self.ext(n)?
            }
            Marker::Ext32 => {
                let n = self.len(4)?;
                self.ext(n)?
            }
            Marker::Reserved => return Err("type byte 0xc1 is never used".into()),
        })
    }

    fn sized(&mut self, width: usize, f: fn(&mut Self, usize) -> R<Value>) -> R<Value> {
        let n = self.len(width)?;
        f(self, n)
    }

    fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        if n > MAX_MESSAGE_BYTES {
            return Err(format!("length {n} exceeds {MAX_MESSAGE_BYTES}"));
        }
        self.take(n)
    }

    fn str(&mut self, n: usize) -> R<Value> {
        let b = self.bytes(n)?;
        let s = std::str::from_utf8(b).map_err(|e| format!("string is not UTF-8: {e}"))?;
        Ok(Value::from(s))
    }

    fn bin(&mut self, n: usize) -> R<Value> {
        Ok(Value::Binary(self.bytes(n)?.to_vec()))
    }

    fn ext(&mut self, n: usize) -> R<Value> {
        let ty = self.be::<1>()?[0] as i8;
        let data = self.bytes(n)?;
        if ty == -1 && !matches!(n, 4 | 8 | 12) {
            return Err(format!("timestamp (ext -1) of {n} bytes (expected 4, 8 or 12)"));
        }
        Ok(Value::Ext(ty, data.to_vec()))
    }

    fn items(&self, n: usize, depth: usize, what: &str) -> R<usize> {
        if n > MAX_COLLECTION_ITEMS {
            return Err(format!("{what} of {n} items exceeds {MAX_COLLECTION_ITEMS}"));
        }
        if depth >= MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH}"));
        }
        // Every item takes at least one byte: no allocation beyond what the message can fill.
        Ok(n.min(self.buf.len() - self.pos))
    }

    fn array(&mut self, n: usize, depth: usize) -> R<Value> {
        let mut out = Vec::with_capacity(self.items(n, depth, "array")?);
        for _ in 0..n {
            out.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(out))
    }

    fn map(&mut self, n: usize, depth: usize) -> R<Value> {
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(self.items(n, depth, "map")? / 2);
        let mut index: HashMap<String, usize> = HashMap::new();
        for _ in 0..n {
            let key = map_key(self.value(depth + 1)?)?;
            let v = self.value(depth + 1)?;
            match index.get(&key) {
                Some(&i) => out[i].1 = v,
                None => {
                    index.insert(key.clone(), out.len());
                    out.push((Value::from(key), v));
                }
            }
        }
        Ok(Value::Map(out))
    }
}

/// A map key as the text it stands for: a string, or a number written as JavaScript writes it.
fn map_key(k: Value) -> R<String> {
    let s = match k {
        Value::String(s) => s.into_str().unwrap_or_default(),
        Value::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) if u > crate::limits::MAX_SAFE_INTEGER => js_number(u as f64),
            (_, Some(v)) if v < -(crate::limits::MAX_SAFE_INTEGER as i64) => js_number(v as f64),
            _ => i.to_string(),
        },
        Value::F32(f) => js_number(f as f64),
        Value::F64(f) => js_number(f),
        other => return Err(format!("a map key must be a string or a number, not {}", kind(&other))),
    };
    if s == "__proto__" {
        return Err("the key __proto__ is not allowed".into());
    }
    Ok(s)
}

fn js_number(f: f64) -> String {
    if f == 0.0 {
        "0".into()
    } else if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

/// The kind of a value, for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::F32(_) | Value::F64(_) => "number",
        Value::String(_) => "string",
        Value::Binary(_) => "bytes",
        Value::Array(_) => "array",
        Value::Map(_) => "object",
        Value::Ext(..) => "ext",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two rules stricter than the TypeScript codec (the golden vectors hold only rules both
    /// sides share).
    #[test]
    fn stricter_than_the_typescript_codec() {
        let mut deep = vec![0x91u8; MAX_DEPTH];
        deep.push(0xc0);
        assert!(decode(&deep).is_ok());
        let mut deeper = vec![0x91u8; MAX_DEPTH + 1];
        deeper.push(0xc0);
        assert_eq!(decode(&deeper).unwrap_err().path, "<msgpack>");
        let bad_utf8 = [0xa2, 0xc3, 0x28];
        assert_eq!(decode(&bad_utf8).unwrap_err().path, "<msgpack>");
    }

    #[test]
    fn a_huge_length_claim_costs_what_the_message_holds() {
        // array32 claiming 100000 items, with none there: refused, nothing preallocated.
        let e = decode(&[0xdd, 0x00, 0x01, 0x86, 0xa0]).unwrap_err();
        assert_eq!(e.path, "<msgpack>");
        let e = decode(&[0xdb, 0xff, 0xff, 0xff, 0xff]).unwrap_err();
        assert!(e.message.contains("exceeds"), "{e}");
    }

    #[test]
    fn number_keys_read_as_javascript_writes_them() {
        let v =
            decode(&[0x83, 0x01, 0xc0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0xd0, 0xfe, 0xc0]).unwrap();
        let keys: Vec<&str> = v.as_map().unwrap().iter().map(|(k, _)| k.as_str().unwrap()).collect();
        assert_eq!(keys, ["1", "1.5", "-2"]);
    }
}
