//! Bindings of the core's `allocation` and `isoflop` modules.

use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::allocation::{self, Allocation, Budgets, CostModel};
use scalecore_core::isoflop::{self, Options, Sweep};
use scalecore_core::laws;

use crate::errors::{invalid, to_py};
use crate::run::{detached, run};

fn slice<'a>(name: &str, a: &'a PyReadonlyArray1<'_, f64>) -> PyResult<&'a [f64]> {
    a.as_slice().map_err(|_| invalid(name, "must be a contiguous float64 array"))
}

fn allocation_dict<'py>(py: Python<'py>, a: Allocation) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("N", a.n.into_pyarray(py))?;
    d.set_item("D", a.d.into_pyarray(py))?;
    d.set_item("loss", a.loss.into_pyarray(py))?;
    d.set_item("status", a.status.iter().map(|s| *s as u8).collect::<Vec<u8>>().into_pyarray(py))?;
    Ok(d)
}

/// Compute-optimal N, D and loss for each budget; `status` 0 optimal, 1/2 optimum at the fewest/most
/// tokens searched. Arrays `compute`, `inference_tokens` (and `unique_tokens`) have one value per budget.
#[pyfunction]
#[pyo3(signature = (law, theta, compute, inference_tokens, unique_tokens=None, flops_per_param_token=6.0, n_threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn allocate_law<'py>(
    py: Python<'py>,
    law: &str,
    theta: Vec<f64>,
    compute: PyReadonlyArray1<'py, f64>,
    inference_tokens: PyReadonlyArray1<'py, f64>,
    unique_tokens: Option<PyReadonlyArray1<'py, f64>>,
    flops_per_param_token: f64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(law).map_err(to_py)?;
    let compute = slice("compute", &compute)?;
    let inference = slice("inference_tokens", &inference_tokens)?;
    let unique = unique_tokens.as_ref().map(|u| slice("unique_tokens", u)).transpose()?;
    let cost = CostModel { flops_per_param_token };
    let law_ref = law.as_ref();
    let out = run(py, n_threads, None, |control| {
        let budgets = Budgets { compute, inference_tokens: inference, unique_tokens: unique };
        allocation::allocate(law_ref, &theta, &budgets, &cost, control)
    })?;
    allocation_dict(py, out)
}

/// Allocation under each row of `thetas` (bootstrap replicates): flat replicate-major arrays N, D,
/// loss (NaN for replicates whose parameters admit no allocation) and `n_failed`.
#[pyfunction]
#[pyo3(signature = (law, thetas, compute, inference_tokens, unique_tokens=None, flops_per_param_token=6.0, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn allocate_law_many<'py>(
    py: Python<'py>,
    law: &str,
    thetas: PyReadonlyArray2<'py, f64>,
    compute: PyReadonlyArray1<'py, f64>,
    inference_tokens: PyReadonlyArray1<'py, f64>,
    unique_tokens: Option<PyReadonlyArray1<'py, f64>>,
    flops_per_param_token: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(law).map_err(to_py)?;
    let thetas: Vec<Vec<f64>> = thetas.as_array().rows().into_iter().map(|r| r.to_vec()).collect();
    let compute = slice("compute", &compute)?;
    let inference = slice("inference_tokens", &inference_tokens)?;
    let unique = unique_tokens.as_ref().map(|u| slice("unique_tokens", u)).transpose()?;
    let cost = CostModel { flops_per_param_token };
    let law_ref = law.as_ref();
    let nb = compute.len();
    let results = run(py, n_threads, progress.as_ref(), |control| {
        let budgets = Budgets { compute, inference_tokens: inference, unique_tokens: unique };
        allocation::allocate_many(law_ref, &thetas, &budgets, &cost, control)
    })?;
    let mut all = Allocation::default();
    let mut n_failed = 0usize;
    for r in results {
        match r {
            Ok(a) => {
                all.n.extend(a.n);
                all.d.extend(a.d);
                all.loss.extend(a.loss);
                all.status.extend(a.status);
            }
            Err(_) => {
                n_failed += 1;
                all.n.extend(std::iter::repeat_n(f64::NAN, nb));
                all.d.extend(std::iter::repeat_n(f64::NAN, nb));
                all.loss.extend(std::iter::repeat_n(f64::NAN, nb));
                all.status.extend(std::iter::repeat_n(allocation::Status::Unreachable, nb));
            }
        }
    }
    let d = allocation_dict(py, all)?;
    d.set_item("n_failed", n_failed)?;
    Ok(d)
}

