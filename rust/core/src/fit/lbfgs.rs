//! Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, algorithms 7.4, 3.5, 3.6).
//!
//! Written here rather than taken from argmin because a fit runs thousands of tiny (5-parameter)
//! minimisations: this one evaluates value and gradient in one fused call, allocates nothing per
//! iteration beyond a few short vectors, and stops on criteria that do not depend on the scale of the
//! objective (a summed Huber loss of well-fitting runs is ~1e-3, where absolute tolerances such as
//! scipy's `ftol * max(|f|, 1)` stop far too early; docs/methods.md section 2).

use std::collections::VecDeque;

use crate::error::{CoreError, Result};

#[derive(Debug, Clone, Copy)]
pub struct LbfgsOptions {
    pub max_iter: usize,
    /// Number of correction pairs kept.
    pub memory: usize,
    /// Stop when one iteration lowers f by less than `ftol * |f|`.
    pub ftol: f64,
    /// Stop when `max_j |g_j| * max(1, max_j |x_j|) <= gtol * |f|`: moving x by a relative amount
    /// `h` would change f by at most a fraction `gtol * h` of itself.
    pub gtol: f64,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions { max_iter: 1000, memory: 10, ftol: 1e-13, gtol: 1e-10 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The scale-free gradient test held.
    Gradient,
    /// The relative decrease of the objective fell below `ftol`.
    Objective,
    /// No step could change x any more: the optimum at machine precision.
    Step,
    MaxIter,
    /// The line search found no acceptable step away from a point that is not a minimum.
    LineSearch,
    /// The objective was not finite at the start.
    NonFinite,
    /// The optimiser stopped, but at parameters or predictions that are not finite numbers (a
    /// coefficient whose logarithm under- or overflowed, an infinite prediction).
    NonFiniteResult,
    /// The optimiser stopped, but the objective underflowed (weights or a Huber threshold so small
    /// that the losses of non-zero residuals round to zero): its value no longer tells points apart.
    Underflow,
    /// The optimiser stopped on a small step or objective change, but a small step along some
    /// coordinate still lowers the objective: a stall, not a minimum.
    Stall,
}

impl Stop {
    /// Every stop reason, in the words `Display` shows and `parse` reads (they cross to Python as text).
    pub const ALL: [Stop; 9] = [
        Stop::Gradient,
        Stop::Objective,
        Stop::Step,
        Stop::MaxIter,
        Stop::LineSearch,
        Stop::NonFinite,
        Stop::NonFiniteResult,
        Stop::Underflow,
        Stop::Stall,
    ];

    pub fn converged(self) -> bool {
        matches!(self, Stop::Gradient | Stop::Objective | Stop::Step)
    }

    pub fn name(self) -> &'static str {
        match self {
            Stop::Gradient => "gradient test",
            Stop::Objective => "objective change",
            Stop::Step => "step size",
            Stop::MaxIter => "iteration limit",
            Stop::LineSearch => "line search",
            Stop::NonFinite => "non-finite objective",
            Stop::NonFiniteResult => "non-finite parameters or predictions",
            Stop::Underflow => "objective underflow",
            Stop::Stall => "descent still possible at the stop",
        }
    }

    pub fn parse(name: &str) -> Result<Stop> {
        Stop::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| CoreError::invalid("stop", format!("unknown stop reason {name:?}")))
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub f: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub stop: Stop,
}

const C1: f64 = 1e-4;
const C2: f64 = 0.9;
const MAX_LINE_SEARCH: usize = 30;

