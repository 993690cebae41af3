//! wasm tests, run in headless Chromium on its WebGPU adapter (SwiftShader here, a real GPU
//! elsewhere) by `scripts/test`: the browser code path, with async readbacks only.
#![cfg(target_family = "wasm")]

use burn::tensor::{Device, Distribution, Int, Tensor};
use selfnorm::data::{Dataset, Preprocessing, SplitKind, SyntheticSpec};
use selfnorm::model::activation_check::{INPUTS, check_every_activation, cycled};
use selfnorm::model::{Activation, DenseNet, KernelInit, Mode, ModelConfig};
use selfnorm::readback::read_floats;
use selfnorm::train::fused_checks::agreement::{
    activation_cases, adam_and_l1_cases, edge_cases, exercise_cases, norm_cases, optimizer_cases,
};
use selfnorm::train::fused_checks::dropout_cases;
use selfnorm::train::{StopReason, TrainConfig, Trainer, fit};
use selfnorm::variants::variant;
use selfnorm::web::webgpu_device;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

async fn webgpu() -> Device {
    webgpu_device()
        .await
        .expect("the browser exposes a WebGPU adapter")
}

fn tiny_data() -> Dataset {
    SyntheticSpec {
        image_shape: [1, 8, 8],
        train: 256,
        valid: 64,
        test: 64,
        noise: 32.0,
        ..SyntheticSpec::default()
    }
    .generate()
}

fn tiny_model() -> ModelConfig {
    ModelConfig {
        depth: 2,
        width: 16,
        ..ModelConfig::default()
    }
}

/// Trains two epochs through the run's state machine (as the worker does) and returns the
/// validation loss before and after.
async fn loss_before_and_after(device: &Device) -> (f64, f64) {
    let data = tiny_data();
    let config = TrainConfig {
        lr: 3e-3,
        max_epochs: 2,
        readback_every: 8,
        probe_every: 0,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(
        &data,
        &tiny_model(),
        &config,
        Preprocessing::Standardize,
        device,
    )
    .unwrap();
    let before = trainer
        .evaluate(&data, SplitKind::Valid)
        .await
        .unwrap()
        .loss;
    let report = fit(&mut trainer, &data, &mut |_| {}).await.unwrap();
    assert_eq!(report.stop, StopReason::MaxEpochs);
    (
        before,
        report
            .valid
            .expect("the restored weights are evaluated")
            .loss,
    )
}

/// Every activation's value and derivative against its formula for inputs across ±1e4 (ELU and
/// SELU gave NaN gradients past x ≈ 88), on tensors of 21·n elements that put each input in
/// every lane position of a vectorized kernel.
async fn activations_match_their_formulas(device: &Device) {
    let tensors: Vec<Vec<f32>> = [1, 7, 8, 64, 100_000]
        .into_iter()
        .map(|n| (0..INPUTS.len()).flat_map(|s| cycled(n, s)).collect())
        .collect();
    check_every_activation(&tensors, device).await.unwrap();
}

#[wasm_bindgen_test]
async fn activations_and_their_gradients_match_their_formulas_on_webgpu() {
    activations_match_their_formulas(&webgpu().await).await;
}

#[wasm_bindgen_test]
async fn activations_and_their_gradients_match_their_formulas_on_the_cpu_fallback() {
    activations_match_their_formulas(&Device::flex()).await;
}

#[wasm_bindgen_test]
async fn webgpu_device_initializes_and_computes() {
    let device = webgpu().await;
    let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
    let y = read_floats(x.clone() * x).await.unwrap();
    assert_eq!(y, vec![1.0, 4.0, 9.0]);
}

#[wasm_bindgen_test]
async fn training_on_webgpu_lowers_the_loss() {
    let (before, after) = loss_before_and_after(&webgpu().await).await;
    assert!(after < 0.7 * before, "validation loss {before} → {after}");
}

#[wasm_bindgen_test]
async fn the_cpu_fallback_trains_too() {
    let (before, after) = loss_before_and_after(&Device::flex()).await;
    assert!(after < 0.7 * before, "validation loss {before} → {after}");
}

#[wasm_bindgen_test]
async fn layer_statistics_come_back_in_shape_and_selu_starts_normalized() {
    let device = webgpu().await.autodiff();
    device.seed(3);
    let config = ModelConfig {
        input_dim: 64,
        depth: 8,
        width: 64,
        activation: Activation::Selu,
        kernel_init: KernelInit::LecunNormal,
        ..ModelConfig::default()
    };
    let net = DenseNet::new(&config, 1, &device).unwrap();
    let x = Tensor::<2>::random([256, 64], Distribution::Normal(0.0, 1.0), &device);
    let y = Tensor::<1, Int>::zeros([256], &device);
    let stats = selfnorm::stats::probe(&net, x, y, None).await.unwrap();
    assert_eq!(stats.layers(), 8);
    assert_eq!(stats.update_ratio, None);
    for counts in &stats.histograms.counts {
        assert_eq!(counts.iter().sum::<u32>(), 256 * 64, "one count per value");
    }
    assert_eq!(stats.grad_norm.len(), 8);
    for (mean, std) in stats.act_mean.iter().zip(&stats.act_std) {
        assert!(
            mean.abs() < 0.15 && (0.8..1.2).contains(std),
            "mean {mean}, std {std}"
        );
    }
    assert!(stats.grad_norm.iter().all(|g| g.is_finite() && *g > 0.0));
}

/// The preview (two probes, one readback) on WebGPU equals the CPU backend's: same weights and
/// inputs, so the same statistics up to float rounding, and the same histograms up to a value
/// or two that rounding moves across a bin edge.
#[wasm_bindgen_test]
async fn the_preview_on_webgpu_equals_the_cpu_backend() {
    let data = tiny_data();
    let model = ModelConfig {
        depth: 6,
        width: 32,
        activation: Activation::Tanh,
        ..ModelConfig::default()
    };
    let train = TrainConfig::default();
    let run = |device: Device| {
        let (data, model, train) = (&data, &model, &train);
        async move {
            selfnorm::preview::preview(data, model, train, Preprocessing::Standardize, &device)
                .await
                .unwrap()
        }
    };
    let gpu = run(webgpu().await).await;
    let cpu = run(Device::flex()).await;
    assert_eq!(gpu.samples, 64);
    for (g, c) in [(&gpu.real, &cpu.real), (&gpu.gaussian, &cpu.gaussian)] {
        for (column_g, column_c) in [(&g.act_std, &c.act_std), (&g.grad_norm, &c.grad_norm)] {
            for (a, b) in column_g.iter().zip(column_c) {
                assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-6), "{a} vs {b}");
            }
        }
        for (hg, hc) in g.histograms.counts.iter().zip(&c.histograms.counts) {
            assert_eq!(hg.iter().sum::<u32>(), 64 * 32);
            assert!(
                hg.iter().zip(hc).all(|(a, b)| a.abs_diff(*b) <= 2),
                "{hg:?} vs {hc:?}"
            );
        }
    }
}

