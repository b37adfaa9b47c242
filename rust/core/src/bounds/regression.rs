//! An exact oracle (docs/bounds.md section 5): Gaussian linear regression with theta ~ N(0, s^2 I_d),
//! X ~ N(0, I_d), Y = theta.X + W, W ~ N(0, sigma^2), where
//!   I(theta; H_T) = E[ (1/2) ln det(I_d + (s^2/sigma^2) sum_{t<T} X_t X_t^T) ] <= (d/2) ln(1 + T s^2/sigma^2)
//! (the right side by Jensen, since E[sum X_t X_t^T] = T I_d), and L_T = I(theta; H_T) / T.
//! The expectation is a Monte Carlo mean over replicates; replicate r draws from the replicate stream
//! `numeric::rng::replicate_rng(seed, r)`, so the estimate is the same bits for any number of threads.

use nalgebra::DMatrix;

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::numeric::rng::{replicate_rng, standard_normal};
use crate::parallel::map_blocks;

/// Replicates per parallel block (and per cancellation check).
const BLOCK: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegressionInformation {
    /// Monte Carlo estimate of I(theta; H_T) in nats.
    pub information: f64,
    /// Its standard error (sample standard deviation over replicates / sqrt(n_mc)).
    pub standard_error: f64,
    /// The Jensen bound (d/2) ln(1 + T s^2 / sigma^2).
    pub jensen_bound: f64,
}

/// (1/2) ln det(I + r G) for one replicate's Gram matrix G of T draws in d dimensions. The smaller of
/// X^T X (d x d) and X X^T (T x T) is used: they have the same non-zero eigenvalues.
fn half_log_det(x: &DMatrix<f64>, ratio: f64) -> Result<f64> {
    let gram = if x.ncols() <= x.nrows() { x.tr_mul(x) } else { x * x.transpose() };
    let m = DMatrix::identity(gram.nrows(), gram.ncols()) + gram * ratio;
    let chol =
        m.cholesky().ok_or_else(|| CoreError::Convergence("I + (s2/sigma2) X^T X was not positive definite".into()))?;
    Ok(chol.l_dirty().diagonal().iter().map(|v| v.ln()).sum())
}

/// One replicate: draw X (T x d) from stream `replicate` of `seed`.
fn replicate(d: usize, t: usize, ratio: f64, seed: u64, replicate: u64) -> Result<f64> {
    let mut rng = replicate_rng(seed, replicate);
    let x = DMatrix::from_fn(t, d, |_, _| standard_normal(&mut rng));
    half_log_det(&x, ratio)
}

pub fn linear_regression_information(
    d: usize,
    t: usize,
    s2: f64,
    sigma2: f64,
    n_mc: usize,
    seed: u64,
    control: &Control,
) -> Result<RegressionInformation> {
    if d < 1 {
        return Err(CoreError::invalid("d", "must be at least 1, got 0"));
    }
    if t < 1 {
        return Err(CoreError::invalid("T", "must be at least 1, got 0"));
    }
    if !(s2.is_finite() && s2 > 0.0) {
        return Err(CoreError::invalid("s2", format!("must be finite and positive, got {s2}")));
    }
    if !(sigma2.is_finite() && sigma2 > 0.0) {
        return Err(CoreError::invalid("sigma2", format!("must be finite and positive, got {sigma2}")));
    }
    if n_mc < 2 {
        return Err(CoreError::invalid("n_mc", format!("must be at least 2 (for a standard error), got {n_mc}")));
    }
    crate::memory::ensure_allocatable("n_mc", n_mc, n_mc, 8)?;
    // Each worker thread draws one T x d design at a time.
    crate::memory::ensure_allocatable("T", t, t.saturating_mul(rayon::current_num_threads()), 8 * d)?;
    let ratio = s2 / sigma2;
    control.set_total(n_mc);
    let blocks = map_blocks(n_mc, BLOCK, |start, end| {
        control.check()?;
        let out = (start..end).map(|r| replicate(d, t, ratio, seed, r as u64)).collect::<Result<Vec<f64>>>();
        control.advance(end - start);
        out
    });
    let mut values = Vec::with_capacity(n_mc);
    for block in blocks {
        values.extend(block?);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    Ok(RegressionInformation {
        information: mean,
        standard_error: (var / n).sqrt(),
        jensen_bound: 0.5 * d as f64 * (t as f64 * ratio).ln_1p(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_jensen_and_near_check_value() {
        // docs/bounds.md section 5: d = 5, T = 50, s^2 = 0.2, sigma^2 = 1: I = 5.8678 +- 0.0005, bound 5.99474.
        let r = linear_regression_information(5, 50, 0.2, 1.0, 20_000, 7, &Control::new()).unwrap();
        assert!((r.jensen_bound - 5.99474).abs() < 1e-5);
        assert!(r.information < r.jensen_bound);
        assert!((r.information - 5.8678).abs() < 4.0 * r.standard_error + 0.0005, "{r:?}");
    }

    #[test]
    fn both_gram_orientations_agree() {
        let mut rng = replicate_rng(3, 0);
        let x = DMatrix::from_fn(3, 7, |_, _| standard_normal(&mut rng));
        let a = half_log_det(&x, 0.7).unwrap();
        let b = half_log_det(&x.transpose(), 0.7).unwrap();
        assert!((a - b).abs() < 1e-12);
    }
}
