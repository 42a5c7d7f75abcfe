//! The limits, enums, header names and subjects of this crate are those of
//! subjects/asyncapi.yaml: the YAML is parsed here, so the two cannot drift apart.

use std::path::PathBuf;

use rust_collector::contract::{for_each_message, Domain};
use rust_collector::contract::{
    HUNT_ID_MAX, HUNT_ID_PATTERN, HUNT_PART_RESULTS_MAX, HUNT_RATE_MAX, HUNT_STATES, PART_STATES,
};
use rust_collector::limits::*;
use rust_collector::subjects::{Subjects, PRIORITY_NAMES};
use yaml_rust2::{Yaml, YamlLoader};

fn asyncapi() -> Yaml {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../subjects/asyncapi.yaml");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    YamlLoader::load_from_str(&text).expect("asyncapi.yaml parses").remove(0)
}

fn props<'a>(doc: &'a Yaml, message: &str) -> &'a Yaml {
    let p = &doc["components"]["messages"][message]["payload"]["properties"];
    assert!(!p.is_badvalue(), "{message} has no payload properties");
    p
}

fn num(y: &Yaml, what: &str) -> u64 {
    match y {
        Yaml::Integer(i) => *i as u64,
        other => panic!("{what}: expected an integer, found {other:?}"),
    }
}

