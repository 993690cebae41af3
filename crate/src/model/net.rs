use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

use super::activation::Activation;
use super::config::{DropoutPlacement, ModelConfig};
use super::dropout::Dropout;
use super::init::KernelInit;
use super::mode::Mode;
use super::norm::BatchNorm;
use crate::error::ConfigError;
use crate::rng::Rng;

/// One hidden layer: Dense → [BatchNorm] → activation → [dropout].
#[derive(Module, Debug)]
pub struct DenseLayer {
    pub linear: Linear,
    pub norm: Option<BatchNorm>,
    pub dropout: Option<Dropout>,
    #[module(skip)]
    pub activation: Activation,
}

/// What a hidden layer computed, kept for the per-layer statistics.
pub struct LayerTrace {
    /// The activation function's input (after batch norm when there is one).
    pub pre: Tensor<2>,
    /// The activation function's output (before dropout).
    pub act: Tensor<2>,
}

/// The chapter-11 dense classifier; see [`ModelConfig`].
///
/// # Shapes
/// - input: `[batch, input_dim]` (images flattened), output: logits `[batch, classes]`.
#[derive(Module, Debug)]
pub struct DenseNet {
    /// Batch norm of the inputs, when configured: first, so weight files keep the forward order.
    pub input_norm: Option<BatchNorm>,
    pub hidden: Vec<DenseLayer>,
    pub head_dropout: Option<Dropout>,
    pub output: Linear,
}

impl DenseNet {
    /// Builds the net with weights drawn from `seed` (identical on every backend).
    pub fn new(config: &ModelConfig, seed: u64, device: &Device) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut rng = Rng::fork(seed, 1);
        let dropout = |placement| {
            config
                .dropout
                .filter(|d| d.placement == placement && d.rate > 0.0)
                .map(|d| Dropout::new(d.kind, d.rate))
        };
        let hidden = (0..config.depth)
            .map(|i| {
                let fan_in = if i == 0 {
                    config.input_dim
                } else {
                    config.width
                };
                DenseLayer {
                    linear: dense(
                        fan_in,
                        config.width,
                        config.kernel_init,
                        config,
                        &mut rng,
                        device,
                    ),
                    norm: config
                        .batch_norm
                        .then(|| BatchNorm::new(config.width, device)),
                    dropout: dropout(DropoutPlacement::EveryHidden),
                    activation: config.activation,
                }
            })
            .collect();
        let output = dense(
            config.width,
            config.classes,
            config.output_kernel_init(),
            config,
            &mut rng,
            device,
        );
        Ok(Self {
            input_norm: config
                .input_batch_norm
                .then(|| BatchNorm::new(config.input_dim, device)),
            hidden,
            head_dropout: dropout(DropoutPlacement::BeforeOutput),
            output,
        })
    }

    /// A copy that later training of `self` leaves untouched (see [`BatchNorm::snapshot`]).
    pub fn snapshot(&self) -> Self {
        let mut copy = self.clone();
        copy.input_norm = copy.input_norm.as_ref().map(BatchNorm::snapshot);
        for layer in &mut copy.hidden {
            layer.norm = layer.norm.as_ref().map(BatchNorm::snapshot);
        }
        copy
    }

    pub fn forward(&self, x: Tensor<2>, mode: Mode) -> Tensor<2> {
        self.run(x, mode, None)
    }

    /// The forward pass, also returning each hidden layer's pre-activations and activations.
    pub fn forward_traced(&self, x: Tensor<2>, mode: Mode) -> (Tensor<2>, Vec<LayerTrace>) {
        let mut traces = Vec::with_capacity(self.hidden.len());
        let logits = self.run(x, mode, Some(&mut traces));
        (logits, traces)
    }

    fn run(
        &self,
        mut x: Tensor<2>,
        mode: Mode,
        mut traces: Option<&mut Vec<LayerTrace>>,
    ) -> Tensor<2> {
        if let Some(norm) = &self.input_norm {
            x = norm.forward(x, mode);
        }
        for layer in &self.hidden {
            let mut pre = layer.linear.forward(x);
            if let Some(norm) = &layer.norm {
                pre = norm.forward(pre, mode);
            }
            let act = layer.activation.forward(pre.clone());
            x = match &layer.dropout {
                Some(dropout) => dropout.forward(act.clone(), mode),
                None => act.clone(),
            };
            if let Some(traces) = traces.as_deref_mut() {
                traces.push(LayerTrace { pre, act });
            }
        }
        if let Some(dropout) = &self.head_dropout {
            x = dropout.forward(x, mode);
        }
        self.output.forward(x)
    }

    /// Every Dense kernel, hidden layers first, then the output layer.
    pub fn kernels(&self) -> impl Iterator<Item = &Param<Tensor<2>>> {
        self.hidden
            .iter()
            .map(|l| &l.linear.weight)
            .chain(std::iter::once(&self.output.weight))
    }

    /// The same kernels, in the same order, to change them in place.
    pub fn kernels_mut(&mut self) -> impl Iterator<Item = &mut Param<Tensor<2>>> {
        self.hidden
            .iter_mut()
            .map(|l| &mut l.linear.weight)
            .chain(std::iter::once(&mut self.output.weight))
    }

    /// Σ|w| over every kernel (not biases, as Keras's `kernel_regularizer`).
    pub fn l1_norm(&self) -> Tensor<1> {
        self.kernels()
            .map(|w| w.val().abs().sum())
            .reduce(|a, b| a + b)
            .expect("the net has at least one kernel")
    }
}

