//! Profile-likelihood intervals (docs/intervals.md; Venzon & Moolgavkar 1988, "A method for computing
//! profile-likelihood-based confidence intervals"; Pawitan 2001, "In All Likelihood", 3.4).
//!
//! The likelihood is the posterior module's: the log loss of each run is the law's log prediction plus
//! Gaussian noise of unknown scale sigma. Profiling sigma out leaves -2 log L = n ln SSR(theta) + const,
//! SSR the sum of squared log residuals, so the deviance of a value psi of a quantity is
//! D(psi) = n ln(min_{theta: q(theta) = psi} SSR(theta) / min_theta SSR(theta)), and the interval at level
//! 1 - alpha is {psi : D(psi) <= critical}. Wilks' (1938) large-sample critical value is chi2_1(1 - alpha);
//! with few runs it is too small, because sigma is estimated from n - k residual degrees of freedom. The
//! small-sample critical value n ln(1 + F_{1,n-k}(1 - alpha) / (n - k)) is the one that makes the interval
//! exact when the law is linear in its parameters (then (SSR_psi - SSR) / (SSR / (n - k)) is F_{1,n-k}):
//! the profile-t interval of Bates & Watts (1988, "Nonlinear Regression Analysis and Its Applications",
//! 6.1) and Seber & Wild (1989, "Nonlinear Regression", 5.4); docs/intervals.md shows its coverage.
//!
//! Each constrained minimum is a Levenberg-Marquardt refit in the free coordinates of `quantity`'s
//! reparametrisation, warm-started from the previous point of the path; each side walks outward from
//! the estimate in steps sized by the curvature's standard error until the deviance crosses the
//! critical value, and Brent's root finder (`numeric::root`) locates the crossing.

mod lm;
pub mod quantity;

use nalgebra::DMatrix;
use statrs::distribution::{ContinuousCDF, FisherSnedecor, Normal};

use crate::error::{CoreError, Result};
use crate::laws::{Columns, Law};
use crate::numeric::root::{brentq, Tolerance};
use crate::posterior::{LogPosterior, Prior};
pub use quantity::Quantity;

/// theta(u, psi) and d theta / d u for one value of the quantity (see `Quantity::theta`).
type Reparam<'m> = dyn Fn(&[f64], &mut [f64], &mut [f64]) + 'm;

/// Steps of the outward walk per side before the end is reported unbounded.
const MAX_STEPS: usize = 80;

#[derive(Debug, Clone)]
pub struct ProfileInterval {
    /// The quantity at the unconstrained optimum (internal units: ln N_opt, ln of a positive coefficient).
    pub estimate: f64,
    /// Ends in the same units; an end the deviance never crosses is `Quantity::open_end`.
    pub lower: f64,
    pub upper: f64,
    /// The critical deviance (see `Calibration`).
    pub critical: f64,
    /// The unconstrained optimum (internal coordinates) and its SSR.
    pub theta: Vec<f64>,
    pub ssr: f64,
    /// The points of the profile evaluated, (psi, deviance), in increasing psi.
    pub path: Vec<(f64, f64)>,
    /// Constrained refits done.
    pub n_refits: usize,
}

/// Which critical value the deviance is compared with (module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calibration {
    /// Wilks' chi2_1(level): right as the number of runs grows, too narrow with few.
    LargeSample,
    /// n ln(1 + F_{1,n-k}(level) / (n - k)): exact for a law linear in its parameters; tends to chi2_1(level)
    /// as n grows.
    SmallSample,
}

impl Calibration {
    /// The critical deviance at `level` for `n` runs and `k` parameters (n > k is checked by `Profile::new`).
    pub fn critical(self, level: f64, n: usize, k: usize) -> Result<f64> {
        if !(level > 0.0 && level < 1.0) {
            return Err(CoreError::invalid("level", format!("must be in (0, 1), got {level}")));
        }
        let critical = match self {
            Calibration::LargeSample => chi2_1_quantile(level),
            Calibration::SmallSample => {
                let dof = n.saturating_sub(k) as f64;
                let f = FisherSnedecor::new(1.0, dof).map_err(|e| CoreError::invalid("runs", e.to_string()))?;
                n as f64 * (f_quantile(&f, level) / dof).ln_1p()
            }
        };
        if !(critical.is_finite() && critical > 0.0) {
            return Err(CoreError::invalid(
                "level",
                format!("{level:?} has no usable quantile with {n} runs (critical deviance {critical})"),
            ));
        }
        Ok(critical)
    }
}

