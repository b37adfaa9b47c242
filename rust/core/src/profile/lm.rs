//! Levenberg-Marquardt least squares (Marquardt 1963, "An algorithm for least-squares estimation of
//! nonlinear parameters"), with Marquardt's diagonal scaling. Hand-written because the refits of a profile
//! are tiny (a handful of coordinates, at most thousands of residuals) and warm-started, where a short
//! loop over nalgebra's Cholesky is all that is needed; the fit module's L-BFGS minimises general
//! objectives, not sums of squares with a Jacobian.

use nalgebra::{DMatrix, DVector};

const MAX_ITER: usize = 500;
/// Stop when an accepted step gains less than this fraction of SSR.
const RTOL: f64 = 1e-15;

/// Minimise the SSR that `eval(u, residuals, jacobian)` returns (infinite where undefined) from `u0`;
/// returns the minimiser and its SSR.
pub fn minimise(
    n: usize,
    u0: &[f64],
    mut eval: impl FnMut(&[f64], &mut [f64], Option<&mut DMatrix<f64>>) -> f64,
) -> (Vec<f64>, f64) {
    let m = u0.len();
    let mut u = u0.to_vec();
    let mut r = vec![0.0; n];
    let mut trial_r = vec![0.0; n];
    let mut jac = DMatrix::zeros(n, m);
    let mut ssr = eval(&u, &mut r, Some(&mut jac));
    if !ssr.is_finite() {
        return (u, f64::INFINITY);
    }
    let mut lambda = 1e-3;
    for _ in 0..MAX_ITER {
        let a = jac.tr_mul(&jac);
        let g = jac.tr_mul(&DVector::from_column_slice(&r));
        let mut accepted = false;
        while lambda < 1e16 {
            let mut damped = a.clone();
            for i in 0..m {
                damped[(i, i)] += lambda * a[(i, i)].max(1e-12);
            }
            let Some(step) = damped.cholesky().map(|c| c.solve(&g)) else {
                lambda *= 10.0;
                continue;
            };
            let trial: Vec<f64> = u.iter().zip(step.iter()).map(|(a, s)| a - s).collect();
            let s = eval(&trial, &mut trial_r, None);
            if s < ssr {
                let gain = (ssr - s) / ssr;
                u = trial;
                ssr = eval(&u, &mut r, Some(&mut jac));
                lambda = (lambda / 3.0).max(1e-12);
                accepted = gain > RTOL;
                break;
            }
            lambda *= 4.0;
        }
        if !accepted {
            break;
        }
    }
    (u, ssr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_an_exponential_decay() {
        let t: Vec<f64> = (0..20).map(|i| i as f64 * 0.25).collect();
        let y: Vec<f64> = t.iter().map(|v| 2.0 * (-0.7 * v).exp()).collect();
        let (u, ssr) = minimise(20, &[1.0, 0.1], |u, r, jac| {
            let mut jac = jac;
            for (i, tv) in t.iter().enumerate() {
                let e = (-u[1] * tv).exp();
                r[i] = u[0] * e - y[i];
                if let Some(j) = jac.as_mut() {
                    j[(i, 0)] = e;
                    j[(i, 1)] = -u[0] * tv * e;
                }
            }
            r.iter().map(|v| v * v).sum()
        });
        assert!((u[0] - 2.0).abs() < 1e-8 && (u[1] - 0.7).abs() < 1e-8 && ssr < 1e-20, "{u:?} {ssr}");
    }
}
