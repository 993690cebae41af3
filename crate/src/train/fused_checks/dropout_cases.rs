//! Dropout on the fused step, checked against what it must be: the kernels' masks against the
//! host's copy of the generator (and its statistics), alpha dropout's moments, rate 0 against
//! no dropout, and one step's loss and gradients with the masks fixed against Burn's autodiff
//! through the same masks. Shared by the native tests (wgpu) and the browser's (WebGPU).
//!
//! The shapes are not multiples of the kernels' blocks (widths 37, batches of 30), so the
//! edges' code runs.

use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::{Normalizer, Preprocessing, SplitKind, SyntheticSpec};
use crate::fused::FusedStep;
use crate::fused::masks::{self, MaskedDropout};
use crate::model::{
    Activation, DenseNet, DropoutConfig, DropoutKind, DropoutPlacement, KernelInit, Mode,
    ModelConfig,
};
use crate::optim::OptimizerConfig;
use crate::rng::Rng;
use crate::train::loss::cross_entropy;
use crate::train::{TrainConfig, Trainer};
use crate::weights;

fn net(depth: usize, width: usize, activation: Activation, input_dim: usize) -> ModelConfig {
    let kernel_init = match activation {
        Activation::Selu => KernelInit::LecunNormal,
        _ => KernelInit::HeNormal,
    };
    ModelConfig {
        input_dim,
        depth,
        width,
        activation,
        kernel_init,
        ..ModelConfig::default()
    }
}

fn with_dropout(
    model: ModelConfig,
    kind: DropoutKind,
    rate: f64,
    placement: DropoutPlacement,
) -> ModelConfig {
    ModelConfig {
        dropout: Some(DropoutConfig {
            kind,
            rate,
            placement,
        }),
        ..model
    }
}

fn normal_inputs(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::fork(seed, 17);
    (0..n).map(|_| rng.normal() as f32).collect()
}

/// Every kind at every placement, with and without batch norm, for the rate-0 and the
/// fixed-mask cases.
fn placements() -> Vec<(DropoutKind, DropoutPlacement, bool)> {
    vec![
        (DropoutKind::Standard, DropoutPlacement::EveryHidden, false),
        (DropoutKind::Standard, DropoutPlacement::BeforeOutput, true),
        (DropoutKind::Alpha, DropoutPlacement::BeforeOutput, false),
        (DropoutKind::Alpha, DropoutPlacement::EveryHidden, true),
    ]
}

/// At rate 0 the masks keep every unit and the map is the identity, so three Nadam steps with
/// dropout must give, bit for bit, the parameters and losses of three without.
pub async fn rate_zero_is_no_dropout(device: &Device) -> Result<(), String> {
    let data = small_data(30);
    let train = TrainConfig {
        lr: 1e-2,
        batch_size: 30,
        readback_every: 3,
        fused: true,
        ..TrainConfig::default()
    };
    for (kind, placement, batch_norm) in placements() {
        let plain = ModelConfig {
            batch_norm,
            ..net(3, 37, Activation::Selu, 36)
        };
        let dropped = with_dropout(plain.clone(), kind, 0.0, placement);
        let mut results = Vec::new();
        for model in [&plain, &dropped] {
            let mut t = Trainer::new(&data, model, &train, Preprocessing::Standardize, device)
                .map_err(|e| e.to_string())?;
            t.train_chunk(&data).await.map_err(|e| e.to_string())?;
            t.sync_model().await.map_err(|e| e.to_string())?;
            let losses: Vec<f32> = t.history().steps.iter().map(|s| s.loss).collect();
            let params = weights::read_tensors(t.model())
                .await
                .map_err(|e| e.to_string())?;
            results.push((losses, params));
        }
        if results[0] != results[1] {
            return Err(format!(
                "{kind:?} {placement:?} (batch norm {batch_norm}) at rate 0: losses {:?} against {:?}",
                results[0].0, results[1].0
            ));
        }
    }
    Ok(())
}

