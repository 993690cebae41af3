//! Learning-rate search by short runs: each candidate rate trains the same initial weights for
//! the configured number of epochs, and the rate with the lowest validation loss wins.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::history::StopReason;
use super::run::fit;
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
    let mut search = LrSearch {
        candidates: Vec::new(),
        best_lr: None,
        best_val_loss: f64::INFINITY,
    };
    for &lr in rates {
        let config = TrainConfig {
            lr,
            probe_every: 0,
            ..train.clone()
        };
        let mut trainer = Trainer::new(data, model, &config, preprocessing, device)?;
        let report = fit(&mut trainer, data, &mut |_| {}).await?;
        let epochs = &trainer.history().epochs;
        let candidate = LrCandidate {
            lr,
            epochs: epochs.len(),
            best_val_loss: epochs
                .iter()
                .map(|e| e.val_loss)
                .fold(f64::INFINITY, f64::min),
            best_val_accuracy: epochs.iter().map(|e| e.val_accuracy).fold(0.0, f64::max),
            error: match report.stop {
                StopReason::Diverged { message, .. } => Some(message),
                _ => None,
            },
        };
        on_candidate(&candidate);
        if candidate.best_val_loss < search.best_val_loss {
            search.best_lr = Some(lr);
            search.best_val_loss = candidate.best_val_loss;
        }
        search.candidates.push(candidate);
    }
    Ok(search)
}
