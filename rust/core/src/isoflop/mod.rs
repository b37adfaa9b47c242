//! IsoFLOP analysis (Hoffmann et al. 2022, approach 2) and the efficient frontier of training curves
//! (approach 1); docs/methods.md section 6.
//!
//! Approach 2: per budget, a polynomial of loss against ln N and its minimum N_opt(C) (`polynomial`);
//! then ln N_opt = ln k + a ln C by ordinary least squares. The bootstrap resamples runs within each
//! budget, refits every budget and the power law, so both stages' uncertainty reaches the interval of a.

mod frontier;
mod polynomial;

pub use frontier::{efficient_frontier, Frontier};
pub use polynomial::{budget_minimum, Refusal};

use rand::Rng;
use rayon::prelude::*;

use crate::bootstrap::intervals::{check_level, interval, Method};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::numeric::rng::replicate_rng;

/// Runs of an IsoFLOP sweep: ln N, loss and the budget index of each run; ln C of each budget.
#[derive(Debug, Clone, Copy)]
pub struct Sweep<'a> {
    pub ln_n: &'a [f64],
    pub loss: &'a [f64],
    pub budget: &'a [usize],
    pub ln_c: &'a [f64],
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// 2 (parabola) or 3 (cubic).
    pub degree: usize,
    /// Distinct model sizes fitted around each budget's lowest run; None for every run.
    pub near: Option<usize>,
}

/// The runs of each budget, in input order.
fn rows_by_budget(sweep: &Sweep) -> Result<Vec<Vec<usize>>> {
    let nb = sweep.ln_c.len();
    let n = sweep.ln_n.len();
    if sweep.loss.len() != n || sweep.budget.len() != n {
        return Err(CoreError::invalid("runs", "ln N, loss and budget columns differ in length"));
    }
    for (name, col) in [("N", sweep.ln_n), ("loss", sweep.loss), ("C", sweep.ln_c)] {
        if let Some(bad) = col.iter().find(|v| !v.is_finite()) {
            return Err(CoreError::invalid(name, format!("must be finite, got {bad}")));
        }
    }
    let mut rows = vec![Vec::new(); nb];
    for (i, &b) in sweep.budget.iter().enumerate() {
        rows.get_mut(b).ok_or_else(|| CoreError::invalid("budget", format!("index {b} out of range")))?.push(i);
    }
    Ok(rows)
}

fn check_options(opts: &Options) -> Result<()> {
    if !(opts.degree == 2 || opts.degree == 3) {
        return Err(CoreError::invalid("degree", format!("must be 2 or 3, got {}", opts.degree)));
    }
    Ok(())
}

/// The runs of one budget, gathered once: ln N, loss and the run weights given.
struct BudgetRuns {
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
}

fn gather(sweep: &Sweep, rows: &[Vec<usize>], w: &[f64]) -> Vec<BudgetRuns> {
    let pick = |r: &[usize], col: &[f64]| r.iter().map(|&i| col[i]).collect();
    rows.iter().map(|r| BudgetRuns { x: pick(r, sweep.ln_n), y: pick(r, sweep.loss), w: pick(r, w) }).collect()
}

/// Minimum of every budget, under the given run weights or (a bootstrap replicate) `resampled` ones.
fn fit_all(
    budgets: &[BudgetRuns],
    resampled: Option<&[Vec<f64>]>,
    opts: &Options,
) -> Vec<std::result::Result<(f64, f64), Refusal>> {
    let weights = |b: usize| resampled.and_then(|w| w.get(b)).unwrap_or(&budgets[b].w);
    budgets.iter().enumerate().map(|(b, r)| budget_minimum(&r.x, &r.y, weights(b), opts.degree, opts.near)).collect()
}