/// The `level` quantile of chi2_1, the square of the normal quantile at (1 + level) / 2 (statrs's chi-squared
/// inverse returns NaN for levels below about 0.05).
fn chi2_1_quantile(level: f64) -> f64 {
    Normal::new(0.0, 1.0).map_or(f64::NAN, |z| z.inverse_cdf(0.5 + 0.5 * level).powi(2))
}

/// The `level` quantile of F_{1,m}, by Brent's method on the CDF. statrs's inverse (through the inverse
/// incomplete beta function) loses digits as m grows (5e-4 relative at m = 1e6) and panics for levels near 0,
/// so it is not used; the bracket starts at chi2_1's quantile, which F_{1,m}'s exceeds for every m (a t
/// variable is more dispersed than a normal one), and doubles until the CDF passes the level.
fn f_quantile(f: &FisherSnedecor, level: f64) -> f64 {
    let lo = chi2_1_quantile(level);
    // statrs's incomplete beta panics outside [0, 1]: only finite non-negative points reach the CDF.
    if !(lo.is_finite() && lo >= 0.0) {
        return f64::NAN;
    }
    let g = |x: f64| if x.is_finite() && x >= 0.0 { f.cdf(x) - level } else { f64::NAN };
    if g(lo) >= 0.0 {
        // Equal to chi2_1's quantile to rounding (m very large).
        return lo;
    }
    let mut hi = (2.0 * lo).max(f64::MIN_POSITIVE);
    while g(hi) < 0.0 {
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::NAN;
        }
    }
    brentq(g, lo, hi, g(lo), g(hi), Tolerance::SCIPY).unwrap_or(f64::NAN)
}

/// The data of a profile: the law's log residuals and their Jacobian.
pub struct Profile<'a> {
    post: LogPosterior<'a>,
    law: &'a dyn Law,
}

impl<'a> Profile<'a> {
    /// Validated data (loss finite and positive, as many input rows as losses, more runs than parameters).
    pub fn new(law: &'a dyn Law, cols: &Columns, loss: &[f64]) -> Result<Self> {
        let k = law.n_params();
        if loss.len() <= k {
            return Err(CoreError::invalid(
                "runs",
                format!(
                    "the {} law has {k} parameters; a profile likelihood (noise scale estimated too) needs more \
                     runs than that, got {}",
                    law.name(),
                    loss.len()
                ),
            ));
        }
        let flat = Prior::Flat { lower: f64::NEG_INFINITY, upper: f64::INFINITY };
        Ok(Profile { post: LogPosterior::new(law, cols, loss, vec![flat; k])?, law })
    }

    /// SSR at theta(u, psi) into the returned value, residuals into `r` and the Jacobian in u
    /// (column-major n x m) into `ju` when asked.
    fn ssr_at(&self, map: &Reparam, u: &[f64], r: &mut [f64], ju: Option<&mut DMatrix<f64>>) -> f64 {
        let (n, k, m) = (self.post.n_runs(), self.post.n_params(), u.len());
        let (mut theta, mut dth) = (vec![0.0; k], vec![0.0; k * m]);
        map(u, &mut theta, &mut dth);
        if theta.iter().any(|t| !t.is_finite()) {
            return f64::INFINITY;
        }
        let mut jt = vec![0.0; n * k];
        self.post.residuals(&theta, r, if ju.is_some() { Some(jt.as_mut_slice()) } else { None });
        let ssr: f64 = r.iter().map(|v| v * v).sum();
        if let Some(ju) = ju {
            // d r_i / d u_c = sum_j (d r_i / d theta_j) (d theta_j / d u_c); jt is parameter-major.
            for c in 0..m {
                for i in 0..n {
                    ju[(i, c)] = (0..k).map(|j| jt[j * n + i] * dth[j * m + c]).sum();
                }
            }
        }
        if ssr.is_finite() {
            ssr
        } else {
            f64::INFINITY
        }
    }

    /// The unconstrained least-squares optimum in log space, polished from `start`.
    pub fn optimum(&self, start: &[f64]) -> Result<(Vec<f64>, f64)> {
        let k = self.post.n_params();
        if start.len() != k || start.iter().any(|v| !v.is_finite()) {
            return Err(CoreError::invalid("theta", format!("needs {k} finite values, got {start:?}")));
        }
        let identity = |u: &[f64], theta: &mut [f64], jac: &mut [f64]| {
            theta.copy_from_slice(u);
            jac.fill(0.0);
            jac.iter_mut().step_by(u.len() + 1).for_each(|v| *v = 1.0);
        };
        let (theta, ssr) = lm::minimise(self.post.n_runs(), start, |u, r, ju| self.ssr_at(&identity, u, r, ju));
        if !ssr.is_finite() {
            return Err(CoreError::Convergence("the least-squares fit has no finite optimum from this start".into()));
        }
        Ok((theta, ssr))
    }

