//! Brent's minimiser on a bracket (golden section with parabolic steps; Brent 1973, "Algorithms for
//! Minimization without Derivatives", ch. 5, as netlib's `fmin`). Hand-written because it is one short
//! classic routine and the optimisation crates that carry it (argmin) bring a large dependency tree.

/// (3 - sqrt 5) / 2, the golden-section fraction.
const GOLDEN: f64 = 0.381_966_011_250_105_1;

/// The minimiser of `f` on [a, b], located to within sqrt(eps) |x| + tol / 3, and f there.
pub fn brent_minimise<F: FnMut(f64) -> f64>(mut f: F, mut a: f64, mut b: f64, tol: f64, max_iter: usize) -> (f64, f64) {
    let sqrt_eps = f64::EPSILON.sqrt();
    let mut x = a + GOLDEN * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    // d: the last step; e: the step before it (parabolic steps must shrink faster than that).
    let (mut d, mut e) = (0.0f64, 0.0f64);
    for _ in 0..max_iter {
        let xm = 0.5 * (a + b);
        let tol1 = sqrt_eps * x.abs() + tol / 3.0;
        let tol2 = 2.0 * tol1;
        if (x - xm).abs() <= tol2 - 0.5 * (b - a) {
            break;
        }
        let mut golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            let e_prev = e;
            e = d;
            if p.abs() < (0.5 * q * e_prev).abs() && p > q * (a - x) && p < q * (b - x) {
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = if x < xm { tol1 } else { -tol1 };
                }
                golden = false;
            }
        }
        if golden {
            e = if x >= xm { a - x } else { b - x };
            d = GOLDEN * e;
        }
        let u = if d.abs() >= tol1 { x + d } else { x + tol1.copysign(d) };
        let fu = f(u);
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    (x, fx)
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
}
