//! Core errors to Python exceptions, variant by variant. The exception classes live in the pure-Python
//! module `scalecore.errors`, so there is one hierarchy, importable and picklable without the extension.

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use scalecore_core::CoreError;

pyo3::import_exception!(scalecore.errors, InvalidInputError);
pyo3::import_exception!(scalecore.errors, ConvergenceError);

pub fn to_py(err: CoreError) -> PyErr {
    match err {
        CoreError::InvalidInput { .. } => InvalidInputError::new_err(err.to_string()),
        CoreError::Convergence(_) => ConvergenceError::new_err(err.to_string()),
        CoreError::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
    }
}

pub fn invalid(name: &str, reason: impl Into<String>) -> PyErr {
    to_py(CoreError::invalid(name, reason))
}
