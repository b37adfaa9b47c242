//! Bindings of the core's `bounds` module: bound evaluation on (p, T) points, compute-optimal allocation
//! over budgets, the rate-distortion framework and the linear-regression oracle.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use scalecore_core::bounds::{allocation, check_points, rate_distortion, regression, BoundSpec, Pluggable, KINDS};

use crate::callback::call_paired;
use crate::convert::{column, number, FloatArray};
use crate::errors::{invalid, to_py};
use crate::run::{light, run};

type Array<'py> = Bound<'py, PyArray1<f64>>;

/// One bound with validated constants (`BoundSpec::new`, the one home of their rules), built when a
/// `scalecore.bounds` object is constructed and used by every evaluation and allocation of it.
#[pyclass(frozen, module = "scalecore._core", name = "BoundSpec")]
pub struct PyBoundSpec {
    spec: BoundSpec,
}

#[pymethods]
impl PyBoundSpec {
    /// A bound of `kind` with `params` in the order of `bound_kinds()[kind]`.
    #[new]
    fn new(kind: &str, params: Vec<Bound<'_, PyAny>>) -> PyResult<Self> {
        let names = KINDS.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n).unwrap_or(&[]);
        let values = params
            .iter()
            .enumerate()
            .map(|(i, v)| number(names.get(i).copied().unwrap_or("params"), v))
            .collect::<PyResult<Vec<f64>>>()?;
        Ok(PyBoundSpec { spec: BoundSpec::new(kind, &values).map_err(to_py)? })
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.spec.kind()
    }
    /// The validated constants, in the order of `bound_kinds()[kind]`.
    #[getter]
    fn params(&self) -> Vec<f64> {
        self.spec.params()
    }
    /// The lower end of the numerical allocation search over p.
    #[getter]
    fn p_min(&self) -> f64 {
        self.spec.min_params()
    }

    /// U(p_i, T_i) at paired (already broadcast) points; with `with_terms`, also the misspecification and
    /// estimation terms.
    #[pyo3(signature = (p, t, *, with_terms=false, n_threads=None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        p: &Bound<'py, PyAny>,
        t: &Bound<'py, PyAny>,
        with_terms: bool,
        n_threads: Option<usize>,
    ) -> PyResult<(Array<'py>, Option<Array<'py>>, Option<Array<'py>>)> {
        let spec = &self.spec;
        let (p, t) = (FloatArray::extract("p", p)?, FloatArray::extract("T", t)?);
        let (p, t) = (p.as_slice(), t.as_slice());
        let (value, terms) = run(py, n_threads, None, |control| {
            let mut value = vec![0.0; p.len()];
            if with_terms {
                let (mut m, mut e) = (vec![0.0; p.len()], vec![0.0; p.len()]);
                spec.evaluate(p, t, &mut value, Some((&mut m, &mut e)), control)?;
                Ok((value, Some((m, e))))
            } else {
                spec.evaluate(p, t, &mut value, None, control)?;
                Ok((value, None))
            }
        })?;
        let (m, e) = match terms {
            Some((m, e)) => (Some(m.into_pyarray(py)), Some(e.into_pyarray(py))),
            None => (None, None),
        };
        Ok((value.into_pyarray(py), m, e))
    }

    /// U on the grid p x T, flattened row-major (row i: p[i] against every T).
    #[pyo3(signature = (p, t, *, n_threads=None))]
    fn evaluate_grid<'py>(
        &self,
        py: Python<'py>,
        p: &Bound<'py, PyAny>,
        t: &Bound<'py, PyAny>,
        n_threads: Option<usize>,
    ) -> PyResult<Array<'py>> {
        let spec = &self.spec;
        let (p, t) = (FloatArray::extract("p", p)?, FloatArray::extract("T", t)?);
        let (p, t) = (p.as_slice(), t.as_slice());
        let size = p.len().checked_mul(t.len()).ok_or_else(|| invalid("T", "the (p, T) grid is too large"))?;
        let value = run(py, n_threads, None, |control| {
            let mut value = vec![0.0; size];
            spec.evaluate_grid(p, t, &mut value, control)?;
            Ok(value)
        })?;
        Ok(value.into_pyarray(py))
    }

    /// Compute-optimal allocation under p T = C for each budget (the closed form unless `numerical`).
    #[pyo3(signature = (compute, *, numerical=false, n_threads=None, progress=None))]
    fn allocate<'py>(
        &self,
        py: Python<'py>,
        compute: &Bound<'py, PyAny>,
        numerical: bool,
        n_threads: Option<usize>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PyBoundAllocation> {
        let spec = &self.spec;
        let compute = FloatArray::extract("compute", compute)?;
        let compute = compute.as_slice();
        let x = run(py, n_threads, progress, |control| spec.allocate(compute, numerical, control))?;
        Ok(PyBoundAllocation { columns: [x.p, x.t, x.value, x.misspecification, x.estimation, x.local_exponent] })
    }

    /// kappa(n) of a teacher instance for each n.
    fn distinct_units<'py>(&self, py: Python<'py>, n: &Bound<'py, PyAny>) -> PyResult<Array<'py>> {
        let n = FloatArray::extract("n", n)?;
        let (spec, n) = (&self.spec, n.as_slice());
        Ok(light(py, || spec.distinct_units(n)).map_err(to_py)?.into_pyarray(py))
    }

    /// The minimising weight noise eta of a teacher instance at paired points (p_i, T_i).
    fn optimal_eta<'py>(&self, py: Python<'py>, p: &Bound<'py, PyAny>, t: &Bound<'py, PyAny>) -> PyResult<Array<'py>> {
        let (p, t) = (FloatArray::extract("p", p)?, FloatArray::extract("T", t)?);
        let (spec, p, t) = (&self.spec, p.as_slice(), t.as_slice());
        Ok(light(py, || spec.optimal_eta(p, t)).map_err(to_py)?.into_pyarray(py))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let args = (self.spec.kind(), self.spec.params()).into_pyobject(py)?;
        Ok((py.get_type::<PyBoundSpec>().into_any(), args))
    }
}

