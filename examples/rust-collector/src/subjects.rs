//! Subjects, queue groups and the advert bucket of one prefix (the `channels` of asyncapi.yaml),
//! and the SourceCaps bits.

use crate::check::is_token;
use crate::contract::Domain;

pub const DEFAULT_PREFIX: &str = "daemoneye";

/// SourceCaps bit flags.
pub mod caps {
    pub const PROCESS: u64 = 0x01;
    pub const NETWORK: u64 = 0x02;
    pub const FILESYSTEM: u64 = 0x04;
    pub const PERFORMANCE: u64 = 0x08;
    pub const REALTIME: u64 = 0x10;
    pub const KERNEL_LEVEL: u64 = 0x20;
    pub const SYSTEM_WIDE: u64 = 0x40;
}

/// `have` contains every bit of `required`.
pub fn has_caps(have: u64, required: u64) -> bool {
    have & required == required
}

/// The plain-path domains a collector with these capabilities serves: each of PROCESS, NETWORK,
/// FILESYSTEM, PERFORMANCE it has, or `generic` when it has none of them.
pub fn served_domains(have: u64) -> Vec<Domain> {
    let bits = [
        (caps::PROCESS, Domain::Process),
        (caps::NETWORK, Domain::Network),
        (caps::FILESYSTEM, Domain::Filesystem),
        (caps::PERFORMANCE, Domain::Performance),
    ];
    let out: Vec<Domain> = bits.iter().filter(|(b, _)| have & b != 0).map(|(_, d)| *d).collect();
    if out.is_empty() {
        vec![Domain::Generic]
    } else {
        out
    }
}

/// Priority tokens of subjects, 0 to 3.
pub const PRIORITY_NAMES: [&str; 4] = ["low", "normal", "high", "critical"];

fn token<'a>(what: &str, s: &'a str) -> Result<&'a str, String> {
    if !is_token(s) || s.chars().count() > crate::limits::ID_MAX {
        return Err(format!("{what} '{s}' is not one subject token of at most 256 characters"));
    }
    Ok(s)
}

#[derive(Debug, Clone)]
pub struct Subjects {
    prefix: String,
}

impl Subjects {
    /// A prefix is one token of `[A-Za-z0-9_-]`, 1-64 long, since it also names the bucket.
    pub fn new(prefix: &str) -> Result<Subjects, String> {
        let ok = (1..=64).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(format!("prefix '{prefix}' must be 1-64 characters of [A-Za-z0-9_-]"));
        }
        Ok(Subjects { prefix: prefix.to_string() })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `<p>.collector.<id>.task`: the instance's direct subject.
    pub fn collector_task(&self, id: &str) -> Result<String, String> {
        Ok(format!("{}.collector.{}.task", self.prefix, token("collector id", id)?))
    }

    /// `<p>.collector.<id>.cancel`: stop a task the instance runs, or drop it from its queue.
    pub fn collector_cancel(&self, id: &str) -> Result<String, String> {
        Ok(format!("{}.collector.{}.cancel", self.prefix, token("collector id", id)?))
    }

    /// `<p>.cancel.<owner>.<correlationId>`: cancel a running submission.
    pub fn cancel(&self, owner: &str, correlation_id: &str) -> Result<String, String> {
        let (o, c) = (token("owner", owner)?, token("correlation id", correlation_id)?);
        Ok(format!("{}.cancel.{o}.{c}", self.prefix))
    }

    /// `<p>.task.<domain>.*`: the plain path of a domain, every priority.
    pub fn task_wildcard(&self, d: Domain) -> String {
        format!("{}.task.{}.*", self.prefix, d.as_str())
    }

    /// `<p>.<domain>`: the queue group of a domain's collectors.
    pub fn queue_group(&self, d: Domain) -> String {
        format!("{}.{}", self.prefix, d.as_str())
    }

    /// `<p>.submit.<priority>.<owner>`: a durable submission (priority by name: low … critical).
    pub fn submit(&self, priority: &str, owner: &str) -> Result<String, String> {
        if !PRIORITY_NAMES.contains(&priority) {
            return Err(format!("priority '{priority}' is not one of {}", PRIORITY_NAMES.join(", ")));
        }
        Ok(format!("{}.submit.{priority}.{}", self.prefix, token("owner", owner)?))
    }

    /// `<p>.results.<owner>.<correlationId>`: a durable submission's plan, results and verdict.
    pub fn results(&self, owner: &str, correlation_id: &str) -> Result<String, String> {
        let (o, c) = (token("owner", owner)?, token("correlation id", correlation_id)?);
        Ok(format!("{}.results.{o}.{c}", self.prefix))
    }

    /// `<p>_submissions`: the stream of durable submissions (subjects `<p>.submit.>`).
    pub fn submissions_stream(&self) -> String {
        format!("{}_submissions", self.prefix)
    }

    /// `<p>_results`: the stream of durable results (subjects `<p>.results.>`).
    pub fn results_stream(&self) -> String {
        format!("{}_results", self.prefix)
    }

    /// `<p>_collectors`: the KV bucket of adverts.
    pub fn bucket(&self) -> String {
        format!("{}_collectors", self.prefix)
    }
}
