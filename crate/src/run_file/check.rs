//! Every range a run file's fields must lie in, checked once the file has been read into the
//! crate's types. Bounds sit far above any real run, low enough that a file cannot make the page
//! hold or draw absurd amounts: a 100-epoch CIFAR-10 run has ~140k steps at batch 32 and ~2k
//! probes.

use serde_json::Value;

use super::{McRecord, RunRecord};
use crate::eval::Evaluation;
use crate::stats::LayerStats;
use crate::train::EpochRecord;

pub const MAX_FILE_BYTES: usize = 512 << 20;
const MAX_EPOCHS: usize = 100_000;
const MAX_STEPS: usize = 2_000_000;
const MAX_PROBES: usize = 200_000;
const MAX_LAYERS: usize = 10_000;
const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 20_000;
const MAX_LIST: usize = 1_000;
const MAX_DEPTH: usize = 32;
/// Keys that would reach an object's prototype in the page if they were ever merged into one.
const FORBIDDEN_KEYS: [&str; 3] = ["__proto__", "constructor", "prototype"];

/// A field's path and what is wrong with it.
pub type Problem = (String, String);

/// Refuses a file that has a key no run file has and that could reach a JS prototype. Only a
/// file that mentions one is walked, to name where it is.
pub fn forbidden_keys(bytes: &[u8]) -> Result<(), Problem> {
    let mentions = FORBIDDEN_KEYS.iter().any(|key| {
        let quoted = format!("\"{key}\"");
        bytes.windows(quoted.len()).any(|w| w == quoted.as_bytes())
    });
    if !mentions {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    match forbidden_key_in(&value, String::new()) {
        Some(path) => Err((
            path,
            "is a key a run file never has; the file was made or edited by hand and is refused"
                .into(),
        )),
        None => Ok(()),
    }
}

fn forbidden_key_in(value: &Value, path: String) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, v)| {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if FORBIDDEN_KEYS.contains(&key.as_str()) {
                Some(at)
            } else {
                forbidden_key_in(v, at)
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| forbidden_key_in(v, format!("{path}[{i}]"))),
        _ => None,
    }
}

