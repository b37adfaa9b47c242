//! The non-central chi-squared distribution in log space: log-CDF and log-density with its gradient.
//!
//! Both are Poisson mixtures of central chi-squared laws with k + 2j degrees of freedom, weights
//! Pois(j; lambda / 2). Deep in the lower tail every term underflows in linear space (scipy returns
//! -inf), so the terms are kept as logarithms and summed relative to the largest (log-sum-exp). The
//! terms are log-concave in j (a product of log-concave sequences: the Poisson weights and the gamma
//! CDFs in their shape), so the largest one is found by bisection on the sign of consecutive
//! differences, and the terms fall away monotonically on both sides of it.
//!
//! A mixture with lambda = 1e8 has some 1.3e5 terms that matter, and one incomplete gamma function near
//! its transition costs some 10 sqrt(a) operations, so evaluating each term afresh took minutes. Only a
//! few terms are evaluated afresh (the bisections); the rest follow in O(1) each from the recurrences
//! P(a, y) = P(a + 1, y) + y^a e^-y / Gamma(a + 1) and Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1),
//! run in the direction in which they add positive numbers (P downwards, Q upwards), which loses no
//! digits: the relative error grows by at most an ulp a term.

use statrs::function::gamma::{digamma, ln_gamma};

use super::gamma::{ln_pq, ln_prefactor, log1mexp};
use super::{ncx2_convolution, ncx2_saddle};

/// Terms this far (in nats) below the largest add less than 1e-17 of the sum (with a margin for slowly
/// decaying tails).
const SPAN: f64 = 45.0;

/// lam x up to which the mixture's leading term has index below 5,000 (some 1,300 terms matter), so the
/// mixture serves at any lam.
const SHORT_MIXTURE: f64 = 1e8;

