//! Bindings of the core's `bootstrap` module: fit bootstraps (replicates and jackknife refits),
//! built-in statistics, resampling indices for Python callables, and intervals.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::bootstrap::{self as core, FitBootstrap, Method, Resampler, Scheme, Statistic, Whitening};
use scalecore_core::fit::{Fitter, LbfgsOptions, ParamMap, Problem};
use scalecore_core::laws;

use crate::errors::{invalid, to_py};
use crate::fit::{objective, ColumnArgs};
use crate::run::{detached, run};

fn slice<'a>(name: &str, a: &'a PyReadonlyArray1<'_, f64>) -> PyResult<&'a [f64]> {
    a.as_slice().map_err(|_| invalid(name, "must be a contiguous float64 array"))
}

/// Refits of bootstrap replicates `first..first + count` of a fit (or, with `jackknife` group codes
/// 0..G per run, the G leave-one-group-out refits). `theta_hat` is the full-data optimum (internal
/// coordinates). Returns theta (rows x k, internal), objective and failed per row, and the number of
/// guard optima used.
#[pyfunction]
#[pyo3(signature = (law, columns, loss, theta_hat, *, weight=None, objective_name="huber_log", delta=1e-3,
    asymmetry=2.0, fixed=vec![], ties=vec![], scheme="pairs", wild_weights="rademacher", group=None, seed=0,
    first=0, count=1000, robust=false, jackknife=None, max_iter=1000, ftol=1e-13, gtol=1e-10, n_threads=None,
    progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_fit<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: PyReadonlyArray1<'py, f64>,
    theta_hat: Vec<f64>,
    weight: Option<PyReadonlyArray1<'py, f64>>,
    objective_name: &str,
    delta: f64,
    asymmetry: f64,
    fixed: Vec<(usize, f64)>,
    ties: Vec<(usize, usize)>,
    scheme: &str,
    wild_weights: &str,
    group: Option<PyReadonlyArray1<'py, i64>>,
    seed: u64,
    first: u64,
    count: usize,
    robust: bool,
    jackknife: Option<PyReadonlyArray1<'py, i64>>,
    max_iter: usize,
    ftol: f64,
    gtol: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(law).map_err(to_py)?;
    let k = law.n_params();
    if theta_hat.len() != k || theta_hat.iter().any(|v| !v.is_finite()) {
        return Err(invalid("theta_hat", format!("needs {k} finite values, got {theta_hat:?}")));
    }
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let loss = slice("loss", &loss)?;
    let weight = weight.as_ref().map(|w| slice("weight", w)).transpose()?;
    let obj = objective(objective_name, delta, asymmetry)?;
    let group = group.as_ref().map(|g| g.as_slice()).transpose()?;
    let scheme = Scheme::parse(scheme, wild_weights, group, loss.len()).map_err(to_py)?;
    let jack: Option<(Vec<usize>, usize)> = match &jackknife {
        None => None,
        Some(codes) => {
            let codes = codes.as_slice()?;
            let n_groups = codes.iter().copied().max().unwrap_or(-1) + 1;
            if codes.len() != loss.len() || codes.iter().any(|&c| c < 0) || n_groups < 2 {
                return Err(invalid("jackknife", "needs a group code in 0..G (G >= 2) per run"));
            }
            Some((codes.iter().map(|&c| c as usize).collect(), n_groups as usize))
        }
    };
    let lbfgs = LbfgsOptions { max_iter, ftol, gtol, ..LbfgsOptions::default() };
    let law_ref = law.as_ref();
    let (refits, n_guards) = run(py, n_threads, progress.as_ref(), |control| {
        let problem = Problem::new(law_ref, &cols, loss, weight, obj)?;
        let map = ParamMap::new(k, &fixed, &ties)?;
        let resampler = Resampler::new(scheme, &problem, &theta_hat, weight, map.n_free())?;
        let whitening = Whitening::new(&Fitter { problem: &problem, map: map.clone(), lbfgs }, &theta_hat);
        let boot =
            FitBootstrap { problem: &problem, map, lbfgs, theta_hat: theta_hat.clone(), resampler, robust, whitening };
        let prep = boot.prepare(control)?;
        let refits = match &jack {
            Some((codes, n_groups)) => boot.jackknife(&prep, codes, *n_groups, control)?,
            None => boot.replicates(&prep, seed, first, count, control)?,
        };
        Ok((refits, prep.guards.len()))
    })?;
    let rows = refits.failed.len();
    let theta = Array2::from_shape_vec((rows, k), refits.theta).map_err(|e| invalid("theta", e.to_string()))?;
    let d = PyDict::new(py);
    d.set_item("theta", theta.into_pyarray(py))?;
    d.set_item("objective", refits.objective.into_pyarray(py))?;
    d.set_item("failed", refits.failed.into_pyarray(py))?;
    d.set_item("n_guards", n_guards)?;
    Ok(d)
}

