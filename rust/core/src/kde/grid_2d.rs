//! 2-D kernel sums on a tensor grid (the grids of KDEpy's FFTKDE and of density plots), any kernel, any
//! bandwidth matrix H = L L^T.
//!
//! The grid's rows (points of the first axis) are processed in fixed blocks. For a block, the samples whose
//! first coordinate lies within the kernel's reach are found by binary search in the sample sorted by that
//! coordinate; each adds its kernel to the grid points of each row inside its support ellipse, an interval
//! of the row found in closed form (|L^-1 (g - x)| <= rho: at z0 = (g0 - x0) / L00 the second coordinate
//! spans L10 z0 +- L11 sqrt(rho^2 - z0^2)). So every term is the exact sum's term and the cost is
//! O(n log n + n * (grid points in a support)), with no binning error. Compact kernels have rho = a and
//! decide their support edge as the exact sum does (`radial::whitened_norm`). For the Gaussian and Laplace
//! kernels rho is where a term falls below e^-cut of the kernel's peak, with cut = ln(1e4 / (m tol)) and
//! m K(0) a lower bound on the density's maximum (`peak_bound`: the largest sample's own term, or the weight of
//! the heaviest cell of two bandwidths times the kernel at its half-diagonal): the density at a grid point
//! above 1e-3 of the maximum is at least 1e-3 m K(0), and the dropped terms add at most e^-cut K(0), so the
//! relative error stays below tol / 10. A Gaussian with a diagonal H is separable: each sample's kernel is
//! the outer product of its factors along the two axes, one multiply-add per term, and the work is split by
//! samples rather than by rows, so that each sample forms its factors once (`grid_2d_gauss`).

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fastmath::exp as fast_exp;
use crate::kde::grid_1d::is_equispaced;
use crate::kde::grid_2d_gauss::separable_sum;
use crate::kde::kernels::Kernel;
use crate::kde::peak_bound::peak_lower_bound;
use crate::kde::radial::{log_norm, whitened_norm};
use crate::parallel::map_blocks;

/// Grid rows per parallel block: fixed, so every value is summed in the same order for any thread count.
const ROWS: usize = 64;

/// An ascending axis and how the points within an interval are found: by arithmetic when it is equispaced
/// (np.linspace's axes), else by binary search.
pub(super) struct Axis<'a> {
    pub(super) g: &'a [f64],
    /// Origin and inverse step of an equispaced axis.
    even: Option<(f64, f64)>,
    /// The step, when the points are equispaced to 1e-12 steps (the Gaussian factors' table).
    pub(super) step: Option<f64>,
}

impl<'a> Axis<'a> {
    pub(super) fn new(g: &'a [f64]) -> Self {
        let m = g.len();
        let even = is_equispaced(g).then(|| (g[0], (m - 1) as f64 / (g[m - 1] - g[0])));
        let step = even
            .map(|(_, inv)| 1.0 / inv)
            .filter(|&step| g.iter().enumerate().all(|(i, &v)| (v - (g[0] + i as f64 * step)).abs() <= 1e-12 * step));
        Axis { g, even, step }
    }

    /// The point of [k0, k1) (non-empty) nearest to c.
    pub(super) fn nearest(&self, k0: usize, k1: usize, c: f64) -> usize {
        if c <= self.g[k0] {
            k0
        } else if c >= self.g[k1 - 1] {
            k1 - 1
        } else {
            let (_, j) = self.span(c, c); // j - 1 is the point at or just above c, within a spare point
            let j = j.clamp(k0 + 1, k1) - 1;
            if j > k0 && (c - self.g[j - 1]).abs() < (self.g[j] - c).abs() {
                j - 1
            } else {
                j
            }
        }
    }

