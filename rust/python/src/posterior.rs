//! Bindings of the core's posterior module: Laplace approximation, the ensemble sampler, MCMC
//! diagnostics, Gaussian draws and predictions under many draws. Conversion and error mapping only.

use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use scalecore_core::laws;
use scalecore_core::posterior::{self, EnsembleOptions, LogPosterior, Prior};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::fit::ColumnArgs;
use crate::run::{detached, run};

/// Priors as (kind, a, b): ("flat", lower, upper) or ("normal", mean, sd), in internal coordinates.
fn priors_of(specs: Vec<(String, f64, f64)>) -> PyResult<Vec<Prior>> {
    specs
        .into_iter()
        .map(|(kind, a, b)| match kind.as_str() {
            "flat" => Ok(Prior::Flat { lower: a, upper: b }),
            "normal" => Ok(Prior::Normal { mean: a, sd: b }),
            _ => Err(invalid("prior", format!("unknown prior kind {kind:?}; known: \"flat\", \"normal\""))),
        })
        .collect()
}

fn matrix<'py>(py: Python<'py>, flat: Vec<f64>, n: usize, k: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    Ok(Array2::from_shape_vec((n, k), flat).map_err(|e| invalid("rows", e.to_string()))?.into_pyarray(py))
}

type LaplaceOut<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>, f64);

/// The Laplace approximation from the start `theta` (internal coordinates): (mode, covariance, log density).
#[pyfunction]
#[pyo3(signature = (law, columns, loss, priors, theta))]
pub fn posterior_laplace<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    priors: Vec<(String, f64, f64)>,
    theta: Vec<f64>,
) -> PyResult<LaplaceOut<'py>> {
    let law = laws::get(law).map_err(to_py)?;
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let loss = FloatArray::extract("loss", loss)?;
    let priors = priors_of(priors)?;
    let (law_ref, y) = (law.as_ref(), loss.as_slice());
    let out = detached(py, || {
        let post = LogPosterior::new(law_ref, &cols, y, priors)?;
        posterior::laplace(&post, &theta)
    })?
    .map_err(to_py)?;
    let k = out.mode.len();
    Ok((out.mode.into_pyarray(py), matrix(py, out.covariance, k, k)?, out.log_density))
}

type EnsembleOut<'py> = (Bound<'py, PyArray3<f64>>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

/// Ensemble-sampler draws: (draws (walkers of all chains, steps, params), log densities, acceptance per chain).
#[pyfunction]
#[pyo3(signature = (law, columns, loss, priors, center, init_cov, *, n_chains, n_walkers, n_steps, n_burn, thin=1,
    stretch=2.0, seed=0, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn posterior_ensemble<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    priors: Vec<(String, f64, f64)>,
    center: Vec<f64>,
    init_cov: &Bound<'py, PyAny>,
    n_chains: usize,
    n_walkers: usize,
    n_steps: usize,
    n_burn: usize,
    thin: usize,
    stretch: f64,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<EnsembleOut<'py>> {
    let law = laws::get(law).map_err(to_py)?;
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let loss = FloatArray::extract("loss", loss)?;
    let cov = FloatMatrix::extract("init_cov", init_cov)?;
    let priors = priors_of(priors)?;
    let opts = EnsembleOptions { n_chains, n_walkers, n_steps, n_burn, thin, stretch, seed };
    let (law_ref, y, cov) = (law.as_ref(), loss.as_slice(), cov.as_slice());
    let out = run(py, n_threads, progress, |control| {
        let post = LogPosterior::new(law_ref, &cols, y, priors)?;
        posterior::sample(&post, &center, cov, &opts, control)
    })?;
    let w = n_chains * n_walkers;
    let draws =
        Array3::from_shape_vec((w, n_steps, out.n_params), out.draws).map_err(|e| invalid("draws", e.to_string()))?;
    Ok((draws.into_pyarray(py), matrix(py, out.log_density, w, n_steps)?, out.acceptance.into_pyarray(py)))
}

type Diagnostics<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Split R-hat and effective sample size of each column of `draws` (rows: chains of `n_draws`, chain-major).
#[pyfunction]
#[pyo3(signature = (draws, n_draws))]
pub fn mcmc_diagnostics<'py>(py: Python<'py>, draws: &Bound<'py, PyAny>, n_draws: usize) -> PyResult<Diagnostics<'py>> {
    let m = FloatMatrix::extract("draws", draws)?;
    let (rows, k) = m.shape();
    let data = m.as_slice();
    let per_param = detached(py, || {
        (0..k)
            .into_par_iter()
            .map(|j| {
                let col: Vec<f64> = (0..rows).map(|i| data[i * k + j]).collect();
                Ok((posterior::split_rhat(&col, n_draws)?, posterior::effective_sample_size(&col, n_draws)?))
            })
            .collect::<scalecore_core::error::Result<Vec<(f64, f64)>>>()
    })?
    .map_err(to_py)?;
    let (rhat, ess): (Vec<f64>, Vec<f64>) = per_param.into_iter().unzip();
    Ok((rhat.into_pyarray(py), ess.into_pyarray(py)))
}

/// `n` Gaussian draws (n x k), draw i from the stream (seed, i).
#[pyfunction]
#[pyo3(signature = (mean, covariance, n, seed))]
pub fn gaussian_draws<'py>(
    py: Python<'py>,
    mean: Vec<f64>,
    covariance: &Bound<'py, PyAny>,
    n: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let cov = FloatMatrix::extract("covariance", covariance)?;
    let k = mean.len();
    let c = cov.as_slice();
    let out = detached(py, || posterior::gaussian_draws(&mean, c, n, seed))?.map_err(to_py)?;
    matrix(py, out, n, k)
}

/// Predictions (draws x points) of `law` under each row of `thetas` (internal coordinates).
#[pyfunction]
#[pyo3(signature = (law, thetas, columns))]
pub fn predict_draws<'py>(
    py: Python<'py>,
    law: &str,
    thetas: &Bound<'py, PyAny>,
    columns: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let law = laws::get(law).map_err(to_py)?;
    let t = FloatMatrix::extract("thetas", thetas)?;
    let (rows, k) = t.shape();
    if k != law.n_params() {
        return Err(invalid("thetas", format!("needs {} columns for the {} law, got {k}", law.n_params(), law.name())));
    }
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let (law_ref, ts) = (law.as_ref(), t.as_slice());
    let out = detached(py, || posterior::predict_draws(law_ref, ts, &cols))?.map_err(to_py)?;
    let n = out.len().checked_div(rows).unwrap_or(0);
    matrix(py, out, rows, n)
}

/// The law's plausibility box in internal coordinates, one (lower, upper) per parameter: the default
/// flat prior.
#[pyfunction]
pub fn law_box(law: &str) -> PyResult<Vec<(f64, f64)>> {
    let law = laws::get(law).map_err(to_py)?;
    Ok(law.params().iter().map(|p| (p.lower, p.upper)).collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(posterior_laplace, m)?)?;
    m.add_function(wrap_pyfunction!(posterior_ensemble, m)?)?;
    m.add_function(wrap_pyfunction!(mcmc_diagnostics, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_draws, m)?)?;
    m.add_function(wrap_pyfunction!(predict_draws, m)?)?;
    m.add_function(wrap_pyfunction!(law_box, m)?)?;
    Ok(())
}
