//! Option names and law metadata, read from the core once at import.
//!
//! Each option's names are owned by its core enum (`parse` reads them, `NAMES` lists them); this module
//! exports those lists as module constants so that Python's error messages and early checks use the
//! same names, never a copy typed again. `LAWS` is the static description of every law (parameter
//! names, which are fitted as logarithms, input columns, default grid size), so that looking a law up
//! never crosses into the extension.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use scalecore_core::bootstrap::{Derived, Method, Resampling, Scheme, Statistic, WildWeights};
use scalecore_core::fit::{Init, Objective, Stop};
use scalecore_core::laws::{self, Transform};

use crate::errors::to_py;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("OBJECTIVES", PyTuple::new(py, Objective::NAMES)?)?;
    m.add("INIT_MODES", PyTuple::new(py, Init::NAMES)?)?;
    m.add("SCHEMES", PyTuple::new(py, Scheme::NAMES)?)?;
    m.add("WILD_WEIGHTS", PyTuple::new(py, WildWeights::NAMES)?)?;
    m.add("INTERVAL_METHODS", PyTuple::new(py, Method::NAMES)?)?;
    m.add("STATISTICS", PyTuple::new(py, Statistic::NAMES)?)?;
    m.add("BLOCKS", PyTuple::new(py, Resampling::NAMES)?)?;
    m.add("DERIVED", PyTuple::new(py, Derived::NAMES)?)?;
    m.add("STOP_REASONS", PyTuple::new(py, Stop::ALL.map(|s| s.name()))?)?;
    let table = PyDict::new(py);
    for name in laws::names() {
        let law = laws::get(name).map_err(to_py)?;
        let params = law.params();
        let names = PyTuple::new(py, params.iter().map(|p| p.name))?;
        let logs = PyTuple::new(py, params.iter().map(|p| p.transform == Transform::Log))?;
        let inputs = PyTuple::new(py, law.inputs())?;
        table.set_item(name, (names, logs, inputs, law.default_grid().len()))?;
    }
    m.add("LAWS", table)?;
    Ok(())
}
