//! The wasm-bindgen API that the training Web Worker drives (`www/worker.js`). A thin layer:
//! configs come in and results go out as plain JS objects (serde), every GPU readback is async,
//! and the worker calls one async method at a time.

mod converter;
mod formats;
mod job;
mod session;

pub use converter::DatasetConverter;
pub use formats::{check_settings, epochs_csv, probes_csv, read_run_file};
pub use session::{Session, create_session, lessons, variants};

use wasm_bindgen::prelude::*;

unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Runs the static constructors (`inventory`, pulled in by cubecl) once, by hand. Without this,
/// wasm-ld treats the cdylib as a "command" and wraps *every* export in a constructor call,
/// which made each training step ~50× slower (measured in a prototype: ~1.7 s per step).
fn run_constructors_once() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    // SAFETY: the linker-generated constructor runner; `Once` makes sure it runs one time.
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

thread_local! {
    static WEBGPU: std::cell::RefCell<Option<burn::tensor::Device>> = const { std::cell::RefCell::new(None) };
}

/// Burn's WebGPU device, initialized asynchronously (the only way on wasm) on first use; later
/// calls get the same device, since Burn cannot register a runtime twice.
pub async fn webgpu_device() -> Result<burn::tensor::Device, String> {
    if let Some(device) = WEBGPU.with_borrow(Clone::clone) {
        return Ok(device);
    }
    // wasm-bindgen-test binaries never run the start function.
    run_constructors_once();
    let device = burn::tensor::Device::wgpu_options()
        .graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| format!("WebGPU could not start ({e:?}); use the CPU backend"))?;
    WEBGPU.set(Some(device.clone()));
    Ok(device)
}

#[wasm_bindgen(start)]
pub fn start() {
    run_constructors_once();
    console_error_panic_hook::set_once();
}