/// The kernels' masks over ≥ 10⁶ units: each equals the host generator's, the fraction kept is
/// within 4σ of 1 − p, and masks of another draw, another layer or another seed differ where
/// independent masks would (a fraction 2p(1 − p) of units, within 4σ), while the same seed
/// and draw repeat exactly.
pub async fn masks_are_the_generators(device: &Device) -> Result<(), String> {
    let (rate, rows, width, depth) = (0.3, 1000, 101, 4);
    let model = with_dropout(
        net(depth, width, Activation::Elu, 36),
        DropoutKind::Standard,
        rate,
        DropoutPlacement::EveryHidden,
    );
    let inputs = normal_inputs(rows * 36, 5);
    // Dropped units are exactly 0 (ELU's output is 0 only at 0, which these inputs miss).
    let masks_of = |seed: u64| {
        let (model, inputs) = (model.clone(), inputs.clone());
        async move {
            let step = fused_step(&model, seed, rows, device).await?;
            let mut step = step;
            let mut draws = Vec::new();
            for _ in 0..3 {
                let (draw, outputs) = step
                    .hidden_outputs(inputs.clone(), rows)
                    .await
                    .map_err(|e| e.to_string())?;
                let kept: Vec<Vec<bool>> = outputs
                    .iter()
                    .map(|o| o.iter().map(|&v| v != 0.0).collect())
                    .collect();
                draws.push((draw, kept));
            }
            Ok::<_, String>(draws)
        }
    };
    let (seed, other_seed) = (21, 22);
    let draws = masks_of(seed).await?;
    let threshold = MaskedDropout::new(model.dropout.as_ref().expect("dropout")).threshold;
    let (mut units, mut kept) = (0usize, 0usize);
    for (draw, layers) in &draws {
        for (l, mask) in layers.iter().enumerate() {
            let keys = masks::keys(seed, *draw, l);
            for (i, &k) in mask.iter().enumerate() {
                if k != masks::kept(keys, i as u32, threshold) {
                    return Err(format!("draw {draw}, layer {l}, unit {i}: kernel kept {k}"));
                }
            }
            units += mask.len();
            kept += mask.iter().filter(|&&k| k).count();
        }
    }
    let q = 1.0 - rate;
    let sigma = (q * rate / units as f64).sqrt();
    let fraction = kept as f64 / units as f64;
    if units < 1_000_000 || (fraction - q).abs() > 4.0 * sigma {
        return Err(format!(
            "kept {fraction} of {units} units, expected {q} ± 4·{sigma}"
        ));
    }
    let again = masks_of(seed).await?;
    if again != draws {
        return Err("the same seed and draws gave other masks".into());
    }
    let other = masks_of(other_seed).await?;
    let pairs = [
        ("draws", &draws[0].1[0], &draws[1].1[0]),
        ("layers", &draws[0].1[0], &draws[0].1[1]),
        ("seeds", &draws[0].1[0], &other[0].1[0]),
    ];
    for (what, a, b) in pairs {
        let n = a.len() as f64;
        let differ = a.iter().zip(b).filter(|(x, y)| x != y).count() as f64 / n;
        let expected = 2.0 * q * rate;
        let sigma = (expected * (1.0 - expected) / n).sqrt();
        if (differ - expected).abs() > 4.0 * sigma {
            return Err(format!(
                "masks of two {what} differ at {differ} of units, expected {expected} ± 4·{sigma}"
            ));
        }
    }
    Ok(())
}

/// A fused step (plain SGD, so nothing but the forward passes matters) for `model` seeded
/// `seed`, at batch `rows`.
async fn fused_step(
    model: &ModelConfig,
    seed: u64,
    rows: usize,
    device: &Device,
) -> Result<FusedStep, String> {
    let train = TrainConfig {
        seed,
        batch_size: rows,
        optimizer: OptimizerConfig::Sgd {
            momentum: 0.0,
            nesterov: false,
        },
        ..TrainConfig::default()
    };
    let ad = device.clone().autodiff();
    let net = DenseNet::new(model, seed, &ad).map_err(|e| e.to_string())?;
    FusedStep::new(&net, model, &train, &ad)
        .await
        .map_err(|e| e.to_string())
}

