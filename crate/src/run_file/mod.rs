//! Run files: a run exported by the page (its settings, history with the per-layer statistics,
//! results, best weights) and read back. A file is untrusted input: it is read into the crate's
//! own types (so every field has its type, and a field the run does not have is dropped), every
//! range is checked in one place ([`check`]), the weights' container is checked, and a refusal
//! names the file and the field (`run.history.epochs[3].val_loss`).

mod check;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::{Preprocessing, SplitKind};
use crate::eval::Evaluation;
use crate::fused::StepPath;
use crate::model::ModelConfig;
use crate::train::{History, TrainConfig};
use crate::weights;

pub const FORMAT: &str = "selfnorm-run";
pub const VERSION: u64 = 1;

/// A refused file: `field` is the path of the offending value, when there is one.
#[derive(Debug, PartialEq)]
pub struct RunFileError {
    pub file: String,
    pub field: Option<String>,
    pub problem: String,
}

impl std::fmt::Display for RunFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {field} {}", self.file, self.problem),
            None => write!(f, "{} {}", self.file, self.problem),
        }
    }
}

impl std::error::Error for RunFileError {}

/// A run as the page keeps it. The history, settings and results are the crate's own types;
/// the rest is the page's bookkeeping (names, times, its LR finder's curve).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub variant: String,
    #[serde(default)]
    pub modified: Vec<String>,
    pub config: RunSettings,
    #[serde(default)]
    pub dataset: Option<String>,
    #[serde(default)]
    pub backend: Option<String>,
    pub status: RunStatus,
    #[serde(default)]
    pub created: Option<f64>,
    #[serde(default)]
    pub updated: Option<f64>,
    #[serde(default)]
    pub info: Option<RunInfo>,
    pub history: History,
    #[serde(default)]
    pub summary: Option<RunSummary>,
    /// The page's LR finder curve of the run's settings: kept as checked JSON.
    #[serde(default, rename = "lrFinder")]
    pub lr_finder: Option<Value>,
    #[serde(default)]
    pub results: RunResults,
    #[serde(default)]
    pub timings: RunTimings,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub lesson: Option<LessonTag>,
}

/// What the run was made from (the worker's `{model, train, preprocessing}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub model: ModelConfig,
    pub train: TrainConfig,
    #[serde(default)]
    pub preprocessing: Option<Preprocessing>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Paused,
    Finished,
    Interrupted,
    Failed,
    Diverged,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub parameters: usize,
    pub steps_per_epoch: usize,
    #[serde(default)]
    pub step: Option<StepPath>,
}

/// Early stopping's state after the last epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub best_epoch: usize,
    #[serde(deserialize_with = "crate::null_as_nan::f64")]
    pub best_val_loss: f64,
    pub patience_left: usize,
    pub finished: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResults {
    #[serde(default)]
    pub valid: Option<Evaluation>,
    #[serde(default)]
    pub test: Option<Evaluation>,
    #[serde(default)]
    pub mc: Option<McRecord>,
    /// The weights evaluated again on this browser's dataset.
    #[serde(default)]
    pub valid_here: Option<Evaluation>,
    #[serde(default)]
    pub test_here: Option<Evaluation>,
    #[serde(default)]
    pub evaluated_on: Option<String>,
}

/// MC Dropout measured on the run's weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McRecord {
    #[serde(default)]
    pub run_id: Option<String>,
    pub split: SplitKind,
    pub plain: Evaluation,
    pub mc: Vec<Evaluation>,
    /// The sample counts as the user typed them.
    #[serde(default)]
    pub samples: Option<Value>,
    #[serde(default)]
    pub at: Option<f64>,
}

/// Wall-clock times (ms since the epoch) and the final evaluation's duration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTimings {
    #[serde(default)]
    pub started: Option<f64>,
    #[serde(default)]
    pub finished: Option<f64>,
    #[serde(default)]
    pub finish_seconds: Option<f64>,
}

/// Which lesson ran the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LessonTag {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub started_at: Option<f64>,
}

