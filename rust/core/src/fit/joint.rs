//! Joint fits: one law per group of runs (per optimizer, per data set) with some parameters common to
//! all groups, e.g. shared exponents alpha and beta with per-group E, A and B. Sharing is how
//! per-group laws are made identifiable when each group alone is too small to pin every parameter
//! (Porian et al. 2024, "Resolving Discrepancies in Compute-Optimal Scaling of Language Models", fit
//! per-setting laws; Hoffmann et al. 2022's exponents are commonly held across data sets). The
//! objective is the sum of the groups' objectives, each with the law's own kernel, loss per run and
//! analytic gradient (`layout`); docs/methods.md section 2 describes the single fit it generalises.
//!
//! Fixed parameters are fixed in every group (a fixed parameter is common to all groups already);
//! ties hold inside every group, and tied parameters are shared together or not at all.
//!
//! Starts (`starts`): every group fitted alone with the law's own multi-start, then joint starts with
//! the shared parameters at the groups' run-weighted median, at the pooled fit's values and at each of
//! the largest groups' values; each start is polished by L-BFGS and the lowest wins. Convergence is
//! judged by the rule of every fit (`honesty`).

mod bootstrap;
mod layout;
mod starts;

use rayon::prelude::*;

pub use bootstrap::{joint_bootstrap, JointReplicates};
pub use layout::{JointProblem, Layout};

use super::honesty::{judge, public_finite};
use super::{best_first, lbfgs, FitSpec, Minimum, Stop};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::laws::{self, Columns, Features, Space};

/// What to fit jointly: the pooled specification (law, every run, objective, fixed and tied parameters,
/// starts, L-BFGS options), the group of each run and the shared parameters.
pub struct JointSpec {
    pub base: FitSpec,
    /// Group code (0..n_groups) of each run.
    pub groups: Vec<usize>,
    pub n_groups: usize,
    /// Parameter indices common to all groups, ascending.
    pub shared: Vec<usize>,
    /// Runs of each group, in table order.
    members: Vec<Vec<usize>>,
}

impl JointSpec {
    /// A validated joint specification. `base` is validated as a single fit of every run (columns,
    /// loss, weights, objective, constraints); errors here name "group" or "shared".
    pub fn new(base: FitSpec, groups: &[i64], shared: &[usize]) -> Result<JointSpec> {
        let n = base.n_runs();
        if groups.len() != n {
            return Err(CoreError::invalid("group", format!("needs one label per run ({n}), got {}", groups.len())));
        }
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (i, &code) in groups.iter().enumerate() {
            let g = usize::try_from(code)
                .ok()
                .filter(|&g| g < n)
                .ok_or_else(|| CoreError::invalid("group", format!("codes must lie in 0..{n}, got {code}")))?;
            if g >= members.len() {
                members.resize(g + 1, Vec::new());
            }
            members[g].push(i);
        }
        if let Some(g) = members.iter().position(Vec::is_empty) {
            return Err(CoreError::invalid(
                "group",
                format!("codes must run 0..{} without a gap; none is {g}", members.len()),
            ));
        }
        let mut sorted = shared.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != shared.len() {
            return Err(CoreError::invalid("shared", format!("names a parameter twice: {shared:?}")));
        }
        let spec = JointSpec {
            base,
            groups: groups.iter().map(|&c| c as usize).collect(),
            n_groups: members.len(),
            shared: sorted,
            members,
        };
        let layout = spec.layout()?;
        let names: Vec<&str> = spec.base.law.params().iter().map(|p| p.name).collect();
        let own: Vec<&str> = layout.own.iter().map(|&z| names[layout.map.free_names_index()[z]]).collect();
        if let Some((g, m)) = spec.members.iter().enumerate().find(|(_, m)| m.len() < own.len()) {
            return Err(CoreError::invalid(
                "group",
                format!(
                    "group {g} has {} runs, fewer than its {} own free parameters {own:?}: share or fix more of them",
                    m.len(),
                    own.len()
                ),
            ));
        }
        if n < layout.n_joint() {
            return Err(CoreError::invalid(
                "runs",
                format!("{n} runs cannot determine the {} free parameters of the joint fit", layout.n_joint()),
            ));
        }
        for part in spec.group_specs()? {
            part.problem()?;
        }
        Ok(spec)
    }

    pub fn layout(&self) -> Result<Layout> {
        let names: Vec<&str> = self.base.law.params().iter().map(|p| p.name).collect();
        Layout::new(&names, self.base.map()?, &self.shared, self.n_groups)
    }

    /// Runs per group.
    pub fn sizes(&self) -> Vec<usize> {
        self.members.iter().map(Vec::len).collect()
    }

    /// The runs `rows` (every run when None) as a single fit's specification with the same options.
    /// Not `FitSpec::new`: a group may hold fewer runs than the law's free parameters (the shared ones
    /// are determined by all groups together).
    fn subset(&self, rows: Option<&[usize]>) -> Result<FitSpec> {
        let b = &self.base;
        let pick = |v: &[f64]| -> Vec<f64> { rows.map_or_else(|| v.to_vec(), |r| r.iter().map(|&i| v[i]).collect()) };
        Ok(FitSpec {
            law: laws::get(b.law.name())?,
            columns: b.columns.iter().map(|(name, v)| (name.clone(), pick(v.as_slice()))).collect(),
            loss: pick(b.loss.as_slice()),
            weights: b.weights.as_deref().map(pick),
            objective: b.objective,
            fixed: b.fixed.clone(),
            ties: b.ties.clone(),
            init: b.init.clone(),
            lbfgs: b.lbfgs,
        })
    }

