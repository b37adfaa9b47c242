//! One named bound with validated constants, and the parallel evaluation and allocation over arrays.

use rayon::prelude::*;

use super::allocation::{allocate_each, allocate_numerical, Allocations};
use super::instances::{Instance, Teacher};
use super::shapes::{InverseLinear, InverseLog, PowerLaw};
use super::Bound;
use crate::control::Control;
use crate::error::{CoreError, Result};

/// Points per parallel chunk of an evaluation.
const CHUNK: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoundSpec {
    InverseLinear(InverseLinear),
    InverseLog(InverseLog),
    PowerLaw(PowerLaw),
    Instance(Instance),
}

/// The kinds `BoundSpec::new` accepts, with their constants in order.
pub const KINDS: [(&str, &[&str]); 5] = [
    ("inverse_linear", &["a", "b"]),
    ("inverse_log", &["a", "b0", "b1"]),
    ("power_law", &["E", "A", "B", "alpha", "beta"]),
    ("finite_teacher", &["d", "N", "B"]),
    ("dirichlet_process_teacher", &["d", "K", "B"]),
];

fn require(name: &str, value: f64, ok: bool, what: &str) -> Result<()> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(CoreError::invalid(name, format!("must be {what}, got {value}")))
    }
}

impl BoundSpec {
    /// A bound of `kind` with constants `params` (in the order of `KINDS`), validated.
    pub fn new(kind: &str, params: &[f64]) -> Result<Self> {
        let names = KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, names)| *names)
            .ok_or_else(|| CoreError::invalid("kind", format!("unknown bound kind {kind:?}")))?;
        if params.len() != names.len() {
            return Err(CoreError::invalid(
                "params",
                format!("{kind} takes {} constants ({}), got {}", names.len(), names.join(", "), params.len()),
            ));
        }
        let p = params;
        Ok(match kind {
            "inverse_linear" => {
                require("a", p[0], p[0] > 0.0, "positive")?;
                require("b", p[1], p[1] > 0.0, "positive")?;
                BoundSpec::InverseLinear(InverseLinear { a: p[0], b: p[1] })
            }
            "inverse_log" => {
                require("a", p[0], p[0] > 0.0, "positive")?;
                require("b0", p[1], p[1] >= 0.0, "non-negative")?;
                require("b1", p[2], p[2] >= 0.0, "non-negative")?;
                if p[1] == 0.0 && p[2] == 0.0 {
                    return Err(CoreError::invalid("b1", "b0 and b1 are both 0: the bound has no estimation term"));
                }
                BoundSpec::InverseLog(InverseLog { a: p[0], b0: p[1], b1: p[2] })
            }
            "power_law" => {
                require("E", p[0], p[0] >= 0.0, "non-negative")?;
                for (i, name) in ["A", "B", "alpha", "beta"].iter().enumerate() {
                    require(name, p[i + 1], p[i + 1] > 0.0, "positive")?;
                }
                BoundSpec::PowerLaw(PowerLaw { e: p[0], a: p[1], b: p[2], alpha: p[3], beta: p[4] })
            }
            _ => {
                require("d", p[0], p[0] >= 1.0, "at least 1")?;
                // The instances work with B^2, which under- or overflows outside these limits.
                require("B", p[2], (1e-150..=1e150).contains(&p[2]), "between 1e-150 and 1e150")?;
                let teacher = if kind == "finite_teacher" {
                    require("N", p[1], p[1] >= 1.0, "at least 1 (teacher units)")?;
                    Teacher::Finite { units: p[1] }
                } else {
                    // psi(K) ~ -1/K, which overflows below this.
                    require("K", p[1], p[1] >= 1e-300, "at least 1e-300")?;
                    Teacher::dirichlet_process(p[1])
                };
                BoundSpec::Instance(Instance { d: p[0], b: p[2], teacher })
            }
        })
    }

    /// The kind's name, as `KINDS` spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            BoundSpec::InverseLinear(_) => "inverse_linear",
            BoundSpec::InverseLog(_) => "inverse_log",
            BoundSpec::PowerLaw(_) => "power_law",
            BoundSpec::Instance(i) => match i.teacher {
                Teacher::Finite { .. } => "finite_teacher",
                Teacher::DirichletProcess { .. } => "dirichlet_process_teacher",
            },
        }
    }

    /// The validated constants, in the order of `KINDS` (`BoundSpec::new(kind, &params)` rebuilds it).
    pub fn params(&self) -> Vec<f64> {
        match *self {
            BoundSpec::InverseLinear(b) => vec![b.a, b.b],
            BoundSpec::InverseLog(b) => vec![b.a, b.b0, b.b1],
            BoundSpec::PowerLaw(b) => vec![b.e, b.a, b.b, b.alpha, b.beta],
            BoundSpec::Instance(i) => {
                let second = match i.teacher {
                    Teacher::Finite { units } => units,
                    Teacher::DirichletProcess { concentration, .. } => concentration,
                };
                vec![i.d, second, i.b]
            }
        }
    }

    /// "a = 1, b = 2": the constants by name, for messages.
    fn constants(&self) -> String {
        let names = KINDS.iter().find(|(k, _)| *k == self.kind()).map(|(_, n)| *n).unwrap_or(&[]);
        names.iter().zip(self.params()).map(|(n, v)| format!("{n} = {v}")).collect::<Vec<_>>().join(", ")
    }

    /// The error for a value that is not finite at (p, T): points the constants accept can still
    /// overflow (a/p at p = 5e-324). It names p when the misspecification term overflows (it depends on
    /// p alone), T otherwise, and lists the constants, which share the blame.
    fn not_finite(&self, p: f64, t: f64, position: usize) -> CoreError {
        let x = self.bound().terms_dyn(p, t);
        let (name, term) = if x.misspecification.is_finite() { ("T", "estimation") } else { ("p", "misspecification") };
        CoreError::invalid(
            name,
            format!(
                "the {term} term is not finite at p = {p}, T = {t} (position {position}) with {}: the bound \
                 overflows there",
                self.constants()
            ),
        )
    }

    fn bound(&self) -> &dyn BoundDyn {
        match self {
            BoundSpec::InverseLinear(b) => b,
            BoundSpec::InverseLog(b) => b,
            BoundSpec::PowerLaw(b) => b,
            BoundSpec::Instance(b) => b,
        }
    }

    pub fn min_params(&self) -> f64 {
        self.bound().min_params_dyn()
    }

    fn check_points(&self, p: &[f64], t: &[f64]) -> Result<()> {
        check_points(p, t, self.bound().domain_floor_dyn())
    }

    /// U on the grid p x T, row-major (row i holds U(p_i, T_j) for every j): the work that depends on
    /// p alone is done once per row and 1/T once per column. Rows stop early once `control` is cancelled.
    pub fn evaluate_grid(&self, p: &[f64], t: &[f64], value: &mut [f64], control: &Control) -> Result<()> {
        if value.len() != p.len() * t.len() {
            return Err(CoreError::invalid("value", "output length must be len(p) * len(T)"));
        }
        self.check_points(p, t)?;
        if value.is_empty() {
            return Ok(());
        }
        let inv_t: Vec<f64> = t.iter().map(|t| 1.0 / t).collect();
        let bound = self.bound();
        control.set_total(value.len());
        value.par_chunks_mut(t.len()).zip(p.par_iter()).for_each(|(row, &p)| {
            if !control.is_cancelled() {
                bound.evaluate_row_dyn(p, t, &inv_t, row);
                control.advance(row.len());
            }
        });
        control.check()?;
        match value.iter().position(|v| !v.is_finite()) {
            Some(i) => Err(self.not_finite(p[i / t.len()], t[i % t.len()], i)),
            None => Ok(()),
        }
    }

    /// U(p_i, T_i) for paired points (already broadcast), and the two terms when `terms` is given.
    /// Chunks stop early once `control` is cancelled.
    pub fn evaluate(
        &self,
        p: &[f64],
        t: &[f64],
        value: &mut [f64],
        terms: Option<(&mut [f64], &mut [f64])>,
        control: &Control,
    ) -> Result<()> {
        if p.len() != t.len() || value.len() != p.len() {
            return Err(CoreError::invalid("T", format!("has {} points but p has {}", t.len(), p.len())));
        }
        self.check_points(p, t)?;
        let bound = self.bound();
        control.set_total(value.len());
        let run = |p: &[f64], t: &[f64], v: &mut [f64], terms: Option<(&mut [f64], &mut [f64])>| {
            if !control.is_cancelled() {
                bound.evaluate_dyn(p, t, v, terms);
                control.advance(v.len());
            }
        };
        let chunks = value.par_chunks_mut(CHUNK).zip(p.par_chunks(CHUNK)).zip(t.par_chunks(CHUNK));
        match terms {
            None => chunks.for_each(|((v, p), t)| run(p, t, v, None)),
            Some((m, e)) => chunks
                .zip(m.par_chunks_mut(CHUNK))
                .zip(e.par_chunks_mut(CHUNK))
                .for_each(|((((v, p), t), m), e)| run(p, t, v, Some((m, e)))),
        }
        control.check()?;
        match value.iter().position(|v| !v.is_finite()) {
            Some(i) => Err(self.not_finite(p[i], t[i], i)),
            None => Ok(()),
        }
    }

    fn instance(&self) -> Result<&Instance> {
        match self {
            BoundSpec::Instance(i) => Ok(i),
            _ => Err(CoreError::invalid("kind", "distinct units and eta are defined for the teacher instances only")),
        }
    }

    /// kappa(n), the expected number of distinct teacher units among n draws, for each n >= 0.
    pub fn distinct_units(&self, n: &[f64]) -> Result<Vec<f64>> {
        let inst = self.instance()?;
        if let Some(i) = n.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(CoreError::invalid(
                "n",
                format!("must be finite and non-negative, got {} at position {i}", n[i]),
            ));
        }
        Ok(n.iter().map(|&n| inst.teacher.kappa(n)).collect())
    }

    /// The minimising weight noise eta at paired points (p_i, T_i).
    pub fn optimal_eta(&self, p: &[f64], t: &[f64]) -> Result<Vec<f64>> {
        let inst = self.instance()?;
        if p.len() != t.len() {
            return Err(CoreError::invalid("T", format!("has {} points but p has {}", t.len(), p.len())));
        }
        self.check_points(p, t)?;
        Ok(p.iter().zip(t).map(|(&p, &t)| inst.optimal_eta(p, t)).collect())
    }

    /// Compute-optimal allocations for each budget: the closed form of a shape unless `numerical`,
    /// the grid-and-Brent search otherwise (always for the instances).
    pub fn allocate(&self, compute: &[f64], numerical: bool, control: &Control) -> Result<Allocations> {
        if let Some(i) = compute.iter().position(|c| !(c.is_finite() && *c > 0.0)) {
            return Err(CoreError::invalid(
                "compute",
                format!("must be finite and positive, got {} at position {i}", compute[i]),
            ));
        }
        match (self, numerical) {
            (BoundSpec::InverseLinear(b), false) => allocate_each(compute, control, |c| b.allocate(c)),
            (BoundSpec::InverseLog(b), false) => allocate_each(compute, control, |c| b.allocate(c)),
            (BoundSpec::PowerLaw(b), false) => allocate_each(compute, control, |c| b.allocate(c)),
            (BoundSpec::InverseLinear(b), true) => allocate_numerical(b, compute, control),
            (BoundSpec::InverseLog(b), true) => allocate_numerical(b, compute, control),
            (BoundSpec::PowerLaw(b), true) => allocate_numerical(b, compute, control),
            (BoundSpec::Instance(b), _) => allocate_numerical(b, compute, control),
        }
    }
}

