//! Run files: a real run's file reads back whole, and each damage a hand edit, a cut-off
//! download or a crafted file brings is refused with the file and the field named.

use base64::Engine;
use burn::tensor::Device;
use serde_json::{Value, json};

use super::*;
use crate::data::SyntheticSpec;
use crate::model::DenseNet;
use crate::train::{Trainer, fit};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The page's packing of a probe's histograms (`www/io/histograms.js`), written out here as the
/// reference the reader must undo.
fn pack(counts: &[Vec<u32>]) -> Value {
    let max = counts.iter().flatten().copied().max().unwrap_or(0);
    let scale = max.div_ceil(u16::MAX as u32).max(1);
    let bytes: Vec<u8> = counts
        .iter()
        .flatten()
        .flat_map(|&c| ((c as f64 / scale as f64).round() as u16).to_le_bytes())
        .collect();
    json!({ "lo": -4.0, "hi": 4.0, "bins": counts[0].len(), "scale": scale, "counts": B64.encode(bytes) })
}

/// A run file as the page exports one: a short real run, its probes' histograms packed, and
/// its weights.
fn exported() -> Value {
    let data = SyntheticSpec {
        image_shape: [1, 4, 4],
        train: 64,
        valid: 32,
        test: 32,
        ..SyntheticSpec::default()
    }
    .generate();
    let model = ModelConfig {
        input_dim: 16,
        depth: 3,
        width: 8,
        ..ModelConfig::default()
    };
    let train = TrainConfig {
        max_epochs: 2,
        batch_size: 16,
        probe_every: 2,
        probe_size: 16,
        ..TrainConfig::default()
    };
    let device = Device::flex();
    let mut trainer =
        Trainer::new(&data, &model, &train, Preprocessing::Standardize, &device).unwrap();
    pollster::block_on(fit(&mut trainer, &data, &mut |_| {})).unwrap();
    let mut history = serde_json::to_value(trainer.history()).unwrap();
    for probe in history["probes"].as_array_mut().unwrap() {
        let counts: Vec<Vec<u32>> =
            serde_json::from_value(probe["stats"]["histograms"]["counts"].clone()).unwrap();
        probe["stats"]["histograms"] = pack(&counts);
    }
    let weights = pollster::block_on(crate::weights::to_bytes(trainer.model())).unwrap();
    json!({
        "format": FORMAT, "version": VERSION, "exported": "2026-12-04T05:00:00Z",
        "run": {
            "id": "r1", "name": "elu-he #1", "variant": "elu-he", "modified": ["depth 3"],
            "config": { "model": model, "train": train, "preprocessing": "standardize" },
            "dataset": "synthetic", "backend": "cpu", "status": "running",
            "created": 1.7e12, "updated": 1.7e12,
            "info": { "parameters": 300, "steps_per_epoch": 4, "step": { "kind": "generic", "reason": "cpu" } },
            "history": history,
            "summary": { "best_epoch": 2, "best_val_loss": 2.2, "patience_left": 20, "finished": true },
            "lrFinder": null,
            "results": { "valid": { "loss": 2.2, "accuracy": 0.2, "records": 32, "passes": 1, "seconds": 0.1 }, "test": null, "mc": null },
            "timings": { "started": 1.7e12, "finished": null, "finishSeconds": null },
            "error": null, "lesson": null, "somethingElse": 1
        },
        "weights": { "encoding": "base64", "format": "safetensors", "bytes": B64.encode(weights) }
    })
}

fn read_value(file: &Value, name: &str) -> Result<ImportedRun, String> {
    read(file.to_string().as_bytes(), name).map_err(|e| e.to_string())
}

