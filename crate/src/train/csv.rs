//! A run's history as CSV, for spreadsheets, pandas and plotting scripts: one table of epochs (a
//! row each) and one of probes (a row per probe and hidden layer), each opening with a header row
//! that names its columns. The CLI writes them (`train --csv`), the page exports them through the
//! wasm API: one writer for both.
//!
//! Numbers are written in Rust's shortest round-trip form (`0.1`, `1e-7`), so each one reads back
//! as exactly the value the history holds (the statistics as the `f32` they are); NaN and
//! infinities as `NaN`, `inf` and `-inf`, which Python's `float` and pandas read. A value a probe
//! lacks (the update ratio of a probe that follows no step, the epoch of weights that are not a
//! restored best) is an empty field. No field needs quoting: every one is a number or a fixed word.

use std::fmt::Write;

use super::history::{EpochRecord, Probe, ProbeWeights};

/// The epochs table's columns, in order: the fields of [`EpochRecord`].
pub const EPOCH_COLUMNS: [&str; 10] = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "samples",
    "train_seconds",
    "seconds",
    "samples_per_s",
];

/// The probes table's columns, in order: the probe (its step, fractional epoch and which weights
/// it measured), the hidden layer (1 = input side) and that layer's statistics
/// ([`crate::stats::LayerStats::columns`], then the update ratio).
pub const PROBE_COLUMNS: [&str; 14] = [
    "step",
    "epoch",
    "weights",
    "weights_epoch",
    "layer",
    "pre_mean",
    "pre_std",
    "act_mean",
    "act_std",
    "saturated",
    "dead",
    "grad_norm",
    "unit_spread",
    "update_ratio",
];

/// `{:?}` is the shortest text that reads back as the same value (with an exponent for very small
/// or large ones, where `{}` would write every digit).
fn number(out: &mut String, value: impl std::fmt::Debug) {
    let _ = write!(out, "{value:?}");
}

fn header(columns: &[&str]) -> String {
    let mut out = columns.join(",");
    out.push('\n');
    out
}

/// One row per epoch, under a header row of [`EPOCH_COLUMNS`].
pub fn epochs_csv(epochs: &[EpochRecord]) -> String {
    let mut out = header(&EPOCH_COLUMNS);
    for e in epochs {
        let _ = write!(out, "{},", e.epoch);
        for value in [
            e.train_loss,
            e.train_accuracy,
            e.val_loss,
            e.val_accuracy,
            e.lr,
        ] {
            number(&mut out, value);
            out.push(',');
        }
        let _ = write!(out, "{},", e.samples);
        number(&mut out, e.train_seconds);
        out.push(',');
        number(&mut out, e.seconds);
        out.push(',');
        number(&mut out, e.samples_per_s);
        out.push('\n');
    }
    out
}

