//! Coordinates whitened by the full-data Hessian for bootstrap refits.
//!
//! z = z_hat + L^-T u with H = L L^T: the A-alpha and B-beta ridges make the raw problem so
//! ill-conditioned (condition numbers 1e6-1e9) that L-BFGS needs ~60 iterations from a warm start,
//! while in whitened coordinates the objective is locally a unit quadratic and its steepest-descent
//! direction is the full data's Newton direction.

use crate::fit::Fitter;

/// z = z_hat + P u with P = L^-T (H = L L^T the full-data Hessian), and u = L^T (z - z_hat).
#[derive(Debug, Clone, Default)]
pub struct Whitening {
    pub(super) z_hat: Vec<f64>,
    /// L, lower triangular, row-major (k x k); empty when H is not positive definite (no whitening).
    pub(super) l: Vec<f64>,
}

impl Whitening {
    /// From the full-data Hessian of `fitter`'s problem at `theta_hat`. Falls back to the identity
    /// when the Hessian is not positive definite (e.g. a kink of the Huber loss at the optimum).
    pub fn new(fitter: &Fitter, theta_hat: &[f64]) -> Whitening {
        let z_hat = fitter.map.reduce(theta_hat);
        let k = z_hat.len();
        let h = fitter.hessian(&z_hat);
        let l = cholesky(&h, k).unwrap_or_default();
        Whitening { z_hat, l }
    }

    /// From the full-data Hessian `h` (row-major, plain free coordinates) at free coordinates `z_hat`,
    /// e.g. the one the fit computed (`Fit::plain_hessian`). Identity when not positive definite.
    pub fn from_hessian(z_hat: Vec<f64>, h: &[f64]) -> Whitening {
        let l = cholesky(h, z_hat.len()).unwrap_or_default();
        Whitening { z_hat, l }
    }

    /// Coordinates v = u / scale (no change for a zero or non-finite scale, or without whitening).
    pub(super) fn scaled(&self, scale: f64) -> Whitening {
        if self.l.is_empty() || !(scale.is_finite() && scale > 0.0) {
            return self.clone();
        }
        Whitening { z_hat: self.z_hat.clone(), l: self.l.iter().map(|v| v / scale).collect() }
    }

    pub(super) fn k(&self) -> usize {
        self.z_hat.len()
    }

    /// z from u: solve L^T (z - z_hat) = u by back substitution.
    pub(super) fn to_z(&self, u: &[f64], z: &mut [f64]) {
        let k = self.k();
        if self.l.is_empty() {
            z.copy_from_slice(u);
            return;
        }
        for i in (0..k).rev() {
            let v: f64 = u[i] - (i + 1..k).map(|j| self.l[j * k + i] * (z[j] - self.z_hat[j])).sum::<f64>();
            z[i] = self.z_hat[i] + v / self.l[i * k + i];
        }
    }

    /// u from z: u = L^T (z - z_hat).
    pub(super) fn to_u(&self, z: &[f64]) -> Vec<f64> {
        let k = self.k();
        if self.l.is_empty() {
            return z.to_vec();
        }
        (0..k).map(|i| (i..k).map(|j| self.l[j * k + i] * (z[j] - self.z_hat[j])).sum()).collect()
    }

    /// Gradient in u from the gradient in z: g_u = P^T g_z = L^-1 g_z (forward substitution).
    pub(super) fn pull(&self, g_z: &[f64], g_u: &mut [f64]) {
        let k = self.k();
        if self.l.is_empty() {
            g_u.copy_from_slice(g_z);
            return;
        }
        for i in 0..k {
            let v: f64 = g_z[i] - (0..i).map(|j| self.l[i * k + j] * g_u[j]).sum::<f64>();
            g_u[i] = v / self.l[i * k + i];
        }
    }
}

/// Cholesky factor (lower, row-major) of a symmetric k x k matrix, or None if not positive definite.
pub(super) fn cholesky(h: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = h[i * k + j] - (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum::<f64>();
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitening_round_trips_and_follows_the_chain_rule() {
        let h = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let w = Whitening { z_hat: vec![1.0, -2.0, 0.5], l: cholesky(&h, 3).unwrap() }.scaled(0.3);
        let z = [0.3, 0.7, -1.1];
        let mut back = [0.0; 3];
        w.to_z(&w.to_u(&z), &mut back);
        assert!(back.iter().zip(&z).all(|(a, b)| (a - b).abs() < 1e-12));
        // f(z) = c . z has gradient c in z; in u, f(z(u)) is linear with gradient P^T c.
        let c = [1.0, -2.0, 0.5];
        let mut g_u = [0.0; 3];
        w.pull(&c, &mut g_u);
        let f = |u: &[f64]| {
            let mut zz = [0.0; 3];
            w.to_z(u, &mut zz);
            zz.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>()
        };
        let u0 = w.to_u(&z);
        for j in 0..3 {
            let mut up = u0.clone();
            up[j] += 1e-6;
            assert!(((f(&up) - f(&u0)) / 1e-6 - g_u[j]).abs() < 1e-6);
        }
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
