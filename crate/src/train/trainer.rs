//! A run's model, optimizer, data order and history, and the operations the run's state machine
//! ([`super::run`]) is made of: a chunk of steps, the end of an epoch, a statistics probe.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::early_stopping::{EarlyStopping, Verdict};
use super::history::{EpochRecord, History, Probe, ProbeWeights, StepLoss, StopReason};
use super::run::Stage;
use super::stepper::{Chunk, ChunkEnd, Net, Stepper};
use crate::clock::now_seconds;
use crate::data::batches::batch;
use crate::data::{Dataset, Normalizer, Preprocessing, SplitKind};
use crate::error::{ConfigError, TrainError};
use crate::eval::{self, Evaluation};
use crate::fused::{self, StepPath};
use crate::model::{DenseNet, ModelConfig};
use crate::rng::Rng;
use crate::stats;

/// Where a run stands after a chunk of steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub epoch: usize,
    pub step_in_epoch: usize,
    pub steps_in_epoch: usize,
    /// Steps taken over the whole run.
    pub step: usize,
    /// Mean training loss over the chunk.
    pub loss: f32,
    pub lr: f64,
    /// Training throughput over the chunk, readback included.
    pub samples_per_s: f64,
    /// The epoch's records are all used: call [`Trainer::end_epoch`] next.
    pub epoch_complete: bool,
}

/// An epoch's record and what early stopping made of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    pub record: EpochRecord,
    pub best_epoch: usize,
    pub best_val_loss: f64,
    pub patience_left: usize,
    pub finished: bool,
}

/// What a run starts with: the settings the crate completed (readback interval, probe batch),
/// stored with the run, its size, and which implementation takes its steps (the page says so).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStart {
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub preprocessing: Preprocessing,
    pub parameters: usize,
    pub steps_per_epoch: usize,
    pub step: StepPath,
}

/// Plain evaluation against MC Dropout with several sample counts, on one split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McDropout {
    pub split: SplitKind,
    pub plain: Evaluation,
    /// One per sample count asked for, in order.
    pub mc: Vec<Evaluation>,
}

pub struct Trainer {
    pub model_config: ModelConfig,
    pub config: TrainConfig,
    pub preprocessing: Preprocessing,
    device: Device,
    model: DenseNet,
    optim: ModuleOptimizer,
    normalizer: Normalizer,
    shuffle: Rng,
    early: EarlyStopping,
    best: Option<DenseNet>,
    history: History,
    probe_batch: (Tensor<2>, Tensor<1, Int>),
    last_probe_step: Option<usize>,
    /// The weights before the last step, kept by the stepper when a probe is due right after
    /// it (for the probe's update-to-weight ratios).
    before_step: Option<DenseNet>,
    epoch: usize,
    order: Vec<u32>,
    cursor: usize,
    step: usize,
    epoch_loss: f64,
    epoch_correct: f64,
    epoch_start: f64,
    epoch_train_seconds: f64,
    lr: f64,
    pub(super) stage: Stage,
    /// Which implementation takes the steps ([`crate::fused`]), and why.
    path: StepPath,
    stepper: Stepper,
}

/// `model` with the input size and class count of `data`'s manifest.
pub(crate) fn fitted_to(data: &Dataset, model: &ModelConfig) -> ModelConfig {
    ModelConfig {
        input_dim: data.manifest.feature_dim(),
        classes: data.manifest.classes.len(),
        ..model.clone()
    }
}

