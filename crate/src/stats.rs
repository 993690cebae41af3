//! Per-layer statistics on a fixed probe batch: everything is reduced on the
//! device into one `[layers × STATS]` vector, so a browser reads it back in one async transfer.

use burn::tensor::{IndexingUpdateOp, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::model::loss::cross_entropy;
use crate::model::net::DenseLayer;
use crate::model::{DenseNet, LayerTrace, Mode};
use crate::readback::read_floats;

/// Per-layer moments read back before the histogram: the eight of [`LayerStats`] and the
/// update-to-weight ratio.
const MOMENTS: usize = 9;
/// Bins of each layer's activation histogram.
pub const HISTOGRAM_BINS: usize = 32;
/// The histograms' fixed range. A well-scaled layer's activations lie within a few units of 0
/// (±4 is four standard deviations of a standardized one), every activation function's
/// interesting region (sigmoid's 0 and 1, tanh's ±1, ReLU's 0, SELU's −1.76 floor) falls in it
/// at a resolution of 0.25, and one range for every run makes their images comparable. Values
/// outside it count in the edge bins, so a layer that explodes shows as mass at an edge.
pub const HISTOGRAM_RANGE: [f32; 2] = [-4.0, 4.0];
const ROW: usize = MOMENTS + HISTOGRAM_BINS;

/// One probe: each field holds one value per hidden layer, input side first (columnar, as the
/// plots want it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerStats {
    /// Mean and std (over units and samples) of the activation function's input.
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub pre_mean: Vec<f32>,
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub pre_std: Vec<f32>,
    /// Mean and std of the activation function's output.
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub act_mean: Vec<f32>,
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub act_std: Vec<f32>,
    /// Fraction of unit×sample activations in a flat region of the function
    /// ([`crate::model::Activation::saturated`]); 0 for ReLUs.
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub saturated: Vec<f32>,
    /// Fraction of units whose pre-activation is ≤ 0 for every probe sample: a dead ReLU.
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub dead: Vec<f32>,
    /// L2 norm of the gradient of the loss w.r.t. the layer's kernel, on the probe batch.
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub grad_norm: Vec<f32>,
    /// Std across the layer's units of their activations, averaged over samples: 0 when all
    /// units compute the same function (the symmetry lesson).
    #[serde(deserialize_with = "crate::null_as_nan::f32s")]
    pub unit_spread: Vec<f32>,
    /// ‖W − W_before‖ / ‖W_before‖ of each hidden kernel over the optimizer step just before
    /// the probe; none when the probe follows no step (the first probe, restored weights) and
    /// in runs recorded before this field existed.
    #[serde(default, deserialize_with = "crate::null_as_nan::opt_f32s")]
    pub update_ratio: Option<Vec<f32>>,
    /// The activations' distribution per layer; empty in runs recorded before it existed.
    #[serde(default)]
    pub histograms: Histograms,
}

/// Counts of each hidden layer's activations (unit × sample values) in [`HISTOGRAM_BINS`] equal
/// bins over `[lo, hi]`. Values below `lo` (and NaN) count in the first bin, values at or above
/// `hi` in the last, so a layer's counts sum to its number of values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HistogramsForm")]
pub struct Histograms {
    pub lo: f32,
    pub hi: f32,
    /// One row of counts per hidden layer, input side first.
    pub counts: Vec<Vec<u32>>,
}

/// Histograms as read: rows of counts, or packed as a run file keeps them (`www/io/histograms.js`:
/// the counts divided by `scale` as little-endian u16, `bins` per layer, in base64).
#[derive(Deserialize)]
struct HistogramsForm {
    lo: f32,
    hi: f32,
    #[serde(default)]
    bins: usize,
    #[serde(default)]
    scale: u32,
    counts: CountsForm,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CountsForm {
    Rows(Vec<Vec<u32>>),
    Packed(String),
}

impl TryFrom<HistogramsForm> for Histograms {
    type Error = String;