/// A bound given as Python callables (`DecomposedBound`): its search floor `p_min` and constant floor
/// `irreducible`, validated by the core (`Pluggable::new`) when the bound is constructed.
#[pyclass(frozen, module = "scalecore._core", name = "PluggableBound")]
pub struct PyPluggable {
    inner: Pluggable,
}

#[pymethods]
impl PyPluggable {
    #[new]
    fn new(p_min: &Bound<'_, PyAny>, irreducible: &Bound<'_, PyAny>) -> PyResult<Self> {
        let inner = Pluggable::new(number("p_min", p_min)?, number("irreducible", irreducible)?).map_err(to_py)?;
        Ok(PyPluggable { inner })
    }
    #[getter]
    fn p_min(&self) -> f64 {
        self.inner.p_min
    }
    #[getter]
    fn irreducible(&self) -> f64 {
        self.inner.irreducible
    }

    /// Refuses points outside the bound's domain (p and T finite and positive), naming p or T.
    fn check_points(&self, p: &Bound<'_, PyAny>, t: &Bound<'_, PyAny>) -> PyResult<()> {
        let (p, t) = (FloatArray::extract("p", p)?, FloatArray::extract("T", t)?);
        check_points(p.as_slice(), t.as_slice(), 0.0).map_err(to_py)
    }

    /// The numerical allocation with the vectorised callable `reducible(p, T)` (misspecification +
    /// estimation), called once per search step for every budget: the optimal p and the local exponent
    /// d ln p*/d ln C for each budget.
    #[pyo3(signature = (reducible, compute, *, progress=None))]
    fn allocate<'py>(
        &self,
        py: Python<'py>,
        reducible: &Bound<'py, PyAny>,
        compute: &Bound<'py, PyAny>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Array<'py>, Array<'py>)> {
        let p_min = self.inner.p_min;
        let compute = FloatArray::extract("compute", compute)?;
        let compute = compute.as_slice();
        let reducible = reducible.clone().unbind();
        // One thread: the callables hold the GIL while they run, and the search calls them once per step.
        let optima = run(py, Some(1), progress, |control| {
            allocation::check_budgets(p_min, compute)?;
            control.set_total(compute.len());
            let g = |p: &[f64], t: &[f64], out: &mut [f64]| {
                control.check()?;
                call_paired("misspecification/estimation", &reducible, p, t, out)
            };
            let out = allocation::minimise_reducible(compute, p_min, g)?;
            control.advance(compute.len());
            Ok(out)
        })?;
        let p: Vec<f64> = optima.iter().map(|o| o.p.max(p_min)).collect();
        let slope: Vec<f64> = optima.iter().map(|o| o.local_exponent).collect();
        Ok((p.into_pyarray(py), slope.into_pyarray(py)))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let args = (self.inner.p_min, self.inner.irreducible).into_pyobject(py)?;
        Ok((py.get_type::<PyPluggable>().into_any(), args))
    }
}

/// The optimum of a bound under p T = C per budget: `p`, `T`, the bound's `value` there, its
/// `misspecification` and `estimation` terms, and the `local_exponent` d ln p*/d ln C. Built by
/// `bound_allocate`, or from columns (a bound given as Python callables; unpickling).
#[pyclass(frozen, module = "scalecore._core", name = "BoundAllocation")]
pub struct PyBoundAllocation {
    /// p, T, value, misspecification, estimation, local_exponent.
    columns: [Vec<f64>; 6],
}

const COLUMNS: [&str; 6] = ["p", "T", "value", "misspecification", "estimation", "local_exponent"];

impl PyBoundAllocation {
    fn column<'py>(&self, py: Python<'py>, i: usize) -> Array<'py> {
        PyArray1::from_slice(py, &self.columns[i])
    }
}

