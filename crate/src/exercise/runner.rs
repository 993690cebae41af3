//! The whole exercise as one job: a state machine that each call of [`ExerciseRunner::advance`]
//! moves on by one bounded piece of work (a chunk of a candidate's or a part's steps, a chunk of
//! the LR finder's sweep, one MC Dropout measurement), so the CLI and the browser worker drive it
//! as they drive a run or a lesson: pausable between calls, stoppable at any call.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::edition::{Part, Row};
use super::plan::{ExercisePlan, PartPlan, one_cycle_peak, one_cycle_sweep};
use super::table::{ExerciseTable, LrHow, ResultRow};
use crate::data::{Dataset, SplitKind};
use crate::error::{ConfigError, TrainError};
use crate::train::lr_search::{candidate_config, candidate_outcome};
use crate::train::{
    LrCandidate, LrSearch, RunStart, StopReason, SweepEvent, SweepRun, TrainConfig, TrainEvent,
    Trainer,
};

/// What one call of [`ExerciseRunner::advance`] did; `part` says which part it was for.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ExerciseEvent {
    /// A part begins: its net, how it trains, and the rates it will try.
    PartStarted {
        plan: Box<PartPlan>,
    },
    /// A chunk of a candidate rate's short run.
    Searching {
        part: Part,
        lr: f64,
        candidate: usize,
        candidates: usize,
        event: TrainEvent,
    },
    /// A candidate's short run ended.
    Candidate {
        part: Part,
        candidate: LrCandidate,
    },
    /// The search ended: `search.best_lr` trains the part.
    Searched {
        part: Part,
        search: LrSearch,
    },
    /// A chunk of the LR finder's sweep before (f).
    Swept {
        part: Part,
        event: SweepEvent,
    },
    /// The part's run starts training with these settings.
    RunStarted {
        part: Part,
        #[serde(flatten)]
        run: RunStart,
    },
    Trained {
        part: Part,
        event: TrainEvent,
    },
    /// One MC Dropout measurement of (e)'s trained net.
    Measured {
        part: Part,
        row: ResultRow,
    },
    /// The part's rows, complete.
    PartEnded {
        part: Part,
        rows: Vec<ResultRow>,
    },
    /// The table so far; `stopped` when the user ended the exercise before its last part.
    Finished {
        table: ExerciseTable,
        stopped: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Begin,
    Search,
    Sweep,
    Start,
    Train,
    /// MC Dropout with the plan's passes at this index.
    Mc(usize),
    /// The part's rows are complete.
    EndPart,
    Done,
}

pub struct ExerciseRunner {
    plan: ExercisePlan,
    device: Device,
    part: usize,
    stage: Stage,
    trainer: Option<Trainer>,
    search: LrSearch,
    sweep: Option<SweepRun>,
    lr_how: LrHow,
    rows: Vec<ResultRow>,
    part_rows: Vec<ResultRow>,
    stopped: bool,
}

impl ExerciseRunner {
    pub fn new(plan: ExercisePlan, device: &Device) -> Self {
        Self {
            plan,
            device: device.clone(),
            part: 0,
            stage: Stage::Begin,
            trainer: None,
            search: LrSearch::new(),
            sweep: None,
            lr_how: LrHow::Search,
            rows: Vec::new(),
            part_rows: Vec::new(),
            stopped: false,
        }
    }

    /// An exercise that goes on after the parts whose rows `done` holds (kept by the page when
    /// they ended): they must be the plan's first parts' rows, in order.
    pub fn resume(
        plan: ExercisePlan,
        device: &Device,
        done: Vec<ResultRow>,
    ) -> Result<Self, ConfigError> {
        let mut runner = Self::new(plan, device);
        let mut part = 0;
        for row in &done {
            let expected = runner.plan.parts.get(part).map(|p| Row::of(p.part));
            match expected {
                Some(own) if row.row == own => part += 1,
                _ if row.row.is_mc() && part > 0 => {}
                _ => {
                    return Err(ConfigError(format!(
                        "cannot resume the exercise: its kept row '{}' does not follow the parts \
                         before it; start the exercise again",
                        row.row.name()
                    )));
                }
            }
        }
        runner.part = part;
        runner.rows = done;
        Ok(runner)
    }

    pub fn plan(&self) -> &ExercisePlan {
        &self.plan
    }

    /// The rows of the parts ended so far.
    pub fn rows(&self) -> &[ResultRow] {
        &self.rows
    }

