//! Conversions shared by every binding: NumPy arrays to slices the core can read.
//!
//! Arrays reach the bindings from many places (the public API, Dask or Ray workers that deserialised
//! a shipped spec, users' own calls) and may be non-contiguous, unaligned, read-only or big-endian.
//! `FloatArray` takes any array NumPy can read as float64 and lends a slice: `numpy.require` copies
//! only when the buffer is not already C-contiguous, aligned, native-endian float64, so no path refuses
//! an array the Python layer accepts, and the common case stays zero-copy.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::invalid;

fn required<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    obj.py()
        .import("numpy")?
        .call_method1("require", (obj, "float64", "CA"))
        .map_err(|e| invalid(name, format!("cannot be read as a float64 array: {e}")))
}

/// A 1-D float64 argument, borrowed from NumPy (copied first only when NumPy's layout is unusable).
pub struct FloatArray<'py>(PyReadonlyArray1<'py, f64>);

impl<'py> FloatArray<'py> {
    /// Read argument `name` (named in the error) as a 1-D float64 array.
    pub fn extract(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let arr = required(name, obj)?;
        let ndim = arr.getattr("ndim")?.extract::<usize>()?;
        if ndim != 1 {
            return Err(invalid(name, format!("must be a 1-D array, got {ndim} dimensions")));
        }
        let arr: PyReadonlyArray1<'py, f64> =
            arr.extract().map_err(|_| invalid(name, "must be a 1-D float64 array"))?;
        // Checked here once, so that `as_slice` below cannot fail.
        arr.as_slice().map_err(|_| invalid(name, "must be a contiguous float64 array"))?;
        Ok(FloatArray(arr))
    }

    pub fn as_slice(&self) -> &[f64] {
        self.0.as_slice().expect("contiguity checked in extract")
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// A 2-D float64 argument in row-major order (rows, columns, data).
pub struct FloatMatrix<'py>(PyReadonlyArray2<'py, f64>);

impl<'py> FloatMatrix<'py> {
    pub fn extract(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let arr = required(name, obj)?;
        let ndim = arr.getattr("ndim")?.extract::<usize>()?;
        if ndim != 2 {
            return Err(invalid(name, format!("must be a 2-D array, got {ndim} dimensions")));
        }
        let arr: PyReadonlyArray2<'py, f64> =
            arr.extract().map_err(|_| invalid(name, "must be a 2-D float64 array"))?;
        // Checked here once, so that `as_slice` below cannot fail.
        arr.as_slice().map_err(|_| invalid(name, "must be a C-contiguous float64 array"))?;
        Ok(FloatMatrix(arr))
    }

    pub fn shape(&self) -> (usize, usize) {
        let s = self.0.shape();
        (s[0], s[1])
    }

    pub fn as_slice(&self) -> &[f64] {
        self.0.as_slice().expect("contiguity checked in extract")
    }
}

/// A 1-D float argument copied out (a typed result rebuilt from its pickled columns), checked to have
/// `n` values when given.
pub fn column(name: &str, obj: &Bound<'_, PyAny>, n: Option<usize>) -> PyResult<Vec<f64>> {
    let v = FloatArray::extract(name, obj)?.as_slice().to_vec();
    match n {
        Some(n) if v.len() != n => Err(invalid(name, format!("has {} values, expected {n}", v.len()))),
        _ => Ok(v),
    }
}

/// Intervals, one (low, high) pair per entry, as an (entries, 2) array.
pub fn pairs<'py>(py: Python<'py>, v: &[(f64, f64)]) -> Bound<'py, PyArray2<f64>> {
    Array2::from_shape_fn((v.len(), 2), |(i, j)| if j == 0 { v[i].0 } else { v[i].1 }).into_pyarray(py)
}

/// A scalar argument as f64 (a Python or NumPy int or float), or an invalid-input error naming `name`
/// and the value: strings, bytes, complex numbers and None are refused rather than parsed or cast.
pub fn number(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    let refuse = || {
        let shown = obj.repr().map(|r| r.to_string()).unwrap_or_else(|_| "?".into());
        let shown: String = shown.chars().take(60).collect();
        invalid(name, format!("must be a number, got {shown}"))
    };
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(refuse());
    }
    obj.extract::<f64>().map_err(|_| refuse())
}
