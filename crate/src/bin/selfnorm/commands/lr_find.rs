use clap::Args;
use pollster::block_on;
use selfnorm::train::LrSweepConfig;

use super::start;
use crate::error::CliError;
use crate::options::RunOptions;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct LrFindArgs {
    #[command(flatten)]
    run: RunOptions,
    #[arg(long, default_value_t = 1e-6)]
    min_lr: f64,
    #[arg(long, default_value_t = 1.0)]
    max_lr: f64,
    /// Steps in the sweep (0: one epoch).
    #[arg(long, default_value_t = 0)]
    steps: usize,
}

impl LrFindArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let mut out = Output::new(None)?;
        let (data, _, mut trainer) = start(&self.run, &mut out)?;
        let sweep = LrSweepConfig {
            min_lr: self.min_lr,
            max_lr: self.max_lr,
            steps: self.steps,
        };
        let result = block_on(trainer.find_lr(&data, &sweep))?;
        out.emit("lr-find", serde_json::to_value(&result).unwrap());
        Ok(())
    }
}
