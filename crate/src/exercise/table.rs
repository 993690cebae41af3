//! The exercise's results table: a row per part (and per MC Dropout setting), beside the book.

use serde::{Deserialize, Serialize};

use super::edition::{BookFigure, Edition, Row};
use super::plan::{Length, PartPlan};
use crate::eval::Evaluation;
use crate::train::{RunReport, StopReason, Trainer};

/// How a row's learning rate was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrHow {
    /// The candidate with the lowest validation loss after its short run.
    Search,
    /// 1cycle's peak from the LR finder.
    LrFinder,
    /// The trained net's, re-evaluated (MC Dropout).
    Same,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub row: Row,
    pub variant: String,
    pub lr: f64,
    pub lr_how: LrHow,
    pub epochs: usize,
    /// The epoch whose weights were restored (0: none).
    pub best_epoch: usize,
    /// The restored weights on the validation split (MC Dropout's average for its rows); none
    /// when the run diverged.
    pub valid: Option<Evaluation>,
    pub test: Option<Evaluation>,
    /// The last epoch's validation accuracy: Géron's basis for (f), which has no early stopping.
    pub last_epoch_val_accuracy: Option<f64>,
    pub seconds_per_epoch: f64,
    pub stop: StopReason,
    pub book: Option<BookFigure>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExerciseTable {
    pub edition: Edition,
    pub length: Length,
    /// What the run's options changed in the length's protocol, in words.
    #[serde(default)]
    pub changes: Vec<String>,
    pub rows: Vec<ResultRow>,
}

impl ResultRow {
    /// The row of a part's ended run.
    pub fn of_run(
        row: Row,
        plan: &PartPlan,
        trainer: &Trainer,
        report: &RunReport,
        lr_how: LrHow,
        edition: Edition,
    ) -> Self {
        let epochs = &trainer.history().epochs;
        let seconds: f64 = epochs.iter().map(|e| e.seconds).sum();
        Self {
            row,
            variant: plan.variant.name.clone(),
            lr: trainer.config.lr,
            lr_how,
            epochs: epochs.len(),
            best_epoch: report.best_epoch,
            valid: report.valid.clone(),
            test: report.test.clone(),
            last_epoch_val_accuracy: epochs.last().map(|e| e.val_accuracy),
            seconds_per_epoch: seconds / epochs.len().max(1) as f64,
            stop: report.stop.clone(),
            book: edition.book(row),
        }
    }

    /// The same net measured with MC Dropout over `passes` passes.
    pub fn with_mc(
        &self,
        passes: usize,
        valid: Evaluation,
        test: Option<Evaluation>,
        edition: Edition,
    ) -> Self {
        let row = Row::mc(passes).unwrap_or(self.row);
        Self {
            row,
            lr_how: LrHow::Same,
            valid: Some(valid),
            test,
            last_epoch_val_accuracy: None,
            book: edition.book(row),
            ..self.clone()
        }
    }
}

impl ExerciseTable {
    /// The table as aligned text, accuracies in percent, with the book's figure and the
    /// difference in points.
    pub fn to_text(&self) -> String {
        let mut lines = vec![format!(
            "Exercise 8, {} edition, {} length{}",
            self.edition.name(),
            match self.length {
                Length::Quick => "quick",
                Length::Full => "full",
            },
            match (self.length, self.changes.is_empty()) {
                (Length::Quick, _) =>
                    " (a first look: fewer records and epochs than the book)".into(),
                (Length::Full, true) => String::new(),
                (Length::Full, false) => format!(
                    ", changed: {} (not comparable with the book)",
                    self.changes.join(", ")
                ),
            }
        )];
        lines.push(format!(
            "{:<6} {:<20} {:>9} {:>8} {:>8} {:>9} {:>9} {:>8} {:>7}",
            "row", "variant", "lr", "epochs", "best", "val acc", "test acc", "book", "Δ"
        ));
        for r in &self.rows {
            lines.push(r.text_line());
        }
        lines.join("\n")
    }
}

impl ResultRow {
    fn text_line(&self) -> String {
        let pct = |e: &Option<Evaluation>| match e {
            Some(e) => format!("{:.1} %", 100.0 * e.accuracy),
            None => "—".into(),
        };
        let book = self.book.map(|b| b.val_accuracy);
        let delta = match (&self.valid, book) {
            (Some(v), Some(b)) => format!("{:+.1}", 100.0 * (v.accuracy - b)),
            _ => "—".into(),
        };
        format!(
            "{:<6} {:<20} {:>9.2e} {:>8} {:>8} {:>9} {:>9} {:>8} {:>7}",
            self.row.name(),
            self.variant,
            self.lr,
            self.epochs,
            self.best_epoch,
            pct(&self.valid),
            pct(&self.test),
            book.map_or("—".into(), |b| format!("{:.1} %", 100.0 * b)),
            delta
        )
    }
}
