//! Bindings of the statistic bootstrap (built-in statistics, resampling indices for Python callables)
//! and of the one interval path (percentile, basic, BCa) every bootstrap result uses.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::bootstrap::{self as core, Method, Statistic};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::run::{detached, run};

/// Bootstrap distribution of a built-in statistic over replicates `first..first + count`, its value
/// on the data and (with `jackknife=True`) its leave-one-out values, one array per sample.
#[pyfunction]
#[pyo3(signature = (samples, statistic_name, *, q=0.5, ddof=0.0, proportiontocut=0.1, paired=false, seed=0,
    first=0, count=9999, jackknife=true, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_statistic<'py>(
    py: Python<'py>,
    samples: Vec<Bound<'py, PyAny>>,
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
    let stat = Statistic::parse(statistic_name, q, ddof, proportiontocut).map_err(to_py)?;
    let arrays: Vec<FloatArray> = samples.iter().map(|s| FloatArray::extract("data", s)).collect::<PyResult<_>>()?;
    let slices: Vec<&[f64]> = arrays.iter().map(FloatArray::as_slice).collect();
    let paired = stat.validate(&slices, paired).map_err(to_py)?;
    scalecore_core::memory::ensure_allocatable("n_resamples", count, count, 8).map_err(to_py)?;
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
/// (which needs the jackknife values, one array per independent sample), with the BCa quantities.
#[pyfunction]
#[pyo3(signature = (distribution, theta_hat, jackknife, level=0.95, method="percentile"))]
pub fn bootstrap_interval<'py>(
    py: Python<'py>,
    distribution: &Bound<'py, PyAny>,
    theta_hat: f64,
    jackknife: Vec<Bound<'py, PyAny>>,
    level: f64,
    method: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let method = Method::parse(method).map_err(to_py)?;
    let dist = FloatArray::extract("distribution", distribution)?;
    let jack: Vec<FloatArray> =
        jackknife.iter().map(|j| FloatArray::extract("jackknife", j)).collect::<PyResult<_>>()?;
    let jack: Vec<&[f64]> = jack.iter().map(FloatArray::as_slice).collect();
    let iv = core::interval(dist.as_slice(), theta_hat, &jack, level, method).map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("low", iv.low)?;
    d.set_item("high", iv.high)?;
    d.set_item("levels", iv.levels)?;
    d.set_item("z0", iv.z0)?;
    d.set_item("a_hat", iv.a_hat)?;
    Ok(d)
}

/// Lower and upper ends, one per quantity.
type Bounds<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Intervals of several quantities at once: column j of `samples` (rows = replicates) around
/// `estimates[j]`, with the jackknife values in column j of `jackknife` for BCa (one sample each).
/// Returns (low, high), one value per column.
#[pyfunction]
#[pyo3(signature = (samples, estimates, jackknife=None, level=0.95, method="percentile"))]
pub fn bootstrap_intervals<'py>(
    py: Python<'py>,
    samples: &Bound<'py, PyAny>,
    estimates: &Bound<'py, PyAny>,
    jackknife: Option<&Bound<'py, PyAny>>,
    level: f64,
    method: &str,
) -> PyResult<Bounds<'py>> {
    let method = Method::parse(method).map_err(to_py)?;
    let samples = FloatMatrix::extract("samples", samples)?;
    let estimates = FloatArray::extract("estimates", estimates)?;
    let jack = jackknife.map(|j| FloatMatrix::extract("jackknife", j)).transpose()?;
    let (n, q) = samples.shape();
    if estimates.len() != q || jack.as_ref().is_some_and(|j| j.shape().1 != q) {
        return Err(invalid("estimates", format!("needs one value per column of samples ({q})")));
    }
    let column =
        |m: &FloatMatrix, rows: usize, j: usize| -> Vec<f64> { (0..rows).map(|i| m.as_slice()[i * q + j]).collect() };
    let (mut low, mut high) = (Vec::with_capacity(q), Vec::with_capacity(q));
    for j in 0..q {
        let dist = column(&samples, n, j);
        let jv = jack.as_ref().map(|m| column(m, m.shape().0, j));
        let js: Vec<&[f64]> = jv.as_deref().into_iter().collect();
        let iv = core::interval(&dist, estimates.as_slice()[j], &js, level, method).map_err(to_py)?;
        low.push(iv.low);
        high.push(iv.high);
    }
    Ok((low.into_pyarray(py), high.into_pyarray(py)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bootstrap_statistic, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_indices, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_interval, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_intervals, m)?)?;
    Ok(())
}
