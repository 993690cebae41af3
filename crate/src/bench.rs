//! Throughput measurement shared by the native `selfnorm bench` and the browser benchmark:
//! steady-state training samples/s (forward, backward, update; losses read back once per
//! `readback_every` steps) after a warm-up, and inference samples/s at batch 1,000.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::clock::now_seconds;
use crate::data::{Dataset, SplitKind, SyntheticSpec};
use crate::error::TrainError;
use crate::fused::StepPath;
use crate::train::{TrainConfig, Trainer};
use crate::variants::variant;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchConfig {
    pub variant: String,
    pub batch: usize,
    /// Steps before timing starts (shader compilation, allocator warm-up).
    pub warmup_steps: usize,
    pub steps: usize,
    /// Inference passes over the 1,000-record batch (after one untimed pass).
    pub infer_passes: usize,
    /// Train with the fused step where it applies (false: the generic step, reported as system
    /// `selfnorm-generic`).
    #[serde(default = "fused_by_default")]
    pub fused: bool,
    /// MC Dropout passes over the validation records, timed once after the inference passes
    /// (0: not measured).
    #[serde(default)]
    pub mc_passes: usize,
}

fn fused_by_default() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    pub system: String,
    pub backend: String,
    pub variant: String,
    pub batch: usize,
    pub train_samples_per_s: f64,
    pub infer_samples_per_s: f64,
    pub first_step_seconds: f64,
    pub optimizer: String,
    /// Which implementation took the steps.
    pub step: StepPath,
    /// Seconds for `mc_passes` MC Dropout passes over `mc_records` records, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mc_dropout: Option<McTiming>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McTiming {
    pub passes: usize,
    pub records: usize,
    pub seconds: f64,
}

/// CIFAR-10-shaped synthetic records: enough for the timed steps without reusing an epoch.
pub fn bench_data(config: &BenchConfig) -> Dataset {
    SyntheticSpec {
        train: (config.warmup_steps + config.steps) * config.batch,
        valid: 1_000,
        test: 10,
        ..SyntheticSpec::default()
    }
    .generate()
}

pub async fn run(
    config: &BenchConfig,
    data: &Dataset,
    device: &Device,
    backend: &str,
) -> Result<BenchResult, TrainError> {
    let v = variant(&config.variant)?;
    let train = TrainConfig {
        lr: v.lr,
        batch_size: config.batch,
        readback_every: 25,
        probe_every: 0,
        max_epochs: 1,
        fused: config.fused,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(data, &v.model, &train, v.preprocessing, device)?;
    let start = now_seconds();
    trainer.config.readback_every = 1;
    trainer.train_chunk(data).await?;
    let first_step_seconds = now_seconds() - start;
    trainer.config.readback_every = 25;
    let mut done = 1;
    while done < config.warmup_steps {
        done = trainer.train_chunk(data).await?.step;
    }
    let timed_from = now_seconds();
    let mut samples = 0;
    while done < config.warmup_steps + config.steps {
        let before = done;
        done = trainer.train_chunk(data).await?.step;
        samples += (done - before) * config.batch;
    }
    let train_samples_per_s = samples as f64 / (now_seconds() - timed_from);
    trainer.sync_model().await?;
    trainer.evaluate(data, SplitKind::Valid).await?;
    let timed_from = now_seconds();
    for _ in 0..config.infer_passes {
        trainer.evaluate(data, SplitKind::Valid).await?;
    }
    let infer_samples_per_s =
        (config.infer_passes * data.valid.len()) as f64 / (now_seconds() - timed_from);
    let mc_dropout = match config.mc_passes {
        0 => None,
        passes => {
            let mc = trainer.evaluate_mc(data, SplitKind::Valid, passes).await?;
            Some(McTiming {
                passes,
                records: mc.records,
                seconds: mc.seconds,
            })
        }
    };
    Ok(BenchResult {
        system: match config.fused {
            true => "selfnorm".into(),
            false => "selfnorm-generic".into(),
        },
        backend: backend.into(),
        variant: config.variant.clone(),
        batch: config.batch,
        train_samples_per_s,
        infer_samples_per_s,
        first_step_seconds,
        optimizer: train.optimizer.name(),
        step: trainer.step_path().clone(),
        mc_dropout,
    })
}
