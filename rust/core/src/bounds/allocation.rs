//! Compute-optimal allocation of any bound under p T = C, for many budgets at once (bounds.md section 4):
//! minimise g(u) = U(e^u, C e^-u) over u = ln p in [ln p_min, ln C - ln 2] by a coarse grid (guarding
//! against a wrong valley) and Brent's method on the bracket around the best grid point, then one
//! Newton step on central differences, which takes the optimum from Brent's sqrt(eps) accuracy to
//! about 1e-11. Budgets are independent, so the parallel map gives the same bits for any thread count.

use super::brent::brent_minimise;
use super::Bound;
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::parallel::map_blocks;

/// Coarse grid points over the search interval; the spacing is at most (ln C) / 64.
const GRID: usize = 65;
/// Step in ln p for the Newton polish: central-difference error (rounding eps/h and truncation h^2)
/// is balanced near 1e-11.
const POLISH_STEP: f64 = 1e-5;
/// Step in (ln p, ln C) for the second derivatives of the local exponent (rounding eps/h^2 against
/// truncation h^2, both near 1e-8).
const SLOPE_STEP: f64 = 3e-4;
/// Budgets per parallel block (and per cancellation check).
const BLOCK: usize = 256;

/// The optimum for one budget C: p* T* = C, the bound's value and its terms there, and the local
/// scaling exponent d ln p* / d ln C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllocationPoint {
    pub p: f64,
    pub t: f64,
    pub value: f64,
    pub misspecification: f64,
    pub estimation: f64,
    pub local_exponent: f64,
}

/// Allocations for many budgets, one column per quantity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allocations {
    pub p: Vec<f64>,
    pub t: Vec<f64>,
    pub value: Vec<f64>,
    pub misspecification: Vec<f64>,
    pub estimation: Vec<f64>,
    pub local_exponent: Vec<f64>,
}

impl Allocations {
    fn push(&mut self, x: AllocationPoint) {
        self.p.push(x.p);
        self.t.push(x.t);
        self.value.push(x.value);
        self.misspecification.push(x.misspecification);
        self.estimation.push(x.estimation);
        self.local_exponent.push(x.local_exponent);
    }
}

/// Apply `solve` to every budget in parallel blocks, checking for cancellation between blocks.
pub fn allocate_each<F>(compute: &[f64], control: &Control, solve: F) -> Result<Allocations>
where
    F: Fn(f64) -> AllocationPoint + Sync,
{
    control.set_total(compute.len());
    let blocks = map_blocks(compute.len(), BLOCK, |start, end| {
        control.check()?;
        let out: Vec<AllocationPoint> = compute[start..end].iter().map(|&c| solve(c)).collect();
        control.advance(end - start);
        Ok::<_, CoreError>(out)
    });
    let mut all = Allocations::default();
    for block in blocks {
        for x in block? {
            all.push(x);
        }
    }
    Ok(all)
}

/// Budgets the numerical search can handle: finite and above 2 p_min, so that the interval
/// [ln p_min, ln C - ln 2] (at least two tokens) is not empty.
pub fn check_budgets<B: Bound>(bound: &B, compute: &[f64]) -> Result<()> {
    let floor = 2.0 * bound.min_params();
    match compute.iter().position(|c| !(c.is_finite() && *c > floor)) {
        None => Ok(()),
        Some(i) => Err(CoreError::invalid(
            "compute",
            format!(
                "every budget must be finite and above 2 p_min = {floor} (at least {} parameters and 2 tokens); got {} at position {i}",
                bound.min_params(),
                compute[i]
            ),
        )),
    }
}

/// The numerical optimum for one budget `c` (which `check_budgets` has accepted).
pub fn allocate_numerical<B: Bound>(bound: &B, c: f64) -> AllocationPoint {
    let ln_c = c.ln();
    // The search runs on the reducible part alone: a constant floor (the power law's E) moves no optimum
    // but can drown the reducible part's variation in rounding.
    let g = |u: f64| {
        let p = u.exp();
        let x = bound.terms(p, c / p);
        x.misspecification + x.estimation
    };
    let lo = bound.min_params().ln();
    let hi = ln_c - std::f64::consts::LN_2;
    let step = (hi - lo) / (GRID - 1) as f64;
    let at = |j: usize| {
        if j + 1 == GRID {
            hi
        } else {
            lo + step * j as f64
        }
    };
    let mut best = (0, f64::INFINITY);
    for j in 0..GRID {
        let v = g(at(j));
        if v < best.1 {
            best = (j, v);
        }
    }
    let (a, b) = (at(best.0.saturating_sub(1)), at((best.0 + 1).min(GRID - 1)));
    let (mut u, g_brent) = brent_minimise(g, a, b, 1e-12, 200);
    // Brent only approaches an end of its bracket to within its tolerance; an optimum on the edge of
    // the search interval (the smallest model, or two tokens) is taken exactly.
    if let Some(&edge) = [lo, hi].iter().find(|&&e| (e == a || e == b) && g(e) <= g_brent) {
        u = edge;
    }

    // The polish moves at most a few Brent tolerances and must not make g worse than rounding allows,
    // which rejects it at a kink (the finite teacher's kappa at n = N) where differences mislead.
    let h = POLISH_STEP;
    if u - h > a && u + h < b {
        let (gm, g0, gp) = (g(u - h), g(u), g(u + h));
        let curvature = (gp - 2.0 * g0 + gm) / (h * h);
        if curvature > 0.0 {
            let newton = u - (gp - gm) / (2.0 * h) / curvature;
            let small = (newton - u).abs() < 1e-6 * (1.0 + u.abs());
            if small && newton > a && newton < b && g(newton) <= g0 + 2.0 * f64::EPSILON * g0.abs() {
                u = newton;
            }
        }
    }

    let local_exponent = local_exponent(bound, u, ln_c, lo, hi);
    // exp(ln p_min) may round below p_min; the result must lie in the bound's domain.
    let p = u.exp().max(bound.min_params());
    let t = c / p;
    let x = bound.terms(p, t);
    AllocationPoint {
        p,
        t,
        value: bound.irreducible() + x.misspecification + x.estimation,
        misspecification: x.misspecification,
        estimation: x.estimation,
        local_exponent,
    }
}

/// d u*/d s with s = ln C, by implicit differentiation of the first-order condition
/// d g/d u (u*, s) = 0: d u*/d s = -g_us / g_uu, second derivatives by central differences.
/// An optimum on the edge of the interval moves with that edge: 0 at p_min, 1 at T = 2. At a kink
/// (the finite teacher's kappa at n = N) the large g_uu gives about 0: the optimum stays on the kink.
fn local_exponent<B: Bound>(bound: &B, u: f64, s: f64, lo: f64, hi: f64) -> f64 {
    let h = SLOPE_STEP;
    if u - h <= lo {
        return 0.0;
    }
    if u + h >= hi {
        return 1.0;
    }
    let g = |u: f64, s: f64| {
        let x = bound.terms(u.exp(), (s - u).exp());
        x.misspecification + x.estimation
    };
    let g_uu = (g(u + h, s) - 2.0 * g(u, s) + g(u - h, s)) / (h * h);
    let g_us = (g(u + h, s + h) - g(u + h, s - h) - g(u - h, s + h) + g(u - h, s - h)) / (4.0 * h * h);
    if g_uu.is_nan() || g_uu <= 0.0 {
        // No curvature to differentiate through (g flat to rounding): the exponent is not defined.
        return f64::NAN;
    }
    -g_us / g_uu
}
