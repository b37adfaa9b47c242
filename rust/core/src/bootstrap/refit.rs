//! The fit bootstrap: each replicate is a full refit, run in parallel over replicates.
//!
//! A replicate refit is warm-started from the full-data optimum. To guard against a replicate whose
//! best basin is not the full data's, the distinct *other* local optima of the full-data multi-start
//! ("guards") are evaluated on the replicate after the warm refit, and any guard already lower than
//! the warm refit's optimum is polished too (a cost of a few objective evaluations per replicate).
//! `robust` runs a multi-start per replicate instead: the full data's best 128 starts of the law's
//! grid are re-screened on the replicate and the best 4 polished from scratch besides the warm
//! start; the lowest optimum wins.
//!
//! Every minimisation runs in coordinates whitened by the full-data Hessian (z = z_hat + L^-T u with
//! H = L L^T): the A-alpha and B-beta ridges make the raw problem so ill-conditioned (condition
//! numbers 1e6-1e9) that L-BFGS needs ~60 iterations from the warm start, while in whitened
//! coordinates its first step is the Newton step of the full data and a refit takes a handful.
//!
//! A refit that stops without converging, or at a non-finite objective, is counted as failed and
//! reported, never silently dropped. Cancellation (Ctrl-C) is checked inside every objective
//! evaluation, so a stop request ends the work within one evaluation per thread.

use rayon::prelude::*;

use super::rng::replicate_rng;
use super::schemes::Resampler;
use crate::control::Control;
use crate::error::Result;
use crate::fit::{lbfgs, Fitter, LbfgsOptions, Minimum, ParamMap, Problem, Stop};

/// Best full-data grid starts polished when looking for guard optima.
const POLISH: usize = 8;
/// Best full-data grid starts kept for re-screening on each robust replicate.
const SCREEN_KEEP: usize = 128;
/// Re-screened starts polished from scratch per robust replicate (besides the warm start).
const ROBUST_POLISH: usize = 4;
/// Above this many runs, start screening uses an even subsample of about half this size.
const SCREEN_ROWS: usize = 8192;
/// At most this many guard optima are kept.
const MAX_GUARDS: usize = 4;

pub struct FitBootstrap<'p, 'a> {
    pub problem: &'p Problem<'a>,
    pub map: ParamMap,
    pub lbfgs: LbfgsOptions,
    /// Full-data optimum (full internal parameter vector).
    pub theta_hat: Vec<f64>,
    pub resampler: Resampler,
    pub robust: bool,
    /// Whitening of the free coordinates, from `whiten`.
    pub whitening: Whitening,
}

/// z = z_hat + P u with P = L^-T (H = L L^T the full-data Hessian), and u = L^T (z - z_hat).
#[derive(Debug, Clone, Default)]
pub struct Whitening {
    z_hat: Vec<f64>,
    /// L, lower triangular, row-major (k x k); empty when H is not positive definite (no whitening).
    l: Vec<f64>,
}

impl Whitening {
    /// From the full-data Hessian of `fitter`'s problem at `theta_hat`. Falls back to the identity
    /// when the Hessian is not positive definite (e.g. a kink of the Huber loss at the optimum).
    pub fn new(fitter: &Fitter, theta_hat: &[f64]) -> Whitening {
        let z_hat = fitter.map.reduce(theta_hat);
        let k = z_hat.len();
        let h = fitter.hessian(&z_hat);
        let l = cholesky(&h, k).unwrap_or_default();
        Whitening { z_hat, l }
    }

    fn k(&self) -> usize {
        self.z_hat.len()
    }

    /// z from u: solve L^T (z - z_hat) = u by back substitution.
    fn to_z(&self, u: &[f64], z: &mut [f64]) {
        let k = self.k();
        if self.l.is_empty() {
            z.copy_from_slice(u);
            return;
        }
        for i in (0..k).rev() {
            let mut v = u[i];
            for j in i + 1..k {
                v -= self.l[j * k + i] * (z[j] - self.z_hat[j]);
            }
            z[i] = self.z_hat[i] + v / self.l[i * k + i];
        }
    }

    /// u from z: u = L^T (z - z_hat).
    fn to_u(&self, z: &[f64]) -> Vec<f64> {
        let k = self.k();
        if self.l.is_empty() {
            return z.to_vec();
        }
        (0..k).map(|i| (i..k).map(|j| self.l[j * k + i] * (z[j] - self.z_hat[j])).sum()).collect()
    }

