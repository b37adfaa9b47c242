//! The Laplace approximation: a Gaussian at the posterior mode whose precision is the curvature of the
//! negative log posterior there (Gelman et al. 2013, "Bayesian Data Analysis", 4.1). With the
//! log-density of `density` the Gauss-Newton curvature is n J^T J / SSR (J the law's analytic Jacobian
//! of the log predictions) plus the normal priors' precisions; flat priors add nothing. The mode is
//! reached from the least-squares fit by damped Gauss-Newton steps, which only move when normal
//! priors pull it away from the fit's optimum.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::density::{LogPosterior, Prior};
use crate::error::{CoreError, Result};
use crate::numeric::rng::{replicate_rng, standard_normal};

#[derive(Debug, Clone)]
pub struct Laplace {
    pub mode: Vec<f64>,
    /// Row-major k x k covariance.
    pub covariance: Vec<f64>,
    pub log_density: f64,
}

/// Gradient and Gauss-Newton precision of the negative log posterior at `theta`.
fn curvature(post: &LogPosterior, theta: &[f64]) -> (f64, DVector<f64>, DMatrix<f64>) {
    let (n, k) = (post.n_runs(), post.n_params());
    let mut r = vec![0.0; n];
    let mut jac = vec![0.0; n * k];
    post.residuals(theta, &mut r, Some(&mut jac));
    let ssr: f64 = r.iter().map(|v| v * v).sum::<f64>().max(f64::MIN_POSITIVE);
    let j = DMatrix::from_column_slice(n, k, &jac);
    let scale = n as f64 / ssr;
    let mut grad = j.tr_mul(&DVector::from_column_slice(&r)) * scale;
    let mut prec = j.tr_mul(&j) * scale;
    for (i, p) in post.priors.iter().enumerate() {
        if let Prior::Normal { mean, sd } = *p {
            grad[i] += (theta[i] - mean) / (sd * sd);
            prec[(i, i)] += 1.0 / (sd * sd);
        }
    }
    (ssr, grad, prec)
}

/// The Laplace approximation, starting from `start` (the least-squares fit in log space).
pub fn laplace(post: &LogPosterior, start: &[f64]) -> Result<Laplace> {
    let k = post.n_params();
    if start.len() != k {
        return Err(CoreError::invalid("theta", format!("needs {k} values, got {}", start.len())));
    }
    let mut scratch = vec![0.0; post.n_runs()];
    let mut theta = start.to_vec();
    let mut value = post.log_density(&theta, &mut scratch);
    if value == f64::NEG_INFINITY {
        let outside: Vec<&str> = post
            .priors
            .iter()
            .zip(post.law.params())
            .zip(&theta)
            .filter(|((p, _), t)| p.log_density(**t) == f64::NEG_INFINITY)
            .map(|((_, s), _)| s.name)
            .collect();
        return Err(CoreError::invalid(
            "prior",
            format!("has zero mass at the fit's optimum (outside the prior's support: {outside:?})"),
        ));
    }
    for _ in 0..100 {
        let (_, grad, prec) = curvature(post, &theta);
        let Some(step) = prec.clone().cholesky().map(|c| c.solve(&grad)) else { break };
        let mut t = 1.0;
        let mut moved = false;
        while t > 1e-10 {
            let trial: Vec<f64> = theta.iter().zip(step.iter()).map(|(a, s)| a - t * s).collect();
            let v = post.log_density(&trial, &mut scratch);
            if v > value {
                theta = trial;
                value = v;
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved || step.norm() * t < 1e-12 * (1.0 + theta.iter().map(|v| v.abs()).fold(0.0, f64::max)) {
            break;
        }
    }
    let (_, _, prec) = curvature(post, &theta);
    let cov = prec.try_inverse().filter(|c| c.iter().all(|v| v.is_finite())).ok_or_else(|| {
        CoreError::invalid(
            "runs",
            "the posterior's curvature at the mode is singular: the data do not pin down every parameter",
        )
    })?;
    Ok(Laplace { mode: theta, covariance: cov.transpose().as_slice().to_vec(), log_density: value })
}

/// `n` draws (row-major, n x k) from the Gaussian with `mean` and row-major `covariance`; draw i uses
/// the stream (seed, i) only.
pub fn gaussian_draws(mean: &[f64], covariance: &[f64], n: usize, seed: u64) -> Result<Vec<f64>> {
    let k = mean.len();
    if covariance.len() != k * k {
        return Err(CoreError::invalid("covariance", format!("must be {k} x {k}")));
    }
    let chol = DMatrix::from_row_slice(k, k, covariance)
        .cholesky()
        .ok_or_else(|| CoreError::invalid("covariance", "is not positive definite"))?
        .l();
    let chol = &chol;
    Ok((0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            let mut rng = replicate_rng(seed, i as u64);
            let z: Vec<f64> = (0..k).map(|_| standard_normal(&mut rng)).collect();
            (0..k).map(|r| mean[r] + (0..=r).map(|c| chol[(r, c)] * z[c]).sum::<f64>()).collect::<Vec<_>>()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws::{self, Columns};

    #[test]
    fn the_laplace_covariance_of_a_linear_model_is_the_least_squares_one() {
        // power law with E tiny: ln L ~ ln A - alpha ln x, nearly linear; check against (X^T X)^-1 s^2.
        let law = laws::get("power").unwrap();
        let x: Vec<f64> = (0..40).map(|i| 10f64.powf(1.0 + 0.05 * i as f64)).collect();
        let mut rng = replicate_rng(5, 0);
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v.powf(-0.3) * (0.02 * standard_normal(&mut rng)).exp()).collect();
        let flat = Prior::Flat { lower: f64::NEG_INFINITY, upper: f64::INFINITY };
        let priors = vec![Prior::Normal { mean: -30.0, sd: 1e-3 }, flat, flat];
        let post = LogPosterior::new(law.as_ref(), &Columns { x: Some(&x), ..Columns::default() }, &y, priors).unwrap();
        let fit = laplace(&post, &[-30.0, 3f64.ln(), 0.3]).unwrap();
        let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
        let n = x.len() as f64;
        let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
        let sxx: f64 = lx.iter().map(|v| (v - mx).powi(2)).sum();
        let slope = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / sxx;
        assert!((fit.mode[2] + slope).abs() < 1e-6, "{} vs {}", fit.mode[2], -slope);
        let ssr: f64 = lx.iter().zip(&ly).map(|(a, b)| (b - my - slope * (a - mx)).powi(2)).sum();
        let var_slope = ssr / n / sxx;
        assert!((fit.covariance[8] / var_slope - 1.0).abs() < 1e-3, "{} vs {var_slope}", fit.covariance[8]);
    }

    #[test]
    fn draws_are_reproducible_and_have_the_covariance() {
        let cov = [2.0, 0.6, 0.6, 1.0];
        let d = gaussian_draws(&[1.0, -1.0], &cov, 20000, 3).unwrap();
        assert_eq!(d, gaussian_draws(&[1.0, -1.0], &cov, 20000, 3).unwrap());
        let n = 20000.0;
        let m0 = d.iter().step_by(2).sum::<f64>() / n;
        let c01 = d.chunks(2).map(|r| (r[0] - m0) * (r[1] + 1.0)).sum::<f64>() / n;
        assert!((m0 - 1.0).abs() < 0.05 && (c01 - 0.6).abs() < 0.05, "{m0} {c01}");
    }
}
