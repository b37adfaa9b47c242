//! Compute-optimal allocation (methods.md section 5): for each budget, the model size N and training
//! tokens D that minimise a fitted law's loss at that cost, and the inverse question (the least compute
//! that reaches a target loss).
//!
//! Cost model: C = f N D + g N, with f FLOPs per parameter-token of training (6 by default) and
//! g = 2 D_inference the lifetime inference FLOPs per parameter (Sardana et al. 2023, "Beyond
//! Chinchilla-optimal"). The chinchilla law without inference has Hoffmann et al.'s closed form; every
//! other case is a bracketed 1-D minimisation along the iso-cost curve (`iso_cost`), vectorised over
//! budgets and parallel over fixed blocks of them, so results do not depend on the thread count.

mod closed_form;
mod inverse;
mod iso_cost;

pub use closed_form::{chinchilla_allocation, chinchilla_compute_for_loss};
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
    /// (inverse query) No compute up to 1e60 FLOPs reaches the target loss.
    Unreachable = 3,
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
            format!("the {} law reads {:?}, not model size and tokens; allocation needs a law of N and D", law.name(), inputs),
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
        return Err(CoreError::invalid(
            "flops_per_param_token",
            format!("must be finite and positive, got {f}"),
        ));
    }
    let n = budgets.compute.len();
    let positive = |name: &str, col: &[f64], zero_ok: bool| -> Result<()> {
        if col.len() != n {
            return Err(CoreError::invalid(
                name,
                format!("has {} values, expected {n}", col.len()),
            ));
        }
        match col
            .iter()
            .find(|v| !(v.is_finite() && (**v > 0.0 || (zero_ok && **v == 0.0)) && **v < 1e60))
        {
            Some(bad) => Err(CoreError::invalid(
                name,
                format!("must be finite, positive and below 1e60, got {bad}"),
            )),
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
    if theta.len() != law.n_params() || theta.iter().any(|v| !v.is_finite()) {
        return Err(CoreError::invalid(
            "params",
            format!("{} needs {} finite values", law.name(), law.n_params()),
        ));
    }
    let no_inference = budgets.inference_tokens.iter().all(|&g| g == 0.0);
    if law.name() == "chinchilla" && no_inference {
        return chinchilla_allocation(theta, budgets.compute, cost.flops_per_param_token);
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
