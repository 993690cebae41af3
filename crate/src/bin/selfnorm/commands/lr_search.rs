use std::path::PathBuf;

use clap::Args;
use pollster::block_on;
use selfnorm::train::lr_search::{SEARCH_RATES, lr_search};
use serde_json::json;

use crate::error::CliError;
use crate::options::RunOptions;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct LrSearchArgs {
    #[command(flatten)]
    run: RunOptions,
    #[arg(long, value_delimiter = ',', default_values_t = SEARCH_RATES)]
    candidates: Vec<f64>,
    /// Copy the JSON lines to this file.
    #[arg(long)]
    log: Option<PathBuf>,
}

impl LrSearchArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let mut out = Output::new(self.log.as_deref())?;
        let setup = self.run.setup()?;
        let data = self.run.load_data()?;
        let device = self.run.backend.device().map_err(CliError::Usage)?;
        out.emit("run", json!({ "variant": setup.variant.name, "backend": self.run.backend.name(), "model": setup.model, "train": setup.train, "preprocessing": setup.preprocessing, "dataset": super::dataset_summary(&data) }));
        let search = block_on(lr_search(
            &data,
            &setup.model,
            &setup.train,
            setup.preprocessing,
            &device,
            &self.candidates,
            &mut |c| out.emit("lr-candidate", serde_json::to_value(c).unwrap()),
        ))?;
        let lr = search
            .best_lr
            .ok_or_else(|| CliError::Usage("every candidate rate diverged".into()))?;
        out.emit("lr-search", json!({ "variant": setup.variant.name, "best_lr": lr, "best_val_loss": search.best_val_loss, "epochs_per_candidate": setup.train.max_epochs }));
        Ok(())
    }
}
