//! Where a fused step's time goes: each phase (all layers' forwards, the loss, all backwards,
//! the update) launched `reps` times on its own and the device waited on, per step. The phases
//! run on the same buffers in the step's order, so each sees the data it would in a step.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::FusedConfig;
use super::launch::Pass;
use super::step::FusedStep;
use crate::clock::now_seconds;
use crate::error::TrainError;
use crate::model::{DenseNet, ModelConfig};
use crate::rng::Rng;

/// Milliseconds per step of each phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseTimes {
    pub batch: usize,
    pub dispatches: usize,
    pub forward_ms: f64,
    pub loss_ms: f64,
    pub backward_ms: f64,
    pub update_ms: f64,
}

pub async fn phase_times(
    model: &ModelConfig,
    train: impl Into<FusedConfig>,
    device: &Device,
    reps: usize,
) -> Result<PhaseTimes, TrainError> {
    let train = &train.into();
    let device = device.clone().autodiff();
    let net = DenseNet::new(model, train.seed, &device)?;
    let mut step = FusedStep::new(&net, model, train.clone(), &device).await?;
    let rows = train.batch_size;
    let mut rng = Rng::fork(train.seed, 9);
    let inputs: Vec<f32> = (0..rows * model.input_dim)
        .map(|_| rng.normal() as f32)
        .collect();
    let labels: Vec<u32> = (0..rows).map(|i| (i % model.classes) as u32).collect();
    // Warm-up: shader compilation and allocation happen on the first steps.
    step.reserve(2);
    for _ in 0..2 {
        step.step(inputs.clone(), &labels, train.lr)?;
    }
    step.read_losses().await?;
    let step = &step;
    Ok(PhaseTimes {
        batch: rows,
        dispatches: step.plan().dispatches(),
        forward_ms: timed(step, reps, |s| s.forward(rows, TRAINING)).await?,
        loss_ms: timed(step, reps, |s| s.loss(rows, 0)).await?,
        backward_ms: timed(step, reps, |s| s.backward(rows, 0)).await?,
        update_ms: timed(step, reps, |s| s.update(rows, 0)).await?,
    })
}

/// A training step's forward pass, with the first draw of any dropout masks.
const TRAINING: Pass = Pass {
    draw: 0,
    running_stats: false,
};

async fn timed(
    step: &FusedStep,
    reps: usize,
    phase: impl Fn(&FusedStep),
) -> Result<f64, TrainError> {
    let start = now_seconds();
    for _ in 0..reps {
        phase(step);
    }
    step.client.sync().await.map_err(TrainError::device)?;
    Ok((now_seconds() - start) * 1e3 / reps.max(1) as f64)
}
