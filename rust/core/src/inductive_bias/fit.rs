//! Maximum-likelihood fit of a scaled non-central chi-squared, s X with X ~ chi2'(k, lambda), to a
//! sample of positive errors (docs/methods.md section 8).
//!
//! The parameters are optimised as logarithms (all three are positive) by the project's L-BFGS
//! (`fit::lbfgs`, a general minimiser of a value-and-gradient closure), from the cumulant match and
//! from two further starts, because the split between k and lambda is weakly identified and the
//! likelihood can be flat along it. The data are divided by their mean first so the objective and its
//! gradient are of order one whatever the units of the errors.

use crate::error::{CoreError, Result};
use crate::fit::lbfgs::{minimize, LbfgsOptions};
use crate::parallel::{map_blocks, BLOCK};

use super::ncx2::log_pdf_grad;

/// Fewer errors than this cannot pin down three parameters.
pub const MIN_ERRORS: usize = 10;

/// A fitted scaled non-central chi-squared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ncx2Fit {
    pub k: f64,
    pub lam: f64,
    pub scale: f64,
    /// Mean log-likelihood per error at the optimum (in the errors' own units).
    pub log_likelihood: f64,
    pub converged: bool,
    pub iterations: usize,
}

/// Check a sample of errors: enough of them, all finite and positive.
pub fn check_errors(errors: &[f64]) -> Result<()> {
    if errors.len() < MIN_ERRORS {
        return Err(CoreError::invalid(
            "errors",
            format!("needs at least {MIN_ERRORS} errors to fit three parameters, got {}", errors.len()),
        ));
    }
    if let Some((i, &e)) = errors.iter().enumerate().find(|(_, e)| !(e.is_finite() && **e > 0.0)) {
        return Err(CoreError::invalid("errors", format!("must be finite and positive, got {e} at position {i}")));
    }
    Ok(())
}

/// (k, lambda, s) matching the first three cumulants k1 = s(k + l), k2 = 2 s^2 (k + 2 l),
/// k3 = 8 s^3 (k + 3 l): eliminating k and l leaves 8 k1 s^2 - 8 k2 s + k3 = 0. Where no root gives
/// k > 0 and l >= 0 (a sample less skewed than any chi-squared allows), the central chi-squared with
/// the same mean and variance. The flag says whether the cumulants were matched.
pub fn cumulant_start(x: &[f64]) -> (f64, f64, f64, bool) {
    let n = x.len() as f64;
    let k1 = x.iter().sum::<f64>() / n;
    let k2 = x.iter().map(|v| (v - k1).powi(2)).sum::<f64>() / n;
    let k3 = x.iter().map(|v| (v - k1).powi(3)).sum::<f64>() / n;
    let disc = k2 * k2 - k1 * k3 / 2.0;
    if disc >= 0.0 {
        for s in [(k2 + disc.sqrt()) / (2.0 * k1), (k2 - disc.sqrt()) / (2.0 * k1)] {
            if s > 0.0 {
                let lam = k2 / (2.0 * s * s) - k1 / s;
                let k = k1 / s - lam;
                if k > 0.0 && lam >= 0.0 {
                    return (k, lam.max(1e-3 * k), s, true);
                }
            }
        }
    }
    let s = k2 / (2.0 * k1);
    (k1 / s, 1e-3 * k1 / s, s, false)
}

