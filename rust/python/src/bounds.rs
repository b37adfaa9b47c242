//! Bindings of the core's `bounds` module: bound evaluation on (p, T) points, compute-optimal allocation
//! over budgets, the rate-distortion framework and the linear-regression oracle.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::bounds::{rate_distortion, regression, BoundSpec};

use crate::errors::{invalid, to_py};
use crate::run::run;

type Array<'py> = Bound<'py, PyArray1<f64>>;

fn slice<'a>(name: &str, a: &'a PyReadonlyArray1<'_, f64>) -> PyResult<&'a [f64]> {
    a.as_slice().map_err(|_| invalid(name, "must be a contiguous float64 array"))
}

/// U(p_i, T_i) of the bound `kind` with constants `params` at paired (already broadcast) points; with
/// `with_terms`, the tuple (value, misspecification, estimation).
#[pyfunction]
#[pyo3(signature = (kind, params, p, t, *, with_terms=false, n_threads=None))]
pub fn bound_evaluate<'py>(
    py: Python<'py>,
    kind: &str,
    params: Vec<f64>,
    p: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    with_terms: bool,
    n_threads: Option<usize>,
) -> PyResult<(Array<'py>, Option<Array<'py>>, Option<Array<'py>>)> {
    let spec = BoundSpec::new(kind, &params).map_err(to_py)?;
    let (p, t) = (slice("p", &p)?, slice("T", &t)?);
    let (value, terms) = run(py, n_threads, None, |control| {
        let mut value = vec![0.0; p.len()];
        if with_terms {
            let (mut m, mut e) = (vec![0.0; p.len()], vec![0.0; p.len()]);
            spec.evaluate(p, t, &mut value, Some((&mut m, &mut e)), control)?;
            Ok((value, Some((m, e))))
        } else {
            spec.evaluate(p, t, &mut value, None, control)?;
            Ok((value, None))
        }
    })?;
    let (m, e) = match terms {
        Some((m, e)) => (Some(m.into_pyarray(py)), Some(e.into_pyarray(py))),
        None => (None, None),
    };
    Ok((value.into_pyarray(py), m, e))
}

/// U on the grid p x T, flattened row-major (row i: p[i] against every T).
#[pyfunction]
#[pyo3(signature = (kind, params, p, t, *, n_threads=None))]
pub fn bound_evaluate_grid<'py>(
    py: Python<'py>,
    kind: &str,
    params: Vec<f64>,
    p: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    n_threads: Option<usize>,
) -> PyResult<Array<'py>> {
    let spec = BoundSpec::new(kind, &params).map_err(to_py)?;
    let (p, t) = (slice("p", &p)?, slice("T", &t)?);
    let size = p.len().checked_mul(t.len()).ok_or_else(|| invalid("T", "the (p, T) grid is too large"))?;
    let value = run(py, n_threads, None, |control| {
        let mut value = vec![0.0; size];
        spec.evaluate_grid(p, t, &mut value, control)?;
        Ok(value)
    })?;
    Ok(value.into_pyarray(py))
}

/// Compute-optimal allocation under p T = C for each budget: a dict of arrays p, T, value,
/// misspecification, estimation, local_exponent.
#[pyfunction]
#[pyo3(signature = (kind, params, compute, *, numerical=false, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn bound_allocate<'py>(
    py: Python<'py>,
    kind: &str,
    params: Vec<f64>,
    compute: PyReadonlyArray1<'py, f64>,
    numerical: bool,
    n_threads: Option<usize>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = BoundSpec::new(kind, &params).map_err(to_py)?;
    let compute = slice("compute", &compute)?;
    let x = run(py, n_threads, progress, |control| spec.allocate(compute, numerical, control))?;
    let d = PyDict::new(py);
    d.set_item("p", x.p.into_pyarray(py))?;
    d.set_item("T", x.t.into_pyarray(py))?;
    d.set_item("value", x.value.into_pyarray(py))?;
    d.set_item("misspecification", x.misspecification.into_pyarray(py))?;
    d.set_item("estimation", x.estimation.into_pyarray(py))?;
    d.set_item("local_exponent", x.local_exponent.into_pyarray(py))?;
    Ok(d)
}

