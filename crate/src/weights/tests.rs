//! Native only: the tests block on futures with `pollster`.

use burn::tensor::Device;
use pollster::block_on;

use super::*;
use crate::model::{Activation, Mode, ModelConfig};

/// Written by the Python `safetensors` package (0.8.0, numpy 2.4) with:
///
/// ```python
/// shapes = {}
/// for i in range(2):
///     fan_in = 4 if i == 0 else 3
///     shapes[f"hidden.{i}.kernel"] = (fan_in, 3)
///     shapes[f"hidden.{i}.bias"] = (3,)
///     for p in ["gamma", "beta", "running_mean", "running_var"]:
///         shapes[f"hidden.{i}.norm.{p}"] = (3,)
/// shapes["output.kernel"] = (3, 2)
/// shapes["output.bias"] = (2,)
/// tensors = {
///     name: ((np.arange(np.prod(shape)) + 10 * k) / 100).astype("<f4").reshape(shape)
///     for k, (name, shape) in enumerate(shapes.items())
/// }
/// model = {"input_dim": 4, "classes": 2, "depth": 2, "width": 3, "activation": "selu",
///          "batch_norm": True, "input_batch_norm": False, "dropout": None}
/// save_file(tensors, "python-dense-2x3.safetensors",
///           metadata={"format": "selfnorm", "selfnorm.model": json.dumps(model)})
/// ```
const PYTHON_FILE: &[u8] = include_bytes!("../../tests/fixtures/python-dense-2x3.safetensors");

fn python_config() -> ModelConfig {
    ModelConfig {
        input_dim: 4,
        classes: 2,
        depth: 2,
        width: 3,
        activation: Activation::Selu,
        batch_norm: true,
        ..ModelConfig::default()
    }
}

fn small_config() -> ModelConfig {
    ModelConfig {
        depth: 3,
        width: 16,
        input_dim: 12,
        batch_norm: true,
        ..ModelConfig::default()
    }
}

/// Each parameter's name, shape and values.
fn parameters(model: &DenseNet) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut collect = Collect::default();
    model.visit(&mut collect);
    let values = collect
        .flat
        .into_iter()
        .map(|t| block_on(read_floats(t)).unwrap());
    collect
        .names
        .into_iter()
        .zip(collect.dims)
        .zip(values)
        .map(|((name, dims), values)| (name, dims, values))
        .collect()
}

#[test]
fn reads_a_file_written_by_python_safetensors() {
    let device = Device::flex();
    let blank = DenseNet::new(&python_config(), 0, &device).unwrap();
    let model = from_bytes(blank, PYTHON_FILE).unwrap();
    let params = parameters(&model);
    let names: Vec<&str> = params.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut python_order = Vec::new();
    for i in 0..2 {
        for p in [
            "kernel",
            "bias",
            "norm.gamma",
            "norm.beta",
            "norm.running_mean",
            "norm.running_var",
        ] {
            python_order.push(format!("hidden.{i}.{p}"));
        }
    }
    python_order.extend(["output.kernel".into(), "output.bias".into()]);
    assert_eq!(names, python_order);
    for (k, (name, dims, values)) in params.iter().enumerate() {
        let want: Vec<f32> = (0..dims.iter().product::<usize>())
            .map(|j| ((j + 10 * k) as f64 / 100.0) as f32)
            .collect();
        assert_eq!(values, &want, "{name}");
    }
    assert_eq!(params[0].1, vec![4, 3], "kernels are [inputs, units]");
}

/// Reads the header the way the format's specification states it, without the library.
#[test]
fn written_files_follow_the_safetensors_header_rules() {
    let device = Device::flex();
    let model = DenseNet::new(&small_config(), 3, &device).unwrap();
    let bytes = block_on(to_bytes(&model)).unwrap();

    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!((8 + n) % 8, 0, "the data starts 8-byte aligned");
    let header_text = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    let json_end = header_text.rfind('}').unwrap() + 1;
    assert!(header_text.starts_with('{'));
    assert!(
        header_text[json_end..].bytes().all(|b| b == b' '),
        "padded with spaces"
    );
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&header_text[..json_end]).unwrap();
    let meta = header["__metadata__"].as_object().unwrap();
    assert_eq!(meta["format"], "selfnorm");
    let arch: serde_json::Value = serde_json::from_str(meta[MODEL_KEY].as_str().unwrap()).unwrap();
    assert_eq!(arch["depth"], 3);
    assert_eq!(arch["width"], 16);
    assert_eq!(arch["input_dim"], 12);
    assert_eq!(arch["activation"], "elu");
    assert_eq!(arch["batch_norm"], true);

    let data = &bytes[8 + n..];
    let params = parameters(&model);
    let mut spans = Vec::new();
    for (name, dims, values) in &params {
        let entry = &header[name];
        assert_eq!(entry["dtype"], "F32", "{name}");
        assert_eq!(entry["shape"], serde_json::json!(dims), "{name}");
        let offsets = entry["data_offsets"].as_array().unwrap();
        let (start, end) = (
            offsets[0].as_u64().unwrap() as usize,
            offsets[1].as_u64().unwrap() as usize,
        );
        assert_eq!(end - start, 4 * values.len(), "{name}");
        let stored: Vec<f32> = data[start..end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(&stored, values, "{name}: little-endian values");
        spans.push((start, end));
    }
    assert_eq!(header.len(), params.len() + 1, "one entry per tensor");
    spans.sort();
    assert_eq!(spans[0].0, 0, "the data starts at offset 0");
    assert!(
        spans.windows(2).all(|w| w[0].1 == w[1].0),
        "contiguous, no holes"
    );
    assert_eq!(
        spans.last().unwrap().1,
        data.len(),
        "the data fills the file"
    );
}

