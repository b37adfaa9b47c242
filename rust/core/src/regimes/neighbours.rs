//! Exact k-nearest-neighbour distances of every point among the others, for the intrinsic-dimension
//! estimators.
//!
//! The search runs on the principal-axis coordinates (`principal`), where a low-dimensional manifold
//! embedded in many coordinates keeps only its own axes. A k-d tree (Friedman, Bentley & Finkel 1977,
//! "An algorithm for finding best matches in logarithmic expected time") splits each node at the median
//! of its widest coordinate and stores the tight bounding box of each node's points, which prunes far
//! better above a few dimensions than the cell the splitting planes leave (those cells are unbounded on
//! the outside of the cloud). The points are stored in leaf order.
//!
//! The queries are answered a leaf at a time: all the points of one leaf search the tree together
//! (the single-tree, leaf-batched form of Gray & Moore 2001, "N-body problems in statistical learning").
//! Nodes wait in one priority queue by the distance between their box and the query leaf's box, are
//! opened nearest first (best-first, Arya, Mount, Netanyahu, Silverman & Wu 1998), and the search stops
//! when the nearest waiting box is farther than every query's current k-th neighbour. At each leaf
//! reached, each query still in need tests its own distance to the leaf's box before it reads the points.
//! In ten dimensions most leaves a query reads are read by its leaf-mates too, so walking the tree once
//! per leaf instead of once per query removes most of the queue and box work, which was most of the time
//! (2.1-2.2x faster at 30,000 points in ten dimensions, measured side by side under load, the same
//! distances bit for bit). Within a leaf the coordinates are stored coordinate by coordinate, so the
//! distances from a query to all the leaf's points are computed together, one coordinate at a time
//! across the points (independent sums the compiler turns into vector instructions, where a
//! point-by-point sum is one long chain of dependent additions).
//!
//! Hand-written because the maintained k-d tree crate (kiddo) fixes the dimension at compile time (a
//! const generic) while ours is known only at run time. Every distance is computed directly, coordinate
//! by coordinate, and the k smallest are the same whatever order the leaves are read in, so the result
//! is exact and does not depend on the thread count.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{CoreError, Result};

use super::principal::principal_coordinates;

/// Points per leaf, which is also the number of queries that walk the tree together: small enough to
/// prune well in ten dimensions, large enough to share the walk.
const LEAF: usize = 32;
/// Coordinates added between checks of a partial box distance against the bound.
const STRIDE: usize = 8;
/// Points of a leaf whose distances are computed together (leaves of equal points can be larger).
const LANES: usize = 16;

enum Node {
    Leaf { start: usize, end: usize },
    Split { left: usize, right: usize },
}

struct Tree {
    dim: usize,
    /// The points in leaf order (slot-major): slot s holds the original row `row[s]`.
    points: Vec<f64>,
    /// The same, each leaf `start..end` stored coordinate-major in `columns[start * dim..end * dim]`.
    columns: Vec<f64>,
    row: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node, its tight bounding box: `dim` lower then `dim` upper corners.
    boxes: Vec<f64>,
}

/// Squared distance between the boxes `a` and `b` (each lower corners then upper).
fn box_box_distance(a: &[f64], b: &[f64], dim: usize) -> f64 {
    let (a_lo, a_hi) = a.split_at(dim);
    let (b_lo, b_hi) = b.split_at(dim);
    let mut d2 = 0.0;
    for c in 0..dim {
        let gap = (b_lo[c] - a_hi[c]).max(a_lo[c] - b_hi[c]).max(0.0);
        d2 += gap * gap;
    }
    d2
}

/// Per-thread buffers of a leaf's search: each query's k best so far, and the node queue.
#[derive(Default)]
struct Scratch {
    best: Vec<Vec<f64>>,
    queue: BinaryHeap<Reverse<(u64, usize)>>,
}

