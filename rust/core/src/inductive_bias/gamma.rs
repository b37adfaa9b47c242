//! Logarithms of the regularised incomplete gamma functions P(a, y) and Q(a, y) = 1 - P(a, y).
//!
//! Written here because statrs (`gamma_lr`, `gamma_ur`) returns P and Q themselves, which underflow
//! to 0 far in the tails, where the inductive-bias estimate lives (docs/methods.md section 8). The same
//! two expansions (the power series below a + 1, Legendre's continued fraction above it; Numerical
//! Recipes 6.2) are summed here with the prefactor y^a e^-y / Gamma(a) kept as a logarithm.

use std::f64::consts::SQRT_2;

use statrs::function::gamma::ln_gamma;

/// Relative size below which a further term of a series cannot change a double.
const NEGLIGIBLE: f64 = 1e-17;
/// More iterations than any argument pair in double range needs; a guard against a loop that never ends.
const MAX_ITER: usize = 100_000;

/// log(1 - e^v) for v <= 0, accurate at both ends (Maechler 2012, "Accurately computing log(1 - exp(-|a|))").
pub fn log1mexp(v: f64) -> f64 {
    if v > -std::f64::consts::LN_2 {
        (-v.exp_m1()).ln()
    } else {
        (-v.exp()).ln_1p()
    }
}

/// log of a + 1 terms of the series sum_n y^n / ((a+1)...(a+n)), which converges fast for y < a + 1.
fn ln_series(a: f64, y: f64) -> f64 {
    let (mut term, mut sum, mut ap) = (1.0, 1.0, a);
    for _ in 0..MAX_ITER {
        ap += 1.0;
        term *= y / ap;
        sum += term;
        if term < sum * NEGLIGIBLE {
            break;
        }
    }
    sum.ln()
}

/// log of Legendre's continued fraction for Q (modified Lentz), which converges fast for y > a + 1.
fn ln_continued_fraction(a: f64, y: f64) -> f64 {
    let tiny = 1e-300;
    let mut b = y + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_ITER {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < NEGLIGIBLE {
            break;
        }
    }
    h.ln()
}

/// x ln(x / np) + np - x >= 0, the deviance term of Loader (2000, "Fast and accurate computation of
/// binomial probabilities"), by its series in v = (x - np) / (x + np) where the direct formula would
/// cancel (x near np).
fn bd0(x: f64, np: f64) -> f64 {
    let diff = x - np;
    if diff.abs() < 0.1 * (x + np) {
        let v = diff / (x + np);
        let v2 = v * v;
        let (mut sum, mut ej) = (diff * v, 2.0 * x * v);
        for j in 1..1000 {
            ej *= v2;
            let next = sum + ej / (2 * j + 1) as f64;
            if next == sum {
                break;
            }
            sum = next;
        }
        return sum;
    }
    x * (x.ln() - np.ln()) + np - x
}

/// ln Gamma(a + 1) - (a + 1/2) ln a + a - ln(2 pi) / 2, the error of Stirling's formula, for a >= 15 by
/// its asymptotic series (the next term, 691 / (360360 a^11), is below 1e-16 of the first).
fn stirling_error(a: f64) -> f64 {
    let r = 1.0 / (a * a);
    (1.0 / 12.0 - r * (1.0 / 360.0 - r * (1.0 / 1260.0 - r * (1.0 / 1680.0 - r / 1188.0)))) / a
}

/// a ln y - y - ln Gamma(a + 1) for a >= 0, y > 0: the log of y^a e^-y / Gamma(a + 1), which is the
/// series' prefactor and, at integer a, the Poisson log-probability of a with mean y. From a = 15 on it
/// is written as -bd0(a, y) - ln(2 pi a) / 2 - stirling_error(a) (Loader 2000): the direct formula
/// subtracts terms of size a ln a, so at a = 1e8 it keeps only about 7 digits of the probability, and
/// near a = 1e306 it overflows to inf - inf.
pub(super) fn ln_prefactor(a: f64, y: f64) -> f64 {
    if a < 15.0 {
        return if a == 0.0 { -y } else { a * y.ln() - y - ln_gamma(a + 1.0) };
    }
    -bd0(a, y) - 0.5 * (2.0 * std::f64::consts::PI * a).ln() - stirling_error(a)
}

