//! Fitting a law to runs: multi-start L-BFGS on an objective, with fixed and tied parameters.
//!
//! `Init::Hoffmann` runs every start of the law's default grid (for chinchilla exactly Hoffmann et
//! al.'s 4500) to convergence and keeps the best. `Init::Auto` screens the same grid by objective
//! value (one evaluation per start, on a subsample of very large tables), polishes the most promising
//! starts with L-BFGS, and refines the best on the full table: the grid's good basins are found
//! without paying 4500 full minimisations.

pub mod lbfgs;
pub mod lse;
pub mod objective;
pub mod params;

use rayon::prelude::*;

pub use lbfgs::{LbfgsOptions, Minimum, Stop};
pub use objective::{Objective, Problem};
pub use params::ParamMap;

use crate::control::Control;
use crate::error::{CoreError, Result};

#[derive(Debug, Clone)]
pub enum Init {
    /// Every start of the law's default grid.
    Hoffmann,
    /// Screen the default grid, polish the best few.
    Auto,
    /// These starts (internal coordinates, one full parameter vector each).
    Starts(Vec<Vec<f64>>),
}

/// Starts polished after screening in `Init::Auto`.
const AUTO_POLISH: usize = 16;
/// Above this many runs, `Init::Auto` screens and polishes on an even subsample first.
const AUTO_SUBSAMPLE_ROWS: usize = 8192;
/// Relative gap within which a start counts as having reached the best optimum.
const SAME_OPTIMUM: f64 = 1e-6;

#[derive(Debug, Clone)]
pub struct FitOutcome {
    /// Best internal parameters (full vector).
    pub theta: Vec<f64>,
    pub objective: f64,
    pub converged: bool,
    pub stop: Stop,
    /// Iterations and evaluations of the winning minimisation.
    pub iterations: usize,
    pub evaluations: usize,
    pub n_starts: usize,
    /// Starts whose final objective is within 1e-6 (relative) of the best.
    pub n_at_best: usize,
    pub n_converged: usize,
    /// Final objective of every start, in start order (screened-out starts are absent).
    pub start_objectives: Vec<f64>,
    /// Hessian of the objective at the optimum in the free coordinates (row-major), by central
    /// differences of the analytic gradient.
    pub hessian: Vec<f64>,
    /// For each free coordinate, the index of the parameter it drives.
    pub free_index: Vec<usize>,
}

pub struct Fitter<'p, 'a> {
    pub problem: &'p Problem<'a>,
    pub map: ParamMap,
    pub lbfgs: LbfgsOptions,
}

impl Fitter<'_, '_> {
    fn minimize_from(&self, problem: &Problem, theta0: &[f64], control: &Control) -> Minimum {
        let mut theta = theta0.to_vec();
        let mut g_theta = vec![0.0; theta.len()];
        let fg = |z: &[f64], g_z: &mut [f64]| {
            if control.is_cancelled() {
                return f64::NAN;
            }
            self.map.expand(z, &mut theta);
            let f = problem.value_grad(&theta, &mut g_theta);
            self.map.pull_grad(&g_theta, g_z);
            f
        };
        let z0 = self.map.reduce(theta0);
        lbfgs::minimize(fg, &z0, &self.lbfgs)
    }

    fn run_starts(&self, problem: &Problem, starts: &[Vec<f64>], control: &Control) -> Result<Vec<Minimum>> {
        let out: Vec<Minimum> = starts
            .par_iter()
            .map(|s| {
                let m = self.minimize_from(problem, s, control);
                control.advance(1);
                m
            })
            .collect();
        control.check()?;
        Ok(out)
    }

    fn expand(&self, z: &[f64]) -> Vec<f64> {
        let mut theta = vec![0.0; self.map.n_full()];
        self.map.expand(z, &mut theta);
        theta
    }

    /// Starts reduced to the free coordinates and expanded back, duplicates (from ties) removed.
    fn normalise_starts(&self, starts: Vec<Vec<f64>>) -> Result<Vec<Vec<f64>>> {
        let k = self.map.n_full();
        let mut seen: Vec<Vec<f64>> = Vec::new();
        for s in starts {
            if s.len() != k || s.iter().any(|v| !v.is_finite()) {
                return Err(CoreError::invalid("init", format!("a start needs {k} finite values, got {s:?}")));
            }
            let t = self.expand(&self.map.reduce(&s));
            if !seen.iter().any(|u| u.iter().zip(&t).all(|(a, b)| a.to_bits() == b.to_bits())) {
                seen.push(t);
            }
        }
        Ok(seen)
    }

