use std::path::PathBuf;

use clap::{Parser, Subcommand};
use pollster::block_on;
use selfnorm::backend::BackendKind;
use selfnorm::bench::{self, BenchConfig};
use selfnorm::clock::now_seconds;
use selfnorm::data::prepare::{Prepared, VALID_RECORDS, prepare_cifar10, prepare_fashion_mnist};
use selfnorm::data::writer::{DatasetSpec, RECORDS_PER_SHARD, write_dataset};
use selfnorm::data::{Dataset, Manifest, SyntheticSpec};
use selfnorm::lessons::{self, LessonOptions};
use selfnorm::train::{Event, LrSweepConfig, Trainer, fit};
use selfnorm::{variants, weights};
use serde_json::json;

use crate::options::{RunOptions, RunSetup, load_data};
use crate::output::Output;

#[derive(Parser, Debug)]
#[command(
    name = "selfnorm",
    version,
    about = "Train the dense nets of Hands-On ML chapter 11 on CIFAR-10 and watch each layer"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a variant with early stopping; JSON lines per epoch and per statistics probe.
    Train {
        #[command(flatten)]
        run: RunOptions,
        /// After training, also evaluate MC Dropout with this many samples (repeatable).
        #[arg(long = "mc-samples")]
        mc_samples: Vec<usize>,
        /// Save the best weights here (and the configuration beside it, as FILE.json).
        #[arg(long)]
        save: Option<PathBuf>,
        /// Copy the JSON lines to this file.
        #[arg(long)]
        log: Option<PathBuf>,
    },
    /// Learning-rate finder: one exponential sweep, loss per step, a suggested rate.
    LrFind {
        #[command(flatten)]
        run: RunOptions,
        #[arg(long, default_value_t = 1e-6)]
        min_lr: f64,
        #[arg(long, default_value_t = 1.0)]
        max_lr: f64,
        /// Steps in the sweep (0: one epoch).
        #[arg(long, default_value_t = 0)]
        steps: usize,
    },
    /// Learning-rate search by short runs: train each candidate rate for a few epochs from the
    /// same initial weights and keep the one with the lowest validation loss.
    LrSearch {
        #[command(flatten)]
        run: RunOptions,
        #[arg(long, value_delimiter = ',', default_values_t = [1e-5, 3e-5, 5e-5, 1e-4, 3e-4, 5e-4, 7e-4, 1e-3, 3e-3])]
        candidates: Vec<f64>,
        /// Copy the JSON lines to this file.
        #[arg(long)]
        log: Option<PathBuf>,
    },
    /// Evaluate saved weights on a split, plain and with MC Dropout.
    Eval {
        #[command(flatten)]
        run: RunOptions,
        #[arg(long)]
        weights: PathBuf,
        #[arg(long, default_value = "test")]
        split: String,
        #[arg(long = "mc-samples")]
        mc_samples: Vec<usize>,
    },
    /// Turn the official CIFAR-10 binary archive (or Fashion-MNIST's IDX files) into shards.
    PrepareData {
        /// cifar-10-binary.tar.gz.
        #[arg(long, conflicts_with = "fashion_mnist")]
        archive: Option<PathBuf>,
        /// A folder with Fashion-MNIST's four .gz IDX files.
        #[arg(long)]
        fashion_mnist: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// Records taken from the start of the training set for validation.
        #[arg(long, default_value_t = VALID_RECORDS)]
        valid: usize,
    },
    /// Write a small learnable synthetic dataset in the shard format.
    SynthData {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2000)]
        train: usize,
        #[arg(long, default_value_t = 500)]
        valid: usize,
        #[arg(long, default_value_t = 500)]
        test: usize,
        /// Image shape as C,H,W.
        #[arg(long, default_value = "3,32,32", value_parser = parse_shape)]
        shape: [usize; 3],
        #[arg(long, default_value_t = 500)]
        shard_records: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// List the named variants and their settings.
    Variants,
    /// Training and inference throughput on CIFAR-shaped data (one JSON line per setting).
    Bench {
        #[arg(long = "variant", default_values_t = ["elu-he".to_string(), "elu-he-bn".to_string(), "selu-lecun".to_string()])]
        variants: Vec<String>,
        #[arg(long = "batch", default_values_t = [32, 256])]
        batches: Vec<usize>,
        #[arg(long, default_value_t = 50)]
        warmup: usize,
        #[arg(long, default_value_t = 200)]
        steps: usize,
        #[arg(long, default_value_t = 5)]
        infer_passes: usize,
        #[arg(long, default_value = "cpu")]
        backend: BackendKind,
    },
    /// List the chapter's lessons (questions 1–7 and 1cycle).
    Lessons,
    /// Run one lesson; the last line holds `lesson` and the `finding` that answers it.
    Lesson {
        /// symmetry, zero-bias, activations, momentum, sparsity, dropout-cost, one-cycle.
        name: String,
        /// A prepared dataset folder, or `synthetic`.
        #[arg(long, default_value = "data/cifar10")]
        data: String,
        #[arg(long, default_value = "cpu")]
        backend: BackendKind,
        #[arg(long, default_value_t = 5)]
        epochs: usize,
        /// Training records per epoch (0: all).
        #[arg(long, default_value_t = 10_000)]
        max_train_records: usize,
        #[arg(long, default_value_t = 20)]
        depth: usize,
        #[arg(long, default_value_t = 100)]
        width: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Nadam's learning rate (SGD runs use 10× this).
        #[arg(long, default_value_t = 1e-4)]
        lr: f64,
        /// The sparsity lesson's L1 strength.
        #[arg(long, default_value_t = 1e-4)]
        l1: f64,
    },
}

