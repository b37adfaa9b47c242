//! Laws given as Python functions (`sc.laws.define(name, fn=...)`): the core's optimiser, grids and
//! bootstrap call back into Python for the predictions of a block of rows, taking the GIL for each
//! call (so such a law is slower than an expression, and its fits do not run in parallel in effect).
//!
//! An exception in the user's function cannot cross the core (its kernels return numbers, not
//! errors): the first one is kept here, the core gets NaN for the block, and `run::run` (or the caller
//! of lighter work, through `checked`) stops the computation and raises it, naming the law.

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyDict, PyTuple};
use scalecore_core::expr::{self, Callable, Failed, FnLaw};
use scalecore_core::laws::Law;

use crate::errors::{invalid, to_py};

/// Whether a law's function failed since the last `clear`, and the first failure. Global, not per
/// call: two threads of one process fitting laws given as functions at the same time may see each
/// other's failure (the fits then stop with it); nothing else is affected.
static FAILED: AtomicBool = AtomicBool::new(false);
static FAILURE: Mutex<Option<PyErr>> = Mutex::new(None);

pub fn clear() {
    FAILED.store(false, Ordering::Relaxed);
    FAILURE.lock().unwrap_or_else(|e| e.into_inner()).take();
}

pub fn failed() -> bool {
    FAILED.load(Ordering::Relaxed)
}

/// `result`, or the failure of a law's function during the work that produced it.
pub fn checked<T>(result: PyResult<T>) -> PyResult<T> {
    if !failed() {
        return result;
    }
    match FAILURE.lock().unwrap_or_else(|e| e.into_inner()).take() {
        Some(err) => {
            FAILED.store(false, Ordering::Relaxed);
            Err(err)
        }
        None => result,
    }
}

fn record(err: PyErr) {
    let mut slot = FAILURE.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        *slot = Some(err);
    }
    FAILED.store(true, Ordering::Relaxed);
}

/// The user's function (and gradient) with the law's parameter and input names.
pub struct PyCallable {
    law: String,
    params: Vec<String>,
    inputs: Vec<String>,
    func: Py<PyAny>,
    grad: Option<Py<PyAny>>,
    /// The arguments of `define_fn_law` as Python values: what a pickle of a fit carries.
    state: Py<PyTuple>,
}

impl PyCallable {
    /// `f(params, columns)` read as a float64 array of `shape` (broadcast), into `out`.
    fn call<'py>(
        &self,
        py: Python<'py>,
        which: &str,
        f: &Py<PyAny>,
        params: &[f64],
        cols: &[&[f64]],
        out: &mut [f64],
    ) -> PyResult<()> {
        let p = PyDict::new(py);
        for (name, v) in self.params.iter().zip(params) {
            p.set_item(name, *v)?;
        }
        let c = PyDict::new(py);
        for (name, col) in self.inputs.iter().zip(cols) {
            c.set_item(name, PyArray1::from_slice(py, col))?;
        }
        let rows = cols.first().map_or(0, |c| c.len());
        let shape: Vec<usize> = if which == "fn" { vec![rows] } else { vec![self.params.len(), rows] };
        let described = |e: PyErr| {
            let kind = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "an exception".into());
            let err = invalid(which, format!("the {} law's {which} raised {kind}: {}", self.law, e.value(py)));
            err.set_cause(py, Some(e));
            err
        };
        // NumPy's floating-point warnings are silenced for the call: an overflow gives inf, as the
        // core's own arithmetic does for an expression, instead of a warning per block (or an error
        // where warnings are errors).
        let np = py.import("numpy")?;
        let quiet = np.call_method("errstate", (), Some(&[("all", "ignore")].into_py_dict(py)?))?;
        quiet.call_method0("__enter__")?;
        let value = f.bind(py).call1((p, c));
        quiet.call_method1("__exit__", (py.None(), py.None(), py.None()))?;
        let value = value.map_err(described)?;
        let read = || -> PyResult<Bound<'py, PyArray1<f64>>> {
            let arr = np.call_method1("asarray", (&value, "float64"))?;
            let arr = np.call_method1("broadcast_to", (arr, PyTuple::new(py, &shape)?))?;
            let arr = np.call_method1("ravel", (np.call_method1("ascontiguousarray", (arr,))?,))?;
            Ok(arr.cast_into::<PyArray1<f64>>()?)
        };
        let arr = read().map_err(|e| {
            let what = if which == "fn" { "one prediction per row" } else { "one row of derivatives per parameter" };
            invalid(
                which,
                format!("the {} law's {which} must return {what} (shape {shape:?}): {}", self.law, e.value(py)),
            )
        })?;
        if arr.len() != out.len() {
            return Err(invalid(
                which,
                format!("the {} law's {which} returned {} values for {}", self.law, arr.len(), out.len()),
            ));
        }
        out.copy_from_slice(arr.readonly().as_slice()?);
        Ok(())
    }

    fn attach(
        &self,
        which: &str,
        f: &Py<PyAny>,
        params: &[f64],
        cols: &[&[f64]],
        out: &mut [f64],
    ) -> Result<(), Failed> {
        // After a failure the computation is being stopped: no more calls into Python.
        if failed() {
            return Err(Failed);
        }
        Python::attach(|py| self.call(py, which, f, params, cols, out)).map_err(|e| {
            record(e);
            Failed
        })
    }

    /// The definition as `define_fn_law` takes it.
    pub fn state<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.state.bind(py).clone()
    }
}