    fn try_from(form: HistogramsForm) -> Result<Self, String> {
        use base64::Engine;
        let counts = match form.counts {
            CountsForm::Rows(rows) => rows,
            CountsForm::Packed(text) => {
                let bins = form.bins;
                if !(1..=1024).contains(&bins) || form.scale == 0 {
                    return Err(format!(
                        "packed histograms need bins in [1, 1024] and a scale ≥ 1 (got {bins} and {})",
                        form.scale
                    ));
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(&text)
                    .ok()
                    .filter(|b| b.len() % (2 * bins) == 0)
                    .ok_or_else(|| {
                        format!("counts must be the base64 of rows of {bins} 16-bit counts")
                    })?;
                bytes
                    .chunks_exact(2 * bins)
                    .map(|row| {
                        row.chunks_exact(2)
                            .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])) * form.scale)
                            .collect()
                    })
                    .collect()
            }
        };
        Ok(Self {
            lo: form.lo,
            hi: form.hi,
            counts,
        })
    }
}

impl LayerStats {
    pub fn layers(&self) -> usize {
        self.pre_mean.len()
    }

    /// The eight statistics every probe has, by name, in the order of their fields.
    pub fn columns(&self) -> [(&'static str, &[f32]); 8] {
        [
            ("pre_mean", &self.pre_mean),
            ("pre_std", &self.pre_std),
            ("act_mean", &self.act_mean),
            ("act_std", &self.act_std),
            ("saturated", &self.saturated),
            ("dead", &self.dead),
            ("grad_norm", &self.grad_norm),
            ("unit_spread", &self.unit_spread),
        ]
    }

    /// From the probe's readback: one row of [`ROW`] values per layer.
    fn from_flat(values: &[f32], has_update: bool) -> Self {
        let column = |k: usize| values.chunks_exact(ROW).map(|row| row[k]).collect();
        let counts = values
            .chunks_exact(ROW)
            .map(|row| row[MOMENTS..].iter().map(|&c| c.round() as u32).collect())
            .collect();
        Self {
            pre_mean: column(0),
            pre_std: column(1),
            act_mean: column(2),
            act_std: column(3),
            saturated: column(4),
            dead: column(5),
            grad_norm: column(6),
            unit_spread: column(7),
            update_ratio: has_update.then(|| column(8)),
            histograms: Histograms {
                lo: HISTOGRAM_RANGE[0],
                hi: HISTOGRAM_RANGE[1],
                counts,
            },
        }
    }
}

/// Computes the statistics of `model` (on an autodiff device) for the probe batch, in `Eval`
/// mode so that probing neither draws dropout masks nor moves batch norm's running averages.
/// `before`: the weights before the last optimizer step, for the update-to-weight ratios.
pub async fn probe(
    model: &DenseNet,
    x: Tensor<2>,
    y: Tensor<1, Int>,
    before: Option<&DenseNet>,
) -> Result<LayerStats, TrainError> {
    let rows = probe_rows(model, x, y, Mode::Eval, before);
    let values = read_floats(rows).await?;
    Ok(LayerStats::from_flat(&values, before.is_some()))
}

/// The statistics of several probes read back in one transfer (see [`probe_rows`]); each
/// entry's `has_update` says whether its rows carry update ratios.
pub(crate) async fn read_probes(
    probes: Vec<(Tensor<1>, bool)>,
) -> Result<Vec<LayerStats>, TrainError> {
    let lengths: Vec<usize> = probes.iter().map(|(rows, _)| rows.dims()[0]).collect();
    let flags: Vec<bool> = probes.iter().map(|&(_, has)| has).collect();
    let values = read_floats(Tensor::cat(probes.into_iter().map(|p| p.0).collect(), 0)).await?;
    let mut start = 0;
    Ok(lengths
        .iter()
        .zip(flags)
        .map(|(&len, has)| {
            start += len;
            LayerStats::from_flat(&values[start - len..start], has)
        })
        .collect())
}

/// The statistics as one `[layers × ROW]` vector on the device: forward in `mode`, one
/// backward pass of the cross-entropy on `y`, everything reduced there.
pub(crate) fn probe_rows(
    model: &DenseNet,
    x: Tensor<2>,
    y: Tensor<1, Int>,
    mode: Mode,
    before: Option<&DenseNet>,
) -> Tensor<1> {
    let (logits, traces) = model.forward_traced(x, mode);
    let grads = cross_entropy(logits, y).backward();
    let rows: Vec<Tensor<1>> = traces
        .into_iter()
        .enumerate()
        .flat_map(|(l, trace)| {
            let layer = &model.hidden[l];
            let zero = || Tensor::zeros([1], &trace.pre.device().inner());
            let grad_norm = match layer.linear.weight.val().grad(&grads) {
                Some(g) => g.square().sum().sqrt(),
                None => zero(),
            };
            let ratio = match before {
                Some(b) => update_ratio(&b.hidden[l], layer),
                None => zero(),
            };
            let mut row = trace_stats(&trace, layer.activation);
            row.extend([grad_norm, unit_spread(trace.act.clone().inner()), ratio]);
            row.push(histogram(trace.act.inner()));
            row
        })
        .collect();
    Tensor::cat(rows, 0)
}

/// ‖W_after − W_before‖ / ‖W_before‖ of the layer's kernel.
fn update_ratio(before: &DenseLayer, after: &DenseLayer) -> Tensor<1> {
    let w0 = before.linear.weight.val().inner();
    let w1 = after.linear.weight.val().inner();
    let norm = |t: Tensor<2>| t.square().sum().sqrt();
    norm(w1 - w0.clone()) / norm(w0)
}

/// Counts of `values` in the [`HISTOGRAM_BINS`] bins of [`HISTOGRAM_RANGE`], on the device:
/// each value's bin index, clamped to the edge bins (NaN to the first), then one integer
/// scatter-add of ones into the bins, exact whatever order the adds land in (see
/// [`Histograms`] for the edges).
pub(crate) fn histogram(values: Tensor<2>) -> Tensor<1> {
    let [rows, cols] = values.dims();
    let [lo, hi] = HISTOGRAM_RANGE;
    let width = (hi - lo) / HISTOGRAM_BINS as f32;
    let device = values.device();
    let flat = values.reshape([rows * cols]);
    let flat = flat.clone().mask_fill(flat.is_nan(), lo);
    let index = flat.clone().sub_scalar(lo).div_scalar(width).floor();
    // Rounding in `x − lo` carries a value just below an edge over it (tanh's 0.99999994 lands
    // on 1): step such a value back below the edge, which is exact in f32.
    let edge = index.clone().mul_scalar(width).add_scalar(lo);
    let bins = (index - flat.lower(edge).float())
        .clamp(0.0, (HISTOGRAM_BINS - 1) as f32)
        .int();
    let ones = Tensor::<1, Int>::ones([rows * cols], &device);
    Tensor::<1, Int>::zeros([HISTOGRAM_BINS], &device)
        .scatter(0, bins, ones, IndexingUpdateOp::Add)
        .float()
}

fn trace_stats(trace: &LayerTrace, activation: crate::model::Activation) -> Vec<Tensor<1>> {
    let pre = trace.pre.clone().inner();
    let act = trace.act.clone().inner();
    let (pre_mean, pre_std) = mean_std(pre.clone());
    let (act_mean, act_std) = mean_std(act);
    let saturated = match activation.saturated(pre.clone()) {
        Some(mask) => mask.float().mean(),
        None => Tensor::zeros([1], &pre.device()),
    };
    let alive = pre.greater_elem(0.0).float().max_dim(0);
    let dead = alive.neg().add_scalar(1.0).mean();
    vec![pre_mean, pre_std, act_mean, act_std, saturated, dead]
}

fn mean_std(t: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
    let mean = t.clone().mean();
    let std = (t - mean.clone().unsqueeze()).square().mean().sqrt();
    (mean, std)
}

fn unit_spread(act: Tensor<2>) -> Tensor<1> {
    let centered = act.clone() - act.mean_dim(1);
    centered.square().mean_dim(1).sqrt().mean()
}

/// Native only: the tests block on futures with `pollster`.
#[cfg(all(test, not(target_family = "wasm")))]
pub(crate) mod tests {
    use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};

