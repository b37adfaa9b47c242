//! A law defined by an expression: the `Law` the fit engine, the bootstrap and the allocation
//! queries use, built from a `Definition` and kept in a process-wide registry by name.
//!
//! Parameters declared positive are fitted as their logarithms, like the coefficients of the
//! built-in laws. Terms `A * x^-alpha` (or `A / x^alpha`) with A positive and x data are recognised
//! and centred (`Law::centring`) as the built-in laws' are.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use super::graph::{Graph, Names, Op, FUNCTIONS};
use super::parse::{error_at, parse};
use super::tape::Tape;
use crate::error::{CoreError, Result};
use crate::laws::{self, cartesian_grid, Columns, Features, Law, ParamSpec, Space, Transform};

/// The standard input columns an expression can read (`Columns`); a definition may name extra ones.
pub const INPUTS: [&str; 6] = ["x", "N", "D", "U", "C", "M"];

/// Start grids generated from the bounds stay near this many starts in all.
const GRID_TARGET: f64 = 1024.0;

/// A law as the user wrote it: everything needed to rebuild it (e.g. on another process).
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub name: String,
    pub expr: String,
    /// Parameter names in order; `None` takes every name that is not an input, a function or a
    /// constant as a parameter, in order of first appearance.
    pub params: Option<Vec<String>>,
    /// Parameters fitted in log space (their values are positive).
    pub positive: Vec<String>,
    /// Ranges of public parameter values from which start grids are drawn.
    pub bounds: Vec<(String, f64, f64)>,
    /// Input columns the expression may read; `None` allows all of `INPUTS`.
    pub inputs: Option<Vec<String>>,
    /// Start values (public) per parameter; the others are spread over their ranges.
    pub grid: Vec<(String, Vec<f64>)>,
}

pub struct ExprLaw {
    definition: Definition,
    name: &'static str,
    params: Vec<ParamSpec>,
    /// Inputs the expression reads (in `INPUTS` order) and, for each, its index in the candidate list.
    inputs: &'static [&'static str],
    candidates: Vec<String>,
    tape: Tape,
    grid: Vec<Vec<f64>>,
    centring: Vec<(usize, usize, usize)>,
    chinchilla: Option<[usize; 5]>,
}

/// Names of parameters and laws live as long as the process (the `Law` trait hands them out as
/// `&'static str`, like the built-in laws' literals); interning keeps one copy of each distinct name,
/// so redefining a law any number of times does not grow memory.
fn intern(s: &str) -> &'static str {
    static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(|| Mutex::new(HashSet::new()));
    let mut set = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&v) = set.get(s) {
        return v;
    }
    let v: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(v);
    v
}

