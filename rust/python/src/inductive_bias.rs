//! Bindings of the core's `inductive_bias` module: argument conversion, GIL release and error mapping only.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use scalecore_core::inductive_bias as core;

use crate::convert::FloatArray;
use crate::errors::to_py;
use crate::run::{detached, run};

type Array<'py> = Bound<'py, PyArray1<f64>>;

/// log P(scale X <= x), X non-central chi-squared(k, lam), element-wise over equal-length 1-D arrays.
#[pyfunction]
pub fn ncx2_logcdf<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    k: &Bound<'py, PyAny>,
    lam: &Bound<'py, PyAny>,
    scale: &Bound<'py, PyAny>,
) -> PyResult<Array<'py>> {
    let (x, k) = (FloatArray::extract("x", x)?, FloatArray::extract("k", k)?);
    let (lam, scale) = (FloatArray::extract("lam", lam)?, FloatArray::extract("scale", scale)?);
    let (xs, ks, ls, ss) = (x.as_slice(), k.as_slice(), lam.as_slice(), scale.as_slice());
    // Through `run`, not `detached`: one element with a large lam can take seconds, and Ctrl-C must stop it.
    let out = run(py, None, None, |control| core::ncx2_log_cdf_many(xs, ks, ls, ss, control))?;
    Ok(out.into_pyarray(py))
}

/// Maximum-likelihood fit of a scaled non-central chi-squared: (k, lam, scale, mean log-likelihood,
/// converged, iterations).
#[pyfunction]
pub fn ncx2_fit(py: Python<'_>, errors: &Bound<'_, PyAny>) -> PyResult<(f64, f64, f64, f64, bool, usize)> {
    let errors = FloatArray::extract("errors", errors)?;
    let e = errors.as_slice();
    let f = detached(py, || core::fit_ncx2(e, None))?.map_err(to_py)?;
    Ok((f.k, f.lam, f.scale, f.log_likelihood, f.converged, f.iterations))
}

/// Inductive bias at `eps`: (fit tuple as `ncx2_fit`, log P(error <= eps), bootstrap bits, failed refits,
/// interval (low, high) or None).
#[pyfunction]
#[pyo3(signature = (errors, eps, *, n_resamples=200, seed=0, level=0.95, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn inductive_bias<'py>(
    py: Python<'py>,
    errors: &Bound<'py, PyAny>,
    eps: f64,
    n_resamples: usize,
    seed: u64,
    level: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<((f64, f64, f64, f64, bool, usize), f64, Array<'py>, usize, Option<(f64, f64)>)> {
    let errors = FloatArray::extract("errors", errors)?;
    let e = errors.as_slice();
    let r = run(py, n_threads, progress.as_ref(), |control| {
        core::inductive_bias(e, eps, n_resamples, seed, level, control)
    })?;
    let f = r.fit;
    Ok((
        (f.k, f.lam, f.scale, f.log_likelihood, f.converged, f.iterations),
        r.log_p,
        r.bits_distribution.into_pyarray(py),
        r.n_failed,
        r.interval.map(|iv| (iv.low, iv.high)),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ncx2_logcdf, m)?)?;
    m.add_function(wrap_pyfunction!(ncx2_fit, m)?)?;
    m.add_function(wrap_pyfunction!(inductive_bias, m)?)?;
    Ok(())
}
