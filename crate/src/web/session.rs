use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Promise, Uint8Array};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::job::{Job, JobEvent};
use crate::bench::{self, BenchConfig};
use crate::data::{Dataset, Manifest, Preprocessing, SplitKind, SyntheticSpec};
use crate::error::{ConfigError, TrainError};
use crate::eval::Evaluation;
use crate::exercise::{
    Edition, ExerciseOptions, ExercisePlan, ExerciseRunner, Length, Reference, ResultRow,
};
use crate::lessons::{LessonOptions, LessonRunner};
use crate::model::ModelConfig;
use crate::run_length::TrainsOn;
use crate::train::{LrSweepConfig, RunStart, TrainConfig, Trainer};
use crate::weights;

/// What the worker asks for when it starts a run or a sweep.
#[derive(Deserialize)]
pub(super) struct RunConfig {
    pub(super) model: ModelConfig,
    pub(super) train: TrainConfig,
    pub(super) preprocessing: Preprocessing,
}

#[derive(Serialize)]
struct DataStatus {
    dataset: String,
    classes: Vec<String>,
    image_shape: [usize; 3],
    loaded: [usize; 3],
    expected: [usize; 3],
    ready_to_train: bool,
    test_complete: bool,
}

/// The session's dataset and job. `generation` counts dataset changes, so that a job that was
/// out (running) while the dataset changed is dropped instead of being put back over it.
#[derive(Default)]
struct State {
    data: Option<Dataset>,
    job: Option<Job>,
    generation: u64,
}

/// What an async call works on, taken out of the session while it runs.
struct Work {
    job: Option<Job>,
    data: Dataset,
}

/// One browser tab's training state: the device, the dataset as it streams in, and the job.
///
/// Async methods take the dataset and the job out of the session while they run, so a call that
/// arrives meanwhile gets a clear "busy" error rather than a borrow panic (which would abort the
/// wasm instance). The worker sends one call at a time, so that error means a bug in the worker.
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

/// The chapter's lessons (questions 1–7 and 1cycle) as presets: each a list of runs
/// (`options`: `{epochs, max_train_records, seed, depth, width, lr, l1}`, any may be left out).
#[wasm_bindgen]
pub fn lessons(options: JsValue) -> Result<JsValue, JsError> {
    to_js(&crate::lessons::all(&lesson_options(options)?))
}

/// The named variants (presets) with their model, preprocessing and learning rate.
#[wasm_bindgen]
pub fn variants() -> Result<JsValue, JsError> {
    to_js(&crate::variants::all())
}

/// The options of each setting the form offers as a select, with their labels (`choices.rs`).
#[wasm_bindgen]
pub fn choices() -> Result<JsValue, JsError> {
    to_js(&crate::choices::all())
}

/// The run lengths the page offers when it trains on `on` (`"cpu"`, `"gpu"`, `"software-gpu"`):
/// the quick one sized for it and the exercise's (`run_length.rs`).
#[wasm_bindgen(js_name = runLengths)]
pub fn run_lengths(on: JsValue) -> Result<JsValue, JsError> {
    let on: TrainsOn = from_js(on, "backend kind")?;
    to_js(&crate::run_length::run_lengths(on))
}

/// What exercise 8 would train for `edition` at `length` with `options`, the most steps each
/// part may take on `train_records` training records, and the CLI's reference figures for that
/// edition (docs/RESULTS.md): for the page's time estimate and table.
#[wasm_bindgen(js_name = exercisePlan)]
pub fn exercise_plan(
    edition: JsValue,
    length: JsValue,
    options: JsValue,
    train_records: usize,
) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Answer {
        #[serde(flatten)]
        plan: ExercisePlan,
        max_steps: Vec<usize>,
        reference: Vec<Reference>,
    }
    let plan = exercise_plan_of(edition, length, options)?;
    let max_steps = plan
        .parts
        .iter()
        .map(|p| plan.part_max_steps(p, train_records))
        .collect();
    let reference = crate::exercise::reference(plan.edition);
    to_js(&Answer {
        plan,
        max_steps,
        reference,
    })
}

