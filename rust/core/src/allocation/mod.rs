//! Compute-optimal allocation (docs/methods.md section 5): for each budget, the model size N and training
//! tokens D that minimise a fitted law's loss at that cost, and the inverse question (the least compute
//! that reaches a target loss).
//!
//! Cost model: C = f N D + g N, with f FLOPs per parameter-token of training (6 by default) and
//! g = 2 D_inference the lifetime inference FLOPs per parameter (Sardana et al. 2023, "Beyond
//! Chinchilla-optimal"). The chinchilla law without inference has Hoffmann et al.'s closed form; every
//! other case is a bracketed 1-D minimisation along the iso-cost curve (`iso_cost`), vectorised over
//! budgets and parallel over fixed blocks of them, so results do not depend on the thread count. A
//! user's own cost function (`custom_cost`) is searched the same way along ln N, the function being
//! called once per step for all budgets.

mod closed_form;
mod custom_cost;
mod inverse;
mod iso_cost;

pub use closed_form::{chinchilla_allocation, chinchilla_compute_for_loss};
pub use custom_cost::allocate_with_cost;
pub use inverse::compute_for_loss;
pub use iso_cost::search_allocation;

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::laws::Law;

/// How a budget's allocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// An interior minimum along the iso-cost curve (or the closed form).
    Optimal = 0,
    /// The loss still falls at the smallest token count searched (D / N below about 1e-18).
    AtFewestTokens = 1,
    /// The loss still falls at the largest token count searched (D / N above about 1e18).
    AtMostTokens = 2,
    /// (inverse query) No compute up to 1e59 FLOPs reaches the target loss.
    Unreachable = 3,
    /// (one allocation per parameter vector) These parameters admit no allocation at all.
    Failed = 4,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 5] =
        [Status::Optimal, Status::AtFewestTokens, Status::AtMostTokens, Status::Unreachable, Status::Failed];
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Optimal => "an interior optimum",
            Status::AtFewestTokens => {
                "the loss still falls as tokens per parameter shrink towards the edge of the search (no interior optimum)"
            }
            Status::AtMostTokens => {
                "the loss still falls as tokens per parameter grow towards the edge of the search (no interior optimum)"
            }
            Status::Unreachable => "no compute up to 1e59 FLOPs reaches the target loss",
            Status::Failed => "these parameters admit no allocation",
        })
    }
}

/// The cost model and the data constraint shared by every budget of a call.
#[derive(Debug, Clone, Copy)]
pub struct CostModel {
    /// Training FLOPs per parameter per token (f in C = f N D).
    pub flops_per_param_token: f64,
}

/// Per-budget inputs, all of the same length: total compute, lifetime inference tokens (0 for none)
/// and, for laws that read U, the unique tokens available.
#[derive(Debug, Clone, Copy)]
pub struct Budgets<'a> {
    pub compute: &'a [f64],
    pub inference_tokens: &'a [f64],
    pub unique_tokens: Option<&'a [f64]>,
}

#[derive(Debug, Clone, Default)]
pub struct Allocation {
    pub n: Vec<f64>,
    pub d: Vec<f64>,
    pub loss: Vec<f64>,
    pub status: Vec<Status>,
}

impl Allocation {
    fn with_capacity(k: usize) -> Self {
        Allocation {
            n: Vec::with_capacity(k),
            d: Vec::with_capacity(k),
            loss: Vec::with_capacity(k),
            status: Vec::with_capacity(k),
        }
    }
    fn extend(&mut self, other: Allocation) {
        self.n.extend(other.n);
        self.d.extend(other.d);
        self.loss.extend(other.loss);
        self.status.extend(other.status);
    }
}

/// Inputs a law may read that allocation can supply from (N, D, cost, U).
const ALLOCATABLE: [&str; 5] = ["N", "D", "C", "M", "U"];

pub(crate) fn check_law(law: &dyn Law, budgets: &Budgets) -> Result<()> {
    let inputs = law.inputs();
    if inputs.iter().any(|i| !ALLOCATABLE.contains(i)) {
        return Err(CoreError::invalid(
            "law",
            format!(
                "the {} law reads {:?}, not model size and tokens; allocation needs a law of N and D",
                law.name(),
                inputs
            ),
        ));
    }
    if inputs.contains(&"U") && budgets.unique_tokens.is_none() {
        return Err(CoreError::invalid(
            "unique_tokens",
            format!("the {} law needs the number of unique tokens U", law.name()),
        ));
    }
    Ok(())
}

pub(crate) fn check_budgets(budgets: &Budgets, cost: &CostModel) -> Result<()> {
    let f = cost.flops_per_param_token;
    if !(f.is_finite() && f > 0.0) {
        return Err(CoreError::invalid("flops_per_param_token", format!("must be finite and positive, got {f}")));
    }
    let n = budgets.compute.len();
    let positive = |name: &str, col: &[f64], zero_ok: bool| -> Result<()> {
        if col.len() != n {
            return Err(CoreError::invalid(name, format!("has {} values, expected {n}", col.len())));
        }
        match col.iter().find(|v| !(v.is_finite() && (**v > 0.0 || (zero_ok && **v == 0.0)) && **v < 1e60)) {
            Some(bad) => Err(CoreError::invalid(name, format!("must be finite, positive and below 1e60, got {bad}"))),
            None => Ok(()),
        }
    };
    positive("compute", budgets.compute, false)?;
    positive("inference_tokens", budgets.inference_tokens, true)?;
    if let Some(u) = budgets.unique_tokens {
        positive("unique_tokens", u, false)?;
    }
    Ok(())
}

