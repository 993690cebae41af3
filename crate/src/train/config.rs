use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::fused::FusedConfig;
use crate::optim::OptimizerConfig;

use super::schedule::Schedule;

/// How a run trains. Defaults follow the exercise: Nadam, batch 32, early stopping with
/// patience 20 and the best weights restored, at most 100 epochs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Peak learning rate (the constant one, or 1cycle's maximum).
    pub lr: f64,
    pub schedule: Schedule,
    pub optimizer: OptimizerConfig,
    pub batch_size: usize,
    pub max_epochs: usize,
    /// Epochs without a lower validation loss before stopping (Keras `EarlyStopping`).
    pub patience: usize,
    /// Seeds the weights, the shuffling and the dropout masks.
    pub seed: u64,
    /// L1 penalty on every kernel, added to the loss (Keras `kernel_regularizer=l1(…)`).
    pub l1: f64,
    /// Training steps between two host readbacks of the losses (one transfer per chunk).
    pub readback_every: usize,
    /// Training steps between two per-layer statistics probes: a probe at every multiple of
    /// `probe_every` steps (a chunk ends early where one falls due, [`Self::chunk_steps`]). 0:
    /// only the probe before the first step and the final one, of the restored best weights.
    pub probe_every: usize,
    /// Records in the fixed probe batch (taken from the validation split).
    pub probe_size: usize,
    /// Caps the records used per epoch (0: all); for quick demos and tests.
    pub max_train_records: usize,
    /// Take the steps with the fused kernels where they apply ([`crate::fused::support`]);
    /// false forces the generic autodiff step (the reference).
    pub fused: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            lr: 5e-5,
            schedule: Schedule::Constant,
            optimizer: OptimizerConfig::Nadam {
                momentum_schedule: Default::default(),
            },
            batch_size: 32,
            max_epochs: 100,
            patience: 20,
            seed: 42,
            l1: 0.0,
            readback_every: 25,
            probe_every: 200,
            probe_size: 256,
            max_train_records: 0,
            fused: true,
        }
    }
}

impl TrainConfig {
    /// Whether a statistics probe is due at `step`, the last one having been at `last_probe`
    /// (none yet: the probe before the first step is due).
    pub fn probe_due(&self, step: usize, last_probe: Option<usize>) -> bool {
        match last_probe {
            None => true,
            Some(last) => self.probe_every > 0 && step >= last + self.probe_every,
        }
    }

    /// Steps in the chunk that starts at `step`: `readback_every`, cut short where the next
    /// probe falls due, so that probes land at the same steps whatever the readback interval
    /// (the page's and the CLI's runs probe alike).
    pub fn chunk_steps(&self, step: usize, last_probe: Option<usize>) -> usize {
        match last_probe {
            Some(last) if self.probe_every > 0 => {
                let next = last + self.probe_every;
                self.readback_every.min(next.saturating_sub(step).max(1))
            }
            _ => self.readback_every,
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |s: String| Err(ConfigError(s));
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!(
                "learning rate must be a positive number, got {}",
                self.lr
            ));
        }
        if self.batch_size == 0
            || self.max_epochs == 0
            || self.readback_every == 0
            || self.probe_size == 0
        {
            return bad(
                "batch size, epochs, readback interval and probe size must be at least 1".into(),
            );
        }
        if !(self.l1.is_finite() && self.l1 >= 0.0) {
            return bad(format!("L1 strength must be ≥ 0, got {}", self.l1));
        }
        self.optimizer.validate()
    }
}

/// The fields of a run's configuration that the fused step uses.
impl From<&TrainConfig> for FusedConfig {
    fn from(train: &TrainConfig) -> Self {
        FusedConfig {
            batch_size: train.batch_size,
            optimizer: train.optimizer,
            l1: train.l1,
            readback_every: train.readback_every,
            seed: train.seed,
            lr: train.lr,
        }
    }
}
