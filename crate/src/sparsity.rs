//! Sparse models (chapter 11, question 6): how many weights are (near) zero, and magnitude
//! pruning of a trained net to a target sparsity.

use crate::error::TrainError;
use crate::model::DenseNet;
use crate::readback::{read_floats, read_many};

/// Per kernel (hidden layers, then the output layer): the fraction of weights with |w| ≤ `threshold`.
pub async fn zero_fractions(model: &DenseNet, threshold: f32) -> Result<Vec<f32>, TrainError> {
    let fractions = model
        .kernels()
        .map(|w| {
            w.val()
                .inner()
                .abs()
                .lower_equal_elem(threshold)
                .float()
                .mean()
        })
        .collect();
    read_many(fractions).await
}

/// Zeroes the smallest-magnitude `sparsity` fraction of every kernel (layer-wise magnitude
/// pruning, Han et al. 2015); biases are kept.
pub async fn prune(mut model: DenseNet, sparsity: f64) -> Result<DenseNet, TrainError> {
    let mut thresholds = Vec::new();
    for w in model.kernels() {
        let mut magnitudes: Vec<f32> = read_floats(w.val().inner().abs()).await?;
        let k = ((magnitudes.len() as f64 * sparsity).round() as usize).min(magnitudes.len());
        let threshold = if k == 0 {
            -1.0
        } else {
            *magnitudes.select_nth_unstable_by(k - 1, f32::total_cmp).1
        };
        thresholds.push(threshold);
    }
    for (param, threshold) in model.kernels_mut().zip(thresholds) {
        *param = param.clone().map(|w| {
            let small = w.clone().abs().lower_equal_elem(threshold);
            w.mask_fill(small, 0.0)
        });
    }
    Ok(model)
}

/// Native only: the tests block on futures with `pollster`.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::model::ModelConfig;
    use burn::tensor::Device;

    #[test]
    fn pruning_reaches_the_target_sparsity_in_every_kernel() {
        let device = Device::flex();
        let config = ModelConfig {
            depth: 3,
            width: 50,
            input_dim: 40,
            ..ModelConfig::default()
        };
        let net = DenseNet::new(&config, 1, &device).unwrap();
        let before = pollster::block_on(zero_fractions(&net, 0.0)).unwrap();
        assert!(before.iter().all(|&f| f == 0.0));
        let pruned = pollster::block_on(prune(net, 0.8)).unwrap();
        let after = pollster::block_on(zero_fractions(&pruned, 0.0)).unwrap();
        assert_eq!(after.len(), 4);
        for f in after {
            assert!((f - 0.8).abs() < 0.01, "{f}");
        }
    }
}
