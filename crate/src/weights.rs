//! Model weights to bytes and back (CLI `--save`/`--weights`, browser export/import).
//!
//! Format: `SNW1`, a u32 tensor count, then per tensor its rank, its dims (u32 each) and its f32
//! values, all little-endian, in the module's visiting order (kernels, biases, batch norm's γ, β
//! and running averages). The model's configuration travels beside it as JSON, and a file is
//! checked against the model it is loaded into, shape by shape.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};

use crate::error::TrainError;
use crate::model::DenseNet;
use crate::readback::read_floats;

const MAGIC: &[u8; 4] = b"SNW1";

struct Collect(Vec<Tensor<1>>, Vec<Vec<usize>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        self.1.push(tensor.dims().to_vec());
        self.0.push(tensor.inner().flatten(0, D - 1));
    }
}

/// Serializes every float tensor of `model` (one device readback).
pub async fn to_bytes(model: &DenseNet) -> Result<Vec<u8>, TrainError> {
    let mut collect = Collect(Vec::new(), Vec::new());
    model.visit(&mut collect);
    let values = read_floats(Tensor::cat(collect.0, 0)).await?;
    let mut out = MAGIC.to_vec();
    out.extend((collect.1.len() as u32).to_le_bytes());
    let mut offset = 0;
    for dims in &collect.1 {
        out.extend((dims.len() as u32).to_le_bytes());
        dims.iter()
            .for_each(|&d| out.extend((d as u32).to_le_bytes()));
        let n: usize = dims.iter().product();
        values[offset..offset + n]
            .iter()
            .for_each(|v| out.extend(v.to_le_bytes()));
        offset += n;
    }
    Ok(out)
}

/// Replaces the weights of `model` (which fixes the expected shapes) with those in `bytes`.
pub fn from_bytes(model: DenseNet, bytes: &[u8]) -> Result<DenseNet, String> {
    let tensors = parse(bytes)?;
    let mut expected = Collect(Vec::new(), Vec::new());
    model.visit(&mut expected);
    if expected.1.len() != tensors.len() {
        return Err(format!(
            "the weights hold {} tensors but this model has {}: they come from a different architecture",
            tensors.len(),
            expected.1.len()
        ));
    }
    if let Some((i, (want, (got, _)))) = expected
        .1
        .iter()
        .zip(&tensors)
        .enumerate()
        .find(|(_, (w, (g, _)))| *w != g)
    {
        return Err(format!(
            "tensor {i} has shape {got:?} but this model expects {want:?}: different architecture"
        ));
    }
    Ok(model.map(&mut Load(tensors.into_iter())))
}

struct Load<I>(I);

impl<I: Iterator<Item = (Vec<usize>, Vec<f32>)>> ModuleMapper for Load<I> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (dims, values) = self.0.next().expect("shapes were checked");
        param.map(|old| {
            let tracked = old.is_require_grad();
            let fresh = Tensor::<D>::from_data(TensorData::new(values, dims), &old.device());
            fresh.set_require_grad(tracked)
        })
    }
}

type Parsed = Vec<(Vec<usize>, Vec<f32>)>;

fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let mut words = Reader { bytes, at: 0 };
    if words.take(4)? != MAGIC {
        return Err("not a selfnorm weights file (no SNW1 header)".into());
    }
    let count = words.u32()? as usize;
    let mut tensors = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let rank = words.u32()? as usize;
        let dims: Vec<usize> = (0..rank)
            .map(|_| words.u32().map(|d| d as usize))
            .collect::<Result<_, _>>()?;
        let n: usize = dims.iter().product();
        let values = words
            .take(4 * n)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.push((dims, values));
    }
    if words.at != bytes.len() {
        return Err(format!(
            "{} unexpected bytes after the last tensor",
            bytes.len() - words.at
        ));
    }
    Ok(tensors)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end =
            end.ok_or_else(|| format!("truncated weights file ({} bytes)", self.bytes.len()))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, String> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Native only: the tests block on futures with `pollster`.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::model::{Mode, ModelConfig};
    use burn::tensor::Device;

    #[test]
    fn round_trip_restores_outputs_and_bad_files_are_rejected() {
        let device = Device::flex();
        let config = ModelConfig {
            depth: 3,
            width: 16,
            input_dim: 12,
            batch_norm: true,
            ..ModelConfig::default()
        };
        let a = DenseNet::new(&config, 1, &device).unwrap();
        let bytes = pollster::block_on(to_bytes(&a)).unwrap();
        let b = from_bytes(DenseNet::new(&config, 2, &device).unwrap(), &bytes).unwrap();
        let x = Tensor::<2>::ones([2, 12], &device);
        assert_eq!(
            a.forward(x.clone(), Mode::Eval).into_data(),
            b.forward(x, Mode::Eval).into_data()
        );

        let other = ModelConfig { width: 8, ..config };
        let err = from_bytes(DenseNet::new(&other, 0, &device).unwrap(), &bytes)
            .err()
            .unwrap();
        assert!(err.contains("different architecture"), "{err}");
        let err = from_bytes(DenseNet::new(&config, 0, &device).unwrap(), &bytes[..100])
            .err()
            .unwrap();
        assert!(err.contains("truncated"), "{err}");
    }
}
