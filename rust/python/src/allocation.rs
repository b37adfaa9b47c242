//! Bindings of the core's `allocation` module: compute-optimal allocation for a law's budgets, for
//! many parameter vectors, under a user's cost function, and the inverse query.

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::allocation::{self, Allocation, Budgets, CostModel, Status};
use scalecore_core::laws;

use crate::callback::call_paired;
use crate::convert::{FloatArray, FloatMatrix};
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

fn allocation_dict<'py>(py: Python<'py>, a: Allocation) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("N", a.n.into_pyarray(py))?;
    d.set_item("D", a.d.into_pyarray(py))?;
    d.set_item("loss", a.loss.into_pyarray(py))?;
    d.set_item("status", a.status.iter().map(|s| *s as u8).collect::<Vec<u8>>().into_pyarray(py))?;
    Ok(d)
}

fn optional<'py>(name: &str, a: Option<&Bound<'py, PyAny>>) -> PyResult<Option<FloatArray<'py>>> {
    a.map(|a| FloatArray::extract(name, a)).transpose()
}

/// Compute-optimal N, D and loss for each budget, with a `status` code per budget (see
/// `AllocationStatus`). Arrays `compute`, `inference_tokens` (and `unique_tokens`) have one value per budget.
#[pyfunction]
#[pyo3(signature = (law, theta, compute, inference_tokens, unique_tokens=None, flops_per_param_token=6.0, n_threads=None))]
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
) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(law).map_err(to_py)?;
    let compute = FloatArray::extract("compute", compute)?;
    let inference = FloatArray::extract("inference_tokens", inference_tokens)?;
    let unique = optional("unique_tokens", unique_tokens)?;
    let cost = CostModel { flops_per_param_token };
    let law_ref = law.as_ref();
    let budgets = Budgets {
        compute: compute.as_slice(),
        inference_tokens: inference.as_slice(),
        unique_tokens: unique.as_ref().map(FloatArray::as_slice),
    };
    let out = run(py, n_threads, None, |control| allocation::allocate(law_ref, &theta, &budgets, &cost, control))?;
    allocation_dict(py, out)
}

/// Allocation under each row of `thetas` (bootstrap replicates): flat replicate-major arrays N, D,
/// loss (NaN for replicates whose parameters admit no allocation) and `n_failed`.
#[pyfunction]
#[pyo3(signature = (law, thetas, compute, inference_tokens, unique_tokens=None, flops_per_param_token=6.0, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn allocate_law_many<'py>(
    py: Python<'py>,
    law: &str,
    thetas: &Bound<'py, PyAny>,
    compute: &Bound<'py, PyAny>,
    inference_tokens: &Bound<'py, PyAny>,
    unique_tokens: Option<&Bound<'py, PyAny>>,
    flops_per_param_token: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let law = laws::get(law).map_err(to_py)?;
    let thetas = FloatMatrix::extract("thetas", thetas)?;
    let (_, width) = thetas.shape();
    let thetas: Vec<Vec<f64>> = thetas.as_slice().chunks(width.max(1)).map(<[f64]>::to_vec).collect();
    let compute = FloatArray::extract("compute", compute)?;
    let inference = FloatArray::extract("inference_tokens", inference_tokens)?;
    let unique = optional("unique_tokens", unique_tokens)?;
    let cost = CostModel { flops_per_param_token };
    let law_ref = law.as_ref();
    let nb = compute.len();
    let budgets = Budgets {
        compute: compute.as_slice(),
        inference_tokens: inference.as_slice(),
        unique_tokens: unique.as_ref().map(FloatArray::as_slice),
    };
    let results = run(py, n_threads, progress.as_ref(), |control| {
        allocation::allocate_many(law_ref, &thetas, &budgets, &cost, control)
    })?;
    let mut all = Allocation::default();
    let mut n_failed = 0usize;
    for r in results {
        match r {
            Ok(a) => {
                all.n.extend(a.n);
                all.d.extend(a.d);
                all.loss.extend(a.loss);
                all.status.extend(a.status);
            }
            Err(_) => {
                n_failed += 1;
                all.n.extend(std::iter::repeat_n(f64::NAN, nb));
                all.d.extend(std::iter::repeat_n(f64::NAN, nb));
                all.loss.extend(std::iter::repeat_n(f64::NAN, nb));
                all.status.extend(std::iter::repeat_n(Status::Failed, nb));
            }
        }
    }
    let d = allocation_dict(py, all)?;
    d.set_item("n_failed", n_failed)?;
    Ok(d)
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
) -> PyResult<Bound<'py, PyDict>> {
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
    allocation_dict(py, out)
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
) -> PyResult<Bound<'py, PyDict>> {
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
    let d = allocation_dict(py, alloc)?;
    d.set_item("compute", compute.into_pyarray(py))?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStatus>()?;
    m.add_function(wrap_pyfunction!(allocate_law, m)?)?;
    m.add_function(wrap_pyfunction!(allocate_law_many, m)?)?;
    m.add_function(wrap_pyfunction!(allocate_law_cost, m)?)?;
    m.add_function(wrap_pyfunction!(compute_for_loss_law, m)?)?;
    Ok(())
}