    /// Gradient in u from the gradient in z: g_u = P^T g_z = L^-1 g_z (forward substitution).
    fn pull(&self, g_z: &[f64], g_u: &mut [f64]) {
        let k = self.k();
        if self.l.is_empty() {
            g_u.copy_from_slice(g_z);
            return;
        }
        for i in 0..k {
            let mut v = g_z[i];
            for j in 0..i {
                v -= self.l[i * k + j] * g_u[j];
            }
            g_u[i] = v / self.l[i * k + i];
        }
    }
}

/// Cholesky factor (lower, row-major) of a symmetric k x k matrix, or None if not positive definite.
fn cholesky(h: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = h[i * k + j] - (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum::<f64>();
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    Some(l)
}

/// What `prepare` finds on the full data once per bootstrap.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub guards: Vec<Vec<f64>>,
    pub screened: Vec<Vec<f64>>,
}

/// Refit results, one row of `k` internal parameters per replicate (row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Refits {
    pub theta: Vec<f64>,
    pub objective: Vec<f64>,
    pub failed: Vec<bool>,
}

impl FitBootstrap<'_, '_> {
    /// L-BFGS from `theta0`, in whitened coordinates (warm starts) or raw ones (far starts, for which
    /// the full-data curvature is no guide); the minimum's `x` is in free coordinates z.
    fn minimize(&self, problem: &Problem, theta0: &[f64], whiten: bool, control: &Control) -> Minimum {
        let identity = Whitening::default();
        let w = if whiten { &self.whitening } else { &identity };
        let k = self.map.n_free();
        let mut theta = theta0.to_vec();
        let mut g_theta = vec![0.0; theta.len()];
        let mut z = vec![0.0; k];
        let mut g_z = vec![0.0; k];
        let fg = |u: &[f64], g_u: &mut [f64]| {
            if control.is_cancelled() {
                return f64::NAN;
            }
            w.to_z(u, &mut z);
            self.map.expand(&z, &mut theta);
            let f = problem.value_grad(&theta, &mut g_theta);
            self.map.pull_grad(&g_theta, &mut g_z);
            w.pull(&g_z, g_u);
            f
        };
        let mut m = lbfgs::minimize(fg, &w.to_u(&self.map.reduce(theta0)), &self.lbfgs);
        let mut zx = vec![0.0; k];
        w.to_z(&m.x, &mut zx);
        m.x = zx;
        m
    }

    fn expand(&self, z: &[f64]) -> Vec<f64> {
        let mut theta = vec![0.0; self.map.n_full()];
        self.map.expand(z, &mut theta);
        theta
    }

