//! Where each group's fit starts. `FleetInit::Each` runs a whole fit (the law's multi-start) per
//! group, as `sc.fit` would. `FleetInit::Shared` is the fleet's default: the law's full multi-start is
//! run once on a pilot sample of groups (`pilot_starts`), and every group evaluates those pilot optima
//! on its own runs and polishes only the best of them; a group whose polish does not converge falls
//! back to its own full multi-start. The curves of a fleet resemble each other, so some pilot's optimum
//! lies in each group's best basin, and one polish replaces the dozen minimisations of a full
//! multi-start. The pilot starts are computed once per fleet and travel with every chunk of it, so a
//! group's result does not depend on how the fleet is split.

use rayon::prelude::*;

use super::fits::FleetSpec;
use super::groups::Groups;
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fit::{Fit, Init, Problem};

/// Groups in the pilot sample (evenly spread over the group order).
pub const PILOT_GROUPS: usize = 64;
/// Distinct pilot optima kept as shared starts.
pub const SHARED_STARTS: usize = 16;
/// Two pilot optima closer than this in every internal coordinate count as one start.
const SAME_START: f64 = 0.05;

#[derive(Debug, Clone)]
pub enum FleetInit {
    /// A whole fit per group with this start strategy.
    Each(Init),
    /// Screen these starts (internal coordinates, full vectors) on each group, polish the best.
    Shared(Vec<Vec<f64>>),
}

/// The pilot sample of a fleet of `n` groups: up to `PILOT_GROUPS` codes spread evenly over the group
/// order. A fleet held elsewhere (a Dask DataFrame) fetches only these groups to compute its starts.
pub fn pilot_groups(n: usize) -> Vec<usize> {
    let m = n.min(PILOT_GROUPS);
    (0..m).map(|i| i * n / m).collect()
}

/// The distinct optima of the law's full multi-start (`init`, normally `Init::Auto`) on up to
/// `PILOT_GROUPS` groups spread evenly over `groups`, in pilot order, at most `SHARED_STARTS`.
pub fn pilot_starts(spec: &FleetSpec, groups: &Groups, init: &Init, control: &Control) -> Result<Vec<Vec<f64>>> {
    let picks = pilot_groups(groups.len());
    let optima: Vec<Option<Vec<f64>>> = picks
        .par_iter()
        .map(|&g| {
            let quiet = Control::new();
            if control.is_cancelled() {
                return Ok(None);
            }
            // A pilot group that cannot be fitted simply contributes no start.
            let Ok(fit_spec) = spec.group_spec(groups, g, init.clone()) else { return Ok(None) };
            match Fit::run(fit_spec, &quiet) {
                Ok(fit) if fit.outcome.converged => Ok(Some(fit.outcome.theta)),
                Ok(_) | Err(CoreError::Convergence(_)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .collect::<Result<_>>()?;
    control.check()?;
    let mut starts: Vec<Vec<f64>> = Vec::new();
    for theta in optima.into_iter().flatten() {
        let near = |s: &Vec<f64>| s.iter().zip(&theta).all(|(a, b)| (a - b).abs() <= SAME_START);
        if !starts.iter().any(near) && starts.len() < SHARED_STARTS {
            starts.push(theta);
        }
    }
    Ok(starts)
}

/// The shared start with the lowest objective on `problem` (ties: the first), if any is finite.
pub fn best_start<'s>(problem: &Problem, starts: &'s [Vec<f64>]) -> Option<&'s Vec<f64>> {
    starts
        .iter()
        .map(|s| (problem.value(s), s))
        .filter(|(v, _)| v.is_finite())
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s)
}