impl Callable for PyCallable {
    fn eval(&self, params: &[f64], cols: &[&[f64]], out: &mut [f64]) -> Result<(), Failed> {
        self.attach("fn", &self.func, params, cols, out)
    }
    fn has_grad(&self) -> bool {
        self.grad.is_some()
    }
    fn grad(&self, params: &[f64], cols: &[&[f64]], out: &mut [f64]) -> Result<(), Failed> {
        match &self.grad {
            Some(g) => self.attach("grad", g, params, cols, out),
            None => Err(Failed),
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The Python side of a law given as a function, if `law` is one.
pub fn host(law: &dyn Law) -> Option<&PyCallable> {
    law.callable()?.host().as_any().downcast_ref::<PyCallable>()
}

type Bounds = Vec<(String, f64, f64)>;
type Grid = Vec<(String, Vec<f64>)>;
/// The arguments of `define_fn_law` as a pickle carries them.
type FnState<'py> =
    (String, Bound<'py, PyAny>, Option<Bound<'py, PyAny>>, Vec<String>, Vec<String>, Bounds, Vec<String>, Grid);

/// Check and register the law `name` computed by `fn(params, columns)` (and its gradient
/// `grad(params, columns)` with respect to the public parameters, shape (parameters, rows), when
/// given); returns its description as in `LAWS`.
#[pyfunction]
#[pyo3(signature = (name, func, grad, *, params, positive, bounds, inputs, grid))]
#[allow(clippy::too_many_arguments)]
pub fn define_fn_law(
    py: Python<'_>,
    name: String,
    func: Bound<'_, PyAny>,
    grad: Option<Bound<'_, PyAny>>,
    params: Vec<String>,
    positive: Vec<String>,
    bounds: Bounds,
    inputs: Vec<String>,
    grid: Grid,
) -> PyResult<crate::expr::LawInfo> {
    if !func.is_callable() {
        return Err(invalid("fn", format!("must be callable, got {}", func.repr()?)));
    }
    if let Some(g) = grad.as_ref().filter(|g| !g.is_callable()) {
        return Err(invalid("grad", format!("must be callable or None, got {}", g.repr()?)));
    }
    let state = (&name, &func, &grad, &params, &positive, &bounds, &inputs, &grid).into_pyobject(py)?;
    let host = PyCallable {
        law: name.clone(),
        params: params.clone(),
        inputs: inputs.clone(),
        func: func.unbind(),
        grad: grad.map(Bound::unbind),
        state: state.unbind(),
    };
    let law = FnLaw::new(&name, &params, &positive, &bounds, &inputs, &grid, Box::new(host)).map_err(to_py)?;
    let law: Arc<FnLaw> = expr::define_fn(law).map_err(to_py)?;
    Ok(crate::expr::info(law.as_ref()))
}

/// Register the law given as a function that a pickle carries (`PyCallable::state`), unless this
/// process has that very definition already.
pub fn restore(py: Python<'_>, item: &Bound<'_, PyTuple>) -> PyResult<()> {
    let name: String = item.get_item(0)?.extract()?;
    if let Some(existing) = expr::lookup(&name).as_deref().and_then(host) {
        if existing.state(py).eq(item)? {
            return Ok(());
        }
    }
    let (name, func, grad, params, positive, bounds, inputs, grid): FnState<'_> = item.extract()?;
    define_fn_law(py, name, func, grad, params, positive, bounds, inputs, grid)?;
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(define_fn_law, m)?)?;
    Ok(())
}
