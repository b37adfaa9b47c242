//! Whether a minimum the optimiser stopped at may be called converged.
//!
//! L-BFGS stops when a step or the objective's change becomes negligible, which is also what happens
//! when the search has run off to absurd parameters (a coefficient whose logarithm underflows, an
//! exponent of 46) or when the objective has underflowed and no longer tells points apart. A fit is
//! reported converged only when, at the point it returns, the parameters (as the user sees them:
//! coefficients exponentiated), the predictions and the objective are finite numbers, the objective
//! did not underflow, and the gradient is small relative to the objective.

use super::{Fitter, Minimum, Stop};
use crate::laws::{ParamSpec, Transform};

/// A stop on a small step or objective change must also pass a descent probe: no step of relative size
/// 1e-7 or 1e-4 along any coordinate may lower the objective by more than this fraction of itself. (A
/// gradient test relative to the objective is ill-posed where the objective nears zero, as at an exact
/// fit, where any gradient is large relative to f; the probe asks the question that matters, whether
/// the point is a minimum, and costs four evaluations per parameter once per fit.)
const STALL_GAIN: f64 = 1e-8;

impl Fitter<'_, '_> {
    /// The stop reason to report for minimum `m`: its own when it stopped converged and passes every
    /// check above, otherwise why it is not converged.
    pub(super) fn honest_stop(&self, m: &Minimum) -> Stop {
        if !m.stop.converged() {
            return m.stop;
        }
        let shear = self.shear();
        let theta = self.to_theta(&m.x, &shear);
        let public_finite = public_finite(self.problem.law.params(), &theta);
        let residuals = self.problem.residuals(&theta);
        judge(m, public_finite, &residuals, self.objective_in_z(self.problem, &shear))
    }
}

/// Whether the parameters as the user sees them (coefficients exponentiated) are finite numbers.
pub(super) fn public_finite(params: &[ParamSpec], theta: &[f64]) -> bool {
    theta.iter().zip(params).all(|(&t, p)| match p.transform {
        Transform::Log => t.exp().is_finite() && t.exp() > 0.0,
        Transform::Identity => t.is_finite(),
    })
}

/// The checks above for a converged-looking minimum `m` of the objective `fg` (in the optimiser's
/// coordinates), given whether its parameters are finite and its residuals: the one rule of every fit
/// (single, per group and joint).
pub(super) fn judge(
    m: &Minimum,
    public_finite: bool,
    residuals: &[f64],
    fg: impl FnMut(&[f64], &mut [f64]) -> f64,
) -> Stop {
    if !m.stop.converged() {
        return m.stop;
    }
    if !public_finite || !m.f.is_finite() || residuals.iter().any(|r| !r.is_finite()) {
        return Stop::NonFiniteResult;
    }
    // Below the smallest normal double the sum has lost its relative precision: it is zero or a
    // few units of 5e-324 although residuals are not zero.
    if m.f.abs() < f64::MIN_POSITIVE && residuals.iter().any(|&r| r != 0.0) {
        return Stop::Underflow;
    }
    if m.stop != Stop::Gradient && descent_nearby(fg, &m.x, m.f) {
        return Stop::Stall;
    }
    m.stop
}

/// Whether a small step along some optimiser coordinate from `z` lowers the objective `f` by more
/// than `STALL_GAIN` of itself.
fn descent_nearby(mut fg: impl FnMut(&[f64], &mut [f64]) -> f64, z: &[f64], f: f64) -> bool {
    let mut g = vec![0.0; z.len()];
    let mut probe = z.to_vec();
    for j in 0..z.len() {
        for scale in [1e-7, 1e-4] {
            for sign in [-1.0, 1.0] {
                probe[j] = z[j] + sign * scale * z[j].abs().max(1.0);
                if fg(&probe, &mut g) < f - STALL_GAIN * f.abs() {
                    return true;
                }
            }
        }
        probe[j] = z[j];
    }
    false
}
