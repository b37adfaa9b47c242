//! The log-CDF of the non-central chi-squared where k + lam is huge, by the saddle-point approximation.
//!
//! Lugannani & Rice (1980, "Saddle point approximation for the distribution of the sum of independent
//! random variables"): with the cumulant generating function K(t) = -(k/2) ln(1 - 2t) + lam t / (1 - 2t),
//! its saddle point K'(t) = x, w = sign(t) sqrt(2 (t x - K(t))) and v = t sqrt(K''(t)),
//!
//!   P(X <= x) ~ Phi(w) + phi(w) (1 / w - 1 / v),
//!
//! with a relative error of order 1 / (k + lam) (the squared standardised cumulants fall as
//! 1 / (k + lam)), uniformly from the centre into both tails. From k + lam = 1e16 on that is below a
//! double's resolution, while the two exact methods fail there: the mixture sums some sqrt(lam) terms,
//! and the convolution's quadrature cannot place a node closer than an ulp of w (1e19 at lam = 1e35)
//! to where the bulk of (Z + sqrt lam)^2, some sqrt(lam) wide, lies.
//!
//! The saddle point is explicit: with u = 1 / (1 - 2t), K'(t) = k u + lam u^2 = x, so
//! u = 2x / (k + r), r = sqrt(k^2 + 4 lam x), and w^2 = lam (u - 1)^2 + k (u - 1 - ln u),
//! v = (u - 1) sqrt(k / 2 + lam u): sums of non-negative terms, once d = u - 1 is formed as
//! (x - k - lam) 2u / (2x - k + r), which leaves the cancellation near the mean to x - k - lam alone.
//! Every quantity is formed at a quarter or half scale, so nothing overflows up to f64::MAX.

use std::f64::consts::{PI, SQRT_2};

use super::gamma::{erfcx, ln_ndtr, log1mexp};

/// k + lam from which `ncx2::log_cdf` uses this approximation (where lam >= `FROM_LAM` of the
/// convolution, and lam x is beyond the short mixture).
pub const FROM: f64 = 1e16;
/// |w| below which 1 / w - 1 / v is taken from its limit at the mean: the direct difference of two
/// numbers near 1 / |w| would lose digits of a term of order 1 / sqrt(k + lam).
const CENTRE: f64 = 1e-3;

/// d - ln(1 + d) >= 0, by its series sum_{n >= 2} (-d)^n / n near 0, where the direct difference
/// would keep only the digits of d^2 / 2 that survive in d (three at d = 1e-13).
fn d_minus_ln_1p(d: f64) -> f64 {
    if d.abs() >= 0.1 {
        return d - d.ln_1p();
    }
    let (mut sum, mut power) = (0.0, d * d);
    for n in 2..40 {
        let next = sum + power / n as f64;
        if next == sum {
            break;
        }
        sum = next;
        power *= -d;
    }
    sum
}

/// phi(w) / Phi(w), without underflow in the lower tail (erfcx).
fn mills(w: f64) -> f64 {
    if w < 0.0 {
        (2.0 / PI).sqrt() / erfcx(-w / SQRT_2)
    } else {
        (-0.5 * w * w).exp() / (2.0 * PI).sqrt() / (0.5 * libm::erfc(-w / SQRT_2))
    }
}

