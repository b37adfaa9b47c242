//! Recognising forms in a law's graph: the power-law terms `A * x^-alpha` that are centred as the
//! built-in laws' are (`Law::centring`), and the Chinchilla form `E + A / N^alpha + B / D^beta` that
//! gets the closed-form allocation and the derived quantities a, b and G (`Law::chinchilla_form`),
//! whatever names and spelling the user chose.

use super::graph::{Graph, Op};
use super::tape::Tape;

/// A term `A * exp(-alpha * f)` or `A / exp(alpha * f)` of the graph: A positive, alpha a parameter
/// fitted as itself, f a feature column.
pub(super) struct PowerTerm {
    pub node: usize,
    pub coef: usize,
    pub exponent: usize,
    pub col: usize,
}

/// The power-law terms (`PowerTerm`) of the graph, each coefficient once: they are centred
/// (`Law::centring`) as the built-in laws' terms are.
pub(super) fn power_terms(g: &Graph, tape: &Tape, log_param: &[bool]) -> Vec<PowerTerm> {
    let param = |i: usize| match g.nodes[i] {
        Op::Param(j) => Some(j),
        _ => None,
    };
    let positive = |i: usize| param(i).filter(|&j| log_param[j]);
    let exponent = |i: usize| param(i).filter(|&j| !log_param[j]);
    // q * f (either order) as (q, column).
    let scaled = |i: usize| match g.nodes[i] {
        Op::Mul(a, b) => match (exponent(a), tape.feature_of(b), exponent(b), tape.feature_of(a)) {
            (Some(q), Some(c), _, _) | (_, _, Some(q), Some(c)) => Some((q, c)),
            _ => None,
        },
        _ => None,
    };
    // -q * f as (q, column).
    let neg_scaled = |i: usize| match g.nodes[i] {
        Op::Neg(a) => scaled(a),
        Op::Mul(a, b) => {
            let neg_param = |n: usize| match g.nodes[n] {
                Op::Neg(p) => exponent(p),
                _ => None,
            };
            match (neg_param(a), tape.feature_of(b), neg_param(b), tape.feature_of(a)) {
                (Some(q), Some(c), _, _) | (_, _, Some(q), Some(c)) => Some((q, c)),
                _ => None,
            }
        }
        _ => None,
    };
    let exp_of = |i: usize| match g.nodes[i] {
        Op::Exp(a) => Some(a),
        _ => None,
    };
    let mut out: Vec<PowerTerm> = Vec::new();
    for (node, &op) in g.nodes.iter().enumerate() {
        let found = match op {
            Op::Mul(a, b) => {
                let (p, e) = if positive(a).is_some() { (a, b) } else { (b, a) };
                positive(p).zip(exp_of(e).and_then(neg_scaled))
            }
            Op::Div(a, b) => positive(a).zip(exp_of(b).and_then(scaled)),
            _ => None,
        };
        if let Some((coef, (exponent, col))) = found {
            if !out.iter().any(|t| t.coef == coef) {
                out.push(PowerTerm { node, coef, exponent, col });
            }
        }
    }
    out
}

/// The positions of (E, A, B, alpha, beta) when the expression is the sum of a positive parameter E
/// and two power-law terms, one in N and one in D (`A * N^-alpha`, `A / N^alpha`, ... in any order):
/// `Law::chinchilla_form`, so that such a law gets the closed-form allocation and a, b and G.
pub(super) fn chinchilla_form(
    g: &Graph,
    tape: &Tape,
    log_param: &[bool],
    candidates: &[String],
    terms: &[PowerTerm],
) -> Option<[usize; 5]> {
    let mut stack = vec![g.out];
    let mut summands = Vec::new();
    while let Some(i) = stack.pop() {
        match g.nodes[i] {
            Op::Add(a, b) => stack.extend([a, b]),
            _ => summands.push(i),
        }
    }
    if summands.len() != 3 {
        return None;
    }
    let mut e = None;
    let mut by_input: [Option<(usize, usize)>; 2] = [None, None];
    for &s in &summands {
        if let Op::Param(j) = g.nodes[s] {
            if !log_param[j] || e.replace(j).is_some() {
                return None;
            }
            continue;
        }
        let t = terms.iter().find(|t| t.node == s)?;
        // The feature must be log N or log D itself (not, say, log(N / 2)).
        let Op::Log(x) = g.nodes[tape.feature_node(t.col)] else { return None };
        let Op::Input(k) = g.nodes[x] else { return None };
        let slot = ["N", "D"].iter().position(|n| candidates.get(k).is_some_and(|c| c == n))?;
        if by_input[slot].replace((t.coef, t.exponent)).is_some() {
            return None;
        }
    }
    let (e, (a, alpha), (b, beta)) = (e?, by_input[0]?, by_input[1]?);
    let ix = [e, a, b, alpha, beta];
    (g.params.len() == 5 && (0..5).all(|j| ix.contains(&j))).then_some(ix)
}

#[cfg(test)]
mod tests {
    use crate::expr::law::{Definition, ExprLaw};
    use crate::laws::Law;

    #[test]
    fn the_chinchilla_form_is_found_by_structure_whatever_the_spelling() {
        let form = |expr: &str, positive: &[&str]| {
            let def = Definition {
                name: "chin_form".into(),
                expr: expr.into(),
                params: None,
                positive: positive.iter().map(|p| p.to_string()).collect(),
                bounds: vec![],
                inputs: None,
                grid: vec![],
            };
            ExprLaw::new(def).unwrap().chinchilla_form()
        };
        // Parameters in order of appearance: E, A, alpha, B, beta.
        assert_eq!(form("E + A * N^-alpha + B / D^beta", &["E", "A", "B"]), Some([0, 1, 3, 2, 4]));
        // Parameters in order of appearance: B, beta, L0, A, a.
        assert_eq!(form("B / D^beta + (L0 + A * N^(-a))", &["B", "L0", "A"]), Some([2, 3, 0, 4, 1]));
        assert_eq!(form("E + A * exp(-alpha * log(N)) + B * D^-beta", &["E", "A", "B"]), Some([0, 1, 3, 2, 4]));
        let not = [
            ("E + A * N^-alpha + B * D^-beta", &["A", "B"][..]),
            ("E + A * N^-alpha + B * N^-beta", &["E", "A", "B"][..]),
            ("E + A * N^-alpha + B * D^-beta + c", &["E", "A", "B"][..]),
            ("E + A * N^-alpha + B * (2 * D)^-beta", &["E", "A", "B"][..]),
            ("E + A * N^-alpha + B * D^-alpha", &["E", "A", "B"][..]),
            ("E + A * N^-alpha - B * D^-beta", &["E", "A", "B"][..]),
        ];
        for (expr, positive) in not {
            assert_eq!(form(expr, positive), None, "{expr}");
        }
    }
}