fn intern_list(names: &[&str]) -> &'static [&'static str] {
    static LISTS: LazyLock<Mutex<HashMap<Vec<&'static str>, &'static [&'static str]>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let key: Vec<&'static str> = names.iter().map(|n| intern(n)).collect();
    let mut map = LISTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&v) = map.get(&key) {
        return v;
    }
    let v: &'static [&'static str] = Box::leak(key.clone().into_boxed_slice());
    map.insert(key, v);
    v
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl ExprLaw {
    pub fn new(def: Definition) -> Result<ExprLaw> {
        if !is_identifier(&def.name) {
            return Err(CoreError::invalid("name", format!("must be an identifier, got {:?}", def.name)));
        }
        let candidates: Vec<String> = match &def.inputs {
            // Besides the standard columns, any column the runs carry under a name of the user's.
            Some(list) => {
                let function = |c: &str| FUNCTIONS.iter().any(|(f, _)| *f == c);
                if let Some(bad) = list.iter().find(|c| !is_identifier(c) || function(c)) {
                    return Err(CoreError::invalid(
                        "inputs",
                        format!("{bad:?} cannot name a column (an identifier that is not a function name)"),
                    ));
                }
                list.clone()
            }
            None => INPUTS.iter().map(|s| s.to_string()).collect(),
        };
        let tree = parse(&def.expr)?;
        let names = Names { inputs: &candidates, params: def.params.as_deref() };
        let graph = Graph::build(&def.expr, &tree, &names)?;
        let k = graph.params.len();
        for (arg, list) in
            [("positive", def.positive.clone()), ("bounds", def.bounds.iter().map(|b| b.0.clone()).collect())]
        {
            for p in list {
                if graph.params.contains(&p) {
                    continue;
                }
                if let Some((_, pos)) = graph.inputs_used.iter().find(|(n, _)| *n == p) {
                    return Err(error_at(&def.expr, *pos, format!("{arg}: {p:?} is an input column, not a parameter")));
                }
                return Err(CoreError::invalid(
                    arg,
                    format!("{p:?} is not a parameter of {:?} (parameters: {:?})", def.expr, graph.params),
                ));
            }
        }
        for (p, lo, hi) in &def.bounds {
            let positive = def.positive.contains(p);
            if !(lo.is_finite() && hi.is_finite() && lo < hi && (!positive || *lo > 0.0)) {
                let need = if positive { " with 0 < low (the parameter is positive)" } else { "" };
                return Err(CoreError::invalid(
                    "bounds",
                    format!("{p}: need finite low < high{need}, got ({lo}, {hi})"),
                ));
            }
        }
        let log_param: Vec<bool> = graph.params.iter().map(|p| def.positive.contains(p)).collect();
        let tape = Tape::new(&graph, log_param.clone());
        let params: Vec<ParamSpec> = graph
            .params
            .iter()
            .zip(&log_param)
            .map(|(p, &log)| {
                let transform = if log { Transform::Log } else { Transform::Identity };
                let (lo, hi) = match def.bounds.iter().find(|b| &b.0 == p) {
                    Some(&(_, lo, hi)) => (lo, hi),
                    None if log => (1e-2, 1e4),
                    None => (0.0, 1.0),
                };
                ParamSpec {
                    name: intern(p),
                    transform,
                    lower: transform.to_internal(lo),
                    upper: transform.to_internal(hi),
                }
            })
            .collect();
        let grid = start_grid(&params, &def.grid)?;
        let used: Vec<&str> = graph.inputs_used.iter().map(|(n, _)| n.as_str()).collect();
        let terms = power_terms(&graph, &tape, &log_param);
        let chinchilla = chinchilla_form(&graph, &tape, &log_param, &candidates, &terms);
        let centring = terms.iter().map(|t| (t.coef, t.exponent, t.col)).collect();
        debug_assert_eq!(params.len(), k);
        Ok(ExprLaw {
            name: intern(&def.name),
            inputs: intern_list(&used),
            definition: def,
            params,
            candidates,
            tape,
            grid,
            centring,
            chinchilla,
        })
    }

    pub fn definition(&self) -> &Definition {
        &self.definition
    }
}

/// The start grid: the given public values of a parameter, or values spread evenly (in the fitted
/// coordinate) over its range, as many per parameter as keeps the grid near `GRID_TARGET` starts.
fn start_grid(params: &[ParamSpec], given: &[(String, Vec<f64>)]) -> Result<Vec<Vec<f64>>> {
    for (p, _) in given {
        if !params.iter().any(|s| s.name == p) {
            return Err(CoreError::invalid("grid", format!("{p:?} is not a parameter")));
        }
    }
    let free = params.iter().filter(|s| !given.iter().any(|g| g.0 == s.name)).count();
    let per = if free == 0 { 1 } else { (GRID_TARGET.powf(1.0 / free as f64).floor() as usize).clamp(2, 5) };
    let mut axes: Vec<Vec<f64>> = Vec::with_capacity(params.len());
    for s in params {
        let axis = match given.iter().find(|g| g.0 == s.name) {
            Some((_, values)) => {
                if values.is_empty()
                    || values.iter().any(|v| !v.is_finite() || (s.transform == Transform::Log && *v <= 0.0))
                {
                    return Err(CoreError::invalid(
                        "grid",
                        format!("{}: need finite values (positive for a positive parameter), got {values:?}", s.name),
                    ));
                }
                values.iter().map(|&v| s.transform.to_internal(v)).collect()
            }
            None => (0..per).map(|i| s.lower + (s.upper - s.lower) * i as f64 / (per - 1) as f64).collect(),
        };
        axes.push(axis);
    }
    let refs: Vec<&[f64]> = axes.iter().map(Vec::as_slice).collect();
    Ok(cartesian_grid(&refs))
}

