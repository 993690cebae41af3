//! Per-layer statistics on a fixed probe batch (DESIGN decision 7): everything is reduced on the
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
