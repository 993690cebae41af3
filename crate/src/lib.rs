//! selfnorm: the dense nets of chapter 11 of Géron's *Hands-On Machine Learning* (exercise 8),
//! trained on CIFAR-10 with Burn, natively or in the browser on WebGPU, with the per-layer
//! statistics that show why they train or fail to.
//!
//! One code path for every backend: Burn 0.22 picks it at run time through `Device`, and every
//! host readback is async ([`readback`]), as wasm requires.

pub mod backend;
pub mod bench;
pub mod choices;
pub mod clock;
pub mod data;
pub mod error;
pub mod eval;
pub mod exercise;
pub mod fused;
pub mod lessons;
pub mod model;
pub mod null_as_nan;
pub mod optim;
pub mod preview;
pub mod readback;
pub mod rng;
pub mod run_file;
pub mod run_length;
pub mod sparsity;
pub mod stats;
pub mod train;
pub mod variants;
pub mod weights;

pub use error::{ConfigError, TrainError};
#[cfg(target_family = "wasm")]
pub mod web;
