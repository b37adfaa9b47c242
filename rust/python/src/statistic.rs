//! Bindings of the statistic bootstrap (built-in statistics over batches of problems, resampling
//! indices for Python callables) and of the one interval path (percentile, basic, BCa) every bootstrap
//! result uses. Results cross as frozen typed classes that pickle.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use scalecore_core::bootstrap::batch::{self, Batch};
use scalecore_core::bootstrap::{self as core, blocks, Method, Resampling, Statistic};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::run::{detached, run};

/// A row-major (rows x cols) matrix as a NumPy array (the values move into it, uncopied).
fn matrix<'py>(py: Python<'py>, v: Vec<f64>, rows: usize, cols: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let a = Array2::from_shape_vec((rows, cols), v).map_err(|e| invalid("shape", e.to_string()))?;
    Ok(a.into_pyarray(py))
}

/// Read a list of matrices with a shared row count (`rows`), returning their data and widths.
fn matrices(name: &str, objs: &[Bound<'_, PyAny>], rows: Option<usize>) -> PyResult<Vec<(Vec<f64>, usize)>> {
    objs.iter()
        .map(|o| {
            let m = FloatMatrix::extract(name, o)?;
            let (r, c) = m.shape();
            if rows.is_some_and(|want| want != r) {
                return Err(invalid(name, format!("needs {} rows, got {r}", rows.unwrap_or(0))));
            }
            Ok((m.as_slice().to_vec(), c))
        })
        .collect()
}

/// A built-in statistic bootstrapped over a batch of problems: the distributions (problems x
/// replicates), the estimates, the jackknife values (one problems x n_j matrix per independent sample,
/// empty unless asked for) and whether the samples were resampled as pairs.
///
/// The distribution (problems x replicates, the largest output by far) moves into one NumPy array when the
/// result is made, without a copy, and the getter hands out that array: no copy per access either.
#[pyclass(frozen, module = "scalecore._core", name = "StatisticBootstrap")]
pub struct StatisticBootstrap {
    distribution: Py<PyArray2<f64>>,
    estimate: Vec<f64>,
    jackknife: Vec<(Vec<f64>, usize)>,
    paired: bool,
}

#[pymethods]
impl StatisticBootstrap {
    /// Rebuild from the arrays (what `__reduce__` ships).
    #[new]
    fn new(
        distribution: &Bound<'_, PyAny>,
        estimate: &Bound<'_, PyAny>,
        jackknife: Vec<Bound<'_, PyAny>>,
        paired: bool,
    ) -> PyResult<Self> {
        let dist = FloatMatrix::extract("distribution", distribution)?;
        let (problems, count) = dist.shape();
        let estimate = FloatArray::extract("estimate", estimate)?.as_slice().to_vec();
        if estimate.len() != problems {
            return Err(invalid("estimate", format!("needs one value per problem ({problems})")));
        }
        let jackknife = matrices("jackknife", &jackknife, Some(problems))?;
        let distribution = matrix(distribution.py(), dist.as_slice().to_vec(), problems, count)?.unbind();
        Ok(StatisticBootstrap { distribution, estimate, jackknife, paired })
    }

    /// Bootstrap values, one row per problem (the result's own array).
    #[getter]
    fn distribution<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.distribution.bind(py).clone()
    }
    /// The statistic of each problem's data.
    #[getter]
    fn estimate<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.estimate.clone().into_pyarray(py)
    }
    /// Leave-one-out values: one (problems x n_j) array per independent sample (one when paired).
    #[getter]
    fn jackknife<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyArray2<f64>>>> {
        self.jackknife.iter().map(|(v, n)| matrix(py, v.clone(), self.estimate.len(), *n)).collect()
    }
    #[getter]
    fn paired(&self) -> bool {
        self.paired
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let args = (self.distribution(py), self.estimate(py), self.jackknife(py)?, self.paired).into_pyobject(py)?;
        Ok((py.get_type::<StatisticBootstrap>().into_any(), args))
    }
}

