//! Bindings of the core's `curves` module: the checks of a table of training curves and the schedule
//! areas (forward and annealing) at every checkpoint.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use scalecore_core::control::Control;
use scalecore_core::curves::{self, CurveTable};

use crate::convert::FloatArray;
use crate::errors::to_py;
use crate::run::{light, run};

/// Check a table of curves sorted by curve: `offsets` cut `step` (and `lr`) into curves named `names`
/// in errors. Raises InvalidInputError naming the curve and the value.
#[pyfunction]
#[pyo3(signature = (offsets, step, lr, names))]
pub fn check_curves(
    py: Python<'_>,
    offsets: Vec<usize>,
    step: &Bound<'_, PyAny>,
    lr: Option<&Bound<'_, PyAny>>,
    names: Vec<String>,
) -> PyResult<()> {
    let step = FloatArray::extract("step", step)?;
    let lr = lr.map(|a| FloatArray::extract("lr", a)).transpose()?;
    let (s, l) = (step.as_slice(), lr.as_ref().map(FloatArray::as_slice));
    light(py, || curves::check(&CurveTable { offsets: &offsets, step: s, lr: l, names: &names })).map_err(to_py)
}

/// The forward area S1 and the annealing area S2 of Tissue et al. 2024 at every row: (S1, S2).
/// `anneal_from`: per curve, the step after which the learning rate's fall counts as annealing.
#[pyfunction]
#[pyo3(signature = (offsets, step, lr, names, anneal_from, decay, *, n_threads=None, progress=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn schedule_areas<'py>(
    py: Python<'py>,
    offsets: Vec<usize>,
    step: &Bound<'py, PyAny>,
    lr: &Bound<'py, PyAny>,
    names: Vec<String>,
    anneal_from: Vec<f64>,
    decay: f64,
    n_threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    let step = FloatArray::extract("step", step)?;
    let lr = FloatArray::extract("lr", lr)?;
    let (s, l) = (step.as_slice(), lr.as_slice());
    let out = run(py, n_threads, progress.as_ref(), |control: &Control| {
        let t = CurveTable { offsets: &offsets, step: s, lr: Some(l), names: &names };
        curves::schedule_areas(&t, &anneal_from, decay, control)
    })?;
    Ok((out.forward.into_pyarray(py), out.annealing.into_pyarray(py)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_curves, m)?)?;
    m.add_function(wrap_pyfunction!(schedule_areas, m)?)?;
    Ok(())
}
