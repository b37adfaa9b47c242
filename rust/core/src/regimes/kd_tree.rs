//! The k-d tree the nearest-neighbour search walks (Friedman, Bentley & Finkel 1977, "An algorithm for
//! finding best matches in logarithmic expected time").
//!
//! Each node is split at the median of its widest coordinate and keeps the tight bounding box of its
//! points, which prunes far better above a few dimensions than the cell the splitting planes leave
//! (those cells are unbounded on the outside of the cloud). The points are stored in leaf order, and
//! each leaf's points a second time in the single precision of the screen (`screen`), coordinate by
//! coordinate, padded with NaN to a whole number of `LANES`, so that the screened distances from a query
//! to a leaf's points are computed `LANES` at a time by one loop of fixed length (independent sums the
//! compiler turns into vector instructions; a NaN distance passes no screen, so the padding never enters
//! a result). The boxes are padded with zero coordinates to a multiple of four, the width the box
//! distance is computed at.

use crate::control::Control;
use crate::error::Result;

use super::screen::Screen;

/// Most points per leaf. Smaller leaves prune more points but cost more box tests than they save: at
/// 30,000 points of intrinsic dimension 10 (processor seconds under load, one thread, TwoNN / k = 10)
/// 16 took 1.49 / 2.34 s, 32 took 1.21 / 2.03 s, 64 took 1.10 / 1.82 s and 128 took 1.02 / 1.88 s.
pub(super) const LEAF: usize = 64;
/// Points of a leaf whose screened distances to a query are computed together (one 256-bit vector of
/// single-precision numbers).
pub(super) const LANES: usize = 8;
/// Coordinates of a box distance computed together.
pub(super) const WIDTH: usize = 4;

#[derive(Clone, Copy)]
pub(super) struct Node {
    /// The node's points are the slots `start..end`.
    pub start: usize,
    pub end: usize,
    /// The two halves, or None for a leaf.
    pub children: Option<(usize, usize)>,
}

pub(super) struct Tree {
    pub dim: usize,
    /// `dim` rounded up to a multiple of `WIDTH`.
    pub padded: usize,
    /// The points in leaf order (slot-major, `dim` per slot): slot s holds the original row `row[s]`.
    pub points: Vec<f64>,
    pub row: Vec<usize>,
    pub nodes: Vec<Node>,
    /// Per slot, the leaf holding it.
    pub leaf_of: Vec<usize>,
    /// Per node, its tight bounding box: `padded` lower then `padded` upper corners.
    boxes: Vec<f64>,
    /// The single-precision screen of the points.
    pub screen: Screen,
    /// Each leaf's screened points coordinate by coordinate (see the module comment), from `column_at[leaf]`.
    columns: Vec<f32>,
    column_at: Vec<usize>,
}

impl Tree {
    /// The tree of the n points of `data` (row-major, n x dim); `Interrupted` once `control` is cancelled
    /// (at 2e6 points the build takes seconds).
    pub fn build(data: &[f64], n: usize, dim: usize, leaf: usize, control: &Control) -> Result<Self> {
        let mut tree = Tree {
            dim,
            padded: dim.div_ceil(WIDTH) * WIDTH,
            points: Vec::new(),
            row: (0..n).collect(),
            nodes: Vec::new(),
            leaf_of: vec![0; n],
            boxes: Vec::new(),
            screen: Screen::new(data, dim),
            columns: Vec::new(),
            column_at: Vec::new(),
        };
        tree.split(data, 0, n, leaf, control);
        control.check()?;
        tree.points = tree.row.iter().flat_map(|&r| data[r * dim..(r + 1) * dim].iter().copied()).collect();
        tree.column_at = vec![0; tree.nodes.len()];
        for (id, node) in tree.nodes.iter().enumerate() {
            if node.children.is_some() {
                continue;
            }
            let len = (node.end - node.start).div_ceil(LANES) * LANES;
            let base = tree.columns.len();
            tree.column_at[id] = base;
            tree.columns.resize(base + len * dim, f32::NAN);
            for (j, point) in tree.points[node.start * dim..node.end * dim].chunks_exact(dim).enumerate() {
                for (c, &v) in point.iter().enumerate() {
                    tree.columns[base + c * len + j] = tree.screen.coordinate(v);
                }
            }
            tree.leaf_of[node.start..node.end].fill(id);
        }
        Ok(tree)
    }

    /// Make the node for `row[start..end]` (rows of `data`), splitting it at the median of its widest
    /// coordinate when it holds more than `leaf` points; returns the node index. Once `control` is
    /// cancelled the remaining nodes are left unsplit (the caller then returns `Interrupted`).
    fn split(&mut self, data: &[f64], start: usize, end: usize, leaf: usize, control: &Control) -> usize {
        let (dim, padded) = (self.dim, self.padded);
        let id = self.nodes.len();
        self.nodes.push(Node { start, end, children: None });
        let mut lo_hi = vec![0.0; 2 * padded];
        lo_hi[..dim].fill(f64::INFINITY);
        lo_hi[padded..padded + dim].fill(f64::NEG_INFINITY);
        for &r in &self.row[start..end] {
            for (c, &v) in data[r * dim..(r + 1) * dim].iter().enumerate() {
                lo_hi[c] = lo_hi[c].min(v);
                lo_hi[padded + c] = lo_hi[padded + c].max(v);
            }
        }
        self.boxes.extend_from_slice(&lo_hi);
        let (widest, spread) =
            (0..dim).map(|c| (c, lo_hi[padded + c] - lo_hi[c])).fold((0, 0.0), |b, c| if c.1 > b.1 { c } else { b });
        if end - start <= leaf || spread <= 0.0 || control.is_cancelled() {
            return id; // small, or all points equal: nothing to split
        }
        let mid = start + (end - start) / 2;
        self.row[start..end]
            .select_nth_unstable_by(mid - start, |&a, &b| data[a * dim + widest].total_cmp(&data[b * dim + widest]));
        let left = self.split(data, start, mid, leaf, control);
        let right = self.split(data, mid, end, leaf, control);
        self.nodes[id].children = Some((left, right));
        id
    }

    /// The box of `node`: `padded` lower corners then `padded` upper.
    #[inline(always)]
    pub fn node_box(&self, node: usize) -> &[f64] {
        &self.boxes[node * 2 * self.padded..(node + 1) * 2 * self.padded]
    }

    /// The screened coordinates of the leaf `leaf` (coordinate-major, padded) and its padded length.
    #[inline(always)]
    pub fn leaf_columns(&self, leaf: usize) -> (&[f32], usize) {
        let node = self.nodes[leaf];
        let len = (node.end - node.start).div_ceil(LANES) * LANES;
        let at = self.column_at[leaf];
        (&self.columns[at..at + len * self.dim], len)
    }
}
