//! Logarithms of the regularised incomplete gamma functions P(a, y) and Q(a, y) = 1 - P(a, y).
//!
//! Written here because statrs (`gamma_lr`, `gamma_ur`) returns P and Q themselves, which underflow
//! to 0 far in the tails, where the inductive-bias estimate lives (docs/methods.md section 8). The same
//! two expansions (the power series below a + 1, Legendre's continued fraction above it; Numerical
//! Recipes 6.2) are summed here with the prefactor y^a e^-y / Gamma(a) kept as a logarithm.

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

/// a ln y - y - ln Gamma(a + 1), the log of the series' prefactor y^a e^-y / Gamma(a + 1). Beyond a = 1e10
/// the two large terms are combined through Stirling's series first, as
/// a ln(y / a) + (a - y) - ln(2 pi a) / 2 - 1 / (12 a), whose next term 1 / (360 a^3) is below an ulp:
/// written directly, a ln y and ln Gamma(a + 1) both overflow for a near 1e306, giving inf - inf.
fn ln_prefactor(a: f64, y: f64) -> f64 {
    if a < 1e10 {
        return a * y.ln() - y - ln_gamma(a + 1.0);
    }
    a * ((y - a) / a).ln_1p() + (a - y) - 0.5 * ((2.0 * std::f64::consts::PI).ln() + a.ln()) - 1.0 / (12.0 * a)
}

/// (log P(a, y), log Q(a, y)) for a > 0, y >= 0 (y may be +inf).
pub fn ln_pq(a: f64, y: f64) -> (f64, f64) {
    if y <= 0.0 {
        return (f64::NEG_INFINITY, 0.0);
    }
    if y == f64::INFINITY {
        return (0.0, f64::NEG_INFINITY);
    }
    if y < a + 1.0 {
        let ln_p = ln_prefactor(a, y) + ln_series(a, y);
        (ln_p, log1mexp(ln_p.min(0.0)))
    } else {
        let ln_q = a * y.ln() - y - ln_gamma(a) + ln_continued_fraction(a, y);
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
    fn the_prefactor_is_continuous_where_its_formula_changes_and_finite_at_huge_shapes() {
        for y in [1e9, 9.99e9, 1e10 - 1e5] {
            let (below, above) = (ln_prefactor(1e10 * (1.0 - 1e-15), y), ln_prefactor(1e10, y));
            // The direct formula cancels terms of size a ln a ~ 2.3e11, whose ulp is ~3e-5.
            assert!((below - above).abs() <= 1e-3, "{y}: {below} vs {above}");
        }
        // a = 9e307 far above y: the probability underflows to 0, its log to -inf, never NaN.
        assert_eq!(ln_pq(9e307, 3.5e147).0, f64::NEG_INFINITY);
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
