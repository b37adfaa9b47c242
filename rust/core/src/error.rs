//! One error type for the whole core; each variant maps to its own Python exception.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    /// An argument is unusable; `name` is the argument as the user spelled it.
    #[error("{name}: {reason}")]
    InvalidInput { name: String, reason: String },
    /// A numerical procedure failed to converge and the caller asked for strictness.
    #[error("{0}")]
    Convergence(String),
    /// The caller asked to stop (Ctrl-C or a cancelled progress callback).
    #[error("interrupted")]
    Interrupted,
}

impl CoreError {
    pub fn invalid(name: impl Into<String>, reason: impl Into<String>) -> Self {
        CoreError::InvalidInput { name: name.into(), reason: reason.into() }
    }
}

pub type Result<T> = std::result::Result<T, CoreError>;
