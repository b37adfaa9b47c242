//! Exact k-nearest-neighbour distances of every point among the others, for the intrinsic-dimension
//! estimators.
//!
//! The points are first rotated onto their principal axes (distances are unchanged by a rotation), so a
//! data manifold of low intrinsic dimension embedded in many coordinates lies along the leading axes:
//! the k-d tree then splits along the directions the data actually spread in, and a distance computed
//! coordinate by coordinate in order of decreasing variance can stop as soon as it exceeds the current
//! k-th best. Hand-written because the maintained k-d tree crate (kiddo) fixes the dimension at compile
//! time (a const generic) while ours is known only at run time; the tree is built once and queried by
//! every point in parallel (each query independent, so the result does not depend on the thread count).

use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::parallel::{map_blocks, BLOCK};

/// Points per leaf: small enough to prune well, large enough that the descent is cheap.
const LEAF: usize = 24;
/// Queries per cancellation check and progress unit.
const QUERY_CHUNK: usize = 1024;

enum Node {
    Leaf { start: usize, end: usize },
    Split { dim: usize, value: f64, left: usize, right: usize },
}

/// The points (row-major, n x dim) in principal-axis coordinates, axes in order of decreasing variance,
/// and the number of axes kept.
fn principal_coordinates(points: &[f64], n: usize, dim: usize) -> (Vec<f64>, usize) {
    let sums = map_blocks(n, BLOCK, |a, b| {
        let mut s = vec![0.0; dim];
        for row in points[a * dim..b * dim].chunks_exact(dim) {
            s.iter_mut().zip(row).for_each(|(t, v)| *t += v);
        }
        s
    });
    let mut mean = vec![0.0; dim];
    for s in &sums {
        mean.iter_mut().zip(s).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let blocks = map_blocks(n, BLOCK, |a, b| {
        let mut c = vec![0.0; dim * dim];
        let mut centred = vec![0.0; dim];
        for row in points[a * dim..b * dim].chunks_exact(dim) {
            centred.iter_mut().zip(row.iter().zip(&mean)).for_each(|(c, (v, m))| *c = v - m);
            for (i, ci) in centred.iter().enumerate() {
                for (j, cj) in centred[..=i].iter().enumerate() {
                    c[i * dim + j] += ci * cj;
                }
            }
        }
        c
    });
    let mut cov = DMatrix::<f64>::zeros(dim, dim);
    for blk in &blocks {
        for i in 0..dim {
            for j in 0..=i {
                cov[(i, j)] += blk[i * dim + j];
                cov[(j, i)] = cov[(i, j)];
            }
        }
    }
    let eig = SymmetricEigen::new(cov);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let axes: Vec<Vec<f64>> = order.iter().map(|&c| eig.eigenvectors.column(c).iter().copied().collect()).collect();
    let mut full = vec![0.0; n * dim];
    full.par_chunks_mut(dim).zip(points.par_chunks_exact(dim)).for_each(|(o, row)| {
        for (oi, axis) in o.iter_mut().zip(&axes) {
            *oi = row.iter().zip(axis).zip(&mean).map(|((v, a), m)| (v - m) * a).sum();
        }
    });
    // Axes along which the rotated points do not spread at all (measured on the rotated coordinates, whose
    // spread there is rounding noise, not on the eigenvalues, whose own error is 1e-16 of the largest) hold
    // nothing but that noise: dropping those with variance below 1e-24 of the largest (coordinates of 1e-12
    // of the spread) changes no distance beyond rounding and makes a manifold embedded in many coordinates
    // as cheap to search as its own dimension. Identical points stay identical.
    let blocks = map_blocks(n, BLOCK, |a, b| {
        let mut s = vec![0.0; dim];
        for row in full[a * dim..b * dim].chunks_exact(dim) {
            s.iter_mut().zip(row).for_each(|(t, v)| *t += v * v);
        }
        s
    });
    let mut spread = vec![0.0; dim];
    for blk in &blocks {
        spread.iter_mut().zip(blk).for_each(|(t, v)| *t += v);
    }
    let largest = spread.iter().fold(0.0f64, |m, &v| m.max(v));
    let kept: Vec<usize> = (0..dim).filter(|&c| spread[c] > 1e-24 * largest).collect();
    if kept.len() == dim {
        return (full, dim);
    }
    let m = kept.len().max(1);
    let mut out = vec![0.0; n * m];
    out.par_chunks_mut(m).zip(full.par_chunks_exact(dim)).for_each(|(o, row)| {
        o.iter_mut().zip(&kept).for_each(|(oi, &c)| *oi = row[c]);
    });
    (out, m)
}

struct Tree<'a> {
    data: &'a [f64],
    dim: usize,
    order: Vec<usize>,
    nodes: Vec<Node>,
}

impl<'a> Tree<'a> {
    fn build(data: &'a [f64], n: usize, dim: usize) -> Self {
        let mut tree = Tree { data, dim, order: (0..n).collect(), nodes: Vec::new() };
        tree.split(0, n);
        tree
    }

    fn coord(&self, point: usize, d: usize) -> f64 {
        self.data[point * self.dim + d]
    }