/// Alpha dropout after SELU keeps a self-normalized layer's mean 0 and variance 1. A hidden
/// layer with an identity kernel and no bias sees N(0, 1) inputs as its pre-activations, whose
/// SELU outputs have mean 0 and variance 1 (SELU's fixed point); after alpha dropout (i.i.d.
/// masks, `a` and `b` chosen for it) the n outputs' population mean is 0 and variance 1, so
/// their sample mean lies within 4·√(m₂/n) of 0 and their sample variance within
/// 4·√((m₄ − m₂²)/n) of 1, with m₂ and m₄ the sample's central moments.
pub async fn alpha_dropout_keeps_selu_normalized(device: &Device) -> Result<(), String> {
    let (width, rows) = (100, 1000);
    for rate in [0.1, 0.5] {
        let model = with_dropout(
            net(1, width, Activation::Selu, width),
            DropoutKind::Alpha,
            rate,
            DropoutPlacement::EveryHidden,
        );
        let mut step = fused_step(&model, 3, rows, device).await?;
        let ad = device.clone().autodiff();
        let identity = identity_first_kernel(&model, &ad).await?;
        step.load(&identity).await.map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for draw in 0..3 {
            let inputs = normal_inputs(rows * width, 100 + draw);
            let (_, outputs) = step
                .hidden_outputs(inputs, rows)
                .await
                .map_err(|e| e.to_string())?;
            out.extend(outputs.concat().into_iter().map(f64::from));
        }
        let n = out.len() as f64;
        let mean = out.iter().sum::<f64>() / n;
        let m2 = out.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let m4 = out.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
        let (mean_bound, var_bound) = (4.0 * (m2 / n).sqrt(), 4.0 * ((m4 - m2 * m2) / n).sqrt());
        if mean.abs() > mean_bound || (m2 - 1.0).abs() > var_bound {
            return Err(format!(
                "rate {rate}: mean {mean} (bound {mean_bound}), variance {m2} (bound 1 ± {var_bound})"
            ));
        }
    }
    Ok(())
}

/// `config`'s net with its first kernel the identity and its first bias 0.
async fn identity_first_kernel(config: &ModelConfig, device: &Device) -> Result<DenseNet, String> {
    let model = DenseNet::new(config, 0, device).map_err(|e| e.to_string())?;
    let mut tensors = weights::read_tensors(&model)
        .await
        .map_err(|e| e.to_string())?;
    let d = config.input_dim;
    tensors[0].1 = (0..d * d)
        .map(|i| if i / d == i % d { 1.0 } else { 0.0 })
        .collect();
    tensors[1].1.fill(0.0);
    Ok(weights::load(model, tensors.into_iter()))
}

/// How far one fused step ended from Burn's autodiff through the same masks.
#[derive(Clone, Debug)]
pub struct MaskedAgreement {
    pub loss: (f32, f32),
    /// Per float tensor, as [`super::agreement::Agreement::change_error`].
    pub change_error: Vec<f64>,
}

/// One step of plain SGD at a rate of 2²⁰ (see `agreement::gradient_probe`) on a batch of 30,
/// fused, and by Burn's autodiff with the masks the kernels drew (from [`masks`] on the
/// host): the loss's and the gradients' relative errors, bounded as the agreement cases'
/// (1e-5 and 1e-4; with batch norm 1e-3).
pub async fn fixed_masks_give_the_direct_gradients(device: &Device) -> Result<(), String> {
    for (kind, placement, batch_norm) in placements() {
        let model = ModelConfig {
            batch_norm,
            ..with_dropout(net(3, 37, Activation::Selu, 36), kind, 0.3, placement)
        };
        let got = masked_agreement(&model, device).await?;
        let change_bound = if batch_norm { 1e-3 } else { 1e-4 };
        let (g, f) = got.loss;
        let loss_error = ((g - f) / g).abs() as f64;
        let worst = got.change_error.iter().cloned().fold(0.0, f64::max);
        if loss_error > 1e-5 || worst > change_bound {
            return Err(format!(
                "{kind:?} {placement:?} (batch norm {batch_norm}): {got:?}"
            ));
        }
    }
    Ok(())
}

