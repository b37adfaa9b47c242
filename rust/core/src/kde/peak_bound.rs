//! A lower bound on the largest value of a 2-D kernel sum, from which `grid_2d` sets where the terms of
//! an unbounded kernel may be dropped: the closer the bound to the true peak, the fewer terms are kept
//! for the same relative error.
//!
//! The sum at any point is at least the weight of the samples within whitened distance r of it times the
//! kernel at r. So the whitened samples are counted in square cells of side `CELL` bandwidths; at the
//! centre of the heaviest cell every sample of that cell lies within half the diagonal, and the sum there
//! is at least the cell's weight times k(CELL / sqrt 2). Two bandwidths balance the two factors for a
//! Gaussian (the cell's weight grows as its area, k falls as e^(-side^2 / 4)); on data smooth at that
//! scale the bound is within a factor of about four of the peak (4 / e of the 2 pi a smooth density
//! gives). The bound it improves on, the largest single weight, is as much as n times too small.

use crate::kde::kernels::Kernel;

/// Side of a cell in bandwidths (whitened units).
const CELL: f64 = 2.0;

/// At most this many cells; data spread over more is counted in larger cells.
const CELLS_MAX: usize = 1 << 16;

/// The heaviest cell of the whitened samples `z` (first coordinate, second, weight): its weight, its centre
/// and its half-diagonal. None when the samples are not all finite.
fn heaviest_cell(z: &[(f64, f64, f64)]) -> Option<(f64, (f64, f64), f64)> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for &(a, b, _) in z {
        (lo[0], hi[0]) = (lo[0].min(a), hi[0].max(a));
        (lo[1], hi[1]) = (lo[1].min(b), hi[1].max(b));
    }
    let range = [hi[0] - lo[0], hi[1] - lo[1]];
    if !(range[0].is_finite() && range[1].is_finite()) {
        return None;
    }
    let mut side = CELL;
    let counts = |side: f64| range.map(|r| (r / side) as usize + 1);
    while counts(side)[0].saturating_mul(counts(side)[1]) > CELLS_MAX {
        side *= 1.25;
    }
    let [c0, c1] = counts(side);
    let mut weight = vec![0.0f64; c0 * c1];
    let cell = |v: f64, lo: f64, count: usize| (((v - lo) / side) as usize).min(count - 1);
    for &(a, b, w) in z {
        weight[cell(a, lo[0], c0) * c1 + cell(b, lo[1], c1)] += w;
    }
    let (best, &w) = weight.iter().enumerate().max_by(|p, q| p.1.total_cmp(q.1))?;
    let centre = (lo[0] + ((best / c1) as f64 + 0.5) * side, lo[1] + ((best % c1) as f64 + 0.5) * side);
    Some((w, centre, side * std::f64::consts::FRAC_1_SQRT_2))
}

/// A lower bound on max_p sum_j w_j k(|L^-1 (p - x_j)| / a) / sum_j w_j (k(0) = 1), for samples `pts`
/// (first coordinate, second, weight > 0) and a lower Cholesky factor (l00, l10, l11): the largest
/// normalised weight, or the heaviest cell's bound where that is larger.
pub(super) fn peak_lower_bound(pts: &[(f64, f64, f64)], (l00, l10, l11): (f64, f64, f64), kernel: Kernel) -> f64 {
    let total: f64 = pts.iter().map(|p| p.2).sum();
    let w_max = pts.iter().fold(0.0f64, |m, p| m.max(p.2)) / total;
    let z: Vec<(f64, f64, f64)> = pts
        .iter()
        .map(|&(x0, x1, w)| {
            let z0 = x0 / l00;
            (z0, (x1 - l10 * z0) / l11, w / total)
        })
        .collect();
    heaviest_cell(&z).map_or(w_max, |(w, _, half)| w_max.max(w * kernel.profile(half / kernel.scale())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn gaussian_sum(z: &[(f64, f64, f64)], p: (f64, f64)) -> f64 {
        z.iter().map(|&(a, b, w)| w * (-0.5 * ((p.0 - a).powi(2) + (p.1 - b).powi(2))).exp()).sum()
    }

    #[test]
    fn bound_holds_at_the_cell_centre_and_is_close_to_the_peak() {
        let mut rng = crate::numeric::rng::replicate_rng(5, 0);
        for (n, spread) in [(1usize, 1.0), (7, 0.1), (500, 3.0), (5000, 5.0), (3000, 1e6)] {
            let z: Vec<(f64, f64, f64)> = (0..n)
                .map(|_| {
                    let w: f64 = rng.random_range(0.5..1.5);
                    (spread * crate::numeric::rng::standard_normal(&mut rng), rng.random_range(-spread..spread), w)
                })
                .collect();
            let total: f64 = z.iter().map(|p| p.2).sum();
            let z: Vec<_> = z.iter().map(|&(a, b, w)| (a, b, w / total)).collect();
            let (w, centre, half) = heaviest_cell(&z).unwrap();
            let bound = w * (-0.5 * half * half).exp();
            let at_centre = gaussian_sum(&z, centre);
            assert!(bound <= at_centre * (1.0 + 1e-12), "n {n}: bound {bound} > sum {at_centre}");
            let peak = z.iter().map(|&(a, b, _)| gaussian_sum(&z, (a, b))).fold(0.0, f64::max);
            if spread <= 5.0 {
                assert!(bound >= peak / 6.0, "n {n} spread {spread}: bound {bound}, peak {peak}");
            }
            let chol = (2.0, 0.5, 0.25);
            let pts: Vec<_> = z.iter().map(|&(a, b, w)| (2.0 * a, 0.5 * a + 0.25 * b, 3.0 * w)).collect();
            let general = peak_lower_bound(&pts, chol, Kernel::Gaussian);
            assert!((general - bound.max(z.iter().fold(0.0f64, |m, p| m.max(p.2)))).abs() <= 1e-12 * general);
        }
        assert_eq!(heaviest_cell(&[(f64::NAN, 0.0, 1.0)]), None);
    }
}