#[test]
fn a_real_run_file_reads_back_whole() {
    let file = exported();
    let imported = read_value(&file, "good.json").unwrap();
    let run = &imported.run;
    assert_eq!(
        run.status,
        RunStatus::Interrupted,
        "a running run cannot resume"
    );
    assert_eq!(run.history.epochs.len(), 2);
    let probes = file["run"]["history"]["probes"].as_array().unwrap();
    assert_eq!(run.history.probes.len(), probes.len());
    // The packed counts unpack to the rows the trainer recorded (exact below 65,536 a bin).
    let first: &Vec<Vec<u32>> = &run.history.probes[0].stats.histograms.counts;
    assert_eq!(first.len(), 3);
    assert_eq!(
        first.iter().map(|r| r.iter().sum::<u32>()).sum::<u32>(),
        3 * 8 * 16
    );
    let weights = imported.weights.unwrap();
    assert_eq!(
        B64.encode(&weights),
        file["weights"]["bytes"].as_str().unwrap()
    );
    let model = DenseNet::new(&run.config.model, 0, &Device::flex()).unwrap();
    crate::weights::from_bytes(model, &weights).unwrap();
    // Only the run's own fields come back.
    let back = serde_json::to_value(run).unwrap();
    assert!(back.get("somethingElse").is_none());
    assert_eq!(back["results"]["valid"]["records"], 32);
}

/// The SNW1 layout declaring one tensor of `dims` and nothing after them.
fn snw1(dims: &[u32]) -> String {
    let mut out = b"SNW1".to_vec();
    out.extend(1u32.to_le_bytes());
    out.extend((dims.len() as u32).to_le_bytes());
    dims.iter().for_each(|d| out.extend(d.to_le_bytes()));
    B64.encode(out)
}

/// The file's safetensors weights with `edit` applied to their JSON header.
fn edit_header(file: &mut Value, edit: impl Fn(&mut Value)) {
    let bytes = B64
        .decode(file["weights"]["bytes"].as_str().unwrap())
        .unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    edit(&mut header);
    let text = header.to_string();
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text.as_bytes());
    out.extend(&bytes[8 + n..]);
    file["weights"]["bytes"] = B64.encode(out).into();
}

type Damage = fn(&mut Value);

