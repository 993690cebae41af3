//! Model weights to bytes and back (CLI `--save`/`--weights`, browser export/import).
//!
//! Format: [safetensors](https://github.com/huggingface/safetensors), so that PyTorch, JAX or
//! Keras can open our weights and the parsing of untrusted bytes is a well-kept library's. One
//! F32 tensor per parameter, named after its place in the net: `hidden.3.kernel` (`[inputs,
//! units]`, Keras's layout; PyTorch's `Linear.weight` is its transpose), `hidden.3.bias`,
//! `hidden.3.norm.gamma` / `beta` / `running_mean` / `running_var`, `input_norm.*`,
//! `output.kernel`, `output.bias`. The metadata holds the net's architecture as JSON
//! (`selfnorm.model`). Files in the older `SNW1` layout still load ([`snw1`]).

mod snw1;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde_json::json;

use crate::error::TrainError;
use crate::model::{DenseNet, DropoutPlacement};
use crate::readback::read_floats;

/// The metadata key of the net's architecture.
pub const MODEL_KEY: &str = "selfnorm.model";
/// The metadata key naming the writer, so a file says where it came from.
const FORMAT_KEY: &str = "format";
const FORMAT: &str = "selfnorm";

/// Each tensor's dims and values, in the module's visiting order.
type Tensors = Vec<(Vec<usize>, Vec<f32>)>;

/// Every float tensor of a module with its safetensors name, in visiting order.
#[derive(Default)]
struct Collect {
    path: Vec<String>,
    names: Vec<String>,
    dims: Vec<Vec<usize>>,
    flat: Vec<Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        self.names.push(tensor_name(&self.path));
        self.dims.push(tensor.dims().to_vec());
        self.flat.push(tensor.inner().flatten(0, D - 1));
    }
}

/// `hidden.3.linear.weight` → `hidden.3.kernel`: the Dense layer is the hidden layer itself,
/// and Keras's word for its matrix.
fn tensor_name(path: &[String]) -> String {
    path.iter()
        .filter(|part| *part != "linear")
        .map(|part| if part == "weight" { "kernel" } else { part })
        .collect::<Vec<_>>()
        .join(".")
}

/// The architecture a file records, read off the net itself.
fn architecture(model: &DenseNet) -> serde_json::Value {
    let first = model.hidden.first();
    let dims = |p: &Param<Tensor<2>>| p.val().dims();
    let dropout = first
        .and_then(|l| l.dropout.as_ref())
        .map(|d| (d, DropoutPlacement::EveryHidden))
        .or_else(|| {
            let d = model.head_dropout.as_ref()?;
            Some((d, DropoutPlacement::BeforeOutput))
        })
        .map(|(d, placement)| json!({ "kind": d.kind, "rate": d.rate, "placement": placement }));
    json!({
        "input_dim": first.map(|l| dims(&l.linear.weight)[0]),
        "classes": dims(&model.output.weight)[1],
        "depth": model.hidden.len(),
        "width": first.map(|l| dims(&l.linear.weight)[1]),
        "activation": first.map(|l| l.activation),
        "batch_norm": first.is_some_and(|l| l.norm.is_some()),
        "input_batch_norm": model.input_norm.is_some(),
        "dropout": dropout,
    })
}

