//! Bindings of laws defined by expressions: `define_law` registers one in the core (which parses and
//! checks it), `law_info` describes any law by name, and the definition travels inside a pickled fit
//! (`definition_state`, `restore_definition`) so that a worker process rebuilds the law before the fit.
//! A law given as a Python function (`callable`) travels the same way, its function pickled by the
//! pickler at hand (by reference with `pickle`, by value with cloudpickle).

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use scalecore_core::expr::{self, Definition};
use scalecore_core::laws::{self, Law, Transform};

use crate::errors::to_py;

/// (parameter names, which are fitted as logarithms, input columns, default grid size) of a law.
pub type LawInfo = (Vec<&'static str>, Vec<bool>, Vec<&'static str>, usize);

pub fn info(law: &dyn Law) -> LawInfo {
    let params = law.params();
    (
        params.iter().map(|p| p.name).collect(),
        params.iter().map(|p| p.transform == Transform::Log).collect(),
        law.inputs().to_vec(),
        law.default_grid().len(),
    )
}

type Bounds = Vec<(String, f64, f64)>;
type Grid = Vec<(String, Vec<f64>)>;
/// A definition as plain Python values (what `define_law` takes, positionally).
type State = (String, String, Option<Vec<String>>, Vec<String>, Bounds, Option<Vec<String>>, Grid);

/// Parse, check and register the law `name` given by `expr`; returns its description as in `LAWS`.
/// Parameters are the names that are not inputs (or `params`, in that order); `positive` ones are
/// fitted as logarithms; `bounds` (public values) and `grid` (public start values) shape the start grid.
#[pyfunction]
#[pyo3(signature = (name, expr, *, params=None, positive=vec![], bounds=vec![], inputs=None, grid=vec![]))]
#[allow(clippy::too_many_arguments)]
pub fn define_law(
    py: Python<'_>,
    name: String,
    expr: String,
    params: Option<Vec<String>>,
    positive: Vec<String>,
    bounds: Bounds,
    inputs: Option<Vec<String>>,
    grid: Grid,
) -> PyResult<LawInfo> {
    let def = Definition { name, expr, params, positive, bounds, inputs, grid };
    let law = py.detach(|| expr::define(def)).map_err(to_py)?;
    Ok(info(&law))
}

/// The description of any law (built-in or defined) by name.
#[pyfunction]
pub fn law_info(name: &str) -> PyResult<LawInfo> {
    let law = laws::get(name).map_err(to_py)?;
    Ok(info(law.as_ref()))
}

/// Names of the laws defined in this process, sorted.
#[pyfunction]
pub fn defined_laws() -> Vec<String> {
    expr::defined_names()
}

/// The definition of a defined law, as the arguments of `define_law` (an expression) or of
/// `define_fn_law` (a function); None for a built-in law.
#[pyfunction]
pub fn law_definition<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let law = laws::get(name).map_err(to_py)?;
    definition_state(py, law.as_ref())
}

fn state(d: &Definition) -> State {
    (
        d.name.clone(),
        d.expr.clone(),
        d.params.clone(),
        d.positive.clone(),
        d.bounds.clone(),
        d.inputs.clone(),
        d.grid.clone(),
    )
}

/// The definition of `law` for a pickle (None for a built-in law).
pub fn definition_state<'py>(py: Python<'py>, law: &dyn Law) -> PyResult<Bound<'py, PyAny>> {
    if let Some(host) = crate::callable::host(law) {
        return Ok(host.state(py).into_any());
    }
    match law.definition() {
        Some(d) => Ok(state(d).into_pyobject(py)?.into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

/// Register the law a pickle carries (the item `index` of `data`, when present and not None).
pub fn restore_definition(py: Python<'_>, data: &Bound<'_, PyTuple>, index: usize) -> PyResult<()> {
    if data.len() <= index {
        return Ok(());
    }
    let item = data.get_item(index)?;
    if item.is_none() {
        return Ok(());
    }
    // A function's definition has 8 items, an expression's 7.
    if item.len()? == 8 {
        return crate::callable::restore(py, item.cast()?);
    }
    let (name, expr, params, positive, bounds, inputs, grid): State = item.extract()?;
    let def = Definition { name, expr, params, positive, bounds, inputs, grid };
    // The same definition may already be registered (the process that pickled it): keep that one.
    if expr::lookup(&def.name).is_some_and(|l| l.definition() == Some(&def)) {
        return Ok(());
    }
    py.detach(|| expr::define(def)).map_err(to_py)?;
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(define_law, m)?)?;
    m.add_function(wrap_pyfunction!(law_info, m)?)?;
    m.add_function(wrap_pyfunction!(defined_laws, m)?)?;
    m.add_function(wrap_pyfunction!(law_definition, m)?)?;
    Ok(())
}
