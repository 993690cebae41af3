//! What the page asks of the crate's rules and formats outside any session: whether settings
//! (from a shared link) make a run the way the CLI would accept them, a history as CSV, and a
//! run file read and checked. Plain
//! functions of their arguments, so the worker answers them at once, even while a job runs.

use wasm_bindgen::prelude::*;

use super::session::{RunConfig, from_js, to_js};
use crate::run_file;
use crate::train::csv;
use crate::train::{EpochRecord, Probe};

/// Checks `run` (`{model, train, preprocessing}`) made from variant `variant`, as the CLI would
/// before training: the variant must exist, every field must have its type and range. Throws an
/// Error with the message a user acts on; answers nothing when the settings are valid.
#[wasm_bindgen(js_name = checkSettings)]
pub fn check_settings(variant: &str, run: JsValue) -> Result<(), JsError> {
    crate::variants::variant(variant)?;
    let run: RunConfig = from_js(run, "run configuration")?;
    run.model.validate()?;
    run.train.validate()?;
    Ok(())
}

/// A run's epochs (`history.epochs`) as CSV text (`crate::train::csv`).
#[wasm_bindgen(js_name = epochsCsv)]
pub fn epochs_csv(epochs: JsValue) -> Result<String, JsError> {
    let epochs: Vec<EpochRecord> = from_js(epochs, "epochs")?;
    Ok(csv::epochs_csv(&epochs))
}

/// A run's probes (`history.probes`, histograms left out) as CSV text (`crate::train::csv`).
#[wasm_bindgen(js_name = probesCsv)]
pub fn probes_csv(probes: JsValue) -> Result<String, JsError> {
    let probes: Vec<Probe> = from_js(probes, "probes")?;
    Ok(csv::probes_csv(&probes))
}

/// Reads the run file `bytes` (`crate::run_file`), whose run and weights come from `parsed`,
/// the page's JSON.parse of the same text (undefined when it is no JSON): `{run, weights}`
/// (weights: their bytes, or null), the run's fields checked and nothing else of the file kept.
/// Throws an Error that names the file (`fileName`) and the field when the file is refused.
#[wasm_bindgen(js_name = readRunFile)]
pub fn read_run_file(
    bytes: &[u8],
    parsed: JsValue,
    file_name: &str,
) -> Result<js_sys::Object, JsError> {
    let parse = || {
        let reader = serde_wasm_bindgen::Deserializer::from(parsed);
        serde_path_to_error::deserialize(reader).map_err(|e| {
            // serde_json fails at the same field and words it as the CLI does (serde_wasm_bindgen
            // prints the JS value's internals).
            run_file::parse_json(bytes)
                .err()
                .unwrap_or_else(|| (e.path().to_string(), e.into_inner().to_string()))
        })
    };
    let imported =
        run_file::read_with(bytes, file_name, parse).map_err(|e| JsError::new(&e.to_string()))?;
    let answer = js_sys::Object::new();
    let weights = match imported.weights {
        Some(bytes) => js_sys::Uint8Array::from(&bytes[..]).into(),
        None => JsValue::NULL,
    };
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&answer, &"run".into(), &to_js(&imported.run)?);
    let _ = js_sys::Reflect::set(&answer, &"weights".into(), &weights);
    Ok(answer)
}
