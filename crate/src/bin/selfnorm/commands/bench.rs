use clap::Args;
use pollster::block_on;
use selfnorm::backend::BackendKind;
use selfnorm::bench::{self, BenchConfig};
use selfnorm::fused::profile::phase_times;
use selfnorm::train::TrainConfig;
use selfnorm::variants::variant;
use serde_json::json;

use crate::error::CliError;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(long = "variant", default_values_t = ["elu-he".to_string(), "elu-he-bn".to_string(), "selu-lecun".to_string(), "selu-alpha-dropout".to_string()])]
    variants: Vec<String>,
    #[arg(long = "batch", default_values_t = [32, 256])]
    batches: Vec<usize>,
    #[arg(long, default_value_t = 50)]
    warmup: usize,
    #[arg(long, default_value_t = 200)]
    steps: usize,
    #[arg(long, default_value_t = 5)]
    infer_passes: usize,
    #[arg(long, default_value = "cpu")]
    backend: BackendKind,
    /// Train with the generic autodiff step even where the fused one applies (wgpu).
    #[arg(long)]
    generic_step: bool,
    /// Instead of throughput, time each phase of the fused step (wgpu): forwards, loss,
    /// backwards, update, over this many repetitions each.
    #[arg(long)]
    kernel_times: Option<usize>,
    /// Also time this many MC Dropout passes over the validation records (0: none).
    #[arg(long, default_value_t = 0)]
    mc_passes: usize,
}

impl BenchArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let device = self.backend.device().map_err(CliError::Usage)?;
        let mut out = Output::new(None)?;
        for variant_name in &self.variants {
            for &batch in &self.batches {
                let config = BenchConfig {
                    variant: variant_name.clone(),
                    batch,
                    warmup_steps: self.warmup,
                    steps: self.steps,
                    infer_passes: self.infer_passes,
                    fused: !self.generic_step,
                    mc_passes: self.mc_passes,
                };
                if let Some(reps) = self.kernel_times {
                    let v = variant(variant_name)?;
                    let train = TrainConfig {
                        batch_size: batch,
                        ..TrainConfig::default()
                    };
                    let times = block_on(phase_times(&v.model, &train, &device, reps))?;
                    out.emit(
                        "kernel-times",
                        json!({ "variant": variant_name, "times": times }),
                    );
                    continue;
                }
                let data = bench::bench_data(&config);
                let result = block_on(bench::run(&config, &data, &device, self.backend.name()))?;
                out.emit("bench", serde_json::to_value(result).unwrap());
            }
        }
        Ok(())
    }
}
