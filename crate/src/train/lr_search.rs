//! Learning-rate search by short runs: each candidate rate trains the same initial weights for
//! the configured number of epochs, and the rate with the lowest validation loss wins.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::history::{History, StopReason};
use super::run::{RunReport, fit};
use super::trainer::Trainer;
use crate::data::{Dataset, Preprocessing};
use crate::error::TrainError;
use crate::model::ModelConfig;

/// One candidate rate's short run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrCandidate {
    pub lr: f64,
    pub epochs: usize,
    pub best_val_loss: f64,
    pub best_val_accuracy: f64,
    /// Why the run ended early, e.g. a diverging loss.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSearch {
    pub candidates: Vec<LrCandidate>,
    /// The rate with the lowest finite validation loss; none when every candidate diverged.
    pub best_lr: Option<f64>,
    pub best_val_loss: f64,
}

/// The candidate rates of the exercise's search: Géron's own 5e-5, 5e-4 and 7e-4 among them.
pub const SEARCH_RATES: [f64; 9] = [1e-5, 3e-5, 5e-5, 1e-4, 3e-4, 5e-4, 7e-4, 1e-3, 3e-3];

/// A candidate's short run: `train` at rate `lr` with the statistics probes off.
pub fn candidate_config(train: &TrainConfig, lr: f64) -> TrainConfig {
    TrainConfig {
        lr,
        probe_every: 0,
        ..train.clone()
    }
}

/// What a candidate's ended run says: its best validation loss and accuracy over its epochs.
pub fn candidate_outcome(lr: f64, history: &History, report: &RunReport) -> LrCandidate {
    let epochs = &history.epochs;
    LrCandidate {
        lr,
        epochs: epochs.len(),
        best_val_loss: epochs
            .iter()
            .map(|e| e.val_loss)
            .fold(f64::INFINITY, f64::min),
        best_val_accuracy: epochs.iter().map(|e| e.val_accuracy).fold(0.0, f64::max),
        error: match &report.stop {
            StopReason::Diverged { message, .. } => Some(message.clone()),
            _ => None,
        },
    }
}

impl LrSearch {
    pub fn new() -> Self {
        Self {
            candidates: Vec::new(),
            best_lr: None,
            best_val_loss: f64::INFINITY,
        }
    }

    /// Adds a candidate; it becomes the best if its validation loss is the lowest so far (a
    /// diverged run's NaN never is).
    pub fn push(&mut self, candidate: LrCandidate) {
        if candidate.best_val_loss < self.best_val_loss {
            self.best_lr = Some(candidate.lr);
            self.best_val_loss = candidate.best_val_loss;
        }
        self.candidates.push(candidate);
    }
}

impl Default for LrSearch {
    fn default() -> Self {
        Self::new()
    }
}

/// Trains `model` with each rate of `rates` (statistics probes off) and reports each candidate
/// to `on_candidate` as it ends.
pub async fn lr_search(
    data: &Dataset,
    model: &ModelConfig,
    train: &TrainConfig,
    preprocessing: Preprocessing,
    device: &Device,
    rates: &[f64],
    on_candidate: &mut dyn FnMut(&LrCandidate),
) -> Result<LrSearch, TrainError> {
    let mut search = LrSearch::new();
    for &lr in rates {
        let config = candidate_config(train, lr);
        let mut trainer = Trainer::new(data, model, &config, preprocessing, device)?;
        let report = fit(&mut trainer, data, &mut |_| {}).await?;
        let candidate = candidate_outcome(lr, trainer.history(), &report);
        on_candidate(&candidate);
        search.push(candidate);
    }
    Ok(search)
}
