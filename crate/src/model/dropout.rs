use burn::module::Module;
use burn::tensor::{Distribution, Tensor};
use serde::{Deserialize, Serialize};

use super::activation::{SELU_ALPHA, SELU_LAMBDA};
use super::mode::Mode;

/// Which dropout, and at which rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropoutKind {
    /// Inverted dropout (Srivastava et al. 2014): kept units scaled by 1 / (1 − rate).
    Standard,
    /// Alpha dropout (Klambauer et al. 2017), which keeps a SELU net self-normalizing.
    Alpha,
}

/// Alpha dropout's constants for dropout rate `rate`: dropped units are set to SELU's negative
/// saturation α′ = −λα instead of 0, then the affine map a·x + b restores zero mean and unit
/// variance (Klambauer et al. 2017, §"New Dropout Technique"; the same constants as Keras's
/// `AlphaDropout`). Returns `(α′, a, b)`; the fused kernels use the same ones.
pub fn alpha_dropout_constants(rate: f64) -> (f64, f64, f64) {
    let alpha_p = -SELU_LAMBDA * SELU_ALPHA;
    let a = ((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p)).powf(-0.5);
    (alpha_p, a, -a * alpha_p * rate)
}

/// Dropout with an explicit [`Mode`]: active in `Train` and `Mc`, identity in `Eval`.
///
/// # Shapes
/// - input: `[..., features]`, output: same shape.
#[derive(Module, Debug)]
pub struct Dropout {
    #[module(skip)]
    pub kind: DropoutKind,
    pub rate: f64,
}

impl Dropout {
    pub fn new(kind: DropoutKind, rate: f64) -> Self {
        Self { kind, rate }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>, mode: Mode) -> Tensor<D> {
        if !mode.dropout_active() || self.rate == 0.0 {
            return x;
        }
        let keep = x.random_like(Distribution::Bernoulli(1.0 - self.rate));
        self.forward_with_keep(x, keep)
    }

    /// The training-mode map with a given mask (1 where a unit is kept, 0 where dropped): the
    /// fused step's tests use it with the masks of its counter-based generator.
    pub fn forward_with_keep<const D: usize>(&self, x: Tensor<D>, keep: Tensor<D>) -> Tensor<D> {
        match self.kind {
            DropoutKind::Standard => x.mul(keep).div_scalar(1.0 - self.rate),
            DropoutKind::Alpha => self.alpha(x, keep),
        }
    }

    /// Alpha dropout with the constants of [`alpha_dropout_constants`].
    fn alpha<const D: usize>(&self, x: Tensor<D>, keep: Tensor<D>) -> Tensor<D> {
        let (alpha_p, a, b) = alpha_dropout_constants(self.rate);
        let dropped = keep.clone().neg().add_scalar(1.0).mul_scalar(alpha_p);
        x.mul(keep).add(dropped).mul_scalar(a).add_scalar(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::activation::Activation;
    use burn::tensor::Device;

    fn moments(t: Tensor<2>) -> (f32, f32) {
        let mean = t.clone().mean().into_scalar::<f32>();
        let var = t.sub_scalar(mean).square().mean().into_scalar::<f32>();
        (mean, var)
    }

    /// SELU activations of standard normal pre-activations have mean 0 and variance 1.
    fn selu_activations(device: &Device) -> Tensor<2> {
        device.seed(11);
        let z = Tensor::<2>::random([1000, 200], Distribution::Normal(0.0, 1.0), device);
        Activation::Selu.forward(z)
    }

    #[test]
    fn alpha_dropout_keeps_mean_and_variance_in_train_mode() {
        let device = Device::flex();
        let x = selu_activations(&device);
        let (m0, v0) = moments(x.clone());
        for rate in [0.1, 0.5] {
            let (m, v) =
                moments(Dropout::new(DropoutKind::Alpha, rate).forward(x.clone(), Mode::Train));
            assert!((m - m0).abs() < 0.02, "rate {rate}: mean {m} vs {m0}");
            assert!((v - v0).abs() < 0.04, "rate {rate}: var {v} vs {v0}");
        }
    }

    #[test]
    fn eval_is_identity_and_mc_is_stochastic() {
        let device = Device::flex();
        let x = selu_activations(&device);
        let alpha_p = -SELU_LAMBDA * SELU_ALPHA;
        let a = (0.7 * (1.0 + 0.3 * alpha_p * alpha_p)).powf(-0.5);
        // What a dropped unit becomes: 0, or the affine image of α′.
        for (kind, dropped) in [
            (DropoutKind::Standard, 0.0),
            (DropoutKind::Alpha, a * alpha_p - a * alpha_p * 0.3),
        ] {
            let layer = Dropout::new(kind, 0.3);
            let same = layer.forward(x.clone(), Mode::Eval);
            assert_eq!(same.into_data(), x.clone().into_data());
            let a = layer.forward(x.clone(), Mode::Mc);
            let b = layer.forward(x.clone(), Mode::Mc);
            let hits = a
                .clone()
                .sub_scalar(dropped)
                .abs()
                .lower_elem(1e-6)
                .float()
                .mean();
            let fraction = hits.into_scalar::<f32>();
            assert!(
                (fraction - 0.3).abs() < 0.02,
                "{kind:?}: {fraction} of units dropped"
            );
            assert!(
                a.not_equal(b).any().into_scalar::<bool>(),
                "two MC passes agree"
            );
        }
    }

    #[test]
    fn standard_dropout_keeps_the_mean() {
        let device = Device::flex();
        let x = Tensor::<2>::ones([500, 200], &device);
        let (m, _) = moments(Dropout::new(DropoutKind::Standard, 0.5).forward(x, Mode::Train));
        assert!((m - 1.0).abs() < 0.02, "{m}");
    }
}
