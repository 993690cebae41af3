//! MC Dropout on the fused kernels: per batch of a split, `samples` forward passes with
//! dropout on and batch norm on its running averages, their softmax outputs summed on the
//! device, and the batch's loss sum and number right computed there; one readback for the
//! whole split. The generic path's [`crate::eval::evaluate_mc`] computes the same on Burn's
//! tensors, with its masks from the device's random stream instead of [`super::masks`].

use burn::tensor::Device;

use super::{FusedStep, Plan};
use crate::clock::now_seconds;
use crate::data::batches::{host_batch, sequential};
use crate::data::{Normalizer, Split};
use crate::error::TrainError;
use crate::eval::{EVAL_BATCH, Evaluation};
use crate::model::{DenseNet, ModelConfig};

/// The mean of `samples` stochastic passes' softmax outputs over `split`, its loss and
/// accuracy; the masks are seeded with `seed`.
pub async fn evaluate_mc(
    model: &DenseNet,
    model_config: &ModelConfig,
    split: &Split,
    normalizer: &Normalizer,
    device: &Device,
    samples: usize,
    seed: u64,
) -> Result<Evaluation, TrainError> {
    let start = now_seconds();
    let batch = mc_batch(model_config, split.len());
    let mut step = FusedStep::for_mc_dropout(model, model_config, batch, seed, device).await?;
    let batches: Vec<Vec<u32>> = sequential(split.len(), batch).collect();
    step.reserve(batches.len());
    for indices in &batches {
        let (inputs, labels) = host_batch(split, normalizer, indices);
        step.mc_dropout(inputs, &labels, samples)?;
    }
    let (loss, right) = step
        .read_mc_dropout()
        .await?
        .into_iter()
        .fold((0.0f64, 0.0f64), |(l, r), (bl, br)| {
            (l + bl as f64, r + br as f64)
        });
    let records = split.len().max(1) as f64;
    Ok(Evaluation {
        loss: loss / records,
        accuracy: right / records,
        records: split.len(),
        passes: samples.max(1),
        seconds: now_seconds() - start,
    })
}

/// Records per batch of passes: the evaluation's batch, halved until the buffers' offsets fit
/// (a net the training step fits at its batch may not fit at 1,000 records).
fn mc_batch(model_config: &ModelConfig, records: usize) -> usize {
    let mut batch = EVAL_BATCH.min(records).max(1);
    while batch > 1 && !super::fits(&Plan::new(model_config, batch)) {
        batch /= 2;
    }
    batch
}