/// Ordinary least squares of y on x: (slope, intercept).
pub fn line_fit(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

#[derive(Debug, Clone)]
pub struct IsoflopFit {
    /// Per budget: Ok((ln N_opt, loss at the minimum)) or why not.
    pub budgets: Vec<std::result::Result<(f64, f64), Refusal>>,
    /// a and ln k of N_opt = k C^a over the budgets that have a minimum (NaN if fewer than two).
    pub exponent: f64,
    pub intercept: f64,
}

fn exponent_of(ln_c: &[f64], minima: &[std::result::Result<(f64, f64), Refusal>]) -> (f64, f64) {
    let (xs, ys): (Vec<f64>, Vec<f64>) =
        minima.iter().zip(ln_c).filter_map(|(m, &c)| m.as_ref().ok().map(|&(x, _)| (c, x))).unzip();
    if xs.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    line_fit(&xs, &ys)
}

/// Validated per-run weights (all ones when none are given).
fn run_weights(sweep: &Sweep, weights: Option<&[f64]>) -> Result<Vec<f64>> {
    let n = sweep.ln_n.len();
    match weights {
        Some(w) => {
            if w.len() != n {
                return Err(CoreError::invalid("weight", format!("has {} values, expected {n}", w.len())));
            }
            if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(CoreError::invalid("weight", format!("must be finite and non-negative, got {bad}")));
            }
            Ok(w.to_vec())
        }
        None => Ok(vec![1.0; n]),
    }
}

/// Per-budget minima and the power law; `weights` (one per run, non-negative) weight the polynomial
/// fits, a zero dropping a run.
pub fn isoflop(sweep: &Sweep, opts: &Options, weights: Option<&[f64]>) -> Result<IsoflopFit> {
    check_options(opts)?;
    let rows = rows_by_budget(sweep)?;
    let w = run_weights(sweep, weights)?;
    let budgets = fit_all(&gather(sweep, &rows, &w), None, opts);
    let (exponent, intercept) = exponent_of(sweep.ln_c, &budgets);
    Ok(IsoflopFit { budgets, exponent, intercept })
}

#[derive(Debug, Clone)]
pub struct IsoflopBootstrap {
    /// a and ln k per replicate (NaN where a budget had no minimum in that replicate).
    pub exponent: Vec<f64>,
    pub intercept: Vec<f64>,
    /// ln N_opt and loss at the minimum, replicate-major (`[r * n_budgets + b]`), NaN where refused.
    pub ln_n_opt: Vec<f64>,
    pub loss_opt: Vec<f64>,
    pub n_failed: usize,
}

/// Percentile intervals of a bootstrap's replicates (docs/methods.md section 6).
#[derive(Debug, Clone, PartialEq)]
pub struct IsoflopIntervals {
    /// The exponent a, over the replicates in which every budget kept its minimum.
    pub exponent: (f64, f64),
    /// N_opt (not its logarithm) per budget, over the replicates in which that budget kept its minimum.
    pub n_opt: Vec<(f64, f64)>,
}

impl IsoflopBootstrap {
    /// Percentile intervals at `level` on the bootstrap's one interval path (`bootstrap::interval`),
    /// each over the replicates where its quantity is finite; NaN where none is.
    pub fn intervals(&self, level: f64) -> Result<IsoflopIntervals> {
        check_level(level)?;
        let percentile = |values: Vec<f64>| -> Result<(f64, f64)> {
            let finite: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
            if finite.is_empty() {
                return Ok((f64::NAN, f64::NAN));
            }
            let iv = interval(&finite, f64::NAN, &[], level, Method::Percentile)?;
            Ok((iv.low, iv.high))
        };
        let exponent = percentile(self.exponent.clone())?;
        let n_resamples = self.exponent.len();
        let n_budgets = self.ln_n_opt.len().checked_div(n_resamples).unwrap_or(0);
        let n_opt = (0..n_budgets)
            .map(|b| percentile((0..n_resamples).map(|r| self.ln_n_opt[r * n_budgets + b].exp()).collect()))
            .collect::<Result<Vec<_>>>()?;
        Ok(IsoflopIntervals { exponent, n_opt })
    }
}

