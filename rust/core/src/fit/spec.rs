//! A fit as one owned value: the validated specification (law, input columns, loss, weights,
//! objective, fixed and tied parameters, starts, L-BFGS options) and what the multi-start found.
//!
//! `FitSpec::new` is where a fit's input is validated, once: the columns, loss and weights (by
//! `Problem::new`), the fixed and tied parameters (by `ParamMap::new`) and the one rule that joins
//! them, that the runs are at least as many as the free parameters. A `Fit` is built from a spec
//! once; predictions, allocation and the bootstrap reuse its optimum, its other local optima and its
//! Hessian instead of searching again. `Fit::from_parts` rebuilds a fit from a spec and an outcome
//! (unpickling) without refitting.

use super::{FitOutcome, Fitter, Init, LbfgsOptions, Objective, ParamMap, Problem};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::laws::{self, Columns, Law};

/// What to fit: everything `Fitter` needs, owned.
pub struct FitSpec {
    pub law: Box<dyn Law>,
    /// The law's input columns, by name ("x", "N", "D", "U", "C", "M").
    pub columns: Vec<(String, Vec<f64>)>,
    pub loss: Vec<f64>,
    pub weights: Option<Vec<f64>>,
    pub objective: Objective,
    /// (parameter index, internal value) held constant.
    pub fixed: Vec<(usize, f64)>,
    /// (j, k): theta_j = theta_k.
    pub ties: Vec<(usize, usize)>,
    pub init: Init,
    pub lbfgs: LbfgsOptions,
}

impl FitSpec {
    /// A validated specification; errors name the offending argument.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        law: &str,
        columns: Vec<(String, Vec<f64>)>,
        loss: Vec<f64>,
        weights: Option<Vec<f64>>,
        objective: Objective,
        fixed: Vec<(usize, f64)>,
        ties: Vec<(usize, usize)>,
        init: Init,
        lbfgs: LbfgsOptions,
    ) -> Result<FitSpec> {
        let law = laws::get(law)?;
        let spec = FitSpec { law, columns, loss, weights, objective, fixed, ties, init, lbfgs };
        let problem = spec.problem()?;
        let map = spec.map()?;
        if problem.n_rows() < map.n_free() {
            return Err(CoreError::invalid(
                "runs",
                format!(
                    "{} runs cannot determine the {} free parameters of {}",
                    problem.n_rows(),
                    map.n_free(),
                    spec.law.name()
                ),
            ));
        }
        if let Init::Starts(starts) = &spec.init {
            let k = spec.law.n_params();
            if let Some(bad) = starts.iter().find(|s| s.len() != k || s.iter().any(|v| !v.is_finite())) {
                return Err(CoreError::invalid("init", format!("a start needs {k} finite values, got {bad:?}")));
            }
        }
        Ok(spec)
    }

    /// The input columns as the law reads them (a name other than the standard ones is an extra
    /// column, which a defined law may read).
    pub fn columns(&self) -> Result<Columns<'_>> {
        let mut c = Columns { extra: &self.columns, ..Columns::default() };
        for (name, values) in &self.columns {
            let slot = match name.as_str() {
                "x" => &mut c.x,
                "N" => &mut c.n,
                "D" => &mut c.d,
                "U" => &mut c.u,
                "C" => &mut c.c,
                "M" => &mut c.m,
                _ => continue,
            };
            *slot = Some(values);
        }
        Ok(c)
    }

    /// The objective over the runs (features computed anew: O(runs), no copy of the spec).
    pub fn problem(&self) -> Result<Problem<'_>> {
        Problem::new(self.law.as_ref(), &self.columns()?, &self.loss, self.weights.as_deref(), self.objective)
    }

    pub fn map(&self) -> Result<ParamMap> {
        ParamMap::new(self.law.n_params(), &self.fixed, &self.ties)
    }

    pub fn n_runs(&self) -> usize {
        self.loss.len()
    }
}

/// A fitted law: its specification and what the multi-start found.
pub struct Fit {
    pub spec: FitSpec,
    pub outcome: FitOutcome,
    /// Prediction minus observation at the optimum, in the objective's space.
    pub residuals: Vec<f64>,
}

impl Fit {
    /// Fit `spec` by multi-start L-BFGS.
    pub fn run(spec: FitSpec, control: &Control) -> Result<Fit> {
        let outcome = {
            let problem = spec.problem()?;
            let fitter = Fitter { problem: &problem, map: spec.map()?, lbfgs: spec.lbfgs };
            fitter.fit(&spec.init, control)?
        };
        Fit::from_parts(spec, outcome)
    }