async fn masked_agreement(model: &ModelConfig, device: &Device) -> Result<MaskedAgreement, String> {
    let (rows, seed, lr) = (30, 7, (1u64 << 20) as f64);
    let err = |e: crate::TrainError| e.to_string();
    let ad = device.clone().autodiff();
    let net = DenseNet::new(model, seed, &ad).map_err(|e| e.to_string())?;
    let train = TrainConfig {
        seed,
        lr,
        batch_size: rows,
        optimizer: OptimizerConfig::Sgd {
            momentum: 0.0,
            nesterov: false,
        },
        ..TrainConfig::default()
    };
    let values = |t: Vec<(Vec<usize>, Vec<f32>)>| -> Vec<Vec<f32>> {
        t.into_iter().map(|(_, v)| v).collect()
    };
    let before = values(weights::read_tensors(&net).await.map_err(err)?);
    let inputs = normal_inputs(rows * model.input_dim, 11);
    let mut rng = Rng::fork(seed, 3);
    let labels: Vec<u32> = (0..rows).map(|_| rng.below(model.classes) as u32).collect();

    let mut step = FusedStep::new(&net, model, &train, &ad)
        .await
        .map_err(err)?;
    step.reserve(1);
    step.step(inputs.clone(), &labels, lr).map_err(err)?;
    let fused_loss = step.read_losses().await.map_err(err)?[0].0;
    let fused = step.store(net.clone()).await.map_err(err)?;
    let fused = values(weights::read_tensors(&fused).await.map_err(err)?);

    let x = Tensor::<2>::from_data(TensorData::new(inputs, [rows, model.input_dim]), &ad);
    let y = Tensor::<1, Int>::from_data(
        TensorData::new(labels.iter().map(|&l| l as i64).collect::<Vec<_>>(), [rows]),
        &ad,
    );
    let logits = masked_forward(&net, x, model, seed, &ad);
    let loss = cross_entropy(logits, y);
    let generic_loss = crate::readback::read_floats(loss.clone().inner())
        .await
        .map_err(err)?[0];
    let grads = GradientsParams::from_grads(loss.backward(), &net);
    let mut optim = train.optimizer.init();
    let stepped = optim.step(lr, net, grads);
    let generic = values(
        weights::read_tensors(&stepped.snapshot())
            .await
            .map_err(err)?,
    );
    Ok(MaskedAgreement {
        loss: (generic_loss, fused_loss),
        change_error: super::agreement::change_errors(&before, &generic, &fused),
    })
}

/// `DenseNet::forward` in training mode with the dropout masks of draw 0 of `seed`.
fn masked_forward(
    net: &DenseNet,
    mut x: Tensor<2>,
    model: &ModelConfig,
    seed: u64,
    device: &Device,
) -> Tensor<2> {
    let config = model.dropout.expect("a dropout model");
    let threshold = MaskedDropout::new(&config).threshold;
    let keep = |l: usize, dims: [usize; 2]| {
        let keys = masks::keys(seed, 0, l);
        let values: Vec<f32> = (0..dims[0] * dims[1])
            .map(|i| f32::from(u8::from(masks::kept(keys, i as u32, threshold))))
            .collect();
        Tensor::<2>::from_data(TensorData::new(values, dims), device)
    };
    if let Some(norm) = &net.input_norm {
        x = norm.forward(x, Mode::Train);
    }
    let last = net.hidden.len() - 1;
    for (l, layer) in net.hidden.iter().enumerate() {
        let mut pre = layer.linear.forward(x);
        if let Some(norm) = &layer.norm {
            pre = norm.forward(pre, Mode::Train);
        }
        x = layer.activation.forward(pre);
        let dropout = layer
            .dropout
            .as_ref()
            .or(net.head_dropout.as_ref().filter(|_| l == last));
        if let Some(dropout) = dropout {
            let mask = keep(l, x.dims());
            x = dropout.forward_with_keep(x, mask);
        }
    }
    net.output.forward(x)
}