    /// Once per bootstrap: the full data's best `SCREEN_KEEP` grid starts (robust mode), and the
    /// distinct local optima other than `theta_hat` among the polished best `POLISH` (guards).
    pub fn prepare(&self, control: &Control) -> Result<Prepared> {
        let problem = self.problem;
        let n = problem.n_rows();
        let sub;
        let screen: &Problem = if n > SCREEN_ROWS {
            sub = problem.subsample(n.div_ceil(SCREEN_ROWS / 2));
            &sub
        } else {
            problem
        };
        let grid: Vec<Vec<f64>> =
            problem.law.default_grid().into_iter().map(|s| self.expand(&self.map.reduce(&s))).collect();
        let values: Vec<f64> = grid.par_iter().map(|t| screen.value(t)).collect();
        control.check()?;
        let mut order: Vec<usize> = (0..grid.len()).filter(|&i| values[i].is_finite()).collect();
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]).then(i.cmp(&j)));
        let screened: Vec<Vec<f64>> = order.iter().take(SCREEN_KEEP).map(|&i| grid[i].clone()).collect();
        if self.robust {
            return Ok(Prepared { guards: Vec::new(), screened });
        }
        let f_hat = problem.value(&self.theta_hat);
        let mut found: Vec<(Vec<f64>, f64)> = screened
            .par_iter()
            .take(POLISH)
            .filter_map(|start| {
                let m = self.minimize(screen, start, false, control);
                let m = if std::ptr::eq(screen, problem) {
                    m
                } else {
                    self.minimize(problem, &self.expand(&m.x), false, control)
                };
                (m.stop.converged() && m.f.is_finite()).then(|| (self.expand(&m.x), m.f))
            })
            .collect();
        control.check()?;
        found.retain(|(_, f)| *f > f_hat + 1e-6 * f_hat.abs());
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut guards: Vec<Vec<f64>> = Vec::new();
        for (theta, _) in found {
            let near = |t: &Vec<f64>| t.iter().zip(&theta).all(|(a, b)| (a - b).abs() < 1e-3 * b.abs().max(1.0));
            if !near(&self.theta_hat) && !guards.iter().any(near) && guards.len() < MAX_GUARDS {
                guards.push(theta);
            }
        }
        Ok(Prepared { guards, screened: Vec::new() })
    }

    /// Whether no step of 1e-4 along a whitened axis (an objective change of order 1e-8 where the
    /// full-data curvature holds) lowers the objective at free coordinates `z`.
    fn is_local_minimum(&self, problem: &Problem, z: &[f64]) -> bool {
        let w = &self.whitening;
        let theta_at = |z: &[f64]| self.expand(z);
        let f0 = problem.value(&theta_at(z));
        let u0 = w.to_u(z);
        let mut zs = vec![0.0; z.len()];
        (0..u0.len()).all(|j| {
            [-1e-4, 1e-4].iter().all(|h| {
                let mut u = u0.clone();
                u[j] += h;
                w.to_z(&u, &mut zs);
                problem.value(&theta_at(&zs)) >= f0
            })
        })
    }

    /// Refit one replicate problem: (full parameters, objective, converged).
    fn refit(&self, rep: &Problem, prep: &Prepared, control: &Control) -> (Vec<f64>, f64, bool) {
        let ok = |m: &Minimum| m.stop.converged() && m.f.is_finite();
        let warm = self.minimize(rep, &self.theta_hat, true, control);
        // A line search that stalls at a kink of the Huber loss stops with "LineSearch" although it
        // sits at a (non-smooth) minimum: such a refit counts as converged when no step along the
        // whitened axes lowers the objective.
        let warm_ok = ok(&warm)
            || (warm.stop == Stop::LineSearch && warm.f.is_finite() && self.is_local_minimum(rep, &warm.x));
        let mut best = (self.expand(&warm.x), warm.f, warm_ok);
        let consider = |m: Minimum, best: &mut (Vec<f64>, f64, bool)| {
            if ok(&m) && (!best.2 || m.f < best.1) {
                *best = (self.expand(&m.x), m.f, true);
            }
        };
        if self.robust {
            let values: Vec<f64> = prep.screened.iter().map(|t| rep.value(t)).collect();
            let mut order: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_finite()).collect();
            order.sort_by(|&i, &j| values[i].total_cmp(&values[j]).then(i.cmp(&j)));
            for &i in order.iter().take(ROBUST_POLISH) {
                consider(self.minimize(rep, &prep.screened[i], false, control), &mut best);
            }
        } else {
            let lowest = prep
                .guards
                .iter()
                .map(|g| (rep.value(g), g))
                .filter(|(v, _)| v.is_finite())
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((v, g)) = lowest {
                if v < best.1 {
                    consider(self.minimize(rep, g, false, control), &mut best);
                }
            }
        }
        best
    }

    /// Bootstrap replicates `first..first + count`; replicate i depends on (seed, i) only.
    pub fn replicates(
        &self,
        prep: &Prepared,
        seed: u64,
        first: u64,
        count: usize,
        control: &Control,
    ) -> Result<Refits> {
        control.set_total(count);
        let out: Vec<(Vec<f64>, f64, bool)> = (0..count)
            .into_par_iter()
            .map(|i| {
                let mut rng = replicate_rng(seed, first + i as u64);
                let rep = self.resampler.replicate(self.problem, &mut rng);
                let r = self.refit(&rep, prep, control);
                control.advance(1);
                r
            })
            .collect();
        control.check()?;
        Ok(collect(out, self.map.n_full()))
    }

    /// Jackknife refits: refit without each group of runs in turn (`groups[i]` in 0..n_groups is run
    /// i's group; one run per group is the leave-one-out jackknife).
    pub fn jackknife(
        &self,
        prep: &Prepared,
        groups: &[usize],
        n_groups: usize,
        control: &Control,
    ) -> Result<Refits> {
        control.set_total(n_groups);
        let out: Vec<(Vec<f64>, f64, bool)> = (0..n_groups)
            .into_par_iter()
            .map(|g| {
                let rep = self.resampler.leave_out(self.problem, groups, g);
                let r = self.refit(&rep, prep, control);
                control.advance(1);
                r
            })
            .collect();
        control.check()?;
        Ok(collect(out, self.map.n_full()))
    }
}

fn collect(out: Vec<(Vec<f64>, f64, bool)>, k: usize) -> Refits {
    let mut r = Refits { theta: Vec::with_capacity(out.len() * k), objective: vec![], failed: vec![] };
    for (theta, f, ok) in out {
        r.theta.extend(theta);
        r.objective.push(f);
        r.failed.push(!ok);
    }
    r
}
