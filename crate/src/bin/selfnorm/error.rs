//! What can go wrong in a command, each with the message a user acts on.

use std::path::{Path, PathBuf};

use selfnorm::data::DataError;
use selfnorm::error::{ConfigError, TrainError};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}: {problem}", path.display())]
    File { path: PathBuf, problem: String },
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    pub fn file(path: &Path, problem: impl std::fmt::Display) -> Self {
        CliError::File {
            path: path.to_path_buf(),
            problem: problem.to_string(),
        }
    }
}
