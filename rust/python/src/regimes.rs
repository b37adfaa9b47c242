//! Bindings of the core's `regimes` module: argument conversion, GIL release and error mapping only.

use pyo3::prelude::*;
use scalecore_core::regimes as core;

use crate::convert::FloatMatrix;
use crate::errors::invalid;
use crate::run::run;

/// Intrinsic dimension of the rows of `points` by "twonn" (Facco et al. 2017) or "mle" (Levina & Bickel
/// 2004, k neighbours): (d, number of points used).
#[pyfunction]
#[pyo3(signature = (points, method="twonn", k=10, *, n_threads=None, progress=None))]
pub fn intrinsic_dimension<'py>(
    py: Python<'py>,
    points: &Bound<'py, PyAny>,
    method: &str,
    k: usize,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(f64, usize)> {
    let points = FloatMatrix::extract("points", points)?;
    let (n, dim) = points.shape();
    let p = points.as_slice();
    let twonn = match method {
        "twonn" => true,
        "mle" => false,
        _ => return Err(invalid("method", format!("must be one of ['twonn', 'mle'], got {method:?}"))),
    };
    let d = run(py, n_threads, progress.as_ref(), |control| {
        if twonn {
            core::twonn(p, n, dim, control)
        } else {
            core::levina_bickel(p, n, dim, k, control)
        }
    })?;
    Ok((d.d, d.n_used))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(intrinsic_dimension, m)?)?;
    Ok(())
}
