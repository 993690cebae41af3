//! The chapter-11 dense net family and the layers Burn lacks (alpha dropout, explicit modes).

pub mod activation;
pub mod activation_check;
pub mod config;
pub mod dropout;
pub mod init;
pub mod loss;
pub mod mode;
pub mod net;
pub mod norm;

pub use activation::Activation;
pub use config::{DropoutConfig, DropoutPlacement, ModelConfig};
pub use dropout::{Dropout, DropoutKind};
pub use init::KernelInit;
pub use mode::Mode;
pub use net::{DenseNet, LayerTrace};
pub use norm::{KERAS_BN_EPSILON, KERAS_BN_MOMENTUM};
