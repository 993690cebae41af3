//! Runs a lesson's runs one after the other and distils the figures that answer its question.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::catalog::Lesson;
use crate::data::Dataset;
use crate::error::TrainError;
use crate::eval::Evaluation;
use crate::sparsity::{prune, zero_fractions};
use crate::train::{Event, History, LrSweepConfig, Schedule, Trainer, fit};

/// Weights with |w| at most this count as zero in the sparsity figures.
pub const ZERO_THRESHOLD: f32 = 1e-3;
const PRUNE_LEVELS: [f64; 4] = [0.5, 0.8, 0.9, 0.95];
const MC_SAMPLES: [usize; 2] = [10, 100];

/// What one run of a lesson produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunOutcome {
    pub label: String,
    pub history: History,
    pub valid: Option<Evaluation>,
    /// Why the run stopped early, e.g. a diverging loss (the history is kept).
    pub error: Option<String>,
    /// Lesson-specific figures (sparsity per layer, pruning, timings, 1cycle's peak rate).
    pub extra: Value,
}

/// Runs every run of `lesson` on `data`; `on_event` sees each run's training events.
pub async fn run_lesson(
    lesson: &Lesson,
    data: &Dataset,
    device: &Device,
    on_event: &mut dyn FnMut(&str, Event),
) -> Result<(Vec<RunOutcome>, Value), TrainError> {
    let mut outcomes = Vec::new();
    for (index, run) in lesson.runs.iter().enumerate() {
        let mut trainer = Trainer::new(data, &run.model, &run.train, run.preprocessing, device)?;
        let mut extra = json!({});
        if run.train.schedule == Schedule::OneCycle {
            let sweep = LrSweepConfig {
                min_lr: 1e-5,
                max_lr: 1.0,
                steps: 0,
            };
            let found = trainer.find_lr(data, &sweep).await?;
            // 1cycle's peak: half the rate of the lowest smoothed loss (the LR finder's
            // suggestion is a tenth of it, meant for a constant rate).
            trainer.config.lr = found.suggested_lr * 5.0;
            extra["max_lr"] = json!(trainer.config.lr);
        }
        let result = fit(&mut trainer, data, &mut |event| on_event(&run.label, event)).await;
        let error = match result {
            Ok(()) => None,
            Err(e @ TrainError::NonFinite { .. }) => Some(e.to_string()),
            Err(e) => return Err(e),
        };
        let valid = match error {
            None => Some(trainer.evaluate(data, "valid").await?),
            Some(_) => None,
        };
        if error.is_none() {
            add_extras(&lesson.name, index, &trainer, data, &mut extra).await?;
        }
        outcomes.push(RunOutcome {
            label: run.label.clone(),
            history: trainer.history().clone(),
            valid,
            error,
            extra,
        });
    }
    let finding = finding(lesson, &outcomes);
    Ok((outcomes, finding))
}

async fn add_extras(
    lesson: &str,
    index: usize,
    trainer: &Trainer,
    data: &Dataset,
    extra: &mut Value,
) -> Result<(), TrainError> {
    match lesson {
        "sparsity" => {
            extra["zero_fraction"] = json!(zero_fractions(trainer.model(), ZERO_THRESHOLD).await?);
            if index == 0 {
                let mut pruned = Vec::new();
                for level in PRUNE_LEVELS {
                    let (model, _) = prune(trainer.model().clone(), level).await?;
                    let eval = trainer.evaluate_model(&model, data, "valid").await?;
                    pruned.push(json!({ "sparsity": level, "val_accuracy": eval.accuracy, "val_loss": eval.loss }));
                }
                extra["pruning"] = json!(pruned);
            }
        }
        "dropout-cost" => {
            let plain = trainer.evaluate(data, "valid").await?;
            let mut inference = vec![
                json!({ "mode": "eval", "samples": 1, "seconds": plain.seconds, "accuracy": plain.accuracy }),
            ];
            if trainer.model_config.dropout.is_some() {
                for n in MC_SAMPLES {
                    let mc = trainer.evaluate_mc(data, "valid", n).await?;
                    inference.push(json!({ "mode": "mc-dropout", "samples": n, "seconds": mc.seconds, "accuracy": mc.accuracy }));
                }
            }
            extra["inference"] = json!(inference);
        }
        _ => {}
    }
    Ok(())
}

/// The figures that answer the lesson's question: per run (by label) its accuracy, curves,
/// timings, final per-layer statistics and the lesson's own figures.
pub fn finding(lesson: &Lesson, outcomes: &[RunOutcome]) -> Value {
    let mut runs = serde_json::Map::new();
    for o in outcomes {
        let epochs = &o.history.epochs;
        let last_probe = o.history.probes.last().map(|p| &p.stats);
        let mean = |f: fn(&crate::train::EpochRecord) -> f64| {
            epochs.iter().map(f).sum::<f64>() / epochs.len().max(1) as f64
        };
        let mut summary = json!({
            "val_accuracy": o.valid.as_ref().map(|v| v.accuracy),
            "val_loss": o.valid.as_ref().map(|v| v.loss),
            "epochs": epochs.len(),
            "val_accuracy_per_epoch": epochs.iter().map(|e| e.val_accuracy).collect::<Vec<_>>(),
            "train_loss_per_epoch": epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>(),
            "seconds_per_epoch": mean(|e| e.train_seconds),
            "error": o.error,
        });
        if let Some(stats) = last_probe {
            let layers = json!({
                "act_mean": stats.act_mean, "act_std": stats.act_std, "grad_norm": stats.grad_norm,
                "dead": stats.dead, "saturated": stats.saturated, "unit_spread": stats.unit_spread,
            });
            summary["layers"] = layers;
        }
        if let Value::Object(extra) = &o.extra {
            summary.as_object_mut().unwrap().extend(extra.clone());
        }
        runs.insert(o.label.clone(), summary);
    }
    json!({ "question": lesson.question, "caption": lesson.caption, "runs": runs })
}
