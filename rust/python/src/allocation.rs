//! Bindings of the core's `allocation` module: compute-optimal allocation for a law's budgets, under a
//! user's cost function, and the inverse query, each as one typed result (`LawAllocation`); with
//! replicates, percentile intervals from the bootstrap's interval path in the same call.

use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use scalecore_core::allocation::{self, Allocation, Budgets, CostModel, Status};
use scalecore_core::bootstrap::derived::{self, Unallocated};
use scalecore_core::bootstrap::Method;
use scalecore_core::laws;

use crate::callback::call_paired;
use crate::convert::{column, pairs, FloatArray, FloatMatrix};
use crate::errors::{invalid, to_py};
use crate::run::run;

/// How a budget's allocation ended: the core's `allocation::Status`, by name. The `status` arrays of
/// the allocation bindings hold `int(AllocationStatus.X)`; `AllocationStatus.from_code` and
/// `message` turn a code back into a name and a sentence.
#[pyclass(frozen, eq, eq_int, skip_from_py_object, module = "scalecore._core", name = "AllocationStatus")]
#[derive(Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum PyStatus {
    OPTIMAL = Status::Optimal as isize,
    AT_FEWEST_TOKENS = Status::AtFewestTokens as isize,
    AT_MOST_TOKENS = Status::AtMostTokens as isize,
    UNREACHABLE = Status::Unreachable as isize,
    FAILED = Status::Failed as isize,
}

impl PyStatus {
    fn core(self) -> Status {
        match self {
            PyStatus::OPTIMAL => Status::Optimal,
            PyStatus::AT_FEWEST_TOKENS => Status::AtFewestTokens,
            PyStatus::AT_MOST_TOKENS => Status::AtMostTokens,
            PyStatus::UNREACHABLE => Status::Unreachable,
            PyStatus::FAILED => Status::Failed,
        }
    }
}

#[pymethods]
impl PyStatus {
    /// The status whose code is `code` (an entry of a `status` array).
    #[staticmethod]
    fn from_code(code: u8) -> PyResult<Self> {
        [
            PyStatus::OPTIMAL,
            PyStatus::AT_FEWEST_TOKENS,
            PyStatus::AT_MOST_TOKENS,
            PyStatus::UNREACHABLE,
            PyStatus::FAILED,
        ]
        .into_iter()
        .find(|s| s.core() as u8 == code)
        .ok_or_else(|| invalid("status", format!("no allocation status has code {code}")))
    }

    /// What the status means, in words.
    #[getter]
    fn message(&self) -> String {
        self.core().to_string()
    }
}

/// Read (budgets, 2) interval pairs back (unpickling).
fn read_pairs(name: &str, obj: Option<&Bound<'_, PyAny>>, n: usize) -> PyResult<Option<Vec<(f64, f64)>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    let m = FloatMatrix::extract(name, obj)?;
    if m.shape() != (n, 2) {
        return Err(invalid(name, format!("must have shape ({n}, 2), got {:?}", m.shape())));
    }
    Ok(Some(m.as_slice().chunks(2).map(|c| (c[0], c[1])).collect()))
}

/// A law's compute-optimal allocation per budget: `compute` (the budgets, or for `compute_for_loss_law`
/// the least budget found), `N`, `D`, `loss`, a `status` code each (see `AllocationStatus`) and, when
/// replicates were given, percentile intervals `N_ci`, `D_ci`, `loss_ci` of shape (budgets, 2).
#[pyclass(frozen, module = "scalecore._core", name = "LawAllocation")]
pub struct PyAllocation {
    compute: Vec<f64>,
    alloc: Allocation,
    /// N, D and loss intervals per budget.
    intervals: Option<[Vec<(f64, f64)>; 3]>,
}

impl PyAllocation {
    fn new(compute: Vec<f64>, alloc: Allocation) -> Self {
        PyAllocation { compute, alloc, intervals: None }
    }

    fn interval<'py>(&self, py: Python<'py>, q: usize) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        Ok(self.intervals.as_ref().map(|iv| pairs(py, &iv[q])))
    }
}