/// Shapes from which `ln_pq` uses Temme's uniform expansion near the transition y ~ a, and the
/// relative distance |y - a| / a within which it does. There the series and the continued fraction need
/// some 10 sqrt(a) terms (past 1e5 at a = 1e8); outside it they converge within about 40 a / |y - a|.
const TEMME_A: f64 = 1e7;
const TEMME_T: f64 = 0.01;

/// Taylor coefficients in eta of Temme's c_0(eta) and c_1(eta) (NIST DLMF 8.12.9-8.12.10; derived again
/// here by series reversion of eta^2 / 2 = lambda - 1 - ln lambda in exact rationals).
const C0: [f64; 9] = [
    -1.0 / 3.0,
    1.0 / 12.0,
    -2.0 / 135.0,
    1.0 / 864.0,
    1.0 / 2835.0,
    -139.0 / 777600.0,
    1.0 / 25515.0,
    -571.0 / 261273600.0,
    -281.0 / 151559100.0,
];
const C1: [f64; 5] = [-1.0 / 540.0, -1.0 / 288.0, 1.0 / 378.0, -77.0 / 77760.0, 1.0 / 4860.0];

/// erfc(w) e^(w^2) for w >= 0: directly while erfc(w) is a normal double, else its asymptotic series
/// ln Phi(z), the standard normal CDF, accurate in both tails.
pub(super) fn ln_ndtr(z: f64) -> f64 {
    if z >= 0.0 {
        (-0.5 * libm::erfc(z / SQRT_2)).ln_1p()
    } else {
        let t = -z / SQRT_2;
        (0.5 * erfcx(t)).ln() - t * t
    }
}

/// (1 / (w sqrt(pi))) sum_n (-1)^n (2n - 1)!! / (2 w^2)^n, whose seventh term is below 1e-16 at w = 26.
pub(super) fn erfcx(w: f64) -> f64 {
    if w < 26.0 {
        return libm::erfc(w) * (w * w).exp();
    }
    let r = 1.0 / (2.0 * w * w);
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 1..8 {
        term *= -((2 * n - 1) as f64) * r;
        sum += term;
    }
    sum / (w * std::f64::consts::PI.sqrt())
}

/// (log P(a, y), log Q(a, y)) by Temme's uniform asymptotic expansion (Temme 1979, "The asymptotic
/// expansion of the incomplete gamma functions"; NIST DLMF 8.12.iii): with lambda = y / a and
/// eta^2 / 2 = lambda - 1 - ln lambda (eta of the sign of lambda - 1),
/// Q = erfc(eta sqrt(a / 2)) / 2 + e^(-a eta^2 / 2) / sqrt(2 pi a) (c_0(eta) + c_1(eta) / a + ...).
/// For a >= TEMME_A the omitted c_2 / a^2 term is below 1e-20 of the answer. The smaller of P and Q is
/// formed as e^(-w^2) (erfcx(w) / 2 +- c / sqrt(2 pi a)) with w = |eta| sqrt(a / 2), whose two parts
/// have the same sign within |lambda - 1| <= TEMME_T, so it stays accurate in log space far into the tail.
fn ln_pq_temme(a: f64, y: f64) -> (f64, f64) {
    let t = (y - a) / a;
    // t - ln(1 + t) = sum_{n >= 2} (-t)^n / n, to t^11 (the next term is below 1e-18 of the first).
    let half_eta2 = (2..=11).rev().fold(0.0, |acc, n| (acc + 1.0 / n as f64) * -t) * -t;
    let eta = t.signum() * (2.0 * half_eta2).sqrt();
    let poly = |c: &[f64]| c.iter().rev().fold(0.0, |acc, &v| acc * eta + v);
    let c = (poly(&C0) + poly(&C1) / a) / (2.0 * std::f64::consts::PI * a).sqrt();
    let w2 = a * half_eta2;
    let half_erfcx = 0.5 * erfcx(w2.sqrt());
    if eta >= 0.0 {
        let ln_q = -w2 + (half_erfcx + c).ln();
        (log1mexp(ln_q.min(0.0)), ln_q)
    } else {
        let ln_p = -w2 + (half_erfcx - c).ln();
        (ln_p, log1mexp(ln_p.min(0.0)))
    }
}

