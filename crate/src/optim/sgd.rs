use burn::optim::{LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor};

use super::state::{put_tensor, take_tensor};

/// SGD with momentum in Keras's form: v ← μ·v − η·g, then w ← w + v (or, with Nesterov,
/// w ← w + μ·v − η·g). Burn's `Sgd` follows PyTorch (v ← μ·v + (1 − dampening)·g, w ← w − η·v,
/// with a default dampening of 0.1), which differs as soon as the learning rate changes during
/// training (1cycle) or dampening is left on.
#[derive(Clone, Debug, Default)]
pub struct Sgd {
    pub momentum: f64,
    pub nesterov: bool,
}

#[derive(Clone)]
pub struct SgdState<const D: usize> {
    pub velocity: Tensor<D>,
}

impl<const D: usize> RecordState for SgdState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        put_tensor(out, prefix, "velocity", &self.velocity);
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        Some(Self {
            velocity: take_tensor(src, prefix, "velocity", device)?,
        })
    }
}

impl Sgd {
    pub fn init(self) -> ModuleOptimizer {
        ModuleOptimizer::from(self)
    }
}

impl Optimizer for Sgd {
    type State<const D: usize> = SgdState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let step = grad.mul_scalar(-lr);
        if self.momentum == 0.0 {
            return (tensor + step, None);
        }
        let velocity = match state {
            Some(s) => s.velocity.mul_scalar(self.momentum) + step.clone(),
            None => step.clone(),
        };
        let update = if self.nesterov {
            velocity.clone().mul_scalar(self.momentum) + step
        } else {
            velocity.clone()
        };
        (tensor + update, Some(SgdState { velocity }))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        SgdState {
            velocity: state.velocity.to_device(device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::test_support::{
        SGD_MOMENTUM_REFERENCE, SGD_NESTEROV_REFERENCE, SGD_PLAIN_REFERENCE, assert_close,
        run_steps,
    };

    /// Reference: PyTorch's `torch.optim.SGD(lr=0.01, momentum=μ, nesterov=…)` (dampening 0),
    /// which equals Keras's form at a constant learning rate, on the test problem of
    /// `test_support` (grad = w² + c):
    /// ```python
    /// for momentum, nesterov in [(0.0, False), (0.9, False), (0.9, True)]:
    ///     w = torch.tensor([0.5, -1.0, 2.0, 0.0], requires_grad=True)
    ///     opt = torch.optim.SGD([w], lr=0.01, momentum=momentum, nesterov=nesterov)
    ///     ... five steps as for Nadam
    /// ```
    #[test]
    fn sgd_matches_pytorch() {
        let cases = [
            (0.0, false, &SGD_PLAIN_REFERENCE),
            (0.9, false, &SGD_MOMENTUM_REFERENCE),
            (0.9, true, &SGD_NESTEROV_REFERENCE),
        ];
        for (momentum, nesterov, reference) in cases {
            let got = run_steps(Sgd { momentum, nesterov }.init(), 0.01, 5);
            assert_close(&got, reference);
        }
    }

    /// With a changing learning rate Keras's velocity carries the *old* rates: after steps at
    /// η₁ then η₂ with gradient g each time, v = −μη₁g − η₂g (PyTorch would give −η₂(μg + g)).
    #[test]
    fn velocity_carries_past_learning_rates() {
        use burn::optim::Optimizer;
        let device = Device::flex();
        let sgd = Sgd {
            momentum: 0.5,
            nesterov: false,
        };
        let w = Tensor::<1>::zeros([1], &device);
        let g = Tensor::<1>::ones([1], &device);
        let (w, state) = sgd.step(1.0, w, g.clone(), None);
        let (w, _) = sgd.step(0.1, w, g, state);
        // w = −1 + (−0.5·1 − 0.1) = −1.6
        let w = w.into_scalar::<f32>();
        assert!((w + 1.6).abs() < 1e-6, "{w}");
    }
}
