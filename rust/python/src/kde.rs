//! Bindings of the core's `kde` module: argument conversion, GIL release and error mapping only.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use scalecore_core::control::Control;
use scalecore_core::kde::bandwidth::{self, IsjVariant};
use scalecore_core::kde::binned::{self, GridView};
use scalecore_core::kde::{diagnostics, exact, multivariate, Kernel, Quantity, Sorted};

use crate::errors::{invalid, to_py};
use crate::run::{detached, run};

type Array<'py> = Bound<'py, PyArray1<f64>>;
type GridTuple<'py> = (f64, f64, Array<'py>, Array<'py>, f64, f64, f64, Array<'py>, Array<'py>);

/// Work below this many kernel terms or points runs inline on the calling thread (GIL released): starting the
/// worker thread of `run` and waking a pool costs more than the work itself on a busy machine.
const INLINE_WORK: usize = 1 << 16;

/// `run` for heavy work, a plain GIL-free call for light work; results are the same either way.
fn compute<T, F>(
    py: Python<'_>,
    work_size: usize,
    n_threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    work: F,
) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Control) -> scalecore_core::error::Result<T> + Send,
{
    if work_size <= INLINE_WORK {
        detached(py, || work(&Control::new()))?.map_err(to_py)
    } else {
        run(py, n_threads, progress, work)
    }
}

fn slice<'a>(name: &str, a: &'a PyReadonlyArray1<'_, f64>) -> PyResult<&'a [f64]> {
    a.as_slice().map_err(|_| invalid(name, "must be a contiguous float64 array"))
}

fn slice2<'a>(name: &str, a: &'a PyReadonlyArray2<'_, f64>) -> PyResult<&'a [f64]> {
    a.as_slice().map_err(|_| invalid(name, "must be a C-contiguous float64 array"))
}

fn quantity(name: &str) -> PyResult<Quantity> {
    Ok(match name {
        "pdf" => Quantity::Pdf,
        "logpdf" => Quantity::LogPdf,
        "cdf" => Quantity::Cdf,
        "sf" => Quantity::Sf,
        _ => return Err(invalid("quantity", format!("unknown quantity {name:?}; known: pdf, logpdf, cdf, sf"))),
    })
}

/// Sort a weighted sample by position, drop zero weights, normalise the rest: (positions, weights).
#[pyfunction]
#[pyo3(signature = (x, weights=None))]
pub fn kde_sort<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<(Array<'py>, Array<'py>)> {
    let x = slice("samples", &x)?;
    let w = weights.as_ref().map(|w| slice("weights", w)).transpose()?;
    let (xs, ws) = detached(py, || exact::sort_sample(x, w))?.map_err(to_py)?;
    Ok((xs.into_pyarray(py), ws.into_pyarray(py)))
}

/// Exact 1-D kernel sum ("pdf", "logpdf", "cdf" or "sf") on a sorted, normalised sample.
#[pyfunction]
#[pyo3(signature = (x, w, bandwidth, kernel, queries, quantity_name, *, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn kde_exact<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    w: PyReadonlyArray1<'py, f64>,
    bandwidth: f64,
    kernel: &str,
    queries: PyReadonlyArray1<'py, f64>,
    quantity_name: &str,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Array<'py>> {
    let (x, w, q) = (slice("samples", &x)?, slice("weights", &w)?, slice("x", &queries)?);
    let kernel = Kernel::from_name(kernel).map_err(to_py)?;
    let what = quantity(quantity_name)?;
    let out = compute(py, q.len().saturating_mul(x.len()) / 8, n_threads, progress.as_ref(), |control| {
        let s = Sorted::new(x, w)?;
        exact::evaluate_1d(&s, bandwidth, kernel, q, what, control)
    })?;
    Ok(out.into_pyarray(py))
}

/// Biroli-Mezard diagnostics per query: (effective number of contributing points, largest term's share).
#[pyfunction]
#[pyo3(signature = (x, w, bandwidth, kernel, queries, *, n_threads=None))]
pub fn kde_diagnostics<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    w: PyReadonlyArray1<'py, f64>,
    bandwidth: f64,
    kernel: &str,
    queries: PyReadonlyArray1<'py, f64>,
    n_threads: Option<usize>,
) -> PyResult<(Array<'py>, Array<'py>)> {
    let (x, w, q) = (slice("samples", &x)?, slice("weights", &w)?, slice("x", &queries)?);
    let kernel = Kernel::from_name(kernel).map_err(to_py)?;
    let (a, b) = compute(py, q.len().saturating_mul(x.len()) / 8, n_threads, None, |_| {
        let s = Sorted::new(x, w)?;
        diagnostics::diagnostics_1d(&s, bandwidth, kernel, q)
    })?;
    Ok((a.into_pyarray(py), b.into_pyarray(py)))
}

/// Multivariate Gaussian sum with bandwidth matrix L L^T (`chol` = L): per query
/// (log sum_j w_j exp(-|L^-1 (q - x_j)|^2 / 2), n_eff, largest share).
#[pyfunction]
#[pyo3(signature = (x, w, chol, queries, *, n_threads=None, progress=None))]
pub fn kde_exact_nd<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    w: PyReadonlyArray1<'py, f64>,
    chol: PyReadonlyArray2<'py, f64>,
    queries: PyReadonlyArray2<'py, f64>,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(Array<'py>, Array<'py>, Array<'py>)> {
    let d = x.as_array().ncols();
    if queries.as_array().ncols() != d {
        return Err(invalid("x", format!("has {} columns, the samples have {d}", queries.as_array().ncols())));
    }
    let (xs, ws, l, qs) =
        (slice2("samples", &x)?, slice("weights", &w)?, slice2("chol", &chol)?, slice2("x", &queries)?);
    let (a, b, c) = compute(py, qs.len().saturating_mul(ws.len()), n_threads, progress.as_ref(), |control| {
        multivariate::gaussian_nd(xs, ws, l, d, qs, control)
    })?;
    Ok((a.into_pyarray(py), b.into_pyarray(py), c.into_pyarray(py)))
}