/// log P(X <= x) for X ~ chi2'(k, lam), x > 0 (meant for k + lam >= FROM).
pub fn log_cdf(x: f64, k: f64, lam: f64) -> f64 {
    let r4 = (k / 4.0).hypot(lam.sqrt() * x.sqrt() / 2.0); // r / 4
    let u = (x / 2.0) / (k / 4.0 + r4);
    let gap = if k > lam { (x / 2.0 - k / 2.0) - lam / 2.0 } else { (x / 2.0 - lam / 2.0) - k / 2.0 };
    let d = gap * u / (x / 2.0 - k / 4.0 + r4);
    let half_w2 = 0.5 * lam * d * d + 0.5 * k * d_minus_ln_1p(d);
    let w = d.signum() * SQRT_2 * half_w2.sqrt();
    let v = d * SQRT_2 * (k / 4.0 + lam * u / 2.0).sqrt();
    // 1 / w - 1 / v; at the mean it tends to rho3 / 6 (Daniels 1987, "Tail probability
    // approximations"), rho3 = kappa3 / kappa2^1.5 the skewness 8 (k + 3 lam) / (2 (k + 2 lam))^1.5.
    let correction = if w.abs() < CENTRE {
        let rho3 = (k / 4.0 + 0.75 * lam) / (k / 4.0 + lam / 2.0) * SQRT_2 / (k / 4.0 + lam / 2.0).sqrt();
        rho3 / 6.0
    } else {
        1.0 / w - 1.0 / v
    };
    if w <= 0.0 {
        ln_ndtr(w) + (mills(w) * correction).ln_1p()
    } else {
        // Above the mean F is near 1: the survival function Phi(-w) - phi(w) (1 / w - 1 / v) keeps
        // the digits of 1 - F.
        let ln_s = ln_ndtr(-w) + (-mills(-w) * correction).ln_1p();
        log1mexp(ln_s.min(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inductive_bias::ncx2::log_cdf_mixture;
    use crate::inductive_bias::ncx2_convolution as convolution;

    #[test]
    fn agrees_with_the_mixture_at_large_degrees_of_freedom() {
        // k = 1e16 with a moderate lam: the mixture is short (few Poisson terms matter) and exact; the
        // approximation's own error is of order 1 / k.
        for &lam in &[0.0f64, 3.0, 1e3] {
            let k = 1e16;
            for &z in &[-40.0f64, -8.0, -1.0, -1e-5, 0.0, 0.5, 3.0, 8.0] {
                let x = k + lam + z * (2.0 * (k + 2.0 * lam)).sqrt();
                let (ours, exact) = (log_cdf(x, k, lam), log_cdf_mixture(x, k, lam));
                let tol = 1e-9 * exact.abs().max(1e-12);
                assert!((ours - exact).abs() <= tol, "lam {lam} z {z}: {ours} vs {exact}");
            }
        }
    }

    #[test]
    fn meets_the_convolution_below_its_range() {
        // Below FROM both apply: the approximation's error there is of order 1 / lam, the
        // convolution's some 1e-14 sqrt(lam) relative (they differ by 2e-10 at most, at 9e15).
        for &lam in &[1e10f64, 1e12, 1e14, 9e15] {
            for &k in &[0.4f64, 3.0, 50.0] {
                for &z in &[-300.0f64, -30.0, -3.0, 0.0, 0.3, 4.0] {
                    let x = lam + k + z * (2.0 * (k + 2.0 * lam)).sqrt();
                    let (ours, conv) = (log_cdf(x, k, lam), convolution::log_cdf(x, k, lam));
                    assert!((ours - conv).abs() <= 1e-9 * conv.abs(), "lam {lam} k {k} z {z}: {ours} vs {conv}");
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_squared_normal_at_k_one() {
        // chi2'(1, lam) = (Z + sqrt lam)^2, whose CDF is Phi(sqrt x - s) - Phi(-sqrt x - s).
        for &lam in &[1e16f64, 1e20, 1e30] {
            let s = lam.sqrt();
            for &z in &[-1e4f64, -30.0, -3.0, -0.5, 0.5, 3.0] {
                let x = lam + 2.0 * s * z;
                let a = (x - lam) / (x.sqrt() + s);
                let direct = ln_ndtr(a) + log1mexp(ln_ndtr(-x.sqrt() - s) - ln_ndtr(a));
                let ours = log_cdf(x, 1.0, lam);
                assert!((ours - direct).abs() <= 1e-9 * direct.abs().max(1e-6), "lam {lam} z {z}: {ours} vs {direct}");
            }
        }
    }

    #[test]
    fn finite_to_the_ends_of_the_double_range() {
        let m = f64::MAX;
        for (x, k, lam) in [(m / 2.81, 14.6, m), (8.16e307, 1e-308, m), (1e308, 1e308, 2.53e35), (m, m, m)] {
            let v = log_cdf(x, k, lam);
            assert!(v <= 0.0, "{x} {k} {lam}: {v}");
        }
        // Deep lower tail at lam = f64::MAX: ln F ~ -(sqrt lam - sqrt x)^2 / 2.
        let (x, lam) = (m / 4.0, m);
        let lead = -(lam.sqrt() - x.sqrt()).powi(2) / 2.0;
        let v = log_cdf(x, 14.6, lam);
        assert!((v / lead - 1.0).abs() < 1e-12, "{v} vs {lead}");
        // k = 1e308 with x = k: W's mean 2.5e35 is far below an ulp of x, so F is Phi(0) to within
        // the skewness term.
        let v = log_cdf(1e308, 1e308, 2.53e35);
        assert!((v - 0.5f64.ln()).abs() < 1e-12, "{v}");
    }
}
