//! Brent's minimiser on a bracket (golden section with parabolic steps; Brent 1973, "Algorithms for
//! Minimization without Derivatives", ch. 5, as netlib's `fmin`). Hand-written because it is one short
//! classic routine and the optimisation crates that carry it (argmin) bring a large dependency tree.
//!
//! The method is written as a state machine (`Brent`: which point next, then accept its value) so that
//! one copy serves both a scalar objective (`brent_minimise`) and many independent brackets in lockstep
//! (`brent_minimise_lanes`), where one call of the objective evaluates every lane still searching (a
//! user's Python callable over all budgets at once). Each lane takes exactly the steps the scalar
//! routine would take, so both give the same bits.

use crate::error::Result;

/// (3 - sqrt 5) / 2, the golden-section fraction.
const GOLDEN: f64 = 0.381_966_011_250_105_1;

/// One minimisation in progress on [a, b].
#[derive(Debug, Clone, Copy)]
pub struct Brent {
    a: f64,
    b: f64,
    x: f64,
    w: f64,
    v: f64,
    fx: f64,
    fw: f64,
    fv: f64,
    /// The last step and the step before it (parabolic steps must shrink faster than that).
    d: f64,
    e: f64,
    tol: f64,
    left: usize,
}

impl Brent {
    /// A search on [a, b] to within sqrt(eps) |x| + tol / 3, with at most `max_iter` steps after
    /// the first point; `fx` is the objective at `Brent::first_point(a, b)`.
    pub fn new(a: f64, b: f64, fx: f64, tol: f64, max_iter: usize) -> Self {
        let x = Self::first_point(a, b);
        Brent { a, b, x, w: x, v: x, fx, fw: fx, fv: fx, d: 0.0, e: 0.0, tol, left: max_iter }
    }

    /// The first point evaluated on [a, b].
    pub fn first_point(a: f64, b: f64) -> f64 {
        a + GOLDEN * (b - a)
    }

    /// The next point to evaluate, or None once the bracket is narrow enough or the steps are spent.
    pub fn next_point(&mut self) -> Option<f64> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (a, b, x) = (self.a, self.b, self.x);
        let xm = 0.5 * (a + b);
        let tol1 = f64::EPSILON.sqrt() * x.abs() + self.tol / 3.0;
        let tol2 = 2.0 * tol1;
        if (x - xm).abs() <= tol2 - 0.5 * (b - a) {
            self.left = 0;
            return None;
        }
        let mut golden = true;
        if self.e.abs() > tol1 {
            let r = (x - self.w) * (self.fx - self.fv);
            let mut q = (x - self.v) * (self.fx - self.fw);
            let mut p = (x - self.v) * q - (x - self.w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            let e_prev = self.e;
            self.e = self.d;
            if p.abs() < (0.5 * q * e_prev).abs() && p > q * (a - x) && p < q * (b - x) {
                self.d = p / q;
                let u = x + self.d;
                if u - a < tol2 || b - u < tol2 {
                    self.d = if x < xm { tol1 } else { -tol1 };
                }
                golden = false;
            }
        }
        if golden {
            self.e = if x >= xm { a - x } else { b - x };
            self.d = GOLDEN * self.e;
        }
        Some(if self.d.abs() >= tol1 { x + self.d } else { x + tol1.copysign(self.d) })
    }

    /// Take the objective `fu` at the point `u` that `next_point` returned.
    pub fn accept(&mut self, u: f64, fu: f64) {
        let x = self.x;
        if fu <= self.fx {
            if u >= x {
                self.a = x;
            } else {
                self.b = x;
            }
            (self.v, self.fv, self.w, self.fw, self.x, self.fx) = (self.w, self.fw, x, self.fx, u, fu);
        } else {
            if u < x {
                self.a = u;
            } else {
                self.b = u;
            }
            if fu <= self.fw || self.w == x {
                (self.v, self.fv, self.w, self.fw) = (self.w, self.fw, u, fu);
            } else if fu <= self.fv || self.v == x || self.v == self.w {
                (self.v, self.fv) = (u, fu);
            }
        }
    }

