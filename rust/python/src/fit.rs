//! Bindings of fitting: the `Fit` handle (a core `Fit` behind an `Arc`), law predictions and the
//! objective (for tests against the reference).
//!
//! `fit_law` validates and fits in one crossing and returns the handle; its getters read the outcome
//! without copying the work, `predict` and the bootstrap reuse it, and `__reduce__` ships the
//! specification and the outcome so that unpickling rebuilds the fit without refitting.

use std::sync::Arc;

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use scalecore_core::fit::{Fit, FitOutcome, FitSpec, Init, LbfgsOptions, Objective, Problem, Stop};
use scalecore_core::laws::{self, Columns, Space};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::run::{detached, light, run};

/// Input columns by name ("x", "N", "D", "U", "C", "M"), any float array each, and extra columns
/// under other names (copied: the core keeps them by name).
pub struct ColumnArgs<'py>(Vec<(String, FloatArray<'py>)>, Vec<(String, Vec<f64>)>);

const STANDARD: [&str; 6] = ["x", "N", "D", "U", "C", "M"];

impl<'py> ColumnArgs<'py> {
    pub fn extract(columns: &Bound<'py, PyDict>) -> PyResult<Self> {
        let (mut out, mut extra) = (Vec::new(), Vec::new());
        for (k, v) in columns.iter() {
            let name = k.extract::<String>()?;
            let arr = FloatArray::extract(&name, &v)?;
            if STANDARD.contains(&name.as_str()) {
                out.push((name, arr));
            } else {
                extra.push((name, arr.as_slice().to_vec()));
            }
        }
        Ok(ColumnArgs(out, extra))
    }

    pub fn columns(&self) -> PyResult<Columns<'_>> {
        let mut c = Columns { extra: &self.1, ..Columns::default() };
        for (name, arr) in &self.0 {
            let slot = match name.as_str() {
                "x" => &mut c.x,
                "N" => &mut c.n,
                "D" => &mut c.d,
                "U" => &mut c.u,
                "C" => &mut c.c,
                "M" => &mut c.m,
                _ => continue,
            };
            *slot = Some(arr.as_slice());
        }
        Ok(c)
    }

    fn owned(&self) -> Vec<(String, Vec<f64>)> {
        let standard = self.0.iter().map(|(k, v)| (k.clone(), v.as_slice().to_vec()));
        standard.chain(self.1.iter().cloned()).collect()
    }
}

fn rows_of(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<f64>>> {
    let m = FloatMatrix::extract(name, obj)?;
    let (rows, cols) = m.shape();
    if cols == 0 {
        return Ok(vec![Vec::new(); rows]);
    }
    Ok(m.as_slice().chunks(cols).map(<[f64]>::to_vec).collect())
}

fn matrix<'py>(py: Python<'py>, rows: &[Vec<f64>], k: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let a = Array2::from_shape_vec((rows.len(), k), flat).map_err(|e| invalid("rows", e.to_string()))?;
    Ok(a.into_pyarray(py))
}

fn predict(law: &dyn laws::Law, theta: &[f64], cols: &Columns) -> scalecore_core::error::Result<Vec<f64>> {
    let feats = law.features(cols)?;
    let mut pred = vec![0.0; feats.n_rows];
    for (k, chunk) in pred.chunks_mut(1024).enumerate() {
        let start = k * 1024;
        law.predict_block(theta, &feats, start, start + chunk.len(), Space::Linear, chunk, None);
    }
    Ok(pred)
}

/// A fitted law: specification and outcome, owned by the core.
#[pyclass(frozen, module = "scalecore._core", name = "Fit")]
pub struct PyFit {
    pub inner: Arc<Fit>,
}

