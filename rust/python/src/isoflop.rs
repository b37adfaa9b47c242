//! Bindings of the core's `isoflop` module: per-budget minima of an IsoFLOP sweep and the exponent of
//! N_opt ~ C^a, their bootstrap, and the efficient frontier of training curves.

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::isoflop::{self, Options, Sweep};

use crate::convert::FloatArray;
use crate::errors::to_py;
use crate::run::{detached, run};

/// The float columns of a sweep, read once.
struct Columns<'py> {
    ln_n: FloatArray<'py>,
    loss: FloatArray<'py>,
    ln_c: FloatArray<'py>,
    weight: Option<FloatArray<'py>>,
}

impl<'py> Columns<'py> {
    fn extract(
        ln_n: &Bound<'py, PyAny>,
        loss: &Bound<'py, PyAny>,
        ln_c: &Bound<'py, PyAny>,
        weight: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        Ok(Columns {
            ln_n: FloatArray::extract("N", ln_n)?,
            loss: FloatArray::extract("loss", loss)?,
            ln_c: FloatArray::extract("C", ln_c)?,
            weight: weight.map(|w| FloatArray::extract("weight", w)).transpose()?,
        })
    }

    fn sweep<'a>(&'a self, budget: &'a [usize]) -> Sweep<'a> {
        Sweep { ln_n: self.ln_n.as_slice(), loss: self.loss.as_slice(), budget, ln_c: self.ln_c.as_slice() }
    }

    fn weight(&self) -> Option<&[f64]> {
        self.weight.as_ref().map(FloatArray::as_slice)
    }
}

/// Per-budget minima of an IsoFLOP sweep and the exponent a of N_opt ~ C^a. `refusal` holds 0 for a
/// budget with a minimum, else a code, and `messages` the reason.
#[pyfunction]
#[pyo3(signature = (ln_n, loss, budget, ln_c, degree=2, near=None, weight=None))]
#[allow(clippy::too_many_arguments)]
pub fn isoflop_fit<'py>(
    py: Python<'py>,
    ln_n: &Bound<'py, PyAny>,
    loss: &Bound<'py, PyAny>,
    budget: Vec<usize>,
    ln_c: &Bound<'py, PyAny>,
    degree: usize,
    near: Option<usize>,
    weight: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let cols = Columns::extract(ln_n, loss, ln_c, weight)?;
    let (sweep, weight) = (cols.sweep(&budget), cols.weight());
    let opts = Options { degree, near };
    let fit = detached(py, || isoflop::isoflop(&sweep, &opts, weight))?.map_err(to_py)?;
    let d = PyDict::new(py);
    let pick = |k: usize| -> Vec<f64> {
        fit.budgets.iter().map(|b| b.map_or(f64::NAN, |v| if k == 0 { v.0 } else { v.1 })).collect()
    };
    d.set_item("ln_n_opt", pick(0).into_pyarray(py))?;
    d.set_item("loss_opt", pick(1).into_pyarray(py))?;
    d.set_item(
        "refusal",
        fit.budgets.iter().map(|b| b.err().map_or(0, |r| u32::from(r.code()))).collect::<Vec<u32>>(),
    )?;
    d.set_item(
        "messages",
        fit.budgets.iter().map(|b| b.err().map_or(String::new(), |r| r.to_string())).collect::<Vec<_>>(),
    )?;
    d.set_item("exponent", fit.exponent)?;
    d.set_item("intercept", fit.intercept)?;
    Ok(d)
}

/// Bootstrap of an IsoFLOP analysis through both stages (see the core's `isoflop_bootstrap`).
#[pyfunction]
#[pyo3(signature = (ln_n, loss, budget, ln_c, degree=2, near=None, weight=None, n_resamples=1000, seed=0, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn isoflop_bootstrap<'py>(
    py: Python<'py>,
    ln_n: &Bound<'py, PyAny>,
    loss: &Bound<'py, PyAny>,
    budget: Vec<usize>,
    ln_c: &Bound<'py, PyAny>,
    degree: usize,
    near: Option<usize>,
    weight: Option<&Bound<'py, PyAny>>,
    n_resamples: usize,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let cols = Columns::extract(ln_n, loss, ln_c, weight)?;
    let (sweep, weight) = (cols.sweep(&budget), cols.weight());
    let opts = Options { degree, near };
    let b = run(py, n_threads, progress.as_ref(), |control| {
        isoflop::isoflop_bootstrap(&sweep, &opts, weight, n_resamples, seed, control)
    })?;
    let d = PyDict::new(py);
    d.set_item("exponent", b.exponent.into_pyarray(py))?;
    d.set_item("intercept", b.intercept.into_pyarray(py))?;
    d.set_item("ln_n_opt", b.ln_n_opt.into_pyarray(py))?;
    d.set_item("loss_opt", b.loss_opt.into_pyarray(py))?;
    d.set_item("n_failed", b.n_failed)?;
    Ok(d)
}

/// Efficient frontier of training curves (approach 1): grid ln C, lowest loss and the model index.
#[pyfunction]
#[pyo3(signature = (model, ln_c, loss, n_models, n_grid=256))]
pub fn efficient_frontier<'py>(
    py: Python<'py>,
    model: Vec<usize>,
    ln_c: &Bound<'py, PyAny>,
    loss: &Bound<'py, PyAny>,
    n_models: usize,
    n_grid: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (ln_c, loss) = (FloatArray::extract("C", ln_c)?, FloatArray::extract("loss", loss)?);
    let (ln_c, loss) = (ln_c.as_slice(), loss.as_slice());
    let f = detached(py, || isoflop::efficient_frontier(&model, ln_c, loss, n_models, n_grid))?.map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("ln_c", f.ln_c.into_pyarray(py))?;
    d.set_item("loss", f.loss.into_pyarray(py))?;
    d.set_item("model", f.model)?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(isoflop_fit, m)?)?;
    m.add_function(wrap_pyfunction!(isoflop_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(efficient_frontier, m)?)?;
    Ok(())
}
