//! The collector's settings and their defaults, in one place. The defaults are those of the
//! TypeScript Collector SDK (src/collector/options.ts) and Advertiser (src/router/options.ts).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::labels::advert_labels;
use crate::limits::{
    LABEL_KEY_MAX, LABEL_KEY_MIN, LABEL_VALUE_MAX, MAX_CONCURRENCY_MAX, MAX_LABELS, WEIGHT_MAX,
};
use crate::signing::Signer;
use crate::subjects::{caps, Subjects, DEFAULT_PREFIX};

pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
pub const DEFAULT_MAX_CONCURRENCY: u64 = 4;
pub const DEFAULT_MAX_QUEUED: usize = 10_000;
pub const DEFAULT_HEARTBEAT_MS: u64 = 15_000;
pub const DEFAULT_TTL_MS: u64 = 30_000;
pub const DEFAULT_DRAIN_GRACE_MS: u64 = 5000;
/// How often a running task's progress is sent to its reply subject (DEFAULT_PROGRESS_MS).
pub const DEFAULT_PROGRESS_MS: u64 = 1000;
/// Largest task accepted on a collector's subjects; larger ones get INVALID_MESSAGE unparsed.
pub const DEFAULT_MAX_TASK_BYTES: usize = 256 * 1024;
pub const COLLECTOR_TYPE: &str = "perfmond-rs";
pub const CAPABILITIES: u64 = caps::PERFORMANCE | caps::SYSTEM_WIDE;

#[derive(Debug, Clone)]
pub struct Options {
    pub nats_url: String,
    pub id: String,
    pub prefix: String,
    pub capabilities: u64,
    pub max_concurrency: u64,
    /// Tasks accepted beyond max_concurrency wait in the collector's priority queue, up to this.
    pub max_queued: usize,
    pub heartbeat: Duration,
    pub ttl: Duration,
    pub drain_grace: Duration,
    /// A run older than this sends `Mesh-Progress` on its reply subject, and again every period.
    pub progress: Duration,
    pub max_task_bytes: usize,
    pub weight: u64,
    /// The user's labels; the advert carries the standard ones under them (`labels.rs`).
    pub labels: BTreeMap<String, String>,
    /// The `zone` label (`--zone`, MESH_ZONE).
    pub zone: Option<String>,
    /// Also serve the plain path (`<p>.task.<domain>.*` in queue group `<p>.<domain>`).
    pub plain_path: bool,
    /// An nkey seed file, a .creds file, or a user and password to authenticate with (a user
    /// and password may also stand in the URL, `nats://user:password@host:port`).
    pub nkey_file: Option<String>,
    pub creds_file: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Prefix of the connection's inboxes (JetStream API answers). Default: `_INBOX_collector_<name>`
    /// for an nkey file named `collector-<name>.nk`, as `collector-mesh auth` writes and allows;
    /// else the client's `_INBOX`.
    pub inbox_prefix: Option<String>,
    /// Signs every Result and puts its public key in the advert (`--sign`).
    pub signer: Option<Signer>,
}

impl Options {
    pub fn new(id: &str) -> Options {
        Options {
            nats_url: DEFAULT_NATS_URL.into(),
            id: id.into(),
            prefix: DEFAULT_PREFIX.into(),
            capabilities: CAPABILITIES,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            max_queued: DEFAULT_MAX_QUEUED,
            heartbeat: Duration::from_millis(DEFAULT_HEARTBEAT_MS),
            ttl: Duration::from_millis(DEFAULT_TTL_MS),
            drain_grace: Duration::from_millis(DEFAULT_DRAIN_GRACE_MS),
            progress: Duration::from_millis(DEFAULT_PROGRESS_MS),
            max_task_bytes: DEFAULT_MAX_TASK_BYTES,
            weight: 1,
            labels: BTreeMap::new(),
            zone: None,
            plain_path: true,
            nkey_file: None,
            creds_file: None,
            user: None,
            password: None,
            inbox_prefix: None,
            signer: None,
        }
    }

    /// The inbox prefix to connect with: the explicit one, else the one the nkey file's name
    /// (`collector-<name>.nk`) stands for.
    pub fn inbox_prefix(&self) -> Option<String> {
        if self.inbox_prefix.is_some() {
            return self.inbox_prefix.clone();
        }
        let file = self.nkey_file.as_deref()?;
        let base = std::path::Path::new(file).file_name()?.to_str()?;
        let name = base.strip_prefix("collector-")?.strip_suffix(".nk")?;
        let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        ok.then(|| format!("_INBOX_collector_{name}"))
    }

    /// Checks the settings once; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        let subjects = Subjects::new(&self.prefix)?;
        subjects.collector_task(&self.id)?;
        if !(1..=MAX_CONCURRENCY_MAX).contains(&self.max_concurrency) {
            return Err(format!("--max-concurrency must be 1-{MAX_CONCURRENCY_MAX}"));
        }
        if !(1..=WEIGHT_MAX).contains(&self.weight) {
            return Err(format!("--weight must be 1-{WEIGHT_MAX}"));
        }
        if self.heartbeat.is_zero() || self.ttl <= self.heartbeat {
            return Err("--ttl-ms must exceed --heartbeat-ms, and both be positive".into());
        }
        if self.max_queued == 0 || self.max_task_bytes == 0 {
            return Err("--max-queued and --max-task-bytes must be positive".into());
        }
        if self.progress.is_zero() {
            return Err("--progress-ms must be positive".into());
        }
        for (k, v) in &self.labels {
            if !(LABEL_KEY_MIN..=LABEL_KEY_MAX).contains(&k.chars().count())
                || v.chars().count() > LABEL_VALUE_MAX
            {
                return Err(format!(
                    "--label {k}: names are 1-{LABEL_KEY_MAX} characters, values at most {LABEL_VALUE_MAX}"
                ));
            }
        }
        if self.zone.as_ref().is_some_and(|z| z.is_empty() || z.chars().count() > LABEL_VALUE_MAX) {
            return Err(format!("--zone must be 1-{LABEL_VALUE_MAX} characters"));
        }
        if advert_labels(self).len() > MAX_LABELS {
            return Err(format!("at most {MAX_LABELS} labels, the standard ones (host, os, kernel, type, version, zone) included"));
        }
        let ways = [self.nkey_file.is_some(), self.creds_file.is_some(), self.user.is_some()];
        if ways.iter().filter(|w| **w).count() > 1 {
            return Err("give one of --nkey, --creds or --user".into());
        }
        if self.user.is_some() != self.password.is_some() {
            return Err("--user and --password go together".into());
        }
        Ok(())
    }
}
