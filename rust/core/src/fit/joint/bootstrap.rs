//! The bootstrap of a joint fit, stratified by group: replicate i draws, within each group, as many
//! runs as the group has, with replacement (a pairs bootstrap per stratum; Efron & Tibshirani 1993,
//! "An Introduction to the Bootstrap", 8.4), so every replicate keeps every group and its size.
//!
//! The draws are weights on the runs (how often each run was drawn, times its own weight), so the
//! features are never copied. Replicate i draws from the stream (seed, first + i) and groups are drawn
//! in order, so results are bit-identical for any thread count and any cut into chunks. Each refit is
//! warm-started from the joint optimum; one that does not converge (by the rule of every fit,
//! `honesty`) is reported as failed, never silently kept.

use std::sync::Arc;

use rayon::prelude::*;

use super::super::honesty::{judge, public_finite};
use super::{JointFit, JointProblem};
use crate::bootstrap::rng::{draw_index, replicate_rng};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fit::{lbfgs, FitSpec};

/// Replicate refits of a joint fit.
#[derive(Debug, Clone, PartialEq)]
pub struct JointReplicates {
    /// Public parameter values, `samples[(i * n_groups + g) * n_params + p]`; NaN for a failed refit.
    pub samples: Vec<f64>,
    pub failed: Vec<bool>,
}

/// `n_resamples` stratified replicates, numbered from `first` (chunks of one bootstrap).
pub fn joint_bootstrap(
    fit: &JointFit,
    n_resamples: usize,
    seed: u64,
    first: u64,
    control: &Control,
) -> Result<JointReplicates> {
    if n_resamples == 0 {
        return Err(CoreError::invalid("n_resamples", "must be at least 1, got 0"));
    }
    let spec = &fit.spec;
    let k = spec.base.law.n_params();
    crate::memory::ensure_allocatable(
        "n_resamples",
        n_resamples,
        n_resamples.saturating_mul(spec.n_groups * k + 1),
        8,
    )?;
    let parts = spec.group_specs()?;
    let problems = parts.iter().map(FitSpec::problem).collect::<Result<Vec<_>>>()?;
    let jp = JointProblem::new(problems, spec.layout()?, &spec.shared);
    let u_hat = jp.to_u(&fit.outcome.thetas);
    let base: Vec<Option<&[f64]>> = parts.iter().map(|p| p.weights.as_deref()).collect();
    let params = spec.base.law.params();
    control.set_total(n_resamples);
    let rows: Vec<(Vec<f64>, bool)> = (0..n_resamples)
        .into_par_iter()
        .map(|i| {
            let mut rng = replicate_rng(seed, first + i as u64);
            let weights = parts
                .iter()
                .zip(&base)
                .map(|(part, w)| {
                    let n = part.n_runs();
                    let mut counts = vec![0.0; n];
                    for _ in 0..n {
                        counts[draw_index(&mut rng, n)] += 1.0;
                    }
                    if let Some(w) = w {
                        counts.iter_mut().zip(w.iter()).for_each(|(c, w)| *c *= w);
                    }
                    Some(Arc::new(counts))
                })
                .collect();
            let rp = jp.reweighted(weights);
            let fg = |u: &[f64], g: &mut [f64]| if control.is_cancelled() { f64::NAN } else { rp.value_grad(u, g) };
            let m = lbfgs::minimize(fg, &u_hat, &spec.base.lbfgs);
            let thetas = rp.thetas(&m.x);
            let finite = thetas.iter().all(|t| public_finite(params, t));
            let stop = judge(&m, finite, &rp.residuals(&m.x), |u: &[f64], g: &mut [f64]| rp.value_grad(u, g));
            control.advance(1);
            if !stop.converged() {
                return (vec![f64::NAN; thetas.len() * k], true);
            }
            let public =
                thetas.iter().flat_map(|t| t.iter().zip(params).map(|(&v, p)| p.transform.to_public(v))).collect();
            (public, false)
        })
        .collect();
    control.check()?;
    let failed = rows.iter().map(|r| r.1).collect();
    Ok(JointReplicates { samples: rows.into_iter().flat_map(|r| r.0).collect(), failed })
}