    /// The constrained minimum of SSR with the quantity at `psi`, from the free coordinates `u0`.
    fn constrained(&self, q: &Quantity, psi: f64, u0: &[f64]) -> (Vec<f64>, f64) {
        let map = |u: &[f64], theta: &mut [f64], jac: &mut [f64]| q.theta(u, psi, theta, jac);
        lm::minimise(self.post.n_runs(), u0, |u, r, ju| self.ssr_at(&map, u, r, ju))
    }

    /// Standard error of the quantity from the Gauss-Newton curvature at the optimum (a step scale for
    /// the walk only), None where the curvature is singular.
    fn step_scale(&self, q: &Quantity, theta: &[f64], ssr: f64) -> Option<f64> {
        let (n, k) = (self.post.n_runs(), self.post.n_params());
        let mut r = vec![0.0; n];
        let mut jac = vec![0.0; n * k];
        self.post.residuals(theta, &mut r, Some(&mut jac));
        let j = DMatrix::from_column_slice(n, k, &jac);
        let cov = (j.tr_mul(&j)).try_inverse()? * (ssr / n as f64);
        let grad: Vec<f64> = (0..k)
            .map(|i| {
                let h = 1e-6 * (1.0 + theta[i].abs());
                let (mut up, mut dn) = (theta.to_vec(), theta.to_vec());
                up[i] += h;
                dn[i] -= h;
                (q.value(&up) - q.value(&dn)) / (2.0 * h)
            })
            .collect();
        let var: f64 = (0..k).map(|a| (0..k).map(|b| grad[a] * cov[(a, b)] * grad[b]).sum::<f64>()).sum();
        (var.is_finite() && var > 0.0).then(|| var.sqrt())
    }

