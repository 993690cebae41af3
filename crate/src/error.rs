use thiserror::Error;

use crate::data::DataError;

/// A configuration that cannot be built: depth 0, a dropout rate ≥ 1, an unknown variant…
#[derive(Debug, Error, Clone, PartialEq)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// Why a run (or a step of one) stopped with an error. The run's history is kept either way.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrainError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(
        "the {which} loss became {loss} at epoch {epoch}, step {step}: the run diverged. \
         Lower the learning rate (try the LR finder), lower the momentum, or add batch norm; \
         the history up to here is kept"
    )]
    NonFinite {
        /// `training` or `validation`.
        which: &'static str,
        epoch: usize,
        step: usize,
        loss: f32,
    },
    #[error(
        "the compute device failed ({0}). It may have been lost or run out of memory: \
         restart the run, on the CPU backend or with a smaller batch if it happens again"
    )]
    Device(String),
}

impl TrainError {
    pub fn device(e: impl std::fmt::Debug) -> Self {
        TrainError::Device(format!("{e:?}"))
    }
}