    /// Split `order[start..end]` at the median of its widest coordinate; returns the node index.
    fn split(&mut self, start: usize, end: usize) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node::Leaf { start, end });
        if end - start <= LEAF {
            return id;
        }
        let (mut best, mut widest) = (0, -1.0);
        for d in 0..self.dim {
            let (lo, hi) = self.order[start..end].iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &p| {
                let v = self.coord(p, d);
                (lo.min(v), hi.max(v))
            });
            if hi - lo > widest {
                (best, widest) = (d, hi - lo);
            }
        }
        if widest <= 0.0 {
            return id; // all points equal: nothing to split
        }
        let mid = start + (end - start) / 2;
        let (data, dim) = (self.data, self.dim);
        self.order[start..end]
            .select_nth_unstable_by(mid - start, |&a, &b| data[a * dim + best].total_cmp(&data[b * dim + best]));
        let value = self.coord(self.order[mid], best);
        let left = self.split(start, mid);
        let right = self.split(mid, end);
        self.nodes[id] = Node::Split { dim: best, value, left, right };
        id
    }

    /// Squared distances to the k nearest other points of `query` (by index), ascending.
    fn knn(&self, query: usize, k: usize, best: &mut Vec<f64>, offsets: &mut [f64]) {
        best.clear();
        offsets.iter_mut().for_each(|o| *o = 0.0);
        let q = &self.data[query * self.dim..(query + 1) * self.dim];
        self.visit(0, query, q, k, best, offsets, 0.0);
    }

    /// Descend with `cell` the squared distance from q to the node's cell, kept incrementally through the
    /// per-axis `offsets` (Arya & Mount 1993): a far child is skipped when its whole cell, not only its
    /// splitting plane, is farther than the current k-th neighbour, which matters above a few dimensions.
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        node: usize,
        query: usize,
        q: &[f64],
        k: usize,
        best: &mut Vec<f64>,
        offsets: &mut [f64],
        cell: f64,
    ) {
        match self.nodes[node] {
            Node::Leaf { start, end } => {
                for &p in &self.order[start..end] {
                    if p == query {
                        continue;
                    }
                    let bound = if best.len() == k { best[k - 1] } else { f64::INFINITY };
                    let row = &self.data[p * self.dim..(p + 1) * self.dim];
                    let mut d2 = 0.0;
                    for (a, b) in q.iter().zip(row) {
                        d2 += (a - b) * (a - b);
                        if d2 > bound {
                            break;
                        }
                    }
                    if d2 <= bound && (best.len() < k || d2 < bound) {
                        let at = best.partition_point(|&v| v <= d2);
                        if best.len() == k {
                            best.pop();
                        }
                        best.insert(at, d2);
                    }
                }
            }
            Node::Split { dim, value, left, right } => {
                let diff = q[dim] - value;
                let (near, far) = if diff < 0.0 { (left, right) } else { (right, left) };
                self.visit(near, query, q, k, best, offsets, cell);
                let old = offsets[dim];
                let far_cell = cell - old * old + diff * diff;
                if best.len() < k || far_cell <= best[k - 1] {
                    offsets[dim] = diff;
                    self.visit(far, query, q, k, best, offsets, far_cell);
                    offsets[dim] = old;
                }
            }
        }
    }
}

/// Distances from each of the n points (row-major, n x dim) to its k nearest other points: an n x k
/// row-major array, each row ascending.
pub fn nearest_distances(points: &[f64], n: usize, dim: usize, k: usize, control: &Control) -> Result<Vec<f64>> {
    if dim == 0 || points.len() != n * dim {
        return Err(CoreError::invalid("points", format!("expected {n} rows of {dim} coordinates")));
    }
    if k == 0 || n <= k {
        return Err(CoreError::invalid("k", format!("needs 1 <= k < number of points ({n}), got {k}")));
    }
    if let Some(i) = points.iter().position(|v| !v.is_finite()) {
        return Err(CoreError::invalid("points", format!("must be finite, got {} at row {}", points[i], i / dim)));
    }
    let (rotated, kept) = principal_coordinates(points, n, dim);
    let tree = Tree::build(&rotated, n, kept);
    control.set_total(n.div_ceil(QUERY_CHUNK));
    let mut out = vec![0.0; n * k];
    out.par_chunks_mut(QUERY_CHUNK * k).enumerate().try_for_each(|(c, rows)| {
        control.check()?;
        let mut best = Vec::with_capacity(k + 1);
        let mut offsets = vec![0.0; tree.dim];
        for (r, row) in rows.chunks_exact_mut(k).enumerate() {
            tree.knn(c * QUERY_CHUNK + r, k, &mut best, &mut offsets);
            row.iter_mut().zip(&best).for_each(|(o, d2)| *o = d2.sqrt());
        }
        control.advance(1);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn matches_brute_force() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (n, dim, k) = (700, 7, 5);
        let mut pts: Vec<f64> = (0..n * dim).map(|_| rng.random::<f64>()).collect();
        pts.copy_within(..dim, dim); // a duplicate pair
        let got = nearest_distances(&pts, n, dim, k, &Control::new()).unwrap();
        for i in 0..n {
            let mut d: Vec<f64> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (0..dim).map(|c| (pts[i * dim + c] - pts[j * dim + c]).powi(2)).sum::<f64>().sqrt())
                .collect();
            d.sort_by(f64::total_cmp);
            for j in 0..k {
                assert!((got[i * k + j] - d[j]).abs() < 1e-9, "point {i} neighbour {j}");
            }
        }
        assert_eq!(got[0], 0.0);
    }
}
