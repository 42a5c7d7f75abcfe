//! The api and event messages: SubmitRequest, AggregatedResult, StatusRequest, StatusReply,
//! StatsRequest, StatsReply, CollectorEvent, FailoverEvent.

use rmpv::Value;
use serde::Serialize;

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitRequest {
    pub required_capabilities: u64,
    pub priority: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    pub mode: SubmitMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    pub timeout_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Several reply messages: each Result, keepalives, the verdict, an empty end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Durable (JetStream) or in memory; the coordinator's default when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
    #[serde(flatten)]
    pub targeting: Targeting,
}

impl Message for SubmitRequest {
    const NAME: &'static str = "SubmitRequest";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(SubmitRequest {
            required_capabilities: o.req("requiredCapabilities", caps)?,
            priority: o.opt("priority", priority)?.unwrap_or(PRIORITY_DEFAULT as u8),
            payload: o.any("payload"),
            mode: o.opt("mode", SubmitMode::read)?.unwrap_or(SubmitMode::One),
            expected: o.opt("expected", |v, p| int(v, p, EXPECTED_MIN, EXPECTED_MAX))?,
            timeout_ms: o
                .opt("timeoutMs", |v, p| int(v, p, TIMEOUT_MS_MIN, TIMEOUT_MS_MAX))?
                .unwrap_or(TIMEOUT_MS_DEFAULT),
            correlation_id: o.opt("correlationId", id)?,
            stream: o.opt("stream", boolean)?,
            durable: o.opt("durable", boolean)?,
            targeting: Targeting::read(&o)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregatedResult {
    pub correlation_id: String,
    pub status: AggregationStatus,
    pub results: Vec<TaskResult>,
    pub expected: u64,
    pub received: u64,
    pub duplicates: u64,
    pub started_at: u64,
    pub completed_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// A fan-out: every targeted instance and how it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<InstanceOutcome>>,
}

impl Message for AggregatedResult {
    const NAME: &'static str = "AggregatedResult";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(AggregatedResult {
            correlation_id: o.req("correlationId", id)?,
            status: o.req("status", AggregationStatus::read)?,
            results: o.req("results", |v, p| array(v, p, MAX_COLLECTION_ITEMS, TaskResult::read))?,
            expected: o.req("expected", millis)?,
            received: o.req("received", millis)?,
            duplicates: o.req("duplicates", millis)?,
            started_at: o.req("startedAt", millis)?,
            completed_at: o.req("completedAt", millis)?,
            error: o.opt("error", ErrorBody::read)?,
            instances: o.opt("instances", |v, p| array(v, p, PARTS_MAX as usize, InstanceOutcome::read))?,
        })
    }
}

/// `<p>.api.status` request: one page of the coordinator's view (other fields are dropped).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct StatusRequest {
    /// Only collectors whose id sorts after this one (the previous page's `next`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// At most this many collectors (1 to STATUS_PAGE_MAX).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// `<p>.api.stats` request: any map (its fields are dropped).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct StatsRequest {}

impl Message for StatusRequest {
    const NAME: &'static str = "StatusRequest";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(StatusRequest {
            after: o.opt("after", id)?,
            limit: o.opt("limit", |v, p| int(v, p, 1, STATUS_PAGE_MAX))?,
        })
    }
}

impl Message for StatsRequest {
    const NAME: &'static str = "StatsRequest";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        Obj::new(v, path).map(|_| StatsRequest::default())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectorStatus {
    pub advert: CollectorAdvert,
    pub health: Health,
    pub heartbeat_age_ms: f64,
    pub in_flight: u64,
    pub capacity: u64,
}

impl CollectorStatus {
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(CollectorStatus {
            advert: o.req("advert", CollectorAdvert::read)?,
            health: o.req("health", Health::read)?,
            heartbeat_age_ms: o.req("heartbeatAgeMs", number_min0)?,
            in_flight: o.req("inFlight", millis)?,
            capacity: o.req("capacity", millis)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReply {
    pub coordinator_id: String,
    /// One page, by id.
    pub collectors: Vec<CollectorStatus>,
    /// Collectors in the coordinator's view, all pages together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Present when more follow: the `after` of the next request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Message for StatusReply {
    const NAME: &'static str = "StatusReply";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(StatusReply {
            coordinator_id: o.req("coordinatorId", id)?,
            collectors: o
                .req("collectors", |v, p| array(v, p, MAX_COLLECTION_ITEMS, CollectorStatus::read))?,
            total: o.opt("total", millis)?,
            next: o.opt("next", id)?,
        })
    }
}

/// Each component's stats object, kept as the map it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsReply {
    pub coordinator_id: String,
    pub routing: Value,
    pub balancing: Value,
    pub distribution: Value,
    pub aggregation: Value,
    /// The coordinator's own counters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordinator: Option<Value>,
}

impl Message for StatsReply {
    const NAME: &'static str = "StatsReply";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(StatsReply {
            coordinator_id: o.req("coordinatorId", id)?,
            routing: o.req("routing", record)?,
            balancing: o.req("balancing", record)?,
            distribution: o.req("distribution", record)?,
            aggregation: o.req("aggregation", record)?,
            coordinator: o.opt("coordinator", record)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectorEvent {
    pub kind: CollectorEventKind,
    pub collector_id: String,
    pub health: Health,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_health: Option<Health>,
    pub at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advert: Option<CollectorAdvert>,
    /// The coordinator that observed it (one publishes each event for the whole mesh).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_by: Option<String>,
}

impl Message for CollectorEvent {
    const NAME: &'static str = "CollectorEvent";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(CollectorEvent {
            kind: o.req("kind", CollectorEventKind::read)?,
            collector_id: o.req("collectorId", id)?,
            health: o.req("health", Health::read)?,
            previous_health: o.opt("previousHealth", Health::read)?,
            at: o.req("at", millis)?,
            advert: o.opt("advert", CollectorAdvert::read)?,
            observed_by: o.opt("observedBy", id)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverEvent {
    pub event_id: String,
    pub failed_collector_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_target_id: Option<String>,
    pub timestamp: u64,
    pub reason: String,
    pub task_ids: Vec<String>,
    /// The coordinator that observed it (one publishes each event for the whole mesh).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_by: Option<String>,
}

impl Message for FailoverEvent {
    const NAME: &'static str = "FailoverEvent";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(FailoverEvent {
            event_id: o.req("eventId", id)?,
            failed_collector_id: o.req("failedCollectorId", id)?,
            failover_target_id: o.opt("failoverTargetId", id)?,
            timestamp: o.req("timestamp", millis)?,
            reason: o.req("reason", |v, p| string(v, p, 0, REASON_MAX))?,
            task_ids: o.req("taskIds", |v, p| array(v, p, MAX_COLLECTION_ITEMS, id))?,
            observed_by: o.opt("observedBy", id)?,
        })
    }
}