    use super::*;
    use crate::model::{Activation, ModelConfig};

    /// A row-major matrix in f64, for the hand-written forward and backward pass below.
    struct Mat {
        rows: usize,
        cols: usize,
        v: Vec<f64>,
    }

    impl Mat {
        fn read(t: Tensor<2>) -> Mat {
            let [rows, cols] = t.dims();
            let v = pollster::block_on(read_floats(t)).unwrap();
            Mat {
                rows,
                cols,
                v: v.into_iter().map(f64::from).collect(),
            }
        }

        fn at(&self, r: usize, c: usize) -> f64 {
            self.v[r * self.cols + c]
        }

        /// `self · other`, or `selfᵀ · other` / `self · otherᵀ` with the flags.
        fn mul(&self, other: &Mat, ta: bool, tb: bool) -> Mat {
            let (n, k) = if ta {
                (self.cols, self.rows)
            } else {
                (self.rows, self.cols)
            };
            let m = if tb { other.rows } else { other.cols };
            let a = |i, j| if ta { self.at(j, i) } else { self.at(i, j) };
            let b = |i, j| if tb { other.at(j, i) } else { other.at(i, j) };
            let v = (0..n * m)
                .map(|ij| (0..k).map(|l| a(ij / m, l) * b(l, ij % m)).sum())
                .collect();
            Mat {
                rows: n,
                cols: m,
                v,
            }
        }

