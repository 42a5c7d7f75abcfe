//! What the collector sends, built from its settings and the task: its advert and its Results.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::contract::*;
use crate::options::{Options, COLLECTOR_TYPE};

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

pub fn log(msg: impl AsRef<str>) {
    eprintln!("rust-collector: {}", msg.as_ref());
}

/// The advert of a collector with these settings (heartbeatSeq is stamped by the Advertiser).
pub fn build_advert(o: &Options, health: Health, in_flight: u64, started_at: u64) -> CollectorAdvert {
    CollectorAdvert {
        id: o.id.clone(),
        kind: COLLECTOR_TYPE.into(),
        capabilities: o.capabilities,
        version: env!("CARGO_PKG_VERSION").into(),
        health,
        max_concurrency: o.max_concurrency,
        in_flight,
        weight: o.weight,
        labels: o.labels.clone(),
        started_at,
        heartbeat_seq: 0,
        heartbeat_at: now_ms(),
        signing_key: o.signer.as_ref().map(|s| s.public_key().to_string()),
    }
}

/// An ok Result of `task` without payload; the caller sets status, payload or error.
pub fn build_result(task: &Task, collector_id: &str, seq: u64, last: bool, took: Duration) -> TaskResult {
    TaskResult {
        task_id: task.task_id.clone(),
        correlation_id: task.correlation_id.clone(),
        collector_id: collector_id.to_string(),
        seq,
        is_final: last,
        status: ResultStatus::Ok,
        payload: None,
        error: None,
        produced_at: now_ms(),
        processing_ms: took.as_secs_f64() * 1000.0,
        // Echoed, so a coordinator can tell this attempt from an abandoned one.
        attempt: Some(task.attempt),
    }
}
