use serde::{Deserialize, Serialize};

use super::error::{DataError, REPREPARE};
use super::split::Split;

/// How pixels become network inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preprocessing {
    /// x / 255: the inputs the exercise's brief asks for ELU/He and Batch Norm.
    Scale01,
    /// Pixel values 0–255 as they are: what the solution notebook's code feeds (a)–(c).
    Raw,
    /// (x / 255 − μ_f) / σ_f with the train split's per-feature mean and std: the standardized
    /// inputs that SELU's self-normalization assumes.
    Standardize,
}

/// Per-feature mean and std of the train split, pixels scaled to [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureStats {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

/// Per-feature sums of pixels / 255 and of their squares, in f64, added image by image: the
/// statistics of a split as its records stream past (in record order, so that the result is the
/// same to the bit however the records arrive).
pub struct FeatureSums {
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    n: usize,
}

impl FeatureSums {
    pub fn new(feature_dim: usize) -> Self {
        Self {
            sum: vec![0.0; feature_dim],
            sum_sq: vec![0.0; feature_dim],
            n: 0,
        }
    }

    pub fn add(&mut self, image: &[u8]) {
        for ((s, q), &p) in self.sum.iter_mut().zip(&mut self.sum_sq).zip(image) {
            let x = p as f64 / 255.0;
            *s += x;
            *q += x * x;
        }
        self.n += 1;
    }

    pub fn stats(&self) -> FeatureStats {
        let n = self.n as f64;
        let mean: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        let std = self
            .sum_sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| ((s / n - m * m).max(0.0)).sqrt() as f32)
            .collect();
        FeatureStats {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }
}

impl FeatureStats {
    pub fn compute(split: &Split) -> Self {
        let mut sums = FeatureSums::new(split.feature_dim);
        (0..split.len()).for_each(|i| sums.add(split.image(i)));
        sums.stats()
    }

    /// Little-endian f32: all means, then all stds.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.mean
            .iter()
            .chain(&self.std)
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    pub fn from_bytes(file: &str, bytes: &[u8], feature_dim: usize) -> Result<Self, DataError> {
        if bytes.len() != 8 * feature_dim {
            return Err(DataError::new(
                file,
                format!(
                    "{} bytes, expected {} for {feature_dim} features; {REPREPARE}",
                    bytes.len(),
                    8 * feature_dim
                ),
            ));
        }
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) || values[feature_dim..].iter().any(|&s| s < 0.0) {
            return Err(DataError::new(
                file,
                format!("holds non-finite or negative statistics; {REPREPARE}"),
            ));
        }
        Ok(Self {
            mean: values[..feature_dim].to_vec(),
            std: values[feature_dim..].to_vec(),
        })
    }
}

/// Turns pixel bytes into inputs: x_f = p · scale_f + offset_f.
#[derive(Clone, Debug)]
pub struct Normalizer {
    scale: Vec<f32>,
    offset: Vec<f32>,
}

impl Normalizer {
    pub fn new(preprocessing: Preprocessing, stats: &FeatureStats) -> Self {
        let d = stats.mean.len();
        match preprocessing {
            Preprocessing::Scale01 => Self {
                scale: vec![1.0 / 255.0; d],
                offset: vec![0.0; d],
            },
            Preprocessing::Raw => Self {
                scale: vec![1.0; d],
                offset: vec![0.0; d],
            },
            Preprocessing::Standardize => {
                // A constant feature (σ = 0) would divide by zero; Keras's Normalization layer
                // guards the same way.
                let inv_std: Vec<f32> = stats.std.iter().map(|&s| 1.0 / s.max(1e-7)).collect();
                Self {
                    scale: inv_std.iter().map(|&i| i / 255.0).collect(),
                    offset: stats
                        .mean
                        .iter()
                        .zip(&inv_std)
                        .map(|(&m, &i)| -m * i)
                        .collect(),
                }
            }
        }
    }

    /// Appends the inputs of records `indices` to `out` (row-major `[indices.len(), d]`).
    pub fn extend(&self, split: &Split, indices: &[u32], out: &mut Vec<f32>) {
        out.reserve(indices.len() * self.scale.len());
        for &i in indices {
            let image = split.image(i as usize);
            out.extend(
                image
                    .iter()
                    .zip(self.scale.iter().zip(&self.offset))
                    .map(|(&p, (&s, &o))| p as f32 * s + o),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_preprocessing_maps_pixels_as_documented() {
        let split = Split::from_records(2, 10, vec![0, 255, 51, 102], vec![0, 1]);
        let stats = FeatureStats::compute(&split);
        let inputs = |p| {
            let mut out = Vec::new();
            Normalizer::new(p, &stats).extend(&split, &[0, 1], &mut out);
            out
        };
        assert_eq!(inputs(Preprocessing::Raw), [0.0, 255.0, 51.0, 102.0]);
        let close = |got: Vec<f32>, want: [f32; 4]| {
            let ok = got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-5);
            assert!(ok, "{got:?} against {want:?}");
        };
        close(inputs(Preprocessing::Scale01), [0.0, 1.0, 0.2, 0.4]);
        close(inputs(Preprocessing::Standardize), [-1.0, 1.0, 1.0, -1.0]);
    }
}
