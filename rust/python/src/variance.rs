//! Bindings of the core's `variance` module: argument conversion, GIL release and error mapping only.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use scalecore_core::control::Control;
use scalecore_core::variance::{item_bootstrap, kendall};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::run::{detached, run};

type Array<'py> = Bound<'py, PyArray1<f64>>;
type Bootstrap<'py> = (Array<'py>, Bound<'py, PyArray2<f64>>, Array<'py>, Array<'py>, Array<'py>, Array<'py>);

/// Below this many values the work runs on the calling thread's pool without the progress machinery.
const INLINE_WORK: usize = 1 << 18;

/// Kendall's tau-b of x and y with scipy.stats.kendalltau's two-sided p-value: (tau, pvalue, discordant).
#[pyfunction]
#[pyo3(signature = (x, y, *, n_threads=None))]
pub fn variance_kendall_tau_b<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<(f64, f64, u64)> {
    let (x, y) = (FloatArray::extract("x", x)?, FloatArray::extract("y", y)?);
    let small = x.len() <= INLINE_WORK;
    let (xs, ys) = (x.as_slice(), y.as_slice());
    let r = if small {
        detached(py, || kendall::tau_b(xs, ys))?.map_err(to_py)?
    } else {
        run(py, n_threads, None, |_| kendall::tau_b(xs, ys))?
    };
    Ok((r.tau, r.pvalue, r.discordant))
}

/// Kendall's tau-b of each row of `scores` (rows x k) against `order` (k): (taus, pvalues).
#[pyfunction]
#[pyo3(signature = (scores, order, *, n_threads=None))]
pub fn variance_kendall_rows<'py>(
    py: Python<'py>,
    scores: &Bound<'py, PyAny>,
    order: &Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<(Array<'py>, Array<'py>)> {
    let (scores, order) = (FloatMatrix::extract("scores", scores)?, FloatArray::extract("order", order)?);
    let (_, k) = scores.shape();
    let (s, o) = (scores.as_slice(), order.as_slice());
    let rows = run(py, n_threads, None, |_| kendall::tau_b_rows(s, k, o))?;
    let taus: Vec<f64> = rows.iter().map(|r| r.tau).collect();
    let pvalues: Vec<f64> = rows.iter().map(|r| r.pvalue).collect();
    Ok((taus.into_pyarray(py), pvalues.into_pyarray(py)))
}

/// Item bootstrap of the column means of `scores` (items x columns), percentile intervals at `level`:
/// (estimate, distribution (n_resamples x columns), low, high, se, two-sided p-value of a zero mean).
#[pyfunction]
#[pyo3(signature = (scores, *, n_resamples=1000, seed=0, level=0.95, n_threads=None, progress=None))]
pub fn variance_item_bootstrap<'py>(
    py: Python<'py>,
    scores: &Bound<'py, PyAny>,
    n_resamples: usize,
    seed: u64,
    level: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bootstrap<'py>> {
    let scores = FloatMatrix::extract("scores", scores)?;
    let (_, n_columns) = scores.shape();
    let s = scores.as_slice();
    let r = if s.len().saturating_mul(n_resamples) <= INLINE_WORK {
        detached(py, || item_bootstrap::item_bootstrap(s, n_columns, n_resamples, seed, level, &Control::new()))?
            .map_err(to_py)?
    } else {
        run(py, n_threads, progress.as_ref(), |control| {
            item_bootstrap::item_bootstrap(s, n_columns, n_resamples, seed, level, control)
        })?
    };
    let dist = Array2::from_shape_vec((r.n_resamples, r.n_columns), r.distribution)
        .map_err(|e| invalid("scores", e.to_string()))?;
    Ok((
        r.estimate.into_pyarray(py),
        dist.into_pyarray(py),
        r.low.into_pyarray(py),
        r.high.into_pyarray(py),
        r.se.into_pyarray(py),
        r.pvalue_zero.into_pyarray(py),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(variance_kendall_tau_b, m)?)?;
    m.add_function(wrap_pyfunction!(variance_kendall_rows, m)?)?;
    m.add_function(wrap_pyfunction!(variance_item_bootstrap, m)?)?;
    Ok(())
}
