use std::path::{Path, PathBuf};

use clap::Args;
use pollster::block_on;
use selfnorm::clock::now_seconds;
use selfnorm::data::SplitKind;
use selfnorm::train::{History, StopReason, csv, fit};
use selfnorm::weights;
use serde_json::json;

use super::start;
use crate::error::CliError;
use crate::options::RunOptions;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    run: RunOptions,
    /// After training, also evaluate MC Dropout with this many samples (repeatable).
    #[arg(long = "mc-samples")]
    mc_samples: Vec<usize>,
    /// Save the best weights here (and the configuration beside it, as FILE.json).
    #[arg(long)]
    save: Option<PathBuf>,
    /// Copy the JSON lines to this file.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Write the history as CSV: the epochs to PATH (a row each), the probes to PATH with the
    /// extension `.probes.csv` (a row per probe and hidden layer); each with a header row.
    #[arg(long, value_name = "PATH")]
    csv: Option<PathBuf>,
}

impl TrainArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let mut out = Output::new(self.log.as_deref())?;
        let (data, setup, mut trainer) = start(&self.run, &mut out)?;
        let started = now_seconds();
        let report = block_on(fit(&mut trainer, &data, &mut |event| {
            out.train_event(event)
        }));
        out.finish();
        // Written before the outcome is judged, so a diverged run's history leaves too.
        if let Some(path) = &self.csv {
            write_csv(path, trainer.history())?;
        }
        let report = report?;
        if let StopReason::Diverged { message, .. } = &report.stop {
            out.emit(
                "error",
                json!({ "message": message, "history": trainer.history() }),
            );
            return Err(CliError::Usage(message.clone()));
        }
        let mut mc = Vec::new();
        for &n in &self.mc_samples {
            let on = |split| block_on(trainer.evaluate_mc(&data, split, n));
            mc.push(json!({ "samples": n, "valid": on(SplitKind::Valid)?, "test": on(SplitKind::Test)? }));
        }
        let h = trainer.history();
        let epochs = h.epochs.len().max(1) as f64;
        out.emit(
            "end",
            json!({
                "variant": setup.variant.name,
                "stop": report.stop,
                "epochs": h.epochs.len(),
                "best_epoch": h.best_epoch,
                "valid": report.valid,
                "test": report.test,
                "mc_dropout": mc,
                "seconds": now_seconds() - started,
                "seconds_per_epoch": h.epochs.iter().map(|e| e.seconds).sum::<f64>() / epochs,
                "train_samples_per_s": h.epochs.iter().map(|e| e.samples_per_s).sum::<f64>() / epochs,
            }),
        );
        match &self.save {
            Some(path) => save(path, &trainer, &setup),
            None => Ok(()),
        }
    }
}

/// The epochs to `path`, the probes beside it (`run.csv` → `run.probes.csv`).
fn write_csv(path: &Path, history: &History) -> Result<(), CliError> {
    let probes_path = path.with_extension("probes.csv");
    for (file, text) in [
        (path, csv::epochs_csv(&history.epochs)),
        (probes_path.as_path(), csv::probes_csv(&history.probes)),
    ] {
        std::fs::write(file, text)
            .map_err(|e| CliError::file(file, format!("cannot write ({e})")))?;
    }
    Ok(())
}

fn save(
    path: &std::path::Path,
    trainer: &selfnorm::train::Trainer,
    setup: &crate::options::RunSetup,
) -> Result<(), CliError> {
    let bytes = block_on(weights::to_bytes(trainer.model()))?;
    std::fs::write(path, bytes).map_err(|e| CliError::file(path, format!("cannot write ({e})")))?;
    let config = json!({ "model": trainer.model_config, "preprocessing": setup.preprocessing, "variant": setup.variant.name });
    let config_path = path.with_extension("json");
    std::fs::write(&config_path, config.to_string()).map_err(|e| CliError::file(&config_path, e))
}