/// A term `A * exp(-alpha * f)` or `A / exp(alpha * f)` of the graph: A positive, alpha a parameter
/// fitted as itself, f a feature column.
struct PowerTerm {
    node: usize,
    coef: usize,
    exponent: usize,
    col: usize,
}

/// The power-law terms (`PowerTerm`) of the graph, each coefficient once: they are centred
/// (`Law::centring`) as the built-in laws' terms are.
fn power_terms(g: &Graph, tape: &Tape, log_param: &[bool]) -> Vec<PowerTerm> {
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
fn chinchilla_form(
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

impl Law for ExprLaw {
    fn name(&self) -> &'static str {
        self.name
    }
    fn params(&self) -> &[ParamSpec] {
        &self.params
    }
    fn inputs(&self) -> &'static [&'static str] {
        self.inputs
    }
    fn features(&self, cols: &Columns) -> Result<Features> {
        let mut inputs: Vec<Option<&[f64]>> = vec![None; self.candidates.len()];
        let mut n_rows = None;
        for name in self.inputs {
            let col = cols.require(name, self.name)?;
            if let Some(bad) = col.iter().find(|v| !v.is_finite()) {
                return Err(CoreError::invalid(*name, format!("must be finite, got {bad}")));
            }
            if n_rows.is_some_and(|n| n != col.len()) {
                return Err(CoreError::invalid(*name, format!("has {} rows, the other inputs {n_rows:?}", col.len())));
            }
            n_rows = Some(col.len());
            if let Some(k) = self.candidates.iter().position(|c| c == name) {
                inputs[k] = Some(col);
            }
        }
        let n_rows =
            n_rows.ok_or_else(|| CoreError::invalid("runs", format!("{} reads no input column", self.name)))?;
        self.tape.features(&self.definition.expr, &inputs, n_rows)
    }
    fn predict_block(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    ) {
        self.tape.predict_block(theta, feats, start, end, space, pred, jac)
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        self.grid.clone()
    }
    fn centring(&self) -> &[(usize, usize, usize)] {
        &self.centring
    }
    fn chinchilla_form(&self) -> Option<[usize; 5]> {
        self.chinchilla
    }
    fn definition(&self) -> Option<&Definition> {
        Some(&self.definition)
    }
}

impl Law for Arc<ExprLaw> {
    fn name(&self) -> &'static str {
        self.as_ref().name()
    }
    fn params(&self) -> &[ParamSpec] {
        self.as_ref().params()
    }
    fn inputs(&self) -> &'static [&'static str] {
        self.as_ref().inputs()
    }
    fn features(&self, cols: &Columns) -> Result<Features> {
        self.as_ref().features(cols)
    }
    fn predict_block(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    ) {
        self.as_ref().predict_block(theta, feats, start, end, space, pred, jac)
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        self.as_ref().default_grid()
    }
    fn centring(&self) -> &[(usize, usize, usize)] {
        self.as_ref().centring()
    }
    fn chinchilla_form(&self) -> Option<[usize; 5]> {
        self.as_ref().chinchilla_form()
    }
    fn definition(&self) -> Option<&Definition> {
        Some(self.as_ref().definition())
    }
}

static REGISTRY: LazyLock<RwLock<HashMap<String, Arc<ExprLaw>>>> = LazyLock::new(|| RwLock::new(HashMap::new()));

