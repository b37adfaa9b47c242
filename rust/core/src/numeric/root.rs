//! Brent's root finder (Brent 1973, "Algorithms for Minimization without Derivatives", ch. 4), written
//! step for step as scipy.optimize.brentq so that on an equation with several roots in the bracket it
//! follows the same iterates and lands on the same root as code built on scipy (KDEpy's ISJ bandwidth).

/// Stopping rule and budget of `brentq`: stop when the bracket is narrower than `xtol + rtol |x|`.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub xtol: f64,
    pub rtol: f64,
    pub max_iter: usize,
}

impl Tolerance {
    /// scipy.optimize.brentq's defaults: xtol 2e-12, rtol 4 eps, 100 iterations.
    pub const SCIPY: Tolerance = Tolerance { xtol: 2e-12, rtol: 4.0 * f64::EPSILON, max_iter: 100 };
}

/// A root of `f` in the bracket [xa, xb], given f(xa) = fa and f(xb) = fb of opposite signs (or one of
/// them zero). Inverse quadratic interpolation or secant steps where they make progress, bisection
/// otherwise. `None` when the signs do not bracket a root or the budget runs out.
pub fn brentq(f: impl Fn(f64) -> f64, xa: f64, xb: f64, fa: f64, fb: f64, tol: Tolerance) -> Option<f64> {
    let (mut xpre, mut xcur, mut fpre, mut fcur) = (xa, xb, fa, fb);
    let (mut xblk, mut fblk, mut spre, mut scur) = (0.0, 0.0, 0.0, 0.0);
    if fpre == 0.0 {
        return Some(xpre);
    }
    if fcur == 0.0 {
        return Some(xcur);
    }
    if fpre.is_nan() || fcur.is_nan() || fpre.is_sign_negative() == fcur.is_sign_negative() {
        return None;
    }
    for _ in 0..tol.max_iter {
        if fpre != 0.0 && fcur != 0.0 && (fpre.is_sign_negative() != fcur.is_sign_negative()) {
            xblk = xpre;
            fblk = fpre;
            spre = xcur - xpre;
            scur = spre;
        }
        if fblk.abs() < fcur.abs() {
            xpre = xcur;
            xcur = xblk;
            xblk = xpre;
            fpre = fcur;
            fcur = fblk;
            fblk = fpre;
        }
        let delta = 0.5 * (tol.xtol + tol.rtol * xcur.abs());
        let sbis = 0.5 * (xblk - xcur);
        if fcur == 0.0 || sbis.abs() < delta {
            return Some(xcur);
        }
        if spre.abs() > delta && fcur.abs() < fpre.abs() {
            let stry = if xpre == xblk {
                -fcur * (xcur - xpre) / (fcur - fpre)
            } else {
                let dpre = (fpre - fcur) / (xpre - xcur);
                let dblk = (fblk - fcur) / (xblk - xcur);
                -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            };
            if 2.0 * stry.abs() < spre.abs().min(3.0 * sbis.abs() - delta) {
                spre = scur;
                scur = stry;
            } else {
                spre = sbis;
                scur = sbis;
            }
        } else {
            spre = sbis;
            scur = sbis;
        }
        xpre = xcur;
        fpre = fcur;
        xcur += if scur.abs() > delta {
            scur
        } else if sbis > 0.0 {
            delta
        } else {
            -delta
        };
        fcur = f(xcur);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(f: impl Fn(f64) -> f64, a: f64, b: f64) -> Option<f64> {
        brentq(&f, a, b, f(a), f(b), Tolerance::SCIPY)
    }

    #[test]
    fn finds_simple_roots_to_tolerance() {
        let r = solve(|x| x * x - 2.0, 0.0, 2.0).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 4e-12, "{r}");
        let r = solve(|x| x.cos() - x, 0.0, 1.0).unwrap();
        assert!((r - 0.739_085_133_215_160_6).abs() < 4e-12, "{r}");
        // a root at a bracket end is returned as is
        assert_eq!(solve(|x| x - 1.0, 1.0, 3.0), Some(1.0));
    }

    #[test]
    fn matches_scipy_on_a_steep_function() {
        // scipy.optimize.brentq(lambda x: x**9 - 0.5, 0, 2, full_output=True): root 0.9258747122872905
        let r = solve(|x| x.powi(9) - 0.5, 0.0, 2.0).unwrap();
        assert!((r - 0.925_874_712_287_290_5).abs() < 1e-12, "{r}");
    }

    #[test]
    fn refuses_a_bracket_without_a_sign_change_and_stops_on_budget() {
        assert_eq!(solve(|x| x * x + 1.0, -1.0, 1.0), None);
        let f = |x: f64| x.powi(3) - 2.0;
        let tight = Tolerance { xtol: 0.0, rtol: 0.0, max_iter: 3 };
        assert_eq!(brentq(f, -10.0, 10.0, f(-10.0), f(10.0), tight), None);
    }
}
