use std::path::PathBuf;

use clap::{Args, ValueEnum};
use pollster::block_on;
use selfnorm::backend::BackendKind;
use selfnorm::exercise::{
    Edition, ExerciseEvent, ExerciseOptions, ExercisePlan, Length, run_exercise,
};
use selfnorm::train::TrainEvent;
use serde_json::json;

use super::dataset_summary;
use crate::error::CliError;
use crate::options::load_data;
use crate::output::Output;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LengthChoice {
    Quick,
    Full,
}

#[derive(Args, Debug)]
pub struct ExerciseArgs {
    /// The book's edition whose exercise to run: 2 (ELU, input batch norm) or 3 (Swish).
    #[arg(long, default_value = "2")]
    edition: Edition,
    /// full: the book's protocol (hours on a CPU); quick: 2,000 records, 3 epochs, a 3-rate
    /// search (minutes), a first look whose figures are not the book's.
    #[arg(long, value_enum, default_value = "full")]
    length: LengthChoice,
    /// A prepared dataset folder, or `synthetic`.
    #[arg(long, default_value = "data/cifar10")]
    data: String,
    #[arg(long, default_value = "cpu")]
    backend: BackendKind,
    /// Training records per epoch (0: all), overriding the length's.
    #[arg(long)]
    max_train_records: Option<usize>,
    /// Most epochs of each part, overriding the length's.
    #[arg(long)]
    max_epochs: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long)]
    depth: Option<usize>,
    #[arg(long)]
    width: Option<usize>,
    /// Copy every line, with each epoch, candidate and probe, to this file.
    #[arg(long)]
    log: Option<PathBuf>,
}

impl ExerciseArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let length = match self.length {
            LengthChoice::Quick => Length::Quick,
            LengthChoice::Full => Length::Full,
        };
        let options = ExerciseOptions {
            max_train_records: self.max_train_records,
            max_epochs: self.max_epochs,
            seed: self.seed,
            depth: self.depth,
            width: self.width,
        };
        let plan = ExercisePlan::new(self.edition, length, &options)?;
        let data = load_data(&self.data)?;
        let device = self.backend.device().map_err(CliError::Usage)?;
        let mut out = Output::new(self.log.as_deref())?;
        out.emit("exercise", json!({ "edition": plan.edition, "length": plan.length, "backend": self.backend.name(), "commit": option_env!("SELFNORM_COMMIT"), "dataset": dataset_summary(&data), "max_steps": plan.max_steps(data.train.expected()) }));
        let table = block_on(run_exercise(plan, &data, &device, &mut |event| {
            report(&mut out, event)
        }))?;
        out.finish();
        out.emit("table", serde_json::to_value(&table).unwrap());
        eprintln!("{}", table.to_text());
        Ok(())
    }
}

/// A line per part, candidate, epoch and probe (with its part; the log keeps them for the
/// results' summary); steps go to the progress bar.
fn report(out: &mut Output, event: &ExerciseEvent) {
    let fields = || serde_json::to_value(event).expect("events serialize");
    match event {
        ExerciseEvent::Searching { event, .. } => out.train_event_steps(event),
        ExerciseEvent::Swept { .. } | ExerciseEvent::Finished { .. } => {}
        ExerciseEvent::Trained { part, event } => match event {
            TrainEvent::Stepped { .. } => out.train_event_steps(event),
            TrainEvent::Finished { .. } => {}
            _ => out.emit("trained", json!({ "part": part, "train_event": event })),
        },
        ExerciseEvent::PartEnded { .. } => out.emit("part", fields()),
        _ => {
            let fields = fields();
            let kind = fields["kind"].as_str().unwrap_or("exercise").to_owned();
            out.emit(&kind, fields);
        }
    }
}
