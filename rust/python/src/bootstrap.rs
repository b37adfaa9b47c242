//! Bindings of the fit bootstrap: the `PreparedBootstrap` handle (prepared once from a `Fit`, run in
//! any chunks, shipped to `map=` workers in that prepared form), derived quantities of the replicates
//! and the bootstrap allocation with intervals in one call.

use std::sync::Arc;

use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use scalecore_core::allocation::{Budgets, CostModel};
use scalecore_core::bootstrap::derived::{self, At, Derived, Unallocated};
use scalecore_core::bootstrap::{intervals, Method, Prepared, PreparedBootstrap, Refits, Scheme};
use scalecore_core::laws;

use crate::convert::{number, FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::fit::PyFit;
use crate::run::{detached, run};

/// Rows of a 2-D float array (`k` columns, when given, checked).
fn rows(name: &str, obj: &Bound<'_, PyAny>, k: Option<usize>) -> PyResult<Vec<Vec<f64>>> {
    let m = FloatMatrix::extract(name, obj)?;
    let (n, cols) = m.shape();
    if let Some(k) = k.filter(|&k| k != cols && n > 0) {
        return Err(invalid(name, format!("needs {k} columns (the law's parameters), got {cols}")));
    }
    Ok(if cols == 0 { vec![Vec::new(); n] } else { m.as_slice().chunks(cols).map(<[f64]>::to_vec).collect() })
}

fn matrix<'py>(py: Python<'py>, flat: Vec<f64>, n: usize, k: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    Ok(Array2::from_shape_vec((n, k), flat).map_err(|e| invalid("rows", e.to_string()))?.into_pyarray(py))
}

/// Group codes 0..G per run from any numeric array (integers stored as floats are accepted).
fn codes(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    let arr = FloatArray::extract("group", obj)?;
    let out: Vec<i64> = arr.as_slice().iter().map(|&v| v as i64).collect();
    if arr.as_slice().iter().zip(&out).any(|(&v, &c)| v != c as f64) {
        return Err(invalid("group", "group codes must be integers"));
    }
    Ok(Some(out))
}

type Rows<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<bool>>);
/// Point values (4 x budgets) and intervals (4 x budgets x 2) of the bootstrap allocation.
type Allocated<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray3<f64>>);

fn refits<'py>(py: Python<'py>, r: Refits, k: usize) -> PyResult<Rows<'py>> {
    let n = r.failed.len();
    Ok((matrix(py, r.theta, n, k)?, r.failed.into_pyarray(py)))
}

/// A fit bootstrap prepared once from a fit: warm start, guards or screened starts, whitening.
#[pyclass(frozen, module = "scalecore._core", name = "PreparedBootstrap")]
pub struct PyPrepared {
    inner: Arc<PreparedBootstrap>,
    fit: Py<PyFit>,
    /// The confidence level of the intervals, checked by `check_level` when the handle is built.
    level: f64,
}

/// A confidence level read from Python and checked by the core's rule (the one home of that rule: every
/// public `level=` argument comes through here or through the core's interval functions).
#[pyfunction]
pub fn check_level(level: &Bound<'_, PyAny>) -> PyResult<f64> {
    intervals::check_level(number("level", level)?).map_err(to_py)
}

