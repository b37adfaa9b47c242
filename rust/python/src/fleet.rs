//! Bindings of fleets of fits: `fit_fleet` fits one law to every group of a table in one crossing and
//! returns the per-group results as one `FleetFits` handle; `fleet_pilot` computes the shared starts
//! once, so that chunks of a fleet run elsewhere (`map=` workers) start from the same ones.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use scalecore_core::bootstrap::{Method, Scheme};
use scalecore_core::fit::{Init, LbfgsOptions, Objective};
use scalecore_core::fleet::FLAG_NAMES;
use scalecore_core::fleet::{
    fit_fleet as core_fit_fleet, pilot_groups, pilot_starts, FleetFits, FleetInit, FleetSpec, Groups, Resampling,
};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::run::run;

/// Group codes (one per row, in 0..n_groups) from any integer array.
pub(crate) struct Codes<'py>(PyReadonlyArray1<'py, i64>);

impl<'py> Codes<'py> {
    pub(crate) fn extract(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let arr = obj
            .py()
            .import("numpy")?
            .call_method1("require", (obj, "int64", "CA"))
            .map_err(|e| invalid(name, format!("cannot be read as integer group codes: {e}")))?;
        let arr: PyReadonlyArray1<'py, i64> = arr.extract().map_err(|_| invalid(name, "must be a 1-D array"))?;
        arr.as_slice().map_err(|_| invalid(name, "must be a contiguous array"))?;
        Ok(Codes(arr))
    }
    pub(crate) fn as_slice(&self) -> &[i64] {
        self.0.as_slice().unwrap_or(&[])
    }
}

/// The table's columns and the options shared by every group's fit, borrowed from Python.
pub(crate) struct Table<'py> {
    columns: Vec<(String, FloatArray<'py>)>,
    loss: FloatArray<'py>,
    weights: Option<FloatArray<'py>>,
}

impl<'py> Table<'py> {
    pub(crate) fn extract(
        columns: &Bound<'py, PyDict>,
        loss: &Bound<'py, PyAny>,
        weights: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let mut cols = Vec::new();
        for (k, v) in columns.iter() {
            let name = k.extract::<String>()?;
            let arr = FloatArray::extract(&name, &v)?;
            cols.push((name, arr));
        }
        let loss = FloatArray::extract("loss", loss)?;
        let weights = weights.filter(|w| !w.is_none()).map(|w| FloatArray::extract("weights", w)).transpose()?;
        Ok(Table { columns: cols, loss, weights })
    }

    pub(crate) fn spec<'s>(&'s self, law: &'s str, options: &Options, init: FleetInit) -> FleetSpec<'s> {
        FleetSpec {
            law,
            columns: self.columns.iter().map(|(n, a)| (n.clone(), a.as_slice())).collect(),
            loss: self.loss.as_slice(),
            weights: self.weights.as_ref().map(|w| w.as_slice()),
            objective: options.objective,
            fixed: options.fixed.clone(),
            ties: options.ties.clone(),
            init,
            lbfgs: options.lbfgs,
        }
    }
}

pub(crate) struct Options {
    objective: Objective,
    fixed: Vec<(usize, f64)>,
    ties: Vec<(usize, usize)>,
    lbfgs: LbfgsOptions,
}

pub(crate) fn rows_of(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<f64>>> {
    let m = FloatMatrix::extract(name, obj)?;
    let (_, cols) = m.shape();
    Ok(if cols == 0 { Vec::new() } else { m.as_slice().chunks(cols).map(<[f64]>::to_vec).collect() })
}

pub(crate) fn matrix<'py>(py: Python<'py>, flat: Vec<f64>, k: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let n = flat.len().checked_div(k).unwrap_or(0);
    Ok(Array2::from_shape_vec((n, k), flat).map_err(|e| invalid("rows", e.to_string()))?.into_pyarray(py))
}

/// Per-group results of a fleet, group by group.
#[pyclass(frozen, module = "scalecore._core", name = "FleetFits")]
pub struct PyFleetFits {
    inner: FleetFits,
}

