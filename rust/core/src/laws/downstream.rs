//! Err(L) = eps - k exp(-gamma L) (Gadre et al. 2024): downstream top-1 error as a function of the
//! model's loss L, read from the column x. eps and gamma are optimised as they are, k as its logarithm.

use super::{cartesian_grid, linear_to_log, Columns, Features, Law, ParamSpec, Space, Transform};
use crate::error::{CoreError, Result};

pub struct Downstream;

const PARAMS: [ParamSpec; 3] = [
    ParamSpec { name: "eps", transform: Transform::Identity, lower: -1.0, upper: 2.0 },
    ParamSpec { name: "k", transform: Transform::Log, lower: -10.0, upper: 20.0 },
    ParamSpec { name: "gamma", transform: Transform::Identity, lower: 0.0, upper: 10.0 },
];

impl Law for Downstream {
    fn name(&self) -> &'static str {
        "downstream"
    }
    fn params(&self) -> &[ParamSpec] {
        &PARAMS
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["x"]
    }
    fn features(&self, cols: &Columns) -> Result<Features> {
        let x = cols.require("x", self.name())?;
        if let Some(bad) = x.iter().find(|v| !v.is_finite()) {
            return Err(CoreError::invalid("x", format!("must be finite, got {bad}")));
        }
        Ok(Features { cols: vec![x.to_vec()], n_rows: x.len() })
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
        let (eps, ln_k, gamma) = (theta[0], theta[1], theta[2]);
        let x = &feats.cols[0][start..end];
        let len = end - start;
        for i in 0..len {
            let t = (ln_k - gamma * x[i]).exp();
            pred[i] = eps - t;
            if let Some(jac) = jac.as_deref_mut() {
                jac[i] = 1.0;
                jac[len + i] = -t;
                jac[2 * len + i] = x[i] * t;
            }
        }
        if space == Space::Log {
            linear_to_log(pred, jac);
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        let eps = [0.5, 0.75, 1.0];
        let ln_k = [-2.0, 0.0, 2.0, 5.0];
        let gamma = [0.1, 0.5, 1.0, 2.0, 4.0];
        cartesian_grid(&[&eps, &ln_k, &gamma])
    }
}
