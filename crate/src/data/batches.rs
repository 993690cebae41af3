use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::{Normalizer, Split};

/// The records `indices` of `split` as network inputs `[n, d]` and labels `[n]` on `device`.
pub fn batch(
    split: &Split,
    normalizer: &Normalizer,
    indices: &[u32],
    device: &Device,
) -> (Tensor<2>, Tensor<1, Int>) {
    let (inputs, labels) = host_batch(split, normalizer, indices);
    let labels: Vec<i32> = labels.into_iter().map(|l| l as i32).collect();
    let n = indices.len();
    let x = Tensor::from_data(TensorData::new(inputs, [n, split.feature_dim]), device);
    let y = Tensor::from_data(TensorData::new(labels, [n]), device);
    (x, y)
}

/// The same on the host, as the fused step takes them: preprocessed inputs, row after row, and
/// their classes.
pub fn host_batch(split: &Split, normalizer: &Normalizer, indices: &[u32]) -> (Vec<f32>, Vec<u32>) {
    let mut inputs = Vec::new();
    normalizer.extend(split, indices, &mut inputs);
    let labels = indices
        .iter()
        .map(|&i| split.label(i as usize) as u32)
        .collect();
    (inputs, labels)
}

/// `0..len` in chunks of `size` (the last one shorter), as index lists.
pub fn sequential(len: usize, size: usize) -> impl Iterator<Item = Vec<u32>> {
    (0..len)
        .step_by(size)
        .map(move |start| (start as u32..(start + size).min(len) as u32).collect())
}
