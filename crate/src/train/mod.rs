//! Training: the run's state machine, early stopping, the LR finder and search, schedules, and
//! the run's history.

pub mod config;
pub mod csv;
pub mod early_stopping;
pub mod fused_checks;
pub mod history;
pub mod lr_finder;
pub mod lr_search;
pub mod run;
pub mod schedule;
mod stepper;
pub mod trainer;

// Moved below `train`, so that `fused`, `stats` and `eval` need not import it; kept here under
// their old paths.
pub use crate::data::batches;
pub use crate::model::loss;

pub use config::TrainConfig;
pub use history::{EpochRecord, History, Probe, ProbeWeights, StopReason};
pub use lr_finder::{LrSweep, LrSweepConfig, SweepEvent, SweepRun};
pub use lr_search::{LrCandidate, LrSearch, lr_search};
pub use run::{RunReport, TrainEvent, fit};
pub use schedule::Schedule;
pub use trainer::{EpochSummary, McDropout, Progress, RunStart, Trainer};

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
