//! The two editions of the book's exercise 8 and what their solution notebooks report.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::optim::NadamSchedule;

/// Which edition of the book the exercise follows. The 2nd (notebook handson-ml2) uses ELU and
/// batch-normalizes the inputs in (c); the 3rd (handson-ml3) uses Swish, no input batch norm,
/// Keras 3's `AlphaDropout` (the same map as ours and the 2nd edition's) and Keras ≥ 2.11's
/// Nadam, whose momentum schedule is 0.96^t.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edition {
    #[default]
    Second,
    Third,
}

/// The parts of the exercise that train a net.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    B,
    C,
    D,
    E,
    F,
}

/// The rows of the exercise's table: a row per trained part, and (e)'s net with MC Dropout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Row {
    B,
    C,
    D,
    E,
    Mc10,
    Mc100,
    F,
}

/// A notebook's validation accuracy for a row and the learning rate that got it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookFigure {
    /// What the notebook's text says.
    pub val_accuracy: f64,
    /// What its printed output shows, where that differs from the text by 0.5 points or more.
    pub printed: Option<f64>,
    pub lr: Option<f64>,
}

impl Edition {
    pub const ALL: [Edition; 2] = [Edition::Second, Edition::Third];

    pub fn name(self) -> &'static str {
        match self {
            Edition::Second => "2nd",
            Edition::Third => "3rd",
        }
    }

    /// The Nadam the edition's notebook ran: tf.keras's before 2.11 for the 2nd, Keras ≥ 2.11's
    /// for the 3rd.
    pub fn nadam_schedule(self) -> NadamSchedule {
        match self {
            Edition::Second => NadamSchedule::Legacy,
            Edition::Third => NadamSchedule::Keras3,
        }
    }

    /// The named variant a part trains; (f) retrains (e)'s net with 1cycle.
    pub fn variant(self, part: Part) -> &'static str {
        match (self, part) {
            (Edition::Second, Part::B) => "elu-he",
            (Edition::Second, Part::C) => "elu-he-bn",
            (Edition::Third, Part::B) => "swish-he",
            (Edition::Third, Part::C) => "swish-he-bn",
            (_, Part::D) => "selu-lecun",
            (_, Part::E | Part::F) => "selu-alpha-dropout",
        }
    }

    /// The solution notebook's figure for `row`; none where it has none (it runs MC Dropout
    /// with 10 passes only).
    pub fn book(self, row: Row) -> Option<BookFigure> {
        let fig = |val_accuracy, printed, lr| {
            Some(BookFigure {
                val_accuracy,
                printed,
                lr,
            })
        };
        match (self, row) {
            (_, Row::Mc100) => None,
            (Edition::Second, Row::B) => fig(0.476, None, Some(5e-5)),
            (Edition::Second, Row::C) => fig(0.540, None, Some(5e-4)),
            (Edition::Second, Row::D) => fig(0.479, None, Some(7e-4)),
            (Edition::Second, Row::E) => fig(0.489, None, Some(5e-4)),
            (Edition::Second, Row::Mc10) => fig(0.489, None, None),
            (Edition::Second, Row::F) => fig(0.520, None, Some(0.05)),
            (Edition::Third, Row::B) => fig(0.468, None, Some(5e-5)),
            (Edition::Third, Row::C) => fig(0.507, None, Some(5e-4)),
            (Edition::Third, Row::D) => fig(0.503, None, Some(7e-4)),
            (Edition::Third, Row::E) => fig(0.481, Some(0.4982), Some(5e-4)),
            (Edition::Third, Row::Mc10) => fig(0.498, None, None),
            (Edition::Third, Row::F) => fig(0.520, Some(0.5242), Some(0.05)),
        }
    }
}

impl std::str::FromStr for Edition {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "2" | "2nd" | "second" => Ok(Edition::Second),
            "3" | "3rd" | "third" => Ok(Edition::Third),
            _ => Err(ConfigError(format!(
                "unknown edition '{s}' (expected 2 or 3: the book's 2nd or 3rd edition)"
            ))),
        }
    }
}

impl Row {
    pub fn name(self) -> &'static str {
        match self {
            Row::B => "b",
            Row::C => "c",
            Row::D => "d",
            Row::E => "e",
            Row::Mc10 => "MC10",
            Row::Mc100 => "MC100",
            Row::F => "f",
        }
    }

    /// The row of a part's own run.
    pub fn of(part: Part) -> Row {
        match part {
            Part::B => Row::B,
            Part::C => Row::C,
            Part::D => Row::D,
            Part::E => Row::E,
            Part::F => Row::F,
        }
    }

    pub fn is_mc(self) -> bool {
        matches!(self, Row::Mc10 | Row::Mc100)
    }

    /// The MC Dropout row for `passes`, if the table has one.
    pub fn mc(passes: usize) -> Option<Row> {
        match passes {
            10 => Some(Row::Mc10),
            100 => Some(Row::Mc100),
            _ => None,
        }
    }
}
