//! The contract's limits, written by hand from `subjects/asyncapi.yaml` (components.messages).
//! `tests/limits.rs` reads the YAML and fails when a number or an enum here differs from it.

/// `x-maxBytes` of every message.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// `x-maxBytes` of CollectorAdvert.
pub const MAX_ADVERT_BYTES: usize = 16 * 1024;
/// `x-maxDepth` of every message: nesting of arrays and maps, the message itself at depth 1
/// (what `msgpack::MAX_DEPTH` enforces).
pub const MAX_NESTING_DEPTH: usize = 100;
/// `x-maxElements` of every message: values in all (array items, map keys and values).
pub const MAX_MESSAGE_ELEMENTS: usize = 262_144;
/// Items in one array or map (the TypeScript codec's decoder limit; also `maxItems` of the
/// arrays of AggregatedResult, StatusReply and FailoverEvent).
pub const MAX_COLLECTION_ITEMS: usize = 100_000;
/// `maximum` of every integer field without a smaller one (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// Ids (collector, task, correlation, coordinator, event): one subject token.
pub const ID_MIN: usize = 1;
pub const ID_MAX: usize = 256;
/// `pattern` of every id. `\s` is ECMAScript's whitespace set (see `check::is_js_space`).
pub const ID_PATTERN: &str = r"^[^\s.*>]+$";

/// SourceCaps bits (ALL_CAPS).
pub const CAPS_MAX: u64 = 127;

// CollectorAdvert
pub const TYPE_MIN: usize = 1;
pub const TYPE_MAX: usize = 64;
pub const VERSION_MAX: usize = 64;
pub const MAX_CONCURRENCY_MIN: u64 = 1;
pub const MAX_CONCURRENCY_MAX: u64 = 100_000;
pub const IN_FLIGHT_MAX: u64 = 10_000_000;
pub const WEIGHT_MIN: u64 = 1;
pub const WEIGHT_MAX: u64 = 1000;
pub const WEIGHT_DEFAULT: u64 = 1;
pub const LABEL_KEY_MIN: usize = 1;
pub const LABEL_KEY_MAX: usize = 64;
pub const LABEL_VALUE_MAX: usize = 256;
pub const MAX_LABELS: usize = 32;

// Task, Result
pub const ATTEMPT_MAX: u64 = 1000;
pub const PRIORITIES: [u64; 4] = [0, 1, 2, 3];
pub const ERROR_MESSAGE_MAX: usize = 1024;

// SubmitRequest
pub const PRIORITY_DEFAULT: u64 = 1;
pub const EXPECTED_MIN: u64 = 1;
pub const EXPECTED_MAX: u64 = 10_000;
pub const TIMEOUT_MS_MIN: u64 = 1;
pub const TIMEOUT_MS_MAX: u64 = 3_600_000;
pub const TIMEOUT_MS_DEFAULT: u64 = 5000;
pub const MODE_DEFAULT: &str = "one";

// DurableSubmission, SubmissionPlan
/// Longest correlation id of a durable submission (MAX_DURABLE_ID_LENGTH).
pub const DURABLE_ID_MAX: usize = 200;
/// Longest timeout of a durable submission: one day (MAX_TIMEOUT_MS).
pub const DURABLE_TIMEOUT_MS_MAX: u64 = 86_400_000;
/// Most parts of one submission (MAX_PARTS): `expected` of both, `parts` of a plan.
pub const PARTS_MAX: u64 = 100_000;

// Targeting (SubmitRequest, DurableSubmission): `where` and `prefer` are label selectors.
/// Longest selector (MAX_SELECTOR_LENGTH): in characters (`maxLength`) and in UTF-16 code units.
pub const MAX_SELECTOR_LENGTH: usize = 1024;
/// Most terms of one selector (MAX_SELECTOR_TERMS, `x-maxTerms`).
pub const MAX_SELECTOR_TERMS: usize = 32;
/// Most ids in `collectors` (MAX_NAMED_COLLECTORS); at least one.
pub const MAX_NAMED_COLLECTORS: usize = 10_000;

// StatusRequest
/// `maximum` of `limit` (MAX_STATUS_PAGE): most collectors one status reply lists.
pub const STATUS_PAGE_MAX: u64 = 1000;

// FailoverEvent, CancelTask, CancelRequest
pub const REASON_MAX: usize = 1024;

pub const DOMAINS: [&str; 5] = ["process", "network", "filesystem", "performance", "generic"];
pub const HEALTH: [&str; 3] = ["healthy", "degraded", "unavailable"];
pub const RESULT_STATUSES: [&str; 2] = ["ok", "error"];
pub const SUBMIT_MODES: [&str; 2] = ["one", "all"];
pub const AGGREGATION_STATUSES: [&str; 5] = ["complete", "partial", "timed_out", "failed", "cancelled"];
/// How each targeted instance did in a fan-out (AggregatedResult `instances`).
pub const INSTANCE_STATES: [&str; 6] = ["ok", "error", "timed_out", "lost", "not_reached", "cancelled"];
pub const EVENT_KINDS: [&str; 5] = ["joined", "updated", "stale", "recovered", "left"];
pub const RECORD_KINDS: [&str; 3] = ["plan", "result", "verdict"];
pub const ERROR_CODES: [&str; 17] = [
    "INVALID_MESSAGE",
    "INVALID_ARGUMENT",
    "INVALID_SUBJECT_TOKEN",
    "NO_CAPABLE_COLLECTOR",
    "OVERLOADED",
    "TIMEOUT",
    "NO_RESPONDERS",
    "HANDLER_ERROR",
    "UNSUPPORTED_PLATFORM",
    "PATH_NOT_ALLOWED",
    "UNKNOWN_STRATEGY",
    "STOPPED",
    "COLLECTOR_LOST",
    "UNAVAILABLE",
    "CANCELLED",
    "SLOW_CONSUMER",
    "INTERNAL",
];

/// Header names of the contract (`components.schemas.TraceHeaders`).
pub const HEADER_ERROR_CODE: &str = "Mesh-Error-Code";
pub const HEADER_ERROR: &str = "Mesh-Error";
pub const HEADER_TRACEPARENT: &str = "traceparent";
pub const HEADER_TRACESTATE: &str = "tracestate";
/// What a message on a results subject (or of a streamed api reply) is: one of RECORD_KINDS.
pub const HEADER_RECORD: &str = "Mesh-Record";
/// On a task's reply subject, an empty message that says the handler is still working.
pub const HEADER_PROGRESS: &str = "Mesh-Progress";
/// A streamed api reply that only says the submission is still running (empty body).
pub const HEADER_KEEPALIVE: &str = "Mesh-Keepalive";
/// The coordinator that observed an event or owns a submission.
pub const HEADER_COORDINATOR: &str = "Mesh-Coordinator";
/// The ed25519 signature of a Result's bytes, base64url without padding (collectors that sign).
pub const HEADER_SIGNATURE: &str = "Mesh-Signature";
/// `pattern` of the Mesh-Signature header: 64 bytes in base64url without padding.
pub const SIGNATURE_PATTERN: &str = "^[A-Za-z0-9_-]{85}[AQgw]$";

// CollectorAdvert signingKey
/// `pattern` of an advert's signingKey: `ed25519:` and 32 bytes in base64url without padding.
pub const SIGNING_KEY_PATTERN: &str = "^ed25519:[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$";
pub const SIGNING_KEY_PREFIX: &str = "ed25519:";
