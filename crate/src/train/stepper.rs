//! The one value that takes a run's training steps: Burn's generic step on the trainer's model
//! and optimizer, or the fused kernels ([`crate::fused`]) with their own copy of both on the
//! device. The trainer and the LR finder call it without asking which it is.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

use super::config::TrainConfig;
use crate::data::batches::{batch, host_batch};
use crate::data::{Dataset, Normalizer};
use crate::error::TrainError;
use crate::fused::{FusedStep, StepPath};
use crate::model::loss::{correct, cross_entropy};
use crate::model::{DenseNet, Mode, ModelConfig};
use crate::readback::read_many;

pub(super) enum Stepper {
    Generic,
    /// Boxed: the fused step's buffers are large beside the generic variant's nothing.
    Fused(Box<Fused>),
}

/// The fused step's buffers (made at the first step) and how they stand against the trainer's
/// model.
#[derive(Default)]
pub(super) struct Fused {
    step: Option<FusedStep>,
    /// The fused step's parameters are newer than the model (synced at probes and epoch ends).
    stale: bool,
    /// The model was replaced (import, restored weights): the fused step must load it.
    reload: bool,
}

/// What the steps read and update on the trainer.
pub(super) struct Net<'a> {
    pub model: &'a mut DenseNet,
    pub optim: &'a mut ModuleOptimizer,
    /// The weights before the chunk's last step, kept when a probe follows it.
    pub before_step: &'a mut Option<DenseNet>,
    pub model_config: &'a ModelConfig,
    pub config: &'a TrainConfig,
    pub normalizer: &'a Normalizer,
    pub device: &'a Device,
}

/// A chunk's outcome: each step's loss, the number right over the chunk, each batch's size.
pub(super) struct Chunk {
    pub losses: Vec<f32>,
    pub right: f32,
    pub sizes: Vec<usize>,
}

/// When a chunk keeps the weights before its last step (a probe follows it) and when it brings
/// the model up to date with the fused step (a probe or the epoch's end follows it).
#[derive(Clone, Copy)]
pub(super) struct ChunkEnd {
    pub probe_next: bool,
    pub epoch_ends: bool,
}

impl Stepper {
    pub fn new(path: &StepPath) -> Self {
        match path {
            StepPath::Fused { .. } => Stepper::Fused(Box::default()),
            StepPath::Generic { .. } => Stepper::Generic,
        }
    }

    pub fn is_fused(&self) -> bool {
        matches!(self, Stepper::Fused(_))
    }

    /// Whether the fused step holds newer weights than the model.
    pub fn stale(&self) -> bool {
        matches!(self, Stepper::Fused(f) if f.stale)
    }

    /// The model was replaced: the fused step loads it before its next step.
    pub fn model_replaced(&mut self) {
        if let Stepper::Fused(f) = self {
            f.stale = false;
            f.reload = true;
        }
    }

    /// Brings `model` up to date with the fused step's parameters.
    pub async fn sync(&mut self, model: &mut DenseNet) -> Result<(), TrainError> {
        if let Stepper::Fused(fused) = self
            && fused.stale
            && let Some(step) = &fused.step
        {
            *model = step.store(model.clone()).await?;
            fused.stale = false;
        }
        Ok(())
    }

    /// Takes `batches` (records and rate per step), then reads their losses back in one transfer.
    pub async fn chunk(
        &mut self,
        mut net: Net<'_>,
        data: &Dataset,
        batches: Vec<(Vec<u32>, f64)>,
        end: ChunkEnd,
    ) -> Result<Chunk, TrainError> {
        match self {
            Stepper::Generic => generic_chunk(&mut net, data, batches, end).await,
            Stepper::Fused(fused) => {
                let chunk = fused.chunk(&mut net, data, batches, end).await?;
                if end.epoch_ends || end.probe_next {
                    self.sync(net.model).await?;
                }
                Ok(chunk)
            }
        }
    }

