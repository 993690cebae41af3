//! Which compute backend runs a model: chosen at run time, since Burn 0.22 picks it through `Device`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// Burn's pure-Rust CPU backend (flex): the native default, and the browser's fallback.
    Cpu,
    /// Burn's wgpu backend: Vulkan/Metal/DX12 natively, WebGPU in the browser.
    Wgpu,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Wgpu => "wgpu",
        }
    }

    /// The device, initialized (natively; the browser initializes WebGPU asynchronously).
    #[cfg(not(target_family = "wasm"))]
    pub fn device(self) -> Result<burn::tensor::Device, String> {
        match self {
            BackendKind::Cpu => Ok(burn::tensor::Device::flex()),
            BackendKind::Wgpu => burn::tensor::Device::wgpu_options()
                .init()
                .map_err(|e| format!("no usable wgpu adapter ({e:?}); use --backend cpu")),
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpu" | "flex" => Ok(BackendKind::Cpu),
            "wgpu" | "gpu" | "webgpu" => Ok(BackendKind::Wgpu),
            _ => Err(format!("unknown backend '{s}' (expected cpu or wgpu)")),
        }
    }
}