/// Mean negative log-likelihood of the (normalised) sample and its gradient in log parameters, summed
/// over fixed blocks in parallel and the block sums added in order: the same bits for any thread count.
///
/// The largest error has the largest leading mixture index, so where its density cannot be formed in
/// bounded work (NaN, see `log_pdf_grad`) no sum is attempted: a far line-search trial costs one density evaluation.
fn mean_nll(x: &[f64], x_max: f64, theta: &[f64], grad: &mut [f64]) -> f64 {
    let (k, lam, s) = (theta[0].exp(), theta[1].exp(), theta[2].exp());
    if log_pdf_grad(x_max, k, lam, s).0.is_nan() {
        grad.fill(f64::NAN);
        return f64::NAN;
    }
    let blocks = map_blocks(x.len(), BLOCK, |a, b| {
        let mut acc = [0.0; 4];
        for &xi in &x[a..b] {
            let (v, g) = log_pdf_grad(xi, k, lam, s);
            acc[0] += v;
            acc[1] += g[0];
            acc[2] += g[1];
            acc[3] += g[2];
        }
        acc
    });
    let mut tot = [0.0; 4];
    for blk in &blocks {
        tot.iter_mut().zip(blk).for_each(|(t, b)| *t += b);
    }
    let n = x.len() as f64;
    for (g, t) in grad.iter_mut().zip(&tot[1..]) {
        *g = -t / n;
    }
    -tot[0] / n
}

/// Fit from the first start (log parameters of the normalised sample), then from each further start
/// if `all`, else only if its objective already beats the best optimum so far (a sign of another basin
/// along the k-lambda ridge; skipping the others keeps a fit to one minimisation in the usual case), and
/// keep the best.
fn best_of(x: &[f64], starts: &[[f64; 3]], all: bool) -> Option<(Vec<f64>, f64, bool, usize)> {
    let x_max = x.iter().fold(0.0, |m: f64, &v| m.max(v));
    let opts = LbfgsOptions { max_iter: 500, ..LbfgsOptions::default() };
    let mut best: Option<(Vec<f64>, f64, bool, usize)> = None;
    for start in starts {
        // The stopping rules of the minimiser are relative to |f|; shifting f to 1 at the start makes
        // them absolute tolerances on the mean log-likelihood (which may be near zero or negative).
        let f0 = mean_nll(x, x_max, start, &mut [0.0; 3]);
        if !f0.is_finite() || (!all && best.as_ref().is_some_and(|b| f0 >= b.1)) {
            continue;
        }
        let m = minimize(|th, g| mean_nll(x, x_max, th, g) - f0 + 1.0, start, &opts);
        let f = m.f + f0 - 1.0;
        if f.is_finite() && best.as_ref().is_none_or(|b| f < b.1) {
            best = Some((m.x, f, m.stop.converged(), m.iterations));
        }
    }
    best
}

/// Maximum-likelihood fit; `warm` (k, lambda, s in the errors' units) replaces the default starts,
/// as in bootstrap refits.
pub fn fit_ncx2(errors: &[f64], warm: Option<(f64, f64, f64)>) -> Result<Ncx2Fit> {
    check_errors(errors)?;
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    let x: Vec<f64> = errors.iter().map(|e| e / mean).collect();
    // A start that is not a cumulant match (the fallback at the lambda -> 0 edge) is no better than the
    // ridge ends, so all three are then minimised.
    let mut all = false;
    let starts: Vec<[f64; 3]> = match warm {
        Some((k, lam, s)) => vec![[k.ln(), lam.ln(), (s / mean).ln()]],
        None => {
            let (k, lam, s, matched) = cumulant_start(&x);
            all = !matched;
            let total = k + lam;
            // Besides the cumulant match, the same mean with the mass moved to the other end of the
            // k-lambda ridge.
            vec![
                [k.ln(), lam.ln(), s.ln()],
                [(0.9 * total).ln(), (0.1 * total).ln(), s.ln()],
                [(0.1 * total).ln(), (0.9 * total).ln(), s.ln()],
            ]
        }
    };
    let (theta, f, converged, iterations) = best_of(&x, &starts, all)
        .ok_or_else(|| CoreError::Convergence("the non-central chi-squared likelihood is not finite".into()))?;
    Ok(Ncx2Fit {
        k: theta[0].exp(),
        lam: theta[1].exp(),
        scale: theta[2].exp() * mean,
        log_likelihood: -f - mean.ln(),
        converged,
        iterations,
    })
}
