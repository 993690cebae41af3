use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Promise, Uint8Array};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::bench::{self, BenchConfig};
use crate::data::{Dataset, Manifest, Preprocessing, SyntheticSpec};
use crate::lessons::LessonOptions;
use crate::model::ModelConfig;
use crate::sparsity;
use crate::train::{LrSweepConfig, StopReason, TrainConfig, Trainer};
use crate::weights;

/// What the worker asks for when it configures a run.
#[derive(Deserialize)]
struct RunConfig {
    model: ModelConfig,
    train: TrainConfig,
    preprocessing: Preprocessing,
}

#[derive(Serialize)]
struct RunInfo {
    model: ModelConfig,
    parameters: usize,
    steps_per_epoch: usize,
}

#[derive(Serialize)]
struct PruneResult {
    sparsity: f64,
    evaluation: crate::eval::Evaluation,
}

#[derive(Serialize)]
struct DataStatus {
    dataset: String,
    classes: Vec<String>,
    image_shape: [usize; 3],
    loaded: [usize; 3],
    expected: [usize; 3],
    ready_to_train: bool,
}

#[derive(Default)]
struct State {
    data: Option<Dataset>,
    trainer: Option<Trainer>,
}

/// One browser tab's training state: the device, the dataset as it streams in, and the run.
///
/// Async methods take the dataset and the trainer out of the session while they run, so a call
/// that arrives meanwhile gets a "busy" error rather than a borrow panic (which would abort the
/// wasm instance).
#[wasm_bindgen]
pub struct Session {
    device: Device,
    backend: String,
    state: Rc<RefCell<State>>,
}

/// Initializes `backend` ("webgpu" or "cpu") and returns a session on it.
#[wasm_bindgen(js_name = createSession)]
pub async fn create_session(backend: String) -> Result<Session, JsError> {
    let device = match backend.as_str() {
        "webgpu" => super::webgpu_device().await.map_err(|e| JsError::new(&e))?,
        "cpu" => Device::flex(),
        other => {
            return Err(JsError::new(&format!(
                "unknown backend '{other}' (webgpu or cpu)"
            )));
        }
    };
    Ok(Session {
        device,
        backend,
        state: Rc::default(),
    })
}

/// The chapter's lessons (questions 1–7 and 1cycle) as presets: each a list of runs to train
/// one after the other (`options`: `{epochs, max_train_records, seed, depth, width, lr, l1}`,
/// any field may be left out).
#[wasm_bindgen]
pub fn lessons(options: JsValue) -> Result<JsValue, JsError> {
    let options: LessonOptions = if options.is_undefined() || options.is_null() {
        LessonOptions::default()
    } else {
        from_js(options, "lesson options")?
    };
    to_js(&crate::lessons::all(&options))
}

/// The figures that answer `lesson`'s question from its runs' outcomes
/// (`[{label, history, valid, error, extra}]`), as the CLI's `lesson` command reports them.
#[wasm_bindgen(js_name = lessonFinding)]
pub fn lesson_finding(lesson: JsValue, outcomes: JsValue) -> Result<JsValue, JsError> {
    let lesson: crate::lessons::Lesson = from_js(lesson, "lesson")?;
    let outcomes: Vec<crate::lessons::RunOutcome> = from_js(outcomes, "lesson outcomes")?;
    to_js(&crate::lessons::finding(&lesson, &outcomes))
}

/// The named variants (presets) with their model, preprocessing and learning rate.
#[wasm_bindgen]
pub fn variants() -> Result<JsValue, JsError> {
    to_js(&crate::variants::all())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&e.to_string()))
}

fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("bad {what}: {e}")))
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

const BUSY: &str = "the trainer is busy with another call; wait for it to finish";

impl Session {
    fn with_state<R>(
        &self,
        f: impl FnOnce(&mut State) -> Result<R, JsError>,
    ) -> Result<R, JsError> {
        let mut state = self
            .state
            .try_borrow_mut()
            .map_err(|_| JsError::new(BUSY))?;
        f(&mut state)
    }

    /// Runs `job` with the trainer and dataset taken out of the session, then puts them back.
    fn run<T, F, Fut>(&self, job: F) -> Promise
    where
        T: Serialize,
        F: FnOnce(Trainer, Dataset) -> Fut + 'static,
        Fut: Future<Output = (Trainer, Dataset, Result<T, String>)> + 'static,
    {
        let state = self.state.clone();
        future_to_promise(async move {
            let (trainer, data) = {
                let mut s = state.try_borrow_mut().map_err(|_| js_err(BUSY))?;
                match (s.trainer.take(), s.data.take()) {
                    (Some(t), Some(d)) => (t, d),
                    (t, d) => {
                        (s.trainer, s.data) = (t, d);
                        return Err(js_err(
                            "configure a run on a loaded dataset first (or the trainer is busy)",
                        ));
                    }
                }
            };
            let (trainer, data, result) = job(trainer, data).await;
            let mut s = state.borrow_mut();
            (s.trainer, s.data) = (Some(trainer), Some(data));
            to_js(&result.map_err(js_err)?).map_err(JsValue::from)
        })
    }
}

