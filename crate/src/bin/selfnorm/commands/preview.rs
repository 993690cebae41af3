use clap::Args;
use pollster::block_on;
use selfnorm::clock::now_seconds;
use selfnorm::preview::preview;
use serde_json::json;

use crate::error::CliError;
use crate::options::RunOptions;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct PreviewArgs {
    #[command(flatten)]
    run: RunOptions,
}

impl PreviewArgs {
    /// One `preview` line for the model, then one `preview-stats` line per input (`real`, then
    /// `gaussian`), each with the per-layer columns of a probe.
    pub fn exec(self) -> Result<(), CliError> {
        let mut out = Output::new(None)?;
        let setup = self.run.setup()?;
        let data = self.run.load_data()?;
        let device = self.run.backend.device().map_err(CliError::Usage)?;
        let start = now_seconds();
        let result = block_on(preview(
            &data,
            &setup.model,
            &setup.train,
            setup.preprocessing,
            &device,
        ))?;
        out.emit(
            "preview",
            json!({
                "variant": setup.variant.name,
                "backend": self.run.backend.name(),
                "model": result.model,
                "preprocessing": setup.preprocessing,
                "samples": result.samples,
                "seconds": now_seconds() - start,
            }),
        );
        for (input, stats) in [("real", &result.real), ("gaussian", &result.gaussian)] {
            out.emit("preview-stats", json!({ "input": input, "stats": stats }));
        }
        Ok(())
    }
}
