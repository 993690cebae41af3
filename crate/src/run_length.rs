//! How long the runs the page offers are: the exercise's protocol (the training defaults), and a
//! quick length sized for what the browser trains on, so that a first run or a lesson on a slow
//! backend ends in minutes rather than hours. The page's form and lessons start from these.

use serde::{Deserialize, Serialize};

use crate::lessons::LessonOptions;
use crate::model::ModelConfig;
use crate::train::TrainConfig;

/// What the page trains on, as far as the run's length goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrainsOn {
    /// Burn's CPU backend in wasm: a few thousand samples/s.
    Cpu,
    /// WebGPU on a hardware adapter.
    Gpu,
    /// WebGPU on a software adapter (SwiftShader, lavapipe): a GPU emulated on the CPU.
    SoftwareGpu,
}

/// A run's length and net size, and why they were chosen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunLength {
    /// What the page's length select calls it.
    pub name: &'static str,
    pub epochs: usize,
    /// Records per epoch (0: all).
    pub max_train_records: usize,
    pub patience: usize,
    pub depth: usize,
    pub width: usize,
    pub why: &'static str,
}

/// The two lengths the page offers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunLengths {
    pub quick: RunLength,
    /// The exercise's: every record, up to 100 epochs with early stopping, the 20 × 100 net.
    pub full: RunLength,
    /// Whether a first visit starts with the quick length (every backend but a hardware GPU).
    pub first_visit_quick: bool,
}

pub fn run_lengths(on: TrainsOn) -> RunLengths {
    let train = TrainConfig::default();
    let model = ModelConfig::default();
    let lesson = LessonOptions::default();
    let quick = |epochs, max_train_records, depth, width, why| RunLength {
        name: "Quick",
        epochs,
        max_train_records,
        patience: train.patience,
        depth,
        width,
        why,
    };
    RunLengths {
        quick: match on {
            TrainsOn::SoftwareGpu => quick(
                1,
                1000,
                6,
                32,
                "WebGPU on a software adapter emulates the GPU on the CPU and is slow: a small net and short epochs",
            ),
            TrainsOn::Gpu => quick(
                lesson.epochs,
                lesson.max_train_records,
                lesson.depth,
                lesson.width,
                "WebGPU on a GPU: the chapter's 20 × 100 net, 5 epochs of 10,000 records",
            ),
            TrainsOn::Cpu => quick(
                3,
                5000,
                model.depth,
                model.width,
                "the CPU backend (wasm) trains the chapter's 20 × 100 net at a few thousand samples/s: 3 epochs of 5,000 records",
            ),
        },
        full: RunLength {
            name: "Full exercise",
            epochs: train.max_epochs,
            max_train_records: train.max_train_records,
            patience: train.patience,
            depth: model.depth,
            width: model.width,
            why: "the exercise's protocol: every record, early stopping within 100 epochs",
        },
        first_visit_quick: on != TrainsOn::Gpu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_is_the_training_defaults_and_quick_is_shorter_on_every_backend() {
        let train = TrainConfig::default();
        for on in [TrainsOn::Cpu, TrainsOn::Gpu, TrainsOn::SoftwareGpu] {
            let RunLengths {
                quick,
                full,
                first_visit_quick,
            } = run_lengths(on);
            assert_eq!(first_visit_quick, on != TrainsOn::Gpu);
            assert_eq!(
                (full.epochs, full.max_train_records, full.patience),
                (100, 0, 20)
            );
            assert_eq!(
                (full.epochs, full.patience),
                (train.max_epochs, train.patience)
            );
            assert!(
                quick.epochs < full.epochs && quick.max_train_records > 0,
                "{on:?}"
            );
        }
        // The CLI's lessons run the GPU's quick length.
        let gpu = run_lengths(TrainsOn::Gpu).quick;
        let lesson = LessonOptions::default();
        assert_eq!(
            (gpu.epochs, gpu.max_train_records, gpu.depth, gpu.width),
            (
                lesson.epochs,
                lesson.max_train_records,
                lesson.depth,
                lesson.width
            )
        );
        let software = run_lengths(TrainsOn::SoftwareGpu).quick;
        assert!(software.depth * software.width < gpu.depth * gpu.width);
    }

    #[test]
    fn trains_on_reads_the_pages_names() {
        let on: TrainsOn = serde_json::from_str("\"software-gpu\"").unwrap();
        assert_eq!(on, TrainsOn::SoftwareGpu);
        assert!(serde_json::from_str::<TrainsOn>("\"tpu\"").is_err());
    }
}
