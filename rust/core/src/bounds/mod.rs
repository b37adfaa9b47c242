//! Information-theoretic error bounds and the compute-optimal allocation they imply (docs/bounds.md).
//!
//! - `rate_distortion`: the framework of docs/bounds.md section 1 for a tabulated rate-distortion curve
//!   (two-sided bound on L_T, sample complexity).
//! - `shapes`: the bound shapes with closed-form allocation (a/p + b/T, a/p + (b0 + b1 ln p)/T via
//!   `lambert`, and the power law E + A/p^alpha + B/T^beta).
//! - `instances`: the derived instances of section 3 (finite and Dirichlet-process teachers) with the
//!   inner minimisation over the weight noise eta in closed form.
//! - `allocation`: the numerical allocation of any bound (coarse grid, then Brent's minimiser) over many
//!   budgets, also for bounds given as a batch evaluator (a user's callables).
//! - `regression`: the exact Gaussian linear-regression oracle of section 5 (Monte Carlo).
//!
//! `BoundSpec` names one bound and dispatches evaluation and allocation to it.

pub mod allocation;
#[cfg(test)]
mod check_tables;
pub mod instances;
pub mod lambert;
pub mod rate_distortion;
pub mod regression;
pub mod shapes;
mod spec;

pub use allocation::{AllocationPoint, Allocations};
pub use instances::{Instance, Teacher};
pub use shapes::{InverseLinear, InverseLog, PowerLaw};
pub use spec::{check_points, BoundSpec, Pluggable, KINDS};

/// The two error terms of an upper bound: misspecification (too few parameters) and estimation
/// (too few tokens). The bound is `irreducible + misspecification + estimation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Terms {
    pub misspecification: f64,
    pub estimation: f64,
}

/// An upper bound U(p, T) on the reducible error with p parameters trained on T tokens.
pub trait Bound: Sync {
    fn terms(&self, p: f64, t: f64) -> Terms;

    /// A constant floor added to both terms (the power law's E); zero for the information bounds.
    fn irreducible(&self) -> f64 {
        0.0
    }

    fn value(&self, p: f64, t: f64) -> f64 {
        let x = self.terms(p, t);
        self.irreducible() + x.misspecification + x.estimation
    }

    /// The lower end of the numerical allocation search over p.
    fn min_params(&self) -> f64;

    /// Smallest p at which the bound may be evaluated (p must also be positive).
    fn domain_floor(&self) -> f64 {
        self.min_params()
    }

    /// Values U(p, T_j) along one row of a (p, T) grid, given 1/T_j (computed once per column).
    fn evaluate_row(&self, p: f64, t: &[f64], _inv_t: &[f64], value: &mut [f64]) {
        for (v, &t) in value.iter_mut().zip(t) {
            *v = self.value(p, t);
        }
    }

    /// Values (and optionally the two terms) at paired points. Instances override this to reuse the
    /// work that depends on p alone along runs of equal p (the rows of a (p, T) grid).
    fn evaluate_block(&self, p: &[f64], t: &[f64], value: &mut [f64], terms: Option<(&mut [f64], &mut [f64])>) {
        match terms {
            None => {
                for ((v, &p), &t) in value.iter_mut().zip(p).zip(t) {
                    *v = self.value(p, t);
                }
            }
            Some((m, e)) => {
                for i in 0..value.len() {
                    let x = self.terms(p[i], t[i]);
                    m[i] = x.misspecification;
                    e[i] = x.estimation;
                    value[i] = self.irreducible() + x.misspecification + x.estimation;
                }
            }
        }
    }
}
