//! Bindings of the core's KDE `Estimator`: one frozen handle (`KdeEstimator`) built once, every query one
//! call on it. Argument conversion, GIL release and error mapping only; option names are parsed by the
//! core's `from_name`s and the lists of names are exported from the core's constants.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use scalecore_core::control::Control;
use scalecore_core::kde::{
    owned_samples, BandwidthSpec, DimBandwidth, Estimator, Kernel, Method, Rule, Spec, KERNEL_NAMES, METHOD_NAMES,
    RULE_NAMES,
};

use crate::convert::{FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::run::{detached, run};

type Array<'py> = Bound<'py, PyArray1<f64>>;

/// Work below this many kernel terms or points runs inline on the calling thread (GIL released): starting the
/// worker thread of `run` and waking a pool costs more than the work itself on a busy machine.
const INLINE_WORK: usize = 1 << 16;

/// `run` for heavy work, a plain GIL-free call for light work; results are the same either way.
fn compute<T, F>(py: Python<'_>, work_size: usize, n_threads: Option<usize>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Control) -> scalecore_core::error::Result<T> + Send,
{
    if work_size <= INLINE_WORK {
        detached(py, || work(&Control::new()))?.map_err(to_py)
    } else {
        run(py, n_threads, None, work)
    }
}

/// Samples as given (1-D: d = 1, (n, d): d columns), borrowed from NumPy: the estimator's own copy is made
/// off the GIL by the pool (`owned_samples`).
enum Samples<'py> {
    Flat(FloatArray<'py>),
    Rows(FloatMatrix<'py>),
}

impl Samples<'_> {
    fn read<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Samples<'py>> {
        let ndim = obj.getattr("ndim").and_then(|v| v.extract::<usize>()).unwrap_or(1);
        if ndim == 2 {
            Ok(Samples::Rows(FloatMatrix::extract("samples", obj)?))
        } else {
            Ok(Samples::Flat(FloatArray::extract("samples", obj)?))
        }
    }

    /// The values row-major and the dimension.
    fn values(&self) -> (&[f64], usize) {
        match self {
            Samples::Flat(a) => (a.as_slice(), 1),
            Samples::Rows(m) => (m.as_slice(), m.shape().1),
        }
    }
}

fn read_bandwidth(obj: &Bound<'_, PyAny>, label: Option<Rule>) -> PyResult<BandwidthSpec> {
    if let Ok(name) = obj.cast::<PyString>() {
        return Ok(BandwidthSpec::Rule(Rule::from_name(name.to_str()?).map_err(to_py)?));
    }
    if let Ok(h) = obj.extract::<f64>() {
        return Ok(BandwidthSpec::Value { h, label });
    }
    // A list: one entry per dimension, each a rule name or a value.
    if let Ok(list) = obj.cast::<PyList>() {
        let parts = list
            .iter()
            .enumerate()
            .map(|(j, item)| {
                if let Ok(name) = item.cast::<PyString>() {
                    return Ok(DimBandwidth::Rule(Rule::from_name(name.to_str()?).map_err(to_py)?));
                }
                item.extract::<f64>().map(DimBandwidth::Value).map_err(|_| {
                    invalid(&format!("bandwidth[{j}]"), format!("must be a rule name or a number, got {item}"))
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(BandwidthSpec::PerDimension(parts));
    }
    let m = FloatMatrix::extract("bandwidth", obj)?;
    Ok(BandwidthSpec::Matrix { h: m.as_slice().to_vec(), label })
}

fn matrix<'py>(py: Python<'py>, v: &[f64], d: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let a = Array2::from_shape_vec((v.len() / d.max(1), d), v.to_vec()).map_err(|e| invalid("shape", e.to_string()))?;
    Ok(a.into_pyarray(py))
}

/// A kernel density estimate: the sample, weights, kernel, bandwidth and evaluation method, with the sorted
/// sample and the binned grid built on first use and kept.
#[pyclass(frozen, module = "scalecore._core", name = "KdeEstimator")]
pub struct KdeEstimator {
    inner: Estimator,
    n_threads: Option<usize>,
}

#[pymethods]
impl KdeEstimator {
    /// `bandwidth`: a rule name, the kernel standard deviation or (d > 1) the bandwidth matrix. `rule` labels
    /// a bandwidth value that an earlier estimator computed with that rule (used when unpickling).
    #[new]
    #[pyo3(signature = (samples, bandwidth, kernel, weights, method, tolerance, n_threads=None, rule=None, bounds=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        samples: &Bound<'_, PyAny>,
        bandwidth: &Bound<'_, PyAny>,
        kernel: &str,
        weights: Option<&Bound<'_, PyAny>>,
        method: &str,
        tolerance: f64,
        n_threads: Option<usize>,
        rule: Option<&str>,
        bounds: Option<(f64, f64)>,
    ) -> PyResult<Self> {
        let samples = Samples::read(samples)?;
        let (x, d) = samples.values();
        let w = weights.map(|w| FloatArray::extract("weights", w)).transpose()?;
        let w = w.as_ref().map(|w| w.as_slice());
        let label = rule.map(Rule::from_name).transpose().map_err(to_py)?;
        let bandwidth = read_bandwidth(bandwidth, label)?;
        let kernel = Kernel::from_name(kernel).map_err(to_py)?;
        let method = Method::from_name(method).map_err(to_py)?;
        // Only the leave-one-out rule is heavy (O(n^2) sums per scan point); the rest run inline.
        let heavy = matches!(bandwidth, BandwidthSpec::Rule(Rule::LooMl));
        let build = |control: &Control| {
            let spec = Spec { x: owned_samples(x), d, weights: w, bandwidth, kernel, method, tolerance };
            let est = Estimator::new(spec, control)?;
            match bounds {
                Some((lo, hi)) => est.with_bounds(lo, hi, control),
                None => Ok(est),
            }
        };
        let inner = if heavy {
            run(py, n_threads, None, build)?
        } else {
            detached(py, || build(&Control::new()))?.map_err(to_py)?
        };
        Ok(KdeEstimator { inner, n_threads })
    }

    #[getter]
    fn d(&self) -> usize {
        self.inner.d()
    }
    #[getter]
    fn n(&self) -> usize {
        self.inner.n()
    }
    #[getter]
    fn n_eff(&self) -> f64 {
        self.inner.n_eff()
    }
    #[getter]
    fn kernel(&self) -> &'static str {
        self.inner.kernel().name()
    }
    #[getter]
    fn method(&self) -> &'static str {
        self.inner.method().name()
    }
    #[getter]
    fn tolerance(&self) -> f64 {
        self.inner.tolerance()
    }
    #[getter]
    fn n_threads(&self) -> Option<usize> {
        self.n_threads
    }
    /// The rule the bandwidth came from, or "user".
    #[getter]
    fn rule(&self) -> &'static str {
        self.inner.rule().map_or("user", Rule::name)
    }
    /// Why a bandwidth rule fell back to another (one message each; the caller warns).
    #[getter]
    fn bandwidth_notes(&self) -> Vec<String> {
        self.inner.notes().to_vec()
    }
    /// The support's bounds (lo, hi), infinite where open; None when unbounded.
    #[getter]
    fn bounds(&self) -> Option<(f64, f64)> {
        self.inner.bounds()
    }
    /// Whether the weights differ (equal weights are no weights).
    #[getter]
    fn weighted(&self) -> bool {
        self.inner.raw_weights().is_some()
    }
    /// 1-D: the kernel standard deviation.
    #[getter]
    fn h(&self) -> f64 {
        self.inner.h()
    }
    /// The smallest and largest sample value (1-D; over every coordinate in d > 1), found with the finiteness
    /// check, so that callers building a grid need no pass of their own.
    #[getter]
    fn data_range(&self) -> (f64, f64) {
        self.inner.data_range()
    }
    #[getter]
    fn bandwidth_matrix<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(py, self.inner.bandwidth_matrix(), self.inner.d())
    }
    /// A copy of the samples, (n,) or (n, d).
    #[getter]
    fn samples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let x = self.inner.samples();
        if self.inner.d() == 1 {
            return Ok(x.to_vec().into_pyarray(py).into_any());
        }
        Ok(matrix(py, x, self.inner.d())?.into_any())
    }
    /// Normalised weights (1/n each when equal).
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Array<'py> {
        self.inner.weights().into_pyarray(py)
    }
    /// Whether the sorted sample has been built (it is on the first exact 1-D evaluation).
    #[getter]
    fn sorted_ready(&self) -> bool {
        self.inner.is_sorted()
    }
    /// Whether the binned grid has been built.
    #[getter]
    fn grid_ready(&self) -> bool {
        self.inner.has_grid()
    }

    /// Whether a density query of `m` points uses the binned grid (`map=` fixes the method of the whole set).
    fn uses_binned(&self, m: usize) -> bool {
        self.inner.use_binned(m)
    }

    /// pdf (`log` false) or logpdf at the queries: 1-D a flat array, d > 1 an (m, d) array. `n_threads`
    /// overrides the handle's for this call (a `map=` chunk on a worker runs one thread per worker thread).
    #[pyo3(signature = (x, log, n_threads=None))]
    fn density<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        log: bool,
        n_threads: Option<usize>,
    ) -> PyResult<Array<'py>> {
        let q = self.queries(x)?;
        let work = q.len().saturating_mul(self.inner.n()) / 8;
        let out = compute(py, work, n_threads.or(self.n_threads), |c| self.inner.density(&q, log, c))?;
        Ok(out.into_pyarray(py))
    }

    /// Density on the tensor grid of `axes` (one ascending axis per dimension), flat in "ij" order.
    fn density_grid<'py>(&self, py: Python<'py>, axes: Vec<Bound<'py, PyAny>>) -> PyResult<Array<'py>> {
        let axes = axes.iter().map(|a| FloatArray::extract("grid", a)).collect::<PyResult<Vec<_>>>()?;
        let slices: Vec<&[f64]> = axes.iter().map(|a| a.as_slice()).collect();
        let points = slices.iter().fold(1usize, |p, a| p.saturating_mul(a.len()));
        let work = points.saturating_mul(self.inner.n()) / 64;
        Ok(compute(py, work, self.n_threads, |c| self.inner.tensor_grid(&slices, c))?.into_pyarray(py))
    }

    /// cdf (`upper` false) or sf, exact (1-D).
    fn tail<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>, upper: bool) -> PyResult<Array<'py>> {
        let q = FloatArray::extract("x", x)?;
        let work = q.len().saturating_mul(self.inner.n()) / 8;
        let q = q.as_slice();
        Ok(compute(py, work, self.n_threads, |c| self.inner.tail(q, upper, c))?.into_pyarray(py))
    }

    /// (points, density) on an equispaced grid (1-D).
    #[pyo3(signature = (n, lo, hi, cut))]
    fn grid<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        lo: Option<f64>,
        hi: Option<f64>,
        cut: f64,
    ) -> PyResult<(Array<'py>, Array<'py>)> {
        let work = n.saturating_mul(self.inner.n()) / 8;
        let (x, f) = compute(py, work, self.n_threads, |c| self.inner.grid(n, lo, hi, cut, c))?;
        Ok((x.into_pyarray(py), f.into_pyarray(py)))
    }

    /// Inverse cdf at probabilities in (0, 1) (1-D).
    fn quantile<'py>(&self, py: Python<'py>, p: &Bound<'py, PyAny>) -> PyResult<Array<'py>> {
        let p = FloatArray::extract("p", p)?;
        let work = p.len().saturating_mul(self.inner.n()).saturating_mul(4);
        let p = p.as_slice();
        Ok(compute(py, work, self.n_threads, |c| self.inner.quantile(p, c))?.into_pyarray(py))
    }

    /// Location of the highest density: [x] in 1-D, the point in d > 1.
    fn mode<'py>(&self, py: Python<'py>) -> PyResult<Array<'py>> {
        let work = self.inner.n().saturating_mul(4097) / 8;
        Ok(compute(py, work, self.n_threads, |c| self.inner.mode(c))?.into_pyarray(py))
    }

    /// Highest-density region holding `level`, as interval ends [lo_1, hi_1, lo_2, ...] (1-D).
    fn hdi<'py>(&self, py: Python<'py>, level: f64) -> PyResult<Array<'py>> {
        let work = self.inner.n().saturating_mul(1 << 14) / 8;
        Ok(compute(py, work, self.n_threads, |c| self.inner.hdi(level, c))?.into_pyarray(py))
    }

    /// Biroli-Mezard diagnostics per query: (effective number of points, largest term's share).
    fn diagnostics<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<(Array<'py>, Array<'py>)> {
        let q = self.queries(x)?;
        let work = q.len().saturating_mul(self.inner.n()) / 8;
        let (a, b) = compute(py, work, self.n_threads, |c| self.inner.diagnostics(&q, c))?;
        Ok((a.into_pyarray(py), b.into_pyarray(py)))
    }

    /// `size` draws from the estimate, (size,) in 1-D and (size, d) in d > 1, from the streams of `seed`.
    fn resample<'py>(&self, py: Python<'py>, size: usize, seed: u64) -> PyResult<Bound<'py, PyAny>> {
        let d = self.inner.d();
        let work = size.saturating_mul(d);
        let out = compute(py, work, self.n_threads, |c| self.inner.resample(size, seed, c))?;
        if d == 1 {
            return Ok(out.into_pyarray(py).into_any());
        }
        Ok(matrix(py, &out, d)?.into_any())
    }

    /// Probability of the box [low, high] (d > 1, Gaussian kernel, diagonal bandwidth matrix).
    fn box_probability(&self, py: Python<'_>, low: &Bound<'_, PyAny>, high: &Bound<'_, PyAny>) -> PyResult<f64> {
        let (low, high) = (FloatArray::extract("low", low)?, FloatArray::extract("high", high)?);
        let (low, high) = (low.as_slice(), high.as_slice());
        let work = self.inner.n().saturating_mul(self.inner.d());
        compute(py, work, self.n_threads, |c| self.inner.box_probability(low, high, c))
    }

    /// Leave-one-out log-likelihood of the Gaussian estimate of this sample at bandwidth `h` (1-D).
    fn loo_log_likelihood(&self, py: Python<'_>, h: f64) -> PyResult<f64> {
        let work = self.inner.n().saturating_mul(self.inner.n()) / 8;
        compute(py, work, self.n_threads, |c| self.inner.loo_log_likelihood(h, c))
    }

    /// Pickles as the samples, the weights as given, the bandwidth the rule found and the options: nothing
    /// is recomputed on unpickling but the sort and the grid, which give the same bits again.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let e = &self.inner;
        let bandwidth =
            if e.d() == 1 { e.h().into_pyobject(py)?.into_any() } else { self.bandwidth_matrix(py)?.into_any() };
        let args = (
            self.samples(py)?,
            bandwidth,
            e.kernel().name(),
            e.raw_weights().map(|w| w.to_vec().into_pyarray(py)),
            e.method().name(),
            e.tolerance(),
            self.n_threads,
            e.rule().map(Rule::name),
            e.bounds(),
        )
            .into_pyobject(py)?;
        Ok((py.get_type::<KdeEstimator>().into_any(), args))
    }

    fn __repr__(&self) -> String {
        let e = &self.inner;
        format!("<scalecore._core.KdeEstimator n={} d={} kernel={} h={}>", e.n(), e.d(), e.kernel().name(), e.h())
    }
}

impl KdeEstimator {
    fn queries(&self, x: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
        let d = self.inner.d();
        if d == 1 {
            return Ok(FloatArray::extract("x", x)?.as_slice().to_vec());
        }
        let m = FloatMatrix::extract("x", x)?;
        if m.shape().1 != d {
            return Err(invalid("x", format!("expected points of dimension {d}, got {}", m.shape().1)));
        }
        Ok(m.as_slice().to_vec())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<KdeEstimator>()?;
    m.add("KDE_KERNELS", KERNEL_NAMES.to_vec())?;
    m.add("KDE_RULES", RULE_NAMES.to_vec())?;
    m.add("KDE_METHODS", METHOD_NAMES.to_vec())?;
    Ok(())
}
