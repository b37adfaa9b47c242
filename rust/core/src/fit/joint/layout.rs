//! The joint parameter vector and the joint objective.
//!
//! Each group has the law's own free coordinates (`ParamMap`: fixed and tied parameters as in a
//! single fit). A coordinate is either *shared* (one value for every group) or the group's *own*; the
//! joint vector is the shared coordinates followed by every group's own ones:
//! `[shared | own of group 0 | own of group 1 | ...]`. The objective is the sum of the groups'
//! objectives, each evaluated by the law's own `Problem` (its kernel, its analytic gradient, the
//! objective's loss per run), so a joint fit has no second copy of any law. The gradient of a shared
//! coordinate is the sum of the groups' gradients there.
//!
//! Each group keeps the centring of a single fit (a coefficient moved along its exponent by the group's
//! own feature mean, `centring`), except for shared coefficients, which have one value for all groups.

use super::super::centring::Shear;
use super::super::{Fitter, LbfgsOptions, ParamMap, Problem};
use crate::error::{CoreError, Result};

/// Which free coordinates are shared, and where each group's coordinates sit in the joint vector.
#[derive(Debug, Clone)]
pub struct Layout {
    pub map: ParamMap,
    /// Free coordinates shared by all groups, in coordinate order.
    pub shared: Vec<usize>,
    /// Free coordinates each group has its own copy of, in coordinate order.
    pub own: Vec<usize>,
    pub n_groups: usize,
}

impl Layout {
    /// `shared`: parameter indices common to all groups. A fixed parameter is common to all groups
    /// already (naming it shared changes nothing); parameters tied together must be all shared or none.
    pub fn new(names: &[&str], map: ParamMap, shared: &[usize], n_groups: usize) -> Result<Layout> {
        let k = names.len();
        let mut is_shared = vec![false; map.n_free()];
        for &p in shared {
            if p >= k {
                return Err(CoreError::invalid("shared", format!("no parameter {p}; the law has {k}")));
            }
            if let Some(z) = map.free_slot(p) {
                is_shared[z] = true;
            }
        }
        for (p, name) in names.iter().enumerate() {
            if let Some(z) = map.free_slot(p) {
                if is_shared[z] != shared.contains(&p) {
                    let other = if is_shared[z] { "shared" } else { "not shared" };
                    return Err(CoreError::invalid(
                        "shared",
                        format!("{name} is tied to a parameter that is {other}: share both or neither"),
                    ));
                }
            }
        }
        let shared: Vec<usize> = (0..map.n_free()).filter(|&z| is_shared[z]).collect();
        let own: Vec<usize> = (0..map.n_free()).filter(|&z| !is_shared[z]).collect();
        Ok(Layout { map, shared, own, n_groups })
    }

    pub fn n_joint(&self) -> usize {
        self.shared.len() + self.n_groups * self.own.len()
    }

    /// Group `g`'s free coordinates from the joint vector `u`.
    pub fn group_z(&self, u: &[f64], g: usize, z: &mut [f64]) {
        for (i, &c) in self.shared.iter().enumerate() {
            z[c] = u[i];
        }
        let base = self.shared.len() + g * self.own.len();
        for (i, &c) in self.own.iter().enumerate() {
            z[c] = u[base + i];
        }
    }

    /// Add group `g`'s gradient in its free coordinates to the joint gradient.
    fn add_group_grad(&self, g: usize, g_z: &[f64], g_u: &mut [f64]) {
        for (i, &c) in self.shared.iter().enumerate() {
            g_u[i] += g_z[c];
        }
        let base = self.shared.len() + g * self.own.len();
        for (i, &c) in self.own.iter().enumerate() {
            g_u[base + i] = g_z[c];
        }
    }
}

/// The joint objective over the groups' problems.
pub struct JointProblem<'a> {
    pub problems: Vec<Problem<'a>>,
    pub layout: Layout,
    shears: Vec<Shear>,
}

