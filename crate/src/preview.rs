//! Signal propagation at initialization (Brock, De & Smith 2021, "signal propagation plots"):
//! the per-layer statistics of a freshly built model for the settings being edited, on a batch
//! of preprocessed validation images and on N(0, 1) inputs of the same shape, with one backward
//! pass each — so the effect of depth, activation, init, batch norm or preprocessing shows
//! before anything is trained.

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::data::batches::batch;
use crate::data::{Dataset, Normalizer, Preprocessing};
use crate::error::{ConfigError, TrainError};
use crate::model::{DenseNet, Mode, ModelConfig};
use crate::rng::Rng;
use crate::stats::{LayerStats, probe_rows, read_probes};
use crate::train::TrainConfig;
use crate::train::trainer::fitted_to;

/// The largest model previewed: about 4 × the exercise's 20 × 100 net (e.g. 100 × 100 or
/// 20 × 300), whose preview takes a fraction of a second on the CPU backend in a browser. The
/// page asks for a preview at each edit, and a running run waits for it, so a model that would
/// take seconds (or exhaust wasm's memory) on the way to other settings gets a message instead.
pub const PREVIEW_MAX_PARAMETERS: usize = 2_000_000;

/// The statistics of the initial model on both inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// The model as built (input size and classes from the dataset, dropout left out).
    pub model: ModelConfig,
    /// Rows in each batch: the first `probe_size` validation records.
    pub samples: usize,
    /// On the preprocessed validation images, with their labels.
    pub real: LayerStats,
    /// On N(0, 1) inputs with the same labels (the loss needs some; these keep its scale).
    pub gaussian: LayerStats,
}

/// The preview of `model` with `train`'s seed (the same initial weights a run would get) and
/// `probe_size`, on `data`'s validation split, read back in one transfer.
///
/// The forward pass runs in `Train` mode without dropout: batch norm then normalizes by the
/// batch's statistics, as the first training step will (its running averages are still 0 and 1
/// at initialization, so `Eval` mode would show an identity instead), and no dropout mask is
/// drawn, so the figures are those of the init alone. The N(0, 1) inputs come from the crate's
/// own generator, not the device's, so a preview never moves a running run's random stream.
pub async fn preview(
    data: &Dataset,
    model: &ModelConfig,
    train: &TrainConfig,
    preprocessing: Preprocessing,
    device: &Device,
) -> Result<Preview, TrainError> {
    train.validate()?;
    if data.valid.is_empty() {
        return Err(ConfigError(
            "the preview needs validation records: load a dataset first".into(),
        )
        .into());
    }
    let model = ModelConfig {
        dropout: None,
        ..fitted_to(data, model)
    };
    model.validate()?;
    if model.parameter_count() > PREVIEW_MAX_PARAMETERS {
        return Err(ConfigError(format!(
            "the preview is limited to {} million parameters and this model has {:.1} million: \
             train it to see its statistics",
            PREVIEW_MAX_PARAMETERS / 1_000_000,
            model.parameter_count() as f64 / 1e6
        ))
        .into());
    }
    let device = device.clone().autodiff();
    let net = DenseNet::new(&model, train.seed, &device)?;
    let normalizer = Normalizer::new(preprocessing, &data.stats);
    let records: Vec<u32> = (0..train.probe_size.min(data.valid.len()) as u32).collect();
    let (x, y) = batch(&data.valid, &normalizer, &records, &device);
    let noise = gaussian_inputs(x.dims(), train.seed, &device);
    let real = probe_rows(&net, x, y.clone(), Mode::Train, None);
    let gaussian = probe_rows(&net, noise, y, Mode::Train, None);
    let mut stats = read_probes(vec![(real, false), (gaussian, false)]).await?;
    let gaussian = stats.pop().expect("two probes were read");
    let real = stats.pop().expect("two probes were read");
    Ok(Preview {
        model,
        samples: records.len(),
        real,
        gaussian,
    })
}

