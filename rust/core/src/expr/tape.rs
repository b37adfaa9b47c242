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
use super::ops::{self, ln_block};
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
            let column = |c: Option<usize>, data: &Vec<Option<Vec<f64>>>| -> Vec<f64> {
                match c {
                    Some(c) if self.kinds[c] == Kind::Const => vec![ops::value(self.nodes[c], 0.0, 0.0); n_rows],
                    Some(c) => data[c].clone().unwrap_or_default(),
                    None => vec![0.0; n_rows],
                }
            };
            let values = match self.nodes[i] {
                Op::Input(k) => inputs.get(k).copied().flatten().map(<[f64]>::to_vec).unwrap_or_default(),
                op => {
                    let (a, b) = op.children();
                    let (a, b) = (column(a, &data), column(b, &data));
                    let mut out = vec![0.0; n_rows];
                    ops::value_block(op, &a, &b, &mut out);
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
        let len = end - start;
        let n = self.nodes.len();
        SCRATCH.with_borrow_mut(|scratch| {
            let need = n + (self.n_slots + self.n_adjoints + 4) * len;
            if scratch.len() < need {
                scratch.resize(need, 0.0);
            }
            let (scalars, rest) = scratch.split_at_mut(n);
            let (values, rest) = rest.split_at_mut(self.n_slots * len);
            let (adjoints, rest) = rest.split_at_mut(self.n_adjoints * len);
            let (ta, rest) = rest.split_at_mut(len);
            let (tb, rest) = rest.split_at_mut(len);
            let (da, db) = rest.split_at_mut(len);
            let db = &mut db[..len];
            self.forward(theta, feats, start, len, scalars, values, ta, tb);
            self.output(feats, start, len, scalars, values, pred);
            if let Some(jac) = jac {
                let tmp = [&mut *ta, &mut *tb, &mut da[..len], db];
                self.backward(theta, feats, start, len, space, pred, scalars, values, adjoints, tmp, jac);
            }
            if space == Space::Log {
                let (p, t) = (&mut *pred, &mut tb[..len]);
                t.copy_from_slice(p);
                ln_block(t, p);
            }
        });
    }

    /// The operand `c` as a row slice: a feature column, a vector buffer, or a constant or scalar
    /// broadcast into `tmp`.
    #[allow(clippy::too_many_arguments)]
    fn operand<'s>(
        &self,
        c: usize,
        feats: &'s Features,
        start: usize,
        len: usize,
        scalars: &[f64],
        values: &'s [f64],
        tmp: &'s mut [f64],
    ) -> &'s [f64] {
        match self.kinds[c] {
            Kind::Data => &feats.cols[self.slot[c]][start..start + len],
            Kind::Vector => &values[self.slot[c] * len..(self.slot[c] + 1) * len],
            _ => {
                tmp[..len].fill(scalars[c]);
                &tmp[..len]
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        len: usize,
        scalars: &mut [f64],
        values: &mut [f64],
        ta: &mut [f64],
        tb: &mut [f64],
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
                    let Some(x) = a.map(|a| self.operand(a, feats, start, len, scalars, lo, ta)) else { continue };
                    let y = b.map(|b| self.operand(b, feats, start, len, scalars, lo, tb));
                    ops::value_block(op, x, y.unwrap_or(x), out);
                }
                (Kind::Data, _) => {}
            }
        }
    }

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
        tmp: [&mut [f64]; 4],
        jac: &mut [f64],
    ) {
        let [ta, tb, da, db] = tmp;
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
            // A vector node: per-row partials, then the chain rule into each operand's adjoint.
            let Some(x) = a.map(|a| self.operand(a, feats, start, len, scalars, values, ta)) else { continue };
            let y = b.map(|b| self.operand(b, feats, start, len, scalars, values, tb));
            let v = &values[self.slot[i] * len..(self.slot[i] + 1) * len];
            ops::partials_block(op, x, y.unwrap_or(x), v, da, db);
            for (c, p) in [(ga, &*da), (gb, &*db)] {
                if let Some(c) = c {
                    let dst = &mut lo[self.adjoint[c] * len..(self.adjoint[c] + 1) * len];
                    dst.iter_mut().zip(adj).zip(p).for_each(|((d, a), p)| *d += a * p);
                }
            }
        }
    }
}
