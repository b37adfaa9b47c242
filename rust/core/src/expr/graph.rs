//! A checked expression: the syntax tree resolved into a graph of operations over inputs (columns of
//! the runs), parameters and constants, with common subexpressions shared, constants folded and
//! every name accounted for.
//!
//! Each node has a kind: `Const`, `Data` (depends on inputs only: computed once per table of runs, as
//! a feature column), `Scalar` (depends on parameters only: computed once per evaluation) or `Vector`
//! (both: computed row by row). A power with a parameter in its exponent and data in its base,
//! `N^-alpha`, is rewritten `exp(-alpha * log(N))` so that `log(N)` becomes a feature: the per-row work
//! of such a term is then one exponential, as in the hand-written laws.

use std::collections::HashMap;

use super::parse::{error_at, Ast, BinOp, Node};
use crate::error::{CoreError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A constant, by its bits (so that ops hash for sharing).
    Const(u64),
    Param(usize),
    Input(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Pow(usize, usize),
    Min(usize, usize),
    Max(usize, usize),
    Neg(usize),
    Exp(usize),
    Log(usize),
    Log1p(usize),
    Sqrt(usize),
    Abs(usize),
    Softplus(usize),
    Sigmoid(usize),
    /// exp(a * b): `exp(a * b)` fused by the tape into one pass over the rows (one buffer fewer, and
    /// one chain-rule step fewer); never built by the parser.
    ExpMul(usize, usize),
}

impl Op {
    pub fn children(self) -> (Option<usize>, Option<usize>) {
        use Op::*;
        match self {
            Const(_) | Param(_) | Input(_) => (None, None),
            Add(a, b) | Sub(a, b) | Mul(a, b) | Div(a, b) | Pow(a, b) | Min(a, b) | Max(a, b) | ExpMul(a, b) => {
                (Some(a), Some(b))
            }
            Neg(a) | Exp(a) | Log(a) | Log1p(a) | Sqrt(a) | Abs(a) | Softplus(a) | Sigmoid(a) => (Some(a), None),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Const,
    Data,
    Scalar,
    Vector,
}

impl Kind {
    fn join(self, other: Kind) -> Kind {
        use Kind::*;
        match (self, other) {
            (Const, k) | (k, Const) => k,
            (Data, Data) => Data,
            (Scalar, Scalar) => Scalar,
            _ => Vector,
        }
    }
    /// Whether the node's value depends on the parameters (and so needs a derivative).
    pub fn has_params(self) -> bool {
        matches!(self, Kind::Scalar | Kind::Vector)
    }
}

/// The functions an expression may call, with their number of arguments.
pub const FUNCTIONS: [(&str, usize); 11] = [
    ("exp", 1),
    ("log", 1),
    ("ln", 1),
    ("log1p", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("softplus", 1),
    ("sigmoid", 1),
    ("min", 2),
    ("max", 2),
    ("pow", 2),
];

/// Named constants (a parameter or input of the same name takes precedence).
const CONSTANTS: [(&str, f64); 1] = [("pi", std::f64::consts::PI)];

/// What the names of an expression are.
pub struct Names<'a> {
    /// Input columns the expression may read.
    pub inputs: &'a [String],
    /// Parameters, when declared; `None` makes every other name a parameter (in order of appearance).
    pub params: Option<&'a [String]>,
}

pub struct Graph {
    pub nodes: Vec<Op>,
    pub kinds: Vec<Kind>,
    /// Byte position in the text of the node's origin (for errors about data, e.g. log of a negative).
    pub pos: Vec<usize>,
    pub out: usize,
    pub params: Vec<String>,
    /// Inputs the expression reads, in the order of `Names::inputs`, with the position of a first use.
    pub inputs_used: Vec<(String, usize)>,
    /// First position of each parameter in the text.
    pub param_pos: Vec<usize>,
    index: HashMap<Op, usize>,
}

impl Graph {
    /// Resolve, check and fold `tree` (parsed from `text`).
    pub fn build(text: &str, tree: &Node, names: &Names) -> Result<Graph> {
        let params = names.params.map(<[String]>::to_vec).unwrap_or_default();
        let mut g = Graph {
            nodes: Vec::new(),
            kinds: Vec::new(),
            pos: Vec::new(),
            out: 0,
            param_pos: vec![usize::MAX; params.len()],
            params,
            inputs_used: Vec::new(),
            index: HashMap::new(),
        };
        g.out = g.node(text, tree, names)?;
        if let Some(j) = g.param_pos.iter().position(|&p| p == usize::MAX) {
            let name = &g.params[j];
            return Err(CoreError::invalid("params", format!("{name:?} does not appear in the expression {text:?}")));
        }
        if !g.kinds[g.out].has_params() {
            return Err(error_at(text, 0, "the expression has no parameters to fit"));
        }
        let order: Vec<&String> = names.inputs.iter().collect();
        g.inputs_used.sort_by_key(|(n, _)| order.iter().position(|o| *o == n));
        Ok(g)
    }

    fn push(&mut self, op: Op, kind: Kind, pos: usize) -> usize {
        if let Some(&i) = self.index.get(&op) {
            return i;
        }
        self.nodes.push(op);
        self.kinds.push(kind);
        self.pos.push(pos);
        self.index.insert(op, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    pub fn constant(&mut self, v: f64) -> usize {
        self.push(Op::Const(v.to_bits()), Kind::Const, 0)
    }

    pub fn const_value(&self, i: usize) -> Option<f64> {
        match self.nodes[i] {
            Op::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// A node for `op` at text position `pos`: folded when its operands are constants (an error, at
    /// `pos`, when that gives no finite number), otherwise shared with an equal node if there is one.
    pub fn op(&mut self, text: &str, op: Op, pos: usize) -> Result<usize> {
        let (a, b) = op.children();
        let ka = a.map_or(Kind::Const, |i| self.kinds[i]);
        let kb = b.map_or(Kind::Const, |i| self.kinds[i]);
        if matches!(op, Op::Div(..)) && b.and_then(|i| self.const_value(i)) == Some(0.0) {
            return Err(error_at(text, pos, "division by a constant zero"));
        }
        let kind = ka.join(kb);
        if kind == Kind::Const {
            let x = a.and_then(|i| self.const_value(i)).unwrap_or(0.0);
            let y = b.and_then(|i| self.const_value(i)).unwrap_or(0.0);
            let v = super::ops::value(op, x, y);
            if !v.is_finite() {
                return Err(error_at(text, pos, format!("this constant part evaluates to {v}")));
            }
            return Ok(self.constant(v));
        }
        // Rewrite data^f(params) as exp(f(params) * log(data)), so log(data) is a feature column.
        if let (Op::Pow(base, e), Kind::Data, true) = (op, ka, kb.has_params()) {
            let log_base = self.push(Op::Log(base), Kind::Data, pos);
            let product = self.op(text, Op::Mul(e, log_base), pos)?;
            return self.op(text, Op::Exp(product), pos);
        }
        Ok(self.push(op, kind, pos))
    }

    fn node(&mut self, text: &str, n: &Node, names: &Names) -> Result<usize> {
        match &n.ast {
            Ast::Num(v) => Ok(self.constant(*v)),
            Ast::Name(name) => self.name(text, name, n.pos, names),
            Ast::Neg(a) => {
                let a = self.node(text, a, names)?;
                self.op(text, Op::Neg(a), n.pos)
            }
            Ast::Bin(op, a, b) => {
                let (a, b) = (self.node(text, a, names)?, self.node(text, b, names)?);
                let op = match op {
                    BinOp::Add => Op::Add(a, b),
                    BinOp::Sub => Op::Sub(a, b),
                    BinOp::Mul => Op::Mul(a, b),
                    BinOp::Div => Op::Div(a, b),
                    BinOp::Pow => Op::Pow(a, b),
                };
                self.op(text, op, n.pos)
            }
            Ast::Call(f, args) => {
                let Some(&(_, arity)) = FUNCTIONS.iter().find(|(name, _)| name == f) else {
                    let known: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                    return Err(error_at(text, n.pos, format!("unknown function {f:?} (known: {})", known.join(", "))));
                };
                if args.len() != arity {
                    let what =
                        format!("{f} takes {arity} argument{}, got {}", if arity == 1 { "" } else { "s" }, args.len());
                    return Err(error_at(text, n.pos, what));
                }
                let a = self.node(text, &args[0], names)?;
                let b = if arity == 2 { self.node(text, &args[1], names)? } else { a };
                let op = match f.as_str() {
                    "exp" => Op::Exp(a),
                    "log" | "ln" => Op::Log(a),
                    "log1p" => Op::Log1p(a),
                    "sqrt" => Op::Sqrt(a),
                    "abs" => Op::Abs(a),
                    "softplus" => Op::Softplus(a),
                    "sigmoid" => Op::Sigmoid(a),
                    "min" => Op::Min(a, b),
                    "max" => Op::Max(a, b),
                    _ => Op::Pow(a, b),
                };
                self.op(text, op, n.pos)
            }
        }
    }

    fn name(&mut self, text: &str, name: &str, pos: usize, names: &Names) -> Result<usize> {
        if let Some(k) = names.inputs.iter().position(|i| i == name) {
            if names.params.is_some_and(|p| p.iter().any(|q| q == name)) {
                return Err(error_at(text, pos, format!("{name:?} is an input column and cannot be a parameter")));
            }
            if !self.inputs_used.iter().any(|(n, _)| n == name) {
                self.inputs_used.push((name.to_string(), pos));
            }
            return Ok(self.push(Op::Input(k), Kind::Data, pos));
        }
        let declared = self.params.iter().position(|p| p == name);
        let j = match (declared, names.params) {
            (Some(j), _) => j,
            (None, None) if !CONSTANTS.iter().any(|(c, _)| *c == name) && !is_function(name) => {
                self.params.push(name.to_string());
                self.param_pos.push(usize::MAX);
                self.params.len() - 1
            }
            _ => {
                if let Some(&(_, v)) = CONSTANTS.iter().find(|(c, _)| *c == name) {
                    return Ok(self.constant(v));
                }
                if is_function(name) {
                    return Err(error_at(text, pos, format!("{name:?} is a function: call it as {name}(...)")));
                }
                let known = names.params.unwrap_or_default().join(", ");
                let inputs = names.inputs.join(", ");
                return Err(error_at(
                    text,
                    pos,
                    format!("unknown name {name:?} (parameters: {known}; inputs: {inputs})"),
                ));
            }
        };
        if self.param_pos[j] == usize::MAX {
            self.param_pos[j] = pos;
        }
        Ok(self.push(Op::Param(j), Kind::Scalar, pos))
    }
}

fn is_function(name: &str) -> bool {
    FUNCTIONS.iter().any(|(f, _)| *f == name)
}
