//! Evaluation of a checked expression over a block of rows, with reverse-mode derivatives.
//!
//! Nodes are visited in the graph's order (children before parents). Scalar nodes (parameters and
//! what depends on them only) are computed once per call; data nodes are feature columns computed once
//! per table (`Tape::features`); vector nodes get a buffer of one value per row. Derivatives run the
//! graph backwards once, carrying per row the derivative of the prediction with respect to each node
//! (its adjoint): one backward sweep gives the derivatives with respect to every parameter at once,
//! which is what makes an expression with many parameters as cheap to fit as one with few.

use std::cell::RefCell;

use super::graph::{Graph, Kind, Op};
use super::ops::{self, ln_block, Val};
use crate::error::{CoreError, Result};
use crate::laws::{Features, Space};

pub struct Tape {
    nodes: Vec<Op>,
    kinds: Vec<Kind>,
    pos: Vec<usize>,
    out: usize,
    /// For each node, its buffer: the feature column of a data node used by the tape, the value
    /// buffer of a vector node (usize::MAX for others).
    slot: Vec<usize>,
    n_slots: usize,
    /// The adjoint buffer of each node that depends on parameters (usize::MAX for others).
    adjoint: Vec<usize>,
    n_adjoints: usize,
    /// Data nodes that are feature columns, in column order.
    features: Vec<usize>,
    /// Per parameter: whether its public value is e^theta (declared positive).
    log_param: Vec<bool>,
}

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl Tape {
    pub fn new(g: &Graph, log_param: Vec<bool>) -> Tape {
        let n = g.nodes.len();
        let mut used_as_operand = vec![false; n];
        for (i, op) in g.nodes.iter().enumerate() {
            if g.kinds[i] != Kind::Data {
                let (a, b) = op.children();
                a.into_iter().chain(b).for_each(|c| used_as_operand[c] = true);
            }
        }
        used_as_operand[g.out] |= g.kinds[g.out] == Kind::Data;
        let (mut slot, mut adjoint) = (vec![usize::MAX; n], vec![usize::MAX; n]);
        let (mut features, mut n_slots, mut n_adjoints) = (Vec::new(), 0, 0);
        for i in 0..n {
            match g.kinds[i] {
                Kind::Data if used_as_operand[i] => {
                    slot[i] = features.len();
                    features.push(i);
                }
                Kind::Vector => {
                    slot[i] = n_slots;
                    n_slots += 1;
                }
                _ => {}
            }
            if g.kinds[i].has_params() {
                adjoint[i] = n_adjoints;
                n_adjoints += 1;
            }
        }
        Tape {
            nodes: g.nodes.clone(),
            kinds: g.kinds.clone(),
            pos: g.pos.clone(),
            out: g.out,
            slot,
            n_slots,
            adjoint,
            n_adjoints,
            features,
            log_param,
        }
    }

    pub fn feature_of(&self, node: usize) -> Option<usize> {
        (self.kinds[node] == Kind::Data && self.slot[node] != usize::MAX).then_some(self.slot[node])
    }

    /// The feature columns (data nodes used by the tape) from the input columns in `inputs`
    /// (`inputs[k]` is the column of `Op::Input(k)`); non-finite values are refused, with the
    /// expression's position that produced them.
    pub fn features(&self, text: &str, inputs: &[Option<&[f64]>], n_rows: usize) -> Result<Features> {
        let n = self.nodes.len();
        let mut data: Vec<Option<Vec<f64>>> = vec![None; n];
        let last_feature = self.features.last().map_or(0, |&f| f + 1);
        for i in 0..last_feature {
            if self.kinds[i] != Kind::Data {
                continue;
            }
            let values = match self.nodes[i] {
                Op::Input(k) => inputs.get(k).copied().flatten().map(<[f64]>::to_vec).unwrap_or_default(),
                op => {
                    let column = |c: Option<usize>| match c {
                        Some(c) if self.kinds[c] == Kind::Data => Val::V(data[c].as_deref().unwrap_or_default()),
                        Some(c) => Val::S(ops::value(self.nodes[c], 0.0, 0.0)),
                        None => Val::S(0.0),
                    };
                    let (a, b) = op.children();
                    let (a, b) = (column(a), column(b));
                    if [a, b].iter().any(|v| matches!(v, Val::V(v) if v.len() != n_rows)) {
                        return Err(CoreError::invalid("runs", "the input columns differ in length"));
                    }
                    let mut out = vec![0.0; n_rows];
                    ops::value_block(op, a, b, &mut out);
                    out
                }
            };
            if values.len() != n_rows {
                return Err(CoreError::invalid("runs", "the input columns differ in length"));
            }
            data[i] = Some(values);
        }
        let mut cols = Vec::with_capacity(self.features.len());
        for &f in &self.features {
            let values = data[f].take().unwrap_or_default();
            if let Some((row, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                let reason = format!(
                    "the part of the expression at position {} is {v} at run {row}: the data are outside its \
                     domain (e.g. the log or a power with a parameter exponent of a value that is not positive)",
                    self.pos[f]
                );
                return Err(CoreError::invalid("runs", format!("{reason}\n  {text}")));
            }
            cols.push(values);
        }
        Ok(Features { cols, n_rows })
    }

    /// Predictions for rows `start..end` of `feats` in `space`; the Jacobian (parameter-major) too
    /// when `jac` is given.
    #[allow(clippy::too_many_arguments)]
    pub fn predict_block(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above), the only requirement of the call.
                // As in `laws::lse`, wider vectors change no result bit: element-wise IEEE operations
                // only, no fused multiply-add.
                return unsafe { self.predict_block_avx2(theta, feats, start, end, space, pred, jac) };
            }
        }
        self.predict_block_portable(theta, feats, start, end, space, pred, jac)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn predict_block_avx2(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    ) {
        self.predict_block_portable(theta, feats, start, end, space, pred, jac)
    }

    /// The evaluation itself; everything it calls is inlined, so that the AVX2 copy above compiles
    /// all the row loops for 4-wide vectors.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn predict_block_portable(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    ) {
        let len = end - start;
        let n = self.nodes.len();
        SCRATCH.with_borrow_mut(|scratch| {
            let need = n + (self.n_slots + self.n_adjoints + 1) * len;
            if scratch.len() < need {
                scratch.resize(need, 0.0);
            }
            let (scalars, rest) = scratch.split_at_mut(n);
            let (values, rest) = rest.split_at_mut(self.n_slots * len);
            let (adjoints, rest) = rest.split_at_mut(self.n_adjoints * len);
            let tmp = &mut rest[..len];
            self.forward(theta, feats, start, len, scalars, values);
            self.output(feats, start, len, scalars, values, pred);
            if let Some(jac) = jac {
                self.backward(theta, feats, start, len, space, pred, scalars, values, adjoints, jac);
            }
            if space == Space::Log {
                tmp.copy_from_slice(pred);
                ln_block(tmp, pred);
            }
        });
    }

    /// The operand `c` over rows `start..start + len`: a feature column, a vector buffer, or one value.
    #[inline(always)]
    fn operand<'s>(
        &self,
        c: usize,
        feats: &'s Features,
        start: usize,
        len: usize,
        scalars: &[f64],
        values: &'s [f64],
    ) -> Val<'s> {
        match self.kinds[c] {
            Kind::Data => Val::V(&feats.cols[self.slot[c]][start..start + len]),
            Kind::Vector => Val::V(&values[self.slot[c] * len..(self.slot[c] + 1) * len]),
            _ => Val::S(scalars[c]),
        }
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        len: usize,
        scalars: &mut [f64],
        values: &mut [f64],
    ) {
        for (i, &op) in self.nodes.iter().enumerate() {
            match (self.kinds[i], op) {
                (Kind::Const, _) => scalars[i] = ops::value(op, 0.0, 0.0),
                (Kind::Scalar, Op::Param(j)) => {
                    scalars[i] = if self.log_param[j] { theta[j].exp() } else { theta[j] };
                }
                (Kind::Scalar, _) => {
                    let (a, b) = op.children();
                    let x = a.map_or(0.0, |a| scalars[a]);
                    let y = b.map_or(0.0, |b| scalars[b]);
                    scalars[i] = ops::value(op, x, y);
                }
                (Kind::Vector, _) => {
                    let (a, b) = op.children();
                    let (lo, hi) = values.split_at_mut(self.slot[i] * len);
                    let out = &mut hi[..len];
                    let Some(x) = a.map(|a| self.operand(a, feats, start, len, scalars, lo)) else { continue };
                    let y = b.map_or(x, |b| self.operand(b, feats, start, len, scalars, lo));
                    ops::value_block(op, x, y, out);
                }
                (Kind::Data, _) => {}
            }
        }
    }

    #[inline(always)]
    fn output(&self, feats: &Features, start: usize, len: usize, scalars: &[f64], values: &[f64], pred: &mut [f64]) {
        let o = self.out;
        match self.kinds[o] {
            Kind::Vector => pred.copy_from_slice(&values[self.slot[o] * len..(self.slot[o] + 1) * len]),
            Kind::Data => pred.copy_from_slice(&feats.cols[self.slot[o]][start..start + len]),
            _ => pred.fill(scalars[o]),
        }
    }

    /// Reverse sweep: `jac[j * len + i]` = d pred_i / d theta_j in `space` (`raw` is the linear-space
    /// prediction).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        len: usize,
        space: Space,
        raw: &[f64],
        scalars: &[f64],
        values: &[f64],
        adjoints: &mut [f64],
        jac: &mut [f64],
    ) {
        adjoints.fill(0.0);
        jac[..theta.len() * len].fill(0.0);
        let o = self.adjoint[self.out];
        let seed = &mut adjoints[o * len..(o + 1) * len];
        match space {
            Space::Linear => seed.fill(1.0),
            Space::Log => seed.iter_mut().zip(raw).for_each(|(s, v)| *s = 1.0 / v),
        }
        for i in (0..self.nodes.len()).rev() {
            if !self.kinds[i].has_params() {
                continue;
            }
            let op = self.nodes[i];
            let (lo, hi) = adjoints.split_at_mut(self.adjoint[i] * len);
            let adj = &hi[..len];
            if let Op::Param(j) = op {
                let scale = if self.log_param[j] { scalars[i] } else { 1.0 };
                jac[j * len..(j + 1) * len].iter_mut().zip(adj).for_each(|(g, a)| *g += a * scale);
                continue;
            }
            let (a, b) = op.children();
            let needs = |c: Option<usize>| c.filter(|&c| self.kinds[c].has_params());
            let (ga, gb) = (needs(a), needs(b));
            if ga.is_none() && gb.is_none() {
                continue;
            }
            if self.kinds[i] == Kind::Scalar {
                let x = a.map_or(0.0, |a| scalars[a]);
                let y = b.map_or(0.0, |b| scalars[b]);
                let (px, py) = ops::partials(op, x, y, scalars[i]);
                for (c, p) in [(ga, px), (gb, py)] {
                    if let Some(c) = c {
                        let dst = &mut lo[self.adjoint[c] * len..(self.adjoint[c] + 1) * len];
                        dst.iter_mut().zip(adj).for_each(|(d, a)| *d += a * p);
                    }
                }
                continue;
            }
            // A vector node: the chain rule into each operand's adjoint, row by row.
            let Some(x) = a.map(|a| self.operand(a, feats, start, len, scalars, values)) else { continue };
            let y = b.map_or(x, |b| self.operand(b, feats, start, len, scalars, values));
            let v = &values[self.slot[i] * len..(self.slot[i] + 1) * len];
            for (which, c) in [(0, ga), (1, gb)] {
                if let Some(c) = c {
                    let dst = &mut lo[self.adjoint[c] * len..(self.adjoint[c] + 1) * len];
                    ops::accumulate(op, which, x, y, v, adj, dst);
                }
            }
        }
    }
}
