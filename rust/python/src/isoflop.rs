//! Bindings of the core's `isoflop` module: per-budget minima of an IsoFLOP sweep and the exponent of
//! N_opt ~ C^a, their bootstrap, and the efficient frontier of training curves, each as a typed result
//! that pickles.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use scalecore_core::isoflop::{self, IsoflopBootstrap, Options, Refusal, Sweep};

use crate::convert::{column, pairs, FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
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

/// Per-budget minima of an IsoFLOP sweep and the exponent a of N_opt ~ C^a: `ln_n_opt` and `loss_opt`
/// per budget (NaN where refused), `refusal` 0 for a budget with a minimum, else a code, `messages`
/// the reason (empty for none), `exponent` and `intercept` (ln k).
#[pyclass(frozen, module = "scalecore._core", name = "IsoflopFit")]
pub struct PyIsoflopFit {
    ln_n_opt: Vec<f64>,
    loss_opt: Vec<f64>,
    refusal: Vec<u8>,
    messages: Vec<String>,
    exponent: f64,
    intercept: f64,
}

#[pymethods]
impl PyIsoflopFit {
    /// Rebuild a result from its fields (what `__reduce__` gives; nothing is refitted).
    #[new]
    fn from_fields(
        ln_n_opt: &Bound<'_, PyAny>,
        loss_opt: &Bound<'_, PyAny>,
        refusal: Vec<u8>,
        messages: Vec<String>,
        exponent: f64,
        intercept: f64,
    ) -> PyResult<Self> {
        let ln_n_opt = column("ln_n_opt", ln_n_opt, None)?;
        let n = ln_n_opt.len();
        let loss_opt = column("loss_opt", loss_opt, Some(n))?;
        if refusal.len() != n || messages.len() != n {
            return Err(invalid("refusal", format!("refusal and messages need {n} entries each")));
        }
        Ok(PyIsoflopFit { ln_n_opt, loss_opt, refusal, messages, exponent, intercept })
    }

    #[getter]
    fn ln_n_opt<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.ln_n_opt)
    }
    #[getter]
    fn loss_opt<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.loss_opt)
    }
    #[getter]
    fn refusal<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u8>> {
        PyArray1::from_slice(py, &self.refusal)
    }
    #[getter]
    fn messages(&self) -> Vec<String> {
        self.messages.clone()
    }
    #[getter]
    fn exponent(&self) -> f64 {
        self.exponent
    }
    #[getter]
    fn intercept(&self) -> f64 {
        self.intercept
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let args = (
            self.ln_n_opt(py),
            self.loss_opt(py),
            self.refusal.clone(),
            self.messages.clone(),
            self.exponent,
            self.intercept,
        )
            .into_pyobject(py)?;
        Ok((py.get_type::<PyIsoflopFit>().into_any(), args))
    }
}

/// Per-budget minima of an IsoFLOP sweep and the exponent a of N_opt ~ C^a.
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
) -> PyResult<PyIsoflopFit> {
    let cols = Columns::extract(ln_n, loss, ln_c, weight)?;
    let (sweep, weight) = (cols.sweep(&budget), cols.weight());
    let opts = Options { degree, near };
    let fit = detached(py, || isoflop::isoflop(&sweep, &opts, weight))?.map_err(to_py)?;
    let (mut ln_n_opt, mut loss_opt) = (Vec::new(), Vec::new());
    let (mut refusal, mut messages) = (Vec::new(), Vec::new());
    for b in &fit.budgets {
        let (x, l) = b.unwrap_or((f64::NAN, f64::NAN));
        ln_n_opt.push(x);
        loss_opt.push(l);
        refusal.push(b.err().map_or(0, Refusal::code));
        messages.push(b.err().map_or(String::new(), |r| r.to_string()));
    }
    Ok(PyIsoflopFit { ln_n_opt, loss_opt, refusal, messages, exponent: fit.exponent, intercept: fit.intercept })
}

/// The exponent's (low, high) and the (budgets, 2) array of N_opt intervals.
type Intervals<'py> = ((f64, f64), Bound<'py, PyArray2<f64>>);

/// The replicates of an IsoFLOP bootstrap: `exponent` and `intercept` per replicate (NaN where some
/// budget lost its minimum), `ln_n_opt` and `loss_opt` of shape (replicates, budgets), `n_failed`.
#[pyclass(frozen, module = "scalecore._core", name = "IsoflopBootstrap")]
pub struct PyIsoflopBootstrap {
    inner: IsoflopBootstrap,
    n_budgets: usize,
}

impl PyIsoflopBootstrap {
    fn table<'py>(&self, py: Python<'py>, flat: &[f64]) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let shape = (self.inner.exponent.len(), self.n_budgets);
        Ok(Array2::from_shape_vec(shape, flat.to_vec())
            .map_err(|e| invalid("ln_n_opt", e.to_string()))?
            .into_pyarray(py))
    }
}

