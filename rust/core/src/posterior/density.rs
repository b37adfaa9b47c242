//! The log posterior density of a law's internal parameters, sigma integrated out (see the module
//! documentation): log p(theta | data) = sum_j log prior_j(theta_j) - (n / 2) ln SSR(theta) + const.

use crate::error::{CoreError, Result};
use crate::laws::{Columns, Features, Law, Space};

/// The prior of one internal coordinate (the logarithm of a positive coefficient, an exponent as it is).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    /// Constant density on [lower, upper] (either end may be infinite: an improper flat prior).
    Flat { lower: f64, upper: f64 },
    /// Normal with this mean and standard deviation.
    Normal { mean: f64, sd: f64 },
}

impl Prior {
    /// Checked construction; `name` is the parameter, named in the error.
    pub fn checked(self, name: &str) -> Result<Prior> {
        match self {
            Prior::Flat { lower, upper } if lower.is_nan() || upper.is_nan() || lower >= upper => {
                Err(CoreError::invalid(
                    "prior",
                    format!("{name}: a flat prior needs lower < upper, got [{lower}, {upper}]"),
                ))
            }
            Prior::Normal { mean, sd } if !(mean.is_finite() && sd.is_finite() && sd > 0.0) => Err(CoreError::invalid(
                "prior",
                format!("{name}: a normal prior needs a finite mean and a positive sd, got ({mean}, {sd})"),
            )),
            p => Ok(p),
        }
    }

    /// Log density up to a constant; -inf outside the support.
    pub fn log_density(&self, t: f64) -> f64 {
        match *self {
            Prior::Flat { lower, upper } => {
                if t >= lower && t <= upper {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
            Prior::Normal { mean, sd } => {
                let z = (t - mean) / sd;
                -0.5 * z * z
            }
        }
    }
}

/// The data and priors of one posterior.
pub struct LogPosterior<'a> {
    pub law: &'a dyn Law,
    feats: Features,
    log_loss: Vec<f64>,
    pub priors: Vec<Prior>,
}

impl<'a> LogPosterior<'a> {
    pub fn new(law: &'a dyn Law, cols: &Columns, loss: &[f64], priors: Vec<Prior>) -> Result<Self> {
        let feats = law.features(cols)?;
        if feats.n_rows != loss.len() {
            return Err(CoreError::invalid(
                "loss",
                format!("has {} rows, the inputs have {}", loss.len(), feats.n_rows),
            ));
        }
        if let Some(bad) = loss.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(CoreError::invalid("loss", format!("must be finite and positive, got {bad}")));
        }
        let k = law.n_params();
        if loss.len() <= k {
            return Err(CoreError::invalid(
                "runs",
                format!(
                    "the {} law has {k} parameters; a posterior needs more runs than that, got {}",
                    law.name(),
                    loss.len()
                ),
            ));
        }
        if priors.len() != k {
            return Err(CoreError::invalid("prior", format!("needs {k} priors, got {}", priors.len())));
        }
        let priors =
            priors.into_iter().zip(law.params()).map(|(p, spec)| p.checked(spec.name)).collect::<Result<Vec<_>>>()?;
        Ok(LogPosterior { law, feats, log_loss: loss.iter().map(|v| v.ln()).collect(), priors })
    }

    pub fn n_runs(&self) -> usize {
        self.log_loss.len()
    }

    pub fn n_params(&self) -> usize {
        self.priors.len()
    }

    /// Sum of the priors' log densities (-inf outside their support).
    pub fn log_prior(&self, theta: &[f64]) -> f64 {
        self.priors.iter().zip(theta).map(|(p, t)| p.log_density(*t)).sum()
    }

    /// Log residuals (prediction minus observation) into `resid`, and the Jacobian of the log
    /// predictions (parameter-major, `jac[j * n + i]`) when asked.
    pub fn residuals(&self, theta: &[f64], resid: &mut [f64], jac: Option<&mut [f64]>) {
        let n = self.n_runs();
        self.law.predict_block(theta, &self.feats, 0, n, Space::Log, resid, jac);
        for (r, y) in resid.iter_mut().zip(&self.log_loss) {
            *r -= y;
        }
    }

    /// The log posterior density at `theta`, up to a constant; `scratch` holds n values.
    pub fn log_density(&self, theta: &[f64], scratch: &mut [f64]) -> f64 {
        let lp = self.log_prior(theta);
        if lp == f64::NEG_INFINITY || theta.iter().any(|t| !t.is_finite()) {
            return f64::NEG_INFINITY;
        }
        self.residuals(theta, scratch, None);
        let ssr: f64 = scratch.iter().map(|r| r * r).sum();
        if !ssr.is_finite() {
            return f64::NEG_INFINITY;
        }
        // An exact fit (SSR = 0) has unbounded density; the floor keeps it the largest finite value.
        lp - 0.5 * self.n_runs() as f64 * ssr.max(f64::MIN_POSITIVE).ln()
    }
}