/// serde_json's message without its "at line 1 column 52817": the field's path says where.
pub fn without_position(text: String) -> String {
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Checks every range of `run`; the first problem found.
pub fn run(run: &RunRecord) -> Result<(), Problem> {
    text("run.name", &run.name, 1, MAX_NAME)?;
    text("run.variant", &run.variant, 0, MAX_NAME)?;
    count("run.modified", run.modified.len(), 100)?;
    for (i, m) in run.modified.iter().enumerate() {
        text(&format!("run.modified[{i}]"), m, 0, MAX_NAME)?;
    }
    for (field, value) in [
        ("run.id", &run.id),
        ("run.dataset", &run.dataset),
        ("run.backend", &run.backend),
        ("run.results.evaluatedOn", &run.results.evaluated_on),
    ] {
        if let Some(v) = value {
            text(field, v, 0, MAX_NAME)?;
        }
    }
    if let Some(error) = &run.error {
        text("run.error", error, 0, MAX_TEXT)?;
    }
    if let Some(lesson) = &run.lesson {
        text("run.lesson.name", &lesson.name, 0, MAX_NAME)?;
        text("run.lesson.label", &lesson.label, 0, MAX_NAME)?;
        time("run.lesson.startedAt", lesson.started_at)?;
    }
    run.config.model.validate().map_err(|e| {
        (
            "run.config.model".to_owned(),
            format!("is invalid: {}", e.0),
        )
    })?;
    run.config.train.validate().map_err(|e| {
        (
            "run.config.train".to_owned(),
            format!("is invalid: {}", e.0),
        )
    })?;
    for (field, t) in [
        ("run.created", run.created),
        ("run.updated", run.updated),
        ("run.timings.started", run.timings.started),
        ("run.timings.finished", run.timings.finished),
        ("run.timings.finishSeconds", run.timings.finish_seconds),
    ] {
        time(field, t)?;
    }
    if let Some(curve) = &run.lr_finder {
        json("run.lrFinder", curve, 0)?;
    }
    history(run)?;
    results(run)
}

fn history(run: &RunRecord) -> Result<(), Problem> {
    let h = &run.history;
    count("run.history.epochs", h.epochs.len(), MAX_EPOCHS)?;
    count("run.history.steps", h.steps.len(), MAX_STEPS)?;
    count("run.history.probes", h.probes.len(), MAX_PROBES)?;
    for (i, e) in h.epochs.iter().enumerate() {
        epoch(&format!("run.history.epochs[{i}]"), e)?;
    }
    for (i, p) in h.probes.iter().enumerate() {
        let at = format!("run.history.probes[{i}]");
        range(&format!("{at}.epoch"), p.epoch, 0.0, f64::INFINITY)?;
        layer_stats(&format!("{at}.stats"), &p.stats)?;
    }
    Ok(())
}

fn epoch(at: &str, e: &EpochRecord) -> Result<(), Problem> {
    if e.epoch == 0 {
        return Err((format!("{at}.epoch"), "must be at least 1 (got 0)".into()));
    }
    range(&format!("{at}.train_accuracy"), e.train_accuracy, 0.0, 1.0)?;
    range(&format!("{at}.val_accuracy"), e.val_accuracy, 0.0, 1.0)?;
    for (field, v) in [
        ("lr", e.lr),
        ("train_seconds", e.train_seconds),
        ("seconds", e.seconds),
        ("samples_per_s", e.samples_per_s),
    ] {
        range(&format!("{at}.{field}"), v, 0.0, f64::INFINITY)?;
    }
    Ok(())
}

/// Every column holds one value per layer, the histograms one row of counts per layer.
fn layer_stats(at: &str, stats: &LayerStats) -> Result<(), Problem> {
    let layers = stats.layers();
    count(&format!("{at}.pre_mean"), layers, MAX_LAYERS)?;
    let columns = stats.columns().into_iter();
    let update = stats.update_ratio.as_deref().map(|c| ("update_ratio", c));
    for (name, column) in columns.chain(update) {
        if column.len() != layers {
            return Err((
                format!("{at}.{name}"),
                format!("must have {layers} elements (got {})", column.len()),
            ));
        }
    }
    let h = &stats.histograms;
    if !h.counts.is_empty() {
        if h.counts.len() != layers {
            return Err((
                format!("{at}.histograms.counts"),
                format!("must hold {layers} rows (got {})", h.counts.len()),
            ));
        }
        if !(h.lo.is_finite() && h.hi.is_finite() && h.hi > h.lo) {
            return Err((
                format!("{at}.histograms.hi"),
                format!("must be above lo (got {} and {})", h.lo, h.hi),
            ));
        }
    }
    Ok(())
}

fn results(run: &RunRecord) -> Result<(), Problem> {
    let r = &run.results;
    for (field, e) in [
        ("valid", &r.valid),
        ("test", &r.test),
        ("validHere", &r.valid_here),
        ("testHere", &r.test_here),
    ] {
        if let Some(e) = e {
            evaluation(&format!("run.results.{field}"), e)?;
        }
    }
    if let Some(mc) = &r.mc {
        mc_record(mc)?;
    }
    Ok(())
}

fn mc_record(mc: &McRecord) -> Result<(), Problem> {
    evaluation("run.results.mc.plain", &mc.plain)?;
    count("run.results.mc.mc", mc.mc.len(), MAX_LIST)?;
    for (i, e) in mc.mc.iter().enumerate() {
        evaluation(&format!("run.results.mc.mc[{i}]"), e)?;
    }
    if let Some(samples) = &mc.samples {
        json("run.results.mc.samples", samples, 0)?;
    }
    if let Some(id) = &mc.run_id {
        text("run.results.mc.runId", id, 0, MAX_NAME)?;
    }
    time("run.results.mc.at", mc.at)
}

fn evaluation(at: &str, e: &Evaluation) -> Result<(), Problem> {
    range(&format!("{at}.accuracy"), e.accuracy, 0.0, 1.0)?;
    range(&format!("{at}.seconds"), e.seconds, 0.0, f64::INFINITY)
}

fn range(field: &str, v: f64, min: f64, max: f64) -> Result<(), Problem> {
    if !v.is_finite() {
        return Err((
            field.to_owned(),
            format!("must be a finite number (got {v})"),
        ));
    }
    if v < min || v > max {
        return Err((
            field.to_owned(),
            format!("must be in [{min}, {max}] (got {v})"),
        ));
    }
    Ok(())
}

fn time(field: &str, t: Option<f64>) -> Result<(), Problem> {
    t.map_or(Ok(()), |t| range(field, t, 0.0, f64::INFINITY))
}

fn text(field: &str, v: &str, min: usize, max: usize) -> Result<(), Problem> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err((
            field.to_owned(),
            format!("must be {min}–{max} characters long (got {n})"),
        ));
    }
    Ok(())
}

fn count(field: &str, n: usize, max: usize) -> Result<(), Problem> {
    if n > max {
        return Err((
            field.to_owned(),
            format!("has {n} elements, more than the {max} a run can have"),
        ));
    }
    Ok(())
}

/// Free-form JSON the page keeps: bounded in depth and in the length of its strings.
fn json(field: &str, v: &Value, depth: usize) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err((
            field.to_owned(),
            format!("is nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    match v {
        Value::String(s) => text(field, s, 0, MAX_TEXT),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| json(&format!("{field}[{i}]"), x, depth + 1)),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, x)| json(&format!("{field}.{k}"), x, depth + 1)),
        _ => Ok(()),
    }
}