struct Point {
    a: f64,
    f: f64,
    slope: f64,
    x: Vec<f64>,
    g: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Minimise `fg` (which returns f and writes the gradient) from `x0`.
pub fn minimize<F>(mut fg: F, x0: &[f64], opts: &LbfgsOptions) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let f0 = fg(&x, &mut g);
    // The objective is minimised times a power of two that brings its starting value near 1. Scaling
    // by 2^k is exact, so for ordinary objectives every iterate is bit-identical to the unscaled run;
    // for objectives of extreme size (a Huber threshold of 1e-300 makes f ~ 1e-300) it keeps the
    // curvature products s'y and y'y from underflowing, which otherwise stalls the search far from
    // the optimum.
    let scale = power_of_two_near_inverse(f0);
    g.iter_mut().for_each(|v| *v *= scale);
    let mut scaled = |x: &[f64], g: &mut [f64]| {
        let f = fg(x, g);
        g.iter_mut().for_each(|v| *v *= scale);
        f * scale
    };
    let mut ev = Evaluator { fg: &mut scaled, evaluations: 1, pool: Vec::new() };
    let mut f = f0 * scale;
    let done =
        |x: Vec<f64>, f: f64, iterations, evaluations, stop| Minimum { x, f: f / scale, iterations, evaluations, stop };
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return done(x, f, 0, ev.evaluations, Stop::NonFinite);
    }
    let mut history: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(opts.memory);
    let mut d = vec![0.0; n];
    let mut alphas = Vec::with_capacity(opts.memory);
    // Vectors for the next correction pair, recycled from the oldest once the memory is full: the
    // grid fits run hundreds of thousands of tiny iterations, where allocation is a visible cost.
    let mut spare: (Vec<f64>, Vec<f64>) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for iter in 0..opts.max_iter {
        if max_abs(&g) * max_abs(&x).max(1.0) <= opts.gtol * f.abs() {
            return done(x, f, iter, ev.evaluations, Stop::Gradient);
        }
        two_loop(&history, &g, &mut d, &mut alphas);
        let mut slope = dot(&d, &g);
        if slope >= 0.0 || !slope.is_finite() {
            history.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            slope = -dot(&g, &g);
        }
        // Without curvature information, take a step of unit length in the largest coordinate.
        let a0 = if history.is_empty() { 1.0 / max_abs(&d).max(1e-300) } else { 1.0 };
        let found = line_search(&mut ev, &x, f, &d, slope, a0);
        let Some(next) = found else {
            if history.is_empty() {
                // Steepest descent found no decrease: either x is optimal to machine precision (the
                // usual case, once f's rounding noise exceeds what any step can gain) or the problem is
                // broken there. Small steps along every axis tell which we report.
                let stop = if no_descent_nearby(&mut ev, &x, f) { Stop::Step } else { Stop::LineSearch };
                return done(x, f, iter, ev.evaluations, stop);
            }
            history.clear();
            continue;
        };
        let (mut s, mut y) = std::mem::take(&mut spare);
        s.clear();
        s.extend(next.x.iter().zip(&x).map(|(a, b)| a - b));
        y.clear();
        y.extend(next.g.iter().zip(&g).map(|(a, b)| a - b));
        let decrease = f - next.f;
        let step_tiny = s.iter().zip(&x).all(|(si, xi)| si.abs() <= 1e-15 * xi.abs().max(1.0));
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() {
            if history.len() == opts.memory {
                spare = history.pop_front().map(|(s, y, _)| (s, y)).unwrap_or_default();
            }
            history.push_back((s, y, 1.0 / sy));
        } else {
            spare = (s, y);
        }
        ev.recycle(std::mem::replace(&mut x, next.x));
        ev.recycle(std::mem::replace(&mut g, next.g));
        f = next.f;
        if decrease <= opts.ftol * f.abs() {
            return done(x, f, iter + 1, ev.evaluations, Stop::Objective);
        }
        if step_tiny {
            return done(x, f, iter + 1, ev.evaluations, Stop::Step);
        }
    }
    done(x, f, opts.max_iter, ev.evaluations, Stop::MaxIter)
}

/// 2^-e for the binary exponent e of a finite, normal, non-zero `f` (so that |f| 2^-e lies in
/// [1, 2)); 1 for anything else, which is left as it is.
fn power_of_two_near_inverse(f: f64) -> f64 {
    if !(f.is_normal()) {
        return 1.0;
    }
    // The biased exponent field: |f| = 1.m x 2^(field - 1023), field in 1..=2046 for normal f.
    let field = ((f.to_bits() >> 52) & 0x7ff) as i64;
    let e = field - 1023;
    // 2^-e is a normal double for e in -1022..=1023 except e = -1023 (impossible here) and e = 1023
    // with -e = -1023 (subnormal but exact): build it from its exponent field, clamped to the normal range.
    let inv_field = (1023 - e).clamp(1, 2046) as u64;
    f64::from_bits(inv_field << 52)
}

