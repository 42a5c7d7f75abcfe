//! Hunts: HuntRecord (KV bucket `<p>_hunts`, key `<owner>.<huntId>`), HuntClaim (KV bucket
//! `<p>_hunt_claims`, key `<owner>.<huntId>.<collectorId>`) and HuntPartResult (stream
//! `<p>_hunt_results`, subject `<p>.hunt.<owner>.<huntId>.<collectorId>`). Coordinators and
//! submitters write them; this collector only agrees on them with every other implementation.

use rmpv::Value;
use serde::Serialize;

use super::*;
use crate::selector::selector;

/// Longest hunt id (`^[A-Za-z0-9_-]{1,128}$`: a KV key token).
pub const HUNT_ID_MAX: usize = 128;
/// The pattern of a hunt id in asyncapi.yaml.
pub const HUNT_ID_PATTERN: &str = r"^[A-Za-z0-9_-]{1,128}$";
/// Bounds of ratePerSec (MAX_HUNT_RATE_PER_SEC).
pub const HUNT_RATE_MIN: f64 = 0.01;
pub const HUNT_RATE_MAX: f64 = 100_000.0;
/// Results kept of one part (MAX_HUNT_PART_RESULTS).
pub const HUNT_PART_RESULTS_MAX: usize = 10_000;
/// Most matching collectors a record reports.
pub const HUNT_MATCHED_MAX: u64 = 10_000_000;
/// Highest epoch (resumes) and minParts.
pub const HUNT_EPOCH_MAX: u64 = 1_000_000;
pub const HUNT_MIN_PARTS_MAX: u64 = 100_000;

/// The states of a hunt and of a part (HuntState, PartState).
pub const HUNT_STATES: [&str; 4] = ["running", "paused", "stopped", "expired"];
pub const PART_STATES: [&str; 6] = ["sent", "ok", "error", "timed_out", "lost", "cancelled"];

wire_enum!(HuntState, HUNT_STATES, {
    Running = "running", Paused = "paused", Stopped = "stopped", Expired = "expired",
});
wire_enum!(PartState, PART_STATES, {
    Sent = "sent", Ok = "ok", Error = "error", TimedOut = "timed_out", Lost = "lost",
    Cancelled = "cancelled",
});

fn invalid(p: &str, what: String) -> Invalid {
    Invalid::at(p, format!("invalid message: {p}: {what}"))
}

fn hunt_id(v: &Value, p: &str) -> Checked<String> {
    let s = string(v, p, 1, HUNT_ID_MAX)?;
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(invalid(p, "must be 1 to 128 of A-Z a-z 0-9 _ -".into()));
    }
    Ok(s)
}

fn number_in(v: &Value, p: &str, min: f64, max: f64) -> Checked<f64> {
    let f = number(v, p)?;
    if f < min {
        return Err(invalid(p, format!("too small: expected number to be >={min}")));
    }
    if f > max {
        return Err(invalid(p, format!("too big: expected number to be <={max}")));
    }
    Ok(f + 0.0)
}

fn named(v: &Value, p: &str) -> Checked<Vec<String>> {
    let ids = array(v, p, MAX_NAMED_COLLECTORS, id)?;
    if ids.is_empty() {
        return Err(invalid(p, "too small: expected array to have >=1 items".into()));
    }
    Ok(ids)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HuntRecord {
    pub hunt_id: String,
    pub created_by: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub required_capabilities: u64,
    pub priority: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    pub timeout_ms: u64,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collectors: Option<Vec<String>>,
    pub rate_per_sec: f64,
    pub max_error_rate: f64,
    pub min_parts: u64,
    pub state: HuntState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub state_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<u64>,
    pub epoch: u64,
}

impl Message for HuntRecord {
    const NAME: &'static str = "HuntRecord";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(HuntRecord {
            hunt_id: o.req("huntId", hunt_id)?,
            created_by: o.req("createdBy", id)?,
            created_at: o.req("createdAt", millis)?,
            expires_at: o.req("expiresAt", millis)?,
            required_capabilities: o.req("requiredCapabilities", |v, p| int(v, p, 0, CAPS_MAX))?,
            priority: o.req("priority", priority)?,
            payload: o.any("payload"),
            timeout_ms: o.req("timeoutMs", |v, p| int(v, p, TIMEOUT_MS_MIN, TIMEOUT_MS_MAX))?,
            where_: o.opt("where", selector)?,
            collectors: o.opt("collectors", named)?,
            rate_per_sec: o.req("ratePerSec", |v, p| number_in(v, p, HUNT_RATE_MIN, HUNT_RATE_MAX))?,
            max_error_rate: o.req("maxErrorRate", |v, p| number_in(v, p, 0.0, 1.0))?,
            min_parts: o.req("minParts", |v, p| int(v, p, 1, HUNT_MIN_PARTS_MAX))?,
            state: o.req("state", HuntState::read)?,
            reason: o.opt("reason", |v, p| string(v, p, 0, REASON_MAX))?,
            state_at: o.req("stateAt", millis)?,
            changed_by: o.opt("changedBy", id)?,
            matched: o.opt("matched", |v, p| int(v, p, 0, HUNT_MATCHED_MAX))?,
            epoch: o.req("epoch", |v, p| int(v, p, 0, HUNT_EPOCH_MAX))?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HuntClaim {
    pub hunt_id: String,
    pub collector_id: String,
    pub coordinator_id: String,
    pub incarnation: u64,
    pub epoch: u64,
    pub runs: u64,
    pub state: PartState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    pub sent_at: u64,
    pub deadline: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
}

impl Message for HuntClaim {
    const NAME: &'static str = "HuntClaim";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(HuntClaim {
            hunt_id: o.req("huntId", hunt_id)?,
            collector_id: o.req("collectorId", id)?,
            coordinator_id: o.req("coordinatorId", id)?,
            incarnation: o.req("incarnation", millis)?,
            epoch: o.req("epoch", |v, p| int(v, p, 0, HUNT_EPOCH_MAX))?,
            runs: o.req("runs", |v, p| int(v, p, 1, ATTEMPT_MAX))?,
            state: o.req("state", PartState::read)?,
            code: o.opt("code", ErrorCode::read)?,
            sent_at: o.req("sentAt", millis)?,
            deadline: o.req("deadline", millis)?,
            finished_at: o.opt("finishedAt", millis)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HuntPartResult {
    pub hunt_id: String,
    pub collector_id: String,
    pub incarnation: u64,
    pub runs: u64,
    /// How it ended (any PartState but `sent`).
    pub state: PartState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    pub results: Vec<TaskResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    pub at: u64,
}

fn ended(v: &Value, p: &str) -> Checked<PartState> {
    let s = PartState::read(v, p)?;
    if s == PartState::Sent {
        return Err(invalid(p, "a stored part has ended: not sent".into()));
    }
    Ok(s)
}

impl Message for HuntPartResult {
    const NAME: &'static str = "HuntPartResult";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(HuntPartResult {
            hunt_id: o.req("huntId", hunt_id)?,
            collector_id: o.req("collectorId", id)?,
            incarnation: o.req("incarnation", millis)?,
            runs: o.req("runs", |v, p| int(v, p, 1, ATTEMPT_MAX))?,
            state: o.req("state", ended)?,
            code: o.opt("code", ErrorCode::read)?,
            results: o.req("results", |v, p| array(v, p, HUNT_PART_RESULTS_MAX, TaskResult::read))?,
            truncated: o.opt("truncated", boolean)?,
            at: o.req("at", millis)?,
        })
    }
}
