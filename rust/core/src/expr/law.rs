//! A law defined by an expression: the `Law` the fit engine, the bootstrap and the allocation
//! queries use, built from a `Definition` and kept in the process-wide registry (`registry`) by name.
//!
//! Parameters declared positive are fitted as their logarithms, like the coefficients of the
//! built-in laws. Terms `A * x^-alpha` (or `A / x^alpha`) with A positive and x data are recognised
//! and centred (`Law::centring`) as the built-in laws' are.

use super::graph::{Graph, Names, FUNCTIONS};
use super::parse::{error_at, parse};
use super::registry::{intern, intern_list, is_identifier};
use super::start::{param_specs, start_grid};
use super::structure::{chinchilla_form, power_terms};
use super::tape::Tape;
use crate::error::{CoreError, Result};
use crate::laws::{Columns, Features, Law, ParamSpec, Space, Transform};

/// The standard input columns an expression can read (`Columns`); a definition may name extra ones.
pub const INPUTS: [&str; 6] = ["x", "N", "D", "U", "C", "M"];

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
        let params = param_specs(&graph.params, &def.positive, &def.bounds)?;
        let log_param: Vec<bool> = params.iter().map(|s| s.transform == Transform::Log).collect();
        let tape = Tape::new(&graph, log_param.clone());
        let grid = start_grid(&params, &def.grid)?;
        let used: Vec<&str> = graph.inputs_used.iter().map(|(n, _)| n.as_str()).collect();
        let terms = power_terms(&graph, &tape, &log_param);
        let chinchilla = chinchilla_form(&graph, &tape, &log_param, &candidates, &terms);
        let centring = terms.iter().map(|t| (t.coef, t.exponent, t.col)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::define;
    use crate::laws::{self, Chinchilla};

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
