//! Who a submission targets (`where`, `collectors`, `prefer` of SubmitRequest and
//! DurableSubmission) and how each targeted instance did (`instances` of an AggregatedResult).

use rmpv::Value;
use serde::Serialize;

use super::*;
use crate::selector::selector;

/// A label selector, named instances, a soft preference; each optional.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Targeting {
    /// Only instances whose labels match (`zone=eu,role!=db`; see `selector`).
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_: Option<String>,
    /// Only these instances (1 to MAX_NAMED_COLLECTORS ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collectors: Option<Vec<String>>,
    /// Matching instances first while they have room (a `one` submit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefer: Option<String>,
}

fn named(v: &Value, path: &str) -> Checked<Vec<String>> {
    let ids = array(v, path, MAX_NAMED_COLLECTORS, id)?;
    if ids.is_empty() {
        return Err(Invalid::at(
            path,
            format!("invalid message: {path}: too small: expected array to have >=1 items"),
        ));
    }
    Ok(ids)
}

impl Targeting {
    /// The three fields of `o`, in the schema's order.
    pub(super) fn read(o: &Obj) -> Checked<Targeting> {
        Ok(Targeting {
            where_: o.opt("where", selector)?,
            collectors: o.opt("collectors", named)?,
            prefer: o.opt("prefer", selector)?,
        })
    }
}

/// One targeted instance of a fan-out and how it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceOutcome {
    pub collector_id: String,
    pub state: InstanceState,
    /// For `error` (and `lost`): the error code of its final result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
}

impl InstanceOutcome {
    pub(super) fn read(v: &Value, path: &str) -> Checked<Self> {
        let o = Obj::new(v, path)?;
        Ok(InstanceOutcome {
            collector_id: o.req("collectorId", id)?,
            state: o.req("state", InstanceState::read)?,
            code: o.opt("code", ErrorCode::read)?,
        })
    }
}
