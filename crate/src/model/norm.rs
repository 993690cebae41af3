use burn::module::{Module, Param, RunningState};
use burn::tensor::module::{batch_norm, batch_norm_train};
use burn::tensor::{Device, Tensor};

use super::mode::Mode;

/// Keras's `BatchNormalization` defaults. Keras's momentum 0.99 weighs the *old* average
/// (`moving = 0.99·moving + 0.01·batch`); Burn's momentum weighs the new batch, so this is
/// Burn's 0.01.
pub const KERAS_BN_MOMENTUM: f64 = 0.01;
pub const KERAS_BN_EPSILON: f64 = 1e-3;

/// Batch normalization over features (Ioffe & Szegedy 2015) with an explicit [`Mode`]:
/// batch statistics in `Train` (and the running averages updated), running averages otherwise.
/// Burn's own `BatchNorm` picks its path from the device's autodiff flag instead.
///
/// Like Keras, the batch variance is the biased one, both to normalize and for the average.
///
/// # Shapes
/// - input: `[batch, features]`, output: same shape.
#[derive(Module, Debug)]
pub struct BatchNorm {
    pub gamma: Param<Tensor<1>>,
    pub beta: Param<Tensor<1>>,
    pub running_mean: RunningState<Tensor<1>>,
    pub running_var: RunningState<Tensor<1>>,
    pub momentum: f64,
    pub epsilon: f64,
}

impl BatchNorm {
    pub fn new(features: usize, device: &Device) -> Self {
        Self {
            gamma: Param::from_tensor(Tensor::ones([features], device)),
            beta: Param::from_tensor(Tensor::zeros([features], device)),
            running_mean: RunningState::new(Tensor::zeros([features], device)),
            running_var: RunningState::new(Tensor::ones([features], device)),
            momentum: KERAS_BN_MOMENTUM,
            epsilon: KERAS_BN_EPSILON,
        }
    }

    /// A copy with its own running averages: clones of Burn's `RunningState` share one value,
    /// so a plain `clone()` would keep moving with the original.
    pub fn snapshot(&self) -> Self {
        Self {
            running_mean: RunningState::new(self.running_mean.value_sync()),
            running_var: RunningState::new(self.running_var.value_sync()),
            ..self.clone()
        }
    }

    pub fn forward(&self, x: Tensor<2>, mode: Mode) -> Tensor<2> {
        if mode != Mode::Train {
            let device = x.device();
            let mean = self.running_mean.value().to_device(&device);
            let var = self.running_var.value().to_device(&device);
            return batch_norm(
                x,
                self.gamma.val(),
                self.beta.val(),
                mean,
                var,
                self.epsilon,
            );
        }
        let out = batch_norm_train(x, self.gamma.val(), self.beta.val(), self.epsilon);
        let m = self.momentum;
        let mean = self.running_mean.value_sync().mul_scalar(1.0 - m) + out.mean.mul_scalar(m);
        let var = self.running_var.value_sync().mul_scalar(1.0 - m) + out.variance.mul_scalar(m);
        self.running_mean.update(mean.detach());
        self.running_var.update(var.detach());
        out.output
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn train_normalizes_and_updates_running_averages_like_keras() {
        let device = Device::flex();
        let bn = BatchNorm::new(1, &device);
        let x = Tensor::<2>::from_floats([[1.0], [3.0]], &device);
        let y = bn
            .forward(x, Mode::Train)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // (x − 2) / √(1 + 1e-3)
        let expected = 1.0 / (1.0f32 + 1e-3).sqrt();
        assert!((y[0] + expected).abs() < 1e-5 && (y[1] - expected).abs() < 1e-5);
        let mean = bn.running_mean.value_sync().into_data();
        let var = bn.running_var.value_sync().into_data();
        // Keras: 0.99·0 + 0.01·2 and 0.99·1 + 0.01·1 (biased batch variance).
        mean.assert_approx_eq::<f32>(&TensorData::from([0.02f32]), Default::default());
        var.assert_approx_eq::<f32>(&TensorData::from([1.0f32]), Default::default());
    }

    #[test]
    fn eval_and_mc_use_running_averages() {
        let device = Device::flex();
        let bn = BatchNorm::new(1, &device);
        let x = Tensor::<2>::from_floats([[1.0], [3.0]], &device);
        for mode in [Mode::Eval, Mode::Mc] {
            let y = bn
                .forward(x.clone(), mode)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            let scale = 1.0 / (1.0f32 + 1e-3).sqrt();
            assert!((y[0] - scale).abs() < 1e-5 && (y[1] - 3.0 * scale).abs() < 1e-5);
        }
        bn.running_mean
            .value_sync()
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from([0.0f32]), Default::default());
    }
}
