//! Wall-clock seconds on every target (`std::time::Instant` panics on wasm32-unknown-unknown).

#[cfg(not(target_family = "wasm"))]
pub fn now_seconds() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// `performance.now()` of the current global (window or worker): sub-millisecond, unlike
/// `Date.now()`.
#[cfg(target_family = "wasm")]
pub fn now_seconds() -> f64 {
    use wasm_bindgen::JsCast;
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok());
    match performance {
        Some(p) => p.now() / 1000.0,
        None => js_sys::Date::now() / 1000.0,
    }
}
