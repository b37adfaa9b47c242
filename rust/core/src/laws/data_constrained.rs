//! Data-constrained scaling (Muennighoff et al. 2023): chinchilla in effective parameters N' and
//! effective data D', whose value decays with repetition:
//!
//! D' = U_D (1 + R_D* (1 - exp(-R_D / R_D*))), R_D = D / U_D - 1,
//! N' = U_N (1 + R_N* (1 - exp(-R_N / R_N*))), U_N = min(N, N_opt(U_D)), R_N = N / U_N - 1,
//! L = E + A / N'^alpha + B / D'^beta,
//!
//! where N_opt(U_D) = G (U_D G)^(beta/alpha), G = (alpha A / (beta B))^(1/(alpha+beta)), is the
//! parameter count the fitted chinchilla law would pair with U_D tokens (the authors' `D_to_N`).
//! U_D is min(U, D): fewer total tokens than unique tokens means no repetition (the authors' own
//! allocation search does the same). N_opt depends on A, B, alpha and beta, so when it caps U_N the
//! Jacobian carries those paths too.

use super::{cartesian_grid, Columns, Features, Law, ParamSpec, Space, Transform};
use crate::error::Result;

pub struct DataConstrained;

const PARAMS: [ParamSpec; 7] = [
    ParamSpec { name: "E", transform: Transform::Log, lower: -10.0, upper: 10.0 },
    ParamSpec { name: "A", transform: Transform::Log, lower: -10.0, upper: 60.0 },
    ParamSpec { name: "B", transform: Transform::Log, lower: -10.0, upper: 60.0 },
    ParamSpec { name: "alpha", transform: Transform::Identity, lower: 0.0, upper: 5.0 },
    ParamSpec { name: "beta", transform: Transform::Identity, lower: 0.0, upper: 5.0 },
    ParamSpec { name: "R_N_star", transform: Transform::Log, lower: -5.0, upper: 10.0 },
    ParamSpec { name: "R_D_star", transform: Transform::Log, lower: -5.0, upper: 10.0 },
];

/// ln(U (1 + R* (1 - exp(-R / R*)))) with R = exp(ln_total - ln_unique) - 1, and its derivatives with
/// respect to ln_unique (total fixed) and ln R*.
#[inline]
fn effective(ln_total: f64, ln_unique: f64, r_star: f64) -> (f64, f64, f64) {
    let ratio = (ln_total - ln_unique).exp();
    let r = (ratio - 1.0).max(0.0);
    let decay = (-r / r_star).exp();
    let kept = -(-r / r_star).exp_m1(); // 1 - exp(-R/R*), accurate for small R
    let f = 1.0 + r_star * kept;
    let ln_eff = ln_unique + f.ln();
    // dR/d ln U = -ratio; df/dR = exp(-R/R*)
    let d_ln_unique = 1.0 - decay * ratio / f;
    // df/dR* = kept - (R/R*) exp(-R/R*); chain rule through ln R*
    let d_ln_r_star = r_star * (kept - (r / r_star) * decay) / f;
    (ln_eff, d_ln_unique, d_ln_r_star)
}

impl Law for DataConstrained {
    fn name(&self) -> &'static str {
        "data_constrained"
    }
    fn params(&self) -> &[ParamSpec] {
        &PARAMS
    }
    fn inputs(&self) -> &'static [&'static str] {
        &["N", "D", "U"]
    }
    fn features(&self, cols: &Columns) -> Result<Features> {
        let mut out = super::log_columns(cols, &["N", "D", "U"], self.name())?;
        // U_D = min(U, D)
        let ln_u: Vec<f64> = out[2].iter().zip(&out[1]).map(|(u, d)| u.min(*d)).collect();
        out[2] = ln_u;
        let n_rows = out[0].len();
        Ok(Features { cols: out, n_rows })
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
        let (e, a, b, alpha, beta) = (theta[0], theta[1], theta[2], theta[3], theta[4]);
        let (r_n_star, r_d_star) = (theta[5].exp(), theta[6].exp());
        let ln_n = &feats.cols[0][start..end];
        let ln_d = &feats.cols[1][start..end];
        let ln_u = &feats.cols[2][start..end];
        let len = end - start;
        // ln N_opt(U) = (ln alpha - ln beta + a - b) / alpha + (beta / alpha) ln U
        let k = alpha.ln() - beta.ln() + a - b;
        let big_e = e.exp();
        for i in 0..len {
            let ln_nopt = k / alpha + (beta / alpha) * ln_u[i];
            let capped = ln_nopt < ln_n[i];
            let (ln_np, g_u, g_rn) = if capped { effective(ln_n[i], ln_nopt, r_n_star) } else { (ln_n[i], 0.0, 0.0) };
            let (ln_dp, _, g_rd) = effective(ln_d[i], ln_u[i], r_d_star);
            let t_n = (a - alpha * ln_np).exp();
            let t_d = (b - beta * ln_dp).exp();
            let l = big_e + t_n + t_d;
            let scale = match space {
                Space::Log => {
                    pred[i] = l.ln();
                    1.0 / l
                }
                Space::Linear => {
                    pred[i] = l;
                    1.0
                }
            };
            if let Some(jac) = jac.as_deref_mut() {
                // d ln N' / d theta through ln N_opt (zero unless N_opt caps U_N)
                let dnopt_da = 1.0 / alpha;
                let dnopt_dalpha = (1.0 - k - beta * ln_u[i]) / (alpha * alpha);
                let dnopt_dbeta = (ln_u[i] - 1.0 / beta) / alpha;
                jac[i] = scale * big_e;
                jac[len + i] = scale * t_n * (1.0 - alpha * g_u * dnopt_da);
                jac[2 * len + i] = scale * (t_d + t_n * alpha * g_u * dnopt_da);
                jac[3 * len + i] = scale * t_n * (-ln_np - alpha * g_u * dnopt_dalpha);
                jac[4 * len + i] = scale * (-t_d * ln_dp - t_n * alpha * g_u * dnopt_dbeta);
                jac[5 * len + i] = scale * (-t_n * alpha * g_rn);
                jac[6 * len + i] = scale * (-t_d * beta * g_rd);
            }
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        let e = [0.0, 0.5, 1.0];
        let coef = [2.0, 6.0, 10.0];
        let exps = [0.2, 0.4, 0.6];
        let r_star = [2f64.ln(), 10f64.ln(), 40f64.ln()];
        cartesian_grid(&[&e, &coef, &coef, &exps, &exps, &r_star, &r_star])
    }
}
