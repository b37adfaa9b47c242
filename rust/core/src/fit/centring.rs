//! The optimiser's coordinates and the curvature there.
//!
//! Each coefficient of a term `theta[coef] - theta[exponent] * feature` is moved as
//! `theta[coef] - theta[exponent] * mean(feature)` (`Law::centring`): a linear change of coordinates
//! that moves no optimum but removes the near-perfect correlation of a coefficient with its exponent
//! (the A-alpha and B-beta ridges), so most of the objective's ill-conditioning. The Hessian at the
//! optimum is taken by central differences of the analytic gradient in these coordinates and can be
//! mapped back to the plain free coordinates (the bootstrap whitens its refits with it).

use super::Fitter;

/// The law's centring (see `Law::centring`) for this data set: (coef, exponent, mean of the feature).
/// It is a linear change of coordinates, so it moves no optimum; only the optimiser's path changes.
/// A coefficient that is fixed or tied keeps its own coordinate.
#[derive(Clone)]
pub(super) struct Shear(Vec<(usize, usize, f64)>);

impl Shear {
    /// Law coordinates to the optimiser's.
    pub(super) fn forward(&self, theta: &[f64]) -> Vec<f64> {
        let mut t = theta.to_vec();
        for &(c, e, m) in &self.0 {
            t[c] -= m * theta[e];
        }
        t
    }
    /// The optimiser's coordinates to the law's, in place.
    pub(super) fn back(&self, t: &mut [f64]) {
        for &(c, e, m) in &self.0 {
            t[c] += m * t[e];
        }
    }
    /// This centring without the terms whose coefficient `drop` names: a joint fit's shared
    /// coefficient is one value for several data sets, each with its own feature mean.
    pub(super) fn without(self, drop: impl Fn(usize) -> bool) -> Shear {
        Shear(self.0.into_iter().filter(|&(c, _, _)| !drop(c)).collect())
    }
    /// A gradient in law coordinates to the optimiser's, in place.
    pub(super) fn pull(&self, g: &mut [f64]) {
        for &(c, e, m) in &self.0 {
            g[e] += m * g[c];
        }
    }
}

impl Fitter<'_, '_> {
    pub(super) fn shear(&self) -> Shear {
        let law = self.problem.law;
        Shear(
            law.centring()
                .iter()
                .filter(|&&(c, _, _)| self.map.is_plain(c))
                .map(|&(c, e, col)| (c, e, self.problem.feature_mean(col)))
                .collect(),
        )
    }

    /// `FitOutcome::hessian` (the optimiser's centred coordinates) in the plain free coordinates
    /// `map.reduce(theta)`: the centring is linear, z_centred = S z_plain, so H_plain = S^T H S. The
    /// bootstrap whitens its refits with it instead of differencing the gradient again.
    pub fn plain_hessian(&self, h: &[f64]) -> Vec<f64> {
        let k = self.map.n_free();
        let mut s = vec![0.0; k * k];
        (0..k).for_each(|i| s[i * k + i] = 1.0);
        for &(c, e, m) in &self.shear().0 {
            if let (Some(zc), Some(ze)) = (self.map.free_slot(c), self.map.free_slot(e)) {
                s[zc * k + ze] -= m;
            }
        }
        let mut hs = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                hs[i * k + j] = (0..k).map(|l| h[i * k + l] * s[l * k + j]).sum();
            }
        }
        let mut out = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                out[i * k + j] = (0..k).map(|l| s[l * k + i] * hs[l * k + j]).sum();
            }
        }
        out
    }

    /// Hessian of the objective in the plain free coordinates (`map.reduce(theta)`, no centring), by
    /// central differences of the analytic gradient.
    pub fn hessian(&self, z: &[f64]) -> Vec<f64> {
        self.hessian_in(z, &Shear(Vec::new()))
    }

    /// Central differences of the analytic gradient in the optimiser's free coordinates, symmetrised.
    pub(super) fn hessian_in(&self, z: &[f64], shear: &Shear) -> Vec<f64> {
        let k = z.len();
        let mut fg = self.objective_in_z(self.problem, shear);
        let mut grad_at = |z: &[f64]| {
            let mut g = vec![0.0; k];
            fg(z, &mut g);
            g
        };
        let mut h = vec![0.0; k * k];
        for j in 0..k {
            let step = 1e-5 * z[j].abs().max(1.0);
            let mut zp = z.to_vec();
            let mut zm = z.to_vec();
            zp[j] += step;
            zm[j] -= step;
            let (gp, gm) = (grad_at(&zp), grad_at(&zm));
            for i in 0..k {
                h[i * k + j] = (gp[i] - gm[i]) / (2.0 * step);
            }
        }
        for i in 0..k {
            for j in 0..i {
                let m = 0.5 * (h[i * k + j] + h[j * k + i]);
                h[i * k + j] = m;
                h[j * k + i] = m;
            }
        }
        h
    }
}