#[pymethods]
impl PyFit {
    #[getter]
    fn law(&self) -> &'static str {
        self.inner.spec.law.name()
    }
    /// Best parameters in internal coordinates (logs of the positive coefficients).
    #[getter]
    fn theta<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.outcome.theta.clone().into_pyarray(py)
    }
    /// The input columns the fit was made on, by name (experiment design reads them).
    #[getter]
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (name, values) in &self.inner.spec.columns {
            out.set_item(name, values.clone().into_pyarray(py))?;
        }
        Ok(out)
    }
    #[getter]
    fn objective(&self) -> f64 {
        self.inner.outcome.objective
    }
    #[getter]
    fn objective_name(&self) -> String {
        self.inner.spec.objective.spec()
    }
    #[getter]
    fn converged(&self) -> bool {
        self.inner.outcome.converged
    }
    /// Why the winning minimisation stopped, in words (`STOP_REASONS`).
    #[getter]
    fn stop(&self) -> String {
        self.inner.outcome.stop.to_string()
    }
    #[getter]
    fn iterations(&self) -> usize {
        self.inner.outcome.iterations
    }
    #[getter]
    fn n_starts(&self) -> usize {
        self.inner.outcome.n_starts
    }
    #[getter]
    fn n_screened(&self) -> usize {
        self.inner.outcome.n_screened
    }
    #[getter]
    fn n_at_best(&self) -> usize {
        self.inner.outcome.n_at_best
    }
    #[getter]
    fn n_converged(&self) -> usize {
        self.inner.outcome.n_converged
    }
    #[getter]
    fn n_runs(&self) -> usize {
        self.inner.spec.n_runs()
    }
    #[getter]
    fn start_objectives<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.outcome.start_objectives.clone().into_pyarray(py)
    }
    /// Hessian at the optimum in the optimiser's free coordinates, k x k.
    #[getter]
    fn hessian<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let k = self.inner.outcome.free_index.len();
        let rows: Vec<Vec<f64>> = self.inner.outcome.hessian.chunks(k.max(1)).map(<[f64]>::to_vec).collect();
        matrix(py, &rows, k)
    }
    /// For each free coordinate, the index of the parameter it drives.
    #[getter]
    fn free_index(&self) -> Vec<usize> {
        self.inner.outcome.free_index.clone()
    }
    #[getter]
    fn residuals<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.residuals.clone().into_pyarray(py)
    }

    /// Predictions (linear space) at the fitted parameters for input columns by name.
    fn predict<'py>(&self, py: Python<'py>, columns: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let args = ColumnArgs::extract(columns)?;
        let cols = args.columns()?;
        let law = self.inner.spec.law.as_ref();
        let theta = &self.inner.outcome.theta;
        crate::callable::clear();
        let out = crate::callable::checked(light(py, || predict(law, theta, &cols)).map_err(to_py))?;
        Ok(out.into_pyarray(py))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let (spec, o) = (&self.inner.spec, &self.inner.outcome);
        let k = spec.law.n_params();
        let names: Vec<&str> = spec.columns.iter().map(|(n, _)| n.as_str()).collect();
        let cols: Vec<Bound<'py, PyArray1<f64>>> =
            spec.columns.iter().map(|(_, v)| v.clone().into_pyarray(py)).collect();
        let (delta, asymmetry) = spec.objective.options();
        let starts = match &spec.init {
            Init::Starts(s) => Some(matrix(py, s, k)?),
            _ => None,
        };
        let data = (
            spec.law.name(),
            names,
            cols,
            spec.loss.clone().into_pyarray(py),
            spec.weights.clone().map(|w| w.into_pyarray(py)),
            crate::expr::definition_state(py, spec.law.as_ref())?,
        );
        let spec_state = (
            data,
            (spec.objective.spec(), delta, asymmetry),
            (spec.fixed.clone(), spec.ties.clone()),
            (spec.init.name(), starts),
            (spec.lbfgs.max_iter, spec.lbfgs.ftol, spec.lbfgs.gtol),
        )
            .into_pyobject(py)?;
        let outcome_state = (
            o.theta.clone().into_pyarray(py),
            (o.objective, o.converged, o.stop.to_string()),
            (o.iterations, o.evaluations, o.n_starts, o.n_screened, o.n_at_best, o.n_converged, o.total_evaluations),
            o.start_objectives.clone().into_pyarray(py),
            o.hessian.clone().into_pyarray(py),
            o.free_index.clone(),
            matrix(py, &o.optima, k)?,
            matrix(py, &o.screened, k)?,
        )
            .into_pyobject(py)?;
        let restore = py.import("scalecore._core")?.getattr("fit_from_state")?;
        Ok((restore, PyTuple::new(py, [spec_state.into_any(), outcome_state.into_any()])?))
    }

    fn __repr__(&self) -> String {
        format!("<scalecore._core.Fit of {} to {} runs>", self.inner.spec.law.name(), self.inner.spec.n_runs())
    }
}

