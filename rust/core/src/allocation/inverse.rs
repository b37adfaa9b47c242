//! The inverse question: the least total compute whose compute-optimal allocation reaches a target
//! loss. The optimal loss L*(C) falls monotonically with C, so each target is found by bisection
//! (`numeric::bisection`, all targets in lockstep) on ln C between 1 and 1e59 FLOPs (closed form for
//! chinchilla without inference cost). A target at or below the loss reachable with 1e59 FLOPs (for
//! example below the law's floor E, or below the plateau that a fixed number of unique tokens
//! imposes) is reported `Unreachable` with NaN compute.

use super::{allocate, check_budgets, check_law, chinchilla_compute_for_loss, Allocation, Budgets, CostModel, Status};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::laws::Law;
use crate::numeric::bisection::bisect;

const LN_C_MAX: f64 = 135.85; // ln 1e59
/// Bisection steps: 136 / 2^50 ~ 1e-13 in ln C.
const BISECTION_STEPS: usize = 50;

pub fn compute_for_loss(
    law: &dyn Law,
    theta: &[f64],
    targets: &[f64],
    inference_tokens: &[f64],
    unique_tokens: Option<&[f64]>,
    cost: &CostModel,
    control: &Control,
) -> Result<(Vec<f64>, Allocation)> {
    if let Some(bad) = targets.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(CoreError::invalid("loss", format!("target losses must be finite and positive, got {bad}")));
    }
    let n = targets.len();
    let ones = vec![1.0; n];
    let probe = Budgets { compute: &ones, inference_tokens, unique_tokens };
    check_law(law, &probe)?;
    check_budgets(&probe, cost)?;
    let f = cost.flops_per_param_token;
    if let (Some(canonical), true) = (law.as_chinchilla(theta), inference_tokens.iter().all(|&g| g == 0.0)) {
        return chinchilla_compute_for_loss(&canonical, targets, f);
    }
    let optimal_loss = |ln_c: &[f64]| -> Result<Allocation> {
        let compute: Vec<f64> = ln_c.iter().map(|v| v.exp()).collect();
        allocate(law, theta, &Budgets { compute: &compute, inference_tokens, unique_tokens }, cost, control)
    };
    let mut lo = vec![0.0; n];
    let mut hi = vec![LN_C_MAX; n];
    let top = optimal_loss(&hi)?;
    let reachable: Vec<bool> = (0..n).map(|i| top.loss[i] <= targets[i]).collect();
    bisect(&mut lo, &mut hi, BISECTION_STEPS, |mid, reached| {
        let at = optimal_loss(mid)?;
        for i in 0..n {
            reached[i] = at.loss[i] <= targets[i];
        }
        Ok(())
    })?;
    let mut alloc = optimal_loss(&hi)?;
    let mut compute: Vec<f64> = hi.iter().map(|v| v.exp()).collect();
    for i in 0..n {
        if !reachable[i] {
            compute[i] = f64::NAN;
            alloc.n[i] = f64::NAN;
            alloc.d[i] = f64::NAN;
            alloc.loss[i] = top.loss[i];
            alloc.status[i] = Status::Unreachable;
        }
    }
    Ok((compute, alloc))
}
