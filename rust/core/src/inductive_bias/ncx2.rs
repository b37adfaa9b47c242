//! The non-central chi-squared distribution in log space: log-CDF and log-density with its gradient.
//!
//! Both are Poisson mixtures of central chi-squared laws with k + 2j degrees of freedom, weights
//! Pois(j; lambda / 2). Deep in the lower tail every term underflows in linear space (scipy returns
//! -inf), so the terms are kept as logarithms, the largest one is found by walking from the mode of
//! the Poisson weights, and the sum is taken relative to it (log-sum-exp), outward in both directions
//! until the terms stop mattering. The terms are log-concave in j (a product of log-concave
//! sequences: the Poisson weights and the gamma CDFs in their shape), so the walk finds the one
//! maximum and the terms fall away monotonically on both sides of it.

use statrs::function::gamma::{digamma, ln_gamma};

use super::gamma::{ln_pq, log1mexp};

/// Terms this far (in nats) below the largest add less than 1e-17 of the sum (with a margin for slowly
/// decaying tails).
const SPAN: f64 = 45.0;

/// log Pois(j; mu).
fn ln_poisson(j: usize, mu: f64) -> f64 {
    if j == 0 {
        -mu
    } else {
        -mu + j as f64 * mu.ln() - ln_gamma(j as f64 + 1.0)
    }
}

/// log sum_j exp(term(j)) for a log-concave sequence `term`, starting the search at `start`.
fn ln_sum_unimodal(start: usize, term: impl Fn(usize) -> f64) -> f64 {
    let mut top = start;
    let mut best = term(top);
    // Climb to the maximum: up while the next term is larger, else down while the previous one is.
    loop {
        let up = term(top + 1);
        if up > best {
            top += 1;
            best = up;
        } else {
            break;
        }
    }
    while top > 0 {
        let down = term(top - 1);
        if down > best {
            top -= 1;
            best = down;
        } else {
            break;
        }
    }
    // Beyond 1e17 the log of the sum of the weights (below 50 for any mixture this sums) is under half
    // an ulp of the largest term: the terms are indistinguishable from it, and summing them would never
    // reach the cut-off (with x = 1e308 every upper-tail term is about -5e307).
    if best == f64::NEG_INFINITY || best.abs() > 1e17 {
        return best;
    }
    let mut sum = 1.0;
    let mut j = top + 1;
    loop {
        let t = term(j) - best;
        if t.is_nan() || t < -SPAN {
            break;
        }
        sum += t.exp();
        j += 1;
    }
    for j in (0..top).rev() {
        let t = term(j) - best;
        if t.is_nan() || t < -SPAN {
            break;
        }
        sum += t.exp();
    }
    best + sum.ln()
}

/// log P(X <= x) for X ~ noncentral chi-squared(k, lam) (no scale), k > 0, lam >= 0.
///
/// (At x = 1e308 the answer is -exp(-5e307), i.e. -0.0: see `ln_sum_unimodal` for why that returns.)
pub fn log_cdf(x: f64, k: f64, lam: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let half = x / 2.0;
    let mu = lam / 2.0;
    let lower = |j: usize| ln_pq(k / 2.0 + j as f64, half).0;
    let upper = |j: usize| ln_pq(k / 2.0 + j as f64, half).1;
    if lam == 0.0 {
        // A probability's log is at most 0; the series' rounding can put it an ulp above.
        return lower(0).min(0.0);
    }
    let start = mu.floor() as usize;
    let ln_f = ln_sum_unimodal(start, |j| ln_poisson(j, mu) + lower(j));
    if ln_f < -std::f64::consts::LN_2 {
        return ln_f;
    }
    // Near 1 the lower sum has lost the digits of 1 - F; the upper mixture keeps them.
    let ln_s = ln_sum_unimodal(start, |j| ln_poisson(j, mu) + upper(j));
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

    #[test]
    fn lower_tail_stays_finite_far_below_underflow() {
        let v = log_cdf(1e-30, 20.0, 50.0);
        assert!(v.is_finite() && v < -700.0, "{v}");
    }
}