impl<'a> JointProblem<'a> {
    pub fn new(problems: Vec<Problem<'a>>, layout: Layout, shared_params: &[usize]) -> JointProblem<'a> {
        let shears = problems
            .iter()
            .map(|p| {
                let fitter = Fitter { problem: p, map: layout.map.clone(), lbfgs: LbfgsOptions::default() };
                fitter.shear().without(|c| shared_params.contains(&c))
            })
            .collect();
        JointProblem { problems, layout, shears }
    }

    /// The joint problem in the plain coordinates (no centring): the joint vector is the shared
    /// parameters' internal values and each group's own, as a reference implementation writes them.
    pub fn plain(problems: Vec<Problem<'a>>, layout: Layout) -> JointProblem<'a> {
        let shears = problems
            .iter()
            .map(|p| {
                Fitter { problem: p, map: layout.map.clone(), lbfgs: LbfgsOptions::default() }.shear().without(|_| true)
            })
            .collect();
        JointProblem { problems, layout, shears }
    }

    /// The same joint problem with each group's runs reweighted (a bootstrap replicate); the centring
    /// depends on the features only, so it is kept.
    pub fn reweighted(&self, weights: Vec<Option<std::sync::Arc<Vec<f64>>>>) -> JointProblem<'a> {
        let problems = self.problems.iter().zip(weights).map(|(p, w)| p.with_weights(w)).collect();
        let shears = self.shears.clone();
        JointProblem { problems, layout: self.layout.clone(), shears }
    }

    /// Every group's law parameters (internal coordinates) at the joint optimiser point `u`.
    pub fn thetas(&self, u: &[f64]) -> Vec<Vec<f64>> {
        let (k, n_free) = (self.layout.map.n_full(), self.layout.map.n_free());
        let mut z = vec![0.0; n_free];
        (0..self.layout.n_groups)
            .map(|g| {
                let mut theta = vec![0.0; k];
                self.layout.group_z(u, g, &mut z);
                self.layout.map.expand(&z, &mut theta);
                self.shears[g].back(&mut theta);
                theta
            })
            .collect()
    }

    /// The joint optimiser point of per-group law parameters whose shared parameters agree (the shared
    /// coordinates are read from group 0).
    pub fn to_u(&self, thetas: &[Vec<f64>]) -> Vec<f64> {
        let l = &self.layout;
        let mut u = vec![0.0; l.n_joint()];
        for (g, theta) in thetas.iter().enumerate() {
            let z = l.map.reduce(&self.shears[g].forward(theta));
            if g == 0 {
                for (i, &c) in l.shared.iter().enumerate() {
                    u[i] = z[c];
                }
            }
            let base = l.shared.len() + g * l.own.len();
            for (i, &c) in l.own.iter().enumerate() {
                u[base + i] = z[c];
            }
        }
        u
    }

    /// Each group's objective at `u`.
    pub fn group_values(&self, u: &[f64]) -> Vec<f64> {
        self.thetas(u).iter().zip(&self.problems).map(|(t, p)| p.value(t)).collect()
    }

    /// The joint objective and its gradient in the optimiser's coordinates (groups in order, so the sum
    /// is the same whatever the thread count).
    pub fn value_grad(&self, u: &[f64], g_u: &mut [f64]) -> f64 {
        let l = &self.layout;
        let (k, n_free) = (l.map.n_full(), l.map.n_free());
        let (mut z, mut theta, mut g_theta, mut g_z) =
            (vec![0.0; n_free], vec![0.0; k], vec![0.0; k], vec![0.0; n_free]);
        g_u.iter_mut().for_each(|v| *v = 0.0);
        let mut total = 0.0;
        for (g, problem) in self.problems.iter().enumerate() {
            l.group_z(u, g, &mut z);
            l.map.expand(&z, &mut theta);
            self.shears[g].back(&mut theta);
            total += problem.value_grad(&theta, &mut g_theta);
            self.shears[g].pull(&mut g_theta);
            l.map.pull_grad(&g_theta, &mut g_z);
            l.add_group_grad(g, &g_z, g_u);
        }
        total
    }

    /// Residuals of every run, group after group.
    pub fn residuals(&self, u: &[f64]) -> Vec<f64> {
        self.thetas(u).iter().zip(&self.problems).flat_map(|(t, p)| p.residuals(t)).collect()
    }
}