fn dense(
    fan_in: usize,
    fan_out: usize,
    init: KernelInit,
    config: &ModelConfig,
    rng: &mut Rng,
    device: &Device,
) -> Linear {
    let kernel = init.kernel(fan_in, fan_out, rng);
    let weight = Tensor::from_data(TensorData::new(kernel, [fan_in, fan_out]), device);
    let bias = Tensor::full([fan_out], config.bias_init, device);
    Linear {
        weight: Param::from_tensor(weight),
        bias: Some(Param::from_tensor(bias)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DropoutConfig, DropoutKind};
    use burn::tensor::Distribution;

    fn config(depth: usize, activation: Activation, kernel_init: KernelInit) -> ModelConfig {
        ModelConfig {
            input_dim: 100,
            depth,
            width: 100,
            activation,
            kernel_init,
            ..ModelConfig::default()
        }
    }

    /// Mean and std of each hidden layer's activations for standardized Gaussian inputs.
    fn layer_moments(config: &ModelConfig) -> Vec<(f32, f32)> {
        let device = Device::flex();
        device.seed(5);
        let net = DenseNet::new(config, 3, &device).unwrap();
        let x = Tensor::<2>::random(
            [1000, config.input_dim],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let (_, traces) = net.forward_traced(x, Mode::Eval);
        traces
            .into_iter()
            .map(|t| {
                let v = t.act.into_data().try_to_vec::<f32>().unwrap();
                let mean = v.iter().sum::<f32>() / v.len() as f32;
                let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / v.len() as f32;
                (mean, var.sqrt())
            })
            .collect()
    }

    fn normalized((mean, std): (f32, f32)) -> bool {
        mean.abs() <= 0.1 && (0.8..=1.2).contains(&std)
    }

    /// Klambauer et al. 2017: with LeCun-normal weights and standardized inputs, SELU keeps
    /// every layer near mean 0 and std 1 (Géron's notebook shows it over 1,000 layers).
    #[test]
    fn selu_lecun_self_normalizes_over_20_and_100_layers() {
        for depth in [20, 100] {
            let moments = layer_moments(&config(depth, Activation::Selu, KernelInit::LecunNormal));
            for (layer, &m) in moments.iter().enumerate() {
                assert!(
                    normalized(m),
                    "depth {depth}, layer {}: mean/std {m:?}",
                    layer + 1
                );
            }
        }
    }

    #[test]
    fn elu_he_drifts_away_from_zero_mean_unit_std() {
        let moments = layer_moments(&config(20, Activation::Elu, KernelInit::HeNormal));
        assert!(moments.iter().any(|&m| !normalized(m)), "{moments:?}");
    }

    #[test]
    fn biases_start_at_the_configured_value_and_shapes_match() {
        let device = Device::flex();
        let net = DenseNet::new(
            &ModelConfig {
                depth: 3,
                ..ModelConfig::default()
            },
            0,
            &device,
        )
        .unwrap();
        assert_eq!(net.hidden[0].linear.weight.val().dims(), [3072, 100]);
        assert_eq!(net.output.weight.val().dims(), [100, 10]);
        let bias = net.hidden[1].linear.bias.as_ref().unwrap().val();
        assert!(bias.abs().max().into_scalar::<f32>() == 0.0);
        let logits = net.forward(Tensor::zeros([4, 3072], &device), Mode::Eval);
        assert_eq!(logits.dims(), [4, 10]);
        let shifted = ModelConfig {
            depth: 3,
            bias_init: 0.01,
            ..ModelConfig::default()
        };
        let net = DenseNet::new(&shifted, 0, &device).unwrap();
        let bias = net
            .output
            .bias
            .as_ref()
            .unwrap()
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert!(bias.iter().all(|&b| b == 0.01));
    }

    #[test]
    fn input_batch_norm_standardizes_the_inputs_and_counts_its_parameters() {
        let device = Device::flex();
        let config = ModelConfig {
            depth: 2,
            width: 8,
            input_dim: 16,
            batch_norm: true,
            input_batch_norm: true,
            ..ModelConfig::default()
        };
        let net = DenseNet::new(&config, 0, &device).unwrap();
        // Burn also counts the running mean and variance of each norm (16 inputs, 2 × 8 units).
        let running = 2 * (16 + 2 * 8);
        assert_eq!(net.num_params(), config.parameter_count() + running);
        let without = ModelConfig {
            input_batch_norm: false,
            ..config.clone()
        };
        assert_eq!(config.parameter_count() - without.parameter_count(), 2 * 16);
        // Pixel-like inputs (mean 100, std 30) come out of the input norm near 0/1 in training mode.
        let x = Tensor::<2>::random([512, 16], Distribution::Normal(100.0, 30.0), &device);
        let normed = net.input_norm.as_ref().unwrap().forward(x, Mode::Train);
        let mean = normed.clone().mean().into_scalar::<f32>();
        let std = normed.var(0).mean().sqrt().into_scalar::<f32>();
        assert!(
            mean.abs() < 1e-3 && (std - 1.0).abs() < 0.01,
            "mean {mean}, std {std}"
        );
    }

    #[test]
    fn same_seed_same_weights() {
        let device = Device::flex();
        let a = DenseNet::new(&ModelConfig::default(), 9, &device).unwrap();
        let b = DenseNet::new(&ModelConfig::default(), 9, &device).unwrap();
        assert_eq!(
            a.hidden[7].linear.weight.val().into_data(),
            b.hidden[7].linear.weight.val().into_data()
        );
    }

    #[test]
    fn both_dropout_placements_are_built() {
        let device = Device::flex();
        let dropout = |placement| ModelConfig {
            depth: 4,
            dropout: Some(DropoutConfig {
                kind: DropoutKind::Alpha,
                rate: 0.5,
                placement,
            }),
            ..ModelConfig::default()
        };
        let every = DenseNet::new(&dropout(DropoutPlacement::EveryHidden), 0, &device).unwrap();
        assert!(every.hidden.iter().all(|l| l.dropout.is_some()) && every.head_dropout.is_none());
        let head = DenseNet::new(&dropout(DropoutPlacement::BeforeOutput), 0, &device).unwrap();
        assert!(head.hidden.iter().all(|l| l.dropout.is_none()) && head.head_dropout.is_some());
    }

    #[test]
    fn invalid_configs_are_errors_not_panics() {
        let device = Device::flex();
        let depth0 = ModelConfig {
            depth: 0,
            ..ModelConfig::default()
        };
        let err = DenseNet::new(&depth0, 0, &device).err().unwrap();
        assert_eq!(
            err.to_string(),
            "invalid configuration: depth must be at least 1"
        );
        let rate1 = ModelConfig {
            dropout: Some(DropoutConfig {
                kind: DropoutKind::Standard,
                rate: 1.0,
                placement: DropoutPlacement::EveryHidden,
            }),
            ..ModelConfig::default()
        };
        let err = DenseNet::new(&rate1, 0, &device).err().unwrap();
        assert!(
            err.to_string()
                .contains("dropout rate must be in [0, 1), got 1")
        );
        let huge = ModelConfig {
            width: 1_000_000,
            ..ModelConfig::default()
        };
        let err = DenseNet::new(&huge, 0, &device).err().unwrap();
        assert!(err.to_string().contains("too large"), "{err}");
        let err = crate::variants::variant("elu-lecun").unwrap_err();
        assert!(err.to_string().contains("unknown variant 'elu-lecun'"));
    }
}
