//! The PERFORMANCE handler: load averages from /proc/loadavg and memory from /proc/meminfo.
//!
//! Payload options (a map; absent or nil means one sample):
//! - `stream`: how many samples to send, 1-1000 (seq 0..n-1, `final` on the last);
//! - `intervalMs`: pause between samples, 0-60000 (default 10);
//! - `delayMs`: pause before the first sample, 0-600000 (a slow task, for failover tests).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rmpv::Value;

use crate::contract::{ErrorBody, ErrorCode};

pub const MAX_STREAM: u64 = 1000;
const DEFAULT_INTERVAL_MS: u64 = 10;

/// What the handler was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfRequest {
    pub samples: u64,
    pub interval: Duration,
    pub delay: Duration,
}

impl PerfRequest {
    /// Reads the task's payload; INVALID_ARGUMENT when an option is out of range.
    pub fn parse(payload: Option<&Value>) -> Result<PerfRequest, ErrorBody> {
        let mut req = PerfRequest {
            samples: 1,
            interval: Duration::from_millis(DEFAULT_INTERVAL_MS),
            delay: Duration::ZERO,
        };
        let fields = match payload {
            None | Some(Value::Nil) => return Ok(req),
            Some(Value::Map(fields)) => fields,
            Some(_) => return Err(bad("payload must be a map of options (stream, intervalMs, delayMs)")),
        };
        for (k, v) in fields {
            let opt = |max: u64| -> Result<u64, ErrorBody> {
                match v.as_f64() {
                    Some(f) if f.fract() == 0.0 && (0.0..=max as f64).contains(&f) => Ok(f as u64),
                    _ => {
                        Err(bad(&format!("{} must be an integer from 0 to {max}", k.as_str().unwrap_or("?"))))
                    }
                }
            };
            match k.as_str() {
                Some("stream") => {
                    req.samples = opt(MAX_STREAM)?;
                    if req.samples == 0 {
                        return Err(bad("stream must be at least 1"));
                    }
                }
                Some("intervalMs") => req.interval = Duration::from_millis(opt(60_000)?),
                Some("delayMs") => req.delay = Duration::from_millis(opt(600_000)?),
                _ => {}
            }
        }
        Ok(req)
    }
}

fn bad(message: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidArgument, message)
}

/// Where the samples come from (a directory laid out like /proc, for tests).
#[derive(Debug, Clone)]
pub struct ProcSource {
    pub root: PathBuf,
}

impl Default for ProcSource {
    fn default() -> Self {
        ProcSource { root: PathBuf::from("/proc") }
    }
}

impl ProcSource {
    /// One sample: `{ sample, load1, load5, load15, runnable, threads, memTotalKb, ... }`.
    pub fn sample(&self, n: u64) -> Result<Value, ErrorBody> {
        let load = read(&self.root.join("loadavg"))?;
        let mem = read(&self.root.join("meminfo"))?;
        let mut out = vec![(Value::from("sample"), Value::from(n))];
        out.extend(parse_loadavg(&load).ok_or_else(|| internal("/proc/loadavg has an unknown layout"))?);
        out.extend(parse_meminfo(&mem));
        Ok(Value::Map(out))
    }
}

fn internal(message: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::Internal, message)
}

fn read(p: &Path) -> Result<String, ErrorBody> {
    std::fs::read_to_string(p).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorCode::UnsupportedPlatform
        } else {
            ErrorCode::Internal
        };
        ErrorBody::new(code, &format!("{}: {e}", p.display()))
    })
}

/// `0.42 0.37 0.30 2/613 12345`: three load averages, runnable/threads, last pid.
pub fn parse_loadavg(text: &str) -> Option<Vec<(Value, Value)>> {
    let mut it = text.split_whitespace();
    let mut load = || it.next()?.parse::<f64>().ok();
    let (l1, l5, l15) = (load()?, load()?, load()?);
    let (runnable, threads) = it.next()?.split_once('/')?;
    Some(vec![
        (Value::from("load1"), Value::F64(l1)),
        (Value::from("load5"), Value::F64(l5)),
        (Value::from("load15"), Value::F64(l15)),
        (Value::from("runnable"), Value::from(runnable.parse::<u64>().ok()?)),
        (Value::from("threads"), Value::from(threads.parse::<u64>().ok()?)),
    ])
}

/// The fields of /proc/meminfo the sample carries, in kB, as `memTotalKb` and so on.
pub fn parse_meminfo(text: &str) -> Vec<(Value, Value)> {
    const FIELDS: [(&str, &str); 6] = [
        ("MemTotal", "memTotalKb"),
        ("MemFree", "memFreeKb"),
        ("MemAvailable", "memAvailableKb"),
        ("Cached", "cachedKb"),
        ("SwapTotal", "swapTotalKb"),
        ("SwapFree", "swapFreeKb"),
    ];
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once(':') else { continue };
        let Some((_, key)) = FIELDS.iter().find(|(n, _)| *n == name) else { continue };
        if let Some(kb) = rest.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()) {
            out.push((Value::from(*key), Value::from(kb)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadavg_and_meminfo_parse() {
        let l = parse_loadavg("0.42 0.37 0.30 2/613 12345\n").unwrap();
        assert_eq!(l[0], (Value::from("load1"), Value::F64(0.42)));
        assert_eq!(l[4], (Value::from("threads"), Value::from(613u64)));
        assert!(parse_loadavg("garbage").is_none());
        let m = parse_meminfo("MemTotal:       16318480 kB\nMemFree: 1 kB\nBogus: x\nMemAvailable: 9 kB\n");
        assert_eq!(m.len(), 3);
        assert_eq!(m[2], (Value::from("memAvailableKb"), Value::from(9u64)));
    }

    #[test]
    fn options_are_checked() {
        let map = |k: &str, v: Value| Value::Map(vec![(Value::from(k), v)]);
        assert_eq!(PerfRequest::parse(None).unwrap().samples, 1);
        assert_eq!(PerfRequest::parse(Some(&map("stream", Value::from(5)))).unwrap().samples, 5);
        assert_eq!(
            PerfRequest::parse(Some(&map("delayMs", Value::from(300)))).unwrap().delay,
            Duration::from_millis(300)
        );
        for bad in [
            map("stream", Value::from(0)),
            map("stream", Value::from(1001)),
            map("stream", Value::from("3")),
            Value::from(3),
        ] {
            let e = PerfRequest::parse(Some(&bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn samples_this_machine() {
        let v = ProcSource::default().sample(0).unwrap();
        let keys: Vec<&str> = v.as_map().unwrap().iter().filter_map(|(k, _)| k.as_str()).collect();
        for k in ["sample", "load1", "threads", "memTotalKb", "memAvailableKb"] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        let missing = ProcSource { root: PathBuf::from("/nonexistent") }.sample(0).unwrap_err();
        assert_eq!(missing.code, ErrorCode::UnsupportedPlatform);
    }
}
