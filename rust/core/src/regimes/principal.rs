//! The points rotated onto their principal axes, for the nearest-neighbour search.
//!
//! Distances are unchanged by a rotation, so a search may run in any orthonormal frame. In the frame of
//! the principal axes a data manifold of low intrinsic dimension embedded linearly in many coordinates
//! spreads along the leading axes only, and the coordinates along the others hold nothing but rounding
//! noise: those axes are dropped, which makes such a manifold as cheap to search as its own dimension.

use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;

use crate::control::Control;
use crate::error::Result;
use crate::parallel::{map_blocks, BLOCK};

/// Per-block sums of `f(row)` (a vector of `width` values per row) added in block order (the same bits
/// for any thread count). Blocks started after `control` is cancelled are skipped (the caller checks).
fn summed(
    data: &[f64],
    n: usize,
    dim: usize,
    width: usize,
    control: &Control,
    f: impl Fn(&[f64], &mut [f64]) + Sync,
) -> Vec<f64> {
    let blocks = map_blocks(n, BLOCK, |a, b| {
        let mut s = vec![0.0; width];
        if !control.is_cancelled() {
            data[a * dim..b * dim].chunks_exact(dim).for_each(|row| f(row, &mut s));
        }
        s
    });
    let mut total = vec![0.0; width];
    for blk in &blocks {
        total.iter_mut().zip(blk).for_each(|(t, v)| *t += v);
    }
    total
}

/// The points (row-major, n x dim) in principal-axis coordinates, axes in order of decreasing variance,
/// and the number of axes kept; `Interrupted` once `control` is cancelled (at 2e6 points each pass over
/// them takes a noticeable fraction of a second).
pub(super) fn principal_coordinates(
    points: &[f64],
    n: usize,
    dim: usize,
    control: &Control,
) -> Result<(Vec<f64>, usize)> {
    let mut mean = summed(points, n, dim, dim, control, |row, s| s.iter_mut().zip(row).for_each(|(t, v)| *t += v));
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let lower = summed(points, n, dim, dim * dim, control, |row, c| {
        for i in 0..dim {
            let ci = row[i] - mean[i];
            for j in 0..=i {
                c[i * dim + j] += ci * (row[j] - mean[j]);
            }
        }
    });
    control.check()?;
    let cov = DMatrix::<f64>::from_fn(dim, dim, |i, j| lower[i.max(j) * dim + i.min(j)]);
    let eig = SymmetricEigen::new(cov);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let axes: Vec<Vec<f64>> = order.iter().map(|&c| eig.eigenvectors.column(c).iter().copied().collect()).collect();
    let mut full = vec![0.0; n * dim];
    full.par_chunks_mut(dim).zip(points.par_chunks_exact(dim)).for_each(|(o, row)| {
        if control.is_cancelled() {
            return;
        }
        for (oi, axis) in o.iter_mut().zip(&axes) {
            *oi = row.iter().zip(axis).zip(&mean).map(|((v, a), m)| (v - m) * a).sum();
        }
    });
    // An axis is dead when the rotated points do not spread along it beyond rounding. The spread is
    // measured on the rotated coordinates, not read from the eigenvalues, whose own error is 1e-16 of the
    // largest: dropping axes with a sum of squares below 1e-24 of the largest (coordinates of 1e-12 of
    // the spread) changes no distance beyond rounding. Identical points stay identical.
    control.check()?;
    let spread = summed(&full, n, dim, dim, control, |row, s| s.iter_mut().zip(row).for_each(|(t, v)| *t += v * v));
    let largest = spread.iter().fold(0.0f64, |m, &v| m.max(v));
    let kept: Vec<usize> = (0..dim).filter(|&c| spread[c] > 1e-24 * largest).collect();
    control.check()?;
    if kept.len() == dim {
        return Ok((full, dim));
    }
    let m = kept.len().max(1);
    let mut out = vec![0.0; n * m];
    out.par_chunks_mut(m).zip(full.par_chunks_exact(dim)).for_each(|(o, row)| {
        o.iter_mut().zip(&kept).for_each(|(oi, &c)| *oi = row[c]);
    });
    Ok((out, m))
}
