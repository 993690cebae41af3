//! What the exercise trains, part by part, for an edition and a length.

use serde::{Deserialize, Serialize};

use super::edition::{Edition, Part};
use crate::error::ConfigError;
use crate::model::ModelConfig;
use crate::optim::OptimizerConfig;
use crate::train::lr_search::SEARCH_RATES;
use crate::train::{LrSweepConfig, Schedule, TrainConfig};
use crate::variants::{Variant, variant};

/// The full protocol, or a first look at a fraction of the cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Length {
    /// 2,000 training records per epoch, 3 epochs, a 3-rate search of 1 epoch each: the table's
    /// shape in minutes, not its figures.
    Quick,
    /// The exercise's protocol: 45,000 records, early stopping with patience 20 within 100
    /// epochs, a 9-rate search of 2 epochs each; (f) 15 epochs.
    #[default]
    Full,
}

/// Overrides of the length's defaults (the CLI's flags).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExerciseOptions {
    pub max_train_records: Option<usize>,
    pub max_epochs: Option<usize>,
    pub seed: Option<u64>,
    /// The net's shape, for quick checks (the exercise's is 20 × 100).
    pub depth: Option<usize>,
    pub width: Option<usize>,
}

impl ExerciseOptions {
    /// What these options change in the length's protocol, in words (empty: none).
    pub fn changes(&self) -> Vec<String> {
        let mut changes = Vec::new();
        if let Some(n) = self.max_train_records {
            changes.push(format!("at most {n} training records"));
        }
        if let Some(n) = self.max_epochs {
            changes.push(format!("at most {n} epochs"));
        }
        if let Some(seed) = self.seed {
            changes.push(format!("seed {seed}"));
        }
        if self.depth.is_some() || self.width.is_some() {
            let net = ModelConfig::default();
            changes.push(format!(
                "{} × {} net",
                self.depth.unwrap_or(net.depth),
                self.width.unwrap_or(net.width)
            ));
        }
        changes
    }
}

/// One part: its net, how it trains, and how its rate is chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartPlan {
    pub part: Part,
    pub variant: Variant,
    pub train: TrainConfig,
    /// Candidate rates, each trained for `search_epochs` from the same initial weights; the one
    /// with the lowest validation loss trains the part. Empty for (f), whose 1cycle peak comes
    /// from the LR finder.
    pub search: Vec<f64>,
    pub search_epochs: usize,
    /// MC Dropout passes measured on the trained net.
    pub mc_passes: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExercisePlan {
    pub edition: Edition,
    pub length: Length,
    /// What the options change in the length's protocol, in words.
    pub changes: Vec<String>,
    pub parts: Vec<PartPlan>,
}

/// The LR finder's sweep before (f), from 1e-5 to 1: one epoch of the full split (352 steps of
/// 128), and never fewer than 100 steps, which a quick length's short epoch would give: with a
/// handful of points the smoothed loss has no minimum to trust.
pub fn one_cycle_sweep(length: Length) -> LrSweepConfig {
    LrSweepConfig {
        min_lr: 1e-5,
        max_lr: 1.0,
        steps: match length {
            Length::Full => 0,
            Length::Quick => 100,
        },
    }
}

/// MC Dropout's passes in (e), as the notebook's 10 and a tenfold check.
pub const MC_PASSES: [usize; 2] = [10, 100];

/// 1cycle's peak: the rate where the LR finder's smoothed loss is lowest (its suggestion is a
/// tenth of that, meant for a constant rate); Géron read 0.05 off his plot.
pub fn one_cycle_peak(suggested_lr: f64) -> f64 {
    suggested_lr * 10.0
}

impl ExercisePlan {
    pub fn new(
        edition: Edition,
        length: Length,
        options: &ExerciseOptions,
    ) -> Result<Self, ConfigError> {
        let parts = [Part::B, Part::C, Part::D, Part::E, Part::F]
            .into_iter()
            .map(|part| part_plan(edition, length, options, part))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            edition,
            length,
            changes: options.changes(),
            parts,
        })
    }

    /// Training steps for the whole exercise if no part stops early: an upper bound for a time
    /// estimate, with `train_records` records in the training split.
    pub fn max_steps(&self, train_records: usize) -> usize {
        self.parts
            .iter()
            .map(|p| self.part_max_steps(p, train_records))
            .sum()
    }

    /// [`ExercisePlan::max_steps`] of one part: its search, (f)'s LR finder, its training.
    pub fn part_max_steps(&self, p: &PartPlan, train_records: usize) -> usize {
        let records = match p.train.max_train_records {
            0 => train_records,
            cap => cap.min(train_records),
        };
        let epoch = records.div_ceil(p.train.batch_size);
        let search = p.search.len() * p.search_epochs;
        let sweep = match p.search.is_empty() {
            true => one_cycle_sweep(self.length).steps.max(epoch),
            false => 0,
        };
        epoch * (search + p.train.max_epochs) + sweep
    }
}

fn part_plan(
    edition: Edition,
    length: Length,
    options: &ExerciseOptions,
    part: Part,
) -> Result<PartPlan, ConfigError> {
    let mut variant = variant(edition.variant(part))?;
    variant.model.depth = options.depth.unwrap_or(variant.model.depth);
    variant.model.width = options.width.unwrap_or(variant.model.width);
    let quick = length == Length::Quick;
    let records = options
        .max_train_records
        .unwrap_or(if quick { 2_000 } else { 0 });
    let one_cycle = part == Part::F;
    let default_epochs = match (quick, one_cycle) {
        (true, _) => 3,
        (false, true) => 15,
        (false, false) => 100,
    };
    let max_epochs = options.max_epochs.unwrap_or(default_epochs);
    let defaults = TrainConfig::default();
    let base = TrainConfig {
        lr: variant.lr,
        optimizer: OptimizerConfig::Nadam {
            momentum_schedule: edition.nadam_schedule(),
        },
        max_epochs,
        patience: if one_cycle {
            max_epochs
        } else {
            defaults.patience
        },
        seed: options.seed.unwrap_or(defaults.seed),
        max_train_records: records,
        // One probe per epoch of the full split (45,000 records): 1,407 steps of 32, 352 of 128.
        probe_every: if quick {
            0
        } else {
            45_000usize.div_ceil(if one_cycle { 128 } else { 32 })
        },
        ..defaults
    };
    let train = match one_cycle {
        // The notebook's (f): plain SGD, batch 128, 1cycle, no early stopping.
        true => TrainConfig {
            optimizer: OptimizerConfig::Sgd {
                momentum: 0.0,
                nesterov: false,
            },
            schedule: Schedule::OneCycle,
            batch_size: 128,
            ..base
        },
        false => base,
    };
    train.validate()?;
    let search = match (one_cycle, quick) {
        (true, _) => Vec::new(),
        (false, true) => vec![variant.lr / 3.0, variant.lr, variant.lr * 3.0],
        (false, false) => SEARCH_RATES.to_vec(),
    };
    Ok(PartPlan {
        part,
        search_epochs: if quick { 1 } else { 2.min(max_epochs) },
        mc_passes: if part == Part::E {
            MC_PASSES.to_vec()
        } else {
            Vec::new()
        },
        variant,
        train,
        search,
    })
}
