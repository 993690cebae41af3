//! What the worker's session is busy with: a training run, an LR sweep or a lesson, each a state
//! machine of the library that one `advance` moves on by one bounded piece of work.

use serde::Serialize;

use crate::data::Dataset;
use crate::error::{ConfigError, TrainError};
use crate::exercise::{ExerciseEvent, ExerciseRunner};
use crate::lessons::{LessonEvent, LessonRunner};
use crate::train::{StopReason, SweepEvent, SweepRun, TrainEvent, Trainer};

pub enum Job {
    Run(Box<Trainer>),
    Sweep(Box<Trainer>, Box<SweepRun>),
    Lesson(Box<LessonRunner>),
    Exercise(Box<ExerciseRunner>),
}

/// An event of whichever job emitted it; `job` says which kind.
#[derive(Serialize)]
#[serde(tag = "job", content = "event", rename_all = "kebab-case")]
pub enum JobEvent {
    Run(TrainEvent),
    Sweep(SweepEvent),
    Lesson(LessonEvent),
    Exercise(ExerciseEvent),
}

impl Job {
    pub async fn advance(&mut self, data: &Dataset) -> Result<JobEvent, TrainError> {
        if self.done() {
            return Err(ConfigError(
                "nothing to continue: start a run, a sweep or a lesson".into(),
            )
            .into());
        }
        Ok(match self {
            Job::Run(trainer) => JobEvent::Run(trainer.advance(data).await?),
            Job::Sweep(trainer, sweep) => {
                JobEvent::Sweep(trainer.advance_sweep(sweep, data).await?)
            }
            Job::Lesson(runner) => JobEvent::Lesson(runner.advance(data).await?),
            Job::Exercise(runner) => JobEvent::Exercise(runner.advance(data).await?),
        })
    }

    /// Asks the job to end: a run restores its best weights, a sweep keeps the rates swept so far,
    /// a lesson stops its current run and makes no finding. The following advances wind it up.
    pub fn stop(&mut self) {
        match self {
            Job::Run(trainer) => trainer.finish(StopReason::Stopped),
            Job::Sweep(_, sweep) => sweep.stop(),
            Job::Lesson(runner) => runner.stop(),
            Job::Exercise(runner) => runner.stop(),
        }
    }

    pub fn done(&self) -> bool {
        match self {
            Job::Run(trainer) => trainer.done(),
            Job::Sweep(_, sweep) => sweep.done(),
            Job::Lesson(runner) => runner.done(),
            Job::Exercise(runner) => runner.done(),
        }
    }

    /// The weights the job holds now (a lesson's current or last run).
    pub fn trainer(&self) -> Option<&Trainer> {
        match self {
            Job::Run(trainer) | Job::Sweep(trainer, _) => Some(trainer),
            Job::Lesson(runner) => runner.trainer(),
            Job::Exercise(runner) => runner.trainer(),
        }
    }

    pub fn trainer_mut(&mut self) -> Option<&mut Trainer> {
        match self {
            Job::Run(trainer) => Some(trainer),
            _ => None,
        }
    }
}
