//! `rust-collector samples --out DIR [--vectors DIR]`: writes what this crate encodes, for the
//! TypeScript side to decode with its zod schemas (test/contract/rust-encoding.test.ts):
//! - `own/*.msgpack`: the collector's own messages (its advert, a sample Result, a streamed part,
//!   an error Result, the ErrorReply to an invalid task), built by the code the collector runs;
//! - `reencoded/<vector>`: every valid golden vector, decoded and encoded again by this crate;
//! - `samples.json`: `[{ file, message }]` for all of them.

use std::path::Path;
use std::time::Duration;

use crate::advert::Error;
use crate::collector::{build_advert, build_result};
use crate::contract::*;
use crate::options::Options;
use crate::perf::ProcSource;

pub fn write_samples(out: &Path, vectors: Option<&Path>) -> Result<usize, Error> {
    let mut listed: Vec<serde_json::Value> = Vec::new();
    let mut put = |file: String, message: &str, bytes: &[u8]| -> Result<(), Error> {
        let p = out.join(&file);
        std::fs::create_dir_all(p.parent().expect("a file has a parent"))?;
        std::fs::write(&p, bytes)?;
        listed.push(serde_json::json!({ "file": file, "message": message }));
        Ok(())
    };
    let mut opts = Options::new("perfmond-rs-sample");
    opts.labels.insert("lang".into(), "rust".into());
    opts.zone = Some("eu-1".into());
    opts.labels = crate::labels::advert_labels(&opts);
    let advert = build_advert(&opts, Health::Degraded, 2, 1_700_000_000_000);
    put("own/advert.msgpack".into(), CollectorAdvert::NAME, &encode(&advert))?;

    let task: Task = Task {
        task_id: "t-1".into(),
        correlation_id: "c-1".into(),
        required_capabilities: 0x08,
        domain: Domain::Performance,
        priority: 3,
        payload: None,
        created_at: 1_700_000_000_000,
        deadline: 1_700_000_005_000,
        attempt: 2,
    };
    let mut ok = build_result(&task, &opts.id, 0, true, Duration::from_micros(1500));
    ok.payload = Some(ProcSource::default().sample(0).map_err(|e| e.message)?);
    put("own/result-sample.msgpack".into(), TaskResult::NAME, &encode(&ok))?;
    let mut part = build_result(&task, &opts.id, 1, false, Duration::from_millis(20));
    part.payload = Some(ProcSource::default().sample(1).map_err(|e| e.message)?);
    put("own/result-streamed-part.msgpack".into(), TaskResult::NAME, &encode(&part))?;
    let mut err = build_result(&task, &opts.id, 2, true, Duration::from_millis(5000));
    err.status = ResultStatus::Error;
    err.error = Some(ErrorBody::new(ErrorCode::Timeout, "task t-1 deadline passed"));
    put("own/result-error.msgpack".into(), TaskResult::NAME, &encode(&err))?;
    let why = decode::<Task>(b"\x81\xa6taskId\xa3t.1").expect_err("an invalid task");
    let reply = ErrorReply { error: ErrorBody::new(ErrorCode::InvalidMessage, &why.message) };
    put("own/error-reply.msgpack".into(), ErrorReply::NAME, &encode(&reply))?;

    if let Some(dir) = vectors {
        let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
        let mut decoders = std::collections::HashMap::new();
        for_each_message(|name, f| {
            decoders.insert(name, f);
        });
        for v in manifest["vectors"].as_array().ok_or("manifest has no vectors")? {
            if v["verdict"] != "valid" {
                continue;
            }
            let (file, message) =
                (v["file"].as_str().unwrap_or_default(), v["message"].as_str().unwrap_or_default());
            let decode = decoders.get(message).ok_or_else(|| format!("no decoder for {message}"))?;
            let (_, again) = decode(&std::fs::read(dir.join(file))?).map_err(|e| format!("{file}: {e}"))?;
            put(format!("reencoded/{file}"), message, &again)?;
        }
    }
    let n = listed.len();
    std::fs::write(out.join("samples.json"), serde_json::to_vec_pretty(&listed)?)?;
    Ok(n)
}
