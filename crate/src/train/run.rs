//! A run as a state machine that emits events. The CLI, the browser worker and the lessons all
//! drive a [`Trainer`] through [`Trainer::advance`], so the order of a run — a probe whenever one
//! is due, chunks of steps, the end of each epoch, then the final probe of the restored best
//! weights and the final evaluation — is written here once.

use serde::{Deserialize, Serialize};

use super::history::{Probe, ProbeWeights, StopReason};
use super::trainer::{EpochSummary, Progress, Trainer};
use crate::clock::now_seconds;
use crate::data::{Dataset, SplitKind};
use crate::error::{ConfigError, TrainError};
use crate::eval::Evaluation;

/// Where a run stands between two calls of [`Trainer::advance`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Training,
    /// The epoch's records are used: validate and apply early stopping next.
    EpochEnd,
    /// The run has ended and the best weights are restored: measure them next.
    FinalProbe,
    Evaluation,
    Done,
}

/// What one call of [`Trainer::advance`] did. The history grows by exactly what the events
/// carry, so a listener that appends them holds the same history as the trainer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TrainEvent {
    Probed { probe: Probe },
    Stepped { progress: Progress },
    EpochEnded { summary: EpochSummary },
    Finished { report: RunReport },
}

/// How a run ended, with the figures of the weights it ended with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub stop: StopReason,
    /// The epoch whose weights were restored (0: none was, e.g. stopped before the first epoch).
    pub best_epoch: usize,
    /// The restored weights on the validation split; none when the run diverged.
    pub valid: Option<Evaluation>,
    /// The same on the test split, when it is fully loaded.
    pub test: Option<Evaluation>,
    /// Time taken by the final probe and evaluation.
    pub seconds: f64,
}

impl Trainer {
    /// Does the next piece of the run (a probe, a chunk of steps, an epoch's end, the final probe
    /// or the final evaluation) and says what it did. A diverging loss ends the run with a
    /// [`TrainEvent::Finished`] whose stop reason says so; other errors leave the history as it is.
    pub async fn advance(&mut self, data: &Dataset) -> Result<TrainEvent, TrainError> {
        let result = match self.stage {
            Stage::Training if self.probe_due() => {
                self.probe_event(data, ProbeWeights::Current).await
            }
            Stage::Training => self.chunk_event(data).await,
            Stage::EpochEnd => self.epoch_event(data).await,
            Stage::FinalProbe => {
                self.stage = Stage::Evaluation;
                let weights = match self.restored_epoch() {
                    Some(epoch) => ProbeWeights::RestoredBest { epoch },
                    None => ProbeWeights::Current,
                };
                self.probe_event(data, weights).await
            }
            Stage::Evaluation => self.final_evaluation(data).await,
            Stage::Done => Err(ConfigError("the run has ended: configure a new one".into()).into()),
        };
        match result {
            Err(TrainError::NonFinite { .. }) => Ok(self.diverged_report()),
            other => other,
        }
    }

    /// Whether the run has emitted its [`TrainEvent::Finished`].
    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }

    async fn probe_event(
        &mut self,
        data: &Dataset,
        weights: ProbeWeights,
    ) -> Result<TrainEvent, TrainError> {
        let probe = self.probe(data, weights).await?;
        Ok(TrainEvent::Probed { probe })
    }

    async fn chunk_event(&mut self, data: &Dataset) -> Result<TrainEvent, TrainError> {
        let progress = self.train_chunk(data).await?;
        if progress.epoch_complete {
            self.stage = Stage::EpochEnd;
        }
        Ok(TrainEvent::Stepped { progress })
    }

    async fn epoch_event(&mut self, data: &Dataset) -> Result<TrainEvent, TrainError> {
        let summary = self.end_epoch(data).await?;
        if self.stage == Stage::EpochEnd {
            self.stage = Stage::Training;
        }
        Ok(TrainEvent::EpochEnded { summary })
    }

    async fn final_evaluation(&mut self, data: &Dataset) -> Result<TrainEvent, TrainError> {
        let start = now_seconds();
        let valid = self.evaluate(data, SplitKind::Valid).await?;
        let test = match data.test_ready() {
            true => Some(self.evaluate(data, SplitKind::Test).await?),
            false => None,
        };
        self.stage = Stage::Done;
        Ok(TrainEvent::Finished {
            report: RunReport {
                stop: self.history().stop.clone().unwrap_or(StopReason::Stopped),
                best_epoch: self.restored_epoch().unwrap_or(0),
                valid: Some(valid),
                test,
                seconds: now_seconds() - start,
            },
        })
    }

    fn diverged_report(&mut self) -> TrainEvent {
        self.stage = Stage::Done;
        let stop = self.history().stop.clone().unwrap_or(StopReason::Diverged {
            message: "the run diverged".into(),
            epoch: 0,
            step: 0,
        });
        TrainEvent::Finished {
            report: RunReport {
                stop,
                best_epoch: self.history().best_epoch,
                valid: None,
                test: None,
                seconds: 0.0,
            },
        }
    }
}

/// Drives `trainer` to the end of its run, passing each event to `on_event`, and returns how the
/// run ended. On an error the history so far stays in the trainer.
pub async fn fit(
    trainer: &mut Trainer,
    data: &Dataset,
    on_event: &mut dyn FnMut(&TrainEvent),
) -> Result<RunReport, TrainError> {
    loop {
        let event = trainer.advance(data).await?;
        on_event(&event);
        if let TrainEvent::Finished { report } = event {
            return Ok(report);
        }
    }
}
