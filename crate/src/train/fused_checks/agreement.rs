//! The fused step against the generic one: the same run configured twice, one chunk of steps
//! each from the same weights on the same batches, then every parameter tensor compared.
//! Shared by the native tests (wgpu) and the browser's (WebGPU).

use burn::tensor::Device;

use crate::data::{Dataset, Preprocessing, SyntheticSpec};
use crate::error::TrainError;
use crate::fused::StepPath;
use crate::model::{Activation, DenseNet, KernelInit, ModelConfig};
use crate::optim::{NadamSchedule, OptimizerConfig};
use crate::train::{TrainConfig, Trainer};
use crate::weights;

/// How far apart the two paths ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// The chunk's mean loss, generic then fused.
    pub losses: Vec<(f32, f32)>,
    /// Per float tensor of the model (in its visiting order: kernel, bias, then batch norm's γ, β,
    /// running mean and variance, input side first): ‖Δ_fused − Δ_generic‖ / ‖Δ_generic‖ (with
    /// a floor, see [`change_errors`]), where Δ is the tensor's change over the chunk. With
    /// plain SGD at a rate of 2²⁰ one step's Δ is −2²⁰·gradient, so this is the gradients'
    /// relative error.
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
    // A snapshot, for batch norm's running averages: the generic model's last update to them
    // is pending until read with a sync, which the snapshot does.
    let g = parameters(&generic.model().snapshot()).await?;
    let f = parameters(fused.model()).await?;
    let change_error = change_errors(&before, &g, &f);
    Ok(Agreement {
        losses: losses[0]
            .iter()
            .zip(&losses[1])
            .map(|(a, b)| (a.loss, b.loss))
            .collect(),
        change_error,
    })
}

/// ‖Δ_fused − Δ_generic‖ / ‖Δ_generic‖ per tensor, where a tensor that changed by less than 1 %
/// of the model's largest per-element (RMS) change is judged against that 1 % instead: some
/// gradients are zero but for rounding (a dense bias before batch norm, whose mean the norm
/// removes; the input norm's β), and their relative error measures only the rounding.
pub(super) fn change_errors(
    before: &[Vec<f32>],
    generic: &[Vec<f32>],
    fused: &[Vec<f32>],
) -> Vec<f64> {
    let sums: Vec<(f64, f64, usize)> = before
        .iter()
        .zip(generic.iter().zip(fused))
        .map(|(w0, (wg, wf))| {
            let (mut diff, mut norm) = (0.0f64, 0.0f64);
            for ((&a, &g), &f) in w0.iter().zip(wg).zip(wf) {
                let (dg, df) = (g as f64 - a as f64, f as f64 - a as f64);
                diff += (df - dg).powi(2);
                norm += dg.powi(2);
            }
            (diff, norm, w0.len().max(1))
        })
        .collect();
    let largest_rms = sums
        .iter()
        .map(|&(_, norm, n)| (norm / n as f64).sqrt())
        .fold(0.0, f64::max);
    sums.into_iter()
        .map(|(diff, norm, n)| {
            let floor = 0.01 * largest_rms * (n as f64).sqrt();
            diff.sqrt() / norm.sqrt().max(floor).max(f64::MIN_POSITIVE)
        })
        .collect()
}

/// Every float tensor of the model (parameters and batch norm's running averages), in its
/// visiting order.
async fn parameters(model: &DenseNet) -> Result<Vec<Vec<f32>>, TrainError> {
    let tensors = weights::read_tensors(model).await?;
    Ok(tensors.into_iter().map(|(_, values)| values).collect())
}

/// A configuration the fused step must agree with the generic one on, and how closely.
pub struct Case {
    pub name: String,
    /// Synthetic images of this shape, and how many train records (the chunk's batches).
    pub image_shape: [usize; 3],
    pub records: usize,
    pub model: ModelConfig,
    pub train: TrainConfig,
    /// Bounds on the chunk's mean loss's and the parameters' relative errors.
    pub loss_tolerance: f64,
    pub change_tolerance: f64,
}

impl Case {
    /// Runs the case on `device`; an error says by how much it missed.
    pub async fn check(&self, device: &Device) -> Result<Agreement, String> {
        let data = SyntheticSpec {
            image_shape: self.image_shape,
            train: self.records,
            valid: 64,
            test: 0,
            noise: 32.0,
            ..SyntheticSpec::default()
        }
        .generate();
        let got = agreement(&data, &self.model, &self.train, device)
            .await
            .map_err(|e| format!("{}: {e}", self.name))?;
        if got.worst_loss_error() <= self.loss_tolerance
            && got.worst_change_error() <= self.change_tolerance
        {
            return Ok(got);
        }
        Err(format!(
            "{}: losses {:?}, relative errors per tensor {:?}",
            self.name, got.losses, got.change_error
        ))
    }
}

