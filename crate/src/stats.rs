//! Per-layer statistics on a fixed probe batch: everything is reduced on the
//! device into one `[layers × STATS]` vector, so a browser reads it back in one async transfer.

use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::model::{DenseNet, LayerTrace, Mode};
use crate::readback::read_floats;
use crate::train::loss::cross_entropy;

const STATS: usize = 8;

/// One probe: each field holds one value per hidden layer, input side first (columnar, as the
/// plots want it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerStats {
    /// Mean and std (over units and samples) of the activation function's input.
    pub pre_mean: Vec<f32>,
    pub pre_std: Vec<f32>,
    /// Mean and std of the activation function's output.
    pub act_mean: Vec<f32>,
    pub act_std: Vec<f32>,
    /// Fraction of unit×sample activations in a flat region of the function
    /// ([`crate::model::Activation::saturated`]); 0 for ReLUs.
    pub saturated: Vec<f32>,
    /// Fraction of units whose pre-activation is ≤ 0 for every probe sample: a dead ReLU.
    pub dead: Vec<f32>,
    /// L2 norm of the gradient of the loss w.r.t. the layer's kernel, on the probe batch.
    pub grad_norm: Vec<f32>,
    /// Std across the layer's units of their activations, averaged over samples: 0 when all
    /// units compute the same function (the symmetry lesson).
    pub unit_spread: Vec<f32>,
}

impl LayerStats {
    pub fn layers(&self) -> usize {
        self.pre_mean.len()
    }

    fn from_flat(values: &[f32]) -> Self {
        let column = |k: usize| values.chunks_exact(STATS).map(|row| row[k]).collect();
        Self {
            pre_mean: column(0),
            pre_std: column(1),
            act_mean: column(2),
            act_std: column(3),
            saturated: column(4),
            dead: column(5),
            grad_norm: column(6),
            unit_spread: column(7),
        }
    }
}

/// Computes the statistics of `model` (on an autodiff device) for the probe batch, in `Eval`
/// mode so that probing neither draws dropout masks nor moves batch norm's running averages.
pub async fn probe(
    model: &DenseNet,
    x: Tensor<2>,
    y: Tensor<1, Int>,
) -> Result<LayerStats, TrainError> {
    let (logits, traces) = model.forward_traced(x, Mode::Eval);
    let grads = cross_entropy(logits, y).backward();
    let rows: Vec<Tensor<1>> = traces
        .into_iter()
        .zip(&model.hidden)
        .flat_map(|(trace, layer)| {
            let grad_norm = match layer.linear.weight.val().grad(&grads) {
                Some(g) => g.square().sum().sqrt(),
                None => Tensor::zeros([1], &trace.pre.device().inner()),
            };
            let mut row = trace_stats(&trace, layer.activation);
            row.push(grad_norm);
            row.push(unit_spread(trace.act.clone().inner()));
            row
        })
        .collect();
    let values = read_floats(Tensor::cat(rows, 0)).await?;
    Ok(LayerStats::from_flat(&values))
}

fn trace_stats(trace: &LayerTrace, activation: crate::model::Activation) -> Vec<Tensor<1>> {
    let pre = trace.pre.clone().inner();
    let act = trace.act.clone().inner();
    let (pre_mean, pre_std) = mean_std(pre.clone());
    let (act_mean, act_std) = mean_std(act);
    let saturated = match activation.saturated(pre.clone()) {
        Some(mask) => mask.float().mean(),
        None => Tensor::zeros([1], &pre.device()),
    };
    let alive = pre.greater_elem(0.0).float().max_dim(0);
    let dead = alive.neg().add_scalar(1.0).mean();
    vec![pre_mean, pre_std, act_mean, act_std, saturated, dead]
}

fn mean_std(t: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
    let mean = t.clone().mean();
    let std = (t - mean.clone().unsqueeze()).square().mean().sqrt();
    (mean, std)
}