/// Whether no step of relative size 1e-7 and 1e-4 along any coordinate lowers f by more than its
/// rounding noise: the numerical test of a local minimum after the line search has given up.
fn no_descent_nearby<F>(ev: &mut Evaluator<F>, x: &[f64], f: f64) -> bool
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let noise = 1e-13 * f.abs();
    let mut g = vec![0.0; x.len()];
    let mut probe = x.to_vec();
    for j in 0..x.len() {
        for scale in [1e-7, 1e-4] {
            for sign in [-1.0, 1.0] {
                probe[j] = x[j] + sign * scale * x[j].abs().max(1.0);
                let fp = (ev.fg)(&probe, &mut g);
                ev.evaluations += 1;
                if fp < f - noise {
                    return false;
                }
            }
        }
        probe[j] = x[j];
    }
    true
}

/// d = -H g by the two-loop recursion, with H0 = (s'y / y'y) I from the newest pair.
fn two_loop(history: &VecDeque<(Vec<f64>, Vec<f64>, f64)>, g: &[f64], d: &mut [f64], alphas: &mut Vec<f64>) {
    d.iter_mut().zip(g).for_each(|(di, gi)| *di = -gi);
    alphas.clear();
    for (s, y, rho) in history.iter().rev() {
        let a = rho * dot(s, d);
        d.iter_mut().zip(y).for_each(|(di, yi)| *di -= a * yi);
        alphas.push(a);
    }
    if let Some((s, y, _)) = history.back() {
        let gamma = dot(s, y) / dot(y, y);
        d.iter_mut().for_each(|di| *di *= gamma);
    }
    for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
        let b = rho * dot(y, d);
        d.iter_mut().zip(s).for_each(|(di, si)| *di += (a - b) * si);
    }
}

/// The objective, the count of its evaluations, and spare vectors for trial points: a grid fit makes
/// hundreds of thousands of evaluations of a few microseconds each, where two allocations per trial
/// point were a visible cost.
struct Evaluator<'f, F> {
    fg: &'f mut F,
    evaluations: usize,
    pool: Vec<Vec<f64>>,
}

impl<F> Evaluator<'_, F>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    /// The point x + a d, with its value, gradient and slope along d.
    fn point(&mut self, x: &[f64], d: &[f64], a: f64) -> Point {
        let mut xa = self.pool.pop().unwrap_or_default();
        xa.clear();
        xa.extend(x.iter().zip(d).map(|(xi, di)| xi + a * di));
        let mut g = self.pool.pop().unwrap_or_default();
        g.clear();
        g.resize(x.len(), 0.0);
        let mut f = (self.fg)(&xa, &mut g);
        self.evaluations += 1;
        if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
            f = f64::INFINITY;
        }
        Point { a, f, slope: dot(&g, d), x: xa, g }
    }

    fn recycle(&mut self, v: Vec<f64>) {
        if v.capacity() > 0 {
            self.pool.push(v);
        }
    }

    fn discard(&mut self, p: Point) {
        self.recycle(p.x);
        self.recycle(p.g);
    }
}

/// Strong-Wolfe line search; None when no step lowers f.
fn line_search<F>(ev: &mut Evaluator<F>, x: &[f64], f0: f64, d: &[f64], slope0: f64, a_init: f64) -> Option<Point>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let sufficient = |p: &Point| p.f <= f0 + C1 * p.a * slope0;
    // The start is never returned (only points with a > 0 are), so it needs no coordinates.
    let start = Point { a: 0.0, f: f0, slope: slope0, x: Vec::new(), g: Vec::new() };
    let mut prev = start;
    let mut a = a_init;
    for i in 0..MAX_LINE_SEARCH {
        let p = ev.point(x, d, a);
        if !sufficient(&p) || (i > 0 && p.f >= prev.f) {
            return zoom(ev, x, f0, d, slope0, prev, p);
        }
        if p.slope.abs() <= -C2 * slope0 {
            ev.discard(prev);
            return Some(p);
        }
        if p.slope >= 0.0 {
            return zoom(ev, x, f0, d, slope0, p, prev);
        }
        ev.discard(std::mem::replace(&mut prev, p));
        a *= 4.0;
    }
    (prev.a > 0.0).then_some(prev)
}