#[pymethods]
impl PyPrepared {
    #[getter]
    fn fit(&self, py: Python<'_>) -> Py<PyFit> {
        self.fit.clone_ref(py)
    }
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed
    }
    #[getter]
    fn level(&self) -> f64 {
        self.level
    }
    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme.name()
    }
    #[getter]
    fn robust(&self) -> bool {
        self.inner.robust
    }
    /// Other local optima of the full data that guard each warm refit.
    #[getter]
    fn n_guards(&self) -> usize {
        self.inner.prepared.guards.len()
    }

    /// Refits of replicates `first..first + count`: (theta rows, internal coordinates; failed flags).
    #[pyo3(signature = (first, count, *, n_threads=None, progress=None))]
    fn replicates<'py>(
        &self,
        py: Python<'py>,
        first: u64,
        count: usize,
        n_threads: Option<usize>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Rows<'py>> {
        let inner = &self.inner;
        let out = run(py, n_threads, progress.as_ref(), |control| inner.replicates(first, count, control))?;
        refits(py, out, inner.fit.spec.law.n_params())
    }

    /// The jackknife refits for BCa (leave one run, one cluster or one random group of runs out).
    #[pyo3(signature = (*, n_threads=None, progress=None))]
    fn jackknife<'py>(
        &self,
        py: Python<'py>,
        n_threads: Option<usize>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Rows<'py>> {
        let inner = &self.inner;
        let out = run(py, n_threads, progress.as_ref(), |control| inner.jackknife(control))?;
        refits(py, out, inner.fit.spec.law.n_params())
    }

    /// Compact state: the fit (its own state), the scheme, the seed and what preparing found.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let p = &self.inner;
        let k = p.fit.spec.law.n_params();
        let flat = |v: &[Vec<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
        let group = p.scheme.groups().map(|g| g.iter().map(|&c| c as f64).collect::<Vec<f64>>().into_pyarray(py));
        let args = (
            self.fit.clone_ref(py),
            p.scheme.name(),
            p.scheme.wild_weights(),
            group,
            p.seed,
            p.robust,
            matrix(py, flat(&p.prepared.guards), p.prepared.guards.len(), k)?,
            matrix(py, flat(&p.prepared.screened), p.prepared.screened.len(), k)?,
            self.level,
        )
            .into_pyobject(py)?;
        Ok((py.import("scalecore._core")?.getattr("prepared_bootstrap_from_state")?, args))
    }
}

/// The level of a bootstrap's intervals when none is given (95%).
const DEFAULT_LEVEL: f64 = 0.95;

/// Prepare the bootstrap of `fit` (once; no search, the fit's optima and Hessian are reused), for
/// intervals at `level` (checked here, when the handle is built).
#[pyfunction]
#[pyo3(signature = (fit, *, scheme="pairs", wild_weights="rademacher", group=None, seed=0, robust=false,
    level=None, n_threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn prepare_bootstrap(
    py: Python<'_>,
    fit: &Bound<'_, PyFit>,
    scheme: &str,
    wild_weights: &str,
    group: Option<&Bound<'_, PyAny>>,
    seed: u64,
    robust: bool,
    level: Option<&Bound<'_, PyAny>>,
    n_threads: Option<usize>,
) -> PyResult<PyPrepared> {
    let level = match level {
        Some(level) => check_level(level)?,
        None => DEFAULT_LEVEL,
    };
    let inner = fit.get().inner.clone();
    let group = codes(group)?;
    let scheme = Scheme::parse(scheme, wild_weights, group.as_deref(), inner.spec.n_runs()).map_err(to_py)?;
    let prepared = run(py, n_threads, None, |control| PreparedBootstrap::new(inner, scheme, robust, seed, control))?;
    Ok(PyPrepared { inner: Arc::new(prepared), fit: fit.clone().unbind(), level })
}

/// Rebuild a `PreparedBootstrap` from its `__reduce__` state, without preparing again.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn prepared_bootstrap_from_state(
    fit: &Bound<'_, PyFit>,
    scheme: &str,
    wild_weights: &str,
    group: Option<&Bound<'_, PyAny>>,
    seed: u64,
    robust: bool,
    guards: &Bound<'_, PyAny>,
    screened: &Bound<'_, PyAny>,
    level: &Bound<'_, PyAny>,
) -> PyResult<PyPrepared> {
    let level = check_level(level)?;
    let inner = fit.get().inner.clone();
    let k = Some(inner.spec.law.n_params());
    let group = codes(group)?;
    let scheme = Scheme::parse(scheme, wild_weights, group.as_deref(), inner.spec.n_runs()).map_err(to_py)?;
    let prepared = Prepared { guards: rows("guards", guards, k)?, screened: rows("screened", screened, k)? };
    let p = PreparedBootstrap::from_parts(inner, scheme, robust, seed, prepared).map_err(to_py)?;
    Ok(PyPrepared { inner: Arc::new(p), fit: fit.clone().unbind(), level })
}

