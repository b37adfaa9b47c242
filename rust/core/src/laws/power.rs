//! L(x) = E + A x^-alpha ("power law plus constant"), in the LSE form log L = LSE(a - alpha ln x, e).

use super::lse::{lse3_block, Lse3};
use super::{cartesian_grid, Features, Law, ParamSpec, Space, Transform};

pub struct Power;

const PARAMS: [ParamSpec; 3] = [
    ParamSpec { name: "E", transform: Transform::Log, lower: -10.0, upper: 10.0 },
    ParamSpec { name: "A", transform: Transform::Log, lower: -10.0, upper: 60.0 },
    ParamSpec { name: "alpha", transform: Transform::Identity, lower: 0.0, upper: 5.0 },
];

impl Law for Power {
    fn name(&self) -> &'static str {
        "power"
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
        jac: Option<&mut [f64]>,
    ) {
        let (e, a, alpha) = (theta[0], theta[1], theta[2]);
        let ln_x = &feats.cols[0][start..end];
        let len = end - start;
        let terms = Lse3 { c1: a, s1: -alpha, x1: ln_x, term2: None, c3: e };
        match jac {
            None => lse3_block(&terms, space, pred, None),
            Some(jac) => {
                let (j_e, rest) = jac.split_at_mut(len);
                let (j_a, j_alpha) = rest.split_at_mut(len);
                let mut unused: [f64; 0] = [];
                lse3_block(&terms, space, pred, Some([j_a, &mut unused, j_e]));
                for i in 0..len {
                    j_alpha[i] = -ln_x[i] * j_a[i];
                }
            }
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        let e = [-1.0, -0.5, 0.0, 0.5, 1.0];
        let a = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0];
        let alpha = [0.0, 0.5, 1.0, 1.5, 2.0];
        cartesian_grid(&[&e, &a, &alpha])
    }
    fn centring(&self) -> &[(usize, usize, usize)] {
        &[(1, 2, 0)]
    }
}
