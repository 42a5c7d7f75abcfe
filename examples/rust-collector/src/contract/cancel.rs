//! Cancels: CancelTask (on `<p>.collector.<id>.cancel`: stop running, or drop queued, an attempt
//! of a task on this instance), CancelRequest and CancelReply (on
//! `<p>.cancel.<owner>.<correlationId>`: a submitter cancels a running submission).

use rmpv::Value;
use serde::Serialize;

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelTask {
    pub task_id: String,
    /// Without it, any attempt of the task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u64>,
    pub reason: String,
}

impl Message for CancelTask {
    const NAME: &'static str = "CancelTask";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(CancelTask {
            task_id: o.req("taskId", id)?,
            attempt: o.opt("attempt", attempt)?,
            reason: o.req("reason", |v, p| string(v, p, 0, REASON_MAX))?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CancelRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Message for CancelRequest {
    const NAME: &'static str = "CancelRequest";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(CancelRequest { reason: o.opt("reason", |v, p| string(v, p, 0, REASON_MAX))? })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelReply {
    pub correlation_id: String,
    pub coordinator_id: String,
    /// Parts that were still queued or running when it was cancelled.
    pub cancelled_parts: u64,
}

impl Message for CancelReply {
    const NAME: &'static str = "CancelReply";
    fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(CancelReply {
            correlation_id: o.req("correlationId", id)?,
            coordinator_id: o.req("coordinatorId", id)?,
            cancelled_parts: o.req("cancelledParts", |v, p| int(v, p, 0, PARTS_MAX))?,
        })
    }
}
