//! Accuracy and loss on a split, plain or with MC Dropout.

use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::clock::now_seconds;
use crate::data::batches::{batch, sequential};
use crate::data::{Normalizer, Split};
use crate::error::TrainError;
use crate::model::loss::correct;
use crate::model::{DenseNet, Mode};
use crate::readback::read_many;

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
    run(model, split, normalizer, device).await
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
    evaluate_mc_reporting(model, split, normalizer, device, samples, &mut |_| {}).await
}

/// [`evaluate_mc`], calling `on_pass(done)` after each pass over the whole split: the passes
/// go one after the other, each over every batch (the softmax sums kept per batch), so that
/// a long MC Dropout can say how far it is.
pub async fn evaluate_mc_reporting(
    model: &DenseNet,
    split: &Split,
    normalizer: &Normalizer,
    device: &Device,
    samples: usize,
    on_pass: &mut dyn FnMut(usize),
) -> Result<Evaluation, TrainError> {
    let passes = samples.max(1);
    if passes == 1 {
        let evaluation = run(model, split, normalizer, device).await?;
        on_pass(1);
        return Ok(evaluation);
    }
    let start = now_seconds();
    let batches: Vec<_> = sequential(split.len(), EVAL_BATCH).collect();
    // Per batch: the softmax outputs summed over the passes so far, and the labels.
    let mut sums: Vec<Option<(Tensor<2>, Tensor<1, Int>)>> = vec![None; batches.len()];
    for pass in 1..=passes {
        for (indices, slot) in batches.iter().zip(sums.iter_mut()) {
            let (x, y) = batch(split, normalizer, indices, device);
            let probs = softmax(model.forward(x, Mode::Mc), 1);
            *slot = Some(match slot.take() {
                Some((sum, y)) => (sum + probs, y),
                None => (probs, y),
            });
        }
        on_pass(pass);
    }
    let mut totals = Totals::new(device);
    for (sum, y) in sums
        .into_iter()
        .map(|s| s.expect("every batch has its passes"))
    {
        let log_probs = sum.div_scalar(passes as f64).clamp_min(1e-12).log();
        totals.add(log_probs, y);
    }
    totals.evaluation(split, passes, start).await
}

/// Plain evaluation: one pass in `Eval` mode.
async fn run(
    model: &DenseNet,
    split: &Split,
    normalizer: &Normalizer,
    device: &Device,
) -> Result<Evaluation, TrainError> {
    let start = now_seconds();
    let mut totals = Totals::new(device);
    for indices in sequential(split.len(), EVAL_BATCH) {
        let (x, y) = batch(split, normalizer, &indices, device);
        totals.add(log_softmax(model.forward(x, Mode::Eval), 1), y);
    }
    totals.evaluation(split, 1, start).await
}

/// The summed loss and number right over a split's batches, kept on the device until the end.
struct Totals {
    loss: Tensor<1>,
    correct: Tensor<1>,
}

impl Totals {
    fn new(device: &Device) -> Self {
        Totals {
            loss: Tensor::<1>::zeros([1], device),
            correct: Tensor::<1>::zeros([1], device),
        }
    }

    /// Adds one batch: its log-probabilities and labels.
    fn add(&mut self, log_probs: Tensor<2>, y: Tensor<1, Int>) {
        let n = y.dims()[0];
        self.correct = self.correct.clone() + correct(log_probs.clone(), y.clone());
        self.loss = self.loss.clone() - log_probs.gather(1, y.reshape([n, 1])).sum();
    }

    async fn evaluation(
        self,
        split: &Split,
        passes: usize,
        start: f64,
    ) -> Result<Evaluation, TrainError> {
        let values = read_many(vec![self.loss, self.correct]).await?;
        evaluation(&values, split, passes, start)
    }
}

/// The evaluation from the summed loss and number right read back.
fn evaluation(
    values: &[f32],
    split: &Split,
    passes: usize,
    start: f64,
) -> Result<Evaluation, TrainError> {
    let records = split.len().max(1) as f64;
    Ok(Evaluation {
        loss: values[0] as f64 / records,
        accuracy: values[1] as f64 / records,
        records: split.len(),
        passes,
        seconds: now_seconds() - start,
    })
}

// Native only: the tests block on the evaluation, which wasm cannot.
#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;
    use crate::data::{Preprocessing, SplitKind, SyntheticSpec};
    use crate::model::{
        Activation, DropoutConfig, DropoutKind, DropoutPlacement, KernelInit, ModelConfig,
    };

    /// A 3 × 16 SELU net on 6 × 6 synthetic images, with alpha dropout at `rate` after every
    /// hidden layer, and 1,500 validation records (two evaluation batches).
    fn setup(rate: f64) -> (DenseNet, crate::data::Dataset, Device) {
        let device = Device::flex();
        let data = SyntheticSpec {
            image_shape: [1, 6, 6],
            train: 10,
            valid: 1_500,
            test: 0,
            ..SyntheticSpec::default()
        }
        .generate();
        let config = ModelConfig {
            input_dim: 36,
            depth: 3,
            width: 16,
            activation: Activation::Selu,
            kernel_init: KernelInit::LecunNormal,
            dropout: Some(DropoutConfig {
                kind: DropoutKind::Alpha,
                rate,
                placement: DropoutPlacement::EveryHidden,
            }),
            ..ModelConfig::default()
        };
        let net = DenseNet::new(&config, 3, &device).unwrap();
        (net, data, device)
    }

    #[test]
    fn mc_dropout_reports_each_pass_over_the_split_in_order() {
        let (net, data, device) = setup(0.3);
        let normalizer = Normalizer::new(Preprocessing::Standardize, &data.stats);
        let mut done = Vec::new();
        let mc = pollster::block_on(evaluate_mc_reporting(
            &net,
            data.split(SplitKind::Valid),
            &normalizer,
            &device,
            4,
            &mut |n| done.push(n),
        ))
        .unwrap();
        assert_eq!(done, vec![1, 2, 3, 4]);
        assert_eq!((mc.passes, mc.records), (4, 1_500));
        assert!(mc.loss.is_finite() && (0.0..=1.0).contains(&mc.accuracy));
    }

    /// Oracle: with dropout at rate 0 every MC pass is the plain forward pass, so their mean
    /// softmax gives plain evaluation's loss and accuracy.
    #[test]
    fn mc_dropout_at_rate_zero_is_plain_evaluation() {
        let (net, data, device) = setup(0.0);
        let normalizer = Normalizer::new(Preprocessing::Standardize, &data.stats);
        let split = data.split(SplitKind::Valid);
        let plain = pollster::block_on(evaluate(&net, split, &normalizer, &device)).unwrap();
        let mc = pollster::block_on(evaluate_mc(&net, split, &normalizer, &device, 3)).unwrap();
        assert!(
            (mc.loss - plain.loss).abs() <= 1e-5 * plain.loss.abs(),
            "{mc:?} against {plain:?}"
        );
        assert_eq!(mc.accuracy, plain.accuracy);
    }
}
