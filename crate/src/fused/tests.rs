//! The fused step against the generic one on the native wgpu backend (Vulkan; lavapipe on a
//! machine without a GPU), and the fallback rules. The browser runs the same cases on WebGPU
//! (`crate/tests/wasm.rs`).

use std::sync::OnceLock;

use burn::tensor::Device;

use super::*;
use crate::backend::BackendKind;
use crate::data::{Dataset, Preprocessing, SyntheticSpec};
use crate::model::{Activation, KernelInit};
use crate::model::{DropoutConfig, DropoutKind, DropoutPlacement};
use crate::optim::OptimizerConfig;
use crate::train::TrainConfig;
use crate::train::fused_checks::agreement::{
    Case, activation_cases, adam_and_l1_cases, edge_cases, exercise_cases, norm_cases,
    optimizer_cases,
};
use crate::train::fused_checks::dropout_cases;

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
fn adam_and_l1_update_as_the_generic_optimizers() {
    check_all(adam_and_l1_cases());
}

fn check(case: impl std::future::Future<Output = Result<(), String>>) {
    pollster::block_on(case).unwrap();
}

#[test]
fn dropout_at_rate_zero_is_no_dropout() {
    check(dropout_cases::rate_zero_is_no_dropout(&wgpu()));
}

#[test]
fn the_kernels_masks_are_the_generators() {
    check(dropout_cases::masks_are_the_generators(&wgpu()));
}

#[test]
fn alpha_dropout_keeps_selu_normalized() {
    check(dropout_cases::alpha_dropout_keeps_selu_normalized(&wgpu()));
}

#[test]
fn with_fixed_masks_dropout_gives_the_direct_gradients() {
    check(dropout_cases::fixed_masks_give_the_direct_gradients(&wgpu()));
}

#[test]
fn mc_dropout_at_rate_zero_is_plain_evaluation() {
    check(dropout_cases::mc_dropout_at_rate_zero_is_evaluation(&wgpu()));
}

#[test]
fn fused_mc_dropout_agrees_with_the_generic_average() {
    check(dropout_cases::mc_dropout_agrees_with_the_generic_average(
        &wgpu(),
    ));
}

#[test]
fn every_variant_runs_fused_on_wgpu_and_generic_elsewhere() {
    let device = wgpu();
    let train = TrainConfig::default();
    // The exercise's net: 2L + 1 dispatches, dropout and all, and 86 with batch norm.
    for (name, dispatches) in [
        ("elu-he", 43),
        ("elu-he-bn", 86),
        ("selu-lecun", 43),
        ("selu-alpha-dropout", 43),
    ] {
        let model = crate::variants::variant(name).unwrap().model;
        assert_eq!(
            support(&model, &train, &device),
            StepPath::Fused { dispatches },
            "{name}"
        );
    }
    let plain = ModelConfig {
        depth: 20,
        width: 100,
        activation: Activation::Elu,
        kernel_init: KernelInit::HeNormal,
        ..ModelConfig::default()
    };
    let every_hidden = ModelConfig {
        dropout: Some(DropoutConfig {
            kind: DropoutKind::Standard,
            rate: 0.5,
            placement: DropoutPlacement::EveryHidden,
        }),
        ..plain.clone()
    };
    let adam_l1 = TrainConfig {
        optimizer: OptimizerConfig::Adam,
        l1: 1e-4,
        ..train.clone()
    };
    assert_eq!(
        support(&every_hidden, &adam_l1, &device),
        StepPath::Fused { dispatches: 43 }
    );
    match support(&plain, &train, &Device::flex()) {
        StepPath::Generic { reason } => assert!(reason.contains("wgpu"), "{reason}"),
        other => panic!("{other:?}"),
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

#[test]
fn shapes_off_the_blocks_give_the_generic_loss_and_gradients() {
    check_all(edge_cases());
}