#[wasm_bindgen]
impl Session {
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// Starts a dataset from its `manifest.json` text and statistics file.
    #[wasm_bindgen(js_name = loadManifest)]
    pub fn load_manifest(&self, manifest_json: &str, stats: &[u8]) -> Result<JsValue, JsError> {
        let manifest = Manifest::parse(manifest_json)?;
        let data = Dataset::empty(manifest, stats)?;
        self.with_state(|s| {
            s.trainer = None;
            s.data = Some(data);
            status(s)
        })
    }

    /// Adds a shard the page already verified (size and SHA-256); labels and size are checked
    /// again here. `bytes` is copied once, into wasm memory.
    #[wasm_bindgen(js_name = addShard)]
    pub fn add_shard(&self, split: &str, index: usize, bytes: &[u8]) -> Result<JsValue, JsError> {
        self.with_state(|s| {
            let data = s
                .data
                .as_mut()
                .ok_or_else(|| JsError::new("load the manifest before the shards"))?;
            data.add_shard(split, index, bytes, false)?;
            status(s)
        })
    }

    /// Uses the synthetic dataset (CIFAR-10's shape and classes) instead of a prepared one.
    #[wasm_bindgen(js_name = useSynthetic)]
    pub fn use_synthetic(
        &self,
        train: usize,
        valid: usize,
        test: usize,
        seed: u64,
    ) -> Result<JsValue, JsError> {
        let spec = SyntheticSpec {
            train,
            valid,
            test,
            seed,
            ..SyntheticSpec::default()
        };
        self.with_state(|s| {
            s.trainer = None;
            s.data = Some(spec.generate());
            status(s)
        })
    }

    #[wasm_bindgen(js_name = dataStatus)]
    pub fn data_status(&self) -> Result<JsValue, JsError> {
        self.with_state(|s| status(s))
    }

    /// Builds a fresh model and optimizer for `run` (`{model, train, preprocessing}`).
    pub fn configure(&self, run: JsValue) -> Result<JsValue, JsError> {
        let run: RunConfig = from_js(run, "run configuration")?;
        let device = self.device.clone();
        self.with_state(|s| {
            let data = s
                .data
                .as_ref()
                .ok_or_else(|| JsError::new("no dataset loaded yet"))?;
            let trainer = Trainer::new(data, &run.model, &run.train, run.preprocessing, &device)?;
            let info = RunInfo {
                model: trainer.model_config.clone(),
                parameters: trainer.model_config.parameter_count(),
                steps_per_epoch: trainer.steps_per_epoch(data),
            };
            s.trainer = Some(trainer);
            to_js(&info)
        })
    }

    #[wasm_bindgen(js_name = trainChunk)]
    pub fn train_chunk(&self) -> Promise {
        self.run(|mut t, d| async move {
            let r = t.train_chunk(&d).await.map_err(|e| e.to_string());
            (t, d, r)
        })
    }

    #[wasm_bindgen(js_name = endEpoch)]
    pub fn end_epoch(&self) -> Promise {
        self.run(|mut t, d| async move {
            let r = t.end_epoch(&d).await.map_err(|e| e.to_string());
            (t, d, r)
        })
    }

    #[wasm_bindgen(js_name = probeDue)]
    pub fn probe_due(&self) -> Result<bool, JsError> {
        self.with_state(|s| Ok(s.trainer.as_ref().is_some_and(Trainer::probe_due)))
    }

    pub fn probe(&self) -> Promise {
        self.run(|mut t, d| async move {
            let r = t.probe(&d).await.map_err(|e| e.to_string());
            (t, d, r)
        })
    }

    #[wasm_bindgen(js_name = findLr)]
    pub fn find_lr(&self, sweep: JsValue) -> Promise {
        let sweep: Result<LrSweepConfig, _> = from_js(sweep, "LR sweep");
        self.run(|mut t, d| async move {
            let r = match sweep {
                Ok(sweep) => t.find_lr(&d, &sweep).await.map_err(|e| e.to_string()),
                Err(_) => Err("bad LR sweep settings".to_string()),
            };
            (t, d, r)
        })
    }

    pub fn evaluate(&self, split: String) -> Promise {
        self.run(|t, d| async move {
            let r = t.evaluate(&d, &split).await.map_err(|e| e.to_string());
            (t, d, r)
        })
    }