fn strings(y: &Yaml, what: &str) -> Vec<String> {
    y.as_vec()
        .unwrap_or_else(|| panic!("{what}: expected a list"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn bounds(y: &Yaml, what: &str) -> (u64, u64) {
    (num(&y["minimum"], what), num(&y["maximum"], what))
}

fn lengths(y: &Yaml, what: &str) -> (u64, u64) {
    let min = if y["minLength"].is_badvalue() { 0 } else { num(&y["minLength"], what) };
    (min, num(&y["maxLength"], what))
}

#[test]
fn message_names_and_sizes() {
    let doc = asyncapi();
    let messages = doc["components"]["messages"].as_hash().expect("messages");
    let mut ours = Vec::new();
    for_each_message(|name, _| ours.push(name.to_string()));
    let mut theirs: Vec<String> = messages.keys().map(|k| k.as_str().unwrap().to_string()).collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "contract.rs must have a struct for every message");
    for (name, m) in messages {
        let max = if name.as_str() == Some("CollectorAdvert") { MAX_ADVERT_BYTES } else { MAX_MESSAGE_BYTES };
        assert_eq!(num(&m["x-maxBytes"], "x-maxBytes") as usize, max, "{name:?}");
        assert_eq!(num(&m["x-maxDepth"], "x-maxDepth") as usize, MAX_NESTING_DEPTH, "{name:?}");
        assert_eq!(rust_collector::msgpack::MAX_DEPTH, MAX_NESTING_DEPTH);
        assert_eq!(num(&m["x-maxElements"], "x-maxElements") as usize, MAX_MESSAGE_ELEMENTS, "{name:?}");
    }
}

/// Every property with a `pattern` is an id, and every id has the same bounds, but the
/// correlation id of the durable messages (at most 200).
#[test]
fn every_id_is_a_token_of_1_to_256() {
    fn walk(y: &Yaml, at: &str, found: &mut [usize; 2]) {
        if let Some(h) = y.as_hash() {
            if at.ends_with(".properties.signingKey") {
                let p = h.get(&Yaml::from_str("pattern")).and_then(Yaml::as_str);
                assert_eq!(p, Some(SIGNING_KEY_PATTERN), "{at}");
                return;
            }
            if at.ends_with(".properties.huntId") {
                let p = h.get(&Yaml::from_str("pattern")).and_then(Yaml::as_str);
                assert_eq!(p, Some(HUNT_ID_PATTERN), "{at}");
                assert_eq!(lengths(y, at), (1, HUNT_ID_MAX as u64), "{at}");
                return;
            }
            if let Some(p) = h.get(&Yaml::from_str("pattern")) {
                assert_eq!(p.as_str(), Some(ID_PATTERN), "{at}");
                let durable = ["messages.DurableSubmission.", "messages.SubmissionPlan."]
                    .iter()
                    .any(|m| at.starts_with(m) && at.ends_with(".properties.correlationId"));
                let max = if durable { DURABLE_ID_MAX } else { ID_MAX };
                assert_eq!(lengths(y, at), (ID_MIN as u64, max as u64), "{at}");
                found[usize::from(durable)] += 1;
            }
            for (k, v) in h {
                walk(v, &format!("{at}.{}", k.as_str().unwrap_or("?")), found);
            }
        } else if let Some(items) = y.as_vec() {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{at}.{i}"), found);
            }
        }
    }
    let mut found = [0, 0];
    walk(&asyncapi()["components"]["messages"], "messages", &mut found);
    assert!(found[0] >= 20, "only {} ids found", found[0]);
    assert_eq!(found[1], 2, "durable correlation ids");
}

#[test]
fn advert_limits() {
    let doc = asyncapi();
    let a = props(&doc, "CollectorAdvert");
    assert_eq!(lengths(&a["type"], "type"), (TYPE_MIN as u64, TYPE_MAX as u64));
    assert_eq!(lengths(&a["version"], "version"), (0, VERSION_MAX as u64));
    assert_eq!(bounds(&a["capabilities"], "capabilities"), (0, CAPS_MAX));
    assert_eq!(strings(&a["health"]["enum"], "health"), HEALTH);
    assert_eq!(bounds(&a["maxConcurrency"], "maxConcurrency"), (MAX_CONCURRENCY_MIN, MAX_CONCURRENCY_MAX));
    assert_eq!(bounds(&a["inFlight"], "inFlight"), (0, IN_FLIGHT_MAX));
    assert_eq!(bounds(&a["weight"], "weight"), (WEIGHT_MIN, WEIGHT_MAX));
    assert_eq!(num(&a["weight"]["default"], "weight default"), WEIGHT_DEFAULT);
    let l = &a["labels"];
    assert_eq!(lengths(&l["propertyNames"], "label names"), (LABEL_KEY_MIN as u64, LABEL_KEY_MAX as u64));
    assert_eq!(lengths(&l["additionalProperties"], "label values"), (0, LABEL_VALUE_MAX as u64));
    assert_eq!(num(&l["maxProperties"], "labels") as usize, MAX_LABELS);
    for f in ["startedAt", "heartbeatSeq", "heartbeatAt"] {
        assert_eq!(bounds(&a[f], f), (0, MAX_SAFE_INTEGER));
    }
}

#[test]
fn task_and_result_limits() {
    let doc = asyncapi();
    let t = props(&doc, "Task");
    assert_eq!(bounds(&t["requiredCapabilities"], "requiredCapabilities"), (0, CAPS_MAX));
    assert_eq!(strings(&t["domain"]["enum"], "domain"), DOMAINS);
    let names: Vec<&str> =
        [Domain::Process, Domain::Network, Domain::Filesystem, Domain::Performance, Domain::Generic]
            .iter()
            .map(|d| d.as_str())
            .collect();
    assert_eq!(names, DOMAINS);
    let prios: Vec<u64> =
        t["priority"]["anyOf"].as_vec().unwrap().iter().map(|p| num(&p["const"], "priority")).collect();
    assert_eq!(prios, PRIORITIES);
    assert_eq!(bounds(&t["attempt"], "attempt"), (0, ATTEMPT_MAX));
    for f in ["createdAt", "deadline"] {
        assert_eq!(bounds(&t[f], f), (0, MAX_SAFE_INTEGER));
    }
    let r = props(&doc, "Result");
    assert_eq!(strings(&r["status"]["enum"], "status"), RESULT_STATUSES);
    assert_eq!(strings(&r["error"]["properties"]["code"]["enum"], "code"), ERROR_CODES);
    assert_eq!(lengths(&r["error"]["properties"]["message"], "message"), (0, ERROR_MESSAGE_MAX as u64));
    assert_eq!(bounds(&r["attempt"], "attempt"), (0, ATTEMPT_MAX));
    assert_eq!(num(&r["processingMs"]["minimum"], "processingMs"), 0);
    let e = props(&doc, "ErrorReply");
    assert_eq!(strings(&e["error"]["properties"]["code"]["enum"], "code"), ERROR_CODES);
}

#[test]
fn api_and_event_limits() {
    let doc = asyncapi();
    let s = props(&doc, "SubmitRequest");
    assert_eq!(num(&s["priority"]["default"], "priority default"), PRIORITY_DEFAULT);
    assert_eq!(strings(&s["mode"]["enum"], "mode"), SUBMIT_MODES);
    assert_eq!(s["mode"]["default"].as_str(), Some(MODE_DEFAULT));
    assert_eq!(bounds(&s["expected"], "expected"), (EXPECTED_MIN, EXPECTED_MAX));
    assert_eq!(bounds(&s["timeoutMs"], "timeoutMs"), (TIMEOUT_MS_MIN, TIMEOUT_MS_MAX));
    assert_eq!(num(&s["timeoutMs"]["default"], "timeoutMs default"), TIMEOUT_MS_DEFAULT);
    for f in ["stream", "durable"] {
        assert_eq!(s[f]["type"].as_str(), Some("boolean"), "SubmitRequest.{f}");
    }
    let stats = &doc["components"]["messages"]["StatsReply"]["payload"];
    assert_eq!(stats["properties"]["coordinator"]["type"].as_str(), Some("object"));
    assert!(!strings(&stats["required"], "required").contains(&"coordinator".to_string()));
    let a = props(&doc, "AggregatedResult");
    assert_eq!(strings(&a["status"]["enum"], "status"), AGGREGATION_STATUSES);
    assert_eq!(num(&a["results"]["maxItems"], "results") as usize, MAX_COLLECTION_ITEMS);
    assert_eq!(
        num(&props(&doc, "StatusReply")["collectors"]["maxItems"], "collectors") as usize,
        MAX_COLLECTION_ITEMS
    );
    let q = props(&doc, "StatusRequest");
    assert_eq!(bounds(&q["limit"], "limit"), (1, STATUS_PAGE_MAX));
    assert_eq!(lengths(&q["after"], "after"), (ID_MIN as u64, ID_MAX as u64));
    assert_eq!(strings(&props(&doc, "CollectorEvent")["kind"]["enum"], "kind"), EVENT_KINDS);
    let f = props(&doc, "FailoverEvent");
    assert_eq!(lengths(&f["reason"], "reason"), (0, REASON_MAX as u64));
    assert_eq!(num(&f["taskIds"]["maxItems"], "taskIds") as usize, MAX_COLLECTION_ITEMS);
}

#[test]
fn durable_limits() {
    let doc = asyncapi();
    let d = props(&doc, "DurableSubmission");
    assert_eq!(lengths(&d["correlationId"], "correlationId"), (ID_MIN as u64, DURABLE_ID_MAX as u64));
    assert_eq!(bounds(&d["requiredCapabilities"], "requiredCapabilities"), (0, CAPS_MAX));
    let prios: Vec<u64> =
        d["priority"]["anyOf"].as_vec().unwrap().iter().map(|p| num(&p["const"], "priority")).collect();
    assert_eq!(prios, PRIORITIES);
    assert_eq!(strings(&d["mode"]["enum"], "mode"), SUBMIT_MODES);
    assert_eq!(bounds(&d["expected"], "expected"), (EXPECTED_MIN, PARTS_MAX));
    assert_eq!(bounds(&d["timeoutMs"], "timeoutMs"), (TIMEOUT_MS_MIN, DURABLE_TIMEOUT_MS_MAX));
    for f in ["submittedAt", "deadline"] {
        assert_eq!(bounds(&d[f], f), (0, MAX_SAFE_INTEGER));
    }
    // A stored submission has no defaults: what the submitter meant is written out.
    let required = strings(&doc["components"]["messages"]["DurableSubmission"]["payload"]["required"], "req");
    for f in ["correlationId", "owner", "requiredCapabilities", "priority", "mode", "timeoutMs"] {
        assert!(required.contains(&f.to_string()), "DurableSubmission.{f} is required");
        assert!(d[f]["default"].is_badvalue(), "DurableSubmission.{f} has no default");
    }
    let p = props(&doc, "SubmissionPlan");
    assert_eq!(lengths(&p["correlationId"], "correlationId"), (ID_MIN as u64, DURABLE_ID_MAX as u64));
    assert_eq!(bounds(&p["expected"], "expected"), (0, PARTS_MAX));
    assert_eq!(num(&p["parts"]["maxItems"], "parts"), PARTS_MAX);
    assert_eq!(bounds(&p["at"], "at"), (0, MAX_SAFE_INTEGER));
}

#[test]
fn headers_and_subjects() {
    let doc = asyncapi();
    let h = &doc["components"]["schemas"]["TraceHeaders"]["properties"];
    let names = [
        HEADER_ERROR_CODE,
        HEADER_ERROR,
        HEADER_TRACEPARENT,
        HEADER_TRACESTATE,
        HEADER_RECORD,
        HEADER_PROGRESS,
        HEADER_KEEPALIVE,
        HEADER_COORDINATOR,
        HEADER_SIGNATURE,
    ];
    for name in names {
        assert!(!h[name].is_badvalue(), "header {name} is not in TraceHeaders");
    }
    assert_eq!(h.as_hash().unwrap().len(), names.len(), "a header this crate does not name");
    assert_eq!(strings(&h[HEADER_ERROR_CODE]["enum"], "Mesh-Error-Code"), ERROR_CODES);
    assert_eq!(strings(&h[HEADER_RECORD]["enum"], "Mesh-Record"), RECORD_KINDS);
    assert_eq!(h[HEADER_SIGNATURE]["pattern"].as_str(), Some(SIGNATURE_PATTERN));
    let ch = &doc["channels"];
    let s = Subjects::new("p").unwrap();
    let fill = |address: &str| {
        address.replace("{prefix}", "p").replace("{collectorId}", "c1").replace("{domain}", "performance")
    };
    assert_eq!(fill(ch["collectorTask"]["address"].as_str().unwrap()), s.collector_task("c1").unwrap());
    assert_eq!(fill(ch["collectorCancel"]["address"].as_str().unwrap()), s.collector_cancel("c1").unwrap());
    let cancel = fill(ch["submissionCancel"]["address"].as_str().unwrap());
    assert_eq!(
        cancel.replace("{owner}", "o1").replace("{correlationId}", "c1"),
        s.cancel("o1", "c1").unwrap()
    );
    assert!(s.collector_cancel("c.1").is_err() && s.cancel("o*", "c1").is_err());
    let plain = fill(ch["plainTask"]["address"].as_str().unwrap());
    assert_eq!(plain.replace("{priority}", "*"), s.task_wildcard(Domain::Performance));
    let queue = fill("{prefix}.{domain}");
    assert!(ch["plainTask"]["description"].as_str().unwrap().contains("`{prefix}.{domain}`"));
    assert_eq!(queue, s.queue_group(Domain::Performance));
    assert_eq!(fill(ch["collectorAdvert"]["address"].as_str().unwrap()), format!("$KV.{}.c1", s.bucket()));
    let submit = fill(ch["durableSubmit"]["address"].as_str().unwrap());
    assert_eq!(strings(&ch["durableSubmit"]["parameters"]["priority"]["enum"], "priority"), PRIORITY_NAMES);
    assert_eq!(strings(&ch["plainTask"]["parameters"]["priority"]["enum"], "priority"), PRIORITY_NAMES);
    assert_eq!(
        submit.replace("{priority}", "high").replace("{owner}", "o1"),
        s.submit("high", "o1").unwrap()
    );
    assert!(s.submit("urgent", "o1").is_err() && s.submit("high", "o.1").is_err());
    let results = fill(ch["durableResults"]["address"].as_str().unwrap());
    assert_eq!(
        results.replace("{owner}", "o1").replace("{correlationId}", "c1"),
        s.results("o1", "c1").unwrap()
    );
    let described = |channel: &str, name: &str| {
        let d = ch[channel]["description"].as_str().unwrap();
        assert!(fill(d).contains(&format!("`{name}`")), "{channel} does not name {name}: {d}");
    };
    described("durableSubmit", &s.submissions_stream());
    described("durableResults", &s.results_stream());
    assert_eq!(
        ch["plainTask"]["parameters"]["prefix"]["default"].as_str(),
        Some(rust_collector::subjects::DEFAULT_PREFIX)
    );
}

#[test]
fn cancel_limits() {
    let doc = asyncapi();
    let t = props(&doc, "CancelTask");
    assert_eq!(bounds(&t["attempt"], "attempt"), (0, ATTEMPT_MAX));
    assert_eq!(lengths(&t["reason"], "reason"), (0, REASON_MAX as u64));
    let required = |m: &str| strings(&doc["components"]["messages"][m]["payload"]["required"], m);
    assert_eq!(required("CancelTask"), ["taskId", "reason"]);
    assert_eq!(lengths(&props(&doc, "CancelRequest")["reason"], "reason"), (0, REASON_MAX as u64));
    assert!(doc["components"]["messages"]["CancelRequest"]["payload"]["required"].is_badvalue());
    let r = props(&doc, "CancelReply");
    assert_eq!(bounds(&r["cancelledParts"], "cancelledParts"), (0, PARTS_MAX));
    assert_eq!(required("CancelReply"), ["correlationId", "coordinatorId", "cancelledParts"]);
}

#[test]
fn targeting_and_instances_limits() {
    let doc = asyncapi();
    for m in ["SubmitRequest", "DurableSubmission"] {
        let p = props(&doc, m);
        for f in ["where", "prefer"] {
            assert_eq!(lengths(&p[f], f), (1, MAX_SELECTOR_LENGTH as u64), "{m}.{f}");
            assert_eq!(num(&p[f]["x-maxTerms"], "x-maxTerms") as usize, MAX_SELECTOR_TERMS, "{m}.{f}");
        }
        let c = &p["collectors"];
        assert_eq!(
            (num(&c["minItems"], "minItems"), num(&c["maxItems"], "maxItems")),
            (1, MAX_NAMED_COLLECTORS as u64)
        );
        assert_eq!(lengths(&c["items"], "collector id"), (ID_MIN as u64, ID_MAX as u64));
    }
    let i = &props(&doc, "AggregatedResult")["instances"];
    assert_eq!(num(&i["maxItems"], "instances"), PARTS_MAX);
    let o = &i["items"]["properties"];
    assert_eq!(strings(&o["state"]["enum"], "state"), INSTANCE_STATES);
    assert_eq!(strings(&o["code"]["enum"], "code"), ERROR_CODES);
    assert_eq!(strings(&i["items"]["required"], "required"), ["collectorId", "state"]);
}

#[test]
fn hunt_limits() {
    let doc = asyncapi();
    let r = props(&doc, "HuntRecord");
    assert_eq!(strings(&r["state"]["enum"], "state"), HUNT_STATES);
    assert_eq!(num(&r["ratePerSec"]["maximum"], "ratePerSec") as f64, HUNT_RATE_MAX);
    assert_eq!(bounds(&r["timeoutMs"], "timeoutMs"), (TIMEOUT_MS_MIN, TIMEOUT_MS_MAX));
    assert_eq!(lengths(&r["reason"], "reason"), (0, REASON_MAX as u64));
    let c = props(&doc, "HuntClaim");
    assert_eq!(strings(&c["state"]["enum"], "state"), PART_STATES);
    let p = props(&doc, "HuntPartResult");
    assert_eq!(num(&p["results"]["maxItems"], "results") as usize, HUNT_PART_RESULTS_MAX);
    assert_eq!(strings(&p["state"]["enum"], "state"), PART_STATES[1..]);
}