fn net(depth: usize, width: usize, activation: Activation, init: KernelInit) -> ModelConfig {
    ModelConfig {
        depth,
        width,
        activation,
        kernel_init: init,
        ..ModelConfig::default()
    }
}

/// Plain SGD at a rate of 2²⁰ (exact in f32): one step moves each weight by −2²⁰·g, which
/// dwarfs the weight, so the change is the gradient to f32 precision.
fn gradient_probe(batch: usize) -> TrainConfig {
    TrainConfig {
        lr: (1u64 << 20) as f64,
        optimizer: OptimizerConfig::Sgd {
            momentum: 0.0,
            nesterov: false,
        },
        batch_size: batch,
        readback_every: 1,
        ..TrainConfig::default()
    }
}

/// Every activation's loss and gradients on a small net. Summation order is the only
/// difference: a dot product of K float32 terms is off by about √K·2⁻²⁴ relative (K = 64:
/// 5e-7), compounded over four layers of backprop.
pub fn activation_cases() -> Vec<Case> {
    Activation::ALL
        .into_iter()
        .map(|activation| Case {
            name: format!("gradients, {}", activation.name()),
            image_shape: [1, 8, 8],
            records: 64,
            model: net(4, 24, activation, KernelInit::HeNormal),
            train: gradient_probe(16),
            loss_tolerance: 1e-5,
            change_tolerance: 1e-4,
        })
        .collect()
}

/// The exercise's net (20 × 100 on 3,072 inputs) at batch 32: K up to 3,072 (3.3e-6 per dot
/// product) and twenty layers of backprop.
pub fn exercise_cases() -> Vec<Case> {
    [
        (Activation::Elu, KernelInit::HeNormal),
        (Activation::Selu, KernelInit::LecunNormal),
    ]
    .into_iter()
    .map(|(activation, init)| Case {
        name: format!("gradients, 20 × 100 {}", activation.name()),
        image_shape: [3, 32, 32],
        records: 64,
        model: net(20, 100, activation, init),
        train: gradient_probe(32),
        loss_tolerance: 1e-5,
        change_tolerance: 1e-3,
    })
    .collect()
}

/// Four steps of each optimizer (three full batches of 16 and a short one of 2): the updated
/// parameters agree to the gradients' precision.
pub fn optimizer_cases() -> Vec<Case> {
    [
        OptimizerConfig::Nadam {
            momentum_schedule: NadamSchedule::Legacy,
        },
        OptimizerConfig::Nadam {
            momentum_schedule: NadamSchedule::Keras3,
        },
        OptimizerConfig::Sgd {
            momentum: 0.9,
            nesterov: false,
        },
        OptimizerConfig::Sgd {
            momentum: 0.9,
            nesterov: true,
        },
    ]
    .into_iter()
    .map(|optimizer| Case {
        name: format!("updates, {}", optimizer.name()),
        image_shape: [1, 8, 8],
        records: 50,
        model: net(3, 24, Activation::Elu, KernelInit::HeNormal),
        train: TrainConfig {
            lr: 1e-2,
            optimizer,
            batch_size: 16,
            readback_every: 4,
            ..TrainConfig::default()
        },
        loss_tolerance: 1e-4,
        change_tolerance: 1e-3,
    })
    .collect()
}

/// Adam (Burn's, with Keras's ε) over four steps, and L1: its gradient term alone on the
/// gradient probe (λ·sign(w) at a rate of 2²⁰ dwarfs nothing: the data term is of the same
/// size at λ = 10⁻³), and four Nadam steps with it. The losses include the L1 term, which the
/// fused step sums when they are read back.
pub fn adam_and_l1_cases() -> Vec<Case> {
    let small = || net(3, 24, Activation::Elu, KernelInit::HeNormal);
    let steps = |optimizer, l1| TrainConfig {
        lr: 1e-2,
        optimizer,
        l1,
        batch_size: 16,
        readback_every: 4,
        ..TrainConfig::default()
    };
    let nadam = OptimizerConfig::Nadam {
        momentum_schedule: NadamSchedule::Legacy,
    };
    vec![
        Case {
            name: "updates, adam".into(),
            image_shape: [1, 8, 8],
            records: 50,
            model: small(),
            train: steps(OptimizerConfig::Adam, 0.0),
            loss_tolerance: 1e-4,
            change_tolerance: 1e-3,
        },
        Case {
            name: "gradients, l1".into(),
            image_shape: [1, 8, 8],
            records: 64,
            model: small(),
            train: TrainConfig {
                l1: 1e-3,
                ..gradient_probe(16)
            },
            loss_tolerance: 1e-5,
            change_tolerance: 1e-4,
        },
        Case {
            name: "updates, nadam with l1".into(),
            image_shape: [1, 8, 8],
            records: 50,
            model: small(),
            train: steps(nadam, 1e-4),
            loss_tolerance: 1e-4,
            change_tolerance: 1e-3,
        },
    ]
}