#[wasm_bindgen_test]
async fn mc_dropout_varies_while_eval_is_deterministic_on_webgpu() {
    let device = webgpu().await;
    device.seed(9);
    let model = ModelConfig {
        input_dim: 64,
        depth: 2,
        width: 32,
        ..variant("selu-alpha-dropout").unwrap().model
    };
    let net = DenseNet::new(&model, 4, &device).unwrap();
    let x = Tensor::<2>::random([16, 64], Distribution::Normal(0.0, 1.0), &device);
    let pass = |mode| read_floats(net.forward(x.clone(), mode));
    let (e1, e2) = (
        pass(Mode::Eval).await.unwrap(),
        pass(Mode::Eval).await.unwrap(),
    );
    assert_eq!(e1, e2);
    let (m1, m2) = (pass(Mode::Mc).await.unwrap(), pass(Mode::Mc).await.unwrap());
    assert_ne!(m1, m2);
    assert_ne!(m1, e1);
}

/// The fused step against the generic one on WebGPU: the native tests' cases (see
/// `selfnorm::train::fused_checks::agreement`), on the browser's adapter.
#[wasm_bindgen_test]
async fn the_fused_step_agrees_with_the_generic_one_on_webgpu() {
    let device = webgpu().await;
    let cases = [
        activation_cases(),
        exercise_cases(),
        optimizer_cases(),
        norm_cases(),
        adam_and_l1_cases(),
        edge_cases(),
    ];
    for case in cases.into_iter().flatten() {
        case.check(&device).await.unwrap();
    }
}

/// Dropout, alpha dropout and MC Dropout on the fused step on WebGPU: the native tests' checks
/// (see `selfnorm::train::fused_checks::dropout_cases`), on the browser's adapter.
#[wasm_bindgen_test]
async fn fused_dropout_is_right_on_webgpu() {
    let device = webgpu().await;
    dropout_cases::rate_zero_is_no_dropout(&device)
        .await
        .unwrap();
    dropout_cases::masks_are_the_generators(&device)
        .await
        .unwrap();
    dropout_cases::alpha_dropout_keeps_selu_normalized(&device)
        .await
        .unwrap();
    dropout_cases::fixed_masks_give_the_direct_gradients(&device)
        .await
        .unwrap();
    dropout_cases::mc_dropout_at_rate_zero_is_evaluation(&device)
        .await
        .unwrap();
    dropout_cases::mc_dropout_agrees_with_the_generic_average(&device)
        .await
        .unwrap();
}
