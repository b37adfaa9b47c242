//! The parameters of a defined law (expression or function) and the start grid drawn from their
//! declared ranges: shared, so that both kinds of defined law read `positive`, `bounds` and `grid`
//! the same way.

use crate::error::{CoreError, Result};
use crate::laws::{cartesian_grid, ParamSpec, Transform};

use super::registry::intern;

/// Start grids generated from the bounds stay near this many starts in all.
const GRID_TARGET: f64 = 1024.0;

/// The specs of `params`: those in `positive` fitted as logarithms, each with its declared range
/// from `bounds` (public values) or a default one ((1e-2, 1e4) positive, (0, 1) otherwise). Every
/// name in `positive` and `bounds` must be a parameter (checked by the caller, who knows what else
/// the name could be).
pub(super) fn param_specs(
    params: &[String],
    positive: &[String],
    bounds: &[(String, f64, f64)],
) -> Result<Vec<ParamSpec>> {
    for (p, lo, hi) in bounds {
        let positive = positive.contains(p);
        if !(lo.is_finite() && hi.is_finite() && lo < hi && (!positive || *lo > 0.0)) {
            let need = if positive { " with 0 < low (the parameter is positive)" } else { "" };
            return Err(CoreError::invalid("bounds", format!("{p}: need finite low < high{need}, got ({lo}, {hi})")));
        }
    }
    Ok(params
        .iter()
        .map(|p| {
            let log = positive.contains(p);
            let transform = if log { Transform::Log } else { Transform::Identity };
            let (lo, hi) = match bounds.iter().find(|b| &b.0 == p) {
                Some(&(_, lo, hi)) => (lo, hi),
                None if log => (1e-2, 1e4),
                None => (0.0, 1.0),
            };
            ParamSpec { name: intern(p), transform, lower: transform.to_internal(lo), upper: transform.to_internal(hi) }
        })
        .collect())
}

/// The start grid: the given public values of a parameter, or values spread evenly (in the fitted
/// coordinate) over its range, as many per parameter as keeps the grid near `GRID_TARGET` starts.
pub(super) fn start_grid(params: &[ParamSpec], given: &[(String, Vec<f64>)]) -> Result<Vec<Vec<f64>>> {
    for (p, _) in given {
        if !params.iter().any(|s| s.name == p) {
            return Err(CoreError::invalid("grid", format!("{p:?} is not a parameter")));
        }
    }
    let free = params.iter().filter(|s| !given.iter().any(|g| g.0 == s.name)).count();
    let per = if free == 0 { 1 } else { (GRID_TARGET.powf(1.0 / free as f64).floor() as usize).clamp(2, 5) };
    let mut axes: Vec<Vec<f64>> = Vec::with_capacity(params.len());
    for s in params {
        let axis = match given.iter().find(|g| g.0 == s.name) {
            Some((_, values)) => {
                if values.is_empty()
                    || values.iter().any(|v| !v.is_finite() || (s.transform == Transform::Log && *v <= 0.0))
                {
                    return Err(CoreError::invalid(
                        "grid",
                        format!("{}: need finite values (positive for a positive parameter), got {values:?}", s.name),
                    ));
                }
                values.iter().map(|&v| s.transform.to_internal(v)).collect()
            }
            None => (0..per).map(|i| s.lower + (s.upper - s.lower) * i as f64 / (per - 1) as f64).collect(),
        };
        axes.push(axis);
    }
    let refs: Vec<&[f64]> = axes.iter().map(Vec::as_slice).collect();
    Ok(cartesian_grid(&refs))
}