    /// The net being searched, trained or measured (its weights, for an export), if any.
    pub fn trainer(&self) -> Option<&Trainer> {
        self.trainer.as_ref()
    }

    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Ends the exercise: the current run stops (its history kept), no later part starts, and
    /// the table keeps the rows of the parts that ended.
    pub fn stop(&mut self) {
        self.stopped = true;
        if let Some(sweep) = self.sweep.as_mut() {
            sweep.stop();
        }
        if let Some(trainer) = self.trainer.as_mut().filter(|t| !t.done()) {
            trainer.finish(StopReason::Stopped);
        }
    }

    pub async fn advance(&mut self, data: &Dataset) -> Result<ExerciseEvent, TrainError> {
        if self.stopped && matches!(self.stage, Stage::Begin | Stage::Start | Stage::Mc(_)) {
            return Ok(self.finish());
        }
        match self.stage {
            Stage::Begin if self.part == self.plan.parts.len() => Ok(self.finish()),
            Stage::Begin => self.begin(data),
            Stage::Search => self.search_chunk(data).await,
            Stage::Sweep => self.sweep_chunk(data).await,
            Stage::Start => self.start(data),
            Stage::Train => self.train_chunk(data).await,
            Stage::Mc(i) => self.measure_mc(data, i).await,
            Stage::EndPart => Ok(self.end_part()),
            Stage::Done => Ok(ExerciseEvent::Finished {
                table: self.table(),
                stopped: self.stopped,
            }),
        }
    }

    fn current(&self) -> &PartPlan {
        &self.plan.parts[self.part]
    }

    fn table(&self) -> ExerciseTable {
        ExerciseTable {
            edition: self.plan.edition,
            length: self.plan.length,
            changes: self.plan.changes.clone(),
            rows: self.rows.clone(),
        }
    }

    fn finish(&mut self) -> ExerciseEvent {
        self.stage = Stage::Done;
        self.rows.append(&mut self.part_rows);
        self.trainer = None;
        ExerciseEvent::Finished {
            table: self.table(),
            stopped: self.stopped,
        }
    }

    fn new_trainer(&self, data: &Dataset, train: &TrainConfig) -> Result<Trainer, TrainError> {
        let plan = self.current();
        let v = &plan.variant;
        Trainer::new(data, &v.model, train, v.preprocessing, &self.device)
    }

    fn begin(&mut self, data: &Dataset) -> Result<ExerciseEvent, TrainError> {
        let plan = self.current().clone();
        self.search = LrSearch::new();
        self.part_rows.clear();
        if plan.search.is_empty() {
            let trainer = self.new_trainer(data, &plan.train)?;
            self.sweep = Some(trainer.begin_sweep(data, &one_cycle_sweep(self.plan.length)));
            self.trainer = Some(trainer);
            self.lr_how = LrHow::LrFinder;
            self.stage = Stage::Sweep;
        } else {
            self.trainer = Some(self.candidate_trainer(data, 0)?);
            self.lr_how = LrHow::Search;
            self.stage = Stage::Search;
        }
        Ok(ExerciseEvent::PartStarted {
            plan: Box::new(plan),
        })
    }

    fn candidate_trainer(&self, data: &Dataset, index: usize) -> Result<Trainer, TrainError> {
        let plan = self.current();
        let epochs = plan.search_epochs;
        let config = TrainConfig {
            max_epochs: epochs,
            patience: epochs,
            ..candidate_config(&plan.train, plan.search[index])
        };
        self.new_trainer(data, &config)
    }

    async fn search_chunk(&mut self, data: &Dataset) -> Result<ExerciseEvent, TrainError> {
        let (part, rates) = (self.current().part, self.current().search.clone());
        let index = self.search.candidates.len();
        let trainer = self.trainer.as_mut().expect("a candidate's trainer");
        let event = trainer.advance(data).await?;
        let TrainEvent::Finished { report } = &event else {
            return Ok(ExerciseEvent::Searching {
                part,
                lr: rates[index],
                candidate: index,
                candidates: rates.len(),
                event,
            });
        };
        let candidate = candidate_outcome(rates[index], trainer.history(), report);
        self.search.push(candidate.clone());
        if self.stopped {
            return Ok(self.finish());
        }
        if index + 1 < rates.len() {
            self.trainer = Some(self.candidate_trainer(data, index + 1)?);
            return Ok(ExerciseEvent::Candidate { part, candidate });
        }
        self.end_search(data, part)
    }

