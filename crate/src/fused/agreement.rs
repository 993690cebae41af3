//! The fused step against the generic one: the same run configured twice, one chunk of steps
//! each from the same weights on the same batches, then every parameter tensor compared.
//! Shared by the native tests (wgpu) and the browser's (WebGPU).

use burn::tensor::Device;

use super::StepPath;
use super::step::parameter_tensors;
use crate::data::{Dataset, Preprocessing};
use crate::error::TrainError;
use crate::model::{DenseNet, ModelConfig};
use crate::readback::read_many;
use crate::train::{TrainConfig, Trainer};

/// How far apart the two paths ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// The chunk's mean loss, generic then fused.
    pub losses: Vec<(f32, f32)>,
    /// Per parameter tensor (kernel then bias, input side first): ‖Δ_fused − Δ_generic‖ /
    /// ‖Δ_generic‖, where Δ is the tensor's change over the chunk. With plain SGD at a rate of
    /// 2²⁰ one step's Δ is −2²⁰·gradient, so this is the gradients' relative error.
    pub change_error: Vec<f64>,
}

impl Agreement {
    pub fn worst_change_error(&self) -> f64 {
        self.change_error.iter().cloned().fold(0.0, f64::max)
    }

    pub fn worst_loss_error(&self) -> f64 {
        self.losses
            .iter()
            .map(|&(g, f)| ((g - f) / g).abs() as f64)
            .fold(0.0, f64::max)
    }
}

/// Trains one chunk (`train.readback_every` steps) both ways on `device` and compares.
pub async fn agreement(
    data: &Dataset,
    model: &ModelConfig,
    train: &TrainConfig,
    device: &Device,
) -> Result<Agreement, TrainError> {
    let run = |fused| {
        let config = TrainConfig {
            fused,
            ..train.clone()
        };
        Trainer::new(data, model, &config, Preprocessing::Standardize, device)
    };
    let (mut generic, mut fused) = (run(false)?, run(true)?);
    assert!(
        matches!(fused.step_path(), StepPath::Fused { .. }),
        "the fused step does not apply: {:?}",
        fused.step_path()
    );
    let before = parameters(generic.model()).await?;
    let mut losses = Vec::new();
    for trainer in [&mut generic, &mut fused] {
        trainer.train_chunk(data).await?;
        trainer.sync_model().await?;
        losses.push(trainer.history().steps.clone());
    }
    let (g, f) = (
        parameters(generic.model()).await?,
        parameters(fused.model()).await?,
    );
    let change_error = before
        .iter()
        .zip(g.iter().zip(&f))
        .map(|(w0, (wg, wf))| relative_error(w0, wg, wf))
        .collect();
    Ok(Agreement {
        losses: losses[0]
            .iter()
            .zip(&losses[1])
            .map(|(a, b)| (a.loss, b.loss))
            .collect(),
        change_error,
    })
}

fn relative_error(w0: &[f32], wg: &[f32], wf: &[f32]) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for ((&a, &g), &f) in w0.iter().zip(wg).zip(wf) {
        let (dg, df) = (g as f64 - a as f64, f as f64 - a as f64);
        diff += (df - dg).powi(2);
        norm += dg.powi(2);
    }
    (diff / norm.max(f64::MIN_POSITIVE)).sqrt()
}

/// Every dense layer's kernel and bias, in the fused step's order.
async fn parameters(model: &DenseNet) -> Result<Vec<Vec<f32>>, TrainError> {
    let tensors = parameter_tensors(model);
    let sizes: Vec<usize> = tensors.iter().map(|t| t.dims()[0]).collect();
    let flat = read_many(tensors).await?;
    let mut rest = &flat[..];
    Ok(sizes
        .into_iter()
        .map(|n| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head.to_vec()
        })
        .collect())
}