    /// The best point so far and the objective there.
    pub fn best(&self) -> (f64, f64) {
        (self.x, self.fx)
    }
}

/// The minimiser of `f` on [a, b], located to within sqrt(eps) |x| + tol / 3, and f there.
pub fn brent_minimise<F: FnMut(f64) -> f64>(mut f: F, a: f64, b: f64, tol: f64, max_iter: usize) -> (f64, f64) {
    let mut search = Brent::new(a, b, f(Brent::first_point(a, b)), tol, max_iter);
    while let Some(u) = search.next_point() {
        search.accept(u, f(u));
    }
    search.best()
}

/// Brent's minimiser on every bracket `[a[i], b[i]]` in lockstep. `eval(lanes, x, out)` writes the
/// objective of lane `lanes[j]` at `x[j]` into `out[j]`, for the lanes still searching; it is called
/// about as often as the slowest lane needs steps. Returns each lane's (minimiser, objective).
pub fn brent_minimise_lanes<E>(a: &[f64], b: &[f64], tol: f64, max_iter: usize, mut eval: E) -> Result<Vec<(f64, f64)>>
where
    E: FnMut(&[usize], &[f64], &mut [f64]) -> Result<()>,
{
    let k = a.len();
    let all: Vec<usize> = (0..k).collect();
    let first: Vec<f64> = (0..k).map(|i| Brent::first_point(a[i], b[i])).collect();
    let mut f0 = vec![0.0; k];
    eval(&all, &first, &mut f0)?;
    let mut searches: Vec<Brent> = (0..k).map(|i| Brent::new(a[i], b[i], f0[i], tol, max_iter)).collect();
    let (mut lanes, mut x, mut fx) = (Vec::with_capacity(k), Vec::with_capacity(k), Vec::with_capacity(k));
    loop {
        lanes.clear();
        x.clear();
        for (i, s) in searches.iter_mut().enumerate() {
            if let Some(u) = s.next_point() {
                lanes.push(i);
                x.push(u);
            }
        }
        if lanes.is_empty() {
            break;
        }
        fx.resize(lanes.len(), 0.0);
        eval(&lanes, &x, &mut fx)?;
        for j in 0..lanes.len() {
            searches[lanes[j]].accept(x[j], fx[j]);
        }
    }
    Ok(searches.iter().map(Brent::best).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_minimum_of_smooth_and_kinked_functions() {
        let (x, _) = brent_minimise(|x| (x - 1.234).powi(2) + 3.0, -5.0, 5.0, 1e-12, 200);
        assert!((x - 1.234).abs() < 1e-7);
        let (x, _) = brent_minimise(|x| (x - 0.3).abs(), 0.0, 1.0, 1e-12, 200);
        assert!((x - 0.3).abs() < 1e-7);
        let (x, _) = brent_minimise(|x| x, 2.0, 3.0, 1e-12, 200);
        assert!((x - 2.0).abs() < 1e-7);
    }

    #[test]
    fn lanes_give_the_scalar_bits() {
        let centres = [0.1, 3.0, -7.25, 0.0];
        let (a, b) = ([-1.0, 0.0, -10.0, -1.0], [1.0, 4.0, 0.0, 1.0]);
        let f =
            |i: usize, x: f64| if i == 3 { x.abs().sqrt() } else { (x - centres[i]).powi(2) + (x * 3.0).sin() * 0.1 };
        let lanes = brent_minimise_lanes(&a, &b, 1e-12, 200, |ids, x, out| {
            for j in 0..ids.len() {
                out[j] = f(ids[j], x[j]);
            }
            Ok(())
        })
        .unwrap();
        for i in 0..4 {
            let scalar = brent_minimise(|x| f(i, x), a[i], b[i], 1e-12, 200);
            assert_eq!(lanes[i].0.to_bits(), scalar.0.to_bits());
            assert_eq!(lanes[i].1.to_bits(), scalar.1.to_bits());
        }
    }

    #[test]
    fn iterations_are_capped() {
        let mut calls = 0;
        brent_minimise(
            |x| {
                calls += 1;
                x.cos()
            },
            0.0,
            6.0,
            0.0,
            5,
        );
        assert_eq!(calls, 6);
    }
}