#[test]
fn round_trip_restores_outputs_and_mismatches_are_rejected() {
    let device = Device::flex();
    let config = small_config();
    let a = DenseNet::new(&config, 1, &device).unwrap();
    let bytes = block_on(to_bytes(&a)).unwrap();
    let b = from_bytes(DenseNet::new(&config, 2, &device).unwrap(), &bytes).unwrap();
    let x = Tensor::<2>::ones([2, 12], &device);
    assert_eq!(
        a.forward(x.clone(), Mode::Eval).into_data(),
        b.forward(x, Mode::Eval).into_data()
    );

    let reject = |config: &ModelConfig, bytes: &[u8]| {
        from_bytes(DenseNet::new(config, 0, &device).unwrap(), bytes)
            .err()
            .unwrap()
    };
    let err = reject(
        &ModelConfig {
            width: 8,
            ..config.clone()
        },
        &bytes,
    );
    assert!(err.contains("different architecture"), "{err}");
    let err = reject(
        &ModelConfig {
            depth: 2,
            ..config.clone()
        },
        &bytes,
    );
    assert!(
        err.contains("6 tensors that this model lacks (\"hidden.2.bias\", \"hidden.2.kernel\""),
        "{err}"
    );
    let err = reject(
        &ModelConfig {
            depth: 4,
            ..config.clone()
        },
        &bytes,
    );
    assert!(err.contains("lack tensor \"hidden.3.kernel\""), "{err}");
    let selu = ModelConfig {
        activation: Activation::Selu,
        ..config.clone()
    };
    let err = reject(&selu, &bytes);
    assert!(err.contains("activation \"elu\""), "{err}");
    let err = reject(&config, &bytes[..100]);
    assert!(err.contains("not a safetensors weights file"), "{err}");
    let mut huge = bytes.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let err = reject(&config, &huge);
    assert!(err.contains("not a safetensors weights file"), "{err}");
}

/// The older layout, written the way selfnorm wrote it.
fn snw1(params: &[(String, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
    let mut out = snw1::MAGIC.to_vec();
    out.extend((params.len() as u32).to_le_bytes());
    for (_, dims, values) in params {
        out.extend((dims.len() as u32).to_le_bytes());
        dims.iter()
            .for_each(|&d| out.extend((d as u32).to_le_bytes()));
        values.iter().for_each(|v| out.extend(v.to_le_bytes()));
    }
    out
}

#[test]
fn old_snw1_files_still_load_and_bad_ones_are_rejected() {
    let device = Device::flex();
    let config = small_config();
    let a = DenseNet::new(&config, 1, &device).unwrap();
    let params = parameters(&a);
    let bytes = snw1(&params);
    let b = from_bytes(DenseNet::new(&config, 2, &device).unwrap(), &bytes).unwrap();
    assert_eq!(parameters(&b), params);

    let reject = |bytes: &[u8]| {
        from_bytes(DenseNet::new(&config, 0, &device).unwrap(), bytes)
            .err()
            .unwrap()
    };
    assert!(reject(&bytes[..100]).contains("truncated"));
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(reject(&extra).contains("1 unexpected bytes"));
    // Huge dims: rejected against the model's shapes before anything is sized or allocated.
    let mut huge = params.clone();
    huge[0].1 = vec![u32::MAX as usize, u32::MAX as usize];
    let err = reject(&snw1(&huge)[..64]);
    assert!(err.contains("different architecture"), "{err}");
    let mut count = bytes.clone();
    count[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = reject(&count);
    assert!(err.contains("4294967295 tensors"), "{err}");
}
