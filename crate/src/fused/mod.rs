//! A fused training step for the dense family on the wgpu backend (WebGPU in the browser):
//! custom CubeCL kernels launched on the client of the same device Burn uses, with the
//! parameters and the optimizer's state in flat buffers, so that a step of an `L`-layer net is
//! `2L + 1` dispatches (43 for the exercise's 20 × 100 net) instead of the few hundred the
//! generic autodiff path issues. It computes every configuration the form offers: dropout and
//! alpha dropout (masks from [`masks`]' counter-based generator), L1, Nadam, Adam and SGD; and
//! MC Dropout's passes ([`mc`]).
//!
//! The generic path ([`crate::train::Trainer`] with Burn's autodiff) is the CPU backend's step
//! and the reference: [`support`] says where the fused step runs (any configuration on wgpu,
//! within 32-bit offsets), and the tests compare the two on the same batch from the same
//! weights, or with the masks fixed ([`crate::train::fused_checks`]).

pub mod kernels;
mod launch;
pub mod masks;
pub mod mc;
pub mod plan;
pub mod profile;
mod step;

pub use plan::Plan;

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
pub use step::FusedStep;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::model::ModelConfig;
use crate::optim::OptimizerConfig;

/// What the fused step takes from a run's training configuration: built from
/// [`crate::train::TrainConfig`] in `train` (`From<&TrainConfig>`), so that this module needs
/// nothing of `train`.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedConfig {
    pub batch_size: usize,
    pub optimizer: OptimizerConfig,
    /// The L1 factor λ (0: none).
    pub l1: f64,
    /// Steps whose losses are read back together: the room made for them up front.
    pub readback_every: usize,
    /// Seeds the dropout masks.
    pub seed: u64,
    /// The base learning rate (the phase timings' steps take it).
    pub lr: f64,
}

/// Which implementation runs a run's training steps, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StepPath {
    /// The fused kernels, with the dispatches one step issues.
    Fused { dispatches: usize },
    /// Burn's autodiff, with the reason the fused step does not apply.
    Generic { reason: String },
}

/// Offsets are u32 in the kernels.
const MAX_ELEMENTS: usize = u32::MAX as usize / 2;

/// Whether the fused step computes this configuration on `device`; if not, why.
pub fn support(model: &ModelConfig, train: impl Into<FusedConfig>, device: &Device) -> StepPath {
    let train = train.into();
    match unsupported(model, &train, device) {
        Some(reason) => StepPath::Generic {
            reason: reason.into(),
        },
        None => StepPath::Fused {
            dispatches: Plan::new(model, train.batch_size).dispatches(),
        },
    }
}

fn unsupported(model: &ModelConfig, train: &FusedConfig, device: &Device) -> Option<&'static str> {
    if step::client(device).is_none() {
        return Some("the fused step runs on the wgpu/WebGPU backend only");
    }
    if !fits(&Plan::new(model, train.batch_size)) {
        return Some("the net or the batch is too large for the fused step's 32-bit offsets");
    }
    None
}

/// Whether every offset of `plan`'s buffers fits the kernels' u32.
fn fits(plan: &Plan) -> bool {
    plan.acts.max(plan.params * 2).max(plan.grads) <= MAX_ELEMENTS
}
