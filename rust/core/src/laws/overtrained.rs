//! L(C, M) = E + (a M^eta + b M^-eta) C^-eta (Gadre et al. 2024): chinchilla with alpha = beta = 2 eta,
//! re-expressed in compute C = 6 N D and tokens per parameter M = D / N.
//!
//! E is optimised as it is (not as its logarithm): the paper's own fits start from E = 0 and use
//! unconstrained least squares in linear space. a and b are optimised as logarithms.

use super::{cartesian_grid, linear_to_log, Features, Law, ParamSpec, Space, Transform};

pub struct Overtrained;

const PARAMS: [ParamSpec; 4] = [
    ParamSpec { name: "E", transform: Transform::Identity, lower: 0.0, upper: 10.0 },
    ParamSpec { name: "a", transform: Transform::Log, lower: -10.0, upper: 60.0 },
    ParamSpec { name: "b", transform: Transform::Log, lower: -10.0, upper: 60.0 },
    ParamSpec { name: "eta", transform: Transform::Identity, lower: 0.0, upper: 3.0 },
];

impl Law for Overtrained {
    fn name(&self) -> &'static str {
        "overtrained"
    }
    fn params(&self) -> &[ParamSpec] {
        &PARAMS
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["C", "M"]
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
        let (e, a, b, eta) = (theta[0], theta[1], theta[2], theta[3]);
        let ln_c = &feats.cols[0][start..end];
        let ln_m = &feats.cols[1][start..end];
        let len = end - start;
        for i in 0..len {
            let t1 = (a + eta * (ln_m[i] - ln_c[i])).exp();
            let t2 = (b - eta * (ln_m[i] + ln_c[i])).exp();
            pred[i] = e + t1 + t2;
            if let Some(jac) = jac.as_deref_mut() {
                jac[i] = 1.0;
                jac[len + i] = t1;
                jac[2 * len + i] = t2;
                jac[3 * len + i] = t1 * (ln_m[i] - ln_c[i]) - t2 * (ln_m[i] + ln_c[i]);
            }
        }
        if space == Space::Log {
            linear_to_log(pred, jac);
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        let e = [0.0, 1.0, 2.0, 4.0];
        let coef = [0.0, 5.0, 10.0, 15.0, 20.0];
        let eta = [0.05, 0.15, 0.3, 0.5];
        cartesian_grid(&[&e, &coef, &coef, &eta])
    }
}
