//! Fitting a law to runs: multi-start L-BFGS on an objective, with fixed and tied parameters.
//!
//! `Init::Hoffmann` runs every start of the law's default grid (for chinchilla exactly Hoffmann et
//! al.'s 4500) to convergence and keeps the best. `Init::Auto` screens the same grid by objective
//! value (one evaluation per start, on a subsample of very large tables), polishes the most promising
//! starts with L-BFGS, and refines the best on the full table: the grid's good basins are found
//! without paying 4500 full minimisations.
//!
//! `spec` holds a fit as one owned value (`FitSpec`, validated once, and `Fit`, its outcome), which
//! the bootstrap reuses; `centring` the optimiser's coordinates and the Hessian there.

mod centring;
pub mod composed;
mod honesty;
pub mod joint;
pub mod lbfgs;
pub mod objective;
pub mod params;
pub mod spec;

use rayon::prelude::*;

pub use lbfgs::{LbfgsOptions, Minimum, Stop};
pub use objective::{Objective, Problem};
pub use params::ParamMap;
pub use spec::{Fit, FitSpec};

use crate::control::Control;
use crate::error::{CoreError, Result};
use centring::Shear;

#[derive(Debug, Clone)]
pub enum Init {
    /// Every start of the law's default grid.
    Hoffmann,
    /// Screen the default grid, polish the best few.
    Auto,
    /// These starts (internal coordinates, one full parameter vector each).
    Starts(Vec<Vec<f64>>),
}

impl Init {
    /// The named start strategies (`Starts` is given as an array, not by name).
    pub const NAMES: [&'static str; 2] = ["auto", "hoffmann"];

    /// The strategy called `name`, or the given starts when `starts` is not None.
    pub fn parse(name: &str, starts: Option<Vec<Vec<f64>>>) -> Result<Init> {
        match (name, starts) {
            ("auto", None) => Ok(Init::Auto),
            ("hoffmann", None) => Ok(Init::Hoffmann),
            ("starts", Some(s)) if !s.is_empty() => Ok(Init::Starts(s)),
            ("starts", _) => Err(CoreError::invalid("init", "give at least one start")),
            (other, _) => Err(CoreError::invalid("init", format!("must be one of {:?}, got {other:?}", Init::NAMES))),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Init::Auto => "auto",
            Init::Hoffmann => "hoffmann",
            Init::Starts(_) => "starts",
        }
    }
}

/// Local optima (other than the best) and screened grid starts a fit keeps for its bootstrap: the
/// bootstrap guards its warm refits with the former and, in robust mode, re-screens the latter.
const KEPT_OPTIMA: usize = 16;
const KEPT_SCREENED: usize = 128;

/// `Init::Auto` polishes the best this-many screened starts overall ...
const AUTO_POLISH: usize = 8;
/// ... and the best start of each of up to this-many exponent combinations.
const AUTO_GROUPS: usize = 32;
/// `Init::Hoffmann` minimises every grid start until an iteration gains less than this fraction of
/// the objective (scipy's default, ftol = 2.2e-9 against max(|f|, 1), stops at about the same relative
/// gain for a summed Huber objective near 1e-3), then polishes the best `POLISH` to the caller's
/// tolerance, so the winner is converged as tightly as any other fit.
const GRID_FTOL: f64 = 2e-6;
const POLISH: usize = 16;
/// Above this many runs, `Init::Auto` screens and polishes on an even subsample first.
const AUTO_SUBSAMPLE_ROWS: usize = 8192;
/// Relative gap within which a start counts as having reached the best optimum (loose, because
/// unpolished grid starts stop at a relative gain of `GRID_FTOL`).
const SAME_OPTIMUM: f64 = 1e-5;

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
    /// Starts minimised on the full table (for `Init::Auto`: the screened starts polished, or on a
    /// subsampled large table the subsample optima refined).
    pub n_starts: usize,
    /// Grid starts evaluated once to choose the starts (`Init::Auto` only; 0 otherwise).
    pub n_screened: usize,
    /// Starts whose final objective is within 1e-5 (relative) of the best.
    pub n_at_best: usize,
    pub n_converged: usize,
    /// Objective evaluations over all starts (the work the fit did).
    pub total_evaluations: usize,
    /// Final objective of every start, in start order (screened-out starts are absent).
    pub start_objectives: Vec<f64>,
    /// Hessian of the objective at the optimum in the free coordinates (row-major), by central
    /// differences of the analytic gradient.
    pub hessian: Vec<f64>,
    /// For each free coordinate, the index of the parameter it drives.
    pub free_index: Vec<usize>,
    /// The converged local optima of the starts polished (internal parameters, best first, at most
    /// `KEPT_OPTIMA`; for `Init::Auto` on a large table, the optima of the screening subsample).
    pub optima: Vec<Vec<f64>>,
    /// `Init::Auto` only: the best `KEPT_SCREENED` grid starts by screening value, best first.
    pub screened: Vec<Vec<f64>>,
}

