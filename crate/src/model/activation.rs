use burn::tensor::{Bool, Tensor, activation};
use serde::{Deserialize, Serialize};

/// SELU's constants (Klambauer et al. 2017, eq. 14), as in Keras and PyTorch.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

/// Leaky ReLU's negative slope: 0.2, the value Géron uses in chapter 11 (Keras's default is 0.3).
pub const LEAKY_RELU_SLOPE: f64 = 0.2;

/// The hidden-layer activations the chapter compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    Elu,
    Selu,
    Relu,
    LeakyRelu,
    Tanh,
    Sigmoid,
}

impl Activation {
    pub const ALL: [Activation; 6] = [
        Activation::Elu,
        Activation::Selu,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Tanh,
        Activation::Sigmoid,
    ];

    pub fn forward<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Elu => activation::elu(x, 1.0),
            Activation::Selu => activation::selu(x),
            Activation::Relu => activation::relu(x),
            Activation::LeakyRelu => activation::leaky_relu(x, LEAKY_RELU_SLOPE),
            Activation::Tanh => activation::tanh(x),
            Activation::Sigmoid => activation::sigmoid(x),
        }
    }

    /// Where the unit sits in a flat region of the function, judged on the pre-activation:
    /// ELU/SELU past 95 % of their negative limit (z < −3), tanh beyond ±0.96 (|z| > 2),
    /// sigmoid outside [0.047, 0.953] (|z| > 3). ReLUs do not saturate; they die instead.
    pub fn saturated<const D: usize>(self, pre: Tensor<D>) -> Option<Tensor<D, Bool>> {
        match self {
            Activation::Elu | Activation::Selu => Some(pre.lower_elem(-3.0)),
            Activation::Tanh => Some(pre.abs().greater_elem(2.0)),
            Activation::Sigmoid => Some(pre.abs().greater_elem(3.0)),
            Activation::Relu | Activation::LeakyRelu => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Activation::Elu => "elu",
            Activation::Selu => "selu",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Activation::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "unknown activation '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}
