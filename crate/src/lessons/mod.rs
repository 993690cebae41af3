//! The chapter's other lessons as live experiments (questions 1–7, and 1cycle).

mod catalog;
mod runner;

pub use catalog::{LESSON_NAMES, Lesson, LessonOptions, LessonRun, all, lesson};
pub use runner::{LessonEvent, LessonRunner, RunOutcome, ZERO_THRESHOLD, finding, run_lesson};

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
