//! The chapter's other lessons as live experiments (questions 1–7, and 1cycle).

mod catalog;
mod finding;
mod runner;

pub use catalog::{LESSON_NAMES, Lesson, LessonOptions, LessonRun, all, lesson};
pub use finding::{
    Finding, Inference, InferenceMode, LayerFigures, Pruned, RunExtras, RunFinding, finding,
};
pub use runner::{LessonEvent, LessonRunner, RunOutcome, ZERO_THRESHOLD, run_lesson};

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