/// (log P(a, y), log Q(a, y)) for a > 0, y >= 0 (y may be +inf).
pub fn ln_pq(a: f64, y: f64) -> (f64, f64) {
    if y <= 0.0 {
        return (f64::NEG_INFINITY, 0.0);
    }
    if y == f64::INFINITY {
        return (0.0, f64::NEG_INFINITY);
    }
    if a >= TEMME_A && (y - a).abs() <= TEMME_T * a {
        return ln_pq_temme(a, y);
    }
    if y < a + 1.0 {
        let ln_p = ln_prefactor(a, y) + ln_series(a, y);
        (ln_p, log1mexp(ln_p.min(0.0)))
    } else {
        // y^a e^-y / Gamma(a) is the prefactor times a.
        let ln_q = ln_prefactor(a, y) + a.ln() + ln_continued_fraction(a, y);
        (log1mexp(ln_q.min(0.0)), ln_q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::gamma::{gamma_lr, gamma_ur};

    #[test]
    fn agrees_with_statrs_where_nothing_underflows() {
        for &a in &[0.5, 1.0, 2.5, 10.0, 137.0] {
            for &y in &[0.01, 0.3, 1.0, 3.0, 11.0, 60.0, 150.0] {
                let (lp, lq) = ln_pq(a, y);
                let (p, q) = (gamma_lr(a, y), gamma_ur(a, y));
                if p > 1e-300 {
                    assert!((lp.exp() - p).abs() <= 1e-12 * p, "P({a}, {y}): {} vs {p}", lp.exp());
                }
                if q > 1e-300 {
                    assert!((lq.exp() - q).abs() <= 1e-12 * q, "Q({a}, {y}): {} vs {q}", lq.exp());
                }
            }
        }
    }

    #[test]
    fn the_prefactor_agrees_with_the_direct_formula_and_is_finite_at_huge_shapes() {
        for a in [15.0, 15.5, 40.0, 1e3, 1e5] {
            for y in [0.5 * a, a, a + 3.0, 2.0 * a, 1e-3] {
                let direct = a * f64::ln(y) - y - ln_gamma(a + 1.0);
                let tol = 1e-14 * (a * a.ln()).max(1.0);
                assert!((ln_prefactor(a, y) - direct).abs() <= tol, "{a}, {y}: {} vs {direct}", ln_prefactor(a, y));
            }
        }
        // a = 9e307 far above y: the probability underflows to 0, its log to -inf, never NaN.
        assert_eq!(ln_pq(9e307, 3.5e147).0, f64::NEG_INFINITY);
        assert!(ln_prefactor(1e306, 1e306).is_finite());
    }

    #[test]
    fn temme_agrees_with_the_series_where_both_apply() {
        // At a = 1e7 the series and the continued fraction still converge (some 3e4 terms), so the two
        // methods can be compared where Temme takes over, across the transition and into both tails.
        let a = 1e7f64;
        for z in [-30.0, -5.0, -1.0, -0.1, 0.0, 0.1, 1.0, 5.0, 30.0] {
            let y = a + z * a.sqrt();
            let (tp, tq) = ln_pq_temme(a, y);
            let (sp, sq) = if y < a + 1.0 {
                let p = ln_prefactor(a, y) + ln_series(a, y);
                (p, log1mexp(p.min(0.0)))
            } else {
                let q = ln_prefactor(a, y) + a.ln() + ln_continued_fraction(a, y);
                (log1mexp(q.min(0.0)), q)
            };
            for (t, s) in [(tp, sp), (tq, sq)] {
                assert!((t - s).abs() <= 1e-11 * s.abs().max(1e-3), "z = {z}: {t} vs {s}");
            }
        }
    }

    #[test]
    fn deep_lower_tail_is_the_leading_term() {
        // P(a, y) ~ y^a e^-y / Gamma(a + 1) as y -> 0.
        let (a, y) = (3.0f64, 1e-120f64);
        let lead = a * y.ln() - y - ln_gamma(a + 1.0);
        assert!((ln_pq(a, y).0 - lead).abs() < 1e-12 * lead.abs());
        assert!(ln_pq(a, y).0.is_finite());
    }

    #[test]
    fn log1mexp_is_accurate_at_both_ends() {
        assert!((log1mexp(-1e-20) - (1e-20f64).ln()).abs() < 1e-12);
        assert!((log1mexp(-50.0) + (-50.0f64).exp()).abs() < 1e-30);
    }
}