#[pymethods]
impl PyAllocation {
    /// Rebuild a result from its columns (what `__reduce__` gives; nothing is recomputed).
    #[new]
    #[pyo3(signature = (compute, N, D, loss, status, N_ci=None, D_ci=None, loss_ci=None))]
    #[allow(non_snake_case, clippy::too_many_arguments)]
    fn from_columns(
        compute: &Bound<'_, PyAny>,
        N: &Bound<'_, PyAny>,
        D: &Bound<'_, PyAny>,
        loss: &Bound<'_, PyAny>,
        status: Vec<u8>,
        N_ci: Option<&Bound<'_, PyAny>>,
        D_ci: Option<&Bound<'_, PyAny>>,
        loss_ci: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let compute = column("compute", compute, None)?;
        let n = Some(compute.len());
        let status = status.into_iter().map(|c| PyStatus::from_code(c).map(PyStatus::core)).collect::<PyResult<_>>()?;
        let alloc = Allocation { n: column("N", N, n)?, d: column("D", D, n)?, loss: column("loss", loss, n)?, status };
        if alloc.status.len() != compute.len() {
            return Err(invalid("status", format!("has {} values, expected {}", alloc.status.len(), compute.len())));
        }
        let intervals = match (
            read_pairs("N_ci", N_ci, compute.len())?,
            read_pairs("D_ci", D_ci, compute.len())?,
            read_pairs("loss_ci", loss_ci, compute.len())?,
        ) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            (None, None, None) => None,
            _ => return Err(invalid("N_ci", "give the intervals of N, D and loss together, or none")),
        };
        Ok(PyAllocation { compute, alloc, intervals })
    }

    #[getter]
    fn compute<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.compute)
    }
    #[getter(N)]
    fn n<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.alloc.n)
    }
    #[getter(D)]
    fn d<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.alloc.d)
    }
    #[getter]
    fn loss<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.alloc.loss)
    }
    /// `int(AllocationStatus.X)` per budget.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u8>> {
        self.alloc.status.iter().map(|s| *s as u8).collect::<Vec<u8>>().into_pyarray(py)
    }
    #[getter(N_ci)]
    fn n_ci<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        self.interval(py, 0)
    }
    #[getter(D_ci)]
    fn d_ci<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        self.interval(py, 1)
    }
    #[getter]
    fn loss_ci<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        self.interval(py, 2)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let status: Vec<u8> = self.alloc.status.iter().map(|s| *s as u8).collect();
        let cis = (self.n_ci(py)?, self.d_ci(py)?, self.loss_ci(py)?);
        let args =
            (self.compute(py), self.n(py), self.d(py), self.loss(py), status, cis.0, cis.1, cis.2).into_pyobject(py)?;
        Ok((py.get_type::<PyAllocation>().into_any(), args))
    }
}

fn optional<'py>(name: &str, a: Option<&Bound<'py, PyAny>>) -> PyResult<Option<FloatArray<'py>>> {
    a.map(|a| FloatArray::extract(name, a)).transpose()
}

/// Compute-optimal N, D and loss for each budget, with a `status` code per budget (see
/// `AllocationStatus`). Arrays `compute`, `inference_tokens` (and `unique_tokens`) have one value per
/// budget. With `thetas` (replicates, one row of internal parameters each) the result also holds
/// percentile intervals at `level` over the replicates that have an interior optimum at each budget
/// (NaN where none has), from the bootstrap's interval path.
#[pyfunction]
#[pyo3(signature = (law, theta, compute, inference_tokens, unique_tokens=None, flops_per_param_token=6.0, n_threads=None, *, thetas=None, level=0.95))]
#[allow(clippy::too_many_arguments)]
pub fn allocate_law<'py>(
    py: Python<'py>,
    law: &str,
    theta: Vec<f64>,
    compute: &Bound<'py, PyAny>,
    inference_tokens: &Bound<'py, PyAny>,
    unique_tokens: Option<&Bound<'py, PyAny>>,
    flops_per_param_token: f64,
    n_threads: Option<usize>,
    thetas: Option<&Bound<'py, PyAny>>,
    level: f64,
) -> PyResult<PyAllocation> {
    let law = laws::get(law).map_err(to_py)?;
    let compute = FloatArray::extract("compute", compute)?;
    let inference = FloatArray::extract("inference_tokens", inference_tokens)?;
    let unique = optional("unique_tokens", unique_tokens)?;
    let thetas = thetas.map(|t| FloatMatrix::extract("thetas", t)).transpose()?;
    let cost = CostModel { flops_per_param_token };
    let law_ref = law.as_ref();
    let budgets = Budgets {
        compute: compute.as_slice(),
        inference_tokens: inference.as_slice(),
        unique_tokens: unique.as_ref().map(FloatArray::as_slice),
    };
    let c = compute.as_slice().to_vec();
    let Some(thetas) = thetas else {
        let out = run(py, n_threads, None, |control| allocation::allocate(law_ref, &theta, &budgets, &cost, control))?;
        return Ok(PyAllocation::new(c, out));
    };
    let (_, width) = thetas.shape();
    let rows: Vec<Vec<f64>> = thetas.as_slice().chunks(width.max(1)).map(<[f64]>::to_vec).collect();
    let out = run(py, n_threads, None, |control| {
        let (method, skip) = (Method::Percentile, Unallocated::Skip);
        derived::allocation_intervals(law_ref, &theta, &rows, &[], &budgets, &cost, level, method, skip, control)
    })?;
    let [n, d, loss, _] = out.values;
    let [n_ci, d_ci, loss_ci, _] = out.intervals;
    let alloc = Allocation { n, d, loss, status: out.status };
    Ok(PyAllocation { compute: c, alloc, intervals: Some([n_ci, d_ci, loss_ci]) })
}