/// Points a bound is evaluated at: p finite, positive and at least `floor` (the smallest p the bound is
/// defined for), T finite and positive. The one home of that rule, for the built-in bounds and for a
/// bound given as callables.
pub fn check_points(p: &[f64], t: &[f64], floor: f64) -> Result<()> {
    if let Some(i) = p.iter().position(|v| !(v.is_finite() && *v > 0.0 && *v >= floor)) {
        let need = if floor > 0.0 { format!("at least {floor}") } else { "positive".to_string() };
        return Err(CoreError::invalid(
            "p",
            format!("must be finite and {need} for this bound, got {} at position {i}", p[i]),
        ));
    }
    if let Some(i) = t.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::invalid("T", format!("must be finite and positive, got {} at position {i}", t[i])));
    }
    Ok(())
}

/// A bound whose terms are the caller's functions (a user's callables): the smallest p of its
/// allocation search and its constant floor, validated once here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pluggable {
    pub p_min: f64,
    pub irreducible: f64,
}

impl Pluggable {
    pub fn new(p_min: f64, irreducible: f64) -> Result<Self> {
        require("p_min", p_min, p_min > 0.0, "positive")?;
        require("irreducible", irreducible, irreducible >= 0.0, "non-negative")?;
        Ok(Pluggable { p_min, irreducible })
    }
}

