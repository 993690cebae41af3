//! Accuracy and loss on a split, plain or with MC Dropout.

use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::clock::now_seconds;
use crate::data::{Normalizer, Split};
use crate::error::TrainError;
use crate::model::{DenseNet, Mode};
use crate::readback::read_many;
use crate::train::batches::{batch, sequential};
use crate::train::loss::correct;

/// Records per evaluation batch: large for throughput, small enough for any GPU.
pub const EVAL_BATCH: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
    pub records: usize,
    /// Forward passes per record: 1, or the number of MC Dropout samples.
    pub passes: usize,
    pub seconds: f64,
}

/// Evaluates `model` (without autodiff) in `Eval` mode.
pub async fn evaluate(
    model: &DenseNet,
    split: &Split,
    normalizer: &Normalizer,
    device: &Device,
) -> Result<Evaluation, TrainError> {
    run(model, split, normalizer, device, 1).await
}

/// MC Dropout (Gal & Ghahramani 2016): the mean of the softmax outputs of `samples` forward
/// passes with dropout active, no retraining.
pub async fn evaluate_mc(
    model: &DenseNet,
    split: &Split,
    normalizer: &Normalizer,
    device: &Device,
    samples: usize,
) -> Result<Evaluation, TrainError> {
    run(model, split, normalizer, device, samples.max(1)).await
}

async fn run(
    model: &DenseNet,
    split: &Split,
    normalizer: &Normalizer,
    device: &Device,
    passes: usize,
) -> Result<Evaluation, TrainError> {
    let start = now_seconds();
    let mut loss_sum = Tensor::<1>::zeros([1], device);
    let mut correct_sum = Tensor::<1>::zeros([1], device);
    for indices in sequential(split.len(), EVAL_BATCH) {
        let (x, y) = batch(split, normalizer, &indices, device);
        let log_probs = if passes == 1 {
            log_softmax(model.forward(x, Mode::Eval), 1)
        } else {
            let probs = (0..passes)
                .map(|_| softmax(model.forward(x.clone(), Mode::Mc), 1))
                .reduce(|a, b| a + b)
                .expect("at least one pass")
                .div_scalar(passes as f64);
            probs.clamp_min(1e-12).log()
        };
        let n = indices.len();
        correct_sum = correct_sum + correct(log_probs.clone(), y.clone());
        loss_sum = loss_sum - log_probs.gather(1, y.reshape([n, 1])).sum();
    }
    let values = read_many(vec![loss_sum, correct_sum]).await?;
    let records = split.len().max(1) as f64;
    Ok(Evaluation {
        loss: values[0] as f64 / records,
        accuracy: values[1] as f64 / records,
        records: split.len(),
        passes,
        seconds: now_seconds() - start,
    })
}
