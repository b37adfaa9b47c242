//! L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, approach 3), in the LSE form
//! log L = LSE(a - alpha ln N, b - beta ln D, e) with A = e^a, B = e^b, E = e^e.

use super::lse::{lse3_block, Lse3};
use super::{cartesian_grid, Features, Law, ParamSpec, Space, Transform};

pub struct Chinchilla;

const PARAMS: [ParamSpec; 5] = [
    ParamSpec { name: "E", transform: Transform::Log, lower: -10.0, upper: 10.0 },
    ParamSpec { name: "A", transform: Transform::Log, lower: -10.0, upper: 60.0 },
    ParamSpec { name: "B", transform: Transform::Log, lower: -10.0, upper: 60.0 },
    ParamSpec { name: "alpha", transform: Transform::Identity, lower: 0.0, upper: 5.0 },
    ParamSpec { name: "beta", transform: Transform::Identity, lower: 0.0, upper: 5.0 },
];

/// Hoffmann et al.'s 4500-start grid (docs/methods.md section 2), in internal coordinates (e, a, b, alpha, beta).
pub fn hoffmann_grid() -> Vec<Vec<f64>> {
    let e = [-1.0, -0.5, 0.0, 0.5, 1.0];
    let ab = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0];
    let exps = [0.0, 0.5, 1.0, 1.5, 2.0];
    cartesian_grid(&[&e, &ab, &ab, &exps, &exps])
}

impl Law for Chinchilla {
    fn name(&self) -> &'static str {
        "chinchilla"
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
        jac: Option<&mut [f64]>,
    ) {
        let (e, a, b, alpha, beta) = (theta[0], theta[1], theta[2], theta[3], theta[4]);
        let ln_n = &feats.cols[0][start..end];
        let ln_d = &feats.cols[1][start..end];
        let len = end - start;
        let terms = Lse3 { c1: a, s1: -alpha, x1: ln_n, term2: Some((b, -beta, ln_d)), c3: e };
        match jac {
            None => lse3_block(&terms, space, pred, None),
            Some(jac) => {
                let (j_e, rest) = jac.split_at_mut(len);
                let (j_a, rest) = rest.split_at_mut(len);
                let (j_b, rest) = rest.split_at_mut(len);
                let (j_alpha, j_beta) = rest.split_at_mut(len);
                lse3_block(&terms, space, pred, Some([j_a, j_b, j_e]));
                for i in 0..len {
                    j_alpha[i] = -ln_n[i] * j_a[i];
                    j_beta[i] = -ln_d[i] * j_b[i];
                }
            }
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        hoffmann_grid()
    }
    fn centring(&self) -> &[(usize, usize, usize)] {
        &[(1, 3, 0), (2, 4, 1)]
    }
    fn chinchilla_form(&self) -> Option<[usize; 5]> {
        Some([0, 1, 2, 3, 4])
    }
}