fn statistic(name: &str, q: f64, ddof: f64, proportiontocut: f64) -> PyResult<Statistic> {
    Ok(match name {
        "mean" => Statistic::Mean,
        "median" => Statistic::Median,
        "quantile" => Statistic::Quantile(q),
        "var" => Statistic::Var { ddof },
        "std" => Statistic::Std { ddof },
        "trimmed_mean" => Statistic::TrimmedMean(proportiontocut),
        "correlation" => Statistic::Correlation,
        "mean_difference" => Statistic::MeanDifference,
        _ => return Err(invalid("statistic", format!("unknown built-in statistic {name:?}"))),
    })
}

/// Bootstrap distribution of a built-in statistic over replicates `first..first + count`, its value
/// on the data and (with `jackknife=True`) its leave-one-out values, one array per sample.
#[pyfunction]
#[pyo3(signature = (samples, statistic_name, *, q=0.5, ddof=0.0, proportiontocut=0.1, paired=false, seed=0,
    first=0, count=9999, jackknife=true, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_statistic<'py>(
    py: Python<'py>,
    samples: Vec<PyReadonlyArray1<'py, f64>>,
    statistic_name: &str,
    q: f64,
    ddof: f64,
    proportiontocut: f64,
    paired: bool,
    seed: u64,
    first: u64,
    count: usize,
    jackknife: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let stat = statistic(statistic_name, q, ddof, proportiontocut)?;
    let slices: Vec<&[f64]> = samples.iter().map(|s| slice("data", s)).collect::<PyResult<_>>()?;
    let paired = stat.validate(&slices, paired).map_err(to_py)?;
    let (dist, estimate, jack) = run(py, n_threads, progress.as_ref(), |control| {
        let dist = core::statistics::distribution(stat, &slices, paired, seed, first, count, control)?;
        let jack = if jackknife { stat.jackknife(&slices, paired) } else { Vec::new() };
        Ok((dist, stat.estimate(&slices), jack))
    })?;
    let d = PyDict::new(py);
    d.set_item("distribution", dist.into_pyarray(py))?;
    d.set_item("estimate", estimate)?;
    d.set_item("jackknife", jack.into_iter().map(|j| j.into_pyarray(py)).collect::<Vec<_>>())?;
    d.set_item("paired", paired)?;
    Ok(d)
}

/// The resampling indices of replicates `first..first + count` for samples of the given sizes, one
/// (count x n_j) array per sample (one array when paired): the resamples the built-in statistics use.
#[pyfunction]
#[pyo3(signature = (sizes, *, paired=false, seed=0, first=0, count=1))]
pub fn bootstrap_indices<'py>(
    py: Python<'py>,
    sizes: Vec<usize>,
    paired: bool,
    seed: u64,
    first: u64,
    count: usize,
) -> PyResult<Vec<Bound<'py, PyArray2<u32>>>> {
    let sets =
        detached(py, || core::statistics::resample_indices(&sizes, paired, seed, first, count))?.map_err(to_py)?;
    let widths: Vec<usize> = if paired { vec![sizes[0]] } else { sizes.clone() };
    sets.into_iter()
        .zip(widths)
        .map(|(v, n)| {
            let a = Array2::from_shape_vec((count, n), v).map_err(|e| invalid("sizes", e.to_string()))?;
            Ok(a.into_pyarray(py))
        })
        .collect()
}

/// Two-sided interval at `level` from a bootstrap distribution: "percentile", "basic" or "bca"
/// (which needs the jackknife values, one array per independent sample).
#[pyfunction]
#[pyo3(signature = (distribution, theta_hat, jackknife, level=0.95, method="percentile"))]
pub fn bootstrap_interval<'py>(
    py: Python<'py>,
    distribution: PyReadonlyArray1<'py, f64>,
    theta_hat: f64,
    jackknife: Vec<PyReadonlyArray1<'py, f64>>,
    level: f64,
    method: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let method = Method::parse(method).map_err(to_py)?;
    let dist = slice("distribution", &distribution)?;
    let jack: Vec<&[f64]> = jackknife.iter().map(|j| slice("jackknife", j)).collect::<PyResult<_>>()?;
    let iv = core::interval(dist, theta_hat, &jack, level, method).map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("low", iv.low)?;
    d.set_item("high", iv.high)?;
    d.set_item("levels", iv.levels)?;
    d.set_item("z0", iv.z0)?;
    d.set_item("a_hat", iv.a_hat)?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bootstrap_fit, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_statistic, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_indices, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_interval, m)?)?;
    Ok(())
}