pub(crate) fn check_theta(law: &dyn Law, theta: &[f64]) -> Result<()> {
    if theta.len() != law.n_params() || theta.iter().any(|v| !v.is_finite()) {
        return Err(CoreError::invalid("params", format!("{} needs {} finite values", law.name(), law.n_params())));
    }
    Ok(())
}

/// Compute-optimal allocation for every budget under `law` at internal parameters `theta`.
pub fn allocate(
    law: &dyn Law,
    theta: &[f64],
    budgets: &Budgets,
    cost: &CostModel,
    control: &Control,
) -> Result<Allocation> {
    check_law(law, budgets)?;
    check_budgets(budgets, cost)?;
    check_theta(law, theta)?;
    let no_inference = budgets.inference_tokens.iter().all(|&g| g == 0.0);
    if let (Some(canonical), true) = (law.as_chinchilla(theta), no_inference) {
        return chinchilla_allocation(&canonical, budgets.compute, cost.flops_per_param_token);
    }
    search_allocation(law, theta, budgets, cost, control)
}

/// One allocation per parameter vector (e.g. bootstrap replicates), in parallel over replicates;
/// each replicate's outcome is its own (an error in one does not stop the others).
pub fn allocate_many(
    law: &dyn Law,
    thetas: &[Vec<f64>],
    budgets: &Budgets,
    cost: &CostModel,
    control: &Control,
) -> Result<Vec<Result<Allocation>>> {
    check_law(law, budgets)?;
    check_budgets(budgets, cost)?;
    control.set_total(thetas.len());
    let out = thetas
        .par_iter()
        .map(|theta| {
            let r = allocate(law, theta, budgets, cost, control);
            control.advance(1);
            r
        })
        .collect();
    control.check()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws;

    /// Hoffmann et al.'s unrounded parameters in internal coordinates (e, a, b, alpha, beta).
    const HOFFMANN: [f64; 5] = [0.5267228, 6.0073404, 6.0179186, 0.33917084, 0.2849083];
    const SIX: CostModel = CostModel { flops_per_param_token: 6.0 };

    fn budgets<'a>(compute: &'a [f64], inference: &'a [f64]) -> Budgets<'a> {
        Budgets { compute, inference_tokens: inference, unique_tokens: None }
    }

    #[test]
    fn closed_form_check_values() {
        let law = laws::get("chinchilla").unwrap();
        let c = [5.76e23, 1e24];
        let a = allocate(law.as_ref(), &HOFFMANN, &budgets(&c, &[0.0, 0.0]), &SIX, &Control::new()).unwrap();
        for (got, want) in a.n.iter().chain(&a.d).zip([4.0361e10, 5.1920e10, 2.3785e12, 3.2101e12]) {
            assert!((got / want - 1.0).abs() < 2.1e-5, "{got} vs {want}");
        }
    }

    #[test]
    fn search_matches_closed_form() {
        // Negligible inference cost sends chinchilla through the iso-cost search.
        let law = laws::get("chinchilla").unwrap();
        let c: Vec<f64> = (0..40).map(|i| 10f64.powf(18.0 + 0.2 * i as f64)).collect();
        let closed = allocate(law.as_ref(), &HOFFMANN, &budgets(&c, &vec![0.0; 40]), &SIX, &Control::new()).unwrap();
        let tiny = vec![1e-9; 40];
        let searched = allocate(law.as_ref(), &HOFFMANN, &budgets(&c, &tiny), &SIX, &Control::new()).unwrap();
        for i in 0..40 {
            assert!((searched.n[i] / closed.n[i] - 1.0).abs() < 1e-6);
            assert!((searched.loss[i] / closed.loss[i] - 1.0).abs() < 1e-13);
            assert_eq!(searched.status[i], Status::Optimal);
        }
    }

    #[test]
    fn inverse_round_trip() {
        let law = laws::get("kaplan").unwrap();
        let theta = [8.8e13f64.ln(), 5.4e13f64.ln(), 0.076, 0.095];
        let targets = [2.5, 2.2, 2.0];
        let zeros = [0.0; 3];
        let (c, a) = compute_for_loss(law.as_ref(), &theta, &targets, &zeros, None, &SIX, &Control::new()).unwrap();
        for i in 0..3 {
            assert!((a.loss[i] / targets[i] - 1.0).abs() < 1e-10);
            assert!(c[i] > 0.0);
        }
    }

    #[test]
    fn refuses_bad_budgets_and_laws() {
        let chin = laws::get("chinchilla").unwrap();
        let control = Control::new();
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let c = [1e22, bad];
            assert!(allocate(chin.as_ref(), &HOFFMANN, &budgets(&c, &[0.0, 0.0]), &SIX, &control).is_err());
        }
        let power = laws::get("power").unwrap();
        let c = [1e22];
        assert!(allocate(power.as_ref(), &[0.5, 5.0, 0.3], &budgets(&c, &[0.0]), &SIX, &control).is_err());
        let dc = laws::get("data_constrained").unwrap();
        let theta = [0.6, 6.3, 7.3, 0.35, 0.35, 1.7, 2.7];
        assert!(allocate(dc.as_ref(), &theta, &budgets(&c, &[0.0]), &SIX, &control).is_err());
    }
}