pub fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Train {
            run,
            mc_samples,
            save,
            log,
        } => train(&run, &mc_samples, save, log),
        Command::LrFind {
            run,
            min_lr,
            max_lr,
            steps,
        } => lr_find(
            &run,
            LrSweepConfig {
                min_lr,
                max_lr,
                steps,
            },
        ),
        Command::LrSearch {
            run,
            candidates,
            log,
        } => lr_search(&run, &candidates, log),
        Command::Eval {
            run,
            weights,
            split,
            mc_samples,
        } => eval(&run, &weights, &split, &mc_samples),
        Command::PrepareData {
            archive,
            fashion_mnist,
            out,
            valid,
        } => prepare(archive, fashion_mnist, &out, valid),
        Command::SynthData {
            out,
            train,
            valid,
            test,
            shape,
            shard_records,
            seed,
        } => {
            let spec = SyntheticSpec {
                image_shape: shape,
                train,
                valid,
                test,
                seed,
                ..SyntheticSpec::default()
            };
            synth(&spec, &out, shard_records)
        }
        Command::Bench {
            variants,
            batches,
            warmup,
            steps,
            infer_passes,
            backend,
        } => {
            let device = backend.device()?;
            let mut out = Output::new(None)?;
            for variant in &variants {
                for &batch in &batches {
                    let config = BenchConfig {
                        variant: variant.clone(),
                        batch,
                        warmup_steps: warmup,
                        steps,
                        infer_passes,
                    };
                    let data = bench::bench_data(&config);
                    let result = block_on(bench::run(&config, &data, &device, backend.name()))
                        .map_err(|e| e.to_string())?;
                    out.emit("bench", serde_json::to_value(result).unwrap());
                }
            }
            Ok(())
        }
        Command::Lessons => {
            let mut out = Output::new(None)?;
            for lesson in lessons::all(&LessonOptions::default()) {
                let runs: Vec<_> = lesson.runs.iter().map(|r| r.label.clone()).collect();
                out.emit("lesson", json!({ "name": lesson.name, "question": lesson.question, "caption": lesson.caption, "runs": runs }));
            }
            Ok(())
        }
        Command::Lesson {
            name,
            data,
            backend,
            epochs,
            max_train_records,
            depth,
            width,
            seed,
            lr,
            l1,
        } => {
            let options = LessonOptions {
                epochs,
                max_train_records,
                seed,
                depth,
                width,
                lr,
                l1,
            };
            run_lesson_command(&name, &data, backend, &options)
        }
        Command::Variants => {
            let mut out = Output::new(None)?;
            for v in variants::all() {
                out.emit("variant", serde_json::to_value(&v).unwrap());
            }
            Ok(())
        }
    }
}

/// The dataset, the run's configuration, and a trainer on the chosen backend.
fn start(run: &RunOptions, out: &mut Output) -> Result<(Dataset, RunSetup, Trainer), String> {
    let setup = run.setup()?;
    let data = run.load_data().map_err(|e| e.to_string())?;
    let device = run.backend.device()?;
    let trainer = Trainer::new(
        &data,
        &setup.model,
        &setup.train,
        setup.preprocessing,
        &device,
    )
    .map_err(|e| e.to_string())?;
    out.emit(
        "run",
        json!({
            "variant": setup.variant.name,
            "title": setup.variant.title,
            "backend": run.backend.name(),
            "model": trainer.model_config,
            "train": setup.train,
            "preprocessing": setup.preprocessing,
            "parameters": trainer.model_config.parameter_count(),
            "dataset": dataset_summary(&data),
        }),
    );
    Ok((data, setup, trainer))
}

