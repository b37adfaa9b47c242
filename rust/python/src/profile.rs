//! Bindings of the core's profile-likelihood intervals. Conversion and error mapping only.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use scalecore_core::laws;
use scalecore_core::profile::{Calibration, Profile, Quantity};

use crate::convert::FloatArray;
use crate::errors::{invalid, to_py};
use crate::fit::ColumnArgs;
use crate::run::detached;

type ProfileOut<'py> = (f64, f64, f64, f64, Bound<'py, PyArray1<f64>>, f64, Bound<'py, PyArray2<f64>>, usize);

/// The profile-likelihood interval of `quantity` (a parameter, "a" or "N_opt"), from the least-squares
/// start `theta` (internal coordinates): (estimate, lower, upper, critical value, optimum, its SSR,
/// path (points x 2: value, deviance), refits), values in internal units (ln for positive quantities).
/// `small_sample` picks the F-based critical value over Wilks' chi-squared one.
#[pyfunction]
#[pyo3(signature = (law, columns, loss, theta, quantity, *, compute=None, flops_per_param_token=6.0, level=0.95,
    small_sample=true))]
#[allow(clippy::too_many_arguments)]
pub fn profile_likelihood<'py>(
    py: Python<'py>,
    law: &str,
    columns: &Bound<'py, PyDict>,
    loss: &Bound<'py, PyAny>,
    theta: Vec<f64>,
    quantity: &str,
    compute: Option<f64>,
    flops_per_param_token: f64,
    level: f64,
    small_sample: bool,
) -> PyResult<ProfileOut<'py>> {
    let law = laws::get(law).map_err(to_py)?;
    let args = ColumnArgs::extract(columns)?;
    let cols = args.columns()?;
    let loss = FloatArray::extract("loss", loss)?;
    let q = Quantity::parse(law.as_ref(), quantity, compute, flops_per_param_token).map_err(to_py)?;
    let (law_ref, y) = (law.as_ref(), loss.as_slice());
    let calibration = if small_sample { Calibration::SmallSample } else { Calibration::LargeSample };
    let out =
        detached(py, || Profile::new(law_ref, &cols, y)?.interval(&q, &theta, level, calibration))?.map_err(to_py)?;
    let points = out.path.len();
    let flat: Vec<f64> = out.path.iter().flat_map(|&(p, d)| [p, d]).collect();
    let path = Array2::from_shape_vec((points, 2), flat).map_err(|e| invalid("path", e.to_string()))?;
    Ok((
        out.estimate,
        out.lower,
        out.upper,
        out.critical,
        out.theta.into_pyarray(py),
        out.ssr,
        path.into_pyarray(py),
        out.n_refits,
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(profile_likelihood, m)?)?;
    Ok(())
}
