//! The density on a tensor grid (one ascending axis per dimension, values in row-major order), the query
//! behind `KDE.grid` and KDEpy's FFTKDE. Unless the method is `exact`, a compact kernel in 1-D on an
//! equispaced axis takes the difference-array sum of `grid_1d`, and every kernel in 2-D the row-block
//! scatter of `grid_2d`: exact sums (the unbounded kernels' far terms dropped below the tolerance) at a
//! small fraction of the pointwise cost. A 1-D Gaussian that `density` would bin is binned on the grid
//! itself (`grid_1d_gauss`). Everywhere else the grid points go through `density`.

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::estimator::{Estimator, Method};
use crate::kde::kernels::Kernel;
use crate::kde::{grid_1d, grid_1d_gauss, grid_2d};

/// Largest number of grid points one call evaluates.
const MAX_POINTS: usize = 1 << 28;

impl Estimator {
    /// Density at every point of the tensor grid of `axes`, index (i_1, ..., i_d) at
    /// sum_k i_k prod_{l > k} len_l (NumPy's `meshgrid(..., indexing="ij")` raveled).
    pub fn tensor_grid(&self, axes: &[&[f64]], control: &Control) -> Result<Vec<f64>> {
        let d = self.d();
        if axes.len() != d {
            return Err(CoreError::invalid("grid", format!("needs one axis per dimension ({d}), got {}", axes.len())));
        }
        let mut total = 1usize;
        for g in axes {
            if g.is_empty() || g.iter().any(|v| !v.is_finite()) || g.windows(2).any(|p| p[0] > p[1]) {
                return Err(CoreError::invalid("grid", "each axis must be non-empty, finite and ascending"));
            }
            total = total
                .checked_mul(g.len())
                .filter(|&t| t <= MAX_POINTS)
                .ok_or_else(|| CoreError::invalid("grid", format!("has more than {MAX_POINTS} points")))?;
        }
        // A bounded estimate adds its mirror images in `density`; the grid sums here know only the sample.
        if self.method() != Method::Exact && self.reflection().is_none() {
            let (x, w, kernel) = (self.samples(), self.normalised_weights(), self.kernel());
            if d == 1 && grid_1d::supports(kernel) && grid_1d::is_equispaced(axes[0]) {
                return grid_1d::compact_grid(x, w, self.h(), kernel, axes[0], control);
            }
            // Where `density` would bin (a large Gaussian problem), bin on the grid itself instead.
            if d == 1 && kernel == Kernel::Gaussian && self.use_binned(axes[0].len()) && grid_1d::is_equispaced(axes[0])
            {
                let binned = grid_1d_gauss::gaussian_grid(x, w, self.h(), axes[0], self.tolerance(), control)?;
                if let Some(values) = binned {
                    return Ok(values);
                }
            }
            if d == 2 {
                let tol = self.tolerance();
                return grid_2d::tensor_grid_2d(x, w, self.chol(), kernel, axes[0], axes[1], tol, control);
            }
        }
        let mut points = Vec::with_capacity(total * d);
        let mut index = vec![0usize; d];
        for _ in 0..total {
            points.extend(index.iter().zip(axes).map(|(&i, g)| g[i]));
            for k in (0..d).rev() {
                index[k] += 1;
                if index[k] < axes[k].len() {
                    break;
                }
                index[k] = 0;
            }
        }
        self.density(&points, false, control)
    }
}