/// ln(e^a + e^b).
pub(super) fn ln_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// The index of the largest term of the unimodal sequence `term` on the integers of [lo, hi], by
/// bisection on the sign of term(j + 1) - term(j).
fn argmax(mut lo: f64, mut hi: f64, term: &impl Fn(f64) -> f64) -> f64 {
    while lo < hi {
        let mid = ((lo + hi) / 2.0).floor();
        if term(mid + 1.0) > term(mid) {
            lo = mid + 1.0;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The first index from `from` in direction `dir` (+1 or -1, not below 0) whose term is below `cut`, for
/// a sequence falling monotonically that way: an exponential search then bisection. None when the
/// sequence is still above `cut` at index 0 (going down) or beyond 2^62 steps (going up).
fn first_below(from: f64, dir: f64, cut: f64, term: &impl Fn(f64) -> f64) -> Option<f64> {
    let mut inside = from; // known to be at or above cut
    let mut step = 1.0f64;
    let outside = loop {
        let j = (inside + dir * step).max(0.0);
        if term(j) < cut {
            break j;
        }
        if j == 0.0 || step > 4.6e18 {
            return None;
        }
        inside = j;
        step *= 2.0;
    };
    let (mut a, mut b) = (inside, outside);
    while (b - a).abs() > 1.0 {
        let mid = ((a + b) / 2.0).floor();
        if mid == a || mid == b {
            break; // indices beyond 2^53, where neighbouring doubles are more than 1 apart
        }
        if term(mid) < cut {
            b = mid;
        } else {
            a = mid;
        }
    }
    Some(b)
}

/// log sum_j Pois(j; mu) G(h + j, y), G = P (lower) or Q (upper). The window of terms that matter spans
/// about 19 sqrt(mu) indices (some 4,000 below `ncx2_convolution::FROM_LAM`, which takes over above).
fn ln_mixture(h: f64, y: f64, mu: f64, lower: bool) -> f64 {
    let g = |a: f64| if lower { ln_pq(a, y).0 } else { ln_pq(a, y).1 };
    let term = |j: f64| ln_prefactor(j, mu) + g(h + j);
    let mode = mu.floor();
    // P falls and Q rises with j, so the largest term lies at or below the Poisson mode for P and at or
    // above it for Q.
    let top = if lower {
        argmax(0.0, mode, &term)
    } else {
        let (mut end, mut step) = (mode, 1.0f64);
        while term(end + 1.0) > term(end) {
            end = mode + step;
            step *= 2.0;
            if step > 4.6e18 {
                return f64::NAN;
            }
        }
        argmax(mode, end, &term)
    };
    let best = term(top);
    // Beyond 1e17 the log of the sum of the weights (below 50 for any mixture this sums) is under half
    // an ulp of the largest term: the terms are indistinguishable from it (with x = 1e308 every
    // upper-tail term is about -5e307).
    if best == f64::NEG_INFINITY || best.is_nan() || best.abs() > 1e17 {
        return best;
    }
    let cut = best - SPAN;
    // Start beyond the far end of the window on the side the recurrence must come from, with G exact
    // there, and run the recurrence through the window until the terms fall below the cut again.
    let (dir, start) = if lower {
        (-1.0, first_below(top, 1.0, cut, &term))
    } else {
        (1.0, first_below(top, -1.0, cut, &term).or(Some(0.0)))
    };
    let Some(mut j) = start else { return f64::NAN };
    let mut ln_g = g(h + j);
    let mut sum = 0.0;
    loop {
        let t = ln_prefactor(j, mu) + ln_g - best;
        if t.is_nan() {
            return f64::NAN;
        }
        sum += t.exp();
        let past_top = if lower { j < top } else { j > top };
        if (past_top && t < -SPAN) || (lower && j == 0.0) {
            break;
        }
        // P(a - 1) = P(a) + prefactor(a - 1) going down; Q(a + 1) = Q(a) + prefactor(a) going up.
        let a = if lower { h + j - 1.0 } else { h + j };
        ln_g = ln_add(ln_g, ln_prefactor(a, y));
        j += dir;
    }
    best + sum.ln()
}

/// log P(X <= x) for X ~ noncentral chi-squared(k, lam) (no scale), k > 0, lam >= 0.
///
/// (At x = 1e308 the answer is -exp(-5e307), i.e. -0.0: see `ln_mixture` for why that returns.)
pub fn log_cdf(x: f64, k: f64, lam: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    // Chernoff at t = 1/4: P(X >= x) <= exp(-x/4) E[exp(X/4)] = exp(-x/4 + (k/2) ln 2 + lam/2). Below
    // e^-745 the log CDF, -P(X >= x) to first order, is 0 to the last subnormal: this also covers x = inf
    // and the far tail where the series' recurrences overflow.
    if -x / 4.0 + k / 2.0 * std::f64::consts::LN_2 + lam / 2.0 < -745.0 {
        return 0.0;
    }
    // The mixture's terms peak near j = (sqrt(h^2 + lam x) - h) / 2 (h = k / 2), so with lam x small the
    // sum is short whatever lam: the convolution is needed only where that peak is far out. Deep in
    // the lower tail it also keeps x clear of the convolution's ranges, which at a subnormal x (a
    // subnormal x / scale) are too coarse for its quadrature to settle.
    if lam >= ncx2_convolution::FROM_LAM && lam * x > SHORT_MIXTURE {
        if k + lam >= ncx2_saddle::FROM {
            return ncx2_saddle::log_cdf(x, k, lam);
        }
        return ncx2_convolution::log_cdf(x, k, lam);
    }
    log_cdf_mixture(x, k, lam)
}

/// `log_cdf` by the Poisson mixture, for x > 0 short of the Chernoff cut.
pub(super) fn log_cdf_mixture(x: f64, k: f64, lam: f64) -> f64 {
    let (h, y, mu) = (k / 2.0, x / 2.0, lam / 2.0);
    if lam == 0.0 {
        // A probability's log is at most 0; the series' rounding can put it an ulp above.
        return ln_pq(h, y).0.min(0.0);
    }
    let ln_f = ln_mixture(h, y, mu, true);
    if ln_f.is_nan() || ln_f < -std::f64::consts::LN_2 {
        return ln_f;
    }
    // Near 1 the lower sum has lost the digits of 1 - F; the upper mixture keeps them.
    let ln_s = ln_mixture(h, y, mu, false);
    if ln_s.is_nan() {
        return f64::NAN;
    }
    log1mexp(ln_s.min(0.0))
}

/// Largest index of the leading mixture term `log_pdf_grad` sums around. The terms that matter span
/// about 6.5 sqrt(top) indices on either side of it (posterior weights of variance ~top / 2, cut 40
/// nats down), so this caps the work per point near 2e4 terms a side. A fit of errors normalised to
/// mean 1 has s (k + lam) ~ 1 and k + lam <= 4 / CV^2, so the leading index ~ (k + lam) / 2 stays
/// below the cap for any sample whose coefficient of variation exceeds ~5e-4; larger indices arise
/// only at trial points of a line search far from the optimum, which the density then rejects.
const TOP_MAX: f64 = 1e7;
/// Terms a side beyond which the density gives up (NaN): far more than TOP_MAX needs, and a bound
/// on the loops whatever the floating-point arithmetic does on the way.
const MAX_TERMS: usize = 200_000;

/// log of the density of s X at x, with X ~ noncentral chi-squared(k, lam), and its gradient with
/// respect to (ln k, ln lam, ln s); k, lam, s > 0, x > 0.
///
/// With y = x / s the mixture terms are t_j = Pois(j; lam/2) chi2_pdf(y; k + 2j); consecutive terms
/// differ by the factor (lam y / 4) / ((j + 1)(k/2 + j)), so one pair of log-gammas at the largest term
/// and a product recurrence give the whole sum. Writing E for the average over the posterior weights
/// t_j / sum t: d/d ln lam = E[j] - lam/2, d/d ln s = (y - k)/2 - E[j], d/d ln k = k/2 (ln(y/2) - E[psi(k/2 + j)]).
///
/// Returns NaN (value and gradient) where the sum cannot be formed in bounded work: a non-finite
/// y or lam y (a line-search trial whose log-scale under- or overflowed), or a leading term beyond
/// `TOP_MAX`. The minimiser treats NaN as an infinite objective and steps back, so a fit never
/// waits on such a point (before this guard, lam y = inf made the sums loop for ever).
pub fn log_pdf_grad(x: f64, k: f64, lam: f64, s: f64) -> (f64, [f64; 3]) {
    const FAIL: (f64, [f64; 3]) = (f64::NAN, [f64::NAN; 3]);
    let y = x / s;
    let h0 = k / 2.0;
    let z = lam * y / 4.0;
    if !(y.is_finite() && z.is_finite() && h0.is_finite()) {
        return FAIL;
    }
    // The largest term: the first j whose ratio to the next falls below 1, i.e. the positive root of
    // (j + 1)(k/2 + j) = z.
    let root = ((h0 - 1.0).powi(2) + 4.0 * z).sqrt() / 2.0 - (h0 + 1.0) / 2.0;
    if root.is_nan() || root > TOP_MAX {
        return FAIL;
    }
    let top = if root > 0.0 { root.ceil() as usize } else { 0 };
    let jt = top as f64;
    let ht = h0 + jt;
    let mut ln_top = -lam / 2.0 + (ht - 1.0) * y.ln() - y / 2.0 - ht * std::f64::consts::LN_2 - ln_gamma(ht);
    if top > 0 {
        ln_top += jt * (lam / 2.0).ln() - ln_gamma(jt + 1.0);
    }
    let psi_top = digamma(ht);
    // Sums of w_j, w_j j and w_j psi(k/2 + j), with w_j = t_j / t_top.
    let mut sums = [1.0, jt, psi_top];
    let up = z > 0.0 && !walk(&mut sums, jt, psi_top, |j| z / ((j + 1.0) * (h0 + j)), |j| 1.0 / (h0 + j), 1.0);
    let down = top > 0 && !walk(&mut sums, jt, psi_top, |j| j * (h0 + j - 1.0) / z, |j| -1.0 / (h0 + j - 1.0), -1.0);
    let [s0, s1, sp] = sums;
    if up || down || !s0.is_finite() {
        return FAIL;
    }
    let (ej, epsi) = (s1 / s0, sp / s0);
    let value = ln_top + s0.ln() - s.ln();
    (value, [h0 * ((y / 2.0).ln() - epsi), ej - lam / 2.0, (y - k) / 2.0 - ej])
}

/// Add to `sums` (of w_j, w_j j, w_j psi_j) the terms on one side of the leading index `jt`, stepping
/// j by `dir` (+1 or -1, down to j = 0): `ratio(j)` is w_(j+dir) / w_j and `dpsi(j)` is
/// psi_(j+dir) - psi_j. Stops once a term falls below 1e-17 of the sum (or is NaN); returns whether
/// it stopped so within `MAX_TERMS` terms.
fn walk(
    sums: &mut [f64; 3],
    jt: f64,
    psi_top: f64,
    ratio: impl Fn(f64) -> f64,
    dpsi: impl Fn(f64) -> f64,
    dir: f64,
) -> bool {
    let (mut w, mut psi, mut j) = (1.0, psi_top, jt);
    for _ in 0..MAX_TERMS {
        if dir < 0.0 && j <= 0.0 {
            return true;
        }
        w *= ratio(j);
        psi += dpsi(j);
        j += dir;
        if w.is_nan() || w < 1e-17 * sums[0] {
            return true;
        }
        sums[0] += w;
        sums[1] += w * j;
        sums[2] += w * psi;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF};

    #[test]
    fn huge_arguments_end_at_certainty() {
        // Used to loop for ever: every upper-tail term is about -x/2 and their differences vanish.
        for (x, k, lam) in [(1e308, 2.0, 1.0), (1e300, 7.5, 30.0), (1e20, 1.0, 1e3)] {
            let v = log_cdf(x, k, lam);
            assert!(v <= 0.0 && v > -1e-300, "log_cdf({x}, {k}, {lam}) = {v}");
        }
    }

    #[test]
    fn central_case_is_the_chi_squared() {
        let d = ChiSquared::new(3.5).unwrap();
        for &x in &[0.1, 1.0, 4.0, 20.0] {
            assert!((log_cdf(x, 3.5, 0.0) - d.cdf(x).ln()).abs() < 1e-12);
            let (lp, _) = log_pdf_grad(x, 3.5, 1e-300, 1.0);
            assert!((lp - d.ln_pdf(x)).abs() < 1e-10, "{lp} vs {}", d.ln_pdf(x));
        }
    }

    #[test]
    fn density_integrates_to_the_cdf() {
        // Trapezoid integral of the density over (0, x] against the CDF.
        let (k, lam, x) = (4.0, 7.0, 9.0);
        let n = 200_000;
        let h = x / n as f64;
        let f = |t: f64| if t > 0.0 { log_pdf_grad(t, k, lam, 1.0).0.exp() } else { 0.0 };
        let integral: f64 = (1..n).map(|i| f(i as f64 * h)).sum::<f64>() * h + f(x) * h / 2.0;
        assert!((integral.ln() - log_cdf(x, k, lam)).abs() < 1e-6);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (x, k, lam, s) = (2.3, 3.0, 5.0, 0.7);
        let (_, g) = log_pdf_grad(x, k, lam, s);
        let th = [k.ln(), lam.ln(), s.ln()];
        for i in 0..3 {
            let mut up = th;
            let mut dn = th;
            up[i] += 1e-6;
            dn[i] -= 1e-6;
            let f = |t: [f64; 3]| log_pdf_grad(x, t[0].exp(), t[1].exp(), t[2].exp()).0;
            let fd = (f(up) - f(dn)) / 2e-6;
            assert!((fd - g[i]).abs() < 1e-6, "component {i}: {fd} vs {}", g[i]);
        }
    }

    /// The mixture summed term by term, each incomplete gamma function evaluated afresh (the method
    /// the recurrences replace), for moderate lam where that is affordable.
    fn term_by_term(x: f64, k: f64, lam: f64) -> f64 {
        let (h, y, mu) = (k / 2.0, x / 2.0, lam / 2.0);
        let terms: Vec<f64> = (0..(mu + 60.0 * mu.sqrt() + 100.0) as usize)
            .map(|j| ln_prefactor(j as f64, mu) + ln_pq(h + j as f64, y).0)
            .collect();
        let top = terms.iter().fold(f64::NEG_INFINITY, |m, &t| m.max(t));
        top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
    }

    #[test]
    fn recurrences_agree_with_fresh_evaluation_of_every_term() {
        for (k, lam) in [(3.0f64, 1e4f64), (0.5, 2e3), (40.0, 150.0)] {
            let mean = k + lam;
            let sd = (2.0 * (k + 2.0 * lam)).sqrt();
            for z in [-40.0f64, -8.0, -2.0, -0.5, 0.0] {
                let x = (mean + z * sd).max(1e-3 * mean);
                let (ours, fresh) = (log_cdf(x, k, lam), term_by_term(x, k, lam));
                assert!((ours - fresh).abs() <= 1e-11 * fresh.abs().max(1e-2), "{x}, {k}, {lam}: {ours} vs {fresh}");
            }
        }
    }

    #[test]
    fn huge_lam_is_fast_monotone_and_central() {
        // lam = 1e8 took 45 s when every mixture term was evaluated afresh; the convolution integral
        // (`ncx2_convolution`) serves it in well under a millisecond.
        let (k, lam) = (5.0f64, 1e8f64);
        let sd = (2.0 * (k + 2.0 * lam)).sqrt();
        let started = std::time::Instant::now();
        let values: Vec<f64> =
            [-30.0, -5.0, -1.0, 0.0, 1.0, 5.0].iter().map(|z| log_cdf(k + lam + z * sd, k, lam)).collect();
        assert!(started.elapsed().as_secs_f64() < 5.0, "{:?}", started.elapsed());
        assert!(values.windows(2).all(|w| w[0] < w[1]), "{values:?}");
        // Near the mean the law is nearly normal (skewness 2^1.5 (k + 3 lam) / (k + 2 lam)^1.5 ~ 2e-4).
        assert!((values[3].exp() - 0.5).abs() < 1e-3, "{values:?}");
        assert!((values[2].exp() - 0.158_655).abs() < 1e-3, "{values:?}");
    }

    #[test]
    fn the_fuzzers_cases_at_the_ends_of_the_double_range() {
        // (x / scale, k, lam) that gave NaN: a subnormal x with a large lam (now the short mixture,
        // whose leading term j = 0 is e^(-lam / 2) P(k / 2, x / 2) to within lam x / (2 k + 4));
        let (x, k, lam) = (1e-310 / 1.15e4, 2.71, 1.37e8);
        let lead = -lam / 2.0 + ln_pq(k / 2.0, x / 2.0).0;
        assert!((log_cdf(x, k, lam) - lead).abs() <= 1e-12 * lead.abs(), "{}", log_cdf(x, k, lam));
        // lam or k near f64::MAX (the saddle point), checked against their leading behaviour there;
        let m = f64::MAX;
        let v = log_cdf(m / 2.81, 14.6, m);
        let lead = -(m.sqrt() - (m / 2.81).sqrt()).powi(2) / 2.0;
        assert!((v / lead - 1.0).abs() < 1e-12, "{v} vs {lead}");
        assert!((log_cdf(1e308, 1e308, 2.53e35) - 0.5f64.ln()).abs() < 1e-12);
        // and k = 1e5 at lam = 1e9, three standard deviations up, where the convolution's cut of the
        // CDF factor was left at x (checked against the mixture, slow but exact there).
        let x = 1e5 + 1e9 + 3.0 * (2.0f64 * (1e5 + 2e9)).sqrt();
        let (ours, exact) = (log_cdf(x, 1e5, 1e9), log_cdf_mixture(x, 1e5, 1e9));
        assert!((ours - exact).abs() <= 1e-12 * exact.abs(), "{ours} vs {exact}");
    }

    #[test]
    fn lower_tail_stays_finite_far_below_underflow() {
        let v = log_cdf(1e-30, 20.0, 50.0);
        assert!(v.is_finite() && v < -700.0, "{v}");
    }
}
