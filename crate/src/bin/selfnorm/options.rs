//! Command-line options shared by `train`, `lr-find` and `eval`, turned into library configs.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use selfnorm::backend::BackendKind;
use selfnorm::data::{DataError, Dataset, Preprocessing, SyntheticSpec};
use selfnorm::error::ConfigError;
use selfnorm::model::{
    Activation, DropoutConfig, DropoutKind, DropoutPlacement, KernelInit, ModelConfig,
};
use selfnorm::optim::{NadamSchedule, OptimizerConfig};
use selfnorm::train::{Schedule, TrainConfig};
use selfnorm::variants::{Variant, variant};

#[derive(Args, Debug, Clone)]
pub struct RunOptions {
    /// Named preset: elu-he, elu-he-bn, selu-lecun, selu-alpha-dropout (2nd edition), swish-he,
    /// swish-he-bn (3rd edition); `selfnorm variants` lists them.
    #[arg(long, default_value = "elu-he")]
    pub variant: String,
    /// A prepared dataset folder (scripts/prepare-data), or `synthetic`.
    #[arg(long, default_value = "data/cifar10")]
    pub data: String,
    /// cpu (Burn's flex backend) or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: BackendKind,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub patience: Option<usize>,
    /// Learning rate (the variant's default otherwise); 1cycle's peak rate.
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long)]
    pub depth: Option<usize>,
    #[arg(long)]
    pub width: Option<usize>,
    #[arg(long)]
    pub activation: Option<Activation>,
    /// he-normal, lecun-normal, glorot-uniform, identical or constant=VALUE.
    #[arg(long)]
    pub init: Option<KernelInit>,
    /// Output layer init (default: the same as --init for identical and constant, else
    /// glorot-uniform, as Keras).
    #[arg(long)]
    pub output_init: Option<KernelInit>,
    #[arg(long)]
    pub bias_init: Option<f32>,
    #[arg(long)]
    pub batch_norm: Option<bool>,
    /// Batch norm of the inputs, right after Flatten (on in elu-he-bn, as in the notebook)
    #[arg(long)]
    pub input_batch_norm: Option<bool>,
    #[arg(long)]
    pub dropout: Option<DropoutChoice>,
    #[arg(long)]
    pub dropout_rate: Option<f64>,
    #[arg(long)]
    pub dropout_placement: Option<PlacementChoice>,
    #[arg(long)]
    pub preprocessing: Option<PreprocessingChoice>,
    #[arg(long)]
    pub optimizer: Option<OptimizerChoice>,
    /// Nadam's momentum schedule: legacy (0.96^(0.004·t): tf.keras ≤ 2.10, the book, PyTorch)
    /// or keras3 (0.96^t: Keras ≥ 2.11 and Keras 3).
    #[arg(long, default_value = "legacy")]
    pub nadam_schedule: NadamScheduleChoice,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    #[arg(long)]
    pub nesterov: bool,
    #[arg(long)]
    pub one_cycle: bool,
    /// L1 penalty on every kernel.
    #[arg(long)]
    pub l1: Option<f64>,
    /// Use at most this many training records per epoch.
    #[arg(long)]
    pub max_train_records: Option<usize>,
    /// Steps between per-layer statistics probes (0: only at the start and end).
    #[arg(long)]
    pub probe_every: Option<usize>,
    /// Steps between loss readbacks (and progress lines).
    #[arg(long)]
    pub readback_every: Option<usize>,
    /// Train with the generic autodiff step even where the fused wgpu one applies.
    #[arg(long)]
    pub generic_step: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DropoutChoice {
    None,
    Standard,
    Alpha,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PlacementChoice {
    BeforeOutput,
    EveryHidden,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PreprocessingChoice {
    Scale01,
    Standardize,
    Raw,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NadamScheduleChoice {
    Legacy,
    Keras3,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OptimizerChoice {
    Nadam,
    Adam,
    Sgd,
}

/// Everything a run needs, resolved from the variant and the overrides.
pub struct RunSetup {
    pub variant: Variant,
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub preprocessing: Preprocessing,
}

impl RunOptions {
    pub fn setup(&self) -> Result<RunSetup, ConfigError> {
        let variant = variant(&self.variant)?;
        let mut model = variant.model.clone();
        let o = self;
        model.depth = o.depth.unwrap_or(model.depth);
        model.width = o.width.unwrap_or(model.width);
        model.activation = o.activation.unwrap_or(model.activation);
        model.kernel_init = o.init.unwrap_or(model.kernel_init);
        model.output_init = o.output_init.or(model.output_init);
        model.bias_init = o.bias_init.unwrap_or(model.bias_init);
        model.batch_norm = o.batch_norm.unwrap_or(model.batch_norm);
        model.input_batch_norm = o.input_batch_norm.unwrap_or(model.input_batch_norm);
        model.dropout = self.dropout_config(model.dropout);
        let defaults = TrainConfig::default();
        let train = TrainConfig {
            lr: o.lr.unwrap_or(variant.lr),
            schedule: if o.one_cycle {
                Schedule::OneCycle
            } else {
                Schedule::Constant
            },
            optimizer: match o.optimizer.unwrap_or(OptimizerChoice::Nadam) {
                OptimizerChoice::Nadam => OptimizerConfig::Nadam {
                    momentum_schedule: match o.nadam_schedule {
                        NadamScheduleChoice::Legacy => NadamSchedule::Legacy,
                        NadamScheduleChoice::Keras3 => NadamSchedule::Keras3,
                    },
                },
                OptimizerChoice::Adam => OptimizerConfig::Adam,
                OptimizerChoice::Sgd => OptimizerConfig::Sgd {
                    momentum: o.momentum,
                    nesterov: o.nesterov,
                },
            },
            batch_size: o.batch_size.unwrap_or(defaults.batch_size),
            max_epochs: o.epochs.unwrap_or(defaults.max_epochs),
            patience: o.patience.unwrap_or(defaults.patience),
            seed: o.seed.unwrap_or(defaults.seed),
            l1: o.l1.unwrap_or(0.0),
            readback_every: o.readback_every.unwrap_or(defaults.readback_every),
            probe_every: o.probe_every.unwrap_or(defaults.probe_every),
            max_train_records: o.max_train_records.unwrap_or(0),
            fused: !o.generic_step,
            ..defaults
        };
        let preprocessing = match o.preprocessing {
            Some(PreprocessingChoice::Scale01) => Preprocessing::Scale01,
            Some(PreprocessingChoice::Standardize) => Preprocessing::Standardize,
            Some(PreprocessingChoice::Raw) => Preprocessing::Raw,
            None => variant.preprocessing,
        };
        Ok(RunSetup {
            variant,
            model,
            train,
            preprocessing,
        })
    }

    fn dropout_config(&self, preset: Option<DropoutConfig>) -> Option<DropoutConfig> {
        let kind = match self.dropout {
            Some(DropoutChoice::None) => return None,
            Some(DropoutChoice::Standard) => Some(DropoutKind::Standard),
            Some(DropoutChoice::Alpha) => Some(DropoutKind::Alpha),
            None => None,
        };
        let base = preset.unwrap_or(DropoutConfig {
            kind: DropoutKind::Standard,
            rate: 0.0,
            placement: DropoutPlacement::EveryHidden,
        });
        let config = DropoutConfig {
            kind: kind.unwrap_or(base.kind),
            rate: self
                .dropout_rate
                .unwrap_or(if kind.is_some() && base.rate == 0.0 {
                    0.2
                } else {
                    base.rate
                }),
            placement: match self.dropout_placement {
                Some(PlacementChoice::BeforeOutput) => DropoutPlacement::BeforeOutput,
                Some(PlacementChoice::EveryHidden) => DropoutPlacement::EveryHidden,
                None => base.placement,
            },
        };
        (config.rate > 0.0 || preset.is_some()).then_some(config)
    }

    pub fn load_data(&self) -> Result<Dataset, DataError> {
        load_data(&self.data)
    }
}

/// A prepared dataset folder, or the synthetic set for `synthetic`.
pub fn load_data(data: &str) -> Result<Dataset, DataError> {
    if data == "synthetic" {
        return Ok(SyntheticSpec::default().generate());
    }
    Dataset::load_dir(&PathBuf::from(data))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunOptions,
    }

    fn model_of(args: &[&str]) -> ModelConfig {
        let cli =
            Cli::try_parse_from(std::iter::once("selfnorm").chain(args.iter().copied())).unwrap();
        cli.run.setup().unwrap().model
    }

    /// The page's form sends the hidden kernels' init and no output init, as `--init` does here:
    /// both get the output init the crate's rule gives.
    #[test]
    fn the_output_init_follows_init_as_on_the_page() {
        for (init, output) in [
            ("identical", KernelInit::Identical),
            ("constant=0.5", KernelInit::Constant { value: 0.5 }),
            ("he-normal", KernelInit::GlorotUniform),
            ("lecun-normal", KernelInit::GlorotUniform),
        ] {
            let cli = model_of(&["--init", init]);
            let page: ModelConfig = serde_json::from_value(serde_json::json!({
                "input_dim": 3072, "classes": 10, "depth": 20, "width": 100,
                "activation": "elu", "kernel_init": serde_json::to_value(cli.kernel_init).unwrap(),
                "bias_init": 0.0, "batch_norm": false, "input_batch_norm": false, "dropout": null,
            }))
            .unwrap();
            assert_eq!(cli, page, "{init}");
            assert_eq!(cli.output_kernel_init(), output, "{init}");
        }
        // An output init given is kept.
        let explicit = model_of(&["--init", "identical", "--output-init", "he-normal"]);
        assert_eq!(explicit.output_kernel_init(), KernelInit::HeNormal);
    }
}
