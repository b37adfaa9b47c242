//! Evaluation of a checked expression over a block of rows, with reverse-mode derivatives.
//!
//! Nodes are visited in the graph's order (children before parents). Scalar nodes (parameters and
//! what depends on them only) are computed once per call, with their derivatives with respect to the
//! parameters (forward mode: a handful of numbers); data nodes are feature columns computed once per
//! table (`Tape::features`); vector nodes get a buffer of one value per row. Derivatives run the vector
//! part of the graph backwards once, carrying per row the derivative of the prediction with respect to
//! each vector node (its adjoint): one backward sweep gives the derivatives with respect to every
//! parameter at once, which is what makes an expression with many parameters as cheap to fit as one
//! with few.
//!
//! The backward sweep is planned once, when the tape is built (`Step`), so that it makes as few passes
//! over the rows as the hand-written laws: an adjoint's first contribution overwrites its buffer (no
//! buffer is cleared), an operand of a sum used nowhere else shares its parent's adjoint (no copy), a
//! scalar operand's contribution goes straight into the Jacobian rows of the parameters it depends on
//! (no per-row adjoint for `alpha`, `-alpha`, `A`, ...), `exp(a * b)` is one operation, not two, and
//! so is `A * exp(a * b)` with A positive: `exp(a * b + ln A)`, the form the built-in laws' kernels
//! use (Hoffmann et al. 2022's log-sum-exp), whose derivative with respect to ln A is its value.

use std::cell::RefCell;

use super::graph::{Graph, Kind, Op};
use super::ops::{self, ln_block, Dest, Val};
use crate::error::{CoreError, Result};
use crate::laws::{Features, Space};

/// Where one step of the backward sweep writes.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The adjoint buffer of a vector operand.
    Adjoint(usize),
    /// The Jacobian row of parameter `param`, scaled by the derivative of scalar node `node` with
    /// respect to it.
    Jac { param: usize, node: usize },
    /// The Jacobian row of the positive parameter whose logarithm is a fused node's offset
    /// (`Tape::offset`): d exp(a * b + theta) / d theta is the node's value.
    Offset(usize),
}

/// One pass of the backward sweep: the chain rule from vector node `node` into its operand `which`.
#[derive(Debug, Clone, Copy)]
struct Step {
    node: usize,
    which: usize,
    target: Target,
    assign: bool,
}

