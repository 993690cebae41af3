//! One module per subcommand: its arguments and an `exec` over library functions.

mod bench;
mod eval;
mod exercise;
mod lesson;
mod lr_find;
mod lr_search;
mod prepare_data;
mod preview;
mod train;

use clap::{Parser, Subcommand};
use selfnorm::data::Dataset;
use selfnorm::lessons::{self, LessonOptions};
use selfnorm::train::Trainer;
use selfnorm::variants;
use serde_json::json;

use crate::error::CliError;
use crate::options::{RunOptions, RunSetup};
use crate::output::Output;

#[derive(Parser, Debug)]
#[command(
    name = "selfnorm",
    version,
    about = "Train the dense nets of Hands-On ML chapter 11 on CIFAR-10 and watch each layer"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a variant with early stopping; JSON lines per epoch and per statistics probe.
    Train(train::TrainArgs),
    /// Signal propagation at initialization: per-layer statistics of the untrained model on
    /// validation images and on N(0, 1) inputs, with one backward pass (JSON lines).
    Preview(preview::PreviewArgs),
    /// Learning-rate finder: one exponential sweep, loss per step, a suggested rate.
    LrFind(lr_find::LrFindArgs),
    /// Learning-rate search by short runs: train each candidate rate for a few epochs from the
    /// same initial weights and keep the one with the lowest validation loss.
    LrSearch(lr_search::LrSearchArgs),
    /// Evaluate saved weights on a split, plain and with MC Dropout.
    Eval(eval::EvalArgs),
    /// Turn the official CIFAR-10 binary archive (or Fashion-MNIST's IDX files) into shards.
    PrepareData(prepare_data::PrepareArgs),
    /// Write a small learnable synthetic dataset in the shard format.
    SynthData(prepare_data::SynthArgs),
    /// List the named variants and their settings.
    Variants,
    /// Training and inference throughput on CIFAR-shaped data (one JSON line per setting).
    Bench(bench::BenchArgs),
    /// List the chapter's lessons (questions 1–7 and 1cycle).
    Lessons,
    /// Run one lesson; the last line holds `lesson` and the `finding` that answers it.
    Lesson(lesson::LessonArgs),
    /// Exercise 8 whole: the LR search and training of (b)–(e), MC Dropout, (f) with 1cycle; a
    /// `part` line as each part ends and a final `table` beside the book's figures.
    Exercise(exercise::ExerciseArgs),
}

impl Command {
    pub fn exec(self) -> Result<(), CliError> {
        match self {
            Command::Train(args) => args.exec(),
            Command::Preview(args) => args.exec(),
            Command::LrFind(args) => args.exec(),
            Command::LrSearch(args) => args.exec(),
            Command::Eval(args) => args.exec(),
            Command::PrepareData(args) => args.exec(),
            Command::SynthData(args) => args.exec(),
            Command::Variants => list_variants(),
            Command::Bench(args) => args.exec(),
            Command::Lessons => list_lessons(),
            Command::Lesson(args) => args.exec(),
            Command::Exercise(args) => args.exec(),
        }
    }
}

fn list_variants() -> Result<(), CliError> {
    let mut out = Output::new(None)?;
    for v in variants::all() {
        out.emit("variant", serde_json::to_value(&v).unwrap());
    }
    Ok(())
}

fn list_lessons() -> Result<(), CliError> {
    let mut out = Output::new(None)?;
    for lesson in lessons::all(&LessonOptions::default()) {
        let runs: Vec<_> = lesson.runs.iter().map(|r| r.label.clone()).collect();
        out.emit("lesson", json!({ "name": lesson.name, "question": lesson.question, "caption": lesson.caption, "runs": runs }));
    }
    Ok(())
}

/// The dataset, the run's configuration, and a trainer on the chosen backend; prints the `run`
/// line.
fn start(run: &RunOptions, out: &mut Output) -> Result<(Dataset, RunSetup, Trainer), CliError> {
    let setup = run.setup()?;
    let data = run.load_data()?;
    let device = run.backend.device().map_err(CliError::Usage)?;
    let trainer = Trainer::new(
        &data,
        &setup.model,
        &setup.train,
        setup.preprocessing,
        &device,
    )?;
    out.emit(
        "run",
        json!({
            "variant": setup.variant.name,
            "title": setup.variant.title,
            "backend": run.backend.name(),
            "commit": option_env!("SELFNORM_COMMIT"),
            "model": trainer.model_config,
            "train": setup.train,
            "preprocessing": setup.preprocessing,
            "parameters": trainer.model_config.parameter_count(),
            "step": trainer.step_path(),
            "dataset": dataset_summary(&data),
        }),
    );
    Ok((data, setup, trainer))
}

fn dataset_summary(data: &Dataset) -> serde_json::Value {
    json!({
        "name": data.manifest.dataset,
        "image_shape": data.manifest.image_shape,
        "train": data.train.len(),
        "valid": data.valid.len(),
        "test": data.test.len(),
    })
}
