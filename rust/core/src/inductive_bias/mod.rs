//! Inductive bias as the information needed to reach a target error (Boopathy et al. 2024, "Towards
//! Exact Computation of Inductive Bias"; docs/methods.md section 8).
//!
//! The test errors of hypotheses sampled from a hypothesis space are modelled as a scaled non-central
//! chi-squared; the inductive bias needed for error eps is -log P(error <= eps) under that fit, read
//! deep in the lower tail, where the log-space mixture of `ncx2` stays accurate. A bootstrap over the
//! sampled errors gives its interval (the split between k and lambda is weakly identified).
//!
//! - `gamma`: log regularised incomplete gamma functions.
//! - `ncx2`: log-CDF and log-density (with gradient) of the non-central chi-squared.
//! - `ncx2_convolution`: its log-CDF at large non-centrality, as a convolution integral.
//! - `ncx2_saddle`: its log-CDF where k + lam is beyond 1e16, by the saddle-point approximation.
//! - `fit`: maximum likelihood from the cumulant match.

pub mod fit;
pub mod gamma;
pub mod ncx2;
mod ncx2_convolution;
mod ncx2_saddle;

use rayon::prelude::*;

use crate::bootstrap::rng::{draw_index, replicate_rng};
use crate::bootstrap::{interval, Interval, Method};
use crate::control::Control;
use crate::error::{CoreError, Result};

pub use fit::{fit_ncx2, Ncx2Fit};

/// log P(s X <= x) for X ~ chi2'(k, lam), checked: k > 0, lam >= 0 and s > 0 finite, x not NaN.
pub fn ncx2_log_cdf(x: f64, k: f64, lam: f64, scale: f64) -> Result<f64> {
    ncx2_log_cdf_checked(x, k, lam, scale, &Control::new())
}

fn ncx2_log_cdf_checked(x: f64, k: f64, lam: f64, scale: f64, control: &Control) -> Result<f64> {
    let check = |name: &str, v: f64, ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(CoreError::invalid(name, format!("must be {what}, got {v}")))
        }
    };
    check("x", x, !x.is_nan(), "a number (not NaN)")?;
    check("k", k, k.is_finite() && k > 0.0, "finite and positive")?;
    check("lam", lam, lam.is_finite() && lam >= 0.0, "finite and non-negative")?;
    check("scale", scale, scale.is_finite() && scale > 0.0, "finite and positive")?;
    control.check()?;
    log_cdf_settled(x / scale, k, lam)
}

/// `ncx2::log_cdf`, with its NaN (a quadrature that did not settle, only at the ends of the double
/// range) reported as non-convergence naming the arguments rather than passed on as a number.
fn log_cdf_settled(x: f64, k: f64, lam: f64) -> Result<f64> {
    let v = ncx2::log_cdf(x, k, lam);
    if v.is_nan() {
        return Err(CoreError::Convergence(format!(
            "the non-central chi-squared log CDF did not settle at x / scale = {x:e}, k = {k:e}, lam = {lam:e}"
        )));
    }
    Ok(v)
}

/// Element-wise `ncx2_log_cdf` over equal-length slices, in parallel (each element is independent),
/// stopping with `Interrupted` soon after `control` is cancelled (an element takes at most about a
/// millisecond).
pub fn ncx2_log_cdf_many(x: &[f64], k: &[f64], lam: &[f64], scale: &[f64], control: &Control) -> Result<Vec<f64>> {
    let n = x.len();
    if [k.len(), lam.len(), scale.len()].iter().any(|&m| m != n) {
        return Err(CoreError::invalid("x", "x, k, lam and scale must have the same length"));
    }
    control.set_total(n);
    (0..n)
        .into_par_iter()
        .with_min_len(64)
        .map(|i| {
            let v = ncx2_log_cdf_checked(x[i], k[i], lam[i], scale[i], control)?;
            control.advance(1);
            Ok(v)
        })
        .collect()
}

/// The inductive bias at one target error, with its bootstrap distribution.
#[derive(Debug, Clone)]
pub struct InductiveBias {
    pub fit: Ncx2Fit,
    /// log P(error <= eps) under the fit (natural log).
    pub log_p: f64,
    /// -log2 P(error <= eps) of each successful bootstrap refit, in replicate order.
    pub bits_distribution: Vec<f64>,
    /// Refits that failed, did not converge or gave non-finite bits (left out of the distribution).
    pub n_failed: usize,
    /// Percentile interval of the bits (None without resamples).
    pub interval: Option<Interval>,
}