    /// Each group's runs as a single fit's specification.
    pub fn group_specs(&self) -> Result<Vec<FitSpec>> {
        self.members.iter().map(|m| self.subset(Some(m))).collect()
    }
}

/// The joint objective and its gradient at each group's law parameters `thetas` (internal
/// coordinates, shared ones equal across groups), in the plain joint coordinates: the shared free
/// parameters, then each group's own (for tests against the reference implementation).
pub fn joint_value_grad(spec: &JointSpec, thetas: &[Vec<f64>]) -> Result<(f64, Vec<f64>)> {
    let k = spec.base.law.n_params();
    if thetas.len() != spec.n_groups || thetas.iter().any(|t| t.len() != k) {
        return Err(CoreError::invalid("thetas", format!("needs {} rows of {k} values", spec.n_groups)));
    }
    let parts = spec.group_specs()?;
    let problems = parts.iter().map(FitSpec::problem).collect::<Result<Vec<_>>>()?;
    let jp = JointProblem::plain(problems, spec.layout()?);
    let u = jp.to_u(thetas);
    let mut grad = vec![0.0; u.len()];
    let f = jp.value_grad(&u, &mut grad);
    Ok((f, grad))
}

/// What the joint minimisation found.
#[derive(Debug, Clone)]
pub struct JointOutcome {
    /// Each group's law parameters, internal coordinates.
    pub thetas: Vec<Vec<f64>>,
    pub objective: f64,
    pub group_objectives: Vec<f64>,
    pub converged: bool,
    pub stop: Stop,
    pub iterations: usize,
    /// Joint starts polished, and how many ended within 1e-5 (relative) of the best.
    pub n_starts: usize,
    pub n_at_best: usize,
    pub start_objectives: Vec<f64>,
}

/// A joint fit: its specification and outcome.
pub struct JointFit {
    pub spec: JointSpec,
    pub outcome: JointOutcome,
}

impl JointFit {
    pub fn run(spec: JointSpec, control: &Control) -> Result<JointFit> {
        let parts = spec.group_specs()?;
        let problems = parts.iter().map(FitSpec::problem).collect::<Result<Vec<_>>>()?;
        let jp = JointProblem::new(problems, spec.layout()?, &spec.shared);
        let starts = starts::joint_starts(&spec, &jp, control)?;
        let finals: Vec<Minimum> = starts
            .par_iter()
            .map(|u0| {
                let fg = |u: &[f64], g: &mut [f64]| if control.is_cancelled() { f64::NAN } else { jp.value_grad(u, g) };
                let m = lbfgs::minimize(fg, u0, &spec.base.lbfgs);
                control.advance(1);
                m
            })
            .collect();
        control.check()?;
        let order = best_first(&finals);
        let b = order
            .first()
            .map(|&i| &finals[i])
            .filter(|m| m.f.is_finite())
            .ok_or_else(|| CoreError::Convergence("no joint start reached a finite objective".into()))?;
        let thetas = jp.thetas(&b.x);
        let params = spec.base.law.params();
        let finite = thetas.iter().all(|t| public_finite(params, t));
        let stop = judge(b, finite, &jp.residuals(&b.x), |u: &[f64], g: &mut [f64]| jp.value_grad(u, g));
        let tol = 1e-5 * b.f.abs();
        let outcome = JointOutcome {
            group_objectives: jp.group_values(&b.x),
            thetas,
            objective: b.f,
            converged: stop.converged(),
            stop,
            iterations: b.iterations,
            n_starts: finals.len(),
            n_at_best: finals.iter().filter(|m| m.f.is_finite() && m.f - b.f <= tol).count(),
            start_objectives: finals.iter().map(|m| m.f).collect(),
        };
        Ok(JointFit { spec, outcome })
    }

    /// A joint fit from its specification and a previous outcome (unpickling), checked, not refitted.
    pub fn from_parts(spec: JointSpec, outcome: JointOutcome) -> Result<JointFit> {
        let k = spec.base.law.n_params();
        let ok = outcome.thetas.len() == spec.n_groups
            && outcome.thetas.iter().all(|t| t.len() == k)
            && outcome.group_objectives.len() == spec.n_groups;
        if !ok {
            return Err(CoreError::invalid("state", "not the outcome of this joint fit"));
        }
        Ok(JointFit { spec, outcome })
    }

    /// Predictions (linear space) of each row's group law: `codes[i]` is row i's group.
    pub fn predict(&self, codes: &[i64], cols: &Columns) -> Result<Vec<f64>> {
        let law = self.spec.base.law.as_ref();
        let feats = law.features(cols)?;
        if codes.len() != feats.n_rows {
            return Err(CoreError::invalid("group", format!("needs {} labels, got {}", feats.n_rows, codes.len())));
        }
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); self.spec.n_groups];
        for (i, &c) in codes.iter().enumerate() {
            let g = usize::try_from(c).ok().filter(|&g| g < rows.len());
            let g = g.ok_or_else(|| CoreError::invalid("group", format!("no group with code {c}")))?;
            rows[g].push(i);
        }
        let mut out = vec![0.0; feats.n_rows];
        for (g, idx) in rows.iter().enumerate().filter(|(_, idx)| !idx.is_empty()) {
            let sub = Features {
                cols: feats.cols.iter().map(|c| idx.iter().map(|&i| c[i]).collect()).collect(),
                n_rows: idx.len(),
            };
            let mut pred = vec![0.0; idx.len()];
            for (b, chunk) in pred.chunks_mut(1024).enumerate() {
                let start = b * 1024;
                law.predict_block(
                    &self.outcome.thetas[g],
                    &sub,
                    start,
                    start + chunk.len(),
                    Space::Linear,
                    chunk,
                    None,
                );
            }
            idx.iter().zip(pred).for_each(|(&i, p)| out[i] = p);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
