//! Users' vectorised Python callables, called from core searches that run off the GIL: a cost
//! function cost(N, D) or a bound's reducible part U(p, T). The core calls them once per search step
//! with every point of that step, so the GIL is taken once per step, not once per point.

use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use scalecore_core::CoreError;

/// `f(x, y)` on the paired points, its result read as float64 and broadcast to their length, into
/// `out`. An exception (or a result of the wrong shape) becomes an invalid-input error naming `name`
/// and the exception, so that the search stops and the user sees which callable failed.
pub fn call_paired(name: &str, f: &Py<PyAny>, x: &[f64], y: &[f64], out: &mut [f64]) -> Result<(), CoreError> {
    Python::attach(|py| {
        let result = (|| -> PyResult<()> {
            let value = f.bind(py).call1((PyArray1::from_slice(py, x), PyArray1::from_slice(py, y)))?;
            let np = py.import("numpy")?;
            let arr = np.call_method1("asarray", (value, "float64"))?;
            let arr = np.call_method1("broadcast_to", (arr, (x.len(),)))?;
            let arr = np.call_method1("ascontiguousarray", (arr,))?;
            let arr = arr.cast_into::<PyArray1<f64>>()?;
            debug_assert_eq!(arr.len(), out.len());
            out.copy_from_slice(arr.readonly().as_slice()?);
            Ok(())
        })();
        result.map_err(|e| {
            let kind = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "an exception".into());
            CoreError::invalid(name, format!("raised {kind}: {}", e.value(py)))
        })
    })
}
