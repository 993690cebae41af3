//! A small learnable dataset in the same format as the real ones, for tests and demos without
//! CIFAR-10: each class is a random prototype image, and each record is its prototype plus
//! Gaussian pixel noise.

use super::dataset::Dataset;
use super::manifest::{FORMAT, FORMAT_VERSION, FileInfo, Manifest, SplitInfo};
use super::preprocess::FeatureStats;
use super::split::Split;
use crate::rng::Rng;

#[derive(Clone, Debug)]
pub struct SyntheticSpec {
    pub image_shape: [usize; 3],
    pub classes: usize,
    pub train: usize,
    pub valid: usize,
    pub test: usize,
    /// Std of the pixel noise, in pixel units (0–255); prototypes differ by about 24 per pixel.
    pub noise: f64,
    pub seed: u64,
}

impl Default for SyntheticSpec {
    /// CIFAR-10's shape and classes, 2,000 / 500 / 500 records.
    fn default() -> Self {
        Self {
            image_shape: [3, 32, 32],
            classes: 10,
            train: 2_000,
            valid: 500,
            test: 500,
            noise: 64.0,
            seed: 0,
        }
    }
}

impl SyntheticSpec {
    pub fn generate(&self) -> Dataset {
        let d: usize = self.image_shape.iter().product();
        let mut rng = Rng::fork(self.seed, 7);
        let prototypes: Vec<Vec<f64>> = (0..self.classes)
            .map(|_| (0..d).map(|_| 128.0 + 24.0 * rng.normal()).collect())
            .collect();
        let mut split = |n: usize| {
            let mut images = Vec::with_capacity(n * d);
            let labels: Vec<u8> = (0..n).map(|i| (i % self.classes) as u8).collect();
            for &label in &labels {
                let proto = &prototypes[label as usize];
                images.extend(
                    proto
                        .iter()
                        .map(|p| (p + self.noise * rng.normal()).round().clamp(0.0, 255.0) as u8),
                );
            }
            Split::from_records(d, self.classes, images, labels)
        };
        let (train, valid, test) = (split(self.train), split(self.valid), split(self.test));
        let stats = FeatureStats::compute(&train);
        Dataset {
            manifest: self.manifest(),
            train,
            valid,
            test,
            stats,
        }
    }

    /// The manifest of the in-memory set; shard lists are empty because nothing is on disk
    /// (write it with [`crate::data::writer::write_dataset`] to get files and a full manifest).
    fn manifest(&self) -> Manifest {
        let split = |records| SplitInfo {
            records,
            shards: Vec::new(),
        };
        Manifest {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            dataset: "synthetic".into(),
            classes: (0..self.classes).map(|c| format!("class-{c}")).collect(),
            image_shape: self.image_shape,
            record_bytes: 1 + self.image_shape.iter().product::<usize>(),
            train: split(self.train),
            valid: split(self.valid),
            test: split(self.test),
            standardization: FileInfo {
                file: String::new(),
                bytes: 0,
                sha256: String::new(),
            },
            source: format!(
                "synthetic: class prototypes + N(0, {}²) pixel noise, seed {}",
                self.noise, self.seed
            ),
        }
    }
}
