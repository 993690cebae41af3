//! The wasm-bindgen API that the training Web Worker drives (`www/worker.js`). A thin layer:
//! configs come in and results go out as plain JS objects (serde), every GPU readback is async,
//! and the worker calls one async method at a time.

mod session;

pub use session::{Session, create_session, variants};

use wasm_bindgen::prelude::*;

unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Runs the static constructors (`inventory`, pulled in by cubecl) once, by hand. Without this,
/// wasm-ld treats the cdylib as a "command" and wraps *every* export in a constructor call,
/// which made each training step ~50× slower in the prototype (BURN-WASM-NOTES.md).
pub(crate) fn run_constructors_once() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    // SAFETY: the linker-generated constructor runner; `Once` makes sure it runs one time.
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

#[wasm_bindgen(start)]
pub fn start() {
    run_constructors_once();
    console_error_panic_hook::set_once();
}
