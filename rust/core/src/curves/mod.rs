//! Whole training curves: per-checkpoint inputs computed from a run's learning-rate schedule
//! (docs/training_curves.md).
//!
//! A table of curves arrives sorted by curve (a run, or a run and a seed): `offsets[i]..offsets[i + 1]`
//! are the rows of curve i, in step order. `check` owns the rules a curve must meet; `schedule_areas`
//! computes the forward and annealing areas of Tissue et al. 2024 at every checkpoint.

mod areas;

pub use areas::{check, schedule_areas, Areas, CurveTable};