#[pymethods]
impl PyIsoflopBootstrap {
    /// Rebuild a result from its fields (what `__reduce__` gives; nothing is resampled).
    #[new]
    fn from_fields(
        exponent: &Bound<'_, PyAny>,
        intercept: &Bound<'_, PyAny>,
        ln_n_opt: &Bound<'_, PyAny>,
        loss_opt: &Bound<'_, PyAny>,
        n_failed: usize,
    ) -> PyResult<Self> {
        let exponent = column("exponent", exponent, None)?;
        let intercept = column("intercept", intercept, Some(exponent.len()))?;
        let (ln_n_opt, loss_opt) =
            (FloatMatrix::extract("ln_n_opt", ln_n_opt)?, FloatMatrix::extract("loss_opt", loss_opt)?);
        let (rows, n_budgets) = ln_n_opt.shape();
        if rows != exponent.len() {
            return Err(invalid(
                "ln_n_opt",
                format!("has {rows} rows, expected one per replicate ({})", exponent.len()),
            ));
        }
        if loss_opt.shape() != (rows, n_budgets) {
            return Err(invalid(
                "loss_opt",
                format!("has shape {:?}, ln_n_opt {:?}", loss_opt.shape(), (rows, n_budgets)),
            ));
        }
        let inner = IsoflopBootstrap {
            exponent,
            intercept,
            ln_n_opt: ln_n_opt.as_slice().to_vec(),
            loss_opt: loss_opt.as_slice().to_vec(),
            n_failed,
        };
        Ok(PyIsoflopBootstrap { inner, n_budgets })
    }

    #[getter]
    fn exponent<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.inner.exponent)
    }
    #[getter]
    fn intercept<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.inner.intercept)
    }
    #[getter]
    fn ln_n_opt<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        self.table(py, &self.inner.ln_n_opt)
    }
    #[getter]
    fn loss_opt<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        self.table(py, &self.inner.loss_opt)
    }
    #[getter]
    fn n_failed(&self) -> usize {
        self.inner.n_failed
    }

    /// Percentile intervals at `level`: ((low, high) of the exponent, (budgets, 2) array for N_opt).
    fn intervals<'py>(&self, py: Python<'py>, level: f64) -> PyResult<Intervals<'py>> {
        let iv = self.inner.intervals(level).map_err(to_py)?;
        Ok((iv.exponent, pairs(py, &iv.n_opt)))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let args = (self.exponent(py), self.intercept(py), self.ln_n_opt(py)?, self.loss_opt(py)?, self.inner.n_failed)
            .into_pyobject(py)?;
        Ok((py.get_type::<PyIsoflopBootstrap>().into_any(), args))
    }
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
) -> PyResult<PyIsoflopBootstrap> {
    let cols = Columns::extract(ln_n, loss, ln_c, weight)?;
    let (sweep, weight) = (cols.sweep(&budget), cols.weight());
    let opts = Options { degree, near };
    let inner = run(py, n_threads, progress.as_ref(), |control| {
        isoflop::isoflop_bootstrap(&sweep, &opts, weight, n_resamples, seed, control)
    })?;
    Ok(PyIsoflopBootstrap { inner, n_budgets: sweep.ln_c.len() })
}

/// The efficient frontier of training curves: `ln_c` (the grid), the lowest `loss` there and the index
/// of the `model` reaching it.
#[pyclass(frozen, module = "scalecore._core", name = "Frontier")]
pub struct PyFrontier {
    ln_c: Vec<f64>,
    loss: Vec<f64>,
    model: Vec<u64>,
}

#[pymethods]
impl PyFrontier {
    /// Rebuild a result from its fields (what `__reduce__` gives; nothing is recomputed).
    #[new]
    fn from_fields(ln_c: &Bound<'_, PyAny>, loss: &Bound<'_, PyAny>, model: Vec<u64>) -> PyResult<Self> {
        let ln_c = column("ln_c", ln_c, None)?;
        let loss = column("loss", loss, Some(ln_c.len()))?;
        if model.len() != ln_c.len() {
            return Err(invalid("model", format!("has {} values, expected {}", model.len(), ln_c.len())));
        }
        Ok(PyFrontier { ln_c, loss, model })
    }

    #[getter]
    fn ln_c<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.ln_c)
    }
    #[getter]
    fn loss<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.loss)
    }
    #[getter]
    fn model<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_slice(py, &self.model)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let args = (self.ln_c(py), self.loss(py), self.model.clone()).into_pyobject(py)?;
        Ok((py.get_type::<PyFrontier>().into_any(), args))
    }
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
) -> PyResult<PyFrontier> {
    let (ln_c, loss) = (FloatArray::extract("C", ln_c)?, FloatArray::extract("loss", loss)?);
    let (ln_c, loss) = (ln_c.as_slice(), loss.as_slice());
    let f = detached(py, || isoflop::efficient_frontier(&model, ln_c, loss, n_models, n_grid))?.map_err(to_py)?;
    Ok(PyFrontier { ln_c: f.ln_c, loss: f.loss, model: f.model.into_iter().map(|m| m as u64).collect() })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyIsoflopFit>()?;
    m.add_class::<PyIsoflopBootstrap>()?;
    m.add_class::<PyFrontier>()?;
    m.add_function(wrap_pyfunction!(isoflop_fit, m)?)?;
    m.add_function(wrap_pyfunction!(isoflop_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(efficient_frontier, m)?)?;
    Ok(())
}