/// `[rows, cols]` standard normal inputs drawn from `seed`.
pub fn gaussian_inputs([rows, cols]: [usize; 2], seed: u64, device: &Device) -> Tensor<2> {
    let mut rng = Rng::fork(seed, 4);
    let values: Vec<f32> = (0..rows * cols).map(|_| rng.normal() as f32).collect();
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// Native only: the tests block on futures with `pollster`.
#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::data::SyntheticSpec;
    use crate::data::batches::batch;
    use crate::model::Activation;
    use crate::stats::tests::assert_direct;

    fn data() -> Dataset {
        SyntheticSpec {
            image_shape: [1, 3, 3],
            classes: 3,
            train: 30,
            valid: 20,
            test: 0,
            ..SyntheticSpec::default()
        }
        .generate()
    }

    /// A 3 × 5 tanh net: the preview of both inputs equals a direct f64 computation on the net
    /// a run with the same seed starts from, fed the same validation images and N(0, 1) rows.
    #[test]
    fn preview_statistics_equal_a_direct_computation() {
        let data = data();
        let model = ModelConfig {
            depth: 3,
            width: 5,
            activation: Activation::Tanh,
            ..ModelConfig::default()
        };
        let train = TrainConfig {
            probe_size: 12,
            seed: 9,
            ..TrainConfig::default()
        };
        let device = Device::flex();
        let got = pollster::block_on(preview(
            &data,
            &model,
            &train,
            Preprocessing::Standardize,
            &device,
        ))
        .unwrap();
        assert_eq!(got.samples, 12);
        assert_eq!((got.model.input_dim, got.model.classes), (9, 3));
        let net = DenseNet::new(&got.model, 9, &device).unwrap();
        let normalizer = Normalizer::new(Preprocessing::Standardize, &data.stats);
        let records: Vec<u32> = (0..12).collect();
        let (x, y) = batch(&data.valid, &normalizer, &records, &device);
        let labels: Vec<i64> = y.into_data().convert::<i64>().try_to_vec::<i64>().unwrap();
        assert_direct(&got.real, &net, x, &labels);
        let noise = gaussian_inputs([12, 9], 9, &device);
        assert_direct(&got.gaussian, &net, noise, &labels);
        assert_ne!(got.real.act_std, got.gaussian.act_std);
    }

    /// With batch norm the preview normalizes by the batch's statistics, as a training step
    /// does: every layer's pre-activations have mean 0 and std √(var / (var + ε)) ≈ 1.
    #[test]
    fn batch_norm_uses_the_preview_batch_statistics() {
        let data = data();
        let model = ModelConfig {
            depth: 4,
            width: 16,
            batch_norm: true,
            ..ModelConfig::default()
        };
        let train = TrainConfig {
            probe_size: 20,
            ..TrainConfig::default()
        };
        let got = pollster::block_on(preview(
            &data,
            &model,
            &train,
            Preprocessing::Raw,
            &Device::flex(),
        ))
        .unwrap();
        for stats in [&got.real, &got.gaussian] {
            for l in 0..4 {
                assert!(stats.pre_mean[l].abs() < 1e-4, "{:?}", stats.pre_mean);
                assert!((stats.pre_std[l] - 1.0).abs() < 0.02, "{:?}", stats.pre_std);
            }
        }
    }

    #[test]
    fn a_model_too_large_to_preview_is_a_clear_error() {
        let wide = ModelConfig {
            depth: 3,
            width: 1000,
            ..ModelConfig::default()
        };
        let err = pollster::block_on(preview(
            &data(),
            &wide,
            &TrainConfig::default(),
            Preprocessing::Scale01,
            &Device::flex(),
        ))
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("limited to 2 million parameters and this model has 2.0 million"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_validation_split_is_a_clear_error() {
        let empty = SyntheticSpec {
            valid: 0,
            ..SyntheticSpec::default()
        }
        .generate();
        let err = pollster::block_on(preview(
            &empty,
            &ModelConfig::default(),
            &TrainConfig::default(),
            Preprocessing::Scale01,
            &Device::flex(),
        ))
        .unwrap_err();
        assert!(
            err.to_string().contains("needs validation records"),
            "{err}"
        );
    }
}
