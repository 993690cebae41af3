use serde::{Deserialize, Serialize};

use super::activation::Activation;
use super::dropout::DropoutKind;
use super::init::KernelInit;
use crate::error::ConfigError;

/// Weights, gradients and two optimizer moments of this many f32 parameters already fill the
/// 4 GB a wasm32 instance can address.
pub const MAX_PARAMETERS: usize = 250_000_000;

/// Where dropout layers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropoutPlacement {
    /// One layer between the last hidden layer and the output, as in the exercise's solution.
    BeforeOutput,
    /// After every hidden layer's activation.
    EveryHidden,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DropoutConfig {
    pub kind: DropoutKind,
    /// Fraction of units dropped, in [0, 1).
    pub rate: f64,
    pub placement: DropoutPlacement,
}

/// The exercise's dense net: `Flatten` [→ BN] → `depth` × `Dense(width)` [→ BN] → activation
/// [→ dropout] → `Dense(classes)`; the softmax lives in the loss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Flattened input size: 32·32·3 for CIFAR-10, from the dataset manifest.
    pub input_dim: usize,
    pub classes: usize,
    /// Number of hidden Dense layers.
    pub depth: usize,
    /// Units per hidden layer.
    pub width: usize,
    pub activation: Activation,
    /// Hidden kernels.
    pub kernel_init: KernelInit,
    /// The output kernel; none: the one that goes with `kernel_init`
    /// ([`KernelInit::output_default`]), which is what the page's form and the CLI's `--init` give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_init: Option<KernelInit>,
    /// Every bias starts at this value; Keras's default is 0 (Burn's `Linear` draws them).
    pub bias_init: f32,
    /// Batch norm after each hidden Dense, before the activation (Keras defaults).
    pub batch_norm: bool,
    /// Batch norm of the flattened inputs, as the solution notebook's (c) has right after
    /// `Flatten`. Absent from configs saved before it existed: off.
    #[serde(default)]
    pub input_batch_norm: bool,
    pub dropout: Option<DropoutConfig>,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            input_dim: 32 * 32 * 3,
            classes: 10,
            depth: 20,
            width: 100,
            activation: Activation::Elu,
            kernel_init: KernelInit::HeNormal,
            output_init: None,
            bias_init: 0.0,
            batch_norm: false,
            input_batch_norm: false,
            dropout: None,
        }
    }
}

impl ModelConfig {
    /// The output kernel's init: the one set, else the one that goes with the hidden kernels'.
    pub fn output_kernel_init(&self) -> KernelInit {
        self.output_init
            .unwrap_or_else(|| self.kernel_init.output_default())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("depth", self.depth),
            ("width", self.width),
            ("input size", self.input_dim),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError(format!("{name} must be at least 1")));
        }
        if self
            .parameter_count_checked()
            .is_none_or(|n| n > MAX_PARAMETERS)
        {
            return Err(ConfigError(format!(
                "{} hidden layers of {} units are too large: more than {} million parameters do \
                 not fit in memory with their gradients and optimizer state",
                self.depth,
                self.width,
                MAX_PARAMETERS / 1_000_000
            )));
        }
        if self.classes < 2 {
            return Err(ConfigError("a classifier needs at least 2 classes".into()));
        }
        if !self.bias_init.is_finite() {
            return Err(ConfigError("bias init must be a finite number".into()));
        }
        if let Some(d) = &self.dropout
            && !(0.0..1.0).contains(&d.rate)
        {
            return Err(ConfigError(format!(
                "dropout rate must be in [0, 1), got {}",
                d.rate
            )));
        }
        Ok(())
    }

    /// Number of trainable parameters (kernels, biases, and batch norm's γ and β).
    pub fn parameter_count(&self) -> usize {
        self.parameter_count_checked().unwrap_or(usize::MAX)
    }

    fn parameter_count_checked(&self) -> Option<usize> {
        let hidden_in = self
            .input_dim
            .checked_add(self.depth.checked_sub(1)?.checked_mul(self.width)?)?;
        let bn = if self.batch_norm {
            2 * self.width.checked_mul(self.depth)?
        } else {
            0
        };
        let input_bn = if self.input_batch_norm {
            2 * self.input_dim
        } else {
            0
        };
        hidden_in
            .checked_mul(self.width)?
            .checked_add(input_bn)?
            .checked_add(self.depth.checked_mul(self.width)?)?
            .checked_add(bn)?
            .checked_add(self.width.checked_add(1)?.checked_mul(self.classes)?)
    }
}