/// 90 training records (three batches of 30) of 6 × 6 synthetic images, and `valid` more.
fn small_data(valid: usize) -> crate::data::Dataset {
    SyntheticSpec {
        image_shape: [1, 6, 6],
        train: 90,
        valid,
        test: 0,
        noise: 32.0,
        ..SyntheticSpec::default()
    }
    .generate()
}

/// MC Dropout at rate 0 on the fused path (batch norm on its running averages after a chunk
/// of training) gives plain evaluation's loss to the loss cases' bound and its accuracy.
pub async fn mc_dropout_at_rate_zero_is_evaluation(device: &Device) -> Result<(), String> {
    let data = small_data(130);
    let model = ModelConfig {
        batch_norm: true,
        input_batch_norm: true,
        ..with_dropout(
            net(3, 37, Activation::Selu, 36),
            DropoutKind::Alpha,
            0.0,
            DropoutPlacement::EveryHidden,
        )
    };
    let train = TrainConfig {
        batch_size: 30,
        readback_every: 3,
        fused: true,
        ..TrainConfig::default()
    };
    let err = |e: crate::TrainError| e.to_string();
    let mut t =
        Trainer::new(&data, &model, &train, Preprocessing::Standardize, device).map_err(err)?;
    t.train_chunk(&data).await.map_err(err)?;
    t.sync_model().await.map_err(err)?;
    let plain = t.evaluate(&data, SplitKind::Valid).await.map_err(err)?;
    let mc = t
        .evaluate_mc(&data, SplitKind::Valid, 3)
        .await
        .map_err(err)?;
    let loss_error = ((mc.loss - plain.loss) / plain.loss).abs();
    if loss_error > 1e-5 || mc.accuracy != plain.accuracy || mc.passes != 3 {
        return Err(format!("MC at rate 0 {mc:?} against plain {plain:?}"));
    }
    Ok(())
}

/// The fused and the generic MC Dropout averages of 100 passes, whose masks come from
/// different generators, estimate the same expected loss: the fused average over k mask
/// seeds has mean μ and standard deviation s, and the generic average G is one more draw
/// of the same distribution if the two agree, so (G − μ)/(s·√(1 + 1/k)) follows Student's
/// t with k − 1 degrees of freedom; with k = 8 it exceeds 8 with probability below 10⁻⁴.
pub async fn mc_dropout_agrees_with_the_generic_average(device: &Device) -> Result<(), String> {
    let (passes, k) = (100, 8);
    let data = small_data(100);
    let model = with_dropout(
        net(3, 37, Activation::Selu, 36),
        DropoutKind::Alpha,
        0.3,
        DropoutPlacement::EveryHidden,
    );
    let err = |e: crate::TrainError| e.to_string();
    let net = DenseNet::new(&model, 5, device).map_err(|e| e.to_string())?;
    let normalizer = Normalizer::new(Preprocessing::Standardize, &data.stats);
    let split = data.split(SplitKind::Valid);
    let mut fused = Vec::new();
    for seed in 0..k {
        let mc =
            crate::fused::mc::evaluate_mc(&net, &model, split, &normalizer, device, passes, seed)
                .await
                .map_err(err)?;
        fused.push(mc.loss);
    }
    device.seed(9);
    let generic = crate::eval::evaluate_mc(&net, split, &normalizer, device, passes)
        .await
        .map_err(err)?
        .loss;
    let plain = crate::eval::evaluate(&net, split, &normalizer, device)
        .await
        .map_err(err)?
        .loss;
    let n = k as f64;
    let mean = fused.iter().sum::<f64>() / n;
    let sd = (fused.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let t = (generic - mean) / (sd * (1.0 + 1.0 / n).sqrt());
    // The passes must differ from plain evaluation by more than their spread, or the test
    // would pass with dropout off on both paths.
    let dropout_effect = (mean - plain).abs() / sd;
    if t.abs() > 8.0 || sd == 0.0 || dropout_effect < 8.0 {
        return Err(format!(
            "fused averages {fused:?}, generic {generic}, plain {plain}: t = {t}, dropout's effect {dropout_effect} sd"
        ));
    }
    Ok(())
}