    /// Steps of an LR sweep, each step's loss. The fused one runs on the sweep's own fused step,
    /// made on its first chunk from the current weights with a fresh optimizer state (the run's
    /// own stays untouched).
    pub async fn sweep(
        &self,
        mut net: Net<'_>,
        sweep: &mut Option<FusedStep>,
        data: &Dataset,
        batches: Vec<(Vec<u32>, f64)>,
    ) -> Result<Vec<f32>, TrainError> {
        if let Stepper::Generic = self {
            let losses = batches
                .into_iter()
                .map(|(indices, lr)| generic_step(&mut net, data, &indices, lr).0)
                .collect();
            return read_many(losses).await;
        }
        if sweep.is_none() {
            *sweep = Some(new_fused_step(&net).await?);
        }
        let fused = sweep.as_mut().expect("made above");
        fused.reserve(batches.len());
        for (indices, lr) in batches {
            let (inputs, labels) = host_batch(&data.train, net.normalizer, &indices);
            fused.step(inputs, &labels, lr)?;
        }
        Ok(fused
            .read_losses()
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }
}

impl Fused {
    async fn chunk(
        &mut self,
        net: &mut Net<'_>,
        data: &Dataset,
        batches: Vec<(Vec<u32>, f64)>,
        end: ChunkEnd,
    ) -> Result<Chunk, TrainError> {
        if self.step.is_none() {
            self.step = Some(new_fused_step(net).await?);
            self.reload = false;
        }
        let step = self.step.as_mut().expect("made above");
        if self.reload {
            step.load(net.model).await?;
            self.reload = false;
        }
        step.reserve(batches.len());
        let last = batches.len();
        let mut sizes = Vec::new();
        for (k, (indices, lr)) in batches.into_iter().enumerate() {
            if k + 1 == last && end.probe_next {
                // The probe after this chunk measures the last step's update: keep the weights
                // before it (one extra readback per probe).
                *net.before_step = Some(step.store(net.model.clone()).await?);
            }
            let (inputs, labels) = host_batch(&data.train, net.normalizer, &indices);
            step.step(inputs, &labels, lr)?;
            sizes.push(indices.len());
        }
        let results = step.read_losses().await?;
        self.stale = true;
        Ok(Chunk {
            right: results.iter().map(|r| r.1).sum(),
            losses: results.into_iter().map(|r| r.0).collect(),
            sizes,
        })
    }
}

/// Fused-step buffers for the current weights, with a fresh optimizer state.
async fn new_fused_step(net: &Net<'_>) -> Result<FusedStep, TrainError> {
    FusedStep::new(net.model, net.model_config, net.config, net.device).await
}

/// A chunk of generic steps. Before the last one, when a probe follows, the weights are kept
/// for the probe's update-to-weight ratios: cloning a model only counts references, and only
/// that one step holds a second copy alive.
async fn generic_chunk(
    net: &mut Net<'_>,
    data: &Dataset,
    batches: Vec<(Vec<u32>, f64)>,
    end: ChunkEnd,
) -> Result<Chunk, TrainError> {
    let mut losses = Vec::new();
    let mut sizes = Vec::new();
    let mut correct_sum = Tensor::<1>::zeros([1], &net.device.clone().inner());
    let last = batches.len();
    for (k, (indices, lr)) in batches.into_iter().enumerate() {
        if k + 1 == last {
            *net.before_step = end.probe_next.then(|| net.model.clone());
        }
        let (loss, right) = generic_step(net, data, &indices, lr);
        losses.push(loss);
        correct_sum = correct_sum + right;
        sizes.push(indices.len());
    }
    losses.push(correct_sum);
    let mut values = read_many(losses).await?;
    let right = values.pop().unwrap_or(0.0);
    Ok(Chunk {
        losses: values,
        right,
        sizes,
    })
}

/// One optimizer step on `indices`; returns the loss and the number right, on the device.
fn generic_step(
    net: &mut Net<'_>,
    data: &Dataset,
    indices: &[u32],
    lr: f64,
) -> (Tensor<1>, Tensor<1>) {
    let (x, y) = batch(&data.train, net.normalizer, indices, net.device);
    let logits = net.model.forward(x, Mode::Train);
    let right = correct(logits.clone(), y.clone()).inner();
    let mut loss = cross_entropy(logits, y);
    if net.config.l1 > 0.0 {
        loss = loss + net.model.l1_norm().mul_scalar(net.config.l1);
    }
    let grads = GradientsParams::from_grads(loss.backward(), &*net.model);
    *net.model = net.optim.step(lr, net.model.clone(), grads);
    (loss.inner(), right)
}