/// Compute-optimal N, D and loss for each budget under the user's vectorised `cost(N, D) -> FLOPs`,
/// called once per search step with the points of every budget; `status` as for `allocate_law`.
#[pyfunction]
#[pyo3(signature = (law, theta, compute, cost, unique_tokens=None, flops_per_param_token=6.0))]
pub fn allocate_law_cost<'py>(
    py: Python<'py>,
    law: &str,
    theta: Vec<f64>,
    compute: &Bound<'py, PyAny>,
    cost: &Bound<'py, PyAny>,
    unique_tokens: Option<&Bound<'py, PyAny>>,
    flops_per_param_token: f64,
) -> PyResult<PyAllocation> {
    let law = laws::get(law).map_err(to_py)?;
    if !cost.is_callable() {
        return Err(invalid(
            "cost",
            format!("must be a callable cost(N, D) -> FLOPs, got {}", cost.get_type().name()?),
        ));
    }
    let compute = FloatArray::extract("compute", compute)?;
    let unique = optional("unique_tokens", unique_tokens)?;
    let model = CostModel { flops_per_param_token };
    let (law_ref, compute, unique) = (law.as_ref(), compute.as_slice(), unique.as_ref().map(FloatArray::as_slice));
    let cost = cost.clone().unbind();
    // One thread: the callable holds the GIL while it runs, and the core calls it once per step anyway.
    let out = run(py, Some(1), None, |control| {
        let call = |n: &[f64], d: &[f64], out: &mut [f64]| call_paired("cost", &cost, n, d, out);
        allocation::allocate_with_cost(law_ref, &theta, compute, unique, &model, call, control)
    })?;
    Ok(PyAllocation::new(compute.to_vec(), out))
}

/// Least compute whose optimal allocation reaches each target loss; status UNREACHABLE where it cannot
/// (then `loss` holds the lowest loss reachable with 1e59 FLOPs).
#[pyfunction]
#[pyo3(signature = (law, theta, targets, inference_tokens, unique_tokens=None, flops_per_param_token=6.0, n_threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn compute_for_loss_law<'py>(
    py: Python<'py>,
    law: &str,
    theta: Vec<f64>,
    targets: &Bound<'py, PyAny>,
    inference_tokens: &Bound<'py, PyAny>,
    unique_tokens: Option<&Bound<'py, PyAny>>,
    flops_per_param_token: f64,
    n_threads: Option<usize>,
) -> PyResult<PyAllocation> {
    let law = laws::get(law).map_err(to_py)?;
    let targets = FloatArray::extract("loss", targets)?;
    let inference = FloatArray::extract("inference_tokens", inference_tokens)?;
    let unique = optional("unique_tokens", unique_tokens)?;
    let cost = CostModel { flops_per_param_token };
    let law_ref = law.as_ref();
    let (targets, inference, unique) =
        (targets.as_slice(), inference.as_slice(), unique.as_ref().map(FloatArray::as_slice));
    let (compute, alloc) = run(py, n_threads, None, |control| {
        allocation::compute_for_loss(law_ref, &theta, targets, inference, unique, &cost, control)
    })?;
    Ok(PyAllocation::new(compute, alloc))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStatus>()?;
    m.add_function(wrap_pyfunction!(allocate_law, m)?)?;
    m.add_class::<PyAllocation>()?;
    m.add_function(wrap_pyfunction!(allocate_law_cost, m)?)?;
    m.add_function(wrap_pyfunction!(compute_for_loss_law, m)?)?;
    Ok(())
}