/// Serializes every float tensor of `model` as safetensors (one device readback).
pub async fn to_bytes(model: &DenseNet) -> Result<Vec<u8>, TrainError> {
    let mut collect = Collect::default();
    model.visit(&mut collect);
    let tensors = read_tensors(model).await?;
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, values)| values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = collect
        .names
        .iter()
        .zip(&collect.dims)
        .zip(&bytes)
        .map(|((name, dims), data)| {
            let view = TensorView::new(Dtype::F32, dims.clone(), data)
                .map_err(|e| TrainError::Device(format!("tensor {name}: {e}")))?;
            Ok((name.as_str(), view))
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    let metadata = [
        (FORMAT_KEY.to_owned(), FORMAT.to_owned()),
        (MODEL_KEY.to_owned(), architecture(model).to_string()),
    ];
    safetensors::serialize(views, Some(metadata.into_iter().collect()))
        .map_err(|e| TrainError::Device(format!("writing safetensors: {e}")))
}

/// Replaces the weights of `model` (which fixes the expected names and shapes) with those in
/// `bytes`: safetensors, or the older `SNW1` layout.
pub fn from_bytes(model: DenseNet, bytes: &[u8]) -> Result<DenseNet, String> {
    let mut expected = Collect::default();
    model.visit(&mut expected);
    let tensors = if is_snw1(bytes) {
        snw1::parse(bytes, &expected.dims)?
    } else {
        read_safetensors(bytes, &model, &expected)?
    };
    Ok(load(model, tensors.into_iter()))
}

/// Whether `bytes` are in the older SNW1 layout (else they are read as safetensors).
pub fn is_snw1(bytes: &[u8]) -> bool {
    bytes.starts_with(snw1::MAGIC)
}

/// Checks the container of a weights file without a model to load it into (a run file's
/// weights, before they are stored): the layout, every tensor's dtype, shape and offsets.
pub fn check_container(bytes: &[u8]) -> Result<(), String> {
    if is_snw1(bytes) {
        return snw1::check(bytes);
    }
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| format!("are not a readable safetensors file ({e})"))?;
    match file.iter().find(|(_, view)| view.dtype() != Dtype::F32) {
        Some((name, view)) => Err(format!(
            "hold tensor \"{name}\" of dtype {:?}; selfnorm reads F32 only",
            view.dtype()
        )),
        None => Ok(()),
    }
}

/// The values of each tensor `expected` names, checked for dtype and shape.
fn read_safetensors(bytes: &[u8], model: &DenseNet, expected: &Collect) -> Result<Tensors, String> {
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| format!("not a safetensors weights file ({e})"))?;
    check_activation(bytes, model)?;
    let mut extra: Vec<&str> = file
        .names()
        .into_iter()
        .filter(|name| !expected.names.iter().any(|n| n == name))
        .collect();
    if !extra.is_empty() {
        // The header is a map: sorted, so that the message is the same every time.
        extra.sort_unstable();
        return Err(format!(
            "the weights hold {} tensors that this model lacks (\"{}\"{}): they come from a \
             different architecture",
            extra.len(),
            extra[..extra.len().min(3)].join("\", \""),
            if extra.len() > 3 { ", …" } else { "" }
        ));
    }
    expected
        .names
        .iter()
        .zip(&expected.dims)
        .map(|(name, want)| {
            let view = file.tensor(name).map_err(|_| {
                format!(
                    "the weights lack tensor \"{name}\": they come from a different architecture"
                )
            })?;
            if view.dtype() != Dtype::F32 {
                return Err(format!(
                    "tensor \"{name}\" is {:?}; selfnorm reads F32 only",
                    view.dtype()
                ));
            }
            if view.shape() != want.as_slice() {
                return Err(format!(
                    "tensor \"{name}\" has shape {:?} but this model expects {want:?}: different \
                     architecture",
                    view.shape()
                ));
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Ok((want.clone(), values))
        })
        .collect()
}

/// Same shapes do not make the same net: weights trained under another activation would load
/// and then compute something else.
fn check_activation(bytes: &[u8], model: &DenseNet) -> Result<(), String> {
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
    let recorded = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(MODEL_KEY))
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
    let Some(recorded) = recorded else {
        return Ok(());
    };
    let ours = architecture(model);
    match (&recorded["activation"], &ours["activation"]) {
        (theirs, mine) if theirs.is_string() && theirs != mine => Err(format!(
            "the weights were trained with activation {theirs} but this model uses {mine}"
        )),
        _ => Ok(()),
    }
}

/// Every float tensor of `model` (parameters and running averages) with its dims, in visiting
/// order, read in one transfer.
pub(crate) async fn read_tensors(model: &DenseNet) -> Result<Tensors, TrainError> {
    let mut collect = Collect::default();
    model.visit(&mut collect);
    let values = read_floats(Tensor::cat(collect.flat, 0)).await?;
    let mut rest = &values[..];
    Ok(collect
        .dims
        .into_iter()
        .map(|dims| {
            let (head, tail) = rest.split_at(dims.iter().product());
            rest = tail;
            (dims, head.to_vec())
        })
        .collect())
}

/// `model` with every float parameter replaced, in visiting order, by `tensors`' values (whose
/// dims must be the parameters').
pub(crate) fn load(
    model: DenseNet,
    tensors: impl Iterator<Item = (Vec<usize>, Vec<f32>)>,
) -> DenseNet {
    model.map(&mut Load(tensors))
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