/// Number of grid points the binned method needs (to decide between methods before committing).
#[pyfunction]
pub fn kde_binned_size(span: f64, bandwidth: f64, tolerance: f64) -> f64 {
    binned::grid_size(span, bandwidth, tolerance)
}

/// Binned Gaussian density grid: (start, step, density, derivative, peak, smallest sample, largest sample,
/// tail sample positions, tail sample weights).
#[pyfunction]
#[pyo3(signature = (x, weights, bandwidth, tolerance, *, n_threads=None))]
pub fn kde_binned_grid<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    bandwidth: f64,
    tolerance: f64,
    n_threads: Option<usize>,
) -> PyResult<GridTuple<'py>> {
    let x = slice("samples", &x)?;
    let w = weights.as_ref().map(|w| slice("weights", w)).transpose()?;
    // Binning a million points takes a few milliseconds: no progress to report, and starting `run`'s worker
    // thread is a measurable share of it; with the default pool the call only needs the GIL released.
    let g = compute(py, if n_threads.is_none() { 0 } else { x.len() }, n_threads, None, |control| {
        binned::gaussian_grid(x, w, bandwidth, tolerance, control)
    })?;
    Ok((
        g.start,
        g.step,
        g.f.into_pyarray(py),
        g.df.into_pyarray(py),
        g.peak,
        g.lo,
        g.hi,
        g.tail_x.into_pyarray(py),
        g.tail_w.into_pyarray(py),
    ))
}

/// Cubic Hermite interpolation of a binned grid: (values, needs-exact flags).
#[pyfunction]
#[pyo3(signature = (start, step, f, df, peak, queries, floor, *, n_threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn kde_interpolate<'py>(
    py: Python<'py>,
    start: f64,
    step: f64,
    f: PyReadonlyArray1<'py, f64>,
    df: PyReadonlyArray1<'py, f64>,
    peak: f64,
    queries: PyReadonlyArray1<'py, f64>,
    floor: f64,
    n_threads: Option<usize>,
) -> PyResult<(Array<'py>, Bound<'py, PyArray1<bool>>)> {
    let (f, df, q) = (slice("f", &f)?, slice("df", &df)?, slice("x", &queries)?);
    let view = GridView { start, step, f, df, peak };
    let (v, flags) = compute(py, q.len(), n_threads, None, |_| binned::interpolate(view, q, floor))?;
    Ok((v.into_pyarray(py), flags.into_pyarray(py)))
}

/// Improved Sheather-Jones bandwidth; `variant` "botev" (the algorithm as published) or "kdepy"
/// (KDEpy 1.1.12's implementation, for comparison).
#[pyfunction]
#[pyo3(signature = (x, weights=None, variant="botev"))]
pub fn kde_isj<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    variant: &str,
) -> PyResult<f64> {
    let variant = match variant {
        "botev" => IsjVariant::Botev,
        "kdepy" => IsjVariant::KdePy,
        _ => return Err(invalid("variant", format!("unknown ISJ variant {variant:?}; known: botev, kdepy"))),
    };
    let x = slice("samples", &x)?;
    let w = weights.as_ref().map(|w| slice("weights", w)).transpose()?;
    detached(py, || bandwidth::isj(x, w, variant))?.map_err(to_py)
}

/// Leave-one-out log-likelihood of the Gaussian estimate at bandwidth h (sorted, normalised sample).
#[pyfunction]
#[pyo3(signature = (x, w, bandwidth, *, n_threads=None))]
pub fn kde_loo_log_likelihood<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    w: PyReadonlyArray1<'py, f64>,
    bandwidth: f64,
    n_threads: Option<usize>,
) -> PyResult<f64> {
    let (x, w) = (slice("samples", &x)?, slice("weights", &w)?);
    compute(py, x.len().saturating_mul(x.len()) / 8, n_threads, None, |control| {
        bandwidth::loo_log_likelihood(&Sorted::new(x, w)?, bandwidth, control)
    })
}

/// Bandwidth maximising the leave-one-out likelihood within [h_lo, h_hi].
#[pyfunction]
#[pyo3(signature = (x, w, h_lo, h_hi, *, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn kde_loo_ml<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    w: PyReadonlyArray1<'py, f64>,
    h_lo: f64,
    h_hi: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<f64> {
    let (x, w) = (slice("samples", &x)?, slice("weights", &w)?);
    run(py, n_threads, progress.as_ref(), |control| bandwidth::loo_ml(&Sorted::new(x, w)?, h_lo, h_hi, control))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kde_sort, m)?)?;
    m.add_function(wrap_pyfunction!(kde_exact, m)?)?;
    m.add_function(wrap_pyfunction!(kde_diagnostics, m)?)?;
    m.add_function(wrap_pyfunction!(kde_exact_nd, m)?)?;
    m.add_function(wrap_pyfunction!(kde_binned_size, m)?)?;
    m.add_function(wrap_pyfunction!(kde_binned_grid, m)?)?;
    m.add_function(wrap_pyfunction!(kde_interpolate, m)?)?;
    m.add_function(wrap_pyfunction!(kde_isj, m)?)?;
    m.add_function(wrap_pyfunction!(kde_loo_log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(kde_loo_ml, m)?)?;
    Ok(())
}
