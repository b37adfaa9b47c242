//! Bindings of the law registry, fitting and the closed-form allocation.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::fit::{Fitter, Init, LbfgsOptions, Objective, ParamMap, Problem};
use scalecore_core::laws::{self, Columns, Space, Transform};

use crate::errors::{invalid, to_py};
use crate::run::{detached, run};

/// Borrowed input columns by name ("x", "N", "D", "U", "C", "M").
pub struct ColumnArgs<'py>(Vec<(String, PyReadonlyArray1<'py, f64>)>);

impl<'py> ColumnArgs<'py> {
    pub fn extract(columns: &Bound<'py, PyDict>) -> PyResult<Self> {
        let mut out = Vec::new();
        for (k, v) in columns.iter() {
            out.push((k.extract::<String>()?, v.extract::<PyReadonlyArray1<'py, f64>>()?));
        }
        Ok(ColumnArgs(out))
    }
    pub fn columns(&self) -> PyResult<Columns<'_>> {
        let mut c = Columns::default();
        for (name, arr) in &self.0 {
            let s = arr.as_slice().map_err(|_| invalid(name, "must be a contiguous float64 array"))?;
            match name.as_str() {
                "x" => c.x = Some(s),
                "N" => c.n = Some(s),
                "D" => c.d = Some(s),
                "U" => c.u = Some(s),
                "C" => c.c = Some(s),
                "M" => c.m = Some(s),
                _ => return Err(invalid("columns", format!("unknown input column {name:?}"))),
            }
        }
        Ok(c)
    }
}

pub(crate) fn objective(name: &str, delta: f64, asymmetry: f64) -> PyResult<Objective> {
    Ok(match name {
        "huber_log" => Objective::HuberLog { delta },
        "lsq" => Objective::Lsq,
        "lsq_log" => Objective::LsqLog,
        "asymmetric" => Objective::Asymmetric { delta, weight: asymmetry },
        _ => {
            return Err(invalid(
                "objective",
                format!("unknown objective {name:?}; known: huber_log, lsq, lsq_log, asymmetric"),
            ))
        }
    })
}

/// Static description of a law: parameter names, whether each is optimised as its log, the start box
/// (internal coordinates), input columns and default grid.
#[pyfunction]
pub fn law_info<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(name).map_err(to_py)?;
    let d = PyDict::new(py);
    let params = law.params();
    d.set_item("param_names", params.iter().map(|p| p.name).collect::<Vec<_>>())?;
    d.set_item("log_params", params.iter().map(|p| p.transform == Transform::Log).collect::<Vec<_>>())?;
    d.set_item("bounds", params.iter().map(|p| (p.lower, p.upper)).collect::<Vec<_>>())?;
    d.set_item("inputs", law.inputs().to_vec())?;
    d.set_item("n_grid", law.default_grid().len())?;
    Ok(d)
}

#[pyfunction]
pub fn law_names() -> Vec<&'static str> {
    laws::names()
}

/// The law's default start grid, internal coordinates, one start per row.
#[pyfunction]
pub fn law_grid<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let law = laws::get(name).map_err(to_py)?;
    let flat: Vec<f64> = law.default_grid().into_iter().flatten().collect();
    Ok(flat.into_pyarray(py))
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
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let out = detached(py, || {
        let feats = law.features(&cols)?;
        let mut pred = vec![0.0; feats.n_rows];
        for (k, chunk) in pred.chunks_mut(1024).enumerate() {
            let start = k * 1024;
            law.predict_block(&theta, &feats, start, start + chunk.len(), Space::Linear, chunk, None);
        }
        Ok(pred)
    });
    Ok(out?.map_err(to_py)?.into_pyarray(py))
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
    loss: PyReadonlyArray1<'py, f64>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    objective_name: &str,
    delta: f64,
    asymmetry: f64,
) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
    let law = laws::get(law).map_err(to_py)?;
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let loss = loss.as_slice()?;
    let weight = weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let obj = objective(objective_name, delta, asymmetry)?;
    if theta.len() != law.n_params() {
        return Err(invalid("theta", format!("needs {} values, got {}", law.n_params(), theta.len())));
    }
    let (f, g) = detached(py, || {
        let problem = Problem::new(law.as_ref(), &cols, loss, weight, obj)?;
        let mut g = vec![0.0; theta.len()];
        let f = problem.value_grad(&theta, &mut g);
        Ok((f, g))
    })?
    .map_err(to_py)?;
    Ok((f, g.into_pyarray(py)))
}

/// Fit `law` to runs. `init` is "hoffmann", "auto" or a 2-D array of starts (internal coordinates).
/// `fixed` pairs a parameter index with its internal value; `ties` pairs parameter indices.
#[pyfunction]
#[pyo3(signature = (law, columns, loss, *, weight=None, objective_name="huber_log", delta=1e-3, asymmetry=2.0,
    init="auto", starts=None, fixed=vec![], ties=vec![], max_iter=1000, ftol=1e-13, gtol=1e-10,
    n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn fit_law<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: PyReadonlyArray1<'py, f64>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    objective_name: &str,
    delta: f64,
    asymmetry: f64,
    init: &str,
    starts: Option<PyReadonlyArray2<'py, f64>>,
    fixed: Vec<(usize, f64)>,
    ties: Vec<(usize, usize)>,
    max_iter: usize,
    ftol: f64,
    gtol: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(law).map_err(to_py)?;
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let loss = loss.as_slice()?;
    let weight = weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let obj = objective(objective_name, delta, asymmetry)?;
    let init = match (init, starts) {
        ("auto", None) => Init::Auto,
        ("hoffmann", None) => Init::Hoffmann,
        ("starts", Some(s)) => Init::Starts(s.as_array().rows().into_iter().map(|r| r.to_vec()).collect()),
        (other, _) => return Err(invalid("init", format!("unknown init {other:?}"))),
    };
    let lbfgs = LbfgsOptions { max_iter, ftol, gtol, ..LbfgsOptions::default() };
    let law_ref = law.as_ref();
    let out = run(py, n_threads, progress.as_ref(), |control| {
        let problem = Problem::new(law_ref, &cols, loss, weight, obj)?;
        let map = ParamMap::new(law_ref.n_params(), &fixed, &ties)?;
        let fitter = Fitter { problem: &problem, map, lbfgs };
        let outcome = fitter.fit(&init, control)?;
        let residuals = problem.residuals(&outcome.theta);
        Ok((outcome, residuals))
    })?;
    let (o, residuals) = out;
    let d = PyDict::new(py);
    d.set_item("theta", o.theta)?;
    d.set_item("objective", o.objective)?;
    d.set_item("converged", o.converged)?;
    d.set_item("stop", format!("{:?}", o.stop))?;
    d.set_item("iterations", o.iterations)?;
    d.set_item("evaluations", o.evaluations)?;
    d.set_item("n_starts", o.n_starts)?;
    d.set_item("n_screened", o.n_screened)?;
    d.set_item("n_at_best", o.n_at_best)?;
    d.set_item("n_converged", o.n_converged)?;
    d.set_item("start_objectives", o.start_objectives.into_pyarray(py))?;
    d.set_item("hessian", o.hessian.into_pyarray(py))?;
    d.set_item("free_index", o.free_index)?;
    d.set_item("residuals", residuals.into_pyarray(py))?;
    Ok(d)
}