fn exercise_plan_of(
    edition: JsValue,
    length: JsValue,
    options: JsValue,
) -> Result<ExercisePlan, JsError> {
    let edition: Edition = from_js(edition, "edition")?;
    let length: Length = from_js(length, "exercise length")?;
    let options: ExerciseOptions = match options.is_undefined() || options.is_null() {
        true => ExerciseOptions::default(),
        false => from_js(options, "exercise options")?,
    };
    ExercisePlan::new(edition, length, &options).map_err(|e| JsError::new(&e.to_string()))
}

fn lesson_options(options: JsValue) -> Result<LessonOptions, JsError> {
    if options.is_undefined() || options.is_null() {
        return Ok(LessonOptions::default());
    }
    from_js(options, "lesson options")
}

pub(super) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&e.to_string()))
}

pub(super) fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("bad {what}: {e}")))
}

/// A JS `Error` whose `kind` says what failed (`config`, `data`, `device`, `non-finite`,
/// `busy`), so the page can act on the kind rather than on the wording.
fn js_error(kind: &str, message: impl std::fmt::Display) -> JsValue {
    let error = js_sys::Error::new(&message.to_string());
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"kind".into(), &kind.into());
    error.into()
}

fn train_error(e: TrainError) -> JsValue {
    let kind = match &e {
        TrainError::Config(_) => "config",
        TrainError::Data(_) => "data",
        TrainError::NonFinite { .. } => "non-finite",
        TrainError::Device(_) => "device",
    };
    js_error(kind, e)
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

    /// Runs `task` on the job and dataset taken out of the session, then puts them back unless
    /// the dataset changed meanwhile.
    fn run<T, F, Fut>(&self, task: F) -> Promise
    where
        T: Serialize,
        F: FnOnce(Work) -> Fut + 'static,
        Fut: Future<Output = (Work, Result<T, TrainError>)> + 'static,
    {
        let state = self.state.clone();
        future_to_promise(async move {
            let (work, generation) = take_work(&state)?;
            let (work, result) = task(work).await;
            put_back(&state, work, generation);
            to_js(&result.map_err(train_error)?).map_err(JsValue::from)
        })
    }

    /// Starts `job` on the loaded dataset, built by `make` from it.
    fn start(
        &self,
        make: impl FnOnce(&Dataset) -> Result<(Job, RunStart), TrainError>,
    ) -> Result<JsValue, JsValue> {
        let mut s = self
            .state
            .try_borrow_mut()
            .map_err(|_| js_error("busy", BUSY))?;
        let data = s
            .data
            .as_ref()
            .ok_or_else(|| js_error("data", "no dataset loaded yet"))?;
        let (job, info) = make(data).map_err(train_error)?;
        s.job = Some(job);
        to_js(&info).map_err(JsValue::from)
    }
}

/// Gives the job and the dataset back, unless a newer configuration replaced them meanwhile.
fn put_back(state: &Rc<RefCell<State>>, work: Work, generation: u64) {
    let mut s = state.borrow_mut();
    if s.generation == generation {
        (s.job, s.data) = (work.job, Some(work.data));
    }
}

fn take_work(state: &Rc<RefCell<State>>) -> Result<(Work, u64), JsValue> {
    let mut s = state.try_borrow_mut().map_err(|_| js_error("busy", BUSY))?;
    let data = s.data.take().ok_or_else(|| {
        js_error(
            "busy",
            "no dataset is loaded (or the trainer is busy with another call)",
        )
    })?;
    Ok((
        Work {
            job: s.job.take(),
            data,
        },
        s.generation,
    ))
}

impl Work {
    fn trainer(&self) -> Result<&Trainer, TrainError> {
        self.job
            .as_ref()
            .and_then(Job::trainer)
            .ok_or_else(|| ConfigError("configure a run first".into()).into())
    }

    async fn advance(&mut self) -> Result<JobEvent, TrainError> {
        match &mut self.job {
            Some(job) => job.advance(&self.data).await,
            None => Err(ConfigError("nothing to continue: start a run first".into()).into()),
        }
    }
}