    pub fn fit(&self, init: &Init, control: &Control) -> Result<FitOutcome> {
        let law = self.problem.law;
        let (finals, n_starts) = match init {
            Init::Hoffmann | Init::Starts(_) => {
                let grid = match init {
                    Init::Starts(s) => s.clone(),
                    _ => law.default_grid(),
                };
                let starts = self.normalise_starts(grid)?;
                control.set_total(starts.len());
                let n = starts.len();
                (self.run_starts(self.problem, &starts, control)?, n)
            }
            Init::Auto => self.auto(control)?,
        };
        self.outcome(finals, n_starts)
    }

    fn auto(&self, control: &Control) -> Result<(Vec<Minimum>, usize)> {
        let grid = self.normalise_starts(self.problem.law.default_grid())?;
        let n_rows = self.problem.n_rows();
        let sub;
        let screen: &Problem = if n_rows > AUTO_SUBSAMPLE_ROWS {
            sub = self.problem.subsample(n_rows.div_ceil(AUTO_SUBSAMPLE_ROWS / 2));
            &sub
        } else {
            self.problem
        };
        control.set_total(grid.len() / 64 + AUTO_POLISH + 1);
        let values: Vec<f64> = grid.par_iter().map(|t| screen.value(t)).collect();
        control.check()?;
        let mut order: Vec<usize> = (0..grid.len()).collect();
        // NaN and inf sort last; ties keep grid order, so the choice is deterministic.
        order.sort_by(|&i, &j| total_key(values[i]).total_cmp(&total_key(values[j])).then(i.cmp(&j)));
        let picked: Vec<Vec<f64>> = order.iter().take(AUTO_POLISH).map(|&i| grid[i].clone()).collect();
        let mut finals = self.run_starts(screen, &picked, control)?;
        if !std::ptr::eq(screen, self.problem) {
            // Refine the best distinct subsample optima on the full table.
            let mut idx: Vec<usize> = (0..finals.len()).collect();
            idx.sort_by(|&i, &j| total_key(finals[i].f).total_cmp(&total_key(finals[j].f)).then(i.cmp(&j)));
            let refine: Vec<Vec<f64>> = idx.iter().take(3).map(|&i| self.expand(&finals[i].x)).collect();
            finals = self.run_starts(self.problem, &refine, control)?;
        }
        Ok((finals, grid.len()))
    }

    fn outcome(&self, finals: Vec<Minimum>, n_starts: usize) -> Result<FitOutcome> {
        let best = (0..finals.len())
            .filter(|&i| finals[i].f.is_finite())
            .min_by(|&i, &j| finals[i].f.total_cmp(&finals[j].f).then(i.cmp(&j)))
            .ok_or_else(|| CoreError::Convergence("no start reached a finite objective".into()))?;
        let b = &finals[best];
        let tol = SAME_OPTIMUM * b.f.abs();
        let n_at_best = finals.iter().filter(|m| m.f.is_finite() && m.f - b.f <= tol).count();
        let n_converged = finals.iter().filter(|m| m.stop.converged()).count();
        let hessian = self.hessian(&b.x);
        Ok(FitOutcome {
            theta: self.expand(&b.x),
            objective: b.f,
            converged: b.stop.converged(),
            stop: b.stop,
            iterations: b.iterations,
            evaluations: b.evaluations,
            n_starts,
            n_at_best,
            n_converged,
            start_objectives: finals.iter().map(|m| m.f).collect(),
            hessian,
            free_index: self.map.free_names_index(),
        })
    }

    /// Central differences of the analytic gradient in the free coordinates, symmetrised.
    fn hessian(&self, z: &[f64]) -> Vec<f64> {
        let k = z.len();
        let mut theta = vec![0.0; self.map.n_full()];
        let mut g_theta = vec![0.0; theta.len()];
        let mut grad_at = |z: &[f64]| {
            let mut g = vec![0.0; k];
            self.map.expand(z, &mut theta);
            self.problem.value_grad(&theta, &mut g_theta);
            self.map.pull_grad(&g_theta, &mut g);
            g
        };
        let mut h = vec![0.0; k * k];
        for j in 0..k {
            let step = 1e-5 * z[j].abs().max(1.0);
            let mut zp = z.to_vec();
            let mut zm = z.to_vec();
            zp[j] += step;
            zm[j] -= step;
            let (gp, gm) = (grad_at(&zp), grad_at(&zm));
            for i in 0..k {
                h[i * k + j] = (gp[i] - gm[i]) / (2.0 * step);
            }
        }
        for i in 0..k {
            for j in 0..i {
                let m = 0.5 * (h[i * k + j] + h[j * k + i]);
                h[i * k + j] = m;
                h[j * k + i] = m;
            }
        }
        h
    }
}

fn total_key(v: f64) -> f64 {
    if v.is_nan() {
        f64::INFINITY
    } else {
        v
    }
}