fn dataset_summary(data: &Dataset) -> serde_json::Value {
    json!({
        "name": data.manifest.dataset,
        "image_shape": data.manifest.image_shape,
        "train": data.train.len(),
        "valid": data.valid.len(),
        "test": data.test.len(),
    })
}

fn train(
    run: &RunOptions,
    mc_samples: &[usize],
    save: Option<PathBuf>,
    log: Option<PathBuf>,
) -> Result<(), String> {
    let mut out = Output::new(log.as_deref())?;
    let (data, setup, mut trainer) = start(run, &mut out)?;
    let started = now_seconds();
    let result = block_on(fit(&mut trainer, &data, &mut |event| {
        out.train_event(event)
    }));
    out.finish();
    if let Err(e) = result {
        out.emit(
            "error",
            json!({ "message": e.to_string(), "history": trainer.history() }),
        );
        return Err(e.to_string());
    }
    let valid = block_on(trainer.evaluate(&data, "valid")).map_err(|e| e.to_string())?;
    let test = block_on(trainer.evaluate(&data, "test")).map_err(|e| e.to_string())?;
    let mut mc = Vec::new();
    for &n in mc_samples {
        let on = |split| block_on(trainer.evaluate_mc(&data, split, n)).map_err(|e| e.to_string());
        mc.push(json!({ "samples": n, "valid": on("valid")?, "test": on("test")? }));
    }
    let h = trainer.history();
    let epochs = h.epochs.len().max(1) as f64;
    out.emit(
        "end",
        json!({
            "variant": setup.variant.name,
            "stop": h.stop,
            "epochs": h.epochs.len(),
            "best_epoch": h.best_epoch,
            "valid": valid,
            "test": test,
            "mc_dropout": mc,
            "seconds": now_seconds() - started,
            "seconds_per_epoch": h.epochs.iter().map(|e| e.seconds).sum::<f64>() / epochs,
            "train_samples_per_s": h.epochs.iter().map(|e| e.samples_per_s).sum::<f64>() / epochs,
        }),
    );
    if let Some(path) = save {
        let bytes = block_on(weights::to_bytes(trainer.model())).map_err(|e| e.to_string())?;
        std::fs::write(&path, bytes)
            .map_err(|e| format!("{}: cannot write ({e})", path.display()))?;
        let config = json!({ "model": trainer.model_config, "preprocessing": setup.preprocessing, "variant": setup.variant.name });
        let config_path = path.with_extension("json");
        std::fs::write(&config_path, config.to_string())
            .map_err(|e| format!("{}: {e}", config_path.display()))?;
    }
    Ok(())
}

fn run_lesson_command(
    name: &str,
    data: &str,
    backend: BackendKind,
    options: &LessonOptions,
) -> Result<(), String> {
    let lesson = lessons::lesson(name, options).map_err(|e| e.to_string())?;
    let data = load_data(data).map_err(|e| e.to_string())?;
    let device = backend.device()?;
    let mut out = Output::new(None)?;
    out.emit("lesson-start", json!({ "lesson": lesson.name, "question": lesson.question, "runs": lesson.runs, "dataset": dataset_summary(&data) }));
    let result = block_on(lessons::run_lesson(
        &lesson,
        &data,
        &device,
        &mut |label, event| {
            if let Event::Epoch(summary) = event {
                out.emit("epoch", json!({ "run": label, "summary": summary }));
            }
        },
    ));
    let (_, finding) = result.map_err(|e| e.to_string())?;
    out.emit(
        "finding",
        json!({ "lesson": lesson.name, "finding": finding }),
    );
    Ok(())
}

fn lr_search(run: &RunOptions, candidates: &[f64], log: Option<PathBuf>) -> Result<(), String> {
    let mut out = Output::new(log.as_deref())?;
    let (data, setup, _) = start(run, &mut out)?;
    let device = run.backend.device()?;
    let mut best: Option<(f64, f64)> = None;
    for &lr in candidates {
        let config = selfnorm::train::TrainConfig {
            lr,
            probe_every: 0,
            ..setup.train.clone()
        };
        let mut trainer = Trainer::new(&data, &setup.model, &config, setup.preprocessing, &device)
            .map_err(|e| e.to_string())?;
        let outcome = block_on(fit(&mut trainer, &data, &mut |_| {}));
        let h = trainer.history();
        let val_loss = h
            .epochs
            .iter()
            .map(|e| e.val_loss)
            .fold(f64::INFINITY, f64::min);
        let val_accuracy = h.epochs.iter().map(|e| e.val_accuracy).fold(0.0, f64::max);
        out.emit("lr-candidate", json!({ "lr": lr, "epochs": h.epochs.len(), "best_val_loss": val_loss, "best_val_accuracy": val_accuracy, "error": outcome.err().map(|e| e.to_string()) }));
        if val_loss.is_finite() && best.is_none_or(|(_, l)| val_loss < l) {
            best = Some((lr, val_loss));
        }
    }
    let (lr, val_loss) = best.ok_or("every candidate rate diverged")?;
    out.emit("lr-search", json!({ "variant": setup.variant.name, "best_lr": lr, "best_val_loss": val_loss, "epochs_per_candidate": setup.train.max_epochs }));
    Ok(())
}