/// Object-safe view of `Bound` for the dispatch above (the generic methods stay monomorphised).
trait BoundDyn: Sync {
    fn terms_dyn(&self, p: f64, t: f64) -> super::Terms;
    fn min_params_dyn(&self) -> f64;
    fn domain_floor_dyn(&self) -> f64;
    fn evaluate_row_dyn(&self, p: f64, t: &[f64], inv_t: &[f64], value: &mut [f64]);
    fn evaluate_dyn(&self, p: &[f64], t: &[f64], value: &mut [f64], terms: Option<(&mut [f64], &mut [f64])>);
}

impl<B: Bound> BoundDyn for B {
    fn terms_dyn(&self, p: f64, t: f64) -> super::Terms {
        self.terms(p, t)
    }
    fn min_params_dyn(&self) -> f64 {
        self.min_params()
    }
    fn domain_floor_dyn(&self) -> f64 {
        self.domain_floor()
    }
    fn evaluate_row_dyn(&self, p: f64, t: &[f64], inv_t: &[f64], value: &mut [f64]) {
        self.evaluate_row(p, t, inv_t, value)
    }
    fn evaluate_dyn(&self, p: &[f64], t: &[f64], value: &mut [f64], terms: Option<(&mut [f64], &mut [f64])>) {
        self.evaluate_block(p, t, value, terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_matches_paired_points_bit_for_bit() {
        for (kind, params) in [
            ("dirichlet_process_teacher", vec![16.0, 3.0, 2.0]),
            ("finite_teacher", vec![16.0, 40.0, 2.0]),
            ("inverse_log", vec![1.0, 2.0, 3.0]),
        ] {
            let spec = BoundSpec::new(kind, &params).unwrap();
            let p = [17.0, 100.0, 1e4, 1e7];
            let t = [1.0, 3.0, 1e3, 1e9, 1e15];
            let mut grid = vec![0.0; 20];
            spec.evaluate_grid(&p, &t, &mut grid, &Control::new()).unwrap();
            let pp: Vec<f64> = p.iter().flat_map(|&p| [p; 5]).collect();
            let tt: Vec<f64> = (0..4).flat_map(|_| t).collect();
            let mut paired = vec![0.0; 20];
            spec.evaluate(&pp, &tt, &mut paired, None, &Control::new()).unwrap();
            assert_eq!(grid, paired, "{kind}");
        }
    }

    #[test]
    fn bad_constants_name_the_argument() {
        let err = |kind: &str, p: &[f64]| match BoundSpec::new(kind, p) {
            Err(CoreError::InvalidInput { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err("dirichlet_process_teacher", &[0.5, 10.0, 1.0]), "d");
        assert_eq!(err("finite_teacher", &[4.0, 10.0, -1.0]), "B");
        assert_eq!(err("inverse_log", &[1.0, -1.0, 1.0]), "b0");
        let spec = BoundSpec::new("inverse_linear", &[1.0, 1.0]).unwrap();
        assert!(spec.allocate(&[-1.0], false, &Control::new()).is_err());
    }

    #[test]
    fn overflowing_points_name_the_term_and_params_round_trip() {
        let spec = BoundSpec::new("inverse_linear", &[1.0, 2.0]).unwrap();
        let name = |p: f64, t: f64| match spec.evaluate(&[p], &[t], &mut [0.0], None, &Control::new()) {
            Err(CoreError::InvalidInput { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(name(5e-324, 1e9), "p");
        assert_eq!(name(1e6, 5e-324), "T");
        let mut grid = [0.0; 2];
        assert!(spec.evaluate_grid(&[1.0, 5e-324], &[1.0], &mut grid, &Control::new()).is_err());
        for (kind, params) in KINDS
            .iter()
            .zip([
                &[1.0, 2.0][..],
                &[1.0, 2.0, 0.5],
                &[1.7, 400.0, 410.0, 0.34, 0.28],
                &[8.0, 100.0, 1.0],
                &[8.0, 10.0, 1.0],
            ])
            .map(|((k, _), p)| (*k, p))
        {
            let spec = BoundSpec::new(kind, params).unwrap();
            assert_eq!((spec.kind(), spec.params()), (kind, params.to_vec()));
        }
        // A huge b1 against a large T is representable: 1e308 ln(1e6) / 1e9.
        let log = BoundSpec::new("inverse_log", &[1.0, 2.0, 1e308]).unwrap();
        let mut v = [0.0];
        log.evaluate(&[1e6], &[1e9], &mut v, None, &Control::new()).unwrap();
        assert!(v[0].is_finite() && v[0] > 1e300);
    }
}