    fn end_search(&mut self, data: &Dataset, part: Part) -> Result<ExerciseEvent, TrainError> {
        let Some(lr) = self.search.best_lr else {
            return Err(ConfigError(format!(
                "part ({}) of the exercise: every candidate rate diverged, so none can train it; \
                 try lower rates",
                Row::of(part).name()
            ))
            .into());
        };
        let train = TrainConfig {
            lr,
            ..self.current().train.clone()
        };
        self.trainer = Some(self.new_trainer(data, &train)?);
        self.stage = Stage::Start;
        Ok(ExerciseEvent::Searched {
            part,
            search: self.search.clone(),
        })
    }

    async fn sweep_chunk(&mut self, data: &Dataset) -> Result<ExerciseEvent, TrainError> {
        let part = self.current().part;
        let trainer = self.trainer.as_mut().expect("(f)'s trainer");
        let sweep = self.sweep.as_mut().expect("(f)'s sweep");
        let event = trainer.advance_sweep(sweep, data).await?;
        if let SweepEvent::Found { result } = &event {
            trainer.config.lr = one_cycle_peak(result.suggested_lr);
            self.sweep = None;
            self.stage = if self.stopped {
                Stage::Begin
            } else {
                Stage::Start
            };
        }
        Ok(ExerciseEvent::Swept { part, event })
    }

    fn start(&mut self, data: &Dataset) -> Result<ExerciseEvent, TrainError> {
        let trainer = self.trainer.as_ref().expect("the part's trainer");
        self.stage = Stage::Train;
        Ok(ExerciseEvent::RunStarted {
            part: self.current().part,
            run: trainer.run_start(data),
        })
    }

    async fn train_chunk(&mut self, data: &Dataset) -> Result<ExerciseEvent, TrainError> {
        let part = self.current().part;
        let trainer = self.trainer.as_mut().expect("the part's trainer");
        let event = trainer.advance(data).await?;
        if let TrainEvent::Finished { report } = &event {
            let row = ResultRow::of_run(
                Row::of(part),
                &self.plan.parts[self.part],
                trainer,
                report,
                self.lr_how,
                self.plan.edition,
            );
            self.part_rows.push(row);
            let measure = report.valid.is_some() && !self.current().mc_passes.is_empty();
            self.stage = if measure {
                Stage::Mc(0)
            } else {
                Stage::EndPart
            };
        }
        Ok(ExerciseEvent::Trained { part, event })
    }

    async fn measure_mc(
        &mut self,
        data: &Dataset,
        index: usize,
    ) -> Result<ExerciseEvent, TrainError> {
        let plan = self.current();
        let (part, passes) = (plan.part, plan.mc_passes[index]);
        let last = index + 1 == plan.mc_passes.len();
        let trainer = self.trainer.as_ref().expect("(e)'s trainer");
        let valid = trainer.evaluate_mc(data, SplitKind::Valid, passes).await?;
        let test = match data.test_ready() {
            true => Some(trainer.evaluate_mc(data, SplitKind::Test, passes).await?),
            false => None,
        };
        let own = self.part_rows.first().expect("(e)'s own row");
        let row = own.with_mc(passes, valid, test, self.plan.edition);
        self.part_rows.push(row.clone());
        self.stage = if last {
            Stage::EndPart
        } else {
            Stage::Mc(index + 1)
        };
        Ok(ExerciseEvent::Measured { part, row })
    }

    fn end_part(&mut self) -> ExerciseEvent {
        let part = self.current().part;
        let rows = std::mem::take(&mut self.part_rows);
        self.rows.extend(rows.iter().cloned());
        self.part += 1;
        self.stage = Stage::Begin;
        ExerciseEvent::PartEnded { part, rows }
    }
}

/// Runs the whole exercise on `data`, passing each event to `on_event`; returns the table.
pub async fn run_exercise(
    plan: ExercisePlan,
    data: &Dataset,
    device: &Device,
    on_event: &mut dyn FnMut(&ExerciseEvent),
) -> Result<ExerciseTable, TrainError> {
    let mut runner = ExerciseRunner::new(plan, device);
    loop {
        let event = runner.advance(data).await?;
        on_event(&event);
        if let ExerciseEvent::Finished { table, .. } = event {
            return Ok(table);
        }
    }
}
