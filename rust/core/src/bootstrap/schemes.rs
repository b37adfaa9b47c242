//! Resampling schemes of a fit bootstrap. Each replicate is the full-data `Problem` with one column
//! replaced (shared features, `Arc`): pairs and cluster reweight the runs by their multinomial
//! resampling counts (never copying the table), residual, wild and parametric replace the
//! observations by fitted values plus resampled noise in the objective's space (log space for the
//! log objectives).

use std::sync::Arc;

use rand::Rng;

use super::rng::{draw_index, standard_normal};
use crate::error::{CoreError, Result};
use crate::fit::{Objective, Problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WildWeights {
    /// +1 or -1 with probability 1/2.
    Rademacher,
    /// Webb's six-point distribution: +-sqrt(1/2), +-1, +-sqrt(3/2), each with probability 1/6.
    Webb,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scheme {
    /// Resample runs with replacement.
    Pairs,
    /// Resample whole groups with replacement; `groups[i]` is the group code (0..n_groups) of run i.
    Cluster { groups: Vec<usize>, n_groups: usize },
    /// Fitted values plus residuals resampled with replacement.
    Residual,
    /// Fitted values plus each run's residual times a random sign (or Webb weight).
    Wild(WildWeights),
    /// Fitted values plus normal noise of the residuals' scale.
    Parametric,
}

impl WildWeights {
    pub const NAMES: [&'static str; 2] = ["rademacher", "webb"];

    pub fn parse(name: &str) -> Result<WildWeights> {
        match name {
            "rademacher" => Ok(WildWeights::Rademacher),
            "webb" => Ok(WildWeights::Webb),
            _ => Err(CoreError::invalid(
                "wild_weights",
                format!("must be one of {:?}, got {name:?}", WildWeights::NAMES),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            WildWeights::Rademacher => "rademacher",
            WildWeights::Webb => "webb",
        }
    }
}

impl Scheme {
    pub const NAMES: [&'static str; 5] = ["pairs", "cluster", "residual", "wild", "parametric"];

    /// Parse a scheme name; `groups` are needed for "cluster" only, `wild` is read for "wild" only
    /// (but must be a known name whatever the scheme).
    pub fn parse(name: &str, wild: &str, groups: Option<&[i64]>, n_rows: usize) -> Result<Scheme> {
        let wild = WildWeights::parse(wild)?;
        match name {
            "pairs" => Ok(Scheme::Pairs),
            "residual" => Ok(Scheme::Residual),
            "parametric" => Ok(Scheme::Parametric),
            "wild" => Ok(Scheme::Wild(wild)),
            "cluster" => {
                let codes =
                    groups.ok_or_else(|| CoreError::invalid("group", "the cluster scheme needs group labels"))?;
                cluster(codes, n_rows)
            }
            _ => Err(CoreError::invalid("scheme", format!("must be one of {:?}, got {name:?}", Scheme::NAMES))),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Pairs => "pairs",
            Scheme::Cluster { .. } => "cluster",
            Scheme::Residual => "residual",
            Scheme::Wild(_) => "wild",
            Scheme::Parametric => "parametric",
        }
    }

    /// The wild weights' name (the default, rademacher, for the other schemes).
    pub fn wild_weights(&self) -> &'static str {
        match self {
            Scheme::Wild(w) => w.name(),
            _ => WildWeights::Rademacher.name(),
        }
    }

    /// The cluster scheme's group codes, one per run.
    pub fn groups(&self) -> Option<&[usize]> {
        match self {
            Scheme::Cluster { groups, .. } => Some(groups),
            _ => None,
        }
    }
}

/// Validate group codes (0..G) for the cluster scheme.
fn cluster(codes: &[i64], n_rows: usize) -> Result<Scheme> {
    if codes.len() != n_rows {
        return Err(CoreError::invalid("group", format!("needs one label per run ({n_rows}), got {}", codes.len())));
    }
    let n_groups = codes.iter().copied().max().map_or(0, |m| m + 1).max(0) as usize;
    if codes.iter().any(|&c| c < 0) || n_groups > n_rows {
        return Err(CoreError::invalid("group", "group codes must lie in 0..number of groups"));
    }
    let mut size = vec![0usize; n_groups];
    codes.iter().for_each(|&c| size[c as usize] += 1);
    if size.contains(&0) {
        return Err(CoreError::invalid("group", "group codes must be consecutive from 0"));
    }
    if n_groups < 2 {
        return Err(CoreError::invalid("group", format!("the cluster scheme needs at least 2 groups, got {n_groups}")));
    }
    // A one-run cluster carries no within-cluster dependence to preserve, and a table of them is the
    // pairs scheme in disguise; such groups are almost always a mislabelled column, so say so.
    if let Some(g) = size.iter().position(|&s| s == 1) {
        return Err(CoreError::invalid(
            "group",
            format!("group {g} holds a single run; the cluster scheme resamples groups of two or more runs (merge it, or use scheme='pairs')"),
        ));
    }
    Ok(Scheme::Cluster { groups: codes.iter().map(|&c| c as usize).collect(), n_groups })
}

/// Makes replicate problems from the full-data problem and its fit.
pub struct Resampler {
    scheme: Scheme,
    /// The user's per-run weights, multiplied into resampling counts.
    user_weights: Option<Arc<Vec<f64>>>,
    /// Fitted values and residuals (observation minus fit) in the objective's space.
    fitted: Vec<f64>,
    residuals: Vec<f64>,
    /// Residual scale for the parametric scheme.
    sigma: f64,
}

impl Resampler {
    pub fn new(
        scheme: Scheme,
        problem: &Problem,
        theta_hat: &[f64],
        user_weights: Option<&[f64]>,
        n_free: usize,
    ) -> Result<Self> {
        if problem.n_rows() > u32::MAX as usize {
            return Err(CoreError::invalid("runs", "at most 2^32 - 1 runs can be resampled"));
        }
        let fitted = problem.predictions(theta_hat);
        let residuals: Vec<f64> = problem.target().iter().zip(&fitted).map(|(y, f)| y - f).collect();
        if residuals.iter().any(|r| !r.is_finite()) {
            return Err(CoreError::invalid("fit", "the full-data fit has non-finite residuals"));
        }
        let sigma = residual_scale(&residuals, problem.objective, n_free);
        Ok(Resampler { scheme, user_weights: user_weights.map(|w| Arc::new(w.to_vec())), fitted, residuals, sigma })
    }

    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Replicate problem from the replicate's random stream.
    pub fn replicate<'a, R: Rng>(&self, problem: &Problem<'a>, rng: &mut R) -> Problem<'a> {
        let n = self.fitted.len();
        match &self.scheme {
            Scheme::Pairs => {
                let mut counts = vec![0.0; n];
                (0..n).for_each(|_| counts[draw_index(rng, n)] += 1.0);
                problem.with_weights(Some(Arc::new(self.times_user_weights(counts))))
            }
            Scheme::Cluster { groups, n_groups } => {
                let mut counts = vec![0.0; *n_groups];
                (0..*n_groups).for_each(|_| counts[draw_index(rng, *n_groups)] += 1.0);
                let w = groups.iter().map(|&g| counts[g]).collect();
                problem.with_weights(Some(Arc::new(self.times_user_weights(w))))
            }
            Scheme::Residual => {
                let t = self.fitted.iter().map(|f| f + self.residuals[draw_index(rng, n)]).collect();
                problem.with_target(Arc::new(t))
            }
            Scheme::Wild(kind) => {
                let t = self.fitted.iter().zip(&self.residuals).map(|(f, r)| f + r * wild_weight(*kind, rng)).collect();
                problem.with_target(Arc::new(t))
            }
            Scheme::Parametric => {
                let t = self.fitted.iter().map(|f| f + self.sigma * standard_normal(rng)).collect();
                problem.with_target(Arc::new(t))
            }
        }
    }

    /// The problem without the runs of jackknife group `g` (`groups[i]` is run i's group).
    pub fn leave_out<'a>(&self, problem: &Problem<'a>, groups: &[usize], g: usize) -> Problem<'a> {
        let w = groups.iter().map(|&gi| if gi == g { 0.0 } else { 1.0 }).collect();
        problem.with_weights(Some(Arc::new(self.times_user_weights(w))))
    }

    fn times_user_weights(&self, mut w: Vec<f64>) -> Vec<f64> {
        if let Some(u) = &self.user_weights {
            w.iter_mut().zip(u.iter()).for_each(|(a, b)| *a *= b);
        }
        w
    }
}

fn wild_weight<R: Rng>(kind: WildWeights, rng: &mut R) -> f64 {
    const WEBB: [f64; 6] = [
        -1.224_744_871_391_589, // -sqrt(3/2)
        -1.0,
        -std::f64::consts::FRAC_1_SQRT_2,
        std::f64::consts::FRAC_1_SQRT_2,
        1.0,
        1.224_744_871_391_589,
    ];
    match kind {
        WildWeights::Rademacher => {
            if rng.random::<bool>() {
                1.0
            } else {
                -1.0
            }
        }
        WildWeights::Webb => WEBB[draw_index(rng, 6)],
    }
}

/// Noise scale for the parametric scheme: root mean square with n - k degrees of freedom for the
/// least-squares objectives, the normal-consistent MAD (1.4826 MAD) for the robust ones.
fn residual_scale(residuals: &[f64], objective: Objective, n_free: usize) -> f64 {
    let n = residuals.len();
    match objective {
        Objective::Lsq | Objective::LsqLog => {
            let dof = n.saturating_sub(n_free).max(1) as f64;
            (residuals.iter().map(|r| r * r).sum::<f64>() / dof).sqrt()
        }
        _ => {
            let med = median(residuals.to_vec());
            1.482_602_218_505_602 * median(residuals.iter().map(|r| (r - med).abs()).collect())
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_groups_are_validated() {
        assert!(Scheme::parse("cluster", "webb", Some(&[0, 0, 1, 1]), 4).is_ok());
        for bad in [&[0i64, 1, 2, 3][..], &[0, 0, 0, 0], &[0, 0, 2, 2], &[0, 0, 1]] {
            match Scheme::parse("cluster", "webb", Some(bad), 4) {
                Err(CoreError::InvalidInput { name, .. }) => assert_eq!(name, "group"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        assert!(
            matches!(Scheme::parse("jackknife", "webb", None, 4), Err(CoreError::InvalidInput { name, .. }) if name == "scheme")
        );
        assert!(
            matches!(Scheme::parse("wild", "gauss", None, 4), Err(CoreError::InvalidInput { name, .. }) if name == "wild_weights")
        );
    }

    #[test]
    fn webb_weights_have_unit_variance() {
        let mut rng = super::super::rng::replicate_rng(0, 0);
        let w: Vec<f64> = (0..60000).map(|_| wild_weight(WildWeights::Webb, &mut rng)).collect();
        let m = w.iter().sum::<f64>() / w.len() as f64;
        let v = w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.02, "{m} {v}");
    }
}