        fn map(&self, f: impl Fn(f64) -> f64) -> Mat {
            Mat {
                rows: self.rows,
                cols: self.cols,
                v: self.v.iter().map(|&x| f(x)).collect(),
            }
        }

        fn zip(&self, other: &Mat, f: impl Fn(f64, f64) -> f64) -> Mat {
            let v = self
                .v
                .iter()
                .zip(&other.v)
                .map(|(&a, &b)| f(a, b))
                .collect();
            Mat {
                rows: self.rows,
                cols: self.cols,
                v,
            }
        }
    }

    fn mean_std(v: &[f64]) -> (f64, f64) {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        (mean, var.sqrt())
    }

    fn close(what: &str, got: f32, want: f64) {
        let tolerance = 1e-4 * want.abs().max(1.0);
        assert!(
            (got as f64 - want).abs() < tolerance,
            "{what}: {got} vs {want}"
        );
    }

    /// What the hand-written forward pass keeps: each hidden layer's pre-activations,
    /// activations and kernel, and the logits.
    struct Forward {
        pres: Vec<Mat>,
        acts: Vec<Mat>,
        kernels: Vec<Mat>,
        output: Mat,
        logits: Mat,
    }

    fn read_layer(l: &burn::nn::Linear) -> (Mat, Mat) {
        let bias = l.bias.as_ref().unwrap().val().inner().unsqueeze();
        (Mat::read(l.weight.val().inner()), Mat::read(bias))
    }

    fn dense(x: &Mat, (w, b): &(Mat, Mat)) -> Mat {
        let m = x.mul(w, false, false);
        let v =
            m.v.iter()
                .enumerate()
                .map(|(i, x)| x + b.v[i % m.cols])
                .collect();
        Mat { v, ..m }
    }

    fn forward(net: &DenseNet, input: &Mat) -> Forward {
        let (mut pres, mut acts, mut kernels) = (Vec::new(), Vec::new(), Vec::new());
        let mut h = input.map(|v| v);
        for layer in &net.hidden {
            let weights = read_layer(&layer.linear);
            let pre = dense(&h, &weights);
            h = pre.map(f64::tanh);
            acts.push(h.map(|v| v));
            pres.push(pre);
            kernels.push(weights.0);
        }
        let output = read_layer(&net.output);
        let logits = dense(&h, &output);
        Forward {
            pres,
            acts,
            kernels,
            output: output.0,
            logits,
        }
    }

    /// ‖∂L/∂W‖ of each hidden kernel for the mean cross-entropy, by the chain rule.
    fn kernel_grad_norms(f: &Forward, input: &Mat, labels: &[i64]) -> Vec<f64> {
        let (batch, classes) = (f.logits.rows as f64, f.logits.cols);
        // ∂L/∂logits = (softmax − one-hot) / batch.
        let mut d = f.logits.map(|v| v);
        for (r, &label) in labels.iter().enumerate() {
            let row = &f.logits.v[r * classes..(r + 1) * classes];
            let max = row.iter().cloned().fold(f64::MIN, f64::max);
            let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
            for (c, &logit) in row.iter().enumerate() {
                let p = (logit - max).exp() / sum;
                d.v[r * classes + c] = (p - f64::from(c as i64 == label)) / batch;
            }
        }
        let mut norms = vec![0.0; f.acts.len()];
        let mut next = &f.output;
        for l in (0..f.acts.len()).rev() {
            let d_pre = d
                .mul(next, false, true)
                .zip(&f.acts[l], |g, a| g * (1.0 - a * a));
            let below = if l == 0 { input } else { &f.acts[l - 1] };
            let d_w = below.mul(&d_pre, true, false);
            norms[l] = d_w.v.iter().map(|g| g * g).sum::<f64>().sqrt();
            d = d_pre;
            next = &f.kernels[l];
        }
        norms
    }

