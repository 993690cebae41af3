//! The fused step against the generic one on the native wgpu backend (Vulkan; lavapipe on a
//! machine without a GPU), and the fallback rules. The browser runs the same cases on WebGPU
//! (`crate/tests/wasm.rs`).

use std::sync::OnceLock;

use burn::tensor::Device;

use super::agreement::{Case, activation_cases, exercise_cases, norm_cases, optimizer_cases};
use super::*;
use crate::backend::BackendKind;
use crate::data::{Dataset, Preprocessing, SyntheticSpec};
use crate::model::{Activation, KernelInit};
use crate::model::{DropoutConfig, DropoutKind, DropoutPlacement};

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

fn small_data(train: usize) -> Dataset {
    SyntheticSpec {
        image_shape: [1, 8, 8],
        train,
        valid: 64,
        test: 0,
        noise: 32.0,
        ..SyntheticSpec::default()
    }
    .generate()
}

fn small_model() -> ModelConfig {
    ModelConfig {
        depth: 3,
        width: 24,
        ..ModelConfig::default()
    }
}

fn check_all(cases: Vec<Case>) {
    let device = wgpu();
    for case in cases {
        pollster::block_on(case.check(&device)).unwrap();
    }
}

#[test]
fn every_activation_gives_the_generic_loss_and_gradients() {
    check_all(activation_cases());
}

#[test]
fn the_exercise_net_gives_the_generic_gradients() {
    check_all(exercise_cases());
}

#[test]
fn every_optimizer_updates_as_the_generic_one() {
    check_all(optimizer_cases());
}

#[test]
fn batch_norm_gives_the_generic_gradients_and_updates() {
    check_all(norm_cases());
}

#[test]
fn what_the_fused_step_does_not_compute_falls_back_with_a_reason() {
    let device = wgpu();
    let train = TrainConfig::default();
    let plain = ModelConfig {
        depth: 20,
        width: 100,
        activation: Activation::Elu,
        kernel_init: KernelInit::HeNormal,
        ..ModelConfig::default()
    };
    assert_eq!(
        support(&plain, &train, &device),
        StepPath::Fused { dispatches: 43 }
    );
    let bn = ModelConfig {
        batch_norm: true,
        input_batch_norm: true,
        ..plain.clone()
    };
    assert_eq!(
        support(&bn, &train, &device),
        StepPath::Fused { dispatches: 86 }
    );
    let dropout = ModelConfig {
        dropout: Some(DropoutConfig {
            kind: DropoutKind::Alpha,
            rate: 0.1,
            placement: DropoutPlacement::BeforeOutput,
        }),
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
        (&dropout, &train, &device, "dropout"),
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

/// An LR sweep on the fused step gives the generic sweep's losses, and leaves the weights as
/// they were.
#[test]
fn an_lr_sweep_on_the_fused_step_gives_the_generic_losses() {
    use crate::train::{LrSweepConfig, Trainer};
    let device = wgpu();
    let (data, model) = (small_data(256), small_model());
    let sweep = LrSweepConfig {
        min_lr: 1e-4,
        max_lr: 1e-1,
        steps: 20,
    };
    let run = |fused| {
        let train = TrainConfig {
            batch_size: 16,
            readback_every: 8,
            fused,
            ..TrainConfig::default()
        };
        let mut trainer =
            Trainer::new(&data, &model, &train, Preprocessing::Standardize, &device).unwrap();
        let weights = |t: &Trainer| pollster::block_on(crate::weights::read_tensors(t.model()));
        let before = weights(&trainer).unwrap();
        let result = pollster::block_on(trainer.find_lr(&data, &sweep)).unwrap();
        let after = weights(&trainer).unwrap();
        assert_eq!(before, after, "the weights are restored (fused: {fused})");
        result.losses
    };
    let (generic, fused) = (run(false), run(true));
    assert_eq!(generic.len(), 20);
    for (g, f) in generic.iter().zip(&fused) {
        assert!(((g - f) / g).abs() < 1e-4, "{generic:?} against {fused:?}");
    }
}

/// A probe after fused steps measures the last step's update-to-weight ratios as one after
/// generic steps does.
#[test]
fn probes_after_fused_steps_carry_the_generic_update_ratios() {
    use crate::train::{TrainEvent, Trainer};
    let device = wgpu();
    let (data, model) = (small_data(128), small_model());
    let ratios = |fused| {
        let train = TrainConfig {
            lr: 1e-2,
            batch_size: 16,
            readback_every: 3,
            probe_every: 3,
            fused,
            ..TrainConfig::default()
        };
        let mut trainer =
            Trainer::new(&data, &model, &train, Preprocessing::Standardize, &device).unwrap();
        // The probe before the first step, a chunk of three steps, then the probe after it.
        for _ in 0..2 {
            pollster::block_on(trainer.advance(&data)).unwrap();
        }
        match pollster::block_on(trainer.advance(&data)).unwrap() {
            TrainEvent::Probed { probe } => probe.stats.update_ratio.expect("a step preceded it"),
            other => panic!("expected the probe after the chunk, got {other:?}"),
        }
    };
    let (generic, fused) = (ratios(false), ratios(true));
    assert_eq!(generic.len(), 3);
    for (g, f) in generic.iter().zip(&fused) {
        assert!(((g - f) / g).abs() < 1e-3, "{generic:?} against {fused:?}");
    }
}