/// Bootstrap distribution of a built-in statistic over replicates `first..first + count` for every problem
/// of a batch (each sample a problems x n_j matrix, problem p in row p; replicate i's indices shared by the
/// batch), its value on each problem and (with `jackknife=True`) the leave-one-out values.
#[pyfunction]
#[pyo3(signature = (samples, statistic_name, *, q=0.5, ddof=0.0, proportiontocut=0.1, paired=false, block=None,
    block_length=1.0, seed=0, first=0, count=9999, jackknife=true, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_statistic(
    py: Python<'_>,
    samples: Vec<Bound<'_, PyAny>>,
    statistic_name: &str,
    q: f64,
    ddof: f64,
    proportiontocut: f64,
    paired: bool,
    block: Option<&str>,
    block_length: f64,
    seed: u64,
    first: u64,
    count: usize,
    jackknife: bool,
    n_threads: Option<usize>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<StatisticBootstrap> {
    let stat = Statistic::parse(statistic_name, q, ddof, proportiontocut).map_err(to_py)?;
    let scheme = Resampling::parse(block, block_length).map_err(to_py)?;
    let arrays: Vec<FloatMatrix> = samples.iter().map(|s| FloatMatrix::extract("data", s)).collect::<PyResult<_>>()?;
    let problems = arrays.first().map_or(0, |m| m.shape().0);
    if arrays.iter().any(|m| m.shape().0 != problems) {
        return Err(invalid("data", "every sample needs one row per problem"));
    }
    let slices: Vec<&[f64]> = arrays.iter().map(FloatMatrix::as_slice).collect();
    let sizes: Vec<usize> = arrays.iter().map(|m| m.shape().1).collect();
    let b = Batch { samples: &slices, sizes: &sizes, problems };
    let paired = b.validate(stat, paired).map_err(to_py)?;
    // The distribution holds count values per problem: refuse a size that cannot be allocated up front.
    scalecore_core::memory::ensure_allocatable("n_resamples", count, count.saturating_mul(problems.max(1)), 8)
        .map_err(to_py)?;
    let (distribution, estimate, jack) = run(py, n_threads, progress.as_ref(), |control| {
        // One problem streams its replicates without storing indices; a batch shares them.
        let dist = if problems == 1 {
            core::statistics::distribution(stat, &slices, paired, scheme, seed, first, count, control)?
        } else {
            batch::distribution(stat, b, paired, scheme, seed, first, count, control)?
        };
        let jack = if jackknife { batch::jackknife(stat, b, paired) } else { Vec::new() };
        Ok((dist, batch::estimates(stat, b), jack))
    })?;
    let jackknife = jack
        .into_iter()
        .map(|v| {
            let n = v.len() / problems;
            (v, n)
        })
        .collect();
    let distribution = matrix(py, distribution, problems, count)?.unbind();
    Ok(StatisticBootstrap { distribution, estimate, jackknife, paired })
}

/// The resampling indices of replicates `first..first + count` for samples of the given sizes, one
/// (count x n_j) array per sample (one array when paired): the resamples the built-in statistics use.
#[pyfunction]
#[pyo3(signature = (sizes, *, paired=false, block=None, block_length=1.0, seed=0, first=0, count=1))]
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_indices<'py>(
    py: Python<'py>,
    sizes: Vec<usize>,
    paired: bool,
    block: Option<&str>,
    block_length: f64,
    seed: u64,
    first: u64,
    count: usize,
) -> PyResult<Vec<Bound<'py, PyArray2<u32>>>> {
    let scheme = Resampling::parse(block, block_length).map_err(to_py)?;
    let sets = detached(py, || core::statistics::resample_indices(&sizes, paired, scheme, seed, first, count))?
        .map_err(to_py)?;
    let widths: Vec<usize> = if paired { vec![sizes[0]] } else { sizes.clone() };
    sets.into_iter()
        .zip(widths)
        .map(|(v, n)| {
            let a = Array2::from_shape_vec((count, n), v).map_err(|e| invalid("sizes", e.to_string()))?;
            Ok(a.into_pyarray(py))
        })
        .collect()
}

