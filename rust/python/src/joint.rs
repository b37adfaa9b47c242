//! Bindings of joint fits (one law per group with shared parameters): the `JointFit` handle, its
//! predictions and its stratified bootstrap. `joint_fit` validates and fits in one crossing; the
//! handle's getters read the outcome and `__reduce__` ships specification and outcome, so unpickling
//! rebuilds the fit without refitting.

use std::sync::Arc;

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use scalecore_core::fit::joint::{joint_bootstrap, joint_value_grad, JointFit, JointOutcome, JointSpec};
use scalecore_core::fit::{FitSpec, Init, LbfgsOptions, Objective, Stop};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::fit::ColumnArgs;
use crate::run::{detached, run};

fn rows(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<f64>>> {
    let m = FloatMatrix::extract(name, obj)?;
    let (n, k) = m.shape();
    Ok(if k == 0 { vec![Vec::new(); n] } else { m.as_slice().chunks(k).map(<[f64]>::to_vec).collect() })
}

fn matrix<'py>(py: Python<'py>, rows: &[Vec<f64>], k: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let a = Array2::from_shape_vec((rows.len(), k), flat).map_err(|e| invalid("rows", e.to_string()))?;
    Ok(a.into_pyarray(py))
}

fn owned_columns(columns: &Bound<'_, PyDict>) -> PyResult<Vec<(String, Vec<f64>)>> {
    let mut out = Vec::new();
    for (k, v) in columns.iter() {
        let name = k.extract::<String>()?;
        out.push((name.clone(), FloatArray::extract(&name, &v)?.as_slice().to_vec()));
    }
    Ok(out)
}

/// A joint fit of one law per group with shared parameters, owned by the core.
#[pyclass(frozen, module = "scalecore._core", name = "JointFit")]
pub struct PyJointFit {
    inner: Arc<JointFit>,
}

