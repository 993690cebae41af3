use std::path::PathBuf;

use clap::Args;
use pollster::block_on;
use selfnorm::data::SplitKind;
use selfnorm::weights;
use serde_json::json;

use super::start;
use crate::error::CliError;
use crate::options::RunOptions;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    run: RunOptions,
    #[arg(long)]
    weights: PathBuf,
    #[arg(long, default_value = "test")]
    split: SplitKind,
    #[arg(long = "mc-samples")]
    mc_samples: Vec<usize>,
}

impl EvalArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let mut out = Output::new(None)?;
        let (data, _, mut trainer) = start(&self.run, &mut out)?;
        let path = &self.weights;
        let bytes =
            std::fs::read(path).map_err(|e| CliError::file(path, format!("cannot read ({e})")))?;
        let model = weights::from_bytes(trainer.model().clone(), &bytes)
            .map_err(|e| CliError::file(path, e))?;
        trainer.set_model(model);
        let report = block_on(trainer.mc_dropout(&data, self.split, &self.mc_samples))?;
        let split = self.split;
        out.emit(
            "eval",
            json!({ "split": split, "mode": "eval", "result": report.plain }),
        );
        for (n, mc) in self.mc_samples.iter().zip(report.mc) {
            out.emit(
                "eval",
                json!({ "split": split, "mode": "mc-dropout", "samples": n, "result": mc }),
            );
        }
        Ok(())
    }
}
