use thiserror::Error;

/// A dataset file that cannot be used, named, with what is wrong and what to do.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{file}: {problem}")]
pub struct DataError {
    pub file: String,
    pub problem: String,
}

/// What to tell the user whenever prepared files are damaged.
pub const REPREPARE: &str = "delete the dataset folder and run scripts/prepare-data again";

impl DataError {
    pub fn new(file: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            problem: problem.into(),
        }
    }
}
