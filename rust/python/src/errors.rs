//! Core errors to Python exceptions, variant by variant. The exception classes live in the pure-Python
//! module `scalecore.errors`, so there is one hierarchy, importable and picklable without the extension.

use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyType;
use scalecore_core::CoreError;

fn package_error(py: Python<'_>, class: &str, message: String) -> PyErr {
    let class = py
        .import("scalecore.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(class) => PyErr::from_type(class, message),
        Err(e) => PyRuntimeError::new_err(format!("{message} (and scalecore.errors could not be imported: {e})")),
    }
}

pub fn to_py(err: CoreError) -> PyErr {
    Python::attach(|py| match err {
        CoreError::InvalidInput { .. } => package_error(py, "InvalidInputError", err.to_string()),
        CoreError::Convergence(_) => package_error(py, "ConvergenceError", err.to_string()),
        CoreError::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
    })
}

pub fn invalid(name: &str, reason: impl Into<String>) -> PyErr {
    to_py(CoreError::invalid(name, reason))
}
