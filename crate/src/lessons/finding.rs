//! What a lesson found: per run (by label) its accuracy, curves, timings, final per-layer
//! statistics and the lesson's own measurements. One definition, serialized for the CLI's last
//! line and for the page's figures (`www/views/lesson-figures.js` reads these field names).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalog::Lesson;
use super::runner::RunOutcome;
use crate::train::EpochRecord;

/// The figures that answer a lesson's question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub question: String,
    pub caption: String,
    /// Each run's figures, by its label.
    pub runs: BTreeMap<String, RunFinding>,
}

/// One run's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFinding {
    /// Of the restored best weights; none when the run diverged.
    pub val_accuracy: Option<f64>,
    pub val_loss: Option<f64>,
    pub epochs: usize,
    pub val_accuracy_per_epoch: Vec<f64>,
    pub train_loss_per_epoch: Vec<f64>,
    /// Mean training time of an epoch (validation excluded).
    pub seconds_per_epoch: f64,
    /// Why the run stopped early, e.g. a diverging loss.
    pub error: Option<String>,
    /// The last probe's statistics; none when the run was never probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<LayerFigures>,
    #[serde(flatten)]
    pub extras: RunExtras,
}

/// Per hidden layer, input side first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerFigures {
    pub act_mean: Vec<f32>,
    pub act_std: Vec<f32>,
    pub grad_norm: Vec<f32>,
    pub dead: Vec<f32>,
    pub saturated: Vec<f32>,
    pub unit_spread: Vec<f32>,
}

/// The lesson-specific measurements of a run, each present only in the lessons that make it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunExtras {
    /// 1cycle's peak rate, from the LR finder's sweep before the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lr: Option<f64>,
    /// Fraction of each kernel's weights with |w| ≤ `zero_threshold` (sparsity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_fraction: Option<Vec<f32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_threshold: Option<f32>,
    /// Validation after pruning the smallest weights to each sparsity (sparsity, first run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruning: Option<Vec<Pruned>>,
    /// Inference time and accuracy, plain and with MC Dropout (dropout-cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<Vec<Inference>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pruned {
    pub sparsity: f64,
    pub val_accuracy: f64,
    pub val_loss: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InferenceMode {
    Eval,
    McDropout,
}

/// One way of predicting the validation split: its forward passes per record, time, accuracy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inference {
    pub mode: InferenceMode,
    pub samples: usize,
    pub seconds: f64,
    pub accuracy: f64,
}

/// The figures of `outcomes`, the runs of `lesson`.
pub fn finding(lesson: &Lesson, outcomes: &[RunOutcome]) -> Finding {
    let runs = outcomes
        .iter()
        .map(|o| (o.label.clone(), run_finding(o)))
        .collect();
    Finding {
        question: lesson.question.clone(),
        caption: lesson.caption.clone(),
        runs,
    }
}

fn run_finding(o: &RunOutcome) -> RunFinding {
    let epochs = &o.history.epochs;
    let mean =
        |f: fn(&EpochRecord) -> f64| epochs.iter().map(f).sum::<f64>() / epochs.len().max(1) as f64;
    let layers = o.history.probes.last().map(|p| {
        let s = &p.stats;
        LayerFigures {
            act_mean: s.act_mean.clone(),
            act_std: s.act_std.clone(),
            grad_norm: s.grad_norm.clone(),
            dead: s.dead.clone(),
            saturated: s.saturated.clone(),
            unit_spread: s.unit_spread.clone(),
        }
    });
    RunFinding {
        val_accuracy: o.valid.as_ref().map(|v| v.accuracy),
        val_loss: o.valid.as_ref().map(|v| v.loss),
        epochs: epochs.len(),
        val_accuracy_per_epoch: epochs.iter().map(|e| e.val_accuracy).collect(),
        train_loss_per_epoch: epochs.iter().map(|e| e.train_loss).collect(),
        seconds_per_epoch: mean(|e| e.train_seconds),
        error: o.error.clone(),
        layers,
        extras: o.extra.clone(),
    }
}