    #[wasm_bindgen(js_name = evaluateMc)]
    pub fn evaluate_mc(&self, split: String, samples: usize) -> Promise {
        self.run(move |t, d| async move {
            let r = t
                .evaluate_mc(&d, &split, samples)
                .await
                .map_err(|e| e.to_string());
            (t, d, r)
        })
    }

    /// Ends the run (`reason`: e.g. `{kind: "stopped"}`) and restores the best weights.
    pub fn finish(&self, reason: JsValue) -> Result<JsValue, JsError> {
        let reason: StopReason = from_js(reason, "stop reason")?;
        self.with_state(|s| {
            let trainer = s
                .trainer
                .as_mut()
                .ok_or_else(|| JsError::new("no run configured"))?;
            trainer.finish(reason);
            to_js(trainer.history())
        })
    }

    pub fn finished(&self) -> Result<bool, JsError> {
        self.with_state(|s| Ok(s.trainer.as_ref().is_some_and(Trainer::finished)))
    }

    pub fn history(&self) -> Result<JsValue, JsError> {
        self.with_state(|s| {
            to_js(
                s.trainer
                    .as_ref()
                    .ok_or_else(|| JsError::new("no run configured"))?
                    .history(),
            )
        })
    }

    /// The current weights in the `SNW1` format (see `weights.rs`).
    #[wasm_bindgen(js_name = exportWeights)]
    pub fn export_weights(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let model = {
                let s = state.try_borrow().map_err(|_| js_err(BUSY))?;
                s.trainer
                    .as_ref()
                    .ok_or_else(|| js_err("no run configured"))?
                    .model()
                    .clone()
            };
            let bytes = weights::to_bytes(&model).await.map_err(js_err)?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }

    /// Measures training and inference throughput on CIFAR-shaped synthetic data (see
    /// `bench.rs`); `config`: `{variant, batch, warmup_steps, steps, infer_passes}`.
    pub fn bench(&self, config: JsValue) -> Promise {
        let config: Result<BenchConfig, _> = from_js(config, "bench settings");
        let device = self.device.clone();
        let backend = self.backend.clone();
        future_to_promise(async move {
            let config = config.map_err(JsValue::from)?;
            let data = bench::bench_data(&config);
            let result = bench::run(&config, &data, &device, &backend)
                .await
                .map_err(js_err)?;
            to_js(&result).map_err(JsValue::from)
        })
    }

    /// Per kernel, the fraction of weights with |w| ≤ `threshold` (the sparsity lesson).
    #[wasm_bindgen(js_name = zeroFractions)]
    pub fn zero_fractions(&self, threshold: f32) -> Promise {
        self.run(move |t, d| async move {
            let r = sparsity::zero_fractions(t.model(), threshold)
                .await
                .map_err(|e| e.to_string());
            (t, d, r)
        })
    }

    /// Magnitude-prunes copies of the current weights to each sparsity in `levels` and
    /// evaluates them on the validation split (the run's own weights are left as they are).
    #[wasm_bindgen(js_name = pruneAndEvaluate)]
    pub fn prune_and_evaluate(&self, levels: Vec<f64>) -> Promise {
        self.run(move |t, d| async move {
            let mut results = Vec::new();
            for level in levels {
                let pruned = match sparsity::prune(t.model().clone(), level).await {
                    Ok((model, _)) => t.evaluate_model(&model, &d, "valid").await,
                    Err(e) => Err(e),
                };
                match pruned {
                    Ok(eval) => results.push(PruneResult {
                        sparsity: level,
                        evaluation: eval,
                    }),
                    Err(e) => return (t, d, Err(e.to_string())),
                }
            }
            (t, d, Ok(results))
        })
    }

    #[wasm_bindgen(js_name = importWeights)]
    pub fn import_weights(&self, bytes: &[u8]) -> Result<(), JsError> {
        self.with_state(|s| {
            let trainer = s
                .trainer
                .as_mut()
                .ok_or_else(|| JsError::new("configure the run before importing weights"))?;
            let model = weights::from_bytes(trainer.model().clone(), bytes)
                .map_err(|e| JsError::new(&e))?;
            trainer.set_model(model);
            Ok(())
        })
    }
}

fn status(s: &State) -> Result<JsValue, JsError> {
    let data = s
        .data
        .as_ref()
        .ok_or_else(|| JsError::new("no dataset loaded"))?;
    let splits = [&data.train, &data.valid, &data.test];
    to_js(&DataStatus {
        dataset: data.manifest.dataset.clone(),
        classes: data.manifest.classes.clone(),
        image_shape: data.manifest.image_shape,
        loaded: splits.map(|s| s.len()),
        expected: splits.map(|s| s.expected()),
        ready_to_train: !data.valid.is_empty() && !data.train.is_empty(),
    })
}
