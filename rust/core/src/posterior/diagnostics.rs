//! Convergence diagnostics of MCMC draws, as Stan and ArviZ compute them without rank normalisation
//! (Gelman et al. 2013, "Bayesian Data Analysis", 11.4-11.5; Vehtari et al. 2021): every chain is split
//! in two halves, the potential scale reduction R-hat compares between- and within-half variances, and
//! the effective sample size sums the combined autocorrelation with Geyer's initial monotone sequence.
//! For an ensemble sampler each walker is a chain (ArviZ's convention for emcee).

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use crate::error::{CoreError, Result};

/// The chains (rows of `n` draws each, row-major) cut into halves; an odd draw in the middle is dropped.
fn split_halves(draws: &[f64], n: usize) -> Result<(Vec<&[f64]>, usize)> {
    if n < 4 || draws.is_empty() || draws.len() % n != 0 {
        return Err(CoreError::invalid("draws", format!("need chains of at least 4 draws, got {n} per chain")));
    }
    if let Some(bad) = draws.iter().find(|v| !v.is_finite()) {
        return Err(CoreError::invalid("draws", format!("must be finite, got {bad}")));
    }
    let h = n / 2;
    let halves = draws.chunks(n).flat_map(|c| [&c[..h], &c[n - h..]]).collect();
    Ok((halves, h))
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// (mean within-chain variance W, the pooled variance estimate var+ = (n-1)/n W + B/n).
fn variances(chains: &[&[f64]], n: usize) -> (f64, f64) {
    let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
    let w = chains
        .iter()
        .zip(&means)
        .map(|(c, m)| c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n as f64 - 1.0))
        .sum::<f64>()
        / chains.len() as f64;
    let grand = mean(&means);
    let b_over_n = if chains.len() > 1 {
        means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (chains.len() as f64 - 1.0)
    } else {
        0.0
    };
    (w, (n as f64 - 1.0) / n as f64 * w + b_over_n)
}

/// Split R-hat of draws laid out as chains of `n` draws (row-major).
pub fn split_rhat(draws: &[f64], n: usize) -> Result<f64> {
    let (chains, h) = split_halves(draws, n)?;
    let (w, var_plus) = variances(&chains, h);
    Ok(if w > 0.0 { (var_plus / w).sqrt() } else { f64::NAN })
}

/// Autocovariance of one chain at lags 0..n (divided by n), by FFT of the zero-padded centred chain.
fn autocovariance(x: &[f64], planner: &mut FftPlanner<f64>) -> Vec<f64> {
    let n = x.len();
    let m = mean(x);
    let size = (2 * n).next_power_of_two();
    let mut buf: Vec<Complex<f64>> = x
        .iter()
        .map(|v| Complex::new(v - m, 0.0))
        .chain(std::iter::repeat(Complex::new(0.0, 0.0)))
        .take(size)
        .collect();
    planner.plan_fft_forward(size).process(&mut buf);
    for c in buf.iter_mut() {
        *c = Complex::new(c.norm_sqr(), 0.0);
    }
    planner.plan_fft_inverse(size).process(&mut buf);
    buf[..n].iter().map(|c| c.re / (size as f64 * n as f64)).collect()
}

/// Effective sample size of draws laid out as chains of `n` draws (row-major).
pub fn effective_sample_size(draws: &[f64], n: usize) -> Result<f64> {
    let (chains, h) = split_halves(draws, n)?;
    let m = chains.len();
    let (w, var_plus) = variances(&chains, h);
    // A constant draw (or NaN variance) has no defined effective size.
    if var_plus.is_nan() || var_plus <= 0.0 {
        return Ok(f64::NAN);
    }
    let mut planner = FftPlanner::new();
    let acov: Vec<Vec<f64>> = chains.iter().map(|c| autocovariance(c, &mut planner)).collect();
    let mean_acov = |t: usize| acov.iter().map(|a| a[t]).sum::<f64>() / m as f64;
    let rho = |t: usize| 1.0 - (w - mean_acov(t)) / var_plus;
    // Geyer's initial positive sequence: pairs rho_(t+1) + rho_(t+2) are kept while positive ...
    let mut rho_t = vec![0.0; h];
    rho_t[0] = 1.0;
    let (mut even, mut odd) = (1.0, rho(1));
    rho_t[1] = odd;
    // Signed lags: with very short chains the sequence ends before it starts (max_t = -1).
    let hi = h as isize;
    let mut t: isize = 1;
    while t < hi - 3 && even + odd > 0.0 {
        even = rho((t + 1) as usize);
        odd = rho((t + 2) as usize);
        if even + odd >= 0.0 {
            rho_t[(t + 1) as usize] = even;
            rho_t[(t + 2) as usize] = odd;
        }
        t += 2;
    }
    let max_t = t - 2;
    if even > 0.0 {
        rho_t[(max_t + 1) as usize] = even;
    }
    // ... then made monotone (Geyer's initial monotone sequence), as ArviZ does.
    let mut t: isize = 1;
    while t <= max_t - 2 {
        let u = t as usize;
        if rho_t[u + 1] + rho_t[u + 2] > rho_t[u - 1] + rho_t[u] {
            rho_t[u + 1] = (rho_t[u - 1] + rho_t[u]) / 2.0;
            rho_t[u + 2] = rho_t[u + 1];
        }
        t += 2;
    }
    let total = (m * h) as f64;
    let kept: f64 = rho_t[..(max_t + 1) as usize].iter().sum();
    let tail = rho_t.get((max_t + 1) as usize).copied().unwrap_or(0.0);
    let tau = (-1.0 + 2.0 * kept + tail).max(1.0 / total.log10());
    Ok(total / tau)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::rng::{replicate_rng, standard_normal};

    #[test]
    fn independent_draws_have_rhat_one_and_full_ess() {
        let mut rng = replicate_rng(1, 0);
        let draws: Vec<f64> = (0..4 * 1000).map(|_| standard_normal(&mut rng)).collect();
        let r = split_rhat(&draws, 1000).unwrap();
        assert!((r - 1.0).abs() < 0.01, "{r}");
        let ess = effective_sample_size(&draws, 1000).unwrap();
        assert!(ess > 3000.0 && ess < 5000.0, "{ess}");
    }

    #[test]
    fn an_ar1_chain_has_the_known_ess() {
        // AR(1) with coefficient phi: tau = (1 + phi) / (1 - phi) = 3 for phi = 0.5.
        let mut rng = replicate_rng(2, 0);
        let mut draws = Vec::new();
        for _ in 0..8 {
            let mut x = 0.0;
            for _ in 0..5000 {
                x = 0.5 * x + (0.75f64).sqrt() * standard_normal(&mut rng);
                draws.push(x);
            }
        }
        let ess = effective_sample_size(&draws, 5000).unwrap();
        assert!((ess / (40000.0 / 3.0) - 1.0).abs() < 0.1, "{ess}");
    }

    #[test]
    fn shifted_chains_have_large_rhat() {
        let mut rng = replicate_rng(3, 0);
        let draws: Vec<f64> = (0..2000).map(|i| standard_normal(&mut rng) + if i < 1000 { 0.0 } else { 3.0 }).collect();
        assert!(split_rhat(&draws, 1000).unwrap() > 1.5);
    }
}
