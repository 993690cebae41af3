//! Exercise 8 of chapter 11 as one job, for either edition of the book: the LR search and the
//! training to early stopping of (b), (c), (d) and (e), MC Dropout on (e)'s net, then (f) with
//! 1cycle, with a results table beside the solution notebook's figures.

mod edition;
mod plan;
mod reference;
mod runner;
mod table;
#[cfg(all(test, not(target_family = "wasm")))]
mod tests;

pub use edition::{BookFigure, Edition, Part, Row};
pub use plan::{ExerciseOptions, ExercisePlan, Length, MC_PASSES, PartPlan, one_cycle_peak};
pub use reference::{Reference, reference};
pub use runner::{ExerciseEvent, ExerciseRunner, run_exercise};
pub use table::{ExerciseTable, LrHow, ResultRow};