/// (lower, upper) bounds on L_T from a tabulated rate-distortion curve (eps, H), for each T.
#[pyfunction]
#[pyo3(signature = (eps, h, t, *, n_threads=None))]
pub fn rate_distortion_bound<'py>(
    py: Python<'py>,
    eps: PyReadonlyArray1<'py, f64>,
    h: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
    n_threads: Option<usize>,
) -> PyResult<(Array<'py>, Array<'py>)> {
    let (eps, h, t) = (slice("eps", &eps)?, slice("H", &h)?, slice("T", &t)?);
    let (lo, up) = run(py, n_threads, None, |_| rate_distortion::two_sided_bound(eps, h, t))?;
    Ok((lo.into_pyarray(py), up.into_pyarray(py)))
}

/// Sample-complexity bounds ceil(2 H_{eps/2} / eps) for each target error.
#[pyfunction]
pub fn rate_distortion_sample_complexity<'py>(
    py: Python<'py>,
    eps: PyReadonlyArray1<'py, f64>,
    h: PyReadonlyArray1<'py, f64>,
    target: PyReadonlyArray1<'py, f64>,
) -> PyResult<Array<'py>> {
    let (eps, h, target) = (slice("eps", &eps)?, slice("H", &h)?, slice("target", &target)?);
    let out = rate_distortion::sample_complexity(eps, h, target).map_err(to_py)?;
    Ok(out.into_pyarray(py))
}

/// Monte Carlo I(theta; H_T) for Gaussian linear regression: (estimate, standard error, Jensen bound).
#[pyfunction]
#[pyo3(signature = (d, t, s2, sigma2, n_mc, seed, *, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn linear_regression_information(
    py: Python<'_>,
    d: usize,
    t: usize,
    s2: f64,
    sigma2: f64,
    n_mc: usize,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<(f64, f64, f64)> {
    let r = run(py, n_threads, progress, |control| {
        regression::linear_regression_information(d, t, s2, sigma2, n_mc, seed, control)
    })?;
    Ok((r.information, r.standard_error, r.jensen_bound))
}

/// kappa(n) of a teacher instance for each n.
#[pyfunction]
pub fn teacher_distinct_units<'py>(
    py: Python<'py>,
    kind: &str,
    params: Vec<f64>,
    n: PyReadonlyArray1<'py, f64>,
) -> PyResult<Array<'py>> {
    let spec = BoundSpec::new(kind, &params).map_err(to_py)?;
    let out = spec.distinct_units(slice("n", &n)?).map_err(to_py)?;
    Ok(out.into_pyarray(py))
}

/// The minimising weight noise eta of a teacher instance at paired points (p_i, T_i).
#[pyfunction]
pub fn teacher_optimal_eta<'py>(
    py: Python<'py>,
    kind: &str,
    params: Vec<f64>,
    p: PyReadonlyArray1<'py, f64>,
    t: PyReadonlyArray1<'py, f64>,
) -> PyResult<Array<'py>> {
    let spec = BoundSpec::new(kind, &params).map_err(to_py)?;
    let out = spec.optimal_eta(slice("p", &p)?, slice("T", &t)?).map_err(to_py)?;
    Ok(out.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bound_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(bound_evaluate_grid, m)?)?;
    m.add_function(wrap_pyfunction!(bound_allocate, m)?)?;
    m.add_function(wrap_pyfunction!(rate_distortion_bound, m)?)?;
    m.add_function(wrap_pyfunction!(rate_distortion_sample_complexity, m)?)?;
    m.add_function(wrap_pyfunction!(linear_regression_information, m)?)?;
    m.add_function(wrap_pyfunction!(teacher_distinct_units, m)?)?;
    m.add_function(wrap_pyfunction!(teacher_optimal_eta, m)?)?;
    Ok(())
}