impl Trainer {
    /// A fresh run on `device` (autodiff is added here), with the model's input size and class
    /// count taken from `data`'s manifest.
    pub fn new(
        data: &Dataset,
        model_config: &ModelConfig,
        config: &TrainConfig,
        preprocessing: Preprocessing,
        device: &Device,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        let model_config = fitted_to(data, model_config);
        if data.valid.is_empty() || data.train.is_empty() {
            return Err(ConfigError(
                "training needs at least one train and one validation record".into(),
            )
            .into());
        }
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = DenseNet::new(&model_config, config.seed, &device)?;
        let normalizer = Normalizer::new(preprocessing, &data.stats);
        let probe_records: Vec<u32> = (0..config.probe_size.min(data.valid.len()) as u32).collect();
        let probe_batch = batch(&data.valid, &normalizer, &probe_records, &device);
        let path = match config.fused {
            true => fused::support(&model_config, config, &device),
            false => StepPath::Generic {
                reason: "the generic step was asked for".into(),
            },
        };
        Ok(Self {
            optim: config.optimizer.init(),
            shuffle: Rng::fork(config.seed, 2),
            early: EarlyStopping::new(config.patience),
            config: config.clone(),
            preprocessing,
            device,
            model,
            normalizer,
            best: None,
            history: History::default(),
            probe_batch,
            last_probe_step: None,
            before_step: None,
            epoch: 0,
            order: Vec::new(),
            cursor: 0,
            step: 0,
            epoch_loss: 0.0,
            epoch_correct: 0.0,
            epoch_start: 0.0,
            epoch_train_seconds: 0.0,
            lr: config.lr,
            stage: Stage::Training,
            stepper: Stepper::new(&path),
            path,
            model_config,
        })
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    /// The weights as of the last probe, epoch end or [`Trainer::sync_model`] (the fused step
    /// keeps newer ones on the device in between).
    pub fn model(&self) -> &DenseNet {
        &self.model
    }

    /// Which implementation takes this run's steps.
    pub fn step_path(&self) -> &StepPath {
        &self.path
    }

    /// What the run starts with, on `data`.
    pub fn run_start(&self, data: &Dataset) -> RunStart {
        RunStart {
            model: self.model_config.clone(),
            train: self.config.clone(),
            preprocessing: self.preprocessing,
            parameters: self.model_config.parameter_count(),
            steps_per_epoch: self.steps_per_epoch(data),
            step: self.path.clone(),
        }
    }

    /// Brings [`Trainer::model`] up to date with the fused step's parameters.
    pub async fn sync_model(&mut self) -> Result<(), TrainError> {
        self.stepper.sync(&mut self.model).await
    }

    /// The stepper and what its steps read and update: borrowed apart, so that both can be used
    /// at once.
    pub(super) fn parts(&mut self) -> (&mut Stepper, Net<'_>) {
        let net = Net {
            model: &mut self.model,
            optim: &mut self.optim,
            before_step: &mut self.before_step,
            model_config: &self.model_config,
            config: &self.config,
            normalizer: &self.normalizer,
            device: &self.device,
        };
        (&mut self.stepper, net)
    }

    pub fn finished(&self) -> bool {
        self.history.stop.is_some()
    }

    /// Steps per full epoch (the last batch may be partial, as in Keras).
    pub fn steps_per_epoch(&self, data: &Dataset) -> usize {
        let records = self.epoch_records(data.train.expected());
        records.div_ceil(self.config.batch_size)
    }

    fn epoch_records(&self, available: usize) -> usize {
        match self.config.max_train_records {
            0 => available,
            cap => available.min(cap),
        }
    }

    /// Runs up to `readback_every` steps of the current epoch (starting one if needed; fewer
    /// where a probe falls due, `TrainConfig::chunk_steps`), then reads their losses back in
    /// one transfer.
    pub async fn train_chunk(&mut self, data: &Dataset) -> Result<Progress, TrainError> {
        if self.order.is_empty() {
            self.begin_epoch(data);
        }
        let total_steps = self.config.max_epochs * self.steps_per_epoch(data);
        let chunk_start = now_seconds();
        let batches = self.chunk_batches(total_steps);
        let end = ChunkEnd {
            probe_next: self.probe_due(),
            epoch_ends: self.cursor >= self.order.len(),
        };
        let (stepper, net) = self.parts();
        let Chunk {
            losses: step_losses,
            right,
            sizes,
        } = stepper.chunk(net, data, batches, end).await?;
        if let Some((k, &loss)) = step_losses.iter().enumerate().find(|(_, l)| !l.is_finite()) {
            return Err(self.diverged("training", self.step - sizes.len() + k + 1, loss));
        }
        let samples: usize = sizes.iter().sum();
        let loss_sum: f64 = step_losses
            .iter()
            .zip(&sizes)
            .map(|(&l, &n)| l as f64 * n as f64)
            .sum();
        self.epoch_loss += loss_sum;
        self.epoch_correct += right as f64;
        let mean = (loss_sum / samples as f64) as f32;
        self.history.steps.push(StepLoss {
            step: self.step,
            epoch: self.epoch,
            loss: mean,
        });
        let now = now_seconds();
        self.epoch_train_seconds = now - self.epoch_start;
        let steps_in_epoch = self.order.len().div_ceil(self.config.batch_size);
        Ok(Progress {
            epoch: self.epoch,
            step_in_epoch: self.cursor.div_ceil(self.config.batch_size),
            steps_in_epoch,
            step: self.step,
            loss: mean,
            lr: self.lr,
            samples_per_s: samples as f64 / (now - chunk_start).max(1e-9),
            epoch_complete: self.cursor >= self.order.len(),
        })
    }

    /// The batches of the chunk: their records, and the rate for each step.
    fn chunk_batches(&mut self, total_steps: usize) -> Vec<(Vec<u32>, f64)> {
        let mut batches = Vec::new();
        let steps = self.config.chunk_steps(self.step, self.last_probe_step);
        while batches.len() < steps && self.cursor < self.order.len() {
            let end = (self.cursor + self.config.batch_size).min(self.order.len());
            self.lr = self
                .config
                .schedule
                .rate(self.config.lr, self.step, total_steps);
            batches.push((self.order[self.cursor..end].to_vec(), self.lr));
            self.cursor = end;
            self.step += 1;
        }
        batches
    }

    /// Whether the steps run on the fused kernels.
    pub(super) fn uses_fused(&self) -> bool {
        self.stepper.is_fused()
    }

    fn begin_epoch(&mut self, data: &Dataset) {
        self.epoch += 1;
        let records = self.epoch_records(data.train.len());
        let mut order: Vec<u32> = (0..data.train.len() as u32).collect();
        self.shuffle.shuffle(&mut order);
        order.truncate(records);
        self.order = order;
        self.cursor = 0;
        self.epoch_loss = 0.0;
        self.epoch_correct = 0.0;
        self.epoch_start = now_seconds();
    }

    fn diverged(&mut self, which: &'static str, step: usize, loss: f32) -> TrainError {
        let error = TrainError::NonFinite {
            which,
            epoch: self.epoch,
            step,
            loss,
        };
        self.history.stop = Some(StopReason::Diverged {
            message: error.to_string(),
            epoch: self.epoch,
            step,
        });
        error
    }

    /// Validates, records the epoch, and applies early stopping.
    pub(super) async fn end_epoch(&mut self, data: &Dataset) -> Result<EpochSummary, TrainError> {
        self.sync_model().await?;
        let samples = self.order.len();
        let valid = self.evaluate(data, SplitKind::Valid).await?;
        let record = EpochRecord {
            epoch: self.epoch,
            train_loss: self.epoch_loss / samples.max(1) as f64,
            train_accuracy: self.epoch_correct / samples.max(1) as f64,
            val_loss: valid.loss,
            val_accuracy: valid.accuracy,
            lr: self.lr,
            samples,
            train_seconds: self.epoch_train_seconds,
            seconds: now_seconds() - self.epoch_start,
            samples_per_s: samples as f64 / self.epoch_train_seconds.max(1e-9),
        };
        self.history.epochs.push(record.clone());
        self.order.clear();
        if !valid.loss.is_finite() {
            return Err(self.diverged("validation", self.step, valid.loss as f32));
        }
        let verdict = self.early.update(self.epoch, valid.loss);
        if verdict == Verdict::Improved {
            self.best = Some(self.model.snapshot());
            self.history.best_epoch = self.epoch;
        }
        if verdict == Verdict::Stop {
            self.finish(StopReason::EarlyStopping {
                best_epoch: self.early.best_epoch,
            });
        } else if self.epoch >= self.config.max_epochs {
            self.finish(StopReason::MaxEpochs);
        }
        Ok(EpochSummary {
            record,
            best_epoch: self.early.best_epoch,
            best_val_loss: self.early.best_loss,
            patience_left: self.early.patience.saturating_sub(self.early.waited),
            finished: self.finished(),
        })
    }

    /// Ends the run and restores the weights of the best validation epoch; the final probe and
    /// evaluation follow. A run that has already ended keeps its reason.
    pub fn finish(&mut self, reason: StopReason) {
        if matches!(
            self.stage,
            Stage::FinalProbe | Stage::Evaluation | Stage::Done
        ) {
            return;
        }
        if let Some(best) = &self.best {
            self.model = best.snapshot();
            self.model_replaced();
        }
        self.history.stop.get_or_insert(reason);
        self.stage = Stage::FinalProbe;
    }

    /// The epoch whose weights the model holds once the run has ended and restored them.
    pub(super) fn restored_epoch(&self) -> Option<usize> {
        self.best.as_ref().map(|_| self.history.best_epoch)
    }

    /// Whether a statistics probe is due (always before the first step).
    pub(super) fn probe_due(&self) -> bool {
        self.config.probe_due(self.step, self.last_probe_step)
    }

    /// Per-layer statistics on the fixed probe batch, recorded in the history; `weights` says
    /// which weights they measure.
    pub(super) async fn probe(
        &mut self,
        data: &Dataset,
        weights: ProbeWeights,
    ) -> Result<Probe, TrainError> {
        self.sync_model().await?;
        let (x, y) = self.probe_batch.clone();
        // The restored best weights followed no step of their own.
        let before = self.before_step.take();
        let before = before.filter(|_| weights == ProbeWeights::Current);
        let stats = stats::probe(&self.model, x, y, before.as_ref()).await?;
        let probe = Probe {
            step: self.step,
            epoch: self.step as f64 / self.steps_per_epoch(data).max(1) as f64,
            weights,
            stats,
        };
        self.last_probe_step = Some(self.step);
        self.history.probes.push(probe.clone());
        Ok(probe)
    }

    /// Loss and accuracy of the current weights on `split`.
    pub async fn evaluate(
        &self,
        data: &Dataset,
        split: SplitKind,
    ) -> Result<Evaluation, TrainError> {
        self.evaluate_model(&self.model, data, split).await
    }

    /// Loss and accuracy of other weights for this run's model (e.g. a pruned copy).
    pub async fn evaluate_model(
        &self,
        model: &DenseNet,
        data: &Dataset,
        split: SplitKind,
    ) -> Result<Evaluation, TrainError> {
        let device = self.device.clone().inner();
        eval::evaluate(&model.valid(), data.split(split), &self.normalizer, &device).await
    }

    /// MC Dropout with `samples` passes on `split`: on the fused kernels where the run's steps
    /// are fused, else on Burn's tensors.
    pub async fn evaluate_mc(
        &self,
        data: &Dataset,
        split: SplitKind,
        samples: usize,
    ) -> Result<Evaluation, TrainError> {
        self.evaluate_mc_reporting(data, split, samples, &mut |_| {})
            .await
    }

    /// [`Self::evaluate_mc`], calling `on_pass(done)` as passes over the split are done: after
    /// each on the generic step, after all of them on the fused one (whose kernels take a
    /// batch's passes together).
    pub async fn evaluate_mc_reporting(
        &self,
        data: &Dataset,
        split: SplitKind,
        samples: usize,
        on_pass: &mut dyn FnMut(usize),
    ) -> Result<Evaluation, TrainError> {
        let device = self.device.clone().inner();
        if self.uses_fused() {
            let evaluation = fused::mc::evaluate_mc(
                &self.model,
                &self.model_config,
                data.split(split),
                &self.normalizer,
                &device,
                samples,
                self.config.seed,
            )
            .await?;
            on_pass(evaluation.passes);
            return Ok(evaluation);
        }
        eval::evaluate_mc_reporting(
            &self.model.valid(),
            data.split(split),
            &self.normalizer,
            &device,
            samples,
            on_pass,
        )
        .await
    }

    /// Plain evaluation of `split`, then MC Dropout with each of `samples` passes.
    pub async fn mc_dropout(
        &self,
        data: &Dataset,
        split: SplitKind,
        samples: &[usize],
    ) -> Result<McDropout, TrainError> {
        let plain = self.evaluate(data, split).await?;
        let mut mc = Vec::new();
        for &n in samples {
            mc.push(self.evaluate_mc(data, split, n).await?);
        }
        Ok(McDropout { split, plain, mc })
    }

    /// Replaces the weights (after import, or after pruning).
    pub fn set_model(&mut self, model: DenseNet) {
        // `fork`, not `to_device`: the weights must be leaves of a graph of their own, or the
        // second training step's backward finds the first one's tape consumed.
        self.model = model.fork(&self.device);
        self.model_replaced();
    }

    fn model_replaced(&mut self) {
        self.stepper.model_replaced();
        self.before_step = None;
    }

    pub(super) fn snapshot(&self) -> (DenseNet, ModuleOptimizer) {
        debug_assert!(
            !self.stepper.stale(),
            "snapshot of weights older than the fused step's"
        );
        (self.model.snapshot(), self.optim.clone())
    }

    pub(super) fn restore(&mut self, snapshot: (DenseNet, ModuleOptimizer)) {
        (self.model, self.optim) = snapshot;
        self.model_replaced();
    }
}
