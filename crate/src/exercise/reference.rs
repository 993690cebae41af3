//! The CLI's reference runs of the exercise (docs/RESULTS.md), built into the crate from the
//! summary that `scripts/results summary` makes of their logs, for the page's table.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::edition::{Edition, Row};

const SUMMARY: &str = include_str!("../../../docs/results/summary.json");

/// A row's figures in the reference run of the CLI (full protocol, CPU backend, seed 42).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub row: Row,
    pub val_accuracy: f64,
    pub test_accuracy: Option<f64>,
    /// The commit that built the CLI of the run.
    pub commit: Option<String>,
}

/// The reference rows of `edition`; none where the summary has no run of it.
pub fn reference(edition: Edition) -> Vec<Reference> {
    let Ok(summary) = serde_json::from_str::<Value>(SUMMARY) else {
        return Vec::new();
    };
    let table = &summary["editions"][edition.name()];
    let commit = table["commit"].as_str().map(str::to_owned);
    let rows = table["rows"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    rows.iter()
        .filter_map(|r| {
            Some(Reference {
                row: serde_json::from_value(r["row"].clone()).ok()?,
                val_accuracy: r["val"]["accuracy"].as_f64()?,
                test_accuracy: r["test"]["accuracy"].as_f64(),
                commit: commit.clone(),
            })
        })
        .collect()
}