/// Squared distance from q to the box `lo_hi` (lower corners then upper), or any value above `bound`
/// once the partial sum exceeds it.
fn box_distance(q: &[f64], lo_hi: &[f64], bound: f64) -> f64 {
    let (lo, hi) = lo_hi.split_at(q.len());
    let mut d2 = 0.0;
    for ((qs, ls), hs) in q.chunks(STRIDE).zip(lo.chunks(STRIDE)).zip(hi.chunks(STRIDE)) {
        for ((&v, &l), &h) in qs.iter().zip(ls).zip(hs) {
            let gap = (l - v).max(v - h).max(0.0);
            d2 += gap * gap;
        }
        if d2 > bound {
            break;
        }
    }
    d2
}

impl Tree {
    /// The tree of the n points of `data` (row-major, n x dim); `Interrupted` once `control` is cancelled
    /// (at 2e6 points the build takes seconds).
    fn build(data: &[f64], n: usize, dim: usize, control: &Control) -> Result<Self> {
        let mut tree = Tree {
            dim,
            points: Vec::new(),
            columns: Vec::new(),
            row: (0..n).collect(),
            nodes: Vec::new(),
            boxes: Vec::new(),
        };
        tree.split(data, 0, n, control);
        control.check()?;
        tree.points = tree.row.iter().flat_map(|&r| data[r * dim..(r + 1) * dim].iter().copied()).collect();
        let mut columns = vec![0.0; n * dim];
        for node in &tree.nodes {
            if let Node::Leaf { start, end } = *node {
                let len = end - start;
                for (j, point) in tree.points[start * dim..end * dim].chunks_exact(dim).enumerate() {
                    for (c, &v) in point.iter().enumerate() {
                        columns[start * dim + c * len + j] = v;
                    }
                }
            }
        }
        tree.columns = columns;
        Ok(tree)
    }

    /// Make the node for `row[start..end]` (rows of `data`), splitting it at the median of its widest
    /// coordinate when it holds more than a leaf; returns the node index. Once `control` is cancelled
    /// the remaining nodes are left unsplit (the caller then returns `Interrupted`).
    fn split(&mut self, data: &[f64], start: usize, end: usize, control: &Control) -> usize {
        let dim = self.dim;
        let id = self.nodes.len();
        self.nodes.push(Node::Leaf { start, end });
        let mut lo_hi = vec![f64::INFINITY; dim];
        lo_hi.resize(2 * dim, f64::NEG_INFINITY);
        for &r in &self.row[start..end] {
            for (c, &v) in data[r * dim..(r + 1) * dim].iter().enumerate() {
                lo_hi[c] = lo_hi[c].min(v);
                lo_hi[dim + c] = lo_hi[dim + c].max(v);
            }
        }
        self.boxes.extend_from_slice(&lo_hi);
        let (widest, spread) =
            (0..dim).map(|c| (c, lo_hi[dim + c] - lo_hi[c])).fold((0, 0.0), |b, c| if c.1 > b.1 { c } else { b });
        if end - start <= LEAF || spread <= 0.0 || control.is_cancelled() {
            return id; // small, or all points equal: nothing to split
        }
        let mid = start + (end - start) / 2;
        self.row[start..end]
            .select_nth_unstable_by(mid - start, |&a, &b| data[a * dim + widest].total_cmp(&data[b * dim + widest]));
        let left = self.split(data, start, mid, control);
        let right = self.split(data, mid, end, control);
        self.nodes[id] = Node::Split { left, right };
        id
    }

    fn node_box(&self, node: usize) -> &[f64] {
        &self.boxes[node * 2 * self.dim..(node + 1) * 2 * self.dim]
    }