#[test]
fn each_damaged_file_is_refused_with_its_file_and_field_named() {
    let good = exported();
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "name-object",
            |f| f["run"]["name"] = json!({"first": "elu"}),
            "name-object: run.name is not what a run file holds (invalid type: map, expected a string)",
        ),
        (
            "null-epoch",
            |f| f["run"]["history"]["epochs"][0] = Value::Null,
            "run.history.epochs[0] is not what a run file holds (invalid type: null",
        ),
        (
            "string-step",
            |f| f["run"]["history"]["steps"][1] = json!("fast"),
            "run.history.steps[1] is not what a run file holds (invalid type: string",
        ),
        (
            "null-accuracy",
            |f| f["run"]["history"]["epochs"][0]["val_accuracy"] = Value::Null,
            "run.history.epochs[0].val_accuracy is not what a run file holds (invalid type: null, expected f64)",
        ),
        (
            "out-of-range",
            |f| f["run"]["history"]["epochs"][0]["val_accuracy"] = json!(7),
            "run.history.epochs[0].val_accuracy must be in [0, 1] (got 7)",
        ),
        (
            "probe-shape",
            |f| {
                f["run"]["history"]["probes"][0]["stats"]["dead"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!(0.5))
            },
            "run.history.probes[0].stats.dead must have 3 elements (got 4)",
        ),
        (
            "histogram-counts",
            |f| {
                let h = &mut f["run"]["history"]["probes"][0]["stats"]["histograms"];
                let counts = h["counts"].as_str().unwrap();
                h["counts"] = json!(&counts[..counts.len() - 8]);
            },
            "run.history.probes[0].stats.histograms is not what a run file holds (counts must be the base64 of rows of 32 16-bit counts",
        ),
        (
            "histogram-rows",
            |f| {
                let h = &mut f["run"]["history"]["probes"][0]["stats"]["histograms"];
                let counts = h["counts"].as_str().unwrap();
                h["counts"] = json!(&counts[..counts.len() / 3 * 2 / 4 * 4]);
            },
            "run.history.probes[0].stats.histograms",
        ),
        (
            "probe-element",
            |f| f["run"]["history"]["probes"][0]["stats"]["grad_norm"][0] = json!("large"),
            "run.history.probes[0].stats.grad_norm[0] is not what a run file holds (invalid type: string",
        ),
        (
            "long-name",
            |f| f["run"]["name"] = json!("x".repeat(5000)),
            "run.name must be 1–200 characters long (got 5000)",
        ),
        (
            "bad-status",
            |f| f["run"]["status"] = json!("excellent"),
            "run.status is not what a run file holds (unknown variant `excellent`",
        ),
        (
            "no-history",
            |f| {
                f["run"].as_object_mut().unwrap().remove("history");
            },
            "run is not what a run file holds (missing field `history`)",
        ),
        (
            "bad-activation",
            |f| f["run"]["config"]["model"]["activation"] = json!("swoosh"),
            "run.config.model.activation is not what a run file holds (unknown variant `swoosh`",
        ),
        (
            "zero-batch",
            |f| f["run"]["config"]["train"]["batch_size"] = json!(0),
            "run.config.train is invalid: batch size",
        ),
        (
            "truncated-base64",
            |f| {
                let b = f["weights"]["bytes"].as_str().unwrap();
                f["weights"]["bytes"] = json!(&b[..b.len() - 3]);
            },
            "weights.bytes is not valid base64",
        ),
        (
            "huge-dims",
            |f| {
                edit_header(f, |h| {
                    h["hidden.0.kernel"]["shape"] = json!([1u64 << 32, 1u64 << 32])
                })
            },
            "weights (safetensors) are not a readable safetensors file",
        ),
        (
            "negative-dims",
            |f| edit_header(f, |h| h["output.bias"]["shape"] = json!([-4])),
            "weights (safetensors) are not a readable safetensors file",
        ),
        (
            "wrong-offsets",
            |f| {
                edit_header(f, |h| {
                    let end = h["output.bias"]["data_offsets"][1].as_u64().unwrap();
                    h["output.bias"]["data_offsets"][1] = json!(end + 4);
                })
            },
            "weights (safetensors) are not a readable safetensors file",
        ),
        (
            "snw1-huge-dims",
            |f| f["weights"] = json!({"encoding": "base64", "format": "SNW1", "bytes": snw1(&[u32::MAX, u32::MAX])}),
            "weights (SNW1) give tensor 0 the dimensions [4294967295, 4294967295], more than the file holds",
        ),
        (
            "snw1-not-snw1",
            |f| f["weights"]["format"] = json!("SNW1"),
            "weights (SNW1) are not in the SNW1 layout",
        ),
        (
            "other-format",
            |f| f["format"] = json!("keras"),
            "other-format is not a selfnorm run file (format \"keras\"",
        ),
        (
            "new-version",
            |f| f["version"] = json!(2),
            "new-version has run file version 2; this page reads version 1.",
        ),
    ];
    for (name, damage, expected) in cases {
        let mut file = good.clone();
        damage(&mut file);
        let message = read_value(&file, name)
            .err()
            .unwrap_or_else(|| panic!("{name} was read"));
        assert!(
            message.starts_with(&format!("{name}: ")) || message.starts_with(&format!("{name} ")),
            "{message}"
        );
        assert!(message.contains(expected), "{name}: {message}");
        if expected.starts_with("run") {
            // The field's path says where; serde_json's position would only add noise.
            assert!(!message.contains(" at line "), "{message}");
        }
    }
}

#[test]
fn text_damage_and_prototype_keys_are_refused() {
    let text = exported().to_string();
    let not_json = read(&text.as_bytes()[..1000], "not-json")
        .unwrap_err()
        .to_string();
    assert!(
        not_json.starts_with("not-json is not a selfnorm run file (not JSON: "),
        "{not_json}"
    );
    let proto = text.replacen(
        "\"run\":{",
        "\"run\":{\"__proto__\":{\"polluted\":true},",
        1,
    );
    let err = read(proto.as_bytes(), "proto-key").unwrap_err().to_string();
    assert!(
        err.starts_with("proto-key: run.__proto__ is a key a run file never has"),
        "{err}"
    );
    // The word inside a string value is no key.
    let named = text.replacen("\"elu-he #1\"", "\"__proto__\"", 1);
    assert_eq!(
        read(named.as_bytes(), "named").unwrap().run.name,
        "__proto__"
    );
}

#[test]
fn a_history_longer_than_any_run_is_refused() {
    let mut file = exported();
    let step = file["run"]["history"]["steps"][0].clone();
    file["run"]["history"]["steps"] = Value::Array(vec![step; 2_000_001]);
    let err = read_value(&file, "huge").unwrap_err();
    assert!(
        err.contains("huge: run.history.steps has 2000001 elements, more than the 2000000"),
        "{err}"
    );
}