fn lr_find(run: &RunOptions, sweep: LrSweepConfig) -> Result<(), String> {
    let mut out = Output::new(None)?;
    let (data, _, mut trainer) = start(run, &mut out)?;
    let result = block_on(trainer.find_lr(&data, &sweep)).map_err(|e| e.to_string())?;
    out.emit("lr-find", serde_json::to_value(&result).unwrap());
    Ok(())
}

fn eval(run: &RunOptions, path: &PathBuf, split: &str, mc_samples: &[usize]) -> Result<(), String> {
    let mut out = Output::new(None)?;
    let (data, _, mut trainer) = start(run, &mut out)?;
    let bytes =
        std::fs::read(path).map_err(|e| format!("{}: cannot read ({e})", path.display()))?;
    let model = weights::from_bytes(trainer.model().clone(), &bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    trainer.set_model(model);
    let plain = block_on(trainer.evaluate(&data, split)).map_err(|e| e.to_string())?;
    out.emit(
        "eval",
        json!({ "split": split, "mode": "eval", "result": plain }),
    );
    for &n in mc_samples {
        let mc = block_on(trainer.evaluate_mc(&data, split, n)).map_err(|e| e.to_string())?;
        out.emit(
            "eval",
            json!({ "split": split, "mode": "mc-dropout", "samples": n, "result": mc }),
        );
    }
    Ok(())
}

fn prepare(
    archive: Option<PathBuf>,
    fashion: Option<PathBuf>,
    out_dir: &PathBuf,
    valid: usize,
) -> Result<(), String> {
    let start = now_seconds();
    let prepared = match (archive, fashion) {
        (Some(archive), None) => prepare_cifar10(&archive, out_dir, valid),
        (None, Some(dir)) => prepare_fashion_mnist(&dir, out_dir, valid),
        _ => return Err("give --archive PATH (CIFAR-10) or --fashion-mnist DIR".into()),
    }
    .map_err(|e| e.to_string())?;
    let (status, manifest) = match prepared {
        Prepared::Written(m) => ("written", m),
        Prepared::UpToDate(m) => ("up-to-date", m),
    };
    report_prepared(status, &manifest, out_dir, now_seconds() - start)
}

fn synth(spec: &SyntheticSpec, out_dir: &PathBuf, shard_records: usize) -> Result<(), String> {
    let start = now_seconds();
    let data = spec.generate();
    let desc = DatasetSpec {
        name: "synthetic",
        classes: data.manifest.classes.clone(),
        image_shape: spec.image_shape,
        source: data.manifest.source.clone(),
    };
    let records = if shard_records == 0 {
        RECORDS_PER_SHARD
    } else {
        shard_records
    };
    let manifest = write_dataset(
        out_dir,
        desc,
        [&data.train, &data.valid, &data.test],
        records,
    )
    .map_err(|e| e.to_string())?;
    report_prepared("written", &manifest, out_dir, now_seconds() - start)
}

fn report_prepared(
    status: &str,
    manifest: &Manifest,
    out_dir: &PathBuf,
    seconds: f64,
) -> Result<(), String> {
    let split = |s: &selfnorm::data::manifest::SplitInfo| json!({ "records": s.records, "shards": s.shards.len(), "bytes": s.shards.iter().map(|x| x.bytes).sum::<usize>() });
    Output::new(None)?.emit(
        "prepared",
        json!({
            "status": status,
            "dataset": manifest.dataset,
            "out": out_dir,
            "seconds": seconds,
            "train": split(&manifest.train),
            "valid": split(&manifest.valid),
            "test": split(&manifest.test),
            "shard_bytes": manifest.train.shards.first().map(|s| s.bytes),
        }),
    );
    Ok(())
}

fn parse_shape(s: &str) -> Result<[usize; 3], String> {
    let dims: Vec<usize> = s
        .split(',')
        .map(|d| d.trim().parse().map_err(|_| format!("bad dimension '{d}'")))
        .collect::<Result<_, _>>()?;
    dims.try_into().map_err(|_| "expected C,H,W".to_string())
}