/// Fit, evaluate at `eps`, and bootstrap `n_resamples` refits: replicate i resamples the errors from
/// the stream (seed, i) and refits from the full-sample optimum, so the result is the same for any
/// number of threads.
pub fn inductive_bias(
    errors: &[f64],
    eps: f64,
    n_resamples: usize,
    seed: u64,
    level: f64,
    control: &Control,
) -> Result<InductiveBias> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(CoreError::invalid("eps", format!("must be finite and positive, got {eps}")));
    }
    let fit = fit_ncx2(errors, None)?;
    let log_p = log_cdf_settled(eps / fit.scale, fit.k, fit.lam)?;
    control.set_total(n_resamples);
    let warm = (fit.k, fit.lam, fit.scale);
    let n = errors.len();
    let replicates: Vec<Option<f64>> = (0..n_resamples as u64)
        .into_par_iter()
        .map(|i| {
            control.check()?;
            let mut rng = replicate_rng(seed, i);
            let sample: Vec<f64> = (0..n).map(|_| errors[draw_index(&mut rng, n)]).collect();
            // A refit that errs or stops short of an optimum counts as failed (n_failed), as do bits
            // that are not finite.
            let bits = fit_ncx2(&sample, Some(warm))
                .ok()
                .filter(|f| f.converged)
                .map(|f| -ncx2::log_cdf(eps / f.scale, f.k, f.lam) / std::f64::consts::LN_2)
                .filter(|b| b.is_finite());
            control.advance(1);
            Ok(bits)
        })
        .collect::<Result<_>>()?;
    let bits_distribution: Vec<f64> = replicates.iter().flatten().copied().collect();
    let n_failed = n_resamples - bits_distribution.len();
    let interval = if bits_distribution.len() >= 2 {
        let bits_hat = -log_p / std::f64::consts::LN_2;
        Some(interval(&bits_distribution, bits_hat, &[], level, Method::Percentile)?)
    } else {
        crate::bootstrap::intervals::check_level(level)?;
        None
    };
    Ok(InductiveBias { fit, log_p, bits_distribution, n_failed, interval })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{ChiSquared, Distribution, Normal};

    /// s X with X ~ chi2'(k, lam) drawn as a central chi-squared plus a shifted normal squared.
    fn sample(k: f64, lam: f64, s: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let c = ChiSquared::new(k - 1.0).unwrap();
        let z = Normal::new(lam.sqrt(), 1.0).unwrap();
        (0..n).map(|_| s * (c.sample(&mut rng) + z.sample(&mut rng).powi(2))).collect()
    }

    #[test]
    fn recovers_planted_parameters() {
        let x = sample(6.0, 4.0, 0.02, 10_000, 1);
        let f = fit_ncx2(&x, None).unwrap();
        assert!(f.converged);
        assert!((f.k + f.lam - 10.0).abs() < 0.5, "{f:?}");
        assert!((f.scale / 0.02 - 1.0).abs() < 0.05, "{f:?}");
    }

    #[test]
    fn bootstrap_is_thread_count_independent() {
        let x = sample(4.0, 3.0, 1.0, 300, 2);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| inductive_bias(&x, 0.5, 12, 5, 0.95, &Control::new()).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a.bits_distribution, b.bits_distribution);
        assert_eq!(a.log_p, b.log_p);
    }

    #[test]
    fn bad_input_is_named() {
        let x = sample(4.0, 3.0, 1.0, 50, 3);
        let err = inductive_bias(&x, 0.0, 0, 0, 0.95, &Control::new()).unwrap_err();
        assert!(err.to_string().starts_with("eps"));
        let mut y = x.clone();
        y[7] = -1.0;
        assert!(fit_ncx2(&y, None).unwrap_err().to_string().starts_with("errors"));
        assert!(fit_ncx2(&x[..5], None).is_err());
        assert!(ncx2_log_cdf(1.0, 0.0, 1.0, 1.0).unwrap_err().to_string().starts_with('k'));
    }
}
