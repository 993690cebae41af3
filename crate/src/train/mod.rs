//! Training: the loop, early stopping, the LR finder, schedules, and the run's history.

pub mod batches;
pub mod config;
pub mod early_stopping;
pub mod fit;
pub mod history;
pub mod loss;
pub mod lr_finder;
pub mod schedule;
pub mod trainer;

pub use config::TrainConfig;
pub use fit::{Event, fit};
pub use history::{EpochRecord, History, Probe, StopReason};
pub use lr_finder::{LrSweep, LrSweepConfig};
pub use schedule::Schedule;
pub use trainer::{EpochSummary, Progress, Trainer};

#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