#[pymethods]
impl PyJointFit {
    #[getter]
    fn law(&self) -> &'static str {
        self.inner.spec.base.law.name()
    }
    /// Each group's parameters in internal coordinates (logs of the positive coefficients), groups x k.
    #[getter]
    fn thetas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, &self.inner.outcome.thetas, self.inner.spec.base.law.n_params())
    }
    #[getter]
    fn objective(&self) -> f64 {
        self.inner.outcome.objective
    }
    #[getter]
    fn group_objectives<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.outcome.group_objectives.clone().into_pyarray(py)
    }
    #[getter]
    fn objective_name(&self) -> String {
        self.inner.spec.base.objective.spec()
    }
    #[getter]
    fn converged(&self) -> bool {
        self.inner.outcome.converged
    }
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
    fn n_at_best(&self) -> usize {
        self.inner.outcome.n_at_best
    }
    #[getter]
    fn start_objectives<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.outcome.start_objectives.clone().into_pyarray(py)
    }
    /// Runs per group.
    #[getter]
    fn sizes(&self) -> Vec<usize> {
        self.inner.spec.sizes()
    }
    /// Indices of the shared parameters.
    #[getter]
    fn shared(&self) -> Vec<usize> {
        self.inner.spec.shared.clone()
    }

    /// Predictions (linear space) for input columns by name, row i by the law of group `codes[i]`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        codes: Vec<i64>,
        columns: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let args = ColumnArgs::extract(columns)?;
        let cols = args.columns()?;
        let out = detached(py, || self.inner.predict(&codes, &cols))?.map_err(to_py)?;
        Ok(out.into_pyarray(py))
    }

    /// `n_resamples` stratified bootstrap refits (replicates `first..first + n_resamples` of stream
    /// `seed`): public parameter values, replicates x groups x k (NaN where a refit failed), and
    /// which refits failed.
    #[pyo3(signature = (n_resamples, seed, *, first=0, n_threads=None, progress=None))]
    fn bootstrap<'py>(
        &self,
        py: Python<'py>,
        n_resamples: usize,
        seed: u64,
        first: u64,
        n_threads: Option<usize>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, Vec<bool>)> {
        let fit = self.inner.clone();
        let reps = run(py, n_threads, progress.as_ref(), move |control| {
            joint_bootstrap(&fit, n_resamples, seed, first, control)
        })?;
        Ok((reps.samples.into_pyarray(py), reps.failed))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let (spec, o) = (&self.inner.spec, &self.inner.outcome);
        let b = &spec.base;
        let k = b.law.n_params();
        let names: Vec<&str> = b.columns.iter().map(|(n, _)| n.as_str()).collect();
        let cols: Vec<Bound<'py, PyArray1<f64>>> = b.columns.iter().map(|(_, v)| v.clone().into_pyarray(py)).collect();
        let (delta, asymmetry) = b.objective.options();
        let starts = match &b.init {
            Init::Starts(s) => Some(matrix(py, s, k)?),
            _ => None,
        };
        let data = (
            b.law.name(),
            names,
            cols,
            b.loss.clone().into_pyarray(py),
            b.weights.clone().map(|w| w.into_pyarray(py)),
            crate::expr::definition_state(py, b.law.as_ref())?,
        );
        let codes: Vec<i64> = spec.groups.iter().map(|&g| g as i64).collect();
        let spec_state = (
            data,
            (b.objective.spec(), delta, asymmetry),
            (b.fixed.clone(), b.ties.clone()),
            (b.init.name(), starts),
            (b.lbfgs.max_iter, b.lbfgs.ftol, b.lbfgs.gtol),
            (codes, spec.shared.clone()),
        )
            .into_pyobject(py)?;
        let outcome_state = (
            matrix(py, &o.thetas, k)?,
            (o.objective, o.converged, o.stop.to_string()),
            (o.iterations, o.n_starts, o.n_at_best),
            o.group_objectives.clone().into_pyarray(py),
            o.start_objectives.clone().into_pyarray(py),
        )
            .into_pyobject(py)?;
        let restore = py.import("scalecore._core")?.getattr("joint_fit_from_state")?;
        Ok((restore, PyTuple::new(py, [spec_state.into_any(), outcome_state.into_any()])?))
    }

    fn __repr__(&self) -> String {
        let s = &self.inner.spec;
        format!(
            "<scalecore._core.JointFit of {} to {} groups, {} runs>",
            s.base.law.name(),
            s.n_groups,
            s.base.n_runs()
        )
    }
}

/// Fit `law` jointly: one law per group (`groups`: a code 0..G per run) with the parameters at
/// indices `shared` common to all groups; other arguments as for `fit_law`.
#[pyfunction]
#[pyo3(signature = (law, columns, loss, groups, shared, *, weights=None, objective="huber_log", delta=1e-3,
    asymmetry=2.0, init="auto", starts=None, fixed=vec![], ties=vec![], max_iter=1000, ftol=1e-13, gtol=1e-10,
    n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn joint_fit<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    groups: Vec<i64>,
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
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<PyJointFit> {
    let objective = Objective::parse(objective, delta, asymmetry).map_err(to_py)?;
    let starts = starts.map(|s| rows("init", s)).transpose()?;
    let init = Init::parse(init, starts).map_err(to_py)?;
    let columns = owned_columns(columns)?;
    let loss = FloatArray::extract("loss", loss)?.as_slice().to_vec();
    let weights = weights.map(|w| FloatArray::extract("weights", w).map(|a| a.as_slice().to_vec())).transpose()?;
    let lbfgs = LbfgsOptions { max_iter, ftol, gtol, ..LbfgsOptions::default() };
    let fit = run(py, n_threads, progress.as_ref(), |control| {
        let base = FitSpec::new(law, columns, loss, weights, objective, fixed, ties, init, lbfgs)?;
        JointFit::run(JointSpec::new(base, &groups, &shared)?, control)
    })?;
    Ok(PyJointFit { inner: Arc::new(fit) })
}

