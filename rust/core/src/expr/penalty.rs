//! A penalty of one residual written as an expression in `r` (e.g. `min(r^2, 0.01)` or
//! `log1p(r^2 / 0.001)`, Cauchy's loss), for objectives composed by the user (`fit::composed`).
//!
//! The text is parsed and checked like a law's (positions in errors), with `r` as its one variable
//! and no data: every node is then a number computed once per residual, with its derivative in `r`
//! carried forward alongside (forward mode: one pass, a value and a derivative per node).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use super::graph::{Graph, Kind, Names, Op};
use super::ops;
use super::parse::parse;
use crate::error::Result;

#[derive(Debug)]
pub struct PenaltyExpr {
    /// The expression as written (trimmed); two penalties are equal when their texts are.
    pub text: String,
    nodes: Vec<Op>,
    kinds: Vec<Kind>,
    out: usize,
}

impl PartialEq for PenaltyExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl PenaltyExpr {
    fn new(text: &str) -> Result<PenaltyExpr> {
        let tree = parse(text)?;
        let r = ["r".to_string()];
        let graph = Graph::build(text, &tree, &Names { inputs: &[], params: Some(&r[..]) })?;
        Ok(PenaltyExpr { text: text.to_string(), nodes: graph.nodes, kinds: graph.kinds, out: graph.out })
    }

    /// The penalty at `r` and its derivative. Where an operand's derivative is zero its term adds
    /// nothing (no 0 * inf = NaN).
    pub fn eval(&self, r: f64) -> (f64, f64) {
        let n = self.nodes.len();
        SCRATCH.with_borrow_mut(|s| {
            if s.len() < 2 * n {
                s.resize(2 * n, 0.0);
            }
            let (v, d) = s.split_at_mut(n);
            for (i, &op) in self.nodes.iter().enumerate() {
                let (a, b) = op.children();
                let (x, y) = (a.map_or(0.0, |a| v[a]), b.map_or(0.0, |b| v[b]));
                (v[i], d[i]) = match (self.kinds[i], op) {
                    (Kind::Scalar, Op::Param(_)) => (r, 1.0),
                    (Kind::Scalar, _) => {
                        let value = ops::value(op, x, y);
                        let (px, py) = ops::partials(op, x, y, value);
                        let term =
                            |c: Option<usize>, p: f64| c.map_or(0.0, |c| if d[c] == 0.0 { 0.0 } else { p * d[c] });
                        (value, term(a, px) + term(b, py))
                    }
                    _ => (ops::value(op, x, y), 0.0),
                };
            }
            (v[self.out], d[self.out])
        })
    }
}

/// The penalty written `text`, built once per distinct text for the life of the process (objectives
/// are `Copy` values that name it by reference, like the laws' interned names).
pub fn penalty(text: &str) -> Result<&'static PenaltyExpr> {
    static BUILT: LazyLock<Mutex<HashMap<String, &'static PenaltyExpr>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
    let text = text.trim();
    if let Some(&p) = BUILT.lock().unwrap_or_else(|e| e.into_inner()).get(text) {
        return Ok(p);
    }
    let built: &'static PenaltyExpr = Box::leak(Box::new(PenaltyExpr::new(text)?));
    BUILT.lock().unwrap_or_else(|e| e.into_inner()).insert(text.to_string(), built);
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_and_derivative_match_the_formula_and_central_differences() {
        let p = penalty("log1p(r^2 / 0.01) + 0.5 * min(abs(r), 0.3)").unwrap();
        for r in [-2.0, -0.1, 0.05, 0.7] {
            let want = (r * r / 0.01f64).ln_1p() + 0.5 * r.abs().min(0.3);
            let (v, d) = p.eval(r);
            assert!((v - want).abs() <= 1e-14 * want.abs(), "{v} vs {want}");
            let h = 1e-6;
            let fd = (p.eval(r + h).0 - p.eval(r - h).0) / (2.0 * h);
            assert!((d - fd).abs() < 1e-6 * fd.abs().max(1.0), "{d} vs {fd} at {r}");
        }
        assert!(std::ptr::eq(p, penalty(" log1p(r^2 / 0.01) + 0.5 * min(abs(r), 0.3)").unwrap()));
    }

    #[test]
    fn bad_penalties_are_refused_with_a_position() {
        for bad in ["r^2 +", "q^2", "N * r", "r / 0", "3"] {
            let err = penalty(bad).unwrap_err().to_string();
            assert!(err.contains("position") || err.contains("does not appear"), "{bad}: {err}");
        }
    }
}