#[derive(Deserialize)]
struct WeightsEntry {
    encoding: WeightsEncoding,
    format: WeightsFormat,
    bytes: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WeightsEncoding {
    Base64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum WeightsFormat {
    #[serde(rename = "safetensors")]
    Safetensors,
    #[serde(rename = "SNW1")]
    Snw1,
}

impl WeightsFormat {
    fn name(self) -> &'static str {
        match self {
            Self::Safetensors => "safetensors",
            Self::Snw1 => "SNW1",
        }
    }
}

/// The file's first fields, read before the run so that another JSON file gets a plain answer.
#[derive(Deserialize)]
struct Header {
    format: Option<Value>,
    version: Option<Value>,
}

/// A run file's run and weights, as read; [`read_with`] checks them.
#[derive(Deserialize)]
pub struct RunFile {
    run: RunRecord,
    #[serde(default)]
    weights: Option<WeightsEntry>,
}

/// The run and the weights' bytes of a run file that passed every check.
#[derive(Debug)]
pub struct ImportedRun {
    pub run: RunRecord,
    pub weights: Option<Vec<u8>>,
}

/// Reads the run file `bytes` (named `file` in messages). A run recorded while it was still
/// training (running, paused) comes back as interrupted: nothing will resume it.
pub fn read(bytes: &[u8], file: &str) -> Result<ImportedRun, RunFileError> {
    read_with(bytes, file, || parse_json(bytes))
}

/// The run and weights of `bytes` through serde_json; its error: the field's path, the problem.
pub fn parse_json(bytes: &[u8]) -> Result<RunFile, (String, String)> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut reader)
        .map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}

/// The same, with the run and weights taken from `parse` (the same document through another
/// deserializer: the page passes the object its JSON.parse made, whose numbers are the file's to
/// the last bit, which serde_json's default float parsing does not promise); `bytes` still
/// give the header, the syntax and the keys. `parse`'s error: the field's path, the problem.
pub fn read_with(
    bytes: &[u8],
    file: &str,
    parse: impl FnOnce() -> Result<RunFile, (String, String)>,
) -> Result<ImportedRun, RunFileError> {
    let fail = |field: Option<&str>, problem: String| RunFileError {
        file: file.to_owned(),
        field: field.map(str::to_owned),
        problem,
    };
    if bytes.len() > check::MAX_FILE_BYTES {
        return Err(fail(
            None,
            format!(
                "is larger than a run file can be ({} MB).",
                check::MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let header: Header = serde_json::from_slice(bytes)
        .map_err(|e| fail(None, format!("is not a selfnorm run file (not JSON: {e}).")))?;
    let format = header.format.unwrap_or(Value::Null);
    if format != FORMAT {
        return Err(fail(
            None,
            format!("is not a selfnorm run file (format {format}, expected \"{FORMAT}\")."),
        ));
    }
    let version = header.version.unwrap_or(Value::Null);
    if version != VERSION {
        return Err(fail(
            None,
            format!("has run file version {version}; this page reads version {VERSION}."),
        ));
    }
    check::forbidden_keys(bytes).map_err(|(field, problem)| fail(Some(&field), problem))?;
    let parsed = parse().map_err(|(field, problem)| {
        let problem = check::without_position(problem);
        fail(
            Some(&field),
            format!("is not what a run file holds ({problem})"),
        )
    })?;
    let mut run = parsed.run;
    check::run(&run).map_err(|(field, problem)| fail(Some(&field), problem))?;
    let weights = parsed
        .weights
        .map(|entry| weights_bytes(entry).map_err(|(field, problem)| fail(Some(field), problem)))
        .transpose()?;
    if matches!(run.status, RunStatus::Running | RunStatus::Paused) {
        run.status = RunStatus::Interrupted;
    }
    Ok(ImportedRun { run, weights })
}

/// The weights' bytes, their container checked (names, dtypes, shapes, offsets) so that a
/// damaged file is refused before it is stored; whether they fit a model is checked when they
/// are loaded into one.
fn weights_bytes(entry: WeightsEntry) -> Result<Vec<u8>, (&'static str, String)> {
    let WeightsEncoding::Base64 = entry.encoding;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&entry.bytes)
        .map_err(|e| {
            (
                "weights.bytes",
                format!(
                    "is not valid base64 ({e}; {} characters: cut short or damaged?)",
                    entry.bytes.len()
                ),
            )
        })?;
    let snw1 = weights::is_snw1(&bytes);
    let checked = match entry.format {
        WeightsFormat::Snw1 if !snw1 => {
            Err("are not in the SNW1 layout their format field names".to_owned())
        }
        _ => weights::check_container(&bytes),
    };
    checked.map_err(|problem| ("weights", format!("({}) {problem}", entry.format.name())))?;
    Ok(bytes)
}
