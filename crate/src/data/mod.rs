//! Datasets: the shard + manifest format, loading and checking it, preprocessing, and the
//! synthetic set. Preparing official archives is native-only.

pub mod batches;
pub mod convert;
pub mod dataset;
pub mod error;
pub mod manifest;
#[cfg(not(target_family = "wasm"))]
pub mod prepare;
pub mod preprocess;
pub mod split;
pub mod synthetic;
#[cfg(not(target_family = "wasm"))]
pub mod writer;

pub use dataset::Dataset;
pub use error::DataError;
pub use manifest::{Manifest, SplitKind};
pub use preprocess::{FeatureStats, Normalizer, Preprocessing};
pub use split::Split;
pub use synthetic::SyntheticSpec;
#[cfg(all(test, not(target_family = "wasm")))]
mod tests;
