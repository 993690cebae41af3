//! Runs a lesson's runs one after the other, as a state machine that emits events (the CLI and
//! the browser worker both drive it), and distils the figures that answer its question.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::catalog::{Lesson, LessonRun};
use super::finding::{Finding, Inference, InferenceMode, Pruned, RunExtras, finding};
use crate::data::{Dataset, SplitKind};
use crate::error::TrainError;
use crate::eval::Evaluation;
use crate::sparsity::{prune, zero_fractions};
use crate::train::{
    History, LrSweepConfig, RunReport, RunStart, Schedule, StopReason, SweepEvent, SweepRun,
    TrainEvent, Trainer,
};

/// Weights with |w| at most this count as zero in the sparsity figures.
pub const ZERO_THRESHOLD: f32 = 1e-3;
const PRUNE_LEVELS: [f64; 4] = [0.5, 0.8, 0.9, 0.95];
const MC_SAMPLES: [usize; 2] = [10, 100];
/// The LR finder's sweep before a 1cycle run.
const ONE_CYCLE_SWEEP: LrSweepConfig = LrSweepConfig {
    min_lr: 1e-5,
    max_lr: 1.0,
    steps: 0,
};

/// What one run of a lesson produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunOutcome {
    pub label: String,
    pub history: History,
    pub valid: Option<Evaluation>,
    /// Why the run stopped early, e.g. a diverging loss (the history is kept).
    pub error: Option<String>,
    /// Lesson-specific figures (sparsity per layer, pruning, timings, 1cycle's peak rate).
    pub extra: RunExtras,
}

/// What one call of [`LessonRunner::advance`] did; `index` is the run's place in the lesson.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LessonEvent {
    /// The LR finder before a 1cycle run.
    Swept {
        index: usize,
        event: SweepEvent,
    },
    /// A run starts training with these settings (its model fitted to the dataset).
    RunStarted {
        index: usize,
        label: String,
        #[serde(flatten)]
        run: RunStart,
    },
    Trained {
        index: usize,
        event: TrainEvent,
    },
    /// The run's outcome, with the lesson's own measurements of its restored weights.
    RunEnded {
        index: usize,
        outcome: RunOutcome,
    },
    /// The figures that answer the lesson's question; none when the user stopped the lesson.
    Finished {
        finding: Option<Finding>,
        stopped: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Prepare,
    Sweep,
    Start,
    Train,
    Measure,
    Done,
}

/// A lesson in progress: each call of [`LessonRunner::advance`] does one piece of it.
pub struct LessonRunner {
    lesson: Lesson,
    device: Device,
    index: usize,
    stage: Stage,
    trainer: Option<Trainer>,
    sweep: Option<SweepRun>,
    report: Option<RunReport>,
    extra: RunExtras,
    outcomes: Vec<RunOutcome>,
    stopped: bool,
}