/// Batch norm (of the inputs and after every hidden Dense, as the exercise's `elu-he-bn`): the
/// gradients on a small net and on the exercise's net at batch 32, and four steps of SGD with
/// momentum. Batch norm's backward pass subtracts sums of the batch (n·dY − Σ dY − x̂·Σ dY·x̂),
/// which loses relative precision where they nearly cancel: the bounds are a decade looser.
/// Not Nadam here: the gradient of a dense bias before batch norm (and of the input norm's β)
/// is zero but for rounding, and Nadam divides it by its own magnitude, so each path moves
/// those biases by ±lr with the sign of its own rounding. The optimizer cases above check Nadam.
pub fn norm_cases() -> Vec<Case> {
    let with_norm = |depth, width| ModelConfig {
        batch_norm: true,
        input_batch_norm: true,
        ..net(depth, width, Activation::Elu, KernelInit::HeNormal)
    };
    vec![
        Case {
            name: "gradients, batch norm".into(),
            image_shape: [1, 8, 8],
            records: 64,
            model: with_norm(4, 24),
            train: gradient_probe(16),
            loss_tolerance: 1e-5,
            change_tolerance: 1e-3,
        },
        Case {
            name: "gradients, 20 × 100 with batch norm".into(),
            image_shape: [3, 32, 32],
            records: 64,
            model: with_norm(20, 100),
            train: gradient_probe(32),
            loss_tolerance: 1e-5,
            change_tolerance: 1e-2,
        },
        Case {
            name: "updates, sgd with momentum and batch norm".into(),
            image_shape: [1, 8, 8],
            records: 50,
            model: with_norm(3, 24),
            train: TrainConfig {
                lr: 1e-2,
                optimizer: OptimizerConfig::Sgd {
                    momentum: 0.9,
                    nesterov: false,
                },
                batch_size: 16,
                readback_every: 4,
                ..TrainConfig::default()
            },
            loss_tolerance: 1e-4,
            change_tolerance: 1e-2,
        },
    ]
}

/// Shapes the form accepts that are not multiples of the kernels' 4 × 4 register blocks, so
/// that the blocks' edge code runs in every kernel: 3 × 37 units on 50 inputs, a net one unit
/// wide, a batch of 30 (and the 10-class output, which no case aligns); gradients, then four
/// Nadam steps on the odd shapes.
pub fn edge_cases() -> Vec<Case> {
    let odd = || net(3, 37, Activation::Elu, KernelInit::HeNormal);
    vec![
        Case {
            name: "gradients, 3 × 37 on 50 inputs".into(),
            image_shape: [2, 5, 5],
            records: 64,
            model: odd(),
            train: gradient_probe(16),
            loss_tolerance: 1e-5,
            change_tolerance: 1e-4,
        },
        Case {
            name: "gradients, width 1".into(),
            image_shape: [1, 8, 8],
            records: 64,
            model: net(3, 1, Activation::Elu, KernelInit::HeNormal),
            train: gradient_probe(16),
            loss_tolerance: 1e-5,
            change_tolerance: 1e-4,
        },
        Case {
            name: "gradients, batch 30".into(),
            image_shape: [1, 8, 8],
            records: 64,
            model: net(4, 24, Activation::Selu, KernelInit::LecunNormal),
            train: gradient_probe(30),
            loss_tolerance: 1e-5,
            change_tolerance: 1e-4,
        },
        Case {
            name: "updates, nadam, 3 × 37 on 50 inputs, batch 30".into(),
            image_shape: [2, 5, 5],
            records: 100,
            model: odd(),
            train: TrainConfig {
                lr: 1e-2,
                batch_size: 30,
                readback_every: 4,
                ..TrainConfig::default()
            },
            loss_tolerance: 1e-4,
            change_tolerance: 1e-3,
        },
    ]
}
