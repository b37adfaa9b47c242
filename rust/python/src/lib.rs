//! PyO3 bindings of scalecore-core: argument conversion, GIL release and error mapping only.
//! Every call that computes runs on a thread pool this process owns (see `run`): `run::run` for heavy
//! work (progress, Ctrl-C), `run::detached` for light work.

mod allocation;
mod bootstrap;
mod bounds;
mod callable;
mod callback;
mod convert;
mod curves;
mod errors;
mod expr;
mod fit;
mod fleet;
mod fleet_joint;
mod inductive_bias;
mod isoflop;
mod joint;
mod kde;
mod options;
mod posterior;
mod profile;
mod regimes;
mod run;
mod statistic;
mod variance;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    options::register(m)?;
    fit::register(m)?;
    fleet::register(m)?;
    fleet_joint::register(m)?;
    expr::register(m)?;
    callable::register(m)?;
    allocation::register(m)?;
    bootstrap::register(m)?;
    bounds::register(m)?;
    inductive_bias::register(m)?;
    isoflop::register(m)?;
    curves::register(m)?;
    joint::register(m)?;
    kde::register(m)?;
    regimes::register(m)?;
    variance::register(m)?;
    posterior::register(m)?;
    profile::register(m)?;
    Ok(())
}