    /// Bin of `x` by its definition: bin k holds lo + k·w ≤ x < lo + (k + 1)·w, the first also
    /// what lies below (and NaN), the last what lies above; the edges are exact in f64.
    fn direct_bin(x: f32) -> usize {
        let [lo, hi] = HISTOGRAM_RANGE;
        let width = f64::from(hi - lo) / HISTOGRAM_BINS as f64;
        (1..HISTOGRAM_BINS)
            .filter(|&k| f64::from(x) >= f64::from(lo) + k as f64 * width)
            .count()
    }

    fn direct_histogram(values: impl Iterator<Item = f32>) -> Vec<u32> {
        let mut counts = vec![0; HISTOGRAM_BINS];
        values.for_each(|x| counts[direct_bin(x)] += 1);
        counts
    }

    /// `stats` of a tanh `net` against a direct computation in f64 on `x` and `labels`: forward,
    /// cross-entropy, backward by hand, then each statistic (and histogram) from its definition.
    pub(crate) fn assert_direct(stats: &LayerStats, net: &DenseNet, x: Tensor<2>, labels: &[i64]) {
        let input = Mat::read(x);
        let f = forward(net, &input);
        let grad_norms = kernel_grad_norms(&f, &input, labels);
        assert_eq!(stats.layers(), grad_norms.len());
        for (l, &grad_norm) in grad_norms.iter().enumerate() {
            let (pre, act) = (&f.pres[l], &f.acts[l]);
            let (rows, units) = (act.rows, act.cols);
            let (pm, ps) = mean_std(&pre.v);
            let (am, as_) = mean_std(&act.v);
            close("pre_mean", stats.pre_mean[l], pm);
            close("pre_std", stats.pre_std[l], ps);
            close("act_mean", stats.act_mean[l], am);
            close("act_std", stats.act_std[l], as_);
            let saturated =
                pre.v.iter().filter(|v| v.abs() > 2.0).count() as f64 / pre.v.len() as f64;
            close("saturated", stats.saturated[l], saturated);
            let dead = (0..units)
                .filter(|&u| (0..rows).all(|r| pre.at(r, u) <= 0.0))
                .count() as f64
                / units as f64;
            close("dead", stats.dead[l], dead);
            close("grad_norm", stats.grad_norm[l], grad_norm);
            let spread = (0..rows)
                .map(|r| mean_std(&act.v[r * units..(r + 1) * units]).1)
                .sum::<f64>()
                / rows as f64;
            close("unit_spread", stats.unit_spread[l], spread);
            let counts = &stats.histograms.counts[l];
            assert_eq!(counts.iter().sum::<u32>() as usize, rows * units);
            assert_eq!(counts, &direct_histogram(act.v.iter().map(|&v| v as f32)));
        }
    }

    /// The statistics of a 2 × 6 tanh net on 16 samples, against a direct computation.
    #[test]
    fn statistics_equal_a_direct_computation() {
        let device = Device::flex().autodiff();
        device.seed(5);
        let config = ModelConfig {
            input_dim: 5,
            depth: 2,
            width: 6,
            classes: 3,
            activation: Activation::Tanh,
            ..ModelConfig::default()
        };
        let net = DenseNet::new(&config, 7, &device).unwrap();
        let x = Tensor::<2>::random([16, 5], Distribution::Normal(0.0, 2.0), &device);
        let labels: Vec<i64> = (0..16).map(|i| i % 3).collect();
        let y = Tensor::<1, Int>::from_ints(labels.as_slice(), &device);
        let stats = pollster::block_on(probe(&net, x.clone(), y, None)).unwrap();
        assert_direct(&stats, &net, x.inner(), &labels);
        assert_eq!(stats.update_ratio, None, "no step preceded this probe");
        assert!(
            stats.saturated.iter().any(|&s| s > 0.0),
            "the inputs are large enough to saturate some units"
        );
    }