/// Build the law `def` describes and register it under its name (replacing an earlier definition of
/// that name; fits made with the earlier one keep it). Built-in names cannot be redefined.
pub fn define(def: Definition) -> Result<Arc<ExprLaw>> {
    if laws::names().contains(&def.name.as_str()) {
        return Err(CoreError::invalid("name", format!("{:?} is a built-in law; choose another name", def.name)));
    }
    let law = Arc::new(ExprLaw::new(def)?);
    let mut reg = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    reg.insert(law.definition.name.clone(), law.clone());
    Ok(law)
}

/// The defined law called `name`, if any.
pub fn lookup(name: &str) -> Option<Arc<ExprLaw>> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
}

/// Names of the defined laws, sorted.
pub fn defined_names() -> Vec<String> {
    let mut v: Vec<String> = REGISTRY.read().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws::Chinchilla;

    fn chinchilla_expr(name: &str) -> ExprLaw {
        let def = Definition {
            name: name.into(),
            expr: "E + A * N^-alpha + B / D^beta".into(),
            params: Some(["E", "A", "B", "alpha", "beta"].map(String::from).to_vec()),
            positive: ["E", "A", "B"].map(String::from).to_vec(),
            bounds: vec![],
            inputs: None,
            grid: vec![],
        };
        ExprLaw::new(def).unwrap()
    }

    #[test]
    fn chinchilla_as_an_expression_equals_the_hand_written_law() {
        let law = chinchilla_expr("chin_unit");
        assert_eq!(law.inputs(), &["N", "D"]);
        // Both power-law terms are recognised for centring, on the features log N and log D.
        assert_eq!(law.centring().len(), 2);
        assert_eq!(law.centring()[0].0, 1);
        assert_eq!(law.centring()[0].1, 3);
        let n: Vec<f64> = (0..300).map(|i| 1e7 * 1.03f64.powi(i)).collect();
        let d: Vec<f64> = (0..300).map(|i| 1e9 * 1.021f64.powi(i)).collect();
        let cols = Columns { n: Some(&n), d: Some(&d), ..Columns::default() };
        let theta = [0.52, 6.0, 6.1, 0.34, 0.28];
        let (fe, fc) = (law.features(&cols).unwrap(), Chinchilla.features(&cols).unwrap());
        for space in [Space::Linear, Space::Log] {
            let (mut p1, mut p2) = (vec![0.0; 300], vec![0.0; 300]);
            let (mut j1, mut j2) = (vec![0.0; 1500], vec![0.0; 1500]);
            law.predict_block(&theta, &fe, 0, 300, space, &mut p1, Some(&mut j1));
            Chinchilla.predict_block(&theta, &fc, 0, 300, space, &mut p2, Some(&mut j2));
            for (a, b) in p1.iter().zip(&p2) {
                assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{a} vs {b}");
            }
            for (a, b) in j1.iter().zip(&j2) {
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-3), "{a} vs {b}");
            }
        }
    }

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
        assert_eq!(chinchilla_expr("chin_form0").chinchilla_form(), Some([0, 1, 2, 3, 4]));
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

    #[test]
    fn registry_finds_defined_laws_and_refuses_built_in_names() {
        let def = chinchilla_expr("chin_registered").definition().clone();
        define(def.clone()).unwrap();
        let law = laws::get("chin_registered").unwrap();
        assert_eq!(law.n_params(), 5);
        assert_eq!(law.definition(), Some(&def));
        assert!(define(Definition { name: "chinchilla".into(), ..def }).is_err());
    }

    #[test]
    fn data_outside_the_domain_of_a_parameter_power_is_refused() {
        let law = chinchilla_expr("chin_domain");
        let (n, d) = (vec![1e9, -1.0], vec![1e10, 1e10]);
        let cols = Columns { n: Some(&n), d: Some(&d), ..Columns::default() };
        let err = law.features(&cols).unwrap_err();
        assert!(err.to_string().contains("position"), "{err}");
    }
}