/// One row per probe and hidden layer, under a header row of [`PROBE_COLUMNS`].
pub fn probes_csv(probes: &[Probe]) -> String {
    let mut out = header(&PROBE_COLUMNS);
    for p in probes {
        let (weights, weights_epoch) = match p.weights {
            ProbeWeights::Current => ("current", String::new()),
            ProbeWeights::RestoredBest { epoch } => ("restored-best", epoch.to_string()),
        };
        let s = &p.stats;
        for layer in 0..s.layers() {
            let _ = write!(out, "{},", p.step);
            number(&mut out, p.epoch);
            let _ = write!(out, ",{weights},{weights_epoch},{}", layer + 1);
            for (_, column) in s.columns() {
                out.push(',');
                // A damaged history may hold a short column: its missing values stay empty.
                if let Some(value) = column.get(layer) {
                    number(&mut out, value);
                }
            }
            out.push(',');
            if let Some(value) = s.update_ratio.as_ref().and_then(|r| r.get(layer)) {
                number(&mut out, value);
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    use burn::tensor::Device;

    use super::*;
    use crate::data::{Preprocessing, SyntheticSpec};
    use crate::model::ModelConfig;
    use crate::train::{History, TrainConfig, Trainer, fit};

    /// A real history: 2 epochs of a 3 × 16 net on a small synthetic set, probed every 5 steps.
    fn trained_history() -> History {
        let data = SyntheticSpec {
            image_shape: [1, 8, 8],
            train: 320,
            valid: 64,
            test: 64,
            ..SyntheticSpec::default()
        }
        .generate();
        let model = ModelConfig {
            depth: 3,
            width: 16,
            ..ModelConfig::default()
        };
        let train = TrainConfig {
            lr: 1e-3,
            max_epochs: 2,
            readback_every: 5,
            probe_every: 5,
            probe_size: 32,
            ..TrainConfig::default()
        };
        let device = Device::flex();
        let mut trainer =
            Trainer::new(&data, &model, &train, Preprocessing::Standardize, &device).unwrap();
        pollster::block_on(fit(&mut trainer, &data, &mut |_| {})).unwrap();
        trainer.history().clone()
    }

    /// Python's `csv` module reads `text`; answers its rows (header first), each field with
    /// whether Python's `float()` reads it as a number.
    fn python_rows(text: &str) -> Vec<Vec<(String, bool)>> {
        const SCRIPT: &str = r#"
import csv, io, json, sys
rows = list(csv.reader(io.StringIO(sys.stdin.read(), newline="")))
def field(f):
    try:
        float(f)
        return [f, True]
    except ValueError:
        return [f, False]
json.dump([[field(f) for f in row] for row in rows], sys.stdout)
"#;
        let mut child = Command::new("python3")
            .args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs (the CSV test reads the file with Python's csv module)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "python3 failed on:\n{text}");
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// The field as Python read it: a number to Python, and `value` once parsed back as `T`
    /// (f64 for the epochs, f32 for the statistics; NaN equals NaN).
    fn same<T>(field: &(String, bool), value: T, what: &str)
    where
        T: std::str::FromStr + PartialEq + std::fmt::Display,
        T::Err: std::fmt::Debug,
    {
        assert!(field.1, "{what}: Python reads {:?} as no number", field.0);
        let parsed: T = field.0.parse().unwrap();
        // A value unequal to itself is NaN: the one test that works for any float type.
        #[allow(clippy::eq_op)]
        let both_nan = parsed != parsed && value != value;
        assert!(
            parsed == value || both_nan,
            "{what}: {parsed} in the CSV, {value} in the history"
        );
    }

    #[test]
    fn python_reads_the_epochs_number_for_number() {
        let history = trained_history();
        let rows = python_rows(&epochs_csv(&history.epochs));
        let names: Vec<&str> = rows[0].iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, EPOCH_COLUMNS);
        assert_eq!(rows.len(), 1 + history.epochs.len());
        for (row, e) in rows[1..].iter().zip(&history.epochs) {
            assert_eq!(row.len(), EPOCH_COLUMNS.len());
            let values = [
                e.epoch as f64,
                e.train_loss,
                e.train_accuracy,
                e.val_loss,
                e.val_accuracy,
                e.lr,
                e.samples as f64,
                e.train_seconds,
                e.seconds,
                e.samples_per_s,
            ];
            for ((field, value), name) in row.iter().zip(values).zip(EPOCH_COLUMNS) {
                same::<f64>(field, value, &format!("epoch {} {name}", e.epoch));
            }
        }
    }

    #[test]
    fn python_reads_every_probe_and_layer_number_for_number() {
        let history = trained_history();
        let rows = python_rows(&probes_csv(&history.probes));
        let names: Vec<&str> = rows[0].iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, PROBE_COLUMNS);
        let layers = 3;
        assert!(history.probes.len() >= 4, "{} probes", history.probes.len());
        assert_eq!(rows.len(), 1 + history.probes.len() * layers);
        let mut body = rows[1..].iter();
        for p in &history.probes {
            for layer in 0..layers {
                let row = body.next().unwrap();
                let what = format!("step {} layer {}", p.step, layer + 1);
                same::<f64>(&row[0], p.step as f64, &what);
                same::<f64>(&row[1], p.epoch, &what);
                match p.weights {
                    ProbeWeights::Current => assert_eq!((&*row[2].0, &*row[3].0), ("current", "")),
                    ProbeWeights::RestoredBest { epoch } => {
                        assert_eq!(row[2].0, "restored-best");
                        same::<f64>(&row[3], epoch as f64, &what);
                    }
                }
                same::<f64>(&row[4], (layer + 1) as f64, &what);
                let s = &p.stats;
                for (i, (name, column)) in s.columns().into_iter().enumerate() {
                    assert_eq!(name, PROBE_COLUMNS[5 + i]);
                    same::<f32>(&row[5 + i], column[layer], &format!("{what} {name}"));
                }
                match &s.update_ratio {
                    Some(r) => same::<f32>(&row[13], r[layer], &format!("{what} update_ratio")),
                    None => assert_eq!(row[13].0, "", "{what}: a probe after no step"),
                }
            }
        }
        assert!(body.next().is_none());
        // The run's last probe measures the restored best weights; some probe has update ratios.
        assert!(matches!(
            history.probes.last().unwrap().weights,
            ProbeWeights::RestoredBest { .. }
        ));
        assert!(
            history
                .probes
                .iter()
                .any(|p| p.stats.update_ratio.is_some())
        );
    }

    #[test]
    fn non_finite_values_are_written_as_python_reads_them() {
        let record = EpochRecord {
            epoch: 1,
            train_loss: f64::NAN,
            train_accuracy: 0.1,
            val_loss: f64::INFINITY,
            val_accuracy: 1e-7,
            lr: 5e-5,
            samples: 32,
            train_seconds: 0.5,
            seconds: 0.75,
            samples_per_s: 64.0,
        };
        let text = epochs_csv(&[record]);
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "1,NaN,0.1,inf,1e-7,5e-5,32,0.5,0.75,64.0"
        );
        let rows = python_rows(&text);
        same::<f64>(&rows[1][1], f64::NAN, "NaN");
        same::<f64>(&rows[1][3], f64::INFINITY, "inf");
    }
}