    /// Values on every edge, far outside the range, NaN and a spread of ordinary ones: the
    /// device's counts equal the direct binning and sum to the number of values.
    #[test]
    fn histogram_counts_match_a_direct_binning() {
        let device = Device::flex();
        device.seed(3);
        let [lo, hi] = HISTOGRAM_RANGE;
        let width = (hi - lo) / HISTOGRAM_BINS as f32;
        // Each edge and the floats either side of it: rounding must not carry one across.
        let beside = |e: f32| match e {
            0.0 => [-f32::MIN_POSITIVE, 0.0, f32::MIN_POSITIVE],
            _ => [e.to_bits() - 1, e.to_bits(), e.to_bits() + 1].map(f32::from_bits),
        };
        let mut values: Vec<f32> = (0..=HISTOGRAM_BINS)
            .flat_map(|k| beside(lo + k as f32 * width))
            .collect();
        values.extend([
            -1e9,
            1e9,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
        ]);
        let random = Tensor::<2>::random([50, 7], Distribution::Normal(0.0, 3.0), &device);
        values.extend(random.into_data().try_to_vec::<f32>().unwrap());
        values.truncate(values.len() / 7 * 7);
        let n = values.len();
        let t = Tensor::<2>::from_data(TensorData::new(values.clone(), [n / 7, 7]), &device);
        let counts = pollster::block_on(read_floats(histogram(t))).unwrap();
        let counts: Vec<u32> = counts.iter().map(|&c| c as u32).collect();
        assert_eq!(counts.iter().sum::<u32>() as usize, n);
        assert_eq!(counts, direct_histogram(values.into_iter()));
    }

    /// One plain SGD step (no momentum) of a run: the probe after it reports, for each hidden
    /// kernel, ‖W_after − W_before‖ / ‖W_before‖ of the weights read before and after the step.
    #[test]
    fn update_ratio_is_the_relative_change_of_each_kernel_over_one_sgd_step() {
        use crate::data::{Preprocessing, SyntheticSpec};
        use crate::optim::OptimizerConfig;
        use crate::train::{TrainConfig, TrainEvent, Trainer};
        let data = SyntheticSpec {
            image_shape: [1, 4, 4],
            train: 64,
            valid: 16,
            test: 0,
            ..SyntheticSpec::default()
        }
        .generate();
        let model = ModelConfig {
            depth: 3,
            width: 8,
            ..ModelConfig::default()
        };
        let train = TrainConfig {
            lr: 0.1,
            optimizer: OptimizerConfig::Sgd {
                momentum: 0.0,
                nesterov: false,
            },
            readback_every: 1,
            probe_every: 1,
            probe_size: 16,
            ..TrainConfig::default()
        };
        let device = Device::flex();
        let mut trainer =
            Trainer::new(&data, &model, &train, Preprocessing::Scale01, &device).unwrap();
        let kernels = |t: &Trainer| -> Vec<Vec<f64>> {
            t.model()
                .hidden
                .iter()
                .map(|l| Mat::read(l.linear.weight.val().inner()).v)
                .collect()
        };
        let event = pollster::block_on(trainer.advance(&data)).unwrap();
        assert!(
            matches!(&event, TrainEvent::Probed { probe } if probe.stats.update_ratio.is_none())
        );
        let before = kernels(&trainer);
        let event = pollster::block_on(trainer.advance(&data)).unwrap();
        assert!(matches!(event, TrainEvent::Stepped { .. }));
        let after = kernels(&trainer);
        let TrainEvent::Probed { probe } = pollster::block_on(trainer.advance(&data)).unwrap()
        else {
            panic!("a probe is due after every step");
        };
        let ratios = probe.stats.update_ratio.expect("the probe follows a step");
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        for (l, (w0, w1)) in before.iter().zip(&after).enumerate() {
            let delta: Vec<f64> = w1.iter().zip(w0).map(|(a, b)| a - b).collect();
            let want = norm(&delta) / norm(w0);
            assert!(want > 1e-6, "layer {l}: the step changed the kernel");
            let got = f64::from(ratios[l]);
            assert!(
                (got - want).abs() < 1e-3 * want,
                "layer {l}: {got} vs {want}"
            );
        }
    }
}