fn unit_spread(act: Tensor<2>) -> Tensor<1> {
    let centered = act.clone() - act.mean_dim(1);
    centered.square().mean_dim(1).sqrt().mean()
}

/// Native only: the tests block on futures with `pollster`.
#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use burn::tensor::{Device, Distribution, Int, Tensor};

    use super::*;
    use crate::model::{Activation, ModelConfig};

    /// A row-major matrix in f64, for the hand-written forward and backward pass below.
    struct Mat {
        rows: usize,
        cols: usize,
        v: Vec<f64>,
    }

    impl Mat {
        fn read(t: Tensor<2>) -> Mat {
            let [rows, cols] = t.dims();
            let v = pollster::block_on(read_floats(t)).unwrap();
            Mat {
                rows,
                cols,
                v: v.into_iter().map(f64::from).collect(),
            }
        }

        fn at(&self, r: usize, c: usize) -> f64 {
            self.v[r * self.cols + c]
        }

        /// `self · other`, or `selfᵀ · other` / `self · otherᵀ` with the flags.
        fn mul(&self, other: &Mat, ta: bool, tb: bool) -> Mat {
            let (n, k) = if ta {
                (self.cols, self.rows)
            } else {
                (self.rows, self.cols)
            };
            let m = if tb { other.rows } else { other.cols };
            let a = |i, j| if ta { self.at(j, i) } else { self.at(i, j) };
            let b = |i, j| if tb { other.at(j, i) } else { other.at(i, j) };
            let v = (0..n * m)
                .map(|ij| (0..k).map(|l| a(ij / m, l) * b(l, ij % m)).sum())
                .collect();
            Mat {
                rows: n,
                cols: m,
                v,
            }
        }

        fn map(&self, f: impl Fn(f64) -> f64) -> Mat {
            Mat {
                rows: self.rows,
                cols: self.cols,
                v: self.v.iter().map(|&x| f(x)).collect(),
            }
        }

        fn zip(&self, other: &Mat, f: impl Fn(f64, f64) -> f64) -> Mat {
            let v = self
                .v
                .iter()
                .zip(&other.v)
                .map(|(&a, &b)| f(a, b))
                .collect();
            Mat {
                rows: self.rows,
                cols: self.cols,
                v,
            }
        }
    }

    fn mean_std(v: &[f64]) -> (f64, f64) {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        (mean, var.sqrt())
    }

    fn close(what: &str, got: f32, want: f64) {
        let tolerance = 1e-4 * want.abs().max(1.0);
        assert!(
            (got as f64 - want).abs() < tolerance,
            "{what}: {got} vs {want}"
        );
    }

    /// What the hand-written forward pass keeps: each hidden layer's pre-activations,
    /// activations and kernel, and the logits.
    struct Forward {
        pres: Vec<Mat>,
        acts: Vec<Mat>,
        kernels: Vec<Mat>,
        output: Mat,
        logits: Mat,
    }

    fn read_layer(l: &burn::nn::Linear) -> (Mat, Mat) {
        let bias = l.bias.as_ref().unwrap().val().inner().unsqueeze();
        (Mat::read(l.weight.val().inner()), Mat::read(bias))
    }

    fn dense(x: &Mat, (w, b): &(Mat, Mat)) -> Mat {
        let m = x.mul(w, false, false);
        let v =
            m.v.iter()
                .enumerate()
                .map(|(i, x)| x + b.v[i % m.cols])
                .collect();
        Mat { v, ..m }
    }

    fn forward(net: &DenseNet, input: &Mat) -> Forward {
        let (mut pres, mut acts, mut kernels) = (Vec::new(), Vec::new(), Vec::new());
        let mut h = input.map(|v| v);
        for layer in &net.hidden {
            let weights = read_layer(&layer.linear);
            let pre = dense(&h, &weights);
            h = pre.map(f64::tanh);
            acts.push(h.map(|v| v));
            pres.push(pre);
            kernels.push(weights.0);
        }
        let output = read_layer(&net.output);
        let logits = dense(&h, &output);
        Forward {
            pres,
            acts,
            kernels,
            output: output.0,
            logits,
        }
    }

    /// ‖∂L/∂W‖ of each hidden kernel for the mean cross-entropy, by the chain rule.
    fn kernel_grad_norms(f: &Forward, input: &Mat, labels: &[i64]) -> Vec<f64> {
        let (batch, classes) = (f.logits.rows as f64, f.logits.cols);
        // ∂L/∂logits = (softmax − one-hot) / batch.
        let mut d = f.logits.map(|v| v);
        for (r, &label) in labels.iter().enumerate() {
            let row = &f.logits.v[r * classes..(r + 1) * classes];
            let max = row.iter().cloned().fold(f64::MIN, f64::max);
            let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
            for (c, &logit) in row.iter().enumerate() {
                let p = (logit - max).exp() / sum;
                d.v[r * classes + c] = (p - f64::from(c as i64 == label)) / batch;
            }
        }
        let mut norms = vec![0.0; f.acts.len()];
        let mut next = &f.output;
        for l in (0..f.acts.len()).rev() {
            let d_pre = d
                .mul(next, false, true)
                .zip(&f.acts[l], |g, a| g * (1.0 - a * a));
            let below = if l == 0 { input } else { &f.acts[l - 1] };
            let d_w = below.mul(&d_pre, true, false);
            norms[l] = d_w.v.iter().map(|g| g * g).sum::<f64>().sqrt();
            d = d_pre;
            next = &f.kernels[l];
        }
        norms
    }

    /// The statistics of a 2 × 6 tanh net on 16 samples, against a direct computation in f64:
    /// forward, cross-entropy, backward by hand, then each statistic from its definition.
    #[test]
    fn statistics_equal_a_direct_computation() {
        let device = Device::flex().autodiff();
        device.seed(5);
        let config = ModelConfig {
            input_dim: 5,
            depth: 2,
            width: 6,
            classes: 3,
            activation: Activation::Tanh,
            ..ModelConfig::default()
        };
        let net = DenseNet::new(&config, 7, &device).unwrap();
        let x = Tensor::<2>::random([16, 5], Distribution::Normal(0.0, 2.0), &device);
        let labels: Vec<i64> = (0..16).map(|i| i % 3).collect();
        let y = Tensor::<1, Int>::from_ints(labels.as_slice(), &device);
        let stats = pollster::block_on(probe(&net, x.clone(), y)).unwrap();
        let input = Mat::read(x.inner());
        let f = forward(&net, &input);
        let grad_norms = kernel_grad_norms(&f, &input, &labels);
        for (l, &grad_norm) in grad_norms.iter().enumerate() {
            let (pre, act) = (&f.pres[l], &f.acts[l]);
            let (pm, ps) = mean_std(&pre.v);
            let (am, as_) = mean_std(&act.v);
            close("pre_mean", stats.pre_mean[l], pm);
            close("pre_std", stats.pre_std[l], ps);
            close("act_mean", stats.act_mean[l], am);
            close("act_std", stats.act_std[l], as_);
            let saturated =
                pre.v.iter().filter(|v| v.abs() > 2.0).count() as f64 / pre.v.len() as f64;
            close("saturated", stats.saturated[l], saturated);
            let dead = (0..6)
                .filter(|&u| (0..16).all(|r| pre.at(r, u) <= 0.0))
                .count() as f64
                / 6.0;
            close("dead", stats.dead[l], dead);
            close("grad_norm", stats.grad_norm[l], grad_norm);
            let spread = (0..16)
                .map(|r| mean_std(&act.v[r * 6..r * 6 + 6]).1)
                .sum::<f64>()
                / 16.0;
            close("unit_spread", stats.unit_spread[l], spread);
        }
        assert!(
            stats.saturated.iter().any(|&s| s > 0.0),
            "the inputs are large enough to saturate some units"
        );
    }
}
