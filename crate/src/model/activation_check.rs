//! An activation's tensor forward and backward on a backend, checked against its formula
//! ([`Activation::at`]) over inputs from −1e4 to 1e4: the unit tests run it on the native CPU
//! backend, the wasm tests on WebGPU and on the CPU backend compiled to wasm.

use burn::tensor::{Device, Tensor, TensorData};

use super::Activation;
use crate::error::TrainError;
use crate::readback::read_many;

/// Both sides of every region: ±1e4, past exp's f32 overflow (88.7), either side of the clamp
/// floor (−80), ELU's saturation and its knee.
pub const INPUTS: [f32; 21] = [
    -1e4, -1000.0, -100.0, -88.8, -80.5, -79.5, -20.0, -3.0, -1.0, -0.5, -1e-3, 1e-3, 0.5, 1.0,
    3.0, 20.0, 80.5, 88.8, 100.0, 1000.0, 1e4,
];

/// `n` inputs cycling through [`INPUTS`] from `shift`, so that every value lands in every lane
/// position of a vectorized kernel as `shift` goes round.
pub fn cycled(n: usize, shift: usize) -> Vec<f32> {
    (0..n).map(|i| INPUTS[(i + shift) % INPUTS.len()]).collect()
}

/// The activation and its derivative at each input, computed as training does: the tensor
/// forward on `device` (a plain one: autodiff is added here), then the backward of the sum.
pub async fn value_and_derivative(
    activation: Activation,
    inputs: &[f32],
    device: &Device,
) -> Result<(Vec<f32>, Vec<f32>), TrainError> {
    let device = device.clone().autodiff();
    let data = TensorData::new(inputs.to_vec(), [inputs.len()]);
    let x = Tensor::<1>::from_data(data, &device).require_grad();
    let y = activation.forward(x.clone());
    let grads = y.clone().sum().backward();
    let grad = x
        .grad(&grads)
        .ok_or_else(|| TrainError::Device("no gradient reached the input".into()))?;
    let values = read_many(vec![y.inner(), grad]).await?;
    let (value, derivative) = values.split_at(inputs.len());
    Ok((value.to_vec(), derivative.to_vec()))
}

/// Relative error allowed (absolute below 1): f32 rounding, with room for a GPU's `exp`.
const TOLERANCE: f64 = 1e-5;

/// Every input where the value or the derivative is not finite or is off the formula by more
/// than [`TOLERANCE`]; empty when all match.
pub async fn mismatches(
    activation: Activation,
    inputs: &[f32],
    device: &Device,
) -> Result<Vec<String>, TrainError> {
    let (value, derivative) = value_and_derivative(activation, inputs, device).await?;
    let off = |got: f32, want: f64| {
        !got.is_finite() || (got as f64 - want).abs() > TOLERANCE * want.abs().max(1.0)
    };
    Ok(inputs
        .iter()
        .zip(value.iter().zip(&derivative))
        .filter_map(|(&x, (&v, &d))| {
            let (want_v, want_d) = activation.at(x as f64);
            (off(v, want_v) || off(d, want_d)).then(|| {
                format!(
                    "{} at x = {x} (of {}): value {v} (want {want_v}), derivative {d} (want {want_d})",
                    activation.name(),
                    inputs.len()
                )
            })
        })
        .collect())
}

/// [`mismatches`] of every activation on each of `tensors`, as one report.
pub async fn check_every_activation(tensors: &[Vec<f32>], device: &Device) -> Result<(), String> {
    let mut errors = Vec::new();
    for activation in Activation::ALL {
        for inputs in tensors {
            let found = mismatches(activation, inputs, device).await;
            errors.extend(found.map_err(|e| e.to_string())?);
        }
    }
    match errors.len() {
        0 => Ok(()),
        n => Err(format!(
            "{n} mismatches; the first: {:#?}",
            &errors[..n.min(8)]
        )),
    }
}
