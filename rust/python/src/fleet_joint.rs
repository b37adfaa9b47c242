//! Bindings of joint fleets: `fit_joint_fleet` fits, for every key of a table, one joint fit of its rows
//! (groups sharing parameters) in one crossing, and returns the per-key and per-(key, group) results as
//! one `JointFleetFits` handle.

use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::bootstrap::{Method, Scheme};
use scalecore_core::fit::Init;
use scalecore_core::fleet::{fit_joint_fleet as core_fit_joint_fleet, FleetInit, Groups, JointFleetFits, Resampling};

use crate::errors::to_py;
use crate::fleet::{matrix, options, rows_of, Codes, Table};
use crate::run::run;

/// Per-key results of a joint fleet; the per-group fields have one row per (key, group).
#[pyclass(frozen, module = "scalecore._core", name = "JointFleetFits")]
pub struct PyJointFleetFits {
    inner: JointFleetFits,
}

#[pymethods]
impl PyJointFleetFits {
    /// Groups of each key (its rows in the per-group fields).
    #[getter]
    fn n_groups<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.n_groups.clone().into_pyarray(py)
    }
    /// Internal parameters (logs of the positive coefficients), one row per (key, group).
    #[getter]
    fn theta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.inner.theta.clone(), self.inner.n_params)
    }
    #[getter]
    fn group_objective<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.group_objective.clone().into_pyarray(py)
    }
    #[getter]
    fn group_n_runs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.group_n_runs.clone().into_pyarray(py)
    }
    /// Interval bounds of the public parameters, one row per (key, group) (no rows without resampling).
    #[getter]
    fn low<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.inner.low.clone(), self.inner.n_params)
    }
    #[getter]
    fn high<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.inner.high.clone(), self.inner.n_params)
    }
    #[getter]
    fn objective<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.objective.clone().into_pyarray(py)
    }
    #[getter]
    fn converged<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<bool>> {
        self.inner.converged.clone().into_pyarray(py)
    }
    #[getter]
    fn iterations<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.iterations.clone().into_pyarray(py)
    }
    #[getter]
    fn n_starts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.n_starts.clone().into_pyarray(py)
    }
    #[getter]
    fn n_at_best<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.n_at_best.clone().into_pyarray(py)
    }
    #[getter]
    fn n_runs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.n_runs.clone().into_pyarray(py)
    }
    /// Bit i set: flag `FLEET_FLAGS[i]`.
    #[getter]
    fn flags<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        self.inner.flags.clone().into_pyarray(py)
    }
    #[getter]
    fn n_failed<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.n_failed.clone().into_pyarray(py)
    }
    /// The seed of each key's stratified bootstrap (0 without resampling).
    #[getter]
    fn key_seed<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        self.inner.key_seed.clone().into_pyarray(py)
    }
    fn __len__(&self) -> usize {
        self.inner.objective.len()
    }
}

/// Fit `law` jointly within every key of a table: `keys` holds each row's key code in 0..n_keys,
/// `subgroups` each row's group within its key (0..G, no gap), `shared` the indices of the parameters
/// common to a key's groups. `init` is a single fit's start strategy, run on every group; with
/// `n_resamples`, per-key stratified bootstrap intervals; `first_key` places these keys in a larger fleet.
#[pyfunction]
#[pyo3(signature = (law, columns, loss, keys, n_keys, subgroups, shared, *, weights=None, objective="huber_log",
    delta=1e-3, asymmetry=2.0, init="auto", starts=None, fixed=vec![], ties=vec![], max_iter=1000, ftol=1e-13,
    gtol=1e-10, first_key=0, n_resamples=0, seed=0, scheme="pairs", method="percentile", level=0.95,
    n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn fit_joint_fleet<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    keys: &Bound<'py, PyAny>,
    n_keys: usize,
    subgroups: &Bound<'py, PyAny>,
    shared: Vec<usize>,
    weights: Option<&Bound<'py, PyAny>>,
    objective: &str,
    delta: f64,
    asymmetry: f64,
    init: &str,
    starts: Option<&Bound<'py, PyAny>>,
    fixed: Vec<(usize, f64)>,
    ties: Vec<(usize, usize)>,
    max_iter: usize,
    ftol: f64,
    gtol: f64,
    first_key: u64,
    n_resamples: usize,
    seed: u64,
    scheme: &str,
    method: &str,
    level: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<PyJointFleetFits> {
    let opts = options(objective, delta, asymmetry, fixed, ties, max_iter, ftol, gtol)?;
    let init = FleetInit::Each(Init::parse(init, starts.map(|s| rows_of("init", s)).transpose()?).map_err(to_py)?);
    let resampling = if n_resamples == 0 {
        None
    } else {
        let scheme = Scheme::parse(scheme, "rademacher", None, 0).map_err(to_py)?;
        let method = Method::parse(method).map_err(to_py)?;
        Some(Resampling { n_resamples, seed, scheme, method, level })
    };
    let table = Table::extract(columns, loss, weights)?;
    let key_codes = Codes::extract("keys", keys)?;
    let subgroups = Codes::extract("group", subgroups)?;
    let spec = table.spec(law, &opts, init);
    let (key_codes, subgroups) = (key_codes.as_slice(), subgroups.as_slice());
    let inner = run(py, n_threads, progress.as_ref(), |control| {
        let groups = Groups::new(key_codes, n_keys)?;
        core_fit_joint_fleet(&spec, &groups, subgroups, &shared, first_key, resampling.as_ref(), control)
    })?;
    Ok(PyJointFleetFits { inner })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJointFleetFits>()?;
    m.add_function(wrap_pyfunction!(fit_joint_fleet, m)?)?;
    Ok(())
}