    /// The distances from every point of the leaf `leaf` (a node index) to its k nearest other points,
    /// each row ascending, into `out` (k per point, in slot order). `queue` holds (squared box distance
    /// as bits, node): for non-negative floats the bit patterns order as the values do.
    fn knn_leaf(&self, leaf: usize, k: usize, out: &mut [f64], scratch: &mut Scratch) {
        let Node::Leaf { start, end } = self.nodes[leaf] else { return };
        let (dim, nq) = (self.dim, end - start);
        let own = self.node_box(leaf);
        let Scratch { best, queue } = scratch;
        if best.len() < nq {
            best.resize_with(nq, || Vec::with_capacity(k + 1));
        }
        let best = &mut best[..nq];
        best.iter_mut().for_each(Vec::clear);
        queue.clear();
        queue.push(Reverse((0, 0)));
        // The largest k-th distance among the leaf's queries: no box farther than it can help any of them.
        let mut worst = f64::INFINITY;
        while let Some(Reverse((bits, node))) = queue.pop() {
            let d2 = f64::from_bits(bits);
            if d2 >= worst {
                break; // every waiting box is at least this far
            }
            match self.nodes[node] {
                Node::Leaf { start: s, end: e } => {
                    let lo_hi = self.node_box(node);
                    for (i, b) in best.iter_mut().enumerate() {
                        let bound = Self::bound(b, k);
                        let q = &self.points[(start + i) * dim..(start + i + 1) * dim];
                        if d2 < bound && (node == leaf || box_distance(q, lo_hi, bound) < bound) {
                            self.scan(s, e, start + i, q, k, b);
                        }
                    }
                    worst = best.iter().map(|b| Self::bound(b, k)).fold(0.0, f64::max);
                }
                Node::Split { left, right } => {
                    for child in [left, right] {
                        let c2 = box_box_distance(own, self.node_box(child), dim);
                        if c2 < worst {
                            queue.push(Reverse((c2.to_bits(), child)));
                        }
                    }
                }
            }
        }
        for (row, b) in out.chunks_exact_mut(k).zip(best.iter()) {
            row.iter_mut().zip(b).for_each(|(o, d2)| *o = d2.sqrt());
        }
    }

    fn bound(best: &[f64], k: usize) -> f64 {
        if best.len() == k {
            best[k - 1]
        } else {
            f64::INFINITY
        }
    }

