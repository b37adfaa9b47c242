//! PyO3 bindings of scalecore-core: argument conversion, GIL release and error mapping only.
//! Every call that computes runs on a thread pool this process owns (see `run`): `run::run` for heavy
//! work (progress, Ctrl-C), `run::detached` for light work.

mod allocation;
mod bootstrap;
mod bounds;
mod convert;
mod errors;
mod fit;
mod inductive_bias;
mod kde;
mod regimes;
mod run;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(fit::law_names, m)?)?;
    m.add_function(wrap_pyfunction!(fit::law_info, m)?)?;
    m.add_function(wrap_pyfunction!(fit::law_grid, m)?)?;
    m.add_function(wrap_pyfunction!(fit::law_predict, m)?)?;
    m.add_function(wrap_pyfunction!(fit::objective_value_grad, m)?)?;
    m.add_function(wrap_pyfunction!(fit::fit_law, m)?)?;
    allocation::register(m)?;
    bootstrap::register(m)?;
    bounds::register(m)?;
    inductive_bias::register(m)?;
    kde::register(m)?;
    regimes::register(m)?;
    Ok(())
}
