//! Broken neural scaling law (Caballero et al. 2022) with n breaks:
//! y = a + b x^-c0 prod_i (1 + (x / d_i)^(1/f_i))^(-c_i f_i).
//!
//! a, b, d_i and f_i are positive and optimised as logarithms; c0 and c_i as they are. With
//! u_i = (ln x - ln d_i) / f_i the varying term is exp(T), T = ln b - c0 ln x - sum_i c_i f_i softplus(u_i),
//! and y = exp(LSE(ln a, T)), evaluated with the max shifted out so that no term overflows.

use super::{cartesian_grid, Features, Law, ParamSpec, Space, Transform};

/// The most breaks a law in the registry has (parameter names are static).
pub const MAX_BREAKS: usize = 3;

const fn spec(name: &'static str, transform: Transform, lower: f64, upper: f64) -> ParamSpec {
    ParamSpec { name, transform, lower, upper }
}

const PARAMS: [ParamSpec; 3 + 3 * MAX_BREAKS] = [
    spec("a", Transform::Log, -10.0, 10.0),
    spec("b", Transform::Log, -10.0, 30.0),
    spec("c0", Transform::Identity, -1.0, 3.0),
    spec("c1", Transform::Identity, -1.0, 5.0),
    spec("d1", Transform::Log, -10.0, 60.0),
    spec("f1", Transform::Log, -5.0, 5.0),
    spec("c2", Transform::Identity, -1.0, 5.0),
    spec("d2", Transform::Log, -10.0, 60.0),
    spec("f2", Transform::Log, -5.0, 5.0),
    spec("c3", Transform::Identity, -1.0, 5.0),
    spec("d3", Transform::Log, -10.0, 60.0),
    spec("f3", Transform::Log, -5.0, 5.0),
];

pub struct Bnsl {
    breaks: usize,
}

impl Bnsl {
    /// A law with `breaks` breaks, 1 to MAX_BREAKS (clamped).
    pub fn new(breaks: usize) -> Self {
        Bnsl { breaks: breaks.clamp(1, MAX_BREAKS) }
    }
}

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

impl Law for Bnsl {
    fn name(&self) -> &'static str {
        match self.breaks {
            1 => "bnsl",
            2 => "bnsl2",
            _ => "bnsl3",
        }
    }
    fn params(&self) -> &[ParamSpec] {
        &PARAMS[..3 + 3 * self.breaks]
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
        let (ln_a, ln_b, c0) = (theta[0], theta[1], theta[2]);
        let ln_x = &feats.cols[0][start..end];
        let len = end - start;
        let nb = self.breaks;
        for i in 0..len {
            let mut t = ln_b - c0 * ln_x[i];
            for k in 0..nb {
                let (c, ln_d, f) = (theta[3 + 3 * k], theta[4 + 3 * k], theta[5 + 3 * k].exp());
                t -= c * f * softplus((ln_x[i] - ln_d) / f);
            }
            let m = ln_a.max(t);
            let (ea, et) = ((ln_a - m).exp(), (t - m).exp());
            let s = ea + et;
            // (dy/d ln a, dy/dT) in the requested space
            let (wa, wt) = match space {
                Space::Log => {
                    pred[i] = m + s.ln();
                    (ea / s, et / s)
                }
                Space::Linear => {
                    let scale = m.exp();
                    pred[i] = scale * s;
                    (ea * scale, et * scale)
                }
            };
            if let Some(jac) = jac.as_deref_mut() {
                jac[i] = wa;
                jac[len + i] = wt;
                jac[2 * len + i] = -ln_x[i] * wt;
                for k in 0..nb {
                    let (c, ln_d, f) = (theta[3 + 3 * k], theta[4 + 3 * k], theta[5 + 3 * k].exp());
                    let u = (ln_x[i] - ln_d) / f;
                    let (sp, sg) = (softplus(u), sigmoid(u));
                    jac[(3 + 3 * k) * len + i] = -f * sp * wt;
                    jac[(4 + 3 * k) * len + i] = c * sg * wt;
                    jac[(5 + 3 * k) * len + i] = f * c * (sg * u - sp) * wt;
                }
            }
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        let ln_a = [-3.0, -1.0, 0.0, 1.0];
        let ln_b = [0.0, 2.0, 5.0];
        let c0 = [0.0, 0.3];
        let c1 = [0.2, 0.5, 1.0];
        let ln_d1 = [2.0, 6.0, 10.0, 14.0, 18.0, 22.0];
        let ln_f1 = [-1.0, 0.0, 1.0];
        // Further breaks get a coarser axis each, so the grid stays in the thousands.
        let c_more = [0.3, 1.0];
        let ln_d_more = [5.0, 12.0, 20.0];
        let ln_f_more = [0.0];
        let mut axes: Vec<&[f64]> = vec![&ln_a, &ln_b, &c0, &c1, &ln_d1, &ln_f1];
        for _ in 1..self.breaks {
            axes.extend_from_slice(&[&c_more, &ln_d_more, &ln_f_more]);
        }
        cartesian_grid(&axes)
    }
}