/// Fit `law` to runs (one crossing: validation, multi-start and Hessian). `init` is "auto",
/// "hoffmann" or "starts" with `starts` a 2-D array (internal coordinates); `fixed` pairs a parameter
/// index with its internal value; `ties` pairs parameter indices.
#[pyfunction]
#[pyo3(signature = (law, columns, loss, *, weights=None, objective="huber_log", delta=1e-3, asymmetry=2.0,
    init="auto", starts=None, fixed=vec![], ties=vec![], max_iter=1000, ftol=1e-13, gtol=1e-10,
    n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn fit_law<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
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
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<PyFit> {
    let objective = Objective::parse(objective, delta, asymmetry).map_err(to_py)?;
    let starts = starts.map(|s| rows_of("init", s)).transpose()?;
    let init = Init::parse(init, starts).map_err(to_py)?;
    let columns = ColumnArgs::extract(columns)?.owned();
    let loss = FloatArray::extract("loss", loss)?.as_slice().to_vec();
    let weights = weights.map(|w| FloatArray::extract("weights", w).map(|a| a.as_slice().to_vec())).transpose()?;
    let lbfgs = LbfgsOptions { max_iter, ftol, gtol, ..LbfgsOptions::default() };
    let fit = run(py, n_threads, progress.as_ref(), |control| {
        let spec = FitSpec::new(law, columns, loss, weights, objective, fixed, ties, init, lbfgs)?;
        Fit::run(spec, control)
    })?;
    Ok(PyFit { inner: Arc::new(fit) })
}

/// Rebuild a `Fit` from `Fit.__reduce__`'s state, without refitting.
#[pyfunction]
pub fn fit_from_state(py: Python<'_>, spec: &Bound<'_, PyTuple>, outcome: &Bound<'_, PyTuple>) -> PyResult<PyFit> {
    let bad = |e: PyErr| invalid("state", format!("not the state of a pickled fit ({e})"));
    let data = spec.get_item(0)?;
    crate::expr::restore_definition(py, data.cast()?, 5)?;
    let law: String = data.get_item(0)?.extract()?;
    let names: Vec<String> = data.get_item(1)?.extract()?;
    let arrays = data.get_item(2)?;
    let mut columns = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let values = FloatArray::extract(&name, &arrays.get_item(i)?)?.as_slice().to_vec();
        columns.push((name, values));
    }
    let loss = FloatArray::extract("loss", &data.get_item(3)?)?.as_slice().to_vec();
    let w = data.get_item(4)?;
    let weights = if w.is_none() { None } else { Some(FloatArray::extract("weights", &w)?.as_slice().to_vec()) };
    let (name, delta, asymmetry): (String, f64, f64) = spec.get_item(1)?.extract().map_err(bad)?;
    let objective = Objective::parse(&name, delta, asymmetry).map_err(to_py)?;
    type Constraints = (Vec<(usize, f64)>, Vec<(usize, usize)>);
    let (fixed, ties): Constraints = spec.get_item(2)?.extract().map_err(bad)?;
    let init_state = spec.get_item(3)?;
    let s = init_state.get_item(1)?;
    let starts = if s.is_none() { None } else { Some(rows_of("init", &s)?) };
    let init = Init::parse(&init_state.get_item(0)?.extract::<String>()?, starts).map_err(to_py)?;
    let (max_iter, ftol, gtol): (usize, f64, f64) = spec.get_item(4)?.extract().map_err(bad)?;
    let lbfgs = LbfgsOptions { max_iter, ftol, gtol, ..LbfgsOptions::default() };

    let theta = FloatArray::extract("theta", &outcome.get_item(0)?)?.as_slice().to_vec();
    let (objective_value, converged, stop): (f64, bool, String) = outcome.get_item(1)?.extract().map_err(bad)?;
    let counts: (usize, usize, usize, usize, usize, usize, usize) = outcome.get_item(2)?.extract().map_err(bad)?;
    let o = FitOutcome {
        theta,
        objective: objective_value,
        converged,
        stop: Stop::parse(&stop).map_err(to_py)?,
        iterations: counts.0,
        evaluations: counts.1,
        n_starts: counts.2,
        n_screened: counts.3,
        n_at_best: counts.4,
        n_converged: counts.5,
        total_evaluations: counts.6,
        start_objectives: FloatArray::extract("start_objectives", &outcome.get_item(3)?)?.as_slice().to_vec(),
        hessian: FloatArray::extract("hessian", &outcome.get_item(4)?)?.as_slice().to_vec(),
        free_index: outcome.get_item(5)?.extract().map_err(bad)?,
        optima: rows_of("optima", &outcome.get_item(6)?)?,
        screened: rows_of("screened", &outcome.get_item(7)?)?,
    };
    let fit = detached(py, || {
        let spec = FitSpec::new(&law, columns, loss, weights, objective, fixed, ties, init, lbfgs)?;
        Fit::from_parts(spec, o)
    })?
    .map_err(to_py)?;
    Ok(PyFit { inner: Arc::new(fit) })
}

