//! The standard labels every collector advertises, as the TypeScript collector: `host` (the
//! hostname), `os` (Node's `process.platform`), `kernel` (the release, `uname -r`), `type`,
//! `version`, and `zone` when one is given (`--zone` or MESH_ZONE). A label the user sets
//! (`--label`) replaces the standard one of that name.

use std::collections::BTreeMap;

use crate::limits::LABEL_VALUE_MAX;
use crate::options::{Options, COLLECTOR_TYPE};

/// The names of the standard labels.
pub const STANDARD_LABELS: [&str; 6] = ["host", "os", "kernel", "type", "version", "zone"];

fn read_trimmed(path: &str) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// The hostname, as `os.hostname()` gives it (the kernel's nodename).
pub fn hostname() -> Option<String> {
    read_trimmed("/proc/sys/kernel/hostname")
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
}

/// The kernel release, as `os.release()` gives it.
pub fn kernel_release() -> Option<String> {
    read_trimmed("/proc/sys/kernel/osrelease")
}

fn bounded(s: &str) -> String {
    s.chars().take(LABEL_VALUE_MAX).collect()
}

/// The standard labels of a collector with these settings (a label that cannot be read is left out).
pub fn standard_labels(o: &Options) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.insert(k.to_string(), bounded(&v));
        }
    };
    put("host", hostname());
    put("os", Some(std::env::consts::OS.to_string()));
    put("kernel", kernel_release());
    put("type", Some(COLLECTOR_TYPE.to_string()));
    put("version", Some(env!("CARGO_PKG_VERSION").to_string()));
    put("zone", o.zone.clone());
    out
}

/// What the advert carries: the standard labels, then the user's over them.
pub fn advert_labels(o: &Options) -> BTreeMap<String, String> {
    let mut out = standard_labels(o);
    out.extend(o.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_labels_under_the_users() {
        let mut o = Options::new("c1");
        o.zone = Some("eu-1".into());
        o.labels.insert("host".into(), "mine".into());
        o.labels.insert("role".into(), "db".into());
        let l = advert_labels(&o);
        assert_eq!(l["host"], "mine");
        assert_eq!(l["role"], "db");
        assert_eq!(l["zone"], "eu-1");
        assert_eq!(l["type"], COLLECTOR_TYPE);
        assert_eq!(l["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(l["os"], std::env::consts::OS);
        assert_eq!(l.get("kernel"), kernel_release().as_ref());
        assert!(!standard_labels(&Options::new("c2")).contains_key("zone"));
    }
}
