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
            Activation::Selu => elu(x, SELU_ALPHA).mul_scalar(SELU_LAMBDA),
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

/// α·(eˣ − 1) for x ≤ 0, x above. Burn's `elu` and `selu` take `exp` of every input and mask
/// afterwards: past x ≈ 88 that is +∞, and the backward pass multiplies the masked-out zero
/// gradient by it, 0·∞ = NaN. A net fed large inputs (raw 0–255 pixels) then got NaN weights at
/// its first step. Clamping before `exp` keeps both passes finite.
fn elu<const D: usize>(x: Tensor<D>, alpha: f64) -> Tensor<D> {
    let negative = x
        .clone()
        .clamp_max(0.0)
        .exp()
        .sub_scalar(1.0)
        .mul_scalar(alpha);
    let mask = x.clone().lower_equal_elem(0.0);
    x.mask_where(mask, negative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn elu_and_selu_match_their_formulas_and_stay_finite_for_large_inputs() {
        let device = Device::flex().autodiff();
        let values = [-1000.0f32, -1.0, 0.5, 100.0, 1000.0];
        let x = Tensor::<1>::from_data(TensorData::from(values), &device).require_grad();
        let elu = Activation::Elu.forward(x.clone());
        let selu = Activation::Selu.forward(x.clone());
        let grads = (elu.clone() + selu.clone()).sum().backward();
        let grad: Vec<f32> = x.grad(&grads).unwrap().into_data().to_vec().unwrap();
        let (a, l) = (SELU_ALPHA as f32, SELU_LAMBDA as f32);
        let want_grad = [
            0.0,
            (1.0 + a * l) * (-1f32).exp(),
            1.0 + l,
            1.0 + l,
            1.0 + l,
        ];
        for (g, w) in grad.iter().zip(want_grad) {
            assert!(
                (g - w).abs() < 1e-5,
                "gradient {grad:?}, expected {want_grad:?}"
            );
        }
        let elu: Vec<f32> = elu.into_data().to_vec().unwrap();
        let want = [-1.0, (-1f32).exp() - 1.0, 0.5, 100.0, 1000.0];
        assert!(
            elu.iter().zip(want).all(|(e, w)| (e - w).abs() < 1e-5),
            "{elu:?}"
        );
        let selu: Vec<f32> = selu.into_data().to_vec().unwrap();
        assert!(
            (selu[0] + a * l).abs() < 1e-4 && (selu[4] - 1000.0 * l).abs() < 1e-2,
            "{selu:?}"
        );
    }
}