#[pymethods]
impl PyFleetFits {
    /// Internal parameters (logs of the positive coefficients), one row per group; NaN when not fitted.
    #[getter]
    fn theta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.inner.theta.clone(), self.inner.n_params)
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
    #[getter]
    fn condition_number<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.condition_number.clone().into_pyarray(py)
    }
    /// Bit i set: flag `FLEET_FLAGS[i]`.
    #[getter]
    fn flags<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        self.inner.flags.clone().into_pyarray(py)
    }
    /// Interval bounds of the public parameters, one row per group (no rows without resampling).
    #[getter]
    fn low<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.inner.low.clone(), self.inner.n_params)
    }
    #[getter]
    fn high<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.inner.high.clone(), self.inner.n_params)
    }
    #[getter]
    fn n_failed<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<usize>> {
        self.inner.n_failed.clone().into_pyarray(py)
    }
    fn __len__(&self) -> usize {
        self.inner.objective.len()
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn options(
    objective: &str,
    delta: f64,
    asymmetry: f64,
    fixed: Vec<(usize, f64)>,
    ties: Vec<(usize, usize)>,
    max_iter: usize,
    ftol: f64,
    gtol: f64,
) -> PyResult<Options> {
    let objective = Objective::parse(objective, delta, asymmetry).map_err(to_py)?;
    Ok(Options { objective, fixed, ties, lbfgs: LbfgsOptions { max_iter, ftol, gtol, ..LbfgsOptions::default() } })
}

/// The shared starts of a fleet (internal coordinates, one row each): the distinct optima of the law's
/// multi-start (`init`) on a pilot sample of the groups.
#[pyfunction]
#[pyo3(signature = (law, columns, loss, groups, n_groups, *, weights=None, objective="huber_log", delta=1e-3,
    asymmetry=2.0, init="auto", starts=None, fixed=vec![], ties=vec![], max_iter=1000, ftol=1e-13, gtol=1e-10,
    n_threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn fleet_pilot<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    groups: &Bound<'py, PyAny>,
    n_groups: usize,
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
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let opts = options(objective, delta, asymmetry, fixed, ties, max_iter, ftol, gtol)?;
    let init = Init::parse(init, starts.map(|s| rows_of("init", s)).transpose()?).map_err(to_py)?;
    let table = Table::extract(columns, loss, weights)?;
    let codes = Codes::extract("groups", groups)?;
    let spec = table.spec(law, &opts, FleetInit::Each(init.clone()));
    let codes = codes.as_slice();
    let (k, starts) = run(py, n_threads, None, |control| {
        let groups = Groups::new(codes, n_groups)?;
        let k = scalecore_core::laws::get(law)?.n_params();
        Ok((k, pilot_starts(&spec, &groups, &init, control)?))
    })?;
    matrix(py, starts.into_iter().flatten().collect(), k)
}

/// Fit `law` to every group of a table: `groups` holds each row's group code in 0..n_groups. `init`
/// is "shared" (the rows of `shared` screened on every group, the best polished) or a strategy of a
/// single fit ("auto", "hoffmann", "starts" with `starts`) run on every group. With `n_resamples`,
/// bootstrap intervals per group; `first_group` places these groups in a larger fleet (their streams).
#[pyfunction]
#[pyo3(signature = (law, columns, loss, groups, n_groups, *, weights=None, objective="huber_log", delta=1e-3,
    asymmetry=2.0, init="shared", starts=None, shared=None, fixed=vec![], ties=vec![], max_iter=1000, ftol=1e-13,
    gtol=1e-10, first_group=0, n_resamples=0, seed=0, scheme="pairs", method="percentile", level=0.95,
    n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn fit_fleet<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    groups: &Bound<'py, PyAny>,
    n_groups: usize,
    weights: Option<&Bound<'py, PyAny>>,
    objective: &str,
    delta: f64,
    asymmetry: f64,
    init: &str,
    starts: Option<&Bound<'py, PyAny>>,
    shared: Option<&Bound<'py, PyAny>>,
    fixed: Vec<(usize, f64)>,
    ties: Vec<(usize, usize)>,
    max_iter: usize,
    ftol: f64,
    gtol: f64,
    first_group: u64,
    n_resamples: usize,
    seed: u64,
    scheme: &str,
    method: &str,
    level: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<PyFleetFits> {
    let opts = options(objective, delta, asymmetry, fixed, ties, max_iter, ftol, gtol)?;
    let init = match init {
        "shared" => {
            let rows = shared.map(|s| rows_of("shared", s)).transpose()?;
            FleetInit::Shared(rows.ok_or_else(|| invalid("shared", "init='shared' needs the shared starts"))?)
        }
        other => FleetInit::Each(Init::parse(other, starts.map(|s| rows_of("init", s)).transpose()?).map_err(to_py)?),
    };
    let resampling = if n_resamples == 0 {
        None
    } else {
        let scheme = Scheme::parse(scheme, "rademacher", None, 0).map_err(to_py)?;
        let method = Method::parse(method).map_err(to_py)?;
        Some(Resampling { n_resamples, seed, scheme, method, level })
    };
    let table = Table::extract(columns, loss, weights)?;
    let codes = Codes::extract("groups", groups)?;
    let spec = table.spec(law, &opts, init);
    let codes = codes.as_slice();
    let inner = run(py, n_threads, progress.as_ref(), |control| {
        let groups = Groups::new(codes, n_groups)?;
        core_fit_fleet(&spec, &groups, first_group, resampling.as_ref(), control)
    })?;
    Ok(PyFleetFits { inner })
}

/// The codes of the pilot groups of a fleet of `n_groups` groups (whose optima become the shared starts).
#[pyfunction]
pub fn fleet_pilot_groups(n_groups: usize) -> Vec<usize> {
    pilot_groups(n_groups)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fleet_pilot_groups, m)?)?;
    m.add("FLEET_FLAGS", PyTuple::new(m.py(), FLAG_NAMES)?)?;
    m.add_class::<PyFleetFits>()?;
    m.add_function(wrap_pyfunction!(fleet_pilot, m)?)?;
    m.add_function(wrap_pyfunction!(fit_fleet, m)?)?;
    Ok(())
}