/// Least compute whose optimal allocation reaches each target loss; `status` 3 where unreachable
/// (then `loss` holds the lowest loss reachable with 1e59 FLOPs).
#[pyfunction]
#[pyo3(signature = (law, theta, targets, inference_tokens, unique_tokens=None, flops_per_param_token=6.0, n_threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn compute_for_loss_law<'py>(
    py: Python<'py>,
    law: &str,
    theta: Vec<f64>,
    targets: PyReadonlyArray1<'py, f64>,
    inference_tokens: PyReadonlyArray1<'py, f64>,
    unique_tokens: Option<PyReadonlyArray1<'py, f64>>,
    flops_per_param_token: f64,
    n_threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(law).map_err(to_py)?;
    let targets = slice("loss", &targets)?;
    let inference = slice("inference_tokens", &inference_tokens)?;
    let unique = unique_tokens.as_ref().map(|u| slice("unique_tokens", u)).transpose()?;
    let cost = CostModel { flops_per_param_token };
    let law_ref = law.as_ref();
    let (compute, alloc) = run(py, n_threads, None, |control| {
        allocation::compute_for_loss(law_ref, &theta, targets, inference, unique, &cost, control)
    })?;
    let d = allocation_dict(py, alloc)?;
    d.set_item("compute", compute.into_pyarray(py))?;
    Ok(d)
}

fn sweep_options(degree: usize, near: Option<usize>) -> Options {
    Options { degree, near }
}

/// Per-budget minima of an IsoFLOP sweep and the exponent a of N_opt ~ C^a. `refusal` holds 0 for a
/// budget with a minimum, else a code, and `messages` the reason.
#[pyfunction]
#[pyo3(signature = (ln_n, loss, budget, ln_c, degree=2, near=None, weight=None))]
#[allow(clippy::too_many_arguments)]
pub fn isoflop_fit<'py>(
    py: Python<'py>,
    ln_n: PyReadonlyArray1<'py, f64>,
    loss: PyReadonlyArray1<'py, f64>,
    budget: Vec<usize>,
    ln_c: PyReadonlyArray1<'py, f64>,
    degree: usize,
    near: Option<usize>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let weight = weight.as_ref().map(|w| slice("weight", w)).transpose()?;
    let sweep =
        Sweep { ln_n: slice("N", &ln_n)?, loss: slice("loss", &loss)?, budget: &budget, ln_c: slice("C", &ln_c)? };
    let opts = sweep_options(degree, near);
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
    ln_n: PyReadonlyArray1<'py, f64>,
    loss: PyReadonlyArray1<'py, f64>,
    budget: Vec<usize>,
    ln_c: PyReadonlyArray1<'py, f64>,
    degree: usize,
    near: Option<usize>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    n_resamples: usize,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let sweep =
        Sweep { ln_n: slice("N", &ln_n)?, loss: slice("loss", &loss)?, budget: &budget, ln_c: slice("C", &ln_c)? };
    let opts = sweep_options(degree, near);
    let weight = weight.as_ref().map(|w| slice("weight", w)).transpose()?;
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
    ln_c: PyReadonlyArray1<'py, f64>,
    loss: PyReadonlyArray1<'py, f64>,
    n_models: usize,
    n_grid: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (ln_c, loss) = (slice("C", &ln_c)?, slice("loss", &loss)?);
    let f = detached(py, || isoflop::efficient_frontier(&model, ln_c, loss, n_models, n_grid))?.map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("ln_c", f.ln_c.into_pyarray(py))?;
    d.set_item("loss", f.loss.into_pyarray(py))?;
    d.set_item("model", f.model)?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(allocate_law, m)?)?;
    m.add_function(wrap_pyfunction!(allocate_law_many, m)?)?;
    m.add_function(wrap_pyfunction!(compute_for_loss_law, m)?)?;
    m.add_function(wrap_pyfunction!(isoflop_fit, m)?)?;
    m.add_function(wrap_pyfunction!(isoflop_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(efficient_frontier, m)?)?;
    Ok(())
}
