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
    /// x·σ(x) (Ramachandran et al. 2017; Keras's "swish", PyTorch's SiLU): the 3rd edition's
    /// activation for the exercise.
    Swish,
}

impl Activation {
    pub const ALL: [Activation; 7] = [
        Activation::Elu,
        Activation::Selu,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Swish,
    ];

    pub fn forward<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Elu => scaled_elu(x, 1.0, 1.0),
            Activation::Selu => scaled_elu(x, SELU_ALPHA, SELU_LAMBDA),
            Activation::Relu => activation::relu(x),
            Activation::LeakyRelu => activation::leaky_relu(x, LEAKY_RELU_SLOPE),
            Activation::Tanh => activation::tanh(x.clamp(-TANH_LIMIT, TANH_LIMIT)),
            Activation::Sigmoid => activation::sigmoid(x),
            Activation::Swish => x.clone() * activation::sigmoid(x),
        }
    }

    /// Where the unit sits in a flat region of the function, judged on the pre-activation:
    /// ELU/SELU past 95 % of their negative limit (z < −3), tanh beyond ±0.96 (|z| > 2),
    /// sigmoid outside [0.047, 0.953] (|z| > 3), Swish where it has flattened to 0 (z < −5: its
    /// slope is above −0.03 there). ReLUs do not saturate; they die instead.
    pub fn saturated<const D: usize>(self, pre: Tensor<D>) -> Option<Tensor<D, Bool>> {
        match self {
            Activation::Elu | Activation::Selu => Some(pre.lower_elem(-3.0)),
            Activation::Tanh => Some(pre.abs().greater_elem(2.0)),
            Activation::Sigmoid => Some(pre.abs().greater_elem(3.0)),
            Activation::Swish => Some(pre.lower_elem(-5.0)),
            Activation::Relu | Activation::LeakyRelu => None,
        }
    }

    /// The function and its derivative at `x`, in f64 from their formulas: the reference that
    /// the tensor version is checked against. At 0 the derivative is the left one, as PyTorch's.
    pub fn at(self, x: f64) -> (f64, f64) {
        let (alpha, lambda, slope) = (SELU_ALPHA, SELU_LAMBDA, LEAKY_RELU_SLOPE);
        match self {
            Activation::Elu if x > 0.0 => (x, 1.0),
            Activation::Elu => (x.exp_m1(), x.exp()),
            Activation::Selu if x > 0.0 => (lambda * x, lambda),
            Activation::Selu => (lambda * alpha * x.exp_m1(), lambda * alpha * x.exp()),
            Activation::Relu if x > 0.0 => (x, 1.0),
            Activation::Relu => (0.0, 0.0),
            Activation::LeakyRelu if x > 0.0 => (x, 1.0),
            Activation::LeakyRelu => (slope * x, slope),
            Activation::Tanh => (x.tanh(), 1.0 - x.tanh().powi(2)),
            Activation::Sigmoid => {
                let s = logistic(x);
                (s, s * (1.0 - s))
            }
            // (x·σ)' = σ + x·σ(1 − σ)
            Activation::Swish => {
                let s = logistic(x);
                (x * s, s * (1.0 + x * (1.0 - s)))
            }
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
            Activation::Swish => "swish",
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

/// σ(x) without overflow for either sign.
fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        x.exp() / (1.0 + x.exp())
    }
}

/// tanh's input is kept within ±20, where tanh is already ±1 in f32 (and its derivative 0):
/// WebGPU's `tanh` may be computed from exponentials, and SwiftShader's returns NaN past
/// |x| ≈ 88, forward and backward.
const TANH_LIMIT: f64 = 20.0;

/// exp's input never goes below this: e⁻⁸⁰ ≈ 1.8e-35 is still a normal f32, and ELU's negative
/// branch there is −α to f32 precision, so no backend evaluates exp outside f32's range.
const EXP_FLOOR: f64 = -80.0;

/// λ·ELU_α(x) (Clevert et al. 2016; SELU is λ = 1.0507, α = 1.6733): λx for x > 0 and
/// λα·(eˣ − 1) below, as one sum with no branch: λ·relu(x) + λα·(exp(clamp(x, −80, 0)) − 1).
/// Burn's `elu` and `selu` take exp of every input and select a branch after; past x ≈ 88 exp
/// is +∞, and the select's backward sends the unselected branch a zero gradient that exp's
/// backward multiplies by that +∞: 0·∞ = NaN. Here every term's gradient is finite for every
/// finite x, on every backend; for |x| < 80 both passes give Burn's values bit for bit (the
/// same operations in the same order, plus exact zeros).
fn scaled_elu<const D: usize>(x: Tensor<D>, alpha: f64, lambda: f64) -> Tensor<D> {
    let negative = x
        .clone()
        .clamp(EXP_FLOOR, 0.0)
        .exp()
        .sub_scalar(1.0)
        .mul_scalar(alpha * lambda);
    activation::relu(x).mul_scalar(lambda) + negative
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;
    use crate::model::activation_check::{INPUTS, check_every_activation, cycled};
    use burn::tensor::{Device, Distribution};

    /// Each size on its own tensor, every input in every position: fewer elements than a SIMD
    /// register holds (1, 7), exactly one register (8), several (64), and a batch's worth.
    #[test]
    fn every_activation_and_its_derivative_match_the_formula_from_minus_to_plus_1e4() {
        let tensors: Vec<Vec<f32>> = [1, 7, 8, 64, 100_000]
            .into_iter()
            .flat_map(|n| (0..INPUTS.len()).map(move |shift| cycled(n, shift)))
            .collect();
        pollster::block_on(check_every_activation(&tensors, &Device::flex())).unwrap();
    }

    /// Where Burn's own versions are finite (|x| < 88) ours must give the same numbers, so that
    /// runs made with Burn's stand: equal bits, forward and backward, on a batch of ±50.
    #[test]
    fn elu_and_selu_equal_burns_bit_for_bit_where_burns_are_finite() {
        let device = Device::flex().autodiff();
        device.seed(7);
        let x = Tensor::<2>::random([256, 100], Distribution::Uniform(-50.0, 50.0), &device);
        let burn: [fn(Tensor<2>) -> Tensor<2>; 2] = [|x| activation::elu(x, 1.0), activation::selu];
        for (ours, theirs) in [Activation::Elu, Activation::Selu].into_iter().zip(burn) {
            let run = |f: &dyn Fn(Tensor<2>) -> Tensor<2>| {
                let x = x.clone().require_grad();
                let y = f(x.clone());
                let grads = y.clone().square().sum().backward();
                (y.inner().into_data(), x.grad(&grads).unwrap().into_data())
            };
            let (y, g) = run(&|x| ours.forward(x));
            let (want_y, want_g) = run(&theirs);
            assert_eq!(y, want_y, "{ours:?} forward");
            assert_eq!(g, want_g, "{ours:?} gradient");
        }
    }
}