pub struct Tape {
    nodes: Vec<Op>,
    kinds: Vec<Kind>,
    pos: Vec<usize>,
    out: usize,
    /// Whether the output depends on the node (nodes fused away, e.g. the product inside
    /// `exp(a * b)`, do not).
    live: Vec<bool>,
    /// For each node, its buffer: the feature column of a data node used by the tape, the value
    /// buffer of a vector node (usize::MAX for others).
    slot: Vec<usize>,
    n_slots: usize,
    /// The adjoint buffer of each live vector node (usize::MAX for others); several nodes may share one.
    adjoint: Vec<usize>,
    n_adjoints: usize,
    /// The backward sweep, in order.
    steps: Vec<Step>,
    /// Per scalar node, the parameters it depends on.
    deps: Vec<Vec<usize>>,
    /// Parameters whose Jacobian rows no step writes (the output does not depend on them per row).
    unwritten: Vec<usize>,
    /// Data nodes that are feature columns, in column order.
    features: Vec<usize>,
    /// Per parameter: whether its public value is e^theta (declared positive).
    log_param: Vec<bool>,
    /// Per node: the positive parameter j of a term `A * exp(a * b)` fused into `exp(a * b + theta_j)`.
    offset: Vec<Option<usize>>,
}

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl Tape {
    pub fn new(g: &Graph, log_param: Vec<bool>) -> Tape {
        let n = g.nodes.len();
        let kinds = g.kinds.clone();
        let mut nodes = g.nodes.clone();
        let operands = |op: Op| {
            let (a, b) = op.children();
            a.into_iter().chain(b)
        };
        // Uses of each node as an operand of a node that is not data (features are computed apart).
        let mut uses = vec![0usize; n];
        for (i, &op) in nodes.iter().enumerate() {
            if kinds[i] != Kind::Data {
                operands(op).for_each(|c| uses[c] += 1);
            }
        }
        // exp(a * b) as one operation where the product is a vector used only there.
        for i in 0..n {
            if let (Kind::Vector, Op::Exp(m)) = (kinds[i], nodes[i]) {
                if let (Kind::Vector, Op::Mul(a, b), 1) = (kinds[m], nodes[m], uses[m]) {
                    nodes[i] = Op::ExpMul(a, b);
                }
            }
        }
        // A * exp(a * b), A positive, as exp(a * b + ln A) where the exponential is used only there.
        let mut offset = vec![None; n];
        for i in 0..n {
            let (Kind::Vector, Op::Mul(a, b)) = (kinds[i], nodes[i]) else { continue };
            let positive = |c: usize| match nodes[c] {
                Op::Param(j) if log_param[j] => Some(j),
                _ => None,
            };
            let fused = |c: usize| match (nodes[c], uses[c]) {
                (Op::ExpMul(x, y), 1) => Some(Op::ExpMul(x, y)),
                _ => None,
            };
            if let Some((j, op)) = positive(a).zip(fused(b)).or_else(|| positive(b).zip(fused(a))) {
                nodes[i] = op;
                offset[i] = Some(j);
            }
        }
        let mut live = vec![false; n];
        live[g.out] = true;
        for i in (0..n).rev() {
            if live[i] && kinds[i] != Kind::Data {
                operands(nodes[i]).for_each(|c| live[c] = true);
            }
        }
        let mut uses = vec![0usize; n];
        for (i, &op) in nodes.iter().enumerate() {
            if live[i] && kinds[i] != Kind::Data {
                operands(op).for_each(|c| uses[c] += 1);
            }
        }
        let mut used_as_operand = vec![false; n];
        for (i, op) in nodes.iter().enumerate() {
            if live[i] && kinds[i] != Kind::Data {
                operands(*op).for_each(|c| used_as_operand[c] = true);
            }
        }
        used_as_operand[g.out] |= kinds[g.out] == Kind::Data;
        let (mut slot, mut features, mut n_slots) = (vec![usize::MAX; n], Vec::new(), 0);
        for i in 0..n {
            match kinds[i] {
                Kind::Data if used_as_operand[i] => {
                    slot[i] = features.len();
                    features.push(i);
                }
                Kind::Vector if live[i] => {
                    slot[i] = n_slots;
                    n_slots += 1;
                }
                _ => {}
            }
        }
        let n_params = log_param.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            if kinds[i] == Kind::Scalar {
                deps[i] = match nodes[i] {
                    Op::Param(j) => vec![j],
                    op => {
                        let mut d: Vec<usize> = operands(op).flat_map(|c| deps[c].clone()).collect();
                        d.sort_unstable();
                        d.dedup();
                        d
                    }
                };
            }
        }
        // The backward plan: parents before operands. Adjoint buffers are numbered as they are met,
        // so an operand's buffer always comes after its parent's (the sweep splits the scratch there).
        let (mut adjoint, mut n_adjoints) = (vec![usize::MAX; n], 0);
        let (mut written, mut jac_written) = (vec![false; n], vec![false; n_params]);
        let mut steps = Vec::new();
        if kinds[g.out] == Kind::Vector {
            adjoint[g.out] = 0;
            n_adjoints = 1;
            written[g.out] = true;
        }
        for i in (0..n).rev() {
            if !(live[i] && kinds[i] == Kind::Vector) {
                continue;
            }
            if let Some(j) = offset[i] {
                steps.push(Step { node: i, which: 0, target: Target::Offset(j), assign: !jac_written[j] });
                jac_written[j] = true;
            }
            let (a, b) = nodes[i].children();
            for (which, c) in [(0, a), (1, b)] {
                let Some(c) = c else { continue };
                match kinds[c] {
                    Kind::Vector => {
                        let pass_through = matches!((nodes[i], which), (Op::Add(..), _) | (Op::Sub(..), 0));
                        if pass_through && uses[c] == 1 {
                            adjoint[c] = adjoint[i];
                            written[c] = true;
                            continue;
                        }
                        if adjoint[c] == usize::MAX {
                            adjoint[c] = n_adjoints;
                            n_adjoints += 1;
                        }
                        steps.push(Step { node: i, which, target: Target::Adjoint(adjoint[c]), assign: !written[c] });
                        written[c] = true;
                    }
                    Kind::Scalar => {
                        for &param in &deps[c] {
                            steps.push(Step {
                                node: i,
                                which,
                                target: Target::Jac { param, node: c },
                                assign: !jac_written[param],
                            });
                            jac_written[param] = true;
                        }
                    }
                    Kind::Const | Kind::Data => {}
                }
            }
        }
        let unwritten = if kinds[g.out] == Kind::Scalar {
            Vec::new()
        } else {
            (0..n_params).filter(|&j| !jac_written[j]).collect()
        };
        Tape {
            nodes,
            kinds,
            pos: g.pos.clone(),
            out: g.out,
            live,
            slot,
            n_slots,
            adjoint,
            n_adjoints,
            steps,
            deps,
            unwritten,
            features,
            log_param,
            offset,
        }
    }

    /// The data node feature column `col` holds.
    pub fn feature_node(&self, col: usize) -> usize {
        self.features[col]
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
        let k = self.log_param.len();
        SCRATCH.with_borrow_mut(|scratch| {
            let need = n * (1 + k) + (self.n_slots + self.n_adjoints + 1) * len;
            if scratch.len() < need {
                scratch.resize(need, 0.0);
            }
            let (scalars, rest) = scratch.split_at_mut(n);
            let (grads, rest) = rest.split_at_mut(n * k);
            let (values, rest) = rest.split_at_mut(self.n_slots * len);
            let (adjoints, rest) = rest.split_at_mut(self.n_adjoints * len);
            let tmp = &mut rest[..len];
            self.forward(theta, feats, start, len, scalars, values);
            self.output(feats, start, len, scalars, values, pred);
            if let Some(jac) = jac {
                self.scalar_gradients(theta, scalars, grads);
                self.backward(feats, start, len, space, pred, scalars, grads, values, adjoints, tmp, jac);
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
            if !self.live[i] {
                continue;
            }
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
                    match self.offset[i] {
                        Some(j) => ops::exp_mul_add_block(x, y, theta[j], out),
                        None => ops::value_block(op, x, y, out),
                    }
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

    /// `grads[i * k + j]` = d scalar node i / d theta_j (forward mode; a few numbers per call). A zero
    /// derivative of an operand stays zero whatever the partial (no 0 * inf = NaN where a term has
    /// under- or overflowed).
    fn scalar_gradients(&self, theta: &[f64], scalars: &[f64], grads: &mut [f64]) {
        let k = theta.len();
        for (i, &op) in self.nodes.iter().enumerate() {
            if !(self.live[i] && self.kinds[i] == Kind::Scalar) {
                continue;
            }
            let (done, rest) = grads.split_at_mut(i * k);
            let g = &mut rest[..k];
            g.fill(0.0);
            if let Op::Param(j) = op {
                g[j] = if self.log_param[j] { scalars[i] } else { 1.0 };
                continue;
            }
            let (a, b) = op.children();
            let x = a.map_or(0.0, |a| scalars[a]);
            let y = b.map_or(0.0, |b| scalars[b]);
            let (px, py) = ops::partials(op, x, y, scalars[i]);
            for (c, p) in [(a, px), (b, py)] {
                let Some(c) = c.filter(|&c| self.kinds[c] == Kind::Scalar) else { continue };
                for &j in &self.deps[c] {
                    let d = done[c * k + j];
                    if d != 0.0 {
                        g[j] += p * d;
                    }
                }
            }
        }
    }

    /// Reverse sweep (`Step`): `jac[j * len + i]` = d pred_i / d theta_j in `space` (`raw` is the
    /// linear-space prediction).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        feats: &Features,
        start: usize,
        len: usize,
        space: Space,
        raw: &[f64],
        scalars: &[f64],
        grads: &[f64],
        values: &[f64],
        adjoints: &mut [f64],
        seed: &mut [f64],
        jac: &mut [f64],
    ) {
        let k = self.log_param.len();
        match space {
            Space::Linear => seed.fill(1.0),
            Space::Log => seed.iter_mut().zip(raw).for_each(|(s, v)| *s = 1.0 / v),
        }
        let o = self.out;
        if self.kinds[o] == Kind::Scalar {
            for j in 0..k {
                let d = grads[o * k + j];
                jac[j * len..(j + 1) * len].iter_mut().zip(seed.iter()).for_each(|(g, s)| *g = s * d);
            }
            return;
        }
        adjoints[..len].copy_from_slice(seed);
        for &j in &self.unwritten {
            jac[j * len..(j + 1) * len].fill(0.0);
        }
        for step in &self.steps {
            let i = step.node;
            let op = self.nodes[i];
            let (a, b) = op.children();
            let Some(x) = a.map(|a| self.operand(a, feats, start, len, scalars, values)) else { continue };
            let y = b.map_or(x, |b| self.operand(b, feats, start, len, scalars, values));
            let v = &values[self.slot[i] * len..(self.slot[i] + 1) * len];
            let from = self.adjoint[i];
            match step.target {
                Target::Adjoint(to) => {
                    let (adj, dst) = two_rows(adjoints, len, from, to);
                    ops::accumulate(op, step.which, x, y, v, adj, dst, Dest { assign: step.assign, scale: 1.0 });
                }
                Target::Jac { param, node } => {
                    let adj = &adjoints[from * len..(from + 1) * len];
                    let dst = &mut jac[param * len..(param + 1) * len];
                    let into = Dest { assign: step.assign, scale: grads[node * k + param] };
                    ops::accumulate(op, step.which, x, y, v, adj, dst, into);
                }
                Target::Offset(param) => {
                    let adj = &adjoints[from * len..(from + 1) * len];
                    let dst = &mut jac[param * len..(param + 1) * len];
                    // d v / d theta = v, the partial `Exp` has.
                    ops::accumulate(Op::Exp(i), 0, x, y, v, adj, dst, Dest { assign: step.assign, scale: 1.0 });
                }
            }
        }
    }
}

/// Rows `from` (read) and `to` (written) of a buffer of rows of `len` values; they differ.
#[inline(always)]
fn two_rows(buf: &mut [f64], len: usize, from: usize, to: usize) -> (&[f64], &mut [f64]) {
    if from < to {
        let (lo, hi) = buf.split_at_mut(to * len);
        (&lo[from * len..(from + 1) * len], &mut hi[..len])
    } else {
        let (lo, hi) = buf.split_at_mut(from * len);
        (&hi[..len], &mut lo[to * len..(to + 1) * len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse::parse;

    #[test]
    fn the_chinchilla_sweep_is_planned_in_few_passes() {
        let text = "E + A * N^-alpha + B * D^-beta";
        let inputs: Vec<String> = ["N", "D"].map(String::from).to_vec();
        let g =
            Graph::build(text, &parse(text).unwrap(), &super::super::graph::Names { inputs: &inputs, params: None })
                .unwrap();
        let tape = Tape::new(&g, vec![true, true, false, true, false]);
        // Forward: exp(-alpha log N + ln A), E + that, the same for D, the sum: 4 vector passes.
        assert_eq!(tape.n_slots, 4);
        // Backward: E, A, alpha, B, beta into the Jacobian, all from the output's adjoint (the sums
        // pass it through without a copy).
        assert_eq!(tape.steps.len(), 5);
        assert_eq!(tape.n_adjoints, 1);
        assert!(tape.unwritten.is_empty());
    }
}
