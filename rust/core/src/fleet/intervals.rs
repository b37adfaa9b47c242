//! Bootstrap intervals of every group's parameters: each group's fit is bootstrapped the way
//! `sc.bootstrap` bootstraps one fit (`bootstrap::PreparedBootstrap`: warm refits from the group's
//! optimum, guarded by its other local optima, whitened by its Hessian), and the intervals are taken
//! on the public parameters (positive coefficients, not their logarithms).

use std::sync::Arc;

use crate::bootstrap::{interval, Method, PreparedBootstrap, Scheme};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fit::Fit;

use super::fits::{NO_INTERVAL, RESAMPLES_FAILED};

/// How every group is resampled.
#[derive(Debug, Clone)]
pub struct Resampling {
    pub n_resamples: usize,
    pub seed: u64,
    pub scheme: Scheme,
    pub method: Method,
    pub level: f64,
}

impl Resampling {
    pub fn validate(&self) -> Result<()> {
        if self.n_resamples < 2 {
            return Err(CoreError::invalid("n_resamples", format!("must be at least 2, got {}", self.n_resamples)));
        }
        if matches!(self.scheme, Scheme::Cluster { .. }) {
            return Err(CoreError::invalid("scheme", "the cluster scheme has no meaning within one group's curve"));
        }
        crate::bootstrap::intervals::check_level(self.level)?;
        Ok(())
    }
}

/// One group's intervals (public parameters), failed refits and flags.
pub struct GroupIntervals {
    pub low: Vec<f64>,
    pub high: Vec<f64>,
    pub n_failed: usize,
    pub flags: u32,
}

/// Bootstrap `fit` under `r` with the group's own `seed`.
pub fn group_intervals(fit: Arc<Fit>, r: &Resampling, seed: u64, control: &Control) -> Result<GroupIntervals> {
    let law = fit.spec.law.as_ref();
    let specs = law.params();
    let k = specs.len();
    let public =
        |theta: &[f64]| -> Vec<f64> { theta.iter().zip(specs).map(|(t, s)| s.transform.to_public(*t)).collect() };
    let theta_hat = public(&fit.outcome.theta);
    let prep = PreparedBootstrap::new(fit.clone(), r.scheme.clone(), false, seed, control)?;
    let refits = prep.replicates(0, r.n_resamples, control)?;
    let ok: Vec<usize> = (0..refits.failed.len()).filter(|&i| !refits.failed[i]).collect();
    let n_failed = r.n_resamples - ok.len();
    let mut flags = if n_failed > 0 { RESAMPLES_FAILED } else { 0 };
    // Parameter j of every successful refit, public.
    let column = |theta: &[f64], rows: &[usize], j: usize| -> Vec<f64> {
        rows.iter().map(|&i| specs[j].transform.to_public(theta[i * k + j])).collect()
    };
    let jackknife = if r.method == Method::Bca {
        let jk = prep.jackknife(control)?;
        let rows: Vec<usize> = (0..jk.failed.len()).filter(|&i| !jk.failed[i]).collect();
        Some((jk, rows))
    } else {
        None
    };
    let (mut low, mut high) = (vec![f64::NAN; k], vec![f64::NAN; k]);
    for j in 0..k {
        let dist = column(&refits.theta, &ok, j);
        if dist.len() >= 2 && dist.iter().all(|v| *v == dist[0]) {
            // A fixed parameter (or one tied to a fixed one): no sampling variability.
            (low[j], high[j]) = (dist[0], dist[0]);
            continue;
        }
        let jk_values = jackknife.as_ref().map(|(jk, rows)| column(&jk.theta, rows, j));
        let jk_slices: Vec<&[f64]> = jk_values.iter().map(Vec::as_slice).collect();
        match interval(&dist, theta_hat[j], &jk_slices, r.level, r.method) {
            Ok(ci) if dist.len() >= 2 => (low[j], high[j]) = (ci.low, ci.high),
            _ => flags |= NO_INTERVAL,
        }
    }
    Ok(GroupIntervals { low, high, n_failed, flags })
}