    /// A fit from its specification and a previous outcome (e.g. unpickled), checked for consistency
    /// and not refitted; the residuals are recomputed (one pass over the runs).
    pub fn from_parts(spec: FitSpec, outcome: FitOutcome) -> Result<Fit> {
        let k = spec.law.n_params();
        let map = spec.map()?;
        let n_free = map.n_free();
        let full = |v: &Vec<f64>| v.len() == k;
        let ok = outcome.theta.len() == k
            && outcome.hessian.len() == n_free * n_free
            && outcome.free_index == map.free_names_index()
            && outcome.optima.iter().all(full)
            && outcome.screened.iter().all(full);
        if !ok {
            return Err(CoreError::invalid("state", format!("not the outcome of a fit of {}", spec.law.name())));
        }
        let residuals = spec.problem()?.residuals(&outcome.theta);
        Ok(Fit { spec, outcome, residuals })
    }

    /// The Hessian at the optimum in the plain free coordinates (`map.reduce(theta)`), from the one
    /// the fit computed.
    pub fn plain_hessian(&self) -> Result<Vec<f64>> {
        let problem = self.spec.problem()?;
        let fitter = Fitter { problem: &problem, map: self.spec.map()?, lbfgs: self.spec.lbfgs };
        Ok(fitter.plain_hessian(&self.outcome.hessian))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(n: usize) -> (Vec<(String, Vec<f64>)>, Vec<f64>) {
        let big_n: Vec<f64> = (0..n).map(|i| 1e8 * 2f64.powi(i as i32)).collect();
        let big_d: Vec<f64> = (0..n).map(|i| 2e9 * 1.7f64.powi(i as i32)).collect();
        let loss = big_n.iter().zip(&big_d).map(|(a, b)| 1.69 + 406.4 / a.powf(0.34) + 410.7 / b.powf(0.28)).collect();
        (vec![("N".into(), big_n), ("D".into(), big_d)], loss)
    }

    fn spec(n: usize, fixed: Vec<(usize, f64)>) -> Result<FitSpec> {
        let (cols, loss) = sweep(n);
        let objective = Objective::parse("huber_log", 1e-3, 2.0)?;
        FitSpec::new("chinchilla", cols, loss, None, objective, fixed, vec![], Init::Auto, LbfgsOptions::default())
    }

    #[test]
    fn runs_must_cover_the_free_parameters_only() {
        // Three runs, five parameters of which three are fixed: two free, so the fit is determined.
        let fixed = vec![(0, 1.69f64.ln()), (3, 0.34), (4, 0.28)];
        let fit = Fit::run(spec(3, fixed.clone()).unwrap(), &Control::new()).unwrap();
        assert!(fit.outcome.objective.is_finite());
        assert_eq!(fit.outcome.hessian.len(), 4);
        assert!(matches!(spec(1, fixed), Err(CoreError::InvalidInput { ref name, .. }) if name == "runs"));
        assert!(matches!(spec(4, vec![]), Err(CoreError::InvalidInput { ref name, .. }) if name == "runs"));
    }

    #[test]
    fn plain_hessian_equals_the_differenced_one() {
        let fit = Fit::run(spec(8, vec![]).unwrap(), &Control::new()).unwrap();
        let problem = fit.spec.problem().unwrap();
        let fitter = Fitter { problem: &problem, map: fit.spec.map().unwrap(), lbfgs: fit.spec.lbfgs };
        let direct = fitter.hessian(&fitter.map.reduce(&fit.outcome.theta));
        let converted = fit.plain_hessian().unwrap();
        let scale = direct.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in direct.iter().zip(&converted) {
            assert!((a - b).abs() <= 1e-5 * scale, "{a} vs {b}");
        }
    }

    #[test]
    fn from_parts_refuses_an_outcome_of_another_shape() {
        let fit = Fit::run(spec(8, vec![]).unwrap(), &Control::new()).unwrap();
        let mut outcome = fit.outcome.clone();
        outcome.hessian.pop();
        assert!(Fit::from_parts(spec(8, vec![]).unwrap(), outcome).is_err());
        let again = Fit::from_parts(spec(8, vec![]).unwrap(), fit.outcome.clone()).unwrap();
        assert_eq!(again.residuals, fit.residuals);
    }
}