fn zoom<F>(
    ev: &mut Evaluator<F>,
    x: &[f64],
    f0: f64,
    d: &[f64],
    slope0: f64,
    mut lo: Point,
    mut hi: Point,
) -> Option<Point>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    for _ in 0..MAX_LINE_SEARCH {
        let a = interpolate(&lo, &hi);
        if a == lo.a || a == hi.a {
            break;
        }
        let p = ev.point(x, d, a);
        if p.f > f0 + C1 * a * slope0 || p.f >= lo.f {
            ev.discard(std::mem::replace(&mut hi, p));
        } else {
            if p.slope.abs() <= -C2 * slope0 {
                ev.discard(lo);
                ev.discard(hi);
                return Some(p);
            }
            let old_lo = std::mem::replace(&mut lo, p);
            if lo.slope * (hi.a - old_lo.a) >= 0.0 {
                ev.discard(std::mem::replace(&mut hi, old_lo));
            } else {
                ev.discard(old_lo);
            }
        }
    }
    ev.discard(hi);
    // The interval collapsed: accept the best point that lowered f, if any.
    (lo.a > 0.0 && lo.f < f0).then_some(lo)
}

/// Minimiser of the cubic through (lo, hi) with their slopes, kept well inside the bracket;
/// bisection when the cubic is unusable (an infinite end, no real minimiser).
fn interpolate(lo: &Point, hi: &Point) -> f64 {
    let (a0, a1) = (lo.a, hi.a);
    let width = a1 - a0;
    let bisect = a0 + 0.5 * width;
    if !hi.f.is_finite() {
        return bisect;
    }
    let d1 = lo.slope + hi.slope - 3.0 * (lo.f - hi.f) / (a0 - a1);
    let disc = d1 * d1 - lo.slope * hi.slope;
    if disc < 0.0 {
        return bisect;
    }
    let d2 = width.signum() * disc.sqrt();
    let a = a1 - width * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2.0 * d2);
    let (lower, upper) = if a0 < a1 { (a0, a1) } else { (a1, a0) };
    let margin = 0.1 * (upper - lower);
    // A cubic step outside the safeguarded interval is pulled back to its edge rather than replaced
    // by bisection: on the nearly piecewise-linear Huber objective the cubic often lands far beyond
    // the edge next to a much lower point, and halving from the far end cost many evaluations.
    if a.is_finite() {
        a.clamp(lower + margin, upper - margin)
    } else {
        bisect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock_reaches_the_minimum() {
        let fg = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
            g[0] = -2.0 * a - 400.0 * x[0] * b;
            g[1] = 200.0 * b;
            a * a + 100.0 * b * b
        };
        let m = minimize(fg, &[-1.2, 1.0], &LbfgsOptions::default());
        assert!(m.stop.converged(), "{:?}", m.stop);
        assert!((m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6, "{:?}", m.x);
    }

    #[test]
    fn scale_of_the_objective_does_not_change_the_path() {
        let quad = |scale: f64| {
            move |x: &[f64], g: &mut [f64]| {
                g[0] = scale * 2.0 * (x[0] - 3.0);
                g[1] = scale * 20.0 * (x[1] + 1.0);
                scale * ((x[0] - 3.0).powi(2) + 10.0 * (x[1] + 1.0).powi(2) + 1.0)
            }
        };
        let big = minimize(quad(1.0), &[0.0, 0.0], &LbfgsOptions::default());
        let small = minimize(quad(1e-9), &[0.0, 0.0], &LbfgsOptions::default());
        assert!((big.x[0] - 3.0).abs() < 1e-6 && (small.x[0] - 3.0).abs() < 1e-6);
        assert!((small.x[1] + 1.0).abs() < 1e-6);
    }
}
