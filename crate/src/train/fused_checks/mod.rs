//! The fused step ([`crate::fused`]) against the generic one ([`super::Trainer`], the
//! reference) on the same batches from the same weights ([`agreement`]), or with the dropout
//! masks fixed ([`dropout_cases`]). Cases, not tests: the native tests (`crate::fused`'s) and the
//! browser's (`crate/tests/wasm.rs`) run them on their own adapters. They live above both steps,
//! so that `fused` does not import `train`.

pub mod agreement;
pub mod dropout_cases;