#[pymethods]
impl PyBoundAllocation {
    #[new]
    #[pyo3(signature = (p, T, value, misspecification, estimation, local_exponent))]
    #[allow(non_snake_case)]
    fn from_columns(
        p: &Bound<'_, PyAny>,
        T: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        misspecification: &Bound<'_, PyAny>,
        estimation: &Bound<'_, PyAny>,
        local_exponent: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let given = [p, T, value, misspecification, estimation, local_exponent];
        let mut columns: [Vec<f64>; 6] = Default::default();
        let n = FloatArray::extract("p", p)?.len();
        for ((col, name), obj) in columns.iter_mut().zip(COLUMNS).zip(given) {
            *col = column(name, obj, Some(n))?;
        }
        Ok(PyBoundAllocation { columns })
    }

    #[getter]
    fn p<'py>(&self, py: Python<'py>) -> Array<'py> {
        self.column(py, 0)
    }
    #[getter(T)]
    fn t<'py>(&self, py: Python<'py>) -> Array<'py> {
        self.column(py, 1)
    }
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> Array<'py> {
        self.column(py, 2)
    }
    #[getter]
    fn misspecification<'py>(&self, py: Python<'py>) -> Array<'py> {
        self.column(py, 3)
    }
    #[getter]
    fn estimation<'py>(&self, py: Python<'py>) -> Array<'py> {
        self.column(py, 4)
    }
    #[getter]
    fn local_exponent<'py>(&self, py: Python<'py>) -> Array<'py> {
        self.column(py, 5)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let c = |i| self.column(py, i);
        let args = (c(0), c(1), c(2), c(3), c(4), c(5)).into_pyobject(py)?;
        Ok((py.get_type::<PyBoundAllocation>().into_any(), args))
    }
}

/// (lower, upper) bounds on L_T from a tabulated rate-distortion curve (eps, H), for each T.
#[pyfunction]
#[pyo3(signature = (eps, h, t, *, n_threads=None))]
pub fn rate_distortion_bound<'py>(
    py: Python<'py>,
    eps: &Bound<'py, PyAny>,
    h: &Bound<'py, PyAny>,
    t: &Bound<'py, PyAny>,
    n_threads: Option<usize>,
) -> PyResult<(Array<'py>, Array<'py>)> {
    let (eps, h, t) = (FloatArray::extract("eps", eps)?, FloatArray::extract("H", h)?, FloatArray::extract("T", t)?);
    let (eps, h, t) = (eps.as_slice(), h.as_slice(), t.as_slice());
    let (lo, up) = run(py, n_threads, None, |_| rate_distortion::two_sided_bound(eps, h, t))?;
    Ok((lo.into_pyarray(py), up.into_pyarray(py)))
}

/// Sample-complexity bounds ceil(2 H_{eps/2} / eps) for each target error.
#[pyfunction]
pub fn rate_distortion_sample_complexity<'py>(
    py: Python<'py>,
    eps: &Bound<'py, PyAny>,
    h: &Bound<'py, PyAny>,
    target: &Bound<'py, PyAny>,
) -> PyResult<Array<'py>> {
    let (eps, h, target) =
        (FloatArray::extract("eps", eps)?, FloatArray::extract("H", h)?, FloatArray::extract("eps", target)?);
    let (eps, h, target) = (eps.as_slice(), h.as_slice(), target.as_slice());
    let out = light(py, || rate_distortion::sample_complexity(eps, h, target)).map_err(to_py)?;
    Ok(out.into_pyarray(py))
}

/// Monte Carlo I(theta; H_T) for Gaussian linear regression: (estimate, standard error, Jensen bound).
#[pyfunction]
#[pyo3(signature = (d, t, s2, sigma2, n_mc, seed, *, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn linear_regression_information(
    py: Python<'_>,
    d: usize,
    t: usize,
    s2: f64,
    sigma2: f64,
    n_mc: usize,
    seed: u64,
    n_threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<(f64, f64, f64)> {
    let r = run(py, n_threads, progress, |control| {
        regression::linear_regression_information(d, t, s2, sigma2, n_mc, seed, control)
    })?;
    Ok((r.information, r.standard_error, r.jensen_bound))
}

/// The bound kinds and the names of their constants, in the order the bindings take them.
#[pyfunction]
pub fn bound_kinds(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for (kind, names) in KINDS {
        d.set_item(kind, names.to_vec())?;
    }
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBoundAllocation>()?;
    m.add_class::<PyBoundSpec>()?;
    m.add_class::<PyPluggable>()?;
    m.add_function(wrap_pyfunction!(bound_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(rate_distortion_bound, m)?)?;
    m.add_function(wrap_pyfunction!(rate_distortion_sample_complexity, m)?)?;
    m.add_function(wrap_pyfunction!(linear_regression_information, m)?)?;
    Ok(())
}