    /// The profile-likelihood interval of `q` at `level` with the critical value of `calibration`, from the
    /// least-squares optimum polished from `start`.
    pub fn interval(
        &self,
        q: &Quantity,
        start: &[f64],
        level: f64,
        calibration: Calibration,
    ) -> Result<ProfileInterval> {
        let critical = calibration.critical(level, self.post.n_runs(), self.post.n_params())?;
        let (theta, ssr) = self.optimum(start)?;
        let estimate = q.value(&theta);
        if !estimate.is_finite() {
            return Err(CoreError::invalid(
                "quantity",
                format!("is not defined at the least-squares optimum {theta:?} (e.g. an exponent <= 0)"),
            ));
        }
        let n = self.post.n_runs() as f64;
        let deviance = |s: f64| (n * (s / ssr).ln()).max(0.0);
        let scale = self.step_scale(q, &theta, ssr).unwrap_or(0.05 * (1.0 + estimate.abs()));
        let (lo_limit, hi_limit) = q.limits(self.law, estimate);
        let mut path = vec![(estimate, 0.0)];
        let mut n_refits = 0;
        let mut ends = [0.0; 2];
        for (side, dir) in [-1.0f64, 1.0].into_iter().enumerate() {
            let limit = if dir < 0.0 { lo_limit } else { hi_limit };
            let (mut psi_in, mut u_in, mut dev_in) = (estimate, q.free(&theta), 0.0);
            let mut step = scale * critical.sqrt();
            let mut end = q.open_end(dir > 0.0);
            for _ in 0..MAX_STEPS {
                if (limit - psi_in) * dir <= 0.0 {
                    break;
                }
                let psi = if (limit - psi_in - dir * step) * dir <= 0.0 { limit } else { psi_in + dir * step };
                let (u, s) = self.constrained(q, psi, &u_in);
                n_refits += 1;
                let dev = deviance(s);
                path.push((psi, dev));
                if dev > critical {
                    let f = |p: f64| {
                        let (_, s) = self.constrained(q, p, &u_in);
                        deviance(s) - critical
                    };
                    let tol = Tolerance { xtol: 1e-10 * (1.0 + psi.abs()), rtol: 1e-12, max_iter: 100 };
                    let root = brentq(f, psi_in, psi, dev_in - critical, dev - critical, tol);
                    end = root.unwrap_or(psi);
                    break;
                }
                // The deviance grows about quadratically: aim the next step half again past the crossing
                // that predicts (a profile that grows slower than quadratically, like n ln(1 + c psi^2),
                // would otherwise be approached from below in ever shorter steps and never crossed), at
                // most doubling the step and at least a quarter of it.
                let walked = (psi - estimate).abs();
                let aim = if dev > 0.0 { 1.5 * (walked * (critical / dev).sqrt() - walked) } else { 2.0 * step };
                // max/min rather than clamp: a NaN aim (never expected) must not panic.
                step = aim.max(0.25 * step).min(2.0 * step).max(1e-12 * (1.0 + psi.abs()));
                (psi_in, u_in, dev_in) = (psi, u, dev);
            }
            ends[side] = end;
        }
        path.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(ProfileInterval { estimate, lower: ends[0], upper: ends[1], critical, theta, ssr, path, n_refits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws;
    use crate::numeric::rng::{replicate_rng, standard_normal};

    #[test]
    fn the_small_sample_critical_value_is_the_squared_t_quantile_and_tends_to_chi_squared() {
        // F_{1,m}(level) = t_m((1 + level) / 2)^2, computed here through Student's t, a different statrs path.
        use statrs::distribution::StudentsT;
        for (n, k) in [(5, 3), (10, 5), (12, 3), (100, 5)] {
            let m = (n - k) as f64;
            let t = StudentsT::new(0.0, 1.0, m).unwrap().inverse_cdf(0.975);
            let want = n as f64 * (t * t / m).ln_1p();
            let got = Calibration::SmallSample.critical(0.95, n, k).unwrap();
            assert!((got - want).abs() < 1e-9 * want, "{n} {k}: {got} vs {want}");
            assert!(got > Calibration::LargeSample.critical(0.95, n, k).unwrap());
        }
        // Many residual degrees of freedom, where statrs's F inverse alone is off in the fourth digit;
        // values from scipy: n * log1p(stats.f.ppf(0.95, 1, n - 5) / (n - 5)).
        for (n, want) in [(10_000, 3.843572774757693), (100_000, 3.8416701124407915), (1_000_000, 3.841479948832748)] {
            let got = Calibration::SmallSample.critical(0.95, n, 5).unwrap();
            assert!((got - want).abs() < 1e-9 * want, "{n}: {got} vs {want}");
        }
        assert!(Calibration::SmallSample.critical(1.0, 10, 5).is_err());
    }

    #[test]
    fn a_floor_the_data_do_not_have_is_reported_not_hidden() {
        // A power law with a constant fitted to pure power-law data (E planted at 1e-9, 3 % log noise): the
        // least-squares optimum puts E at 0, ln E at -inf, so there is no finite optimum to profile around.
        // The profile says so (a convergence error) instead of returning an interval around a point that
        // is not an optimum. Agreement with a SciPy profile on identifiable problems is tested in
        // tests/test_profile.py.
        let law = laws::get("power").unwrap();
        let x: Vec<f64> = (0..30).map(|i| 10f64.powf(1.0 + 0.1 * i as f64)).collect();
        let mut rng = replicate_rng(9, 0);
        let y: Vec<f64> =
            x.iter().map(|v| 1e-9 + 3.0 * v.powf(-0.3) * (0.03 * standard_normal(&mut rng)).exp()).collect();
        // The optimum is on the boundary E = 0 when, at the pure power-law fit (least squares of ln y on
        // ln x), raising E from 0 increases the SSR: d SSR / d E = 2 sum_i r_i / (A x_i^-alpha) > 0, with
        // r_i = fitted - observed log loss.
        let n = x.len() as f64;
        let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(&y).map(|(a, b)| (a.ln(), b.ln())).unzip();
        let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
        let slope = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>()
            / lx.iter().map(|a| (a - mx).powi(2)).sum::<f64>();
        let pull: f64 =
            lx.iter().zip(&ly).map(|(a, b)| (my + slope * (a - mx) - b) * (-(my + slope * (a - mx))).exp()).sum();
        assert!(pull > 0.0, "this draw has an interior optimum in E: {pull}");
        let prof = Profile::new(law.as_ref(), &Columns { x: Some(&x), ..Columns::default() }, &y).unwrap();
        let out = prof.interval(&Quantity::Param(2), &[-20.7, 3f64.ln(), 0.3], 0.95, Calibration::SmallSample);
        assert!(matches!(out, Err(CoreError::Convergence(_))), "{out:?}");
    }
}
