//! JSON lines on stdout (one per event), optionally copied to a log file, and a progress bar on
//! stderr when it is a terminal.

use std::fs::File;
use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use selfnorm::train::{Progress, TrainEvent};

use crate::error::CliError;
use serde_json::{Value, json};

pub struct Output {
    log: Option<File>,
    bar: Option<ProgressBar>,
}

impl Output {
    pub fn new(log: Option<&std::path::Path>) -> Result<Self, CliError> {
        let log = log
            .map(|p| {
                File::create(p).map_err(|e| CliError::file(p, format!("cannot create log ({e})")))
            })
            .transpose()?;
        Ok(Self { log, bar: None })
    }

    /// Prints `{"event": name, ...fields}`.
    pub fn emit(&mut self, name: &str, fields: Value) {
        let mut line = json!({ "event": name });
        if let (Some(obj), Value::Object(extra)) = (line.as_object_mut(), fields) {
            obj.extend(extra);
        }
        let text = line.to_string();
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
        if let Some(log) = &mut self.log
            && let Err(e) = writeln!(log, "{text}")
        {
            // The line is on stdout already; say once that the copy is incomplete, then stop
            // copying rather than repeat the warning for every line.
            eprintln!("warning: the log file stopped being written ({e}); stdout has every line");
            self.log = None;
        }
    }

    /// Reports a training event: epochs and probes as JSON lines, steps on the progress bar
    /// (the run's end is reported by the command, with its own figures).
    pub fn train_event(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Stepped { progress } => self.progress(progress),
            TrainEvent::EpochEnded { summary } => {
                self.emit("epoch", serde_json::to_value(summary).unwrap())
            }
            TrainEvent::Probed { probe } => {
                self.emit("probe", serde_json::to_value(probe).unwrap())
            }
            TrainEvent::Finished { .. } => {}
        }
    }

    /// Shows a training event's steps on the progress bar, and nothing else of it.
    pub fn train_event_steps(&mut self, event: &TrainEvent) {
        if let TrainEvent::Stepped { progress } = event {
            self.progress(progress);
        }
    }

    fn progress(&mut self, p: &Progress) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(p.steps_in_epoch as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] {pos}/{len} steps {msg} (eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar
        });
        bar.set_length(p.steps_in_epoch as u64);
        bar.set_prefix(p.epoch.to_string());
        bar.set_position(p.step_in_epoch as u64);
        bar.set_message(format!(
            "loss {:.4}, {:.0} samples/s",
            p.loss, p.samples_per_s
        ));
        if p.epoch_complete {
            bar.reset();
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
