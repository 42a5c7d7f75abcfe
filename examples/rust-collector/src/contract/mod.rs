//! Every message of the contract (`MessageSchemas` in subjects/schemas.ts): the struct, how it is
//! read from a decoded value (`Message::read`, field by field in the schema's order), and how it
//! is written (serde, map encoding with field names, as the TypeScript side). What a collector
//! sends and receives is here; the api and event messages are in `api.rs`, the durable path's in
//! `durable.rs`, cancels in `cancel.rs`, targeting (selectors, named instances) in `targeting.rs`. When the contract changes, these files, `limits.rs` and `npm run vectors`
//! change with it.

mod api;
mod cancel;
mod durable;
mod hunts;
mod targeting;

use std::collections::BTreeMap;

use rmpv::Value;
use serde::Serialize;

use crate::check::*;
pub use crate::codec::{decode, decode_limited, encode, for_each_message, Message, Roundtrip};
use crate::limits::*;
use crate::wire_enum;
pub use api::*;
pub use cancel::*;
pub use durable::*;
pub use hunts::*;
pub use targeting::*;

wire_enum!(Health, HEALTH, { Healthy = "healthy", Degraded = "degraded", Unavailable = "unavailable" });
wire_enum!(Domain, DOMAINS, {
    Process = "process", Network = "network", Filesystem = "filesystem",
    Performance = "performance", Generic = "generic",
});
wire_enum!(ResultStatus, RESULT_STATUSES, { Ok = "ok", Error = "error" });
wire_enum!(SubmitMode, SUBMIT_MODES, { One = "one", All = "all" });
wire_enum!(AggregationStatus, AGGREGATION_STATUSES, {
    Complete = "complete", Partial = "partial", TimedOut = "timed_out", Failed = "failed",
    Cancelled = "cancelled",
});
wire_enum!(InstanceState, INSTANCE_STATES, {
    Ok = "ok", Error = "error", TimedOut = "timed_out", Lost = "lost", NotReached = "not_reached",
    Cancelled = "cancelled",
});
wire_enum!(CollectorEventKind, EVENT_KINDS, {
    Joined = "joined", Updated = "updated", Stale = "stale", Recovered = "recovered", Left = "left",
});
wire_enum!(ErrorCode, ERROR_CODES, {
    InvalidMessage = "INVALID_MESSAGE", InvalidArgument = "INVALID_ARGUMENT",
    InvalidSubjectToken = "INVALID_SUBJECT_TOKEN", NoCapableCollector = "NO_CAPABLE_COLLECTOR",
    Overloaded = "OVERLOADED", Timeout = "TIMEOUT", NoResponders = "NO_RESPONDERS",
    HandlerError = "HANDLER_ERROR", UnsupportedPlatform = "UNSUPPORTED_PLATFORM",
    PathNotAllowed = "PATH_NOT_ALLOWED", UnknownStrategy = "UNKNOWN_STRATEGY",
    Stopped = "STOPPED", CollectorLost = "COLLECTOR_LOST", Unavailable = "UNAVAILABLE",
    Cancelled = "CANCELLED", SlowConsumer = "SLOW_CONSUMER", Internal = "INTERNAL",
});

fn caps(v: &Value, p: &str) -> Checked<u64> {
    int(v, p, 0, CAPS_MAX)
}
fn attempt(v: &Value, p: &str) -> Checked<u64> {
    int(v, p, 0, ATTEMPT_MAX)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectorAdvert {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub capabilities: u64,
    pub version: String,
    pub health: Health,
    pub max_concurrency: u64,
    pub in_flight: u64,
    pub weight: u64,
    pub labels: BTreeMap<String, String>,
    pub started_at: u64,
    pub heartbeat_seq: u64,
    pub heartbeat_at: u64,
    /// The public key its Results are signed with (`ed25519:<base64url>`), when it signs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
}

impl Message for CollectorAdvert {
    const NAME: &'static str = "CollectorAdvert";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(CollectorAdvert {
            id: o.req("id", id)?,
            kind: o.req("type", |v, p| string(v, p, TYPE_MIN, TYPE_MAX))?,
            capabilities: o.req("capabilities", caps)?,
            version: o.req("version", |v, p| string(v, p, 0, VERSION_MAX))?,
            health: o.req("health", Health::read)?,
            max_concurrency: o
                .req("maxConcurrency", |v, p| int(v, p, MAX_CONCURRENCY_MIN, MAX_CONCURRENCY_MAX))?,
            in_flight: o.req("inFlight", |v, p| int(v, p, 0, IN_FLIGHT_MAX))?,
            weight: o.opt("weight", |v, p| int(v, p, WEIGHT_MIN, WEIGHT_MAX))?.unwrap_or(WEIGHT_DEFAULT),
            labels: o.req("labels", labels)?,
            started_at: o.req("startedAt", millis)?,
            heartbeat_seq: o.req("heartbeatSeq", millis)?,
            heartbeat_at: o.req("heartbeatAt", millis)?,
            signing_key: o.opt("signingKey", signing_key)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub task_id: String,
    pub correlation_id: String,
    pub required_capabilities: u64,
    pub domain: Domain,
    pub priority: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    pub created_at: u64,
    pub deadline: u64,
    pub attempt: u64,
}

impl Message for Task {
    const NAME: &'static str = "Task";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(Task {
            task_id: o.req("taskId", id)?,
            correlation_id: o.req("correlationId", id)?,
            required_capabilities: o.req("requiredCapabilities", caps)?,
            domain: o.req("domain", Domain::read)?,
            priority: o.req("priority", priority)?,
            payload: o.any("payload"),
            created_at: o.req("createdAt", millis)?,
            deadline: o.req("deadline", millis)?,
            attempt: o.req("attempt", attempt)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorBody {
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(ErrorBody {
            code: o.req("code", ErrorCode::read)?,
            message: o.req("message", |v, p| string(v, p, 0, ERROR_MESSAGE_MAX))?,
        })
    }

    /// An error body with the message cut to the contract's bound.
    pub fn new(code: ErrorCode, message: &str) -> ErrorBody {
        ErrorBody { code, message: message.chars().take(ERROR_MESSAGE_MAX).collect() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    pub task_id: String,
    pub correlation_id: String,
    pub collector_id: String,
    pub seq: u64,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub status: ResultStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    pub produced_at: u64,
    pub processing_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u64>,
}

impl Message for TaskResult {
    const NAME: &'static str = "Result";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(TaskResult {
            task_id: o.req("taskId", id)?,
            correlation_id: o.req("correlationId", id)?,
            collector_id: o.req("collectorId", id)?,
            seq: o.req("seq", millis)?,
            is_final: o.req("final", boolean)?,
            status: o.req("status", ResultStatus::read)?,
            payload: o.any("payload"),
            error: o.opt("error", ErrorBody::read)?,
            produced_at: o.req("producedAt", millis)?,
            processing_ms: o.req("processingMs", number_min0)?,
            attempt: o.opt("attempt", attempt)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorReply {
    pub error: ErrorBody,
}

impl Message for ErrorReply {
    const NAME: &'static str = "ErrorReply";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        Ok(ErrorReply { error: Obj::new(v, path)?.req("error", ErrorBody::read)? })
    }
}
