//! Allocation under a user's own cost model cost(N, D) -> FLOPs (for example with attention FLOPs, or
//! a price per token), which must increase with D.
//!
//! The search variable is ln N; for each N the tokens that spend the budget exactly, ln D, come from
//! bisection on ln D in [-10, 200] (`numeric::bisection`). Each budget is scanned on a grid of ln N
//! from 0 (one parameter) to ln C, and golden-section search (`numeric::golden`) narrows the bracket
//! around the best grid point. Every step evaluates the cost at all points of all budgets at once, so a
//! cost written in Python is called once per step, whatever the number of budgets.

use super::iso_cost::law_loss;
use super::{check_budgets, check_law, check_theta, Allocation, Budgets, CostModel, Status};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::laws::Law;
use crate::numeric::bisection::bisect;
use crate::numeric::golden::golden_section;

/// ln D searched: e^-10 to e^200 tokens.
const LN_D: (f64, f64) = (-10.0, 200.0);
/// Bisection steps on ln D: 210 / 2^60 ~ 2e-16, below the spacing of doubles near any ln D >= 1.
const BISECTION_STEPS: usize = 60;
/// Points of the ln N grid of each budget (step ln C / 120, about 0.45 at 1e23 FLOPs).
const GRID: usize = 121;
/// Golden-section steps: bracket 0.9 * 0.618^60 ~ 3e-13 in ln N.
const GOLDEN_STEPS: usize = 60;

/// The user's cost at paired points, checked: `cost(n, d, out)` writes FLOPs, which must be finite or
/// +inf (an infinite cost only marks a point as too dear).
struct Cost<'c, K> {
    cost: K,
    control: &'c Control,
}

impl<K: FnMut(&[f64], &[f64], &mut [f64]) -> Result<()>> Cost<'_, K> {
    fn at(&mut self, n: &[f64], d: &[f64]) -> Result<Vec<f64>> {
        self.control.check()?;
        let mut out = vec![0.0; n.len()];
        (self.cost)(n, d, &mut out)?;
        if out.iter().any(|v| v.is_nan() || *v == f64::NEG_INFINITY) {
            return Err(CoreError::invalid(
                "cost",
                "returned NaN or -inf; it must return finite FLOPs for positive N and D",
            ));
        }
        Ok(out)
    }

    /// ln D with cost(N, D) = budget at each (ln N, budget) (NaN where no D in range spends exactly it).
    fn tokens_for_budget(&mut self, ln_n: &[f64], budget: &[f64]) -> Result<Vec<f64>> {
        let k = ln_n.len();
        let n: Vec<f64> = ln_n.iter().map(|v| v.exp()).collect();
        let both_n: Vec<f64> = n.iter().chain(&n).copied().collect();
        let ends: Vec<f64> = [LN_D.0.exp(), LN_D.1.exp()].iter().flat_map(|&d| std::iter::repeat_n(d, k)).collect();
        let at_ends = self.at(&both_n, &ends)?;
        let (mut lo, mut hi) = (vec![LN_D.0; k], vec![LN_D.1; k]);
        bisect(&mut lo, &mut hi, BISECTION_STEPS, |mid, over| {
            let d: Vec<f64> = mid.iter().map(|v| v.exp()).collect();
            let c = self.at(&n, &d)?;
            for i in 0..k {
                over[i] = c[i] > budget[i];
            }
            Ok(())
        })?;
        Ok((0..k)
            .map(
                |i| {
                    if at_ends[i] <= budget[i] && at_ends[k + i] >= budget[i] {
                        0.5 * (lo[i] + hi[i])
                    } else {
                        f64::NAN
                    }
                },
            )
            .collect())
    }
}

/// The law's loss at each ln N when the budget is spent exactly (+inf where it cannot be).
struct Objective<'a> {
    law: &'a dyn Law,
    theta: &'a [f64],
    f: f64,
    unique: Option<&'a [f64]>,
}

impl Objective<'_> {
    fn loss(&self, lanes: &[usize], ln_n: &[f64], ln_d: &[f64], out: &mut [f64]) -> Result<()> {
        out.fill(f64::INFINITY);
        let ok: Vec<usize> = (0..ln_n.len()).filter(|&j| ln_d[j].is_finite()).collect();
        if ok.is_empty() {
            return Ok(());
        }
        let n: Vec<f64> = ok.iter().map(|&j| ln_n[j].exp()).collect();
        let d: Vec<f64> = ok.iter().map(|&j| ln_d[j].exp()).collect();
        let u: Option<Vec<f64>> = self.unique.map(|u| ok.iter().map(|&j| u[lanes[j]]).collect());
        let mut val = vec![0.0; ok.len()];
        law_loss(self.law, self.theta, self.f, &n, &d, u.as_deref(), &mut val)?;
        for (&j, v) in ok.iter().zip(val) {
            out[j] = v;
        }
        Ok(())
    }
}