impl LessonRunner {
    pub fn new(lesson: Lesson, device: &Device) -> Self {
        Self {
            lesson,
            device: device.clone(),
            index: 0,
            stage: Stage::Prepare,
            trainer: None,
            sweep: None,
            report: None,
            extra: RunExtras::default(),
            outcomes: Vec::new(),
            stopped: false,
        }
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// The run being trained or measured (its weights, for an export), if any.
    pub fn trainer(&self) -> Option<&Trainer> {
        self.trainer.as_ref()
    }

    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Ends the lesson: the current run stops (its history kept) and no finding is made.
    pub fn stop(&mut self) {
        self.stopped = true;
        match self.stage {
            Stage::Sweep => self.sweep.as_mut().map_or((), SweepRun::stop),
            Stage::Train => self
                .trainer
                .as_mut()
                .map_or((), |t| t.finish(StopReason::Stopped)),
            _ => {}
        }
    }

    pub async fn advance(&mut self, data: &Dataset) -> Result<LessonEvent, TrainError> {
        match self.stage {
            Stage::Prepare | Stage::Start | Stage::Measure if self.stopped => Ok(self.end(None)),
            Stage::Prepare if self.index == self.lesson.runs.len() => {
                let finding = finding(&self.lesson, &self.outcomes);
                Ok(self.end(Some(finding)))
            }
            Stage::Prepare => self.prepare(data),
            Stage::Sweep => self.sweep(data).await,
            Stage::Start => self.start(data),
            Stage::Train => self.train(data).await,
            Stage::Measure => self.measure(data).await,
            Stage::Done => Ok(LessonEvent::Finished {
                finding: None,
                stopped: self.stopped,
            }),
        }
    }

    fn end(&mut self, finding: Option<Finding>) -> LessonEvent {
        self.stage = Stage::Done;
        LessonEvent::Finished {
            finding,
            stopped: self.stopped,
        }
    }

    fn prepare(&mut self, data: &Dataset) -> Result<LessonEvent, TrainError> {
        let run = &self.lesson.runs[self.index];
        let trainer = Trainer::new(
            data,
            &run.model,
            &run.train,
            run.preprocessing,
            &self.device,
        )?;
        self.extra = RunExtras::default();
        let one_cycle = run.train.schedule == Schedule::OneCycle;
        self.trainer = Some(trainer);
        if !one_cycle {
            return self.start(data);
        }
        let sweep = self
            .trainer
            .as_ref()
            .unwrap()
            .begin_sweep(data, &ONE_CYCLE_SWEEP);
        let event = SweepEvent::Swept {
            steps: 0,
            total: sweep.total(),
        };
        self.sweep = Some(sweep);
        self.stage = Stage::Sweep;
        Ok(LessonEvent::Swept {
            index: self.index,
            event,
        })
    }

    async fn sweep(&mut self, data: &Dataset) -> Result<LessonEvent, TrainError> {
        let (trainer, sweep) = (self.trainer.as_mut().unwrap(), self.sweep.as_mut().unwrap());
        let event = trainer.advance_sweep(sweep, data).await?;
        if let SweepEvent::Found { result } = &event {
            // 1cycle's peak: half the rate of the lowest smoothed loss (the LR finder's
            // suggestion is a tenth of it, meant for a constant rate).
            trainer.config.lr = result.suggested_lr * 5.0;
            self.extra.max_lr = Some(trainer.config.lr);
            self.sweep = None;
            self.stage = Stage::Start;
        }
        Ok(LessonEvent::Swept {
            index: self.index,
            event,
        })
    }

    fn start(&mut self, data: &Dataset) -> Result<LessonEvent, TrainError> {
        let trainer = self.trainer.as_ref().unwrap();
        self.stage = Stage::Train;
        Ok(LessonEvent::RunStarted {
            index: self.index,
            label: self.lesson.runs[self.index].label.clone(),
            run: trainer.run_start(data),
        })
    }

    async fn train(&mut self, data: &Dataset) -> Result<LessonEvent, TrainError> {
        let event = self.trainer.as_mut().unwrap().advance(data).await?;
        if let TrainEvent::Finished { report } = &event {
            self.report = Some(report.clone());
            self.stage = Stage::Measure;
        }
        Ok(LessonEvent::Trained {
            index: self.index,
            event,
        })
    }

    async fn measure(&mut self, data: &Dataset) -> Result<LessonEvent, TrainError> {
        let report = self
            .report
            .take()
            .expect("a run's report before its measurements");
        let trainer = self.trainer.as_ref().unwrap();
        let run: &LessonRun = &self.lesson.runs[self.index];
        let error = match &report.stop {
            StopReason::Diverged { message, .. } => Some(message.clone()),
            _ => None,
        };
        if error.is_none() {
            add_extras(
                &self.lesson.name,
                self.index,
                trainer,
                data,
                &mut self.extra,
            )
            .await?;
        }
        let outcome = RunOutcome {
            label: run.label.clone(),
            history: trainer.history().clone(),
            valid: report.valid,
            error,
            extra: std::mem::take(&mut self.extra),
        };
        self.outcomes.push(outcome.clone());
        let index = self.index;
        self.index += 1;
        self.stage = Stage::Prepare;
        Ok(LessonEvent::RunEnded { index, outcome })
    }
}

/// Runs every run of `lesson` on `data`, passing each event to `on_event`; returns the runs'
/// outcomes and the finding.
pub async fn run_lesson(
    lesson: &Lesson,
    data: &Dataset,
    device: &Device,
    on_event: &mut dyn FnMut(&LessonRunner, &LessonEvent),
) -> Result<(Vec<RunOutcome>, Option<Finding>), TrainError> {
    let mut runner = LessonRunner::new(lesson.clone(), device);
    loop {
        let event = runner.advance(data).await?;
        on_event(&runner, &event);
        if let LessonEvent::Finished { finding, .. } = event {
            return Ok((runner.outcomes, finding));
        }
    }
}

async fn add_extras(
    lesson: &str,
    index: usize,
    trainer: &Trainer,
    data: &Dataset,
    extra: &mut RunExtras,
) -> Result<(), TrainError> {
    match lesson {
        "sparsity" => {
            extra.zero_fraction = Some(zero_fractions(trainer.model(), ZERO_THRESHOLD).await?);
            extra.zero_threshold = Some(ZERO_THRESHOLD);
            if index == 0 {
                let mut pruned = Vec::new();
                for level in PRUNE_LEVELS {
                    let model = prune(trainer.model().clone(), level).await?;
                    let eval = trainer
                        .evaluate_model(&model, data, SplitKind::Valid)
                        .await?;
                    pruned.push(Pruned {
                        sparsity: level,
                        val_accuracy: eval.accuracy,
                        val_loss: eval.loss,
                    });
                }
                extra.pruning = Some(pruned);
            }
        }
        "dropout-cost" => {
            let plain = trainer.evaluate(data, SplitKind::Valid).await?;
            let timing = |mode, samples, e: Evaluation| Inference {
                mode,
                samples,
                seconds: e.seconds,
                accuracy: e.accuracy,
            };
            let mut inference = vec![timing(InferenceMode::Eval, 1, plain)];
            if trainer.model_config.dropout.is_some() {
                for n in MC_SAMPLES {
                    let mc = trainer.evaluate_mc(data, SplitKind::Valid, n).await?;
                    inference.push(timing(InferenceMode::McDropout, n, mc));
                }
            }
            extra.inference = Some(inference);
        }
        _ => {}
    }
    Ok(())
}