    /// Offer the points of the leaf `start..end` (other than `slot`) to the k best, LANES at a time.
    fn scan(&self, start: usize, end: usize, slot: usize, q: &[f64], k: usize, best: &mut Vec<f64>) {
        let len = end - start;
        let block = &self.columns[start * self.dim..end * self.dim];
        let mut acc = [0.0; LANES];
        for first in (0..len).step_by(LANES) {
            if Self::bound(best, k) == 0.0 {
                return; // k duplicates found: nothing can come nearer
            }
            let m = (len - first).min(LANES);
            let acc = &mut acc[..m];
            acc.fill(0.0);
            for (c, &qc) in q.iter().enumerate() {
                let column = &block[c * len + first..c * len + first + m];
                acc.iter_mut().zip(column).for_each(|(a, &v)| *a += (v - qc) * (v - qc));
            }
            for (j, &d2) in acc.iter().enumerate() {
                if d2 < Self::bound(best, k) && start + first + j != slot {
                    if best.len() == k {
                        best.pop();
                    }
                    let at = best.partition_point(|&v| v <= d2);
                    best.insert(at, d2);
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
    let (rotated, kept) = principal_coordinates(points, n, dim, control)?;
    let tree = Tree::build(&rotated, n, kept, control)?;
    drop(rotated);
    // Rows in leaf order first, then moved to the caller's order; one unit of work (and of progress,
    // and one cancellation check) per leaf.
    let leaves: Vec<(usize, usize)> = tree
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(id, node)| match *node {
            Node::Leaf { start, end } => Some((id, end - start)),
            Node::Split { .. } => None,
        })
        .collect();
    control.set_total(leaves.len());
    let mut by_slot = vec![0.0; n * k];
    let mut rows: Vec<(usize, &mut [f64])> = Vec::with_capacity(leaves.len());
    let mut rest = by_slot.as_mut_slice();
    for &(id, len) in &leaves {
        let (head, tail) = rest.split_at_mut(len * k);
        rows.push((id, head));
        rest = tail;
    }
    rows.into_par_iter().try_for_each_init(Scratch::default, |scratch, (leaf, out)| {
        control.check()?;
        tree.knn_leaf(leaf, k, out, scratch);
        control.advance(1);
        Ok::<(), CoreError>(())
    })?;
    let mut slot_of = vec![0; n];
    tree.row.iter().enumerate().for_each(|(s, &r)| slot_of[r] = s);
    let mut out = vec![0.0; n * k];
    out.par_chunks_mut(k).zip(&slot_of).for_each(|(o, &s)| o.copy_from_slice(&by_slot[s * k..(s + 1) * k]));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn brute_force(pts: &[f64], n: usize, dim: usize, k: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(n * k);
        for i in 0..n {
            let mut d: Vec<f64> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (0..dim).map(|c| (pts[i * dim + c] - pts[j * dim + c]).powi(2)).sum::<f64>().sqrt())
                .collect();
            d.sort_by(f64::total_cmp);
            out.extend_from_slice(&d[..k]);
        }
        out
    }

    fn assert_close(got: &[f64], want: &[f64], k: usize) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= 1e-9 * w.max(1.0), "point {} neighbour {}: {g} vs {w}", i / k, i % k);
        }
    }

    #[test]
    fn matches_brute_force_with_duplicates_and_ties() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (n, dim, k) = (700, 7, 5);
        let mut pts: Vec<f64> = (0..n * dim).map(|_| rng.random::<f64>()).collect();
        pts.copy_within(..dim, dim); // a duplicate pair
        pts.copy_within(2 * dim..3 * dim, 10 * dim); // and another
                                                     // A block of points on an integer grid: many exactly tied distances.
        for (i, v) in pts[100 * dim..300 * dim].iter_mut().enumerate() {
            *v = ((i * 7919) % 5) as f64;
        }
        let got = nearest_distances(&pts, n, dim, k, &Control::new()).unwrap();
        assert_close(&got, &brute_force(&pts, n, dim, k), k);
        assert_eq!(got[0], 0.0);
    }

    #[test]
    fn matches_brute_force_on_an_embedded_plane_and_few_points() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        // A 2-dimensional plane in 9 coordinates: the dead axes are dropped before the search.
        let (n, dim, k) = (500, 9, 3);
        let basis: Vec<f64> = (0..2 * dim).map(|_| rng.random::<f64>() - 0.5).collect();
        let pts: Vec<f64> = (0..n)
            .flat_map(|_| {
                let (a, b) = (rng.random::<f64>(), rng.random::<f64>());
                (0..dim).map(|c| a * basis[c] + b * basis[dim + c] + 1.0).collect::<Vec<_>>()
            })
            .collect();
        let got = nearest_distances(&pts, n, dim, k, &Control::new()).unwrap();
        assert_close(&got, &brute_force(&pts, n, dim, k), k);
        // Fewer points than a leaf, all k = n - 1 neighbours.
        let few = &pts[..6 * dim];
        let got = nearest_distances(few, 6, dim, 5, &Control::new()).unwrap();
        assert_close(&got, &brute_force(few, 6, dim, 5), 5);
    }

    #[test]
    fn a_cancelled_search_stops_with_interrupted() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let pts: Vec<f64> = (0..5000 * 4).map(|_| rng.random::<f64>()).collect();
        let control = Control::new();
        control.cancel();
        let err = nearest_distances(&pts, 5000, 4, 3, &control).unwrap_err();
        assert!(matches!(err, CoreError::Interrupted), "{err:?}");
    }

    #[test]
    fn all_identical_points_are_searched_quickly() {
        let n = 20_000;
        let got = nearest_distances(&vec![2.5; n * 3], n, 3, 4, &Control::new()).unwrap();
        assert!(got.iter().all(|&d| d == 0.0));
    }
}