/// Predictions of a law (linear space) at internal parameters `theta`.
#[pyfunction]
pub fn law_predict<'py>(
    py: Python<'py>,
    name: &str,
    theta: Vec<f64>,
    columns: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let law = laws::get(name).map_err(to_py)?;
    if theta.len() != law.n_params() {
        return Err(invalid("params", format!("{} needs {} parameters, got {}", name, law.n_params(), theta.len())));
    }
    law.check_params(&theta).map_err(to_py)?;
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let law_ref = law.as_ref();
    crate::callable::clear();
    let out = crate::callable::checked(light(py, || predict(law_ref, &theta, &cols)).map_err(to_py))?;
    Ok(out.into_pyarray(py))
}

/// Objective value and gradient (internal coordinates) at `theta`; used by tests against the reference.
#[pyfunction]
#[pyo3(signature = (law, theta, columns, loss, weight=None, objective_name="huber_log", delta=1e-3, asymmetry=2.0))]
#[allow(clippy::too_many_arguments)]
pub fn objective_value_grad<'py>(
    py: Python<'py>,
    law: &str,
    theta: Vec<f64>,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    weight: Option<&Bound<'py, PyAny>>,
    objective_name: &str,
    delta: f64,
    asymmetry: f64,
) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
    let law = laws::get(law).map_err(to_py)?;
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let loss = FloatArray::extract("loss", loss)?;
    let weight = weight.map(|w| FloatArray::extract("weights", w)).transpose()?;
    let obj = Objective::parse(objective_name, delta, asymmetry).map_err(to_py)?;
    if theta.len() != law.n_params() {
        return Err(invalid("theta", format!("needs {} values, got {}", law.n_params(), theta.len())));
    }
    let (loss, weight) = (loss.as_slice(), weight.as_ref().map(|w| w.as_slice()));
    let (f, g) = detached(py, || {
        let problem = Problem::new(law.as_ref(), &cols, loss, weight, obj)?;
        let mut g = vec![0.0; theta.len()];
        let f = problem.value_grad(&theta, &mut g);
        Ok((f, g))
    })?
    .map_err(to_py)?;
    Ok((f, g.into_pyarray(py)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFit>()?;
    m.add_function(wrap_pyfunction!(fit_law, m)?)?;
    m.add_function(wrap_pyfunction!(fit_from_state, m)?)?;
    m.add_function(wrap_pyfunction!(law_predict, m)?)?;
    m.add_function(wrap_pyfunction!(objective_value_grad, m)?)?;
    Ok(())
}
