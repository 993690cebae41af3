//! The chapter's questions 1–7 (and the solution's 1cycle part) as runnable experiments: each
//! lesson is a handful of runs that differ in one setting, and a caption saying what to look at.

use serde::{Deserialize, Serialize};

use crate::data::Preprocessing;
use crate::error::ConfigError;
use crate::model::{
    Activation, DropoutConfig, DropoutKind, DropoutPlacement, KernelInit, ModelConfig,
};
use crate::optim::OptimizerConfig;
use crate::train::{Schedule, TrainConfig};

pub const LESSON_NAMES: [&str; 7] = [
    "symmetry",
    "zero-bias",
    "activations",
    "momentum",
    "sparsity",
    "dropout-cost",
    "one-cycle",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LessonRun {
    pub label: String,
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub preprocessing: Preprocessing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lesson {
    pub name: String,
    /// The chapter's question, shortened.
    pub question: String,
    /// What the plots show, in a sentence or two.
    pub caption: String,
    pub runs: Vec<LessonRun>,
}

/// How long each run of a lesson trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LessonOptions {
    pub epochs: usize,
    /// Training records per epoch (0: all): lessons compare, they need not converge.
    pub max_train_records: usize,
    pub seed: u64,
    /// The net's shape: the chapter's 20 × 100 by default, smaller for quick runs.
    pub depth: usize,
    pub width: usize,
    /// Nadam's learning rate (SGD runs use 10× this).
    pub lr: f64,
    /// The sparsity lesson's L1 strength.
    pub l1: f64,
}

impl Default for LessonOptions {
    fn default() -> Self {
        Self {
            epochs: 5,
            max_train_records: 10_000,
            seed: 42,
            depth: 20,
            width: 100,
            lr: 1e-4,
            l1: 1e-4,
        }
    }
}

fn run(
    label: &str,
    model: ModelConfig,
    train: TrainConfig,
    preprocessing: Preprocessing,
) -> LessonRun {
    LessonRun {
        label: label.into(),
        model,
        train,
        preprocessing,
    }
}

pub fn lesson(name: &str, options: &LessonOptions) -> Result<Lesson, ConfigError> {
    let train = TrainConfig {
        lr: options.lr,
        max_epochs: options.epochs,
        patience: options.epochs,
        seed: options.seed,
        max_train_records: options.max_train_records,
        probe_every: 50,
        ..TrainConfig::default()
    };
    let elu = ModelConfig {
        depth: options.depth,
        width: options.width,
        ..ModelConfig::default()
    };
    let scaled = Preprocessing::Scale01;
    // The sparsity lesson's contrast and the dropout-cost lesson's subject.
    let with_dropout = || {
        run(
            "dropout 0.2",
            ModelConfig {
                dropout: Some(standard_dropout(0.2)),
                ..elu.clone()
            },
            train.clone(),
            scaled,
        )
    };
    let (question, caption, runs) = match name {
        "symmetry" => (
            "Q1: is it OK to initialize all the weights to the same value?",
            "With identical weights every unit of a layer computes the same thing and gets the same \
             gradient, so the layer never behaves as more than one unit: the spread across units \
             stays at 0 and accuracy stalls. He init breaks the symmetry.",
            vec![
                run(
                    "identical",
                    ModelConfig {
                        kernel_init: KernelInit::Identical,
                        ..elu.clone()
                    },
                    train.clone(),
                    scaled,
                ),
                run("he-normal", elu.clone(), train.clone(), scaled),
            ],
        ),
        "zero-bias" => (
            "Q2: is it OK to initialize the biases to 0?",
            "Yes: random kernels already break the symmetry, so zero biases (Keras's default) train \
             just like small constant ones.",
            vec![
                run("bias 0", elu.clone(), train.clone(), scaled),
                run(
                    "bias 0.01",
                    ModelConfig {
                        bias_init: 0.01,
                        ..elu.clone()
                    },
                    train.clone(),
                    scaled,
                ),
            ],
        ),
        "activations" => (
            "Q3/Q4: SELU vs ReLU, leaky ReLU, ELU, tanh, sigmoid and Swish in the same 20-layer net",
            "SELU (LeCun init, standardized inputs) keeps every layer near mean 0 and std 1; ReLU \
             units die, sigmoid and tanh saturate and their gradients vanish in the lower layers.",
            activation_runs(&elu, &train),
        ),
        "momentum" => (
            "Q5: what if the SGD momentum is too close to 1 (0.99999)?",
            "Momentum near 1 barely damps the velocity: the loss oscillates and the run may blow up, \
             where 0.9 descends smoothly. A blown-up run stops with a message and keeps its history.",
            [0.9, 0.99999]
                .map(|m| {
                    let sgd = TrainConfig {
                        lr: 10.0 * options.lr,
                        optimizer: OptimizerConfig::Sgd {
                            momentum: m,
                            nesterov: false,
                        },
                        ..train.clone()
                    };
                    run(&format!("momentum {m}"), elu.clone(), sgd, scaled)
                })
                .to_vec(),
        ),
        "sparsity" => (
            "Q6: three ways to get a sparse model",
            "L1 regularization pushes many weights to (near) zero while training; magnitude pruning \
             zeroes the smallest weights after training, at some cost in accuracy; dropout, for \
             contrast, does not make weights sparse.",
            vec![
                run("no regularization", elu.clone(), train.clone(), scaled),
                run(
                    &format!("L1 {}", options.l1),
                    elu.clone(),
                    TrainConfig {
                        l1: options.l1,
                        ..train.clone()
                    },
                    scaled,
                ),
                with_dropout(),
            ],
        ),
        "dropout-cost" => (
            "Q7: does dropout slow down training? And inference?",
            "Dropout adds a mask per layer at training time (a little slower per epoch) and nothing \
             at inference, unless you use MC Dropout, which costs one forward pass per sample.",
            vec![
                run("no dropout", elu.clone(), train.clone(), scaled),
                with_dropout(),
            ],
        ),
        "one-cycle" => (
            "Exercise 8f: 1cycle scheduling with SGD vs Nadam",
            "SGD with the 1cycle schedule, its peak rate taken from the LR finder, against Nadam at \
             a constant rate: compare the accuracy reached per epoch.",
            vec![
                run("nadam", elu.clone(), train.clone(), scaled),
                run(
                    "sgd 1cycle",
                    elu.clone(),
                    TrainConfig {
                        // A placeholder: the runner sets the peak rate from the LR finder.
                        lr: 1e-2,
                        batch_size: 128,
                        schedule: Schedule::OneCycle,
                        optimizer: OptimizerConfig::Sgd {
                            momentum: 0.9,
                            nesterov: false,
                        },
                        ..train.clone()
                    },
                    scaled,
                ),
            ],
        ),
        _ => {
            return Err(ConfigError(format!(
                "unknown lesson '{name}' (expected one of: {})",
                LESSON_NAMES.join(", ")
            )));
        }
    };
    Ok(Lesson {
        name: name.into(),
        question: question.into(),
        caption: caption.into(),
        runs,
    })
}

fn standard_dropout(rate: f64) -> DropoutConfig {
    DropoutConfig {
        kind: DropoutKind::Standard,
        rate,
        placement: DropoutPlacement::EveryHidden,
    }
}

/// Each activation with its matching init (He for the ReLU family, ELU and Swish, Glorot — Keras's
/// default — for tanh and sigmoid, LeCun for SELU) and SELU on standardized inputs.
fn activation_runs(base: &ModelConfig, train: &TrainConfig) -> Vec<LessonRun> {
    Activation::ALL
        .into_iter()
        .map(|activation| {
            let (init, preprocessing) = match activation {
                Activation::Selu => (KernelInit::LecunNormal, Preprocessing::Standardize),
                Activation::Tanh | Activation::Sigmoid => {
                    (KernelInit::GlorotUniform, Preprocessing::Scale01)
                }
                _ => (KernelInit::HeNormal, Preprocessing::Scale01),
            };
            let model = ModelConfig {
                activation,
                kernel_init: init,
                ..base.clone()
            };
            run(activation.name(), model, train.clone(), preprocessing)
        })
        .collect()
}

pub fn all(options: &LessonOptions) -> Vec<Lesson> {
    LESSON_NAMES
        .iter()
        .map(|n| lesson(n, options).expect("known lesson"))
        .collect()
}