/// Compute-optimal allocation for every budget under a user's cost model. `cost(n, d, out)` writes
/// the FLOPs of training n[i] parameters on d[i] tokens (increasing in d); `flops_per_param_token`
/// only gives the training compute C = f N D to laws that read it. A budget whose loss still falls at
/// one parameter or at the whole budget in parameters gets the status of that edge.
pub fn allocate_with_cost<K>(
    law: &dyn Law,
    theta: &[f64],
    compute: &[f64],
    unique_tokens: Option<&[f64]>,
    model: &CostModel,
    cost: K,
    control: &Control,
) -> Result<Allocation>
where
    K: FnMut(&[f64], &[f64], &mut [f64]) -> Result<()>,
{
    let k = compute.len();
    let zeros = vec![0.0; k];
    let budgets = Budgets { compute, inference_tokens: &zeros, unique_tokens };
    check_law(law, &budgets)?;
    check_budgets(&budgets, model)?;
    check_theta(law, theta)?;
    let mut cost = Cost { cost, control };
    let objective = Objective { law, theta, f: model.flops_per_param_token, unique: unique_tokens };
    let mut eval = |lanes: &[usize], ln_n: &[f64], out: &mut [f64]| -> Result<()> {
        let budget: Vec<f64> = lanes.iter().map(|&i| compute[i]).collect();
        let ln_d = cost.tokens_for_budget(ln_n, &budget)?;
        objective.loss(lanes, ln_n, &ln_d, out)
    };

    // The grid of every budget in one evaluation: ln N = j ln C / (GRID - 1).
    let grid_at = |i: usize, j: usize| {
        if j + 1 == GRID {
            compute[i].ln()
        } else {
            compute[i].ln() / (GRID - 1) as f64 * j as f64
        }
    };
    let lanes: Vec<usize> = (0..k).flat_map(|i| std::iter::repeat_n(i, GRID)).collect();
    let points: Vec<f64> = lanes.iter().enumerate().map(|(m, &i)| grid_at(i, m % GRID)).collect();
    let mut values = vec![0.0; points.len()];
    eval(&lanes, &points, &mut values)?;
    let mut best = Vec::with_capacity(k);
    for i in 0..k {
        let row = &values[i * GRID..(i + 1) * GRID];
        let j = (0..GRID).fold(0, |b, j| if row[j] < row[b] { j } else { b });
        if !row[j].is_finite() {
            return Err(CoreError::invalid(
                "cost",
                format!("no N and D spend compute={:.6e} (is cost increasing in D?)", compute[i]),
            ));
        }
        best.push((j, row[j]));
    }

    let lo: Vec<f64> = (0..k).map(|i| grid_at(i, best[i].0.saturating_sub(1))).collect();
    let hi: Vec<f64> = (0..k).map(|i| grid_at(i, (best[i].0 + 1).min(GRID - 1))).collect();
    let all: Vec<usize> = (0..k).collect();
    let (x, fx) = golden_section(&lo, &hi, GOLDEN_STEPS, |ln_n, out| eval(&all, ln_n, out))?;
    // The grid's best point can only be beaten, never lost, by the golden search.
    let ln_n: Vec<f64> = (0..k).map(|i| if best[i].1 < fx[i] { grid_at(i, best[i].0) } else { x[i] }).collect();
    let ln_d = cost.tokens_for_budget(&ln_n, compute)?;
    let mut loss = vec![0.0; k];
    objective.loss(&all, &ln_n, &ln_d, &mut loss)?;
    Ok(Allocation {
        n: ln_n.iter().map(|v| v.exp()).collect(),
        d: ln_d.iter().map(|v| v.exp()).collect(),
        loss: loss.into_iter().map(|v| if v.is_finite() { v } else { f64::NAN }).collect(),
        status: best
            .iter()
            .map(|&(j, _)| match j {
                0 => Status::AtMostTokens,
                j if j + 1 == GRID => Status::AtFewestTokens,
                _ => Status::Optimal,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws;

    const HOFFMANN: [f64; 5] = [0.5267228, 6.0073404, 6.0179186, 0.33917084, 0.2849083];
    const SIX: CostModel = CostModel { flops_per_param_token: 6.0 };

    #[test]
    fn the_built_in_cost_gives_the_closed_form() {
        let law = laws::get("chinchilla").unwrap();
        let c = [1e21, 1e23, 1e25];
        let mut calls = 0;
        let six = |n: &[f64], d: &[f64], out: &mut [f64]| {
            calls += 1;
            for i in 0..n.len() {
                out[i] = 6.0 * n[i] * d[i];
            }
            Ok(())
        };
        let ours = allocate_with_cost(law.as_ref(), &HOFFMANN, &c, None, &SIX, six, &Control::new()).unwrap();
        let closed = super::super::chinchilla_allocation(&HOFFMANN, &c, 6.0).unwrap();
        for i in 0..3 {
            assert!((ours.n[i] / closed.n[i] - 1.0).abs() < 1e-6, "{} vs {}", ours.n[i], closed.n[i]);
            assert!((ours.loss[i] / closed.loss[i] - 1.0).abs() < 1e-12);
            assert_eq!(ours.status[i], Status::Optimal);
        }
        // One call per step for all three budgets: grid, golden steps, final point, each a bisection.
        assert_eq!(calls, (GOLDEN_STEPS + 2 + 2) * (BISECTION_STEPS + 1));
    }

    #[test]
    fn bad_costs_are_refused() {
        let law = laws::get("chinchilla").unwrap();
        let nan = |_: &[f64], _: &[f64], out: &mut [f64]| {
            out.fill(f64::NAN);
            Ok(())
        };
        let err = allocate_with_cost(law.as_ref(), &HOFFMANN, &[1e23], None, &SIX, nan, &Control::new());
        assert!(matches!(err, Err(CoreError::InvalidInput { ref name, .. }) if name == "cost"));
        // Decreasing in D: no D spends the budget.
        let decreasing = |n: &[f64], d: &[f64], out: &mut [f64]| {
            for i in 0..n.len() {
                out[i] = 6.0 * n[i] / d[i];
            }
            Ok(())
        };
        let err = allocate_with_cost(law.as_ref(), &HOFFMANN, &[1e23], None, &SIX, decreasing, &Control::new());
        assert!(matches!(err, Err(CoreError::InvalidInput { ref name, .. }) if name == "cost"));
    }
}
