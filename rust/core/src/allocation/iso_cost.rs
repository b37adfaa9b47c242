//! Bracketed 1-D minimisation along the iso-cost curve, vectorised over budgets.
//!
//! The search variable is y = ln D (training tokens); the model size follows from the cost,
//! N = C / (f D + g). Unlike ln N, ln D covers the whole feasible curve even with inference cost
//! (N <= C / g), and D -> 0 or N -> 0 both drive any sensible law's loss up. Each budget is scanned on a
//! fixed grid of y over D/N from about 1e-18 to 1e18 around D = sqrt(C/f); the best grid point and its
//! neighbours bracket the minimum, which golden-section search (`numeric::golden`) then narrows to ~1e-13 in ln D. Every
//! step evaluates the law on all budgets of a block at once (one `features` + `predict_block` call),
//! and blocks of budgets run in parallel; each budget's answer depends on its own inputs only.

use super::{Allocation, Budgets, CostModel, Status};
use crate::control::Control;
use crate::error::Result;
use crate::laws::{Columns, Law, Space};
use crate::numeric::golden::golden_section;
use crate::parallel::map_blocks;

/// Half-width of the scanned range in ln D around ln sqrt(C/f): D/N spans exp(+-2 * HALF_WIDTH).
const HALF_WIDTH: f64 = 20.7;
/// Intervals of the scan grid (step ~0.43 in ln D).
const SCAN: usize = 96;
/// Golden-section iterations: bracket 0.86 * 0.618^64 ~ 3e-14.
const GOLDEN_STEPS: usize = 64;
/// Budgets per parallel block.
const BUDGET_BLOCK: usize = 128;

/// The law's loss at probe points (one budget per probe): y = ln D, total compute, inference FLOPs per
/// parameter and unique tokens.
struct Probe<'l> {
    law: &'l dyn Law,
    theta: &'l [f64],
    f: f64,
}

impl Probe<'_> {
    fn loss(&self, y: &[f64], c: &[f64], g: &[f64], u: Option<&[f64]>, out: &mut [f64]) -> Result<()> {
        let d: Vec<f64> = y.iter().map(|v| v.exp()).collect();
        let n: Vec<f64> = (0..y.len()).map(|i| c[i] / (self.f * d[i] + g[i])).collect();
        law_loss(self.law, self.theta, self.f, &n, &d, u, out)
    }
}

/// The law's loss at paired (N, D) (and U) points, with the training compute C = f N D and the tokens
/// per parameter M = D / N for laws that read them. Non-finite predictions count as +inf so that
/// comparisons stay total.
pub(super) fn law_loss(
    law: &dyn Law,
    theta: &[f64],
    f: f64,
    n: &[f64],
    d: &[f64],
    u: Option<&[f64]>,
    out: &mut [f64],
) -> Result<()> {
    let train: Vec<f64> = n.iter().zip(d).map(|(n, d)| f * n * d).collect();
    let m: Vec<f64> = n.iter().zip(d).map(|(n, d)| d / n).collect();
    let cols = Columns { x: None, n: Some(n), d: Some(d), u, c: Some(&train), m: Some(&m), extra: &[] };
    let feats = law.features(&cols)?;
    law.predict_block(theta, &feats, 0, n.len(), Space::Linear, out, None);
    out.iter_mut().filter(|v| !v.is_finite()).for_each(|v| *v = f64::INFINITY);
    Ok(())
}

fn search_block(probe: &Probe, budgets: &Budgets, g_all: &[f64], start: usize, end: usize) -> Result<Allocation> {
    let k = end - start;
    let c = &budgets.compute[start..end];
    let g = &g_all[start..end];
    let u = budgets.unique_tokens.map(|u| &u[start..end]);
    let center: Vec<f64> = c.iter().map(|v| 0.5 * (v / probe.f).ln()).collect();
    let step = 2.0 * HALF_WIDTH / SCAN as f64;
    // Scan: grid point j of every budget, one law evaluation per j over the block.
    let mut best = vec![(f64::INFINITY, 0usize); k];
    let mut y = vec![0.0; k];
    let mut val = vec![0.0; k];
    for j in 0..=SCAN {
        for i in 0..k {
            y[i] = center[i] - HALF_WIDTH + j as f64 * step;
        }
        probe.loss(&y, c, g, u, &mut val)?;
        for i in 0..k {
            if val[i] < best[i].0 {
                best[i] = (val[i], j);
            }
        }
    }
    let status: Vec<Status> = best
        .iter()
        .map(|&(_, j)| match j {
            0 => Status::AtFewestTokens,
            j if j == SCAN => Status::AtMostTokens,
            _ => Status::Optimal,
        })
        .collect();
    // Golden section on [grid j-1, grid j+1] of each budget.
    let lo: Vec<f64> = (0..k).map(|i| center[i] - HALF_WIDTH + best[i].1.saturating_sub(1) as f64 * step).collect();
    let hi: Vec<f64> = (0..k).map(|i| center[i] - HALF_WIDTH + (best[i].1 + 1).min(SCAN) as f64 * step).collect();
    let (y_golden, f_golden) = golden_section(&lo, &hi, GOLDEN_STEPS, |y, out| probe.loss(y, c, g, u, out))?;
    let mut out = Allocation::with_capacity(k);
    for i in 0..k {
        // The scan's best point can only be beaten, never lost, by the golden search.
        let (y_best, loss) = if best[i].0 < f_golden[i] {
            (center[i] - HALF_WIDTH + best[i].1 as f64 * step, best[i].0)
        } else {
            (y_golden[i], f_golden[i])
        };
        let d = y_best.exp();
        out.n.push(c[i] / (probe.f * d + g[i]));
        out.d.push(d);
        out.loss.push(if loss.is_finite() { loss } else { f64::NAN });
        out.status.push(status[i]);
    }
    Ok(out)
}

/// Allocation by search for every budget (any law of N and D; inference cost allowed).
pub fn search_allocation(
    law: &dyn Law,
    theta: &[f64],
    budgets: &Budgets,
    cost: &CostModel,
    control: &Control,
) -> Result<Allocation> {
    let probe = Probe { law, theta, f: cost.flops_per_param_token };
    // Inference FLOPs per parameter: 2 per token served.
    let g: Vec<f64> = budgets.inference_tokens.iter().map(|t| 2.0 * t).collect();
    let n = budgets.compute.len();
    let blocks = map_blocks(n, BUDGET_BLOCK, |start, end| {
        if control.is_cancelled() {
            return Ok(Allocation::default());
        }
        search_block(&probe, budgets, &g, start, end)
    });
    control.check()?;
    let mut out = Allocation::with_capacity(n);
    for b in blocks {
        out.extend(b?);
    }
    Ok(out)
}