/// Bootstrap of both stages: replicate r resamples each budget's runs with replacement (as many as it
/// has; a run drawn k times weighs k times its own weight), drawing from the replicate stream
/// `numeric::rng::replicate_rng(seed, r)`, so replicates are identical for any thread count or split.
///
/// Each replicate writes one row of a preallocated table (a, ln k, then each budget's ln N_opt and loss)
/// and checks for cancellation first: a stop request ends the loop at once, without visiting (and
/// allocating for) the replicates not yet run.
pub fn isoflop_bootstrap(
    sweep: &Sweep,
    opts: &Options,
    weights: Option<&[f64]>,
    n_resamples: usize,
    seed: u64,
    control: &Control,
) -> Result<IsoflopBootstrap> {
    check_options(opts)?;
    let rows = rows_by_budget(sweep)?;
    let runs = gather(sweep, &rows, &run_weights(sweep, weights)?);
    let nb = rows.len();
    let width = 2 + 2 * nb;
    // The table of rows, then the same numbers again as columns.
    crate::memory::ensure_allocatable("n_resamples", n_resamples, n_resamples, 2 * 8 * width)?;
    control.set_total(n_resamples);
    // Zeroed memory comes from the operating system untouched; every row is overwritten by its replicate.
    let mut table = vec![0.0; n_resamples * width];
    table.par_chunks_mut(width).enumerate().try_for_each(|(r, row)| {
        control.check()?;
        replicate(sweep.ln_c, &runs, opts, seed, r as u64, row);
        control.advance(1);
        Ok::<(), CoreError>(())
    })?;
    let mut out = IsoflopBootstrap {
        exponent: Vec::with_capacity(n_resamples),
        intercept: Vec::with_capacity(n_resamples),
        ln_n_opt: Vec::with_capacity(n_resamples * nb),
        loss_opt: Vec::with_capacity(n_resamples * nb),
        n_failed: 0,
    };
    for row in table.chunks_exact(width) {
        out.n_failed += usize::from(!row[0].is_finite());
        out.exponent.push(row[0]);
        out.intercept.push(row[1]);
        for pair in row[2..].chunks_exact(2) {
            out.ln_n_opt.push(pair[0]);
            out.loss_opt.push(pair[1]);
        }
    }
    Ok(out)
}