pub struct Fitter<'p, 'a> {
    pub problem: &'p Problem<'a>,
    pub map: ParamMap,
    pub lbfgs: LbfgsOptions,
}

impl Fitter<'_, '_> {
    /// Objective and gradient in the optimiser's free coordinates z.
    fn objective_in_z<'s>(
        &'s self,
        problem: &'s Problem,
        shear: &'s Shear,
    ) -> impl FnMut(&[f64], &mut [f64]) -> f64 + 's {
        let k = self.map.n_full();
        let (mut theta, mut g_theta) = (vec![0.0; k], vec![0.0; k]);
        move |z: &[f64], g_z: &mut [f64]| {
            self.map.expand(z, &mut theta);
            shear.back(&mut theta);
            let f = problem.value_grad(&theta, &mut g_theta);
            shear.pull(&mut g_theta);
            self.map.pull_grad(&g_theta, g_z);
            f
        }
    }

    fn to_z(&self, theta: &[f64], shear: &Shear) -> Vec<f64> {
        self.map.reduce(&shear.forward(theta))
    }

    /// Law coordinates of an optimiser point.
    fn to_theta(&self, z: &[f64], shear: &Shear) -> Vec<f64> {
        let mut theta = vec![0.0; self.map.n_full()];
        self.map.expand(z, &mut theta);
        shear.back(&mut theta);
        theta
    }

    /// Minimise from each optimiser point in `starts`, in parallel; results in start order.
    fn run(
        &self,
        problem: &Problem,
        starts: &[Vec<f64>],
        opts: &LbfgsOptions,
        control: &Control,
    ) -> Result<Vec<Minimum>> {
        let shear = self.shear();
        let out: Vec<Minimum> = starts
            .par_iter()
            .map(|z0| {
                let mut fg = self.objective_in_z(problem, &shear);
                let cancellable = |z: &[f64], g: &mut [f64]| if control.is_cancelled() { f64::NAN } else { fg(z, g) };
                let m = lbfgs::minimize(cancellable, z0, opts);
                control.advance(1);
                m
            })
            .collect();
        control.check()?;
        Ok(out)
    }

    /// Starts in the optimiser's coordinates, duplicates (from ties and fixes) removed.
    fn normalise_starts(&self, starts: Vec<Vec<f64>>) -> Result<Vec<Vec<f64>>> {
        let k = self.map.n_full();
        let shear = self.shear();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(starts.len());
        for s in starts {
            if s.len() != k || s.iter().any(|v| !v.is_finite()) {
                return Err(CoreError::invalid("init", format!("a start needs {k} finite values, got {s:?}")));
            }
            let z = self.to_z(&s, &shear);
            if seen.insert(z.iter().map(|v| v.to_bits()).collect::<Vec<u64>>()) {
                out.push(z);
            }
        }
        Ok(out)
    }

    pub fn fit(&self, init: &Init, control: &Control) -> Result<FitOutcome> {
        let (finals, n_screened, kept) = match init {
            Init::Starts(s) => {
                let starts = self.normalise_starts(s.clone())?;
                control.set_total(starts.len());
                (self.run(self.problem, &starts, &self.lbfgs, control)?, 0, Kept::default())
            }
            Init::Hoffmann => {
                let (finals, n) = self.full_grid(control)?;
                (finals, n, Kept::default())
            }
            Init::Auto => self.auto(control)?,
        };
        let mut outcome = self.outcome(&finals, n_screened)?;
        let shear = self.shear();
        let polished = if kept.polished.is_empty() { &finals } else { &kept.polished };
        outcome.optima = best_first(polished)
            .into_iter()
            .filter(|&i| polished[i].stop.converged() && polished[i].f.is_finite())
            .take(KEPT_OPTIMA)
            .map(|i| self.to_theta(&polished[i].x, &shear))
            .collect();
        outcome.screened = kept.screened;
        Ok(outcome)
    }

    /// Every grid start minimised until an iteration gains less than `GRID_FTOL` (relative), then the
    /// best `POLISH` of them minimised to the full tolerance. Returns the polished minima first, then
    /// the rest, so that the outcome can count how many starts reached the best optimum.
    fn full_grid(&self, control: &Control) -> Result<(Vec<Minimum>, usize)> {
        let starts = self.normalise_starts(self.problem.law.default_grid())?;
        control.set_total(starts.len() + POLISH);
        let coarse = LbfgsOptions { ftol: self.lbfgs.ftol.max(GRID_FTOL), ..self.lbfgs };
        let mut finals = self.run(self.problem, &starts, &coarse, control)?;
        let order = best_first(&finals);
        let polish: Vec<Vec<f64>> = order.iter().take(POLISH).map(|&i| finals[i].x.clone()).collect();
        let polished = self.run(self.problem, &polish, &self.lbfgs, control)?;
        for (&i, m) in order.iter().zip(polished) {
            finals[i] = Minimum {
                iterations: finals[i].iterations + m.iterations,
                evaluations: finals[i].evaluations + m.evaluations,
                ..m
            };
        }
        Ok((finals, 0))
    }

    fn auto(&self, control: &Control) -> Result<(Vec<Minimum>, usize, Kept)> {
        let grid = self.normalise_starts(self.problem.law.default_grid())?;
        let n_rows = self.problem.n_rows();
        let sub;
        let screen: &Problem = if n_rows > AUTO_SUBSAMPLE_ROWS {
            sub = self.problem.subsample(n_rows.div_ceil(AUTO_SUBSAMPLE_ROWS / 2));
            &sub
        } else {
            self.problem
        };
        control.set_total(AUTO_POLISH + 3);
        let shear = self.shear();
        let thetas: Vec<Vec<f64>> = grid.iter().map(|z| self.to_theta(z, &shear)).collect();
        let values: Vec<f64> = thetas.par_iter().map(|t| screen.value(t)).collect();
        control.check()?;
        let picked: Vec<Vec<f64>> = self.screened(&values, &thetas).into_iter().map(|i| grid[i].clone()).collect();
        let mut finals = self.run(screen, &picked, &self.lbfgs, control)?;
        let mut kept = Kept { screened: best_screened(&values, &thetas), polished: Vec::new() };
        if !std::ptr::eq(screen, self.problem) {
            kept.polished = finals.clone();
            // Refine on the full table the best subsample optimum and any distinct other within 1e-3 of
            // it (at most three): a close second could win on the full table, a distant one cannot.
            let order = best_first(&finals);
            let best = finals[order[0]].f;
            let mut kept: Vec<usize> = Vec::new();
            for &i in &order {
                let f = finals[i].f;
                let same_as_kept = kept.iter().any(|&j| (f - finals[j].f).abs() <= 1e-9 * f.abs());
                if f <= best + 1e-3 * best.abs() && !same_as_kept && kept.len() < 3 {
                    kept.push(i);
                }
            }
            let refine: Vec<Vec<f64>> = kept.iter().map(|&i| finals[i].x.clone()).collect();
            finals = self.run(self.problem, &refine, &self.lbfgs, control)?;
        }
        Ok((finals, grid.len(), kept))
    }

    /// Grid starts worth polishing, by their screening objective `values`: the best start of each
    /// combination of exponents (the grid's non-logarithmic coordinates; basins differ mostly by their
    /// exponents, e.g. one where a term vanishes with a huge exponent), at most `AUTO_GROUPS` of them,
    /// plus the `AUTO_POLISH` best starts overall. Deterministic: ties keep grid order.
    fn screened(&self, values: &[f64], grid: &[Vec<f64>]) -> Vec<usize> {
        let exps: Vec<usize> = (0..self.problem.n_params())
            .filter(|&j| self.problem.law.params()[j].transform == crate::laws::Transform::Identity)
            .collect();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&i, &j| total_key(values[i]).total_cmp(&total_key(values[j])).then(i.cmp(&j)));
        let mut picked: Vec<usize> = order.iter().take(AUTO_POLISH).copied().collect();
        let mut groups: Vec<Vec<u64>> = Vec::new();
        for &i in &order {
            let key: Vec<u64> = exps.iter().map(|&j| grid[i][j].to_bits()).collect();
            if !groups.contains(&key) {
                groups.push(key);
                if !picked.contains(&i) && values[i].is_finite() {
                    picked.push(i);
                }
                if groups.len() == AUTO_GROUPS {
                    break;
                }
            }
        }
        picked
    }

    fn outcome(&self, finals: &[Minimum], n_screened: usize) -> Result<FitOutcome> {
        let best = *best_first(finals)
            .first()
            .filter(|&&i| finals[i].f.is_finite())
            .ok_or_else(|| CoreError::Convergence("no start reached a finite objective".into()))?;
        let b = &finals[best];
        let tol = SAME_OPTIMUM * b.f.abs();
        let n_at_best = finals.iter().filter(|m| m.f.is_finite() && m.f - b.f <= tol).count();
        let n_converged = finals.iter().filter(|m| m.stop.converged()).count();
        let shear = self.shear();
        let stop = self.honest_stop(b);
        Ok(FitOutcome {
            theta: self.to_theta(&b.x, &shear),
            objective: b.f,
            converged: stop.converged(),
            stop,
            iterations: b.iterations,
            evaluations: b.evaluations,
            n_starts: finals.len(),
            n_screened,
            n_at_best,
            n_converged,
            total_evaluations: finals.iter().map(|m| m.evaluations).sum(),
            start_objectives: finals.iter().map(|m| m.f).collect(),
            hessian: self.hessian_in(&b.x, &shear),
            free_index: self.map.free_names_index(),
            optima: Vec::new(),
            screened: Vec::new(),
        })
    }
}

/// What `Init::Auto` keeps for a bootstrap besides the minima it returns.
#[derive(Default)]
struct Kept {
    /// Best grid starts by screening value.
    screened: Vec<Vec<f64>>,
    /// The subsample's polished minima, when a large table was screened on a subsample (the minima
    /// returned are then the few refined on the full table).
    polished: Vec<Minimum>,
}

/// The best `KEPT_SCREENED` grid starts (law coordinates) by screening value, finite values only.
fn best_screened(values: &[f64], thetas: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_finite()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]).then(i.cmp(&j)));
    order.into_iter().take(KEPT_SCREENED).map(|i| thetas[i].clone()).collect()
}

/// Indices of `finals` from the lowest objective up (non-finite last, ties in start order).
fn best_first(finals: &[Minimum]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..finals.len()).collect();
    idx.sort_by(|&i, &j| total_key(finals[i].f).total_cmp(&total_key(finals[j].f)).then(i.cmp(&j)));
    idx
}

fn total_key(v: f64) -> f64 {
    if v.is_nan() {
        f64::INFINITY
    } else {
        v
    }
}
