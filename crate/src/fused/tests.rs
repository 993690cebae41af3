//! The fused step against the generic one on the native wgpu backend (Vulkan; lavapipe on a
//! machine without a GPU), and the fallback rules.

use std::sync::OnceLock;

use burn::tensor::Device;

use super::agreement::{Agreement, agreement};
use super::*;
use crate::backend::BackendKind;
use crate::data::{Dataset, SyntheticSpec};
use crate::model::{Activation, KernelInit};
use crate::optim::NadamSchedule;

/// Initialized once per process: tests run in parallel, and a device initializes once.
fn wgpu() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            BackendKind::Wgpu.device().expect(
                "a wgpu adapter (scripts/setup installs Mesa's lavapipe on machines without a GPU)",
            )
        })
        .clone()
}

fn data(image_shape: [usize; 3], train: usize) -> Dataset {
    SyntheticSpec {
        image_shape,
        train,
        valid: 64,
        test: 0,
        noise: 32.0,
        ..SyntheticSpec::default()
    }
    .generate()
}

fn model(depth: usize, width: usize, activation: Activation, init: KernelInit) -> ModelConfig {
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

fn check(agreement: &Agreement, loss_tol: f64, change_tol: f64, what: &str) {
    assert!(
        agreement.worst_loss_error() <= loss_tol && agreement.worst_change_error() <= change_tol,
        "{what}: losses {:?}, relative errors per tensor {:?}",
        agreement.losses,
        agreement.change_error
    );
}

/// Summation order is the only difference: a dot product of K float32 terms has a relative
/// error of about √K·2⁻²⁴ (K = 64 inputs: 5e-7), compounded over a few layers of backprop.
#[test]
fn every_activation_gives_the_generic_loss_and_gradients() {
    let device = wgpu();
    let data = data([1, 8, 8], 64);
    for activation in Activation::ALL {
        let model = model(4, 24, activation, KernelInit::HeNormal);
        let got = pollster::block_on(agreement(&data, &model, &gradient_probe(16), &device));
        check(&got.unwrap(), 1e-5, 1e-4, activation.name());
    }
}

/// The exercise's net (20 × 100 on 3,072 inputs) at batch 32: twenty layers of float32
/// reassociation in the backward pass, K up to 3,072 (3.3e-6 per dot product).
#[test]
fn the_exercise_net_gives_the_generic_gradients() {
    let device = wgpu();
    let data = data([3, 32, 32], 64);
    for (activation, init) in [
        (Activation::Elu, KernelInit::HeNormal),
        (Activation::Selu, KernelInit::LecunNormal),
    ] {
        let model = model(20, 100, activation, init);
        let got = pollster::block_on(agreement(&data, &model, &gradient_probe(32), &device));
        check(&got.unwrap(), 1e-5, 1e-3, activation.name());
    }
}

/// Several steps of each optimizer, with a short last batch (50 records at batch 16):
/// the updated parameters agree with the generic path's.
#[test]
fn every_optimizer_updates_as_the_generic_one() {
    let device = wgpu();
    let data = data([1, 8, 8], 50);
    let optimizers = [
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
    ];
    for optimizer in optimizers {
        let train = TrainConfig {
            lr: 1e-2,
            optimizer,
            batch_size: 16,
            readback_every: 4,
            ..TrainConfig::default()
        };
        let model = model(3, 24, Activation::Elu, KernelInit::HeNormal);
        let got = pollster::block_on(agreement(&data, &model, &train, &device)).unwrap();
        check(&got, 1e-4, 1e-3, &optimizer.name());
    }
}

#[test]
fn what_the_fused_step_does_not_compute_falls_back_with_a_reason() {
    let device = wgpu();
    let train = TrainConfig::default();
    let plain = model(20, 100, Activation::Elu, KernelInit::HeNormal);
    assert_eq!(
        support(&plain, &train, &device),
        StepPath::Fused { dispatches: 43 }
    );
    let bn = ModelConfig {
        batch_norm: true,
        ..plain.clone()
    };
    let adam = TrainConfig {
        optimizer: OptimizerConfig::Adam,
        ..train.clone()
    };
    let l1 = TrainConfig {
        l1: 1e-4,
        ..train.clone()
    };
    for (model, train, device, why) in [
        (&bn, &train, &device, "batch norm"),
        (&plain, &adam, &device, "Adam"),
        (&plain, &l1, &device, "L1"),
        (&plain, &train, &Device::flex(), "wgpu"),
    ] {
        match support(model, train, device) {
            StepPath::Generic { reason } => assert!(reason.contains(why), "{reason}"),
            other => panic!("{why}: {other:?}"),
        }
    }
}
