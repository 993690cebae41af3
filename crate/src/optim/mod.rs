//! Optimizers: Nadam and Keras-style SGD (Burn has neither), and Burn's Adam, behind one config.

mod nadam;
mod sgd;
mod state;
#[cfg(test)]
mod test_support;

pub use nadam::{Nadam, NadamCoefficients, NadamSchedule};
pub use sgd::Sgd;

use burn::optim::{AdamConfig, ModuleOptimizer};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OptimizerConfig {
    /// The exercise's optimizer, with Keras's defaults.
    Nadam {
        /// Absent from configs written before the option existed: those ran the legacy one.
        #[serde(default)]
        momentum_schedule: NadamSchedule,
    },
    /// Burn's Adam with Keras's ε = 1e-7 (Burn scales ε by √(1 − β₂ᵗ) as PyTorch does).
    Adam,
    Sgd {
        momentum: f64,
        nesterov: bool,
    },
}

impl OptimizerConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            OptimizerConfig::Sgd { momentum, .. } if !(0.0..1.0).contains(momentum) => Err(
                ConfigError(format!("SGD momentum must be in [0, 1), got {momentum}")),
            ),
            _ => Ok(()),
        }
    }

    pub fn init(&self) -> ModuleOptimizer {
        match *self {
            OptimizerConfig::Nadam { momentum_schedule } => momentum_schedule.nadam().init(),
            OptimizerConfig::Adam => AdamConfig::new().with_epsilon(1e-7).init(),
            OptimizerConfig::Sgd { momentum, nesterov } => Sgd { momentum, nesterov }.init(),
        }
    }

    pub fn name(&self) -> String {
        match self {
            OptimizerConfig::Nadam {
                momentum_schedule: NadamSchedule::Legacy,
            } => "nadam".into(),
            OptimizerConfig::Nadam {
                momentum_schedule: NadamSchedule::Keras3,
            } => "nadam(keras3 momentum schedule)".into(),
            OptimizerConfig::Adam => "adam".into(),
            OptimizerConfig::Sgd {
                momentum,
                nesterov: false,
            } => format!("sgd(momentum={momentum})"),
            OptimizerConfig::Sgd {
                momentum,
                nesterov: true,
            } => {
                format!("sgd(momentum={momentum}, nesterov)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nadam_configs_without_a_schedule_still_parse_as_the_legacy_one() {
        let old: OptimizerConfig = serde_json::from_str(r#"{"kind":"nadam"}"#).unwrap();
        let keras3: OptimizerConfig =
            serde_json::from_str(r#"{"kind":"nadam","momentum_schedule":"keras3"}"#).unwrap();
        assert_eq!(
            (old, keras3),
            (
                OptimizerConfig::Nadam {
                    momentum_schedule: NadamSchedule::Legacy
                },
                OptimizerConfig::Nadam {
                    momentum_schedule: NadamSchedule::Keras3
                }
            )
        );
    }
}