/// Rebuild a `JointFit` from `JointFit.__reduce__`'s state, without refitting.
#[pyfunction]
pub fn joint_fit_from_state(
    py: Python<'_>,
    spec: &Bound<'_, PyTuple>,
    outcome: &Bound<'_, PyTuple>,
) -> PyResult<PyJointFit> {
    let bad = |e: PyErr| invalid("state", format!("not the state of a pickled joint fit ({e})"));
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
    let starts = if s.is_none() { None } else { Some(rows("init", &s)?) };
    let init = Init::parse(&init_state.get_item(0)?.extract::<String>()?, starts).map_err(to_py)?;
    let (max_iter, ftol, gtol): (usize, f64, f64) = spec.get_item(4)?.extract().map_err(bad)?;
    let (codes, shared): (Vec<i64>, Vec<usize>) = spec.get_item(5)?.extract().map_err(bad)?;
    let lbfgs = LbfgsOptions { max_iter, ftol, gtol, ..LbfgsOptions::default() };

    let (objective_value, converged, stop): (f64, bool, String) = outcome.get_item(1)?.extract().map_err(bad)?;
    let (iterations, n_starts, n_at_best): (usize, usize, usize) = outcome.get_item(2)?.extract().map_err(bad)?;
    let o = JointOutcome {
        thetas: rows("thetas", &outcome.get_item(0)?)?,
        objective: objective_value,
        group_objectives: FloatArray::extract("group_objectives", &outcome.get_item(3)?)?.as_slice().to_vec(),
        converged,
        stop: Stop::parse(&stop).map_err(to_py)?,
        iterations,
        n_starts,
        n_at_best,
        start_objectives: FloatArray::extract("start_objectives", &outcome.get_item(4)?)?.as_slice().to_vec(),
    };
    let fit = detached(py, || {
        let base = FitSpec::new(&law, columns, loss, weights, objective, fixed, ties, init, lbfgs)?;
        JointFit::from_parts(JointSpec::new(base, &codes, &shared)?, o)
    })?
    .map_err(to_py)?;
    Ok(PyJointFit { inner: Arc::new(fit) })
}

/// The joint objective and its gradient (plain joint coordinates: shared parameters, then each
/// group's own) at each group's internal parameters `thetas`, groups x k (tests against the reference).
#[pyfunction]
#[pyo3(signature = (law, columns, loss, groups, shared, thetas, *, weights=None, objective="huber_log", delta=1e-3,
    asymmetry=2.0))]
#[allow(clippy::too_many_arguments)]
pub fn joint_objective_value_grad<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    groups: Vec<i64>,
    shared: Vec<usize>,
    thetas: &Bound<'py, PyAny>,
    weights: Option<&Bound<'py, PyAny>>,
    objective: &str,
    delta: f64,
    asymmetry: f64,
) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
    let objective = Objective::parse(objective, delta, asymmetry).map_err(to_py)?;
    let columns = owned_columns(columns)?;
    let loss = FloatArray::extract("loss", loss)?.as_slice().to_vec();
    let weights = weights.map(|w| FloatArray::extract("weights", w).map(|a| a.as_slice().to_vec())).transpose()?;
    let thetas = rows("thetas", thetas)?;
    let (f, g) = detached(py, || {
        let base =
            FitSpec::new(law, columns, loss, weights, objective, vec![], vec![], Init::Auto, LbfgsOptions::default())?;
        joint_value_grad(&JointSpec::new(base, &groups, &shared)?, &thetas)
    })?
    .map_err(to_py)?;
    Ok((f, g.into_pyarray(py)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJointFit>()?;
    m.add_function(wrap_pyfunction!(joint_fit, m)?)?;
    m.add_function(wrap_pyfunction!(joint_fit_from_state, m)?)?;
    m.add_function(wrap_pyfunction!(joint_objective_value_grad, m)?)?;
    Ok(())
}
