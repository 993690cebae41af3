use clap::Args;
use pollster::block_on;
use selfnorm::backend::BackendKind;
use selfnorm::lessons::{self, LessonEvent, LessonOptions};
use selfnorm::train::TrainEvent;
use serde_json::json;

use super::dataset_summary;
use crate::error::CliError;
use crate::options::load_data;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct LessonArgs {
    /// symmetry, zero-bias, activations, momentum, sparsity, dropout-cost, one-cycle.
    name: String,
    /// A prepared dataset folder, or `synthetic`.
    #[arg(long, default_value = "data/cifar10")]
    data: String,
    #[arg(long, default_value = "cpu")]
    backend: BackendKind,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Training records per epoch (0: all).
    #[arg(long, default_value_t = 10_000)]
    max_train_records: usize,
    #[arg(long, default_value_t = 20)]
    depth: usize,
    #[arg(long, default_value_t = 100)]
    width: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Nadam's learning rate (SGD runs use 10× this).
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// The sparsity lesson's L1 strength.
    #[arg(long, default_value_t = 1e-4)]
    l1: f64,
}

impl LessonArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let options = LessonOptions {
            epochs: self.epochs,
            max_train_records: self.max_train_records,
            seed: self.seed,
            depth: self.depth,
            width: self.width,
            lr: self.lr,
            l1: self.l1,
        };
        let lesson = lessons::lesson(&self.name, &options)?;
        let data = load_data(&self.data)?;
        let device = self.backend.device().map_err(CliError::Usage)?;
        let mut out = Output::new(None)?;
        out.emit("lesson-start", json!({ "lesson": lesson.name, "question": lesson.question, "runs": lesson.runs, "dataset": dataset_summary(&data) }));
        let (_, finding) = block_on(lessons::run_lesson(
            &lesson,
            &data,
            &device,
            &mut |runner, event| {
                if let LessonEvent::Trained {
                    index,
                    event: TrainEvent::EpochEnded { summary },
                } = event
                {
                    let label = &runner.lesson().runs[*index].label;
                    out.emit("epoch", json!({ "run": label, "summary": summary }));
                }
            },
        ))?;
        out.emit(
            "finding",
            json!({ "lesson": lesson.name, "finding": finding }),
        );
        Ok(())
    }
}
