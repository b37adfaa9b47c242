//! L(N, D) = [ (N_c / N)^(alpha_N / alpha_D) + D_c / D ]^alpha_D (Kaplan et al. 2020, eq. 1.5).
//!
//! With n_c = ln N_c and d_c = ln D_c, log L = alpha_D * LSE(t1, t2) where
//! t1 = (alpha_N / alpha_D)(n_c - ln N) and t2 = d_c - ln D, so the two terms never overflow and the
//! softmax weights w1, w2 give the Jacobian:
//! d log L / d n_c = alpha_N w1, d/d d_c = alpha_D w2, d/d alpha_N = w1 (n_c - ln N),
//! d/d alpha_D = LSE - w1 t1.

use super::{cartesian_grid, check_finite, Features, Law, ParamSpec, Space, Transform};
use crate::error::{CoreError, Result};

pub struct Kaplan;

const PARAMS: [ParamSpec; 4] = [
    ParamSpec { name: "N_c", transform: Transform::Log, lower: 0.0, upper: 80.0 },
    ParamSpec { name: "D_c", transform: Transform::Log, lower: 0.0, upper: 80.0 },
    ParamSpec { name: "alpha_N", transform: Transform::Identity, lower: 0.0, upper: 3.0 },
    ParamSpec { name: "alpha_D", transform: Transform::Identity, lower: 0.0, upper: 3.0 },
];

impl Law for Kaplan {
    fn name(&self) -> &'static str {
        "kaplan"
    }
    fn check_params(&self, theta: &[f64]) -> Result<()> {
        check_finite(&PARAMS, theta)?;
        // The exponent alpha_N / alpha_D of the first term.
        if theta[3] == 0.0 {
            return Err(CoreError::invalid("params", "alpha_D must be non-zero, got 0"));
        }
        Ok(())
    }
    fn params(&self) -> &[ParamSpec] {
        &PARAMS
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["N", "D"]
    }
    fn predict_block(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        mut jac: Option<&mut [f64]>,
    ) {
        let (n_c, d_c, alpha_n, alpha_d) = (theta[0], theta[1], theta[2], theta[3]);
        let ratio = alpha_n / alpha_d;
        let ln_n = &feats.cols[0][start..end];
        let ln_d = &feats.cols[1][start..end];
        let len = end - start;
        for i in 0..len {
            let gap_n = n_c - ln_n[i];
            let t1 = ratio * gap_n;
            let t2 = d_c - ln_d[i];
            let m = t1.max(t2);
            let (e1, e2) = ((t1 - m).exp(), (t2 - m).exp());
            let s = e1 + e2;
            let lse = m + s.ln();
            let log_l = alpha_d * lse;
            let scale = match space {
                Space::Log => {
                    pred[i] = log_l;
                    1.0
                }
                Space::Linear => {
                    pred[i] = log_l.exp();
                    pred[i]
                }
            };
            if let Some(jac) = jac.as_deref_mut() {
                let (w1, w2) = (e1 / s, e2 / s);
                jac[i] = scale * alpha_n * w1;
                jac[len + i] = scale * alpha_d * w2;
                jac[2 * len + i] = scale * w1 * gap_n;
                jac[3 * len + i] = scale * (lse - w1 * t1);
            }
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        // Kaplan et al.'s fit: N_c = 8.8e13 (ln 32.1), D_c = 5.4e13 (ln 31.6), alpha_N = 0.076, alpha_D = 0.095.
        let scale = [15.0, 22.0, 29.0, 36.0];
        let exps = [0.05, 0.1, 0.3, 0.6];
        cartesian_grid(&[&scale, &scale, &exps, &exps])
    }
}
