//! The durable path's messages: DurableSubmission (what the submissions stream keeps, on
//! `<p>.submit.<priority>.<owner>`) and SubmissionPlan (the `plan` record on
//! `<p>.results.<owner>.<correlationId>`). This collector neither submits nor reads them; it
//! agrees on them with every other implementation of the contract.

use rmpv::Value;
use serde::Serialize;

use super::*;

/// The correlation id of a durable submission: one token of at most 200 characters, so that its
/// task ids `<correlationId>-<part>` stay ids.
fn durable_id(v: &Value, p: &str) -> Checked<String> {
    let s = id(v, p)?;
    if s.chars().count() > DURABLE_ID_MAX {
        return Err(Invalid::at(
            p,
            format!("invalid message: {p}: too big: expected string to have <={DURABLE_ID_MAX} characters"),
        ));
    }
    Ok(s)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DurableSubmission {
    pub correlation_id: String,
    /// Who submitted it: the token its results subject carries.
    pub owner: String,
    pub required_capabilities: u64,
    pub priority: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    pub mode: SubmitMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    pub timeout_ms: u64,
    pub submitted_at: u64,
    /// Absolute deadline: the verdict is due by then.
    pub deadline: u64,
    #[serde(flatten)]
    pub targeting: Targeting,
}

impl Message for DurableSubmission {
    const NAME: &'static str = "DurableSubmission";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(DurableSubmission {
            correlation_id: o.req("correlationId", durable_id)?,
            owner: o.req("owner", id)?,
            required_capabilities: o.req("requiredCapabilities", caps)?,
            priority: o.req("priority", priority)?,
            payload: o.any("payload"),
            mode: o.req("mode", SubmitMode::read)?,
            expected: o.opt("expected", |v, p| int(v, p, EXPECTED_MIN, PARTS_MAX))?,
            timeout_ms: o.req("timeoutMs", |v, p| int(v, p, TIMEOUT_MS_MIN, DURABLE_TIMEOUT_MS_MAX))?,
            submitted_at: o.req("submittedAt", millis)?,
            deadline: o.req("deadline", millis)?,
            targeting: Targeting::read(&o)?,
        })
    }
}

/// Which instance one part of a fan-out belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanPart {
    pub task_id: String,
    pub collector_id: String,
}

impl PlanPart {
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(PlanPart { task_id: o.req("taskId", id)?, collector_id: o.req("collectorId", id)? })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionPlan {
    pub correlation_id: String,
    pub coordinator_id: String,
    pub expected: u64,
    pub parts: Vec<PlanPart>,
    pub at: u64,
}

impl Message for SubmissionPlan {
    const NAME: &'static str = "SubmissionPlan";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(SubmissionPlan {
            correlation_id: o.req("correlationId", durable_id)?,
            coordinator_id: o.req("coordinatorId", id)?,
            expected: o.req("expected", |v, p| int(v, p, 0, PARTS_MAX))?,
            parts: o.req("parts", |v, p| array(v, p, PARTS_MAX as usize, PlanPart::read))?,
            at: o.req("at", millis)?,
        })
    }
}
