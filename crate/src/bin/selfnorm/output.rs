//! JSON lines on stdout (one per event), optionally copied to a log file, and a progress bar on
//! stderr when it is a terminal.

use std::fs::File;
use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use selfnorm::train::{Event, Progress};
use serde_json::{Value, json};

pub struct Output {
    log: Option<File>,
    bar: Option<ProgressBar>,
}

impl Output {
    pub fn new(log: Option<&std::path::Path>) -> Result<Self, String> {
        let log = log
            .map(|p| {
                File::create(p).map_err(|e| format!("{}: cannot create log ({e})", p.display()))
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
        if let Some(log) = &mut self.log {
            let _ = writeln!(log, "{text}");
        }
    }

    /// Reports a training event: epochs and probes as JSON lines, steps on the progress bar.
    pub fn train_event(&mut self, event: Event) {
        match event {
            Event::Steps(progress) => self.progress(progress),
            Event::Epoch(summary) => self.emit("epoch", serde_json::to_value(summary).unwrap()),
            Event::Probe(probe) => self.emit("probe", serde_json::to_value(probe).unwrap()),
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