/// A derived quantity (`DERIVED`) under each row of `thetas` (internal coordinates); NaN where the
/// parameters admit none.
#[pyfunction]
#[pyo3(signature = (law, name, thetas, *, compute=None, flops_per_param_token=6.0, N=None, D=None))]
#[allow(non_snake_case)]
#[allow(clippy::too_many_arguments)]
pub fn derived_quantity<'py>(
    py: Python<'py>,
    law: &str,
    name: &str,
    thetas: &Bound<'py, PyAny>,
    compute: Option<f64>,
    flops_per_param_token: f64,
    N: Option<f64>,
    D: Option<f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let law = laws::get(law).map_err(to_py)?;
    let which = Derived::parse(name).map_err(to_py)?;
    let thetas = rows("thetas", thetas, Some(law.n_params()))?;
    let at = At { compute, flops_per_param_token, n: N, d: D };
    let law_ref = law.as_ref();
    Ok(detached(py, || derived::evaluate(law_ref, which, &thetas, at))?.map_err(to_py)?.into_pyarray(py))
}

/// Compute-optimal N, D, loss and D/N per budget at `theta_hat` (array 4 x budgets) with intervals
/// from the replicate rows `thetas` (array 4 x budgets x 2); `jackknife` rows are read for BCa only.
#[pyfunction]
#[pyo3(signature = (law, theta_hat, thetas, jackknife, compute, *, flops_per_param_token=6.0, level=0.95,
    method="percentile", n_threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_allocation<'py>(
    py: Python<'py>,
    law: &str,
    theta_hat: &Bound<'py, PyAny>,
    thetas: &Bound<'py, PyAny>,
    jackknife: &Bound<'py, PyAny>,
    compute: &Bound<'py, PyAny>,
    flops_per_param_token: f64,
    level: f64,
    method: &str,
    n_threads: Option<usize>,
) -> PyResult<Allocated<'py>> {
    let law = laws::get(law).map_err(to_py)?;
    let k = Some(law.n_params());
    let method = Method::parse(method).map_err(to_py)?;
    let theta_hat = FloatArray::extract("theta_hat", theta_hat)?.as_slice().to_vec();
    let (thetas, jack) = (rows("thetas", thetas, k)?, rows("jackknife", jackknife, k)?);
    let compute = FloatArray::extract("compute", compute)?;
    let (c, law_ref) = (compute.as_slice(), law.as_ref());
    let zeros = vec![0.0; c.len()];
    let budgets = Budgets { compute: c, inference_tokens: &zeros, unique_tokens: None };
    let cost = CostModel { flops_per_param_token };
    let out = run(py, n_threads, None, |control| {
        let refuse = Unallocated::Refuse;
        derived::allocation_intervals(
            law_ref, &theta_hat, &thetas, &jack, &budgets, &cost, level, method, refuse, control,
        )
    })?;
    let b = c.len();
    let values: Vec<f64> = out.values.iter().flatten().copied().collect();
    let bounds: Vec<f64> = out.intervals.iter().flatten().flat_map(|&(lo, hi)| [lo, hi]).collect();
    let values = matrix(py, values, 4, b)?;
    let bounds = Array3::from_shape_vec((4, b, 2), bounds).map_err(|e| invalid("compute", e.to_string()))?;
    Ok((values, bounds.into_pyarray(py)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPrepared>()?;
    m.add_function(wrap_pyfunction!(check_level, m)?)?;
    m.add_function(wrap_pyfunction!(prepare_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(prepared_bootstrap_from_state, m)?)?;
    m.add_function(wrap_pyfunction!(derived_quantity, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_allocation, m)?)?;
    crate::statistic::register(m)
}