/// Replicate `r` into `row`: a and ln k (NaN unless every budget kept its minimum), then each budget's
/// ln N_opt and loss at it (NaN where refused).
fn replicate(ln_c: &[f64], runs: &[BudgetRuns], opts: &Options, seed: u64, r: u64, row: &mut [f64]) {
    let mut rng = replicate_rng(seed, r);
    // Resampling counts times the given weights, per budget (the draws in the order of the runs).
    let w: Vec<Vec<f64>> = runs
        .iter()
        .map(|b| {
            let mut w = vec![0.0; b.w.len()];
            for _ in 0..b.w.len() {
                let j = rng.random_range(0..b.w.len());
                w[j] += b.w[j];
            }
            w
        })
        .collect();
    let minima = fit_all(runs, Some(&w), opts);
    let failed = minima.iter().any(|m| m.is_err());
    (row[0], row[1]) = if failed { (f64::NAN, f64::NAN) } else { exponent_of(ln_c, &minima) };
    for (m, pair) in minima.iter().zip(row[2..].chunks_exact_mut(2)) {
        (pair[0], pair[1]) = m.unwrap_or((f64::NAN, f64::NAN));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parabola_sweep() -> (Vec<f64>, Vec<f64>, Vec<usize>, Vec<f64>) {
        // Exact parabolas with minima at ln N = 18 + 0.5 b, budgets ln C = 40 + b: slope 0.5.
        let (mut x, mut y, mut budget) = (Vec::new(), Vec::new(), Vec::new());
        for b in 0..5 {
            let centre = 18.0 + 0.5 * b as f64;
            for k in 0..9 {
                let xi = centre - 1.7 + 0.4 * k as f64;
                x.push(xi);
                y.push(3.0 - 0.1 * b as f64 + 0.05 * (xi - centre).powi(2));
                budget.push(b);
            }
        }
        (x, y, budget, (0..5).map(|b| 40.0 + b as f64).collect())
    }

    #[test]
    fn exact_parabolas_give_exact_minima() {
        let (x, y, budget, ln_c) = parabola_sweep();
        let sweep = Sweep { ln_n: &x, loss: &y, budget: &budget, ln_c: &ln_c };
        for opts in [Options { degree: 2, near: None }, Options { degree: 3, near: Some(5) }] {
            let fit = isoflop(&sweep, &opts, None).unwrap();
            for (b, m) in fit.budgets.iter().enumerate() {
                let (xo, lo) = m.unwrap();
                assert!((xo - (18.0 + 0.5 * b as f64)).abs() < 1e-9);
                assert!((lo - (3.0 - 0.1 * b as f64)).abs() < 1e-12);
            }
            assert!((fit.exponent - 0.5).abs() < 1e-10);
        }
    }

    #[test]
    fn refusals() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let w = [1.0; 4];
        assert_eq!(budget_minimum(&x, &[4.0, 3.0, 2.0, 1.0], &w, 2, None), Err(Refusal::MinimumAtEdge));
        assert_eq!(
            budget_minimum(&x[..2], &[2.0, 1.0], &w[..2], 2, None),
            Err(Refusal::TooFewPoints { have: 2, need: 3 })
        );
        assert_eq!(
            budget_minimum(&x[..3], &[2.0, 1.0, 2.0], &w[..3], 3, None),
            Err(Refusal::TooFewPoints { have: 3, need: 4 })
        );
        assert!(budget_minimum(&x, &[2.0, 1.0, 1.5, 2.5], &w, 2, None).is_ok());
    }

    #[test]
    fn bootstrap_is_deterministic_across_thread_counts() {
        let (x, mut y, budget, ln_c) = parabola_sweep();
        for (i, v) in y.iter_mut().enumerate() {
            *v += 0.003 * ((i * 7919 % 101) as f64 / 101.0 - 0.5);
        }
        let sweep = Sweep { ln_n: &x, loss: &y, budget: &budget, ln_c: &ln_c };
        let opts = Options { degree: 2, near: Some(7) };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| isoflop_bootstrap(&sweep, &opts, None, 64, 11, &Control::new()).unwrap())
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(
            one.exponent.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            two.exponent.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert!(one.exponent.iter().filter(|v| v.is_finite()).count() > 50);
    }

    #[test]
    fn intervals_are_percentiles_of_the_finite_replicates() {
        let b = IsoflopBootstrap {
            exponent: vec![0.5, f64::NAN, 0.3, 0.4, 0.6],
            intercept: vec![0.0; 5],
            ln_n_opt: vec![1.0, f64::NAN, 2.0, f64::NAN, 3.0, f64::NAN, 4.0, f64::NAN, 5.0, f64::NAN],
            loss_opt: vec![0.0; 10],
            n_failed: 1,
        };
        let iv = b.intervals(0.5).unwrap();
        // numpy.percentile([0.3, 0.4, 0.5, 0.6], [25, 75]) = [0.375, 0.525]
        assert!((iv.exponent.0 - 0.375).abs() < 1e-15 && (iv.exponent.1 - 0.525).abs() < 1e-15);
        let want = (2f64.exp(), 4f64.exp());
        assert!((iv.n_opt[0].0 / want.0 - 1.0).abs() < 1e-15 && (iv.n_opt[0].1 / want.1 - 1.0).abs() < 1e-15);
        assert!(iv.n_opt[1].0.is_nan() && iv.n_opt[1].1.is_nan());
        assert!(b.intervals(1.0).is_err());
    }
}
