//! Compute-optimal allocation of any bound under p T = C, for many budgets at once (docs/bounds.md section 4):
//! minimise g(u) = U(e^u, C e^-u) over u = ln p in [ln p_min, ln C - ln 2] by a coarse grid (guarding
//! against a wrong valley) and Brent's method (`numeric::brent`) on the bracket around the best grid
//! point, then one Newton step on central differences, which takes the optimum from Brent's sqrt(eps)
//! accuracy to about 1e-11. Budgets are independent, so the parallel map gives the same bits for any
//! thread count.
//!
//! The search (`minimise_reducible`) sees the bound only through a batch evaluator of its reducible part
//! at paired points (p_i, T_i), and runs all budgets of a block in lockstep: the built-in bounds are
//! evaluated point by point in Rust, and a user's bound made of Python callables is called once per step
//! for every budget, not once per point.

use super::Bound;
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::numeric::brent::brent_minimise_lanes;
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

impl AllocationPoint {
    /// The point (p, C/p) of `bound` with its terms; `local_exponent` is d ln p*/d ln C.
    pub fn at<B: Bound>(bound: &B, p: f64, c: f64, local_exponent: f64) -> Self {
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

/// Apply `solve` to every block of budgets in parallel, checking for cancellation between blocks.
fn allocate_blocks<F>(compute: &[f64], control: &Control, solve: F) -> Result<Allocations>
where
    F: Fn(&[f64]) -> Result<Vec<AllocationPoint>> + Sync,
{
    control.set_total(compute.len());
    let blocks = map_blocks(compute.len(), BLOCK, |start, end| {
        control.check()?;
        let out = solve(&compute[start..end])?;
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

/// Apply `solve` to every budget in parallel blocks, checking for cancellation between blocks.
pub fn allocate_each<F>(compute: &[f64], control: &Control, solve: F) -> Result<Allocations>
where
    F: Fn(f64) -> AllocationPoint + Sync,
{
    allocate_blocks(compute, control, |block| Ok(block.iter().map(|&c| solve(c)).collect()))
}

/// Budgets the numerical search can handle: finite and above 2 p_min, so that the interval
/// [ln p_min, ln C - ln 2] (at least two tokens) is not empty.
pub fn check_budgets(p_min: f64, compute: &[f64]) -> Result<()> {
    let floor = 2.0 * p_min;
    match compute.iter().position(|c| !(c.is_finite() && *c > floor)) {
        None => Ok(()),
        Some(i) => Err(CoreError::invalid(
            "compute",
            format!(
                "every budget must be finite and above 2 p_min = {floor} (at least {p_min} parameters and 2 tokens); got {} at position {i}",
                compute[i]
            ),
        )),
    }
}

/// The numerical optimum for every budget of `compute` (each must pass `check_budgets`), in
/// parallel blocks.
pub fn allocate_numerical<B: Bound>(bound: &B, compute: &[f64], control: &Control) -> Result<Allocations> {
    check_budgets(bound.min_params(), compute)?;
    allocate_blocks(compute, control, |block| {
        let reducible = |p: &[f64], t: &[f64], out: &mut [f64]| {
            for i in 0..p.len() {
                let x = bound.terms(p[i], t[i]);
                out[i] = x.misspecification + x.estimation;
            }
            Ok(())
        };
        let optima = minimise_reducible(block, bound.min_params(), reducible)?;
        Ok(block
            .iter()
            .zip(optima)
            // exp(ln p_min) may round below p_min; the result must lie in the bound's domain.
            .map(|(&c, o)| AllocationPoint::at(bound, o.p.max(bound.min_params()), c, o.local_exponent))
            .collect())
    })
}

/// Where the search put one budget's optimum: p* (before clamping to p_min) and d ln p*/d ln C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Optimum {
    pub p: f64,
    pub local_exponent: f64,
}

/// g at the points (lanes[j], u[j]) with T = C / p: the polish's and Brent's view of the objective.
fn along_budget<G>(g: &mut G, compute: &[f64], lanes: &[usize], u: &[f64]) -> Result<Vec<f64>>
where
    G: FnMut(&[f64], &[f64], &mut [f64]) -> Result<()>,
{
    let p: Vec<f64> = u.iter().map(|v| v.exp()).collect();
    let t: Vec<f64> = lanes.iter().zip(&p).map(|(&i, &p)| compute[i] / p).collect();
    let mut out = vec![0.0; u.len()];
    g(&p, &t, &mut out)?;
    Ok(out)
}

/// The optimum of g(u) = misspecification + estimation at (e^u, C e^-u) for every budget `compute`
/// (each above 2 p_min). `g(p, t, out)` writes the reducible part at the paired points (p_i, t_i).
/// The search runs on the reducible part alone: a constant floor (the power law's E) moves no optimum
/// but can drown the reducible part's variation in rounding.
pub fn minimise_reducible<G>(compute: &[f64], p_min: f64, mut g: G) -> Result<Vec<Optimum>>
where
    G: FnMut(&[f64], &[f64], &mut [f64]) -> Result<()>,
{
    let k = compute.len();
    let all: Vec<usize> = (0..k).collect();
    let ln_c: Vec<f64> = compute.iter().map(|c| c.ln()).collect();
    let lo = p_min.ln();
    let hi: Vec<f64> = ln_c.iter().map(|v| v - std::f64::consts::LN_2).collect();
    let at = |i: usize, j: usize| {
        if j + 1 == GRID {
            hi[i]
        } else {
            lo + (hi[i] - lo) / (GRID - 1) as f64 * j as f64
        }
    };

    // The coarse grid of every budget in one evaluation.
    let grid_lanes: Vec<usize> = (0..k).flat_map(|i| std::iter::repeat_n(i, GRID)).collect();
    let grid_u: Vec<f64> = (0..k).flat_map(|i| (0..GRID).map(move |j| (i, j))).map(|(i, j)| at(i, j)).collect();
    let values = along_budget(&mut g, compute, &grid_lanes, &grid_u)?;
    let best: Vec<usize> = (0..k)
        .map(|i| {
            let mut best = (0, f64::INFINITY);
            for j in 0..GRID {
                if values[i * GRID + j] < best.1 {
                    best = (j, values[i * GRID + j]);
                }
            }
            best.0
        })
        .collect();
    let a: Vec<f64> = (0..k).map(|i| at(i, best[i].saturating_sub(1))).collect();
    let b: Vec<f64> = (0..k).map(|i| at(i, (best[i] + 1).min(GRID - 1))).collect();
    let found = brent_minimise_lanes(&a, &b, 1e-12, 200, |lanes, u, out| {
        out.copy_from_slice(&along_budget(&mut g, compute, lanes, u)?);
        Ok(())
    })?;
    let mut u: Vec<f64> = found.iter().map(|f| f.0).collect();

    // Brent only approaches an end of its bracket to within its tolerance; an optimum on the edge of
    // the search interval (the smallest model, or two tokens) is taken exactly.
    let g_lo = along_budget(&mut g, compute, &all, &vec![lo; k])?;
    let g_hi = along_budget(&mut g, compute, &all, &hi)?;
    for i in 0..k {
        let edges = [(lo, g_lo[i]), (hi[i], g_hi[i])];
        if let Some(&(edge, _)) = edges.iter().find(|&&(e, ge)| (e == a[i] || e == b[i]) && ge <= found[i].1) {
            u[i] = edge;
        }
    }

    // The polish moves at most a few Brent tolerances and must not make g worse than rounding allows,
    // which rejects it at a kink (the finite teacher's kappa at n = N) where differences mislead.
    let h = POLISH_STEP;
    let polish: Vec<usize> = (0..k).filter(|&i| u[i] - h > a[i] && u[i] + h < b[i]).collect();
    let stencil: Vec<usize> = polish.iter().flat_map(|&i| [i, i, i]).collect();
    let points: Vec<f64> = polish.iter().flat_map(|&i| [u[i] - h, u[i], u[i] + h]).collect();
    let gs = along_budget(&mut g, compute, &stencil, &points)?;
    let mut moves = Vec::new();
    for (j, &i) in polish.iter().enumerate() {
        let (gm, g0, gp) = (gs[3 * j], gs[3 * j + 1], gs[3 * j + 2]);
        let curvature = (gp - 2.0 * g0 + gm) / (h * h);
        if curvature > 0.0 {
            let newton = u[i] - (gp - gm) / (2.0 * h) / curvature;
            let small = (newton - u[i]).abs() < 1e-6 * (1.0 + u[i].abs());
            if small && newton > a[i] && newton < b[i] {
                moves.push((i, newton, g0));
            }
        }
    }
    let lanes: Vec<usize> = moves.iter().map(|m| m.0).collect();
    let targets: Vec<f64> = moves.iter().map(|m| m.1).collect();
    let g_new = along_budget(&mut g, compute, &lanes, &targets)?;
    for (&(i, newton, g0), &gn) in moves.iter().zip(&g_new) {
        if gn <= g0 + 2.0 * f64::EPSILON * g0.abs() {
            u[i] = newton;
        }
    }

    let slopes = local_exponents(&mut g, &u, &ln_c, lo, &hi)?;
    Ok(u.iter().zip(slopes).map(|(&u, local_exponent)| Optimum { p: u.exp(), local_exponent }).collect())
}

/// d u*/d s with s = ln C, by implicit differentiation of the first-order condition
/// d g/d u (u*, s) = 0: d u*/d s = -g_us / g_uu, second derivatives by central differences.
/// An optimum on the edge of the interval moves with that edge: 0 at p_min, 1 at T = 2. At a kink
/// (the finite teacher's kappa at n = N) the large g_uu gives about 0: the optimum stays on the kink.
fn local_exponents<G>(g: &mut G, u: &[f64], s: &[f64], lo: f64, hi: &[f64]) -> Result<Vec<f64>>
where
    G: FnMut(&[f64], &[f64], &mut [f64]) -> Result<()>,
{
    let h = SLOPE_STEP;
    let mut out: Vec<f64> = (0..u.len()).map(|i| if u[i] - h <= lo { 0.0 } else { 1.0 }).collect();
    let inner: Vec<usize> = (0..u.len()).filter(|&i| u[i] - h > lo && u[i] + h < hi[i]).collect();
    // Seven points per budget: (u-h, s), (u, s), (u+h, s) and the four corners (u+-h, s+-h).
    const OFFSETS: [(f64, f64); 7] =
        [(-1.0, 0.0), (0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)];
    let (mut p, mut t) = (Vec::with_capacity(7 * inner.len()), Vec::with_capacity(7 * inner.len()));
    for &i in &inner {
        for (du, ds) in OFFSETS {
            let (uu, ss) = (u[i] + du * h, s[i] + ds * h);
            p.push(uu.exp());
            t.push((ss - uu).exp());
        }
    }
    let mut v = vec![0.0; p.len()];
    g(&p, &t, &mut v)?;
    for (j, &i) in inner.iter().enumerate() {
        let x = &v[7 * j..7 * j + 7];
        let g_uu = (x[2] - 2.0 * x[1] + x[0]) / (h * h);
        let g_us = (x[3] - x[4] - x[5] + x[6]) / (4.0 * h * h);
        // No curvature to differentiate through (g flat to rounding): the exponent is not defined.
        out[i] = if g_uu.is_nan() || g_uu <= 0.0 { f64::NAN } else { -g_us / g_uu };
    }
    Ok(out)
}