    /// The indices [k0, k1) of the points in [lo, hi]; on an equispaced axis with a point to spare on either
    /// side (rounding must not lose a point; an extra one adds a term the kernel makes 0 or negligible).
    #[inline]
    pub(super) fn span(&self, lo: f64, hi: f64) -> (usize, usize) {
        let n = self.g.len();
        match self.even {
            Some((origin, inv)) => {
                // Clamped so that the casts are in range (NaN casts to 0: an empty span). Truncation after
                // adding 2 is floor (f64::floor is a libm call on baseline x86-64).
                let a = ((lo - origin) * inv).clamp(-2.0, n as f64 + 2.0);
                let b = ((hi - origin) * inv).clamp(-2.0, n as f64 + 2.0);
                let k0 = ((a + 2.0) as usize).saturating_sub(3).min(n);
                (k0, ((b + 2.0) as usize).min(n).max(k0))
            }
            None => (self.g.partition_point(|&v| v < lo), self.g.partition_point(|&v| v <= hi)),
        }
    }
}

/// row[k] += wt k((z0^2 + ((gy[k] - centre) / l11)^2) / a^2) for a radial kernel given as a function of the
/// squared scaled distance: the inner loop of every kernel but the tophat and the cosine.
#[inline(always)]
fn radial_row(
    row: &mut [f64],
    gy: &[f64],
    (centre, inv_l11, z0sq, inv_a2, wt): (f64, f64, f64, f64, f64),
    f: impl Fn(f64) -> f64,
) {
    row.iter_mut().zip(gy).for_each(|(o, &v)| {
        let z1 = (v - centre) * inv_l11;
        *o += wt * f((z0sq + z1 * z1) * inv_a2);
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn radial_row_avx2(row: &mut [f64], gy: &[f64], p: (f64, f64, f64, f64, f64), f: impl Fn(f64) -> f64) {
    radial_row(row, gy, p, f)
}

/// row[k] += wt k(t_k) for every kernel but the tophat (discontinuous: its edge is decided as the exact sum
/// decides it) and the cosine (a libm call): false for those. The shapes are written as functions of the
/// squared scaled distance q = t^2 with selects, so that each loop is vectorised (q > 1 gives 0 for the
/// compact ones, as `Kernel::profile`); one loop is compiled per kernel, with AVX2 where the CPU has it.
fn radial_row_of(kernel: Kernel, avx2: bool, row: &mut [f64], gy: &[f64], p: (f64, f64, f64, f64, f64)) -> bool {
    #[inline(always)]
    fn pos(v: f64) -> f64 {
        if v > 0.0 {
            v
        } else {
            0.0
        }
    }
    #[inline(always)]
    fn go(avx2: bool, row: &mut [f64], gy: &[f64], p: (f64, f64, f64, f64, f64), f: impl Fn(f64) -> f64) {
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: the CPU supports AVX2 (the caller checked), the only requirement of the call.
            return unsafe { radial_row_avx2(row, gy, p, f) };
        }
        let _ = avx2;
        radial_row(row, gy, p, f)
    }
    match kernel {
        Kernel::Gaussian => go(avx2, row, gy, p, |q| fast_exp(-0.5 * q)),
        Kernel::Laplace => go(avx2, row, gy, p, |q: f64| fast_exp(-q.sqrt())),
        Kernel::Epanechnikov => go(avx2, row, gy, p, |q| pos(1.0 - q)),
        Kernel::Biweight => go(avx2, row, gy, p, |q| pos(1.0 - q) * pos(1.0 - q)),
        Kernel::Triweight => go(avx2, row, gy, p, |q| pos(1.0 - q) * pos(1.0 - q) * pos(1.0 - q)),
        Kernel::Tri => go(avx2, row, gy, p, |q: f64| pos(1.0 - q.sqrt())),
        Kernel::Tricube => go(avx2, row, gy, p, |q: f64| {
            let v = pos(1.0 - q * q.sqrt());
            v * v * v
        }),
        Kernel::Tophat | Kernel::Cosine => return false,
    }
    true
}

/// The density of the weighted sample `x` (n x 2 row-major; `w` None: equal weights) at the grid points
/// (gx[i], gy[k]), returned row-major (index i * gy.len() + k). `chol` is H's lower Cholesky factor
/// (row-major); `tol` the relative accuracy of the unbounded kernels' truncation.
#[allow(clippy::too_many_arguments)]
pub fn tensor_grid_2d(
    x: &[f64],
    w: Option<&[f64]>,
    chol: &[f64],
    kernel: Kernel,
    gx: &[f64],
    gy: &[f64],
    tol: f64,
    control: &Control,
) -> Result<Vec<f64>> {
    let n = x.len() / 2;
    if x.len() % 2 != 0 || n == 0 || w.is_some_and(|w| w.len() != n) {
        return Err(CoreError::invalid("samples", "must be an (n, 2) array with one weight per sample"));
    }
    if chol.len() != 4 || !(chol[0] > 0.0 && chol[3] > 0.0) || chol[1] != 0.0 || !chol[2].is_finite() {
        return Err(CoreError::invalid("bandwidth", "needs a 2 x 2 lower Cholesky factor"));
    }
    for (name, g) in [("grid", gx), ("grid", gy)] {
        if g.is_empty() || g.iter().any(|v| !v.is_finite()) || g.windows(2).any(|p| p[0] > p[1]) {
            return Err(CoreError::invalid(name, "axes must be non-empty, finite and ascending"));
        }
    }
    // The sample sorted by (first coordinate, second, weight): a fixed order, whatever the input order.
    let total = w.map_or(n as f64, |w| w.iter().sum());
    let mut pts: Vec<(f64, f64, f64)> =
        (0..n).map(|j| (x[2 * j], x[2 * j + 1], w.map_or(1.0, |w| w[j]))).filter(|p| p.2 > 0.0).collect();
    pts.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
    let a = kernel.scale();
    let (l00, l10, l11) = (chol[0], chol[2], chol[3]);
    let cut = || (1e4 / (peak_lower_bound(&pts, (l00, l10, l11), kernel) * tol)).ln().clamp(1.0, 700.0);
    // Reach in whitened units.
    let rho = match kernel {
        Kernel::Gaussian => (2.0 * cut()).sqrt(),
        Kernel::Laplace => a * cut(),
        _ => a,
    };
    let inv_diag = [1.0 / l00, 1.0 / l11];
    let widen = 1.0 + 1e-12;
    let reach_x = rho * l00 * widen;
    let separable = kernel == Kernel::Gaussian && l10 == 0.0;
    let (inv_a, inv_a2) = (1.0 / a, 1.0 / (a * a));
    let scale = log_norm(kernel, chol, 2).exp() / total;
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::arch::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    let avx2 = false;
    let (ax, ay) = (Axis::new(gx), Axis::new(gy));
    if separable {
        let mut out =
            separable_sum(&pts, (&ax, &ay), (inv_diag[0], inv_diag[1]), (reach_x, rho * l11 * widen), control)?;
        out.iter_mut().for_each(|v| *v *= scale);
        return Ok(out);
    }
    let my = gy.len();
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let blocks = map_blocks(gx.len(), ROWS, |r0, r1| -> Result<Vec<f64>> {
        control.check()?;
        let mut out = vec![0.0f64; (r1 - r0) * my];
        let lo = xs.partition_point(|&v| v < gx[r0] - reach_x);
        let hi = xs.partition_point(|&v| v <= gx[r1 - 1] + reach_x);
        let mut z = [0.0f64; 2];
        for &(x0, x1, wt) in &pts[lo..hi] {
            let (i0, i1) = ax.span(x0 - reach_x, x0 + reach_x);
            let (i0, i1) = (i0.max(r0), i1.min(r1));
            for i in i0..i1 {
                let z0 = (gx[i] - x0) * inv_diag[0];
                let left = rho * rho - z0 * z0;
                if left.is_nan() || left < -1e-12 * rho * rho {
                    continue;
                }
                let centre = x1 + l10 * z0;
                let half = l11 * left.max(0.0).sqrt() * widen + 1e-12 * l11 * rho;
                let (k0, k1) = ay.span(centre - half, centre + half);
                let row = &mut out[(i - r0) * my + k0..(i - r0) * my + k1];
                if radial_row_of(kernel, avx2, row, &gy[k0..k1], (centre, inv_diag[1], z0 * z0, inv_a2, wt)) {
                    continue;
                }
                for (o, &v) in row.iter_mut().zip(&gy[k0..k1]) {
                    let t = whitened_norm(chol, &inv_diag, &[gx[i] - x0, v - x1], &mut z) * inv_a;
                    *o += wt * kernel.profile(t);
                }
            }
        }
        out.iter_mut().for_each(|v| *v *= scale);
        Ok(out)
    });
    Ok(blocks.into_iter().collect::<Result<Vec<_>>>()?.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kde::kernels::KERNEL_NAMES;

    fn brute(x: &[f64], w: &[f64], chol: &[f64], kernel: Kernel, q: [f64; 2]) -> f64 {
        let inv_diag = [1.0 / chol[0], 1.0 / chol[3]];
        let mut z = [0.0; 2];
        let total: f64 = w.iter().sum();
        let s: f64 = x
            .chunks_exact(2)
            .zip(w)
            .map(|(p, wt)| {
                let t = whitened_norm(chol, &inv_diag, &[q[0] - p[0], q[1] - p[1]], &mut z) / kernel.scale();
                wt * kernel.profile(t)
            })
            .sum();
        s * log_norm(kernel, chol, 2).exp() / total
    }

    /// The separable Gaussian over a sample of many chunks (some samples off the grid, unequal weights, the
    /// second axis uneven) equals the direct sum.
    #[test]
    fn separable_gaussian_over_many_chunks_equals_the_direct_sum() {
        let n = 2600;
        let x: Vec<f64> = (0..2 * n).map(|i| ((i * 7919) % 4001) as f64 / 500.0 - 3.0 + (i as f64).sin()).collect();
        let w: Vec<f64> = (0..n).map(|i| 0.5 + ((i * 13) % 7) as f64).collect();
        let gx: Vec<f64> = (0..60).map(|i| -2.0 + i as f64 * 0.15).collect();
        let gy: Vec<f64> = (0..45).map(|i| -2.5 + (i as f64 * 0.2) + 0.001 * (i as f64).powi(2)).collect();
        let chol = [0.35, 0.0, 0.0, 0.5];
        let got = tensor_grid_2d(&x, Some(&w), &chol, Kernel::Gaussian, &gx, &gy, 1e-9, &Control::new()).unwrap();
        let want: Vec<f64> = gx
            .iter()
            .flat_map(|&a| gy.iter().map(move |&b| [a, b]))
            .map(|q| brute(&x, &w, &chol, Kernel::Gaussian, q))
            .collect();
        let peak = want.iter().cloned().fold(0.0, f64::max);
        for (g, v) in got.iter().zip(&want) {
            assert!((g - v).abs() <= 1e-9 * v.max(1e-3 * peak), "{g} vs {v}");
        }
    }

    #[test]
    fn grid_equals_the_direct_sum_for_every_kernel() {
        let x: Vec<f64> = (0..600).map(|i| ((i * 7919) % 1201) as f64 / 200.0 + (i as f64 * 0.7).sin()).collect();
        let w: Vec<f64> = (0..300).map(|i| 0.5 + ((i * 13) % 5) as f64).collect();
        let gx: Vec<f64> = (0..41).map(|i| -1.0 + i as f64 * 0.2).collect();
        let gy: Vec<f64> = (0..37).map(|i| -1.5 + i as f64 * 0.25).collect();
        let c = Control::new();
        for name in KERNEL_NAMES {
            let kernel = Kernel::from_name(name).unwrap();
            for chol in [[0.4, 0.0, 0.0, 0.4], [0.5, 0.0, 0.2, 0.3], [0.3, 0.0, 0.0, 0.7]] {
                let got = tensor_grid_2d(&x, Some(&w), &chol, kernel, &gx, &gy, 1e-9, &c).unwrap();
                let want: Vec<f64> = gx
                    .iter()
                    .flat_map(|&a| gy.iter().map(move |&b| [a, b]))
                    .map(|q| brute(&x, &w, &chol, kernel, q))
                    .collect();
                let peak = want.iter().cloned().fold(0.0, f64::max);
                for (g, v) in got.iter().zip(&want) {
                    if *v > 1e-3 * peak {
                        assert!((g - v).abs() <= 1e-9 * v, "{name} {chol:?}: {g} vs {v}");
                    } else {
                        assert!((g - v).abs() <= 1e-12 * peak, "{name} {chol:?}: {g} vs {v}");
                    }
                }
            }
        }
    }
}