/// Politis & White's automatic block lengths of a series: (stationary bootstrap mean length, circular or
/// moving block length).
#[pyfunction]
pub fn optimal_block_length(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<(f64, f64)> {
    let x = FloatArray::extract("x", x)?;
    let values = x.as_slice();
    detached(py, || blocks::optimal_block_length(values))?.map_err(to_py)
}

/// A two-sided interval and the quantities behind it (BCa's levels, z0 and acceleration; NaN otherwise).
#[pyclass(frozen, module = "scalecore._core", name = "BootstrapInterval")]
pub struct BootstrapInterval {
    #[pyo3(get)]
    low: f64,
    #[pyo3(get)]
    high: f64,
    #[pyo3(get)]
    levels: (f64, f64),
    #[pyo3(get)]
    z0: f64,
    #[pyo3(get)]
    a_hat: f64,
}

#[pymethods]
impl BootstrapInterval {
    #[new]
    fn new(low: f64, high: f64, levels: (f64, f64), z0: f64, a_hat: f64) -> Self {
        BootstrapInterval { low, high, levels, z0, a_hat }
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let args = (self.low, self.high, self.levels, self.z0, self.a_hat).into_pyobject(py)?;
        Ok((py.get_type::<BootstrapInterval>().into_any(), args))
    }

    fn __repr__(&self) -> String {
        format!("BootstrapInterval(low={}, high={}, z0={}, a_hat={})", self.low, self.high, self.z0, self.a_hat)
    }
}

/// Two-sided interval at `level` from a bootstrap distribution: "percentile", "basic" or "bca"
/// (which needs the jackknife values, one array per independent sample), with the BCa quantities.
#[pyfunction]
#[pyo3(signature = (distribution, theta_hat, jackknife, level=0.95, method="percentile"))]
pub fn bootstrap_interval<'py>(
    distribution: &Bound<'py, PyAny>,
    theta_hat: f64,
    jackknife: Vec<Bound<'py, PyAny>>,
    level: f64,
    method: &str,
) -> PyResult<BootstrapInterval> {
    let method = Method::parse(method).map_err(to_py)?;
    let dist = FloatArray::extract("distribution", distribution)?;
    let jack: Vec<FloatArray> =
        jackknife.iter().map(|j| FloatArray::extract("jackknife", j)).collect::<PyResult<_>>()?;
    let jack: Vec<&[f64]> = jack.iter().map(FloatArray::as_slice).collect();
    let iv = core::interval(dist.as_slice(), theta_hat, &jack, level, method).map_err(to_py)?;
    Ok(BootstrapInterval { low: iv.low, high: iv.high, levels: iv.levels, z0: iv.z0, a_hat: iv.a_hat })
}

/// Low ends, high ends, whether BCa was undefined and the standard error, one per quantity.
type BatchEnds<'py> =
    (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<bool>>, Bound<'py, PyArray1<f64>>);

/// Ends of the intervals of quantities q = 0..Q at tail probability `alpha` per side (two-sided at level
/// 1 - 2 alpha; one end of a one-sided interval at 1 - alpha): row q of `distribution` around
/// `estimates[q]`, with row q of each `jackknife` matrix (one per independent sample) for BCa. Returns
/// (low, high, degenerate, se): NaN ends where a distribution is not finite or BCa is undefined
/// (flagged), and each row's bootstrap standard error (its standard deviation with ddof = 1).
#[pyfunction]
#[pyo3(signature = (distribution, estimates, jackknife, alpha, method="percentile"))]
pub fn bootstrap_interval_batch<'py>(
    py: Python<'py>,
    distribution: &Bound<'py, PyAny>,
    estimates: &Bound<'py, PyAny>,
    jackknife: Vec<Bound<'py, PyAny>>,
    alpha: f64,
    method: &str,
) -> PyResult<BatchEnds<'py>> {
    let method = Method::parse(method).map_err(to_py)?;
    let dist = FloatMatrix::extract("distribution", distribution)?;
    let est = FloatArray::extract("estimates", estimates)?;
    if dist.shape().0 != est.len() {
        return Err(invalid("estimates", format!("needs one value per row of distribution ({})", dist.shape().0)));
    }
    let jack = matrices("jackknife", &jackknife, Some(est.len()))?;
    let jack: Vec<(&[f64], usize)> = jack.iter().map(|(v, n)| (&v[..], *n)).collect();
    let (d, e) = (dist.as_slice(), est.as_slice());
    let ends = detached(py, || batch::intervals(d, e, &jack, alpha, method))?.map_err(to_py)?;
    let low: Vec<f64> = ends.iter().map(|e| e.low).collect();
    let high: Vec<f64> = ends.iter().map(|e| e.high).collect();
    let degenerate: Vec<bool> = ends.iter().map(|e| e.degenerate).collect();
    let se: Vec<f64> = ends.iter().map(|e| e.se).collect();
    Ok((low.into_pyarray(py), high.into_pyarray(py), degenerate.into_pyarray(py), se.into_pyarray(py)))
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
    m.add_class::<StatisticBootstrap>()?;
    m.add_class::<BootstrapInterval>()?;
    m.add_function(wrap_pyfunction!(bootstrap_statistic, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_interval_batch, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_indices, m)?)?;
    m.add_function(wrap_pyfunction!(optimal_block_length, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_interval, m)?)?;
    m.add_function(wrap_pyfunction!(bootstrap_intervals, m)?)?;
    Ok(())
}
