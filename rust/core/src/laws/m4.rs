//! M4 (Alabdulmohsin et al. 2022): (eps - eps_inf) / (eps_0 - eps)^alpha = beta x^c, an implicit law
//! for the error eps at scale x, falling from eps_0 towards eps_inf (c < 0).
//!
//! Each prediction solves for eps: writing eps = eps_inf + (eps_0 - eps_inf) sigmoid(z), the equation
//! becomes h(z) = -softplus(-z) + alpha softplus(z) = ln beta + c ln x + (alpha - 1) ln(eps_0 - eps_inf),
//! with h strictly increasing (h' >= min(1, alpha)), solved by safeguarded Newton. The Jacobian follows
//! from the implicit function theorem on F = ln(eps - eps_inf) - alpha ln(eps_0 - eps) - ln beta - c ln x.
//! With alpha = 0 the law is the power law eps = eps_inf + beta x^c. Parameters with eps_0 <= eps_inf or
//! alpha < 0 predict NaN, which the optimiser's line search steps back from.

use super::{cartesian_grid, check_finite, linear_to_log, Features, Law, ParamSpec, Space, Transform};
use crate::error::{CoreError, Result};

pub struct M4;

const PARAMS: [ParamSpec; 5] = [
    ParamSpec { name: "eps_inf", transform: Transform::Identity, lower: 0.0, upper: 10.0 },
    ParamSpec { name: "eps_0", transform: Transform::Identity, lower: 0.0, upper: 30.0 },
    ParamSpec { name: "alpha", transform: Transform::Identity, lower: 0.0, upper: 5.0 },
    ParamSpec { name: "beta", transform: Transform::Log, lower: -30.0, upper: 30.0 },
    ParamSpec { name: "c", transform: Transform::Identity, lower: -3.0, upper: 0.0 },
];

#[inline]
fn softplus(u: f64) -> f64 {
    u.max(0.0) + (-u.abs()).exp().ln_1p()
}

#[inline]
fn sigmoid(u: f64) -> f64 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// The z with -softplus(-z) + alpha softplus(z) = q (alpha > 0).
fn solve_logit(q: f64, alpha: f64) -> f64 {
    let h = |z: f64| -softplus(-z) + alpha * softplus(z) - q;
    // h(z) ~ z as z -> -inf and ~ alpha z as z -> inf: start there and bracket by doubling.
    let mut z = if q < 0.0 { q } else { q / alpha };
    let (mut lo, mut hi) = (z - 1.0, z + 1.0);
    let mut step = 1.0;
    while h(lo) > 0.0 && lo.is_finite() {
        step *= 2.0;
        lo -= step;
    }
    step = 1.0;
    while h(hi) < 0.0 && hi.is_finite() {
        step *= 2.0;
        hi += step;
    }
    for _ in 0..200 {
        let v = h(z);
        if v == 0.0 {
            break;
        }
        if v > 0.0 {
            hi = z;
        } else {
            lo = z;
        }
        let slope = sigmoid(-z) + alpha * sigmoid(z);
        let mut next = z - v / slope;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        let done = (next - z).abs() <= 1e-15 * (1.0 + z.abs());
        z = next;
        if done || hi - lo <= 1e-15 * (1.0 + z.abs()) {
            break;
        }
    }
    z
}

impl Law for M4 {
    fn name(&self) -> &'static str {
        "m4"
    }
    fn check_params(&self, theta: &[f64]) -> Result<()> {
        check_finite(&PARAMS, theta)?;
        let (eps_inf, eps_0, alpha) = (theta[0], theta[1], theta[2]);
        if eps_0 <= eps_inf {
            return Err(CoreError::invalid("params", format!("eps_0 ({eps_0}) must exceed eps_inf ({eps_inf})")));
        }
        if alpha < 0.0 {
            return Err(CoreError::invalid("params", format!("alpha must be non-negative, got {alpha}")));
        }
        Ok(())
    }
    fn params(&self) -> &[ParamSpec] {
        &PARAMS
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["x"]
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
        let (eps_inf, eps_0, alpha, ln_beta, c) = (theta[0], theta[1], theta[2], theta[3], theta[4]);
        let ln_x = &feats.cols[0][start..end];
        let len = end - start;
        let width = eps_0 - eps_inf;
        let valid = width > 0.0 && alpha >= 0.0 && width.is_finite();
        for i in 0..len {
            if !valid {
                pred[i] = f64::NAN;
                if let Some(jac) = jac.as_deref_mut() {
                    (0..5).for_each(|j| jac[j * len + i] = f64::NAN);
                }
                continue;
            }
            if alpha == 0.0 {
                let t = (ln_beta + c * ln_x[i]).exp();
                pred[i] = eps_inf + t;
                if let Some(jac) = jac.as_deref_mut() {
                    let g = [1.0, 0.0, t * (width - t).abs().ln(), t, t * ln_x[i]];
                    (0..5).for_each(|j| jac[j * len + i] = g[j]);
                }
                continue;
            }
            let q = ln_beta + c * ln_x[i] + (alpha - 1.0) * width.ln();
            let z = solve_logit(q, alpha);
            // above = eps - eps_inf, below = eps_0 - eps, both without cancellation
            let (above, below) = (width * sigmoid(z), width * sigmoid(-z));
            pred[i] = eps_inf + above;
            if let Some(jac) = jac.as_deref_mut() {
                let f_eps = 1.0 / above + alpha / below;
                // d eps / d theta = -F_theta / F_eps
                let f_theta = [-1.0 / above, -alpha / below, -below.ln(), -1.0, -ln_x[i]];
                (0..5).for_each(|j| jac[j * len + i] = -f_theta[j] / f_eps);
            }
        }
        if space == Space::Log {
            linear_to_log(pred, jac);
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        let eps_inf = [0.0, 0.5, 1.0, 2.0];
        let eps_0 = [1.0, 2.0, 5.0, 10.0, 20.0];
        let alpha = [0.25, 0.5, 1.0, 2.0];
        let ln_beta = [-10.0, -5.0, 0.0, 5.0, 10.0, 15.0];
        let c = [-0.1, -0.3, -0.6, -1.0];
        cartesian_grid(&[&eps_inf, &eps_0, &alpha, &ln_beta, &c])
    }
}
