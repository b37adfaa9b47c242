//! Intrinsic dimension of a point cloud from nearest-neighbour distances (docs/methods.md section 9).
//!
//! - TwoNN (Facco, d'Errico, Rodriguez & Laio 2017, "Estimating the intrinsic dimension of datasets by a
//!   minimal neighborhood information"): the ratio mu = r2 / r1 of the distances to the second and first
//!   neighbours is Pareto(d) distributed on a locally uniform manifold, whose maximum-likelihood estimate
//!   is d = N / sum log mu_i.
//! - Levina & Bickel 2004 ("Maximum likelihood estimation of intrinsic dimension"): the per-point
//!   likelihood estimate from the k nearest distances T_1..T_k, pooled over points as MacKay &
//!   Ghahramani (2005) recommend (the inverse of the mean of the per-point inverse estimates
//!   (1/(k-1)) sum_j log(T_k / T_j)), which removes most of the small-k bias of averaging the estimates.
//!
//! Points with a duplicate (first-neighbour distance 0) carry no scale information and are left out.

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::parallel::{map_blocks, BLOCK};

use super::neighbours::nearest_distances;

/// An intrinsic-dimension estimate and the number of points it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dimension {
    pub d: f64,
    pub n_used: usize,
}

/// Sum over rows of `term(row)` for rows whose first distance is positive, in fixed blocks (the same
/// bits for any thread count): (sum, rows used).
fn pooled(dist: &[f64], k: usize, term: impl Fn(&[f64]) -> f64 + Sync) -> (f64, usize) {
    let n = dist.len() / k;
    let blocks = map_blocks(n, BLOCK, |a, b| {
        dist[a * k..b * k].chunks_exact(k).filter(|r| r[0] > 0.0).fold((0.0, 0), |(s, m), r| (s + term(r), m + 1))
    });
    blocks.iter().fold((0.0, 0), |(s, m), (bs, bm)| (s + bs, m + bm))
}

fn finish(sum: f64, used: usize, scale: f64) -> Result<Dimension> {
    if used == 0 {
        return Err(CoreError::invalid("points", "all points are duplicates of one another: no distances to use"));
    }
    if !(sum > 0.0 && sum.is_finite()) {
        return Err(CoreError::invalid("points", "the neighbour distances carry no dimension (all ratios are 1)"));
    }
    Ok(Dimension { d: scale * used as f64 / sum, n_used: used })
}

/// TwoNN estimate from the points (row-major, n x dim).
pub fn twonn(points: &[f64], n: usize, dim: usize, control: &Control) -> Result<Dimension> {
    if n < 3 {
        return Err(CoreError::invalid("points", format!("needs at least 3 points, got {n}")));
    }
    let dist = nearest_distances(points, n, dim, 2, control)?;
    let (sum, used) = pooled(&dist, 2, |r| (r[1] / r[0]).ln());
    finish(sum, used, 1.0)
}

/// Levina-Bickel maximum-likelihood estimate with k neighbours (k >= 2).
pub fn levina_bickel(points: &[f64], n: usize, dim: usize, k: usize, control: &Control) -> Result<Dimension> {
    if k < 2 {
        return Err(CoreError::invalid("k", format!("must be at least 2, got {k}")));
    }
    let dist = nearest_distances(points, n, dim, k, control)?;
    let (sum, used) = pooled(&dist, k, |r| {
        let lk = r[k - 1].ln();
        r[..k - 1].iter().map(|t| lk - t.ln()).sum::<f64>() / (k - 1) as f64
    });
    finish(sum, used, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn cube(n: usize, d: usize, dim: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut pts = vec![0.0; n * dim];
        for row in pts.chunks_exact_mut(dim) {
            for v in row.iter_mut().take(d) {
                *v = StandardNormal.sample(&mut rng);
            }
        }
        pts
    }

    #[test]
    fn recovers_the_dimension_of_a_gaussian() {
        let pts = cube(5000, 3, 8, 1);
        let c = Control::new();
        let t = twonn(&pts, 5000, 8, &c).unwrap();
        let m = levina_bickel(&pts, 5000, 8, 10, &c).unwrap();
        assert!((t.d - 3.0).abs() < 0.3, "{t:?}");
        assert!((m.d - 3.0).abs() < 0.3, "{m:?}");
    }

    #[test]
    fn duplicates_are_refused_or_left_out() {
        let c = Control::new();
        let same = vec![1.0; 40];
        assert!(twonn(&same, 10, 4, &c).unwrap_err().to_string().contains("duplicates"));
        let mut pts = cube(200, 2, 3, 2);
        pts.copy_within(..3, 3);
        assert_eq!(twonn(&pts, 200, 3, &c).unwrap().n_used, 198);
    }
}
