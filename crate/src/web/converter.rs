//! The dataset converter (`crate::data::convert`) for the page's archive worker: it names the
//! files the user gave, gunzips each (DecompressionStream), feeds the bytes here chunk by chunk,
//! and stores the shards, the statistics file and the manifest that come back.

use wasm_bindgen::prelude::*;

use crate::data::convert::{ConvertError, Converter, Stored, VALID_RECORDS};

/// A JS `Error` with the file at fault (`file`) and what to do (`hint`).
fn js_error(e: ConvertError) -> JsValue {
    let error = js_sys::Error::new(&e.error.to_string());
    // Setting properties on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"file".into(), &e.error.file.into());
    let _ = js_sys::Reflect::set(
        &error,
        &"hint".into(),
        &e.hint.map_or(JsValue::NULL, Into::into),
    );
    error.into()
}

/// `{file, sha256, bytes: Uint8Array}` for each file to store.
fn to_js(stored: Vec<Stored>) -> js_sys::Array {
    stored
        .into_iter()
        .map(|s| {
            let out = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&out, &"file".into(), &s.file.into());
            let _ = js_sys::Reflect::set(&out, &"sha256".into(), &s.sha256.into());
            let bytes = js_sys::Uint8Array::from(&s.bytes[..]);
            let _ = js_sys::Reflect::set(&out, &"bytes".into(), &bytes);
            JsValue::from(out)
        })
        .collect()
}

#[wasm_bindgen]
pub struct DatasetConverter {
    inner: Converter,
}

#[wasm_bindgen]
impl DatasetConverter {
    /// The conversion of the files named `names` (CIFAR-10's archive, or Fashion-MNIST's four
    /// files); throws when they are neither.
    #[wasm_bindgen(constructor)]
    pub fn new(names: Vec<String>) -> Result<DatasetConverter, JsValue> {
        let inner = Converter::for_files(&names, VALID_RECORDS).map_err(js_error)?;
        Ok(Self { inner })
    }

    /// The dataset's name (`cifar10`, `fashion-mnist`).
    pub fn dataset(&self) -> String {
        self.inner.dataset().into()
    }

    /// The files' names in the order they are to be fed.
    pub fn files(&self) -> Vec<String> {
        self.inner.files()
    }

    #[wasm_bindgen(js_name = beginFile)]
    pub fn begin_file(&mut self, name: &str) -> Result<(), JsValue> {
        self.inner.begin_file(name).map_err(js_error)
    }

    /// The current file's bytes as read (compressed), for its MD5.
    pub fn compressed(&mut self, chunk: &[u8]) {
        self.inner.compressed(chunk);
    }

    /// The current file's next decompressed bytes; the shards they complete.
    pub fn push(&mut self, chunk: &[u8]) -> Result<js_sys::Array, JsValue> {
        self.inner.push(chunk).map(to_js).map_err(js_error)
    }

    /// Ends the current file; a notice (text) when it is not the official copy, else null.
    #[wasm_bindgen(js_name = endFile)]
    pub fn end_file(&mut self) -> Result<Option<String>, JsValue> {
        self.inner.end_file().map_err(js_error)
    }

    /// `{stats: {file, sha256, bytes}, manifest: string}`: the statistics file, then the
    /// manifest, stored last (a dataset with a manifest is a complete one).
    pub fn finish(self) -> Result<js_sys::Object, JsValue> {
        let (stats, manifest) = self.inner.finish(None).map_err(js_error)?;
        let out = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&out, &"stats".into(), &to_js(vec![stats]).get(0));
        let _ = js_sys::Reflect::set(&out, &"manifest".into(), &manifest.to_json().into());
        Ok(out)
    }
}
