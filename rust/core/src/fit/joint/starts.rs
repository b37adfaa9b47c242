//! Starts of a joint fit, from the groups fitted alone.
//!
//! Each group is fitted by the law's own multi-start (its grid, `Init::Auto` by default, in parallel
//! over groups). A group too small to determine every parameter alone is fitted with the shared
//! parameters fixed at the pooled fit's values (all runs, one law). Joint starts then keep every
//! group's own parameters and set the shared ones to (a) the groups' run-weighted median, (b) the
//! pooled fit's values, (c) each of the `OWN_SHARED_STARTS` largest groups' values. With nothing
//! shared the single start is the groups' own optima, so the joint fit is the separate fits.

use rayon::prelude::*;

use super::{JointProblem, JointSpec};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fit::Fit;

/// Largest groups whose own values of the shared parameters are tried as starts.
const OWN_SHARED_STARTS: usize = 6;

/// Joint starts in the optimiser's coordinates, duplicates removed.
pub(super) fn joint_starts(spec: &JointSpec, jp: &JointProblem, control: &Control) -> Result<Vec<Vec<f64>>> {
    let sizes = spec.sizes();
    let n_free = jp.layout.map.n_free();
    let needs_pooled = !spec.shared.is_empty() || sizes.iter().any(|&n| n < n_free);
    control.set_total(spec.n_groups + usize::from(needs_pooled) + 2 + OWN_SHARED_STARTS);
    // The groups' progress and cancellation are the joint fit's concern, not each single fit's.
    let quiet = Control::new();
    let pooled = if needs_pooled {
        let fit = Fit::run(spec.subset(None)?, &quiet);
        control.advance(1);
        match fit {
            Ok(f) => Some(f.outcome.theta),
            Err(CoreError::Convergence(_)) => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    control.check()?;
    let parts = spec.group_specs()?;
    let alone: Vec<Vec<f64>> = parts
        .into_par_iter()
        .map(|mut part| {
            if control.is_cancelled() {
                return Err(CoreError::Interrupted);
            }
            if part.n_runs() < n_free {
                let p = pooled.as_ref().ok_or_else(|| {
                    CoreError::Convergence("a group too small to fit alone needs the pooled fit, which failed".into())
                })?;
                part.fixed.extend(spec.shared.iter().map(|&j| (j, p[j])));
            }
            let fit = Fit::run(part, &quiet);
            control.advance(1);
            match fit {
                Ok(f) => Ok(Some(f.outcome.theta)),
                Err(CoreError::Convergence(_)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .collect::<Result<Vec<Option<Vec<f64>>>>>()?
        .into_iter()
        .map(|t| t.or_else(|| pooled.clone()))
        .collect::<Option<Vec<Vec<f64>>>>()
        .ok_or_else(|| CoreError::Convergence("a group could not be fitted, nor the pooled runs".into()))?;
    control.check()?;

    let with_shared = |source: &[f64]| -> Vec<f64> {
        let thetas: Vec<Vec<f64>> = alone
            .iter()
            .map(|t| {
                let mut t = t.clone();
                spec.shared.iter().for_each(|&j| t[j] = source[j]);
                t
            })
            .collect();
        jp.to_u(&thetas)
    };
    let mut candidates = vec![with_shared(&weighted_median(&alone, &sizes))];
    if !spec.shared.is_empty() {
        candidates.extend(pooled.as_deref().map(with_shared));
        let mut largest: Vec<usize> = (0..alone.len()).collect();
        largest.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        candidates.extend(largest.iter().take(OWN_SHARED_STARTS).map(|&g| with_shared(&alone[g])));
    }
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|u| {
        u.iter().all(|v| v.is_finite()) && seen.insert(u.iter().map(|v| v.to_bits()).collect::<Vec<u64>>())
    });
    control.set_total(control.done() + candidates.len());
    Ok(candidates)
}

/// Per parameter (internal coordinates), the median of the groups' values, each group weighted by
/// its number of runs (the lower median on a tie; deterministic).
fn weighted_median(thetas: &[Vec<f64>], sizes: &[usize]) -> Vec<f64> {
    let k = thetas.first().map_or(0, Vec::len);
    let total: usize = sizes.iter().sum();
    (0..k)
        .map(|j| {
            let mut order: Vec<usize> = (0..thetas.len()).collect();
            order.sort_by(|&a, &b| thetas[a][j].total_cmp(&thetas[b][j]).then(a.cmp(&b)));
            let mut acc = 0;
            for &g in &order {
                acc += sizes[g];
                if 2 * acc >= total {
                    return thetas[g][j];
                }
            }
            f64::NAN
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::weighted_median;

    #[test]
    fn weighted_median_follows_the_runs() {
        let thetas = vec![vec![1.0], vec![5.0], vec![3.0]];
        assert_eq!(weighted_median(&thetas, &[1, 1, 1]), vec![3.0]);
        assert_eq!(weighted_median(&thetas, &[1, 10, 1]), vec![5.0]);
        assert_eq!(weighted_median(&thetas, &[10, 1, 1]), vec![1.0]);
    }
}
