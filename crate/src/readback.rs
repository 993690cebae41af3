//! Reading tensors back to the host. Always async: on wasm a synchronous read panics and aborts
//! the instance, so the whole crate reads through these, rarely and in one transfer each.

use burn::tensor::Tensor;

use crate::error::TrainError;

/// All values of a tensor as f32.
pub async fn read_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    let data = tensor.into_data_async().await.map_err(TrainError::device)?;
    data.convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| TrainError::Device(format!("{e:?}")))
}

/// Several same-rank-1 tensors read in one transfer: concatenated on the device first.
pub async fn read_many(tensors: Vec<Tensor<1>>) -> Result<Vec<f32>, TrainError> {
    if tensors.is_empty() {
        return Ok(Vec::new());
    }
    read_floats(Tensor::cat(tensors, 0)).await
}
