//! Every golden vector (subjects/vectors/manifest.json) decodes to the manifest's verdict: valid
//! ones to its JSON value, invalid ones failing at its path. A valid vector re-encoded by this
//! crate decodes to the same value again. Every message the crate decodes has valid and invalid
//! vectors.

use std::collections::HashMap;
use std::path::PathBuf;

use rust_collector::contract::{for_each_message, Roundtrip};
use serde_json::Value as Json;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../subjects/vectors")
}

/// JSON equality where numbers compare as numbers (3 == 3.0), as JavaScript sees them.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn every_vector_reaches_the_manifest_verdict() {
    let manifest: Json =
        serde_json::from_slice(&std::fs::read(vectors_dir().join("manifest.json")).expect("manifest.json"))
            .unwrap();
    let mut decoders: HashMap<&str, Roundtrip> = HashMap::new();
    for_each_message(|name, f| {
        decoders.insert(name, f);
    });
    let vectors = manifest["vectors"].as_array().expect("vectors");
    let (mut valid, mut invalid, mut compared) = (0, 0, 0);
    let mut failures = Vec::new();
    for v in vectors {
        let file = v["file"].as_str().unwrap();
        let message = v["message"].as_str().unwrap();
        let decode = decoders.get(message).unwrap_or_else(|| panic!("{file}: no decoder for {message}"));
        let bytes = std::fs::read(vectors_dir().join(file)).unwrap();
        match (v["verdict"].as_str().unwrap(), decode(&bytes)) {
            ("valid", Ok((json, reencoded))) => {
                valid += 1;
                if let Some(want) = v.get("json") {
                    compared += 1;
                    if !same(&json, want) {
                        failures.push(format!("{file}: decoded {json}\n  manifest {want}"));
                    }
                }
                match decode(&reencoded) {
                    Ok((again, _)) if same(&again, &json) => {}
                    other => failures.push(format!("{file}: re-encoded form decodes to {other:?}")),
                }
            }
            ("invalid", Err(e)) => {
                invalid += 1;
                if e.path != v["path"].as_str().unwrap() {
                    failures.push(format!("{file}: fails at {} ({e}), manifest says {}", e.path, v["path"]));
                }
            }
            (verdict, got) => {
                failures.push(format!("{file}: manifest says {verdict}, decoded {:?}", got.map(|g| g.0)))
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors disagree:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
    assert_eq!(valid + invalid, vectors.len());
    assert!(
        valid > 40 && invalid > 100 && compared > 40,
        "valid {valid}, invalid {invalid}, compared {compared}"
    );
    // Every message this crate decodes has vectors of both verdicts.
    for name in decoders.keys() {
        for verdict in ["valid", "invalid"] {
            assert!(
                vectors.iter().any(|v| v["message"] == *name && v["verdict"] == verdict),
                "no {verdict} vector of {name}"
            );
        }
    }
}