fn new_trainer(
    data: &Dataset,
    run: &RunConfig,
    device: &Device,
) -> Result<(Trainer, RunStart), TrainError> {
    let trainer = Trainer::new(data, &run.model, &run.train, run.preprocessing, device)?;
    let info = trainer.run_start(data);
    Ok((trainer, info))
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
        self.with_state(|s| replace_data(s, data))
    }

    /// Adds a shard the page already verified (size and SHA-256); labels and size are checked
    /// again here. `bytes` is copied once, into wasm memory.
    #[wasm_bindgen(js_name = addShard)]
    pub fn add_shard(
        &self,
        split: JsValue,
        index: usize,
        bytes: &[u8],
    ) -> Result<JsValue, JsError> {
        let split: SplitKind = from_js(split, "split")?;
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
        self.with_state(|s| replace_data(s, spec.generate()))
    }

    #[wasm_bindgen(js_name = dataStatus)]
    pub fn data_status(&self) -> Result<JsValue, JsError> {
        self.with_state(|s| status(s))
    }

    /// A fresh model and optimizer for `run` (`{model, train, preprocessing}`), to train with
    /// `advance`.
    pub fn configure(&self, run: JsValue) -> Result<JsValue, JsValue> {
        let run: RunConfig = from_js(run, "run configuration")?;
        self.start(|data| {
            new_trainer(data, &run, &self.device).map(|(t, info)| (Job::Run(Box::new(t)), info))
        })
    }

    /// The LR finder on a fresh model for `run`, swept with `advance` (`sweep`: `{min_lr,
    /// max_lr, steps}`).
    #[wasm_bindgen(js_name = startSweep)]
    pub fn start_sweep(&self, run: JsValue, sweep: JsValue) -> Result<JsValue, JsValue> {
        let run: RunConfig = from_js(run, "run configuration")?;
        let sweep: LrSweepConfig = from_js(sweep, "LR sweep settings")?;
        self.start(|data| {
            let (trainer, info) = new_trainer(data, &run, &self.device)?;
            let sweep = trainer.begin_sweep(data, &sweep);
            Ok((Job::Sweep(Box::new(trainer), Box::new(sweep)), info))
        })
    }

    /// Lesson `name` with `options`, run by `advance`; answers the lesson (its runs' settings).
    #[wasm_bindgen(js_name = startLesson)]
    pub fn start_lesson(&self, name: &str, options: JsValue) -> Result<JsValue, JsValue> {
        let lesson = crate::lessons::lesson(name, &lesson_options(options)?)
            .map_err(|e| js_error("config", e))?;
        let answer = to_js(&lesson)?;
        let mut s = self
            .state
            .try_borrow_mut()
            .map_err(|_| js_error("busy", BUSY))?;
        s.job = Some(Job::Lesson(Box::new(LessonRunner::new(
            lesson,
            &self.device,
        ))));
        Ok(answer)
    }

    /// Exercise 8 whole (`edition`: "second" or "third", `length`: "quick" or "full", `options`:
    /// `{max_train_records, max_epochs, seed, depth, width}`, any may be left out), run by
    /// `advance` after the parts whose rows `done` holds (a resumed exercise).
    #[wasm_bindgen(js_name = startExercise)]
    pub fn start_exercise(
        &self,
        edition: JsValue,
        length: JsValue,
        options: JsValue,
        done: JsValue,
    ) -> Result<(), JsValue> {
        let plan = exercise_plan_of(edition, length, options)?;
        let done: Vec<ResultRow> = from_js(done, "exercise rows")?;
        let runner =
            ExerciseRunner::resume(plan, &self.device, done).map_err(|e| js_error("config", e))?;
        let mut s = self
            .state
            .try_borrow_mut()
            .map_err(|_| js_error("busy", BUSY))?;
        s.job = Some(Job::Exercise(Box::new(runner)));
        Ok(())
    }

    /// The signal-propagation preview of `run` (`{model, train, preprocessing}`) on the loaded
    /// dataset (see `preview.rs`); the job, if any, is left as it is.
    pub fn preview(&self, run: JsValue) -> Promise {
        let run = serde_wasm_bindgen::from_value::<RunConfig>(run)
            .map_err(|e| ConfigError(format!("bad run configuration: {e}")));
        let device = self.device.clone();
        self.run(move |w| async move {
            let r = match run {
                Ok(run) => {
                    let RunConfig {
                        model,
                        train,
                        preprocessing,
                    } = run;
                    crate::preview::preview(&w.data, &model, &train, preprocessing, &device).await
                }
                Err(e) => Err(e.into()),
            };
            (w, r)
        })
    }

    /// Moves the job on by one piece (see `job.rs`); answers `{job, event}`.
    pub fn advance(&self) -> Promise {
        self.run(|mut w| async move {
            let r = w.advance().await;
            (w, r)
        })
    }

    /// Asks the job to end; the next advances wind it up (final probe and evaluation of a run).
    pub fn stop(&self) -> Result<bool, JsError> {
        self.with_state(|s| Ok(s.job.as_mut().map(Job::stop).is_some()))
    }

    /// Whether there is a job that has not sent its last event.
    #[wasm_bindgen(js_name = jobActive)]
    pub fn job_active(&self) -> Result<bool, JsError> {
        self.with_state(|s| Ok(s.job.as_ref().is_some_and(|j| !j.done())))
    }

    pub fn evaluate(&self, split: JsValue) -> Promise {
        let split = from_js::<SplitKind>(split, "split");
        self.run(|w| async move {
            let r = match split {
                Ok(split) => evaluate(&w, split).await,
                Err(_) => Err(ConfigError("unknown split".into()).into()),
            };
            (w, r)
        })
    }

    /// MC Dropout with `samples` passes on `split` (the worker asks once per sample count, so
    /// a STOP is seen between two); `on_pass(done)` is called as passes over the split are done.
    #[wasm_bindgen(js_name = evaluateMc)]
    pub fn evaluate_mc(
        &self,
        split: JsValue,
        samples: usize,
        on_pass: js_sys::Function,
    ) -> Promise {
        let split = from_js::<SplitKind>(split, "split");
        self.run(move |w| async move {
            let mut report = |done: usize| {
                // A progress report that fails to arrive does not stop the evaluation.
                let _ = on_pass.call1(&JsValue::NULL, &JsValue::from(done as u32));
            };
            let r = match split {
                Ok(split) => evaluate_mc(&w, split, samples, &mut report).await,
                Err(_) => Err(ConfigError("unknown split".into()).into()),
            };
            (w, r)
        })
    }

    /// The job's current weights (see `weights.rs`); a run's fused step's are synced first.
    #[wasm_bindgen(js_name = exportWeights)]
    pub fn export_weights(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let (mut work, generation) = take_work(&state)?;
            let result = async {
                if let Some(trainer) = work.job.as_mut().and_then(Job::trainer_mut) {
                    trainer.sync_model().await?;
                }
                weights::to_bytes(work.trainer()?.model()).await
            }
            .await;
            put_back(&state, work, generation);
            let bytes = result.map_err(train_error)?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }

    #[wasm_bindgen(js_name = importWeights)]
    pub fn import_weights(&self, bytes: &[u8]) -> Result<(), JsError> {
        self.with_state(|s| {
            let trainer = s
                .job
                .as_mut()
                .and_then(Job::trainer_mut)
                .ok_or_else(|| JsError::new("configure the run before importing weights"))?;
            let model = weights::from_bytes(trainer.model().clone(), bytes)
                .map_err(|e| JsError::new(&e))?;
            trainer.set_model(model);
            Ok(())
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
                .map_err(train_error)?;
            to_js(&result).map_err(JsValue::from)
        })
    }
}

async fn evaluate(w: &Work, split: SplitKind) -> Result<Evaluation, TrainError> {
    w.trainer()?.evaluate(&w.data, split).await
}

async fn evaluate_mc(
    w: &Work,
    split: SplitKind,
    samples: usize,
    on_pass: &mut dyn FnMut(usize),
) -> Result<Evaluation, TrainError> {
    w.trainer()?
        .evaluate_mc_reporting(&w.data, split, samples, on_pass)
        .await
}

/// A new dataset: the job on the old one ends, and one that is out running is not put back.
fn replace_data(s: &mut State, data: Dataset) -> Result<JsValue, JsError> {
    s.job = None;
    s.data = Some(data);
    s.generation += 1;
    status(s)
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
        test_complete: data.test_ready(),
    })
}
