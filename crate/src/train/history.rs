use serde::{Deserialize, Serialize};

use crate::stats::LayerStats;

/// One epoch's figures, as a Keras `History` row plus timings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    #[serde(deserialize_with = "crate::null_as_nan::f64")]
    pub train_loss: f64,
    pub train_accuracy: f64,
    #[serde(deserialize_with = "crate::null_as_nan::f64")]
    pub val_loss: f64,
    pub val_accuracy: f64,
    /// Learning rate at the epoch's last step.
    pub lr: f64,
    /// Training records seen this epoch.
    pub samples: usize,
    /// Training time (forward, backward, update), excluding validation.
    pub train_seconds: f64,
    /// Whole epoch, validation included.
    pub seconds: f64,
    pub samples_per_s: f64,
}

/// The mean training loss over a chunk of steps ending at `step` (1-based, counted over the run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepLoss {
    pub step: usize,
    pub epoch: usize,
    pub loss: f32,
}

/// Per-layer statistics taken at `step`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub step: usize,
    /// Fractional epoch (steps done / steps per epoch), for plotting over time.
    pub epoch: f64,
    /// Which weights were measured: the final probe of a run measures the restored best epoch's,
    /// not those of its last step. Absent in runs recorded before this field existed.
    #[serde(default)]
    pub weights: ProbeWeights,
    pub stats: LayerStats,
}

/// The weights a probe measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProbeWeights {
    /// The weights at the probe's step.
    #[default]
    Current,
    /// After the run ended: the weights of the best validation epoch, restored.
    RestoredBest { epoch: usize },
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StopReason {
    EarlyStopping {
        best_epoch: usize,
    },
    MaxEpochs,
    Stopped,
    /// A non-finite loss at `step` (1-based over the run) of `epoch`.
    Diverged {
        message: String,
        #[serde(default)]
        epoch: usize,
        #[serde(default)]
        step: usize,
    },
    Failed {
        message: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub epochs: Vec<EpochRecord>,
    pub steps: Vec<StepLoss>,
    pub probes: Vec<Probe>,
    pub best_epoch: usize,
    pub stop: Option<StopReason>,
}
