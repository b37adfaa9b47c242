//! One fit per group of a table, the groups fitted in parallel.
//!
//! Each group is an ordinary fit (`fit::Fit`, with the law's own multi-start), run on the group's
//! rows gathered from the table through `Groups`. A group that cannot be fitted (fewer runs than free
//! parameters, or no start reaching a finite objective) is flagged and reported with NaN parameters;
//! it does not stop the fleet. Input the law cannot read (a non-positive size, a non-finite loss)
//! is the caller's error and stops the call, naming the first such group.
//!
//! A group's result depends on its rows and on (seed, group index) only, so it is the same whatever
//! the thread count and however the groups are split into chunks (`first_group` places a chunk in the
//! whole fleet).

use std::sync::Arc;

use nalgebra::{DMatrix, SymmetricEigen};
use rand::RngCore;
use rayon::prelude::*;

use super::groups::Groups;
use super::intervals::{group_intervals, Resampling};
#[cfg(test)]
use super::starts::pilot_starts;
use super::starts::{best_start, FleetInit};
use crate::bootstrap::rng::replicate_rng;
#[cfg(test)]
use crate::bootstrap::{Method, Scheme};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fit::{Fit, FitSpec, Init, LbfgsOptions, Objective, ParamMap};
use crate::laws;

/// Flags of a group's fit, one bit each (`FLAG_NAMES[i]` names bit `1 << i`).
pub const NOT_CONVERGED: u32 = 1;
pub const TOO_FEW_RUNS: u32 = 1 << 1;
pub const NO_OPTIMUM: u32 = 1 << 2;
pub const RESAMPLES_FAILED: u32 = 1 << 3;
pub const NO_INTERVAL: u32 = 1 << 4;
pub const FLAG_NAMES: [&str; 5] = ["not_converged", "too_few_runs", "no_optimum", "resamples_failed", "no_interval"];

/// What to fit to every group: the whole table's columns and the options of each fit.
pub struct FleetSpec<'a> {
    pub law: &'a str,
    /// The law's input columns by name ("x", "N", ...), over the whole table.
    pub columns: Vec<(String, &'a [f64])>,
    pub loss: &'a [f64],
    pub weights: Option<&'a [f64]>,
    pub objective: Objective,
    pub fixed: Vec<(usize, f64)>,
    pub ties: Vec<(usize, usize)>,
    pub init: FleetInit,
    pub lbfgs: LbfgsOptions,
}

impl FleetSpec<'_> {
    /// The fit of group `g` (its rows gathered from the table) with start strategy `init`.
    pub fn group_spec(&self, groups: &Groups, g: usize, init: Init) -> Result<FitSpec> {
        let gather = |values: &[f64]| {
            let mut out = Vec::with_capacity(groups.rows(g).len());
            groups.gather(g, values, &mut out);
            out
        };
        let columns = self.columns.iter().map(|(name, col)| (name.clone(), gather(col))).collect();
        FitSpec::new(
            self.law,
            columns,
            gather(self.loss),
            self.weights.map(gather),
            self.objective,
            self.fixed.clone(),
            self.ties.clone(),
            init,
            self.lbfgs,
        )
    }
}

/// Per-group results, group by group (parameters row-major, `n_params` per group).
#[derive(Debug, Clone, PartialEq)]
pub struct FleetFits {
    pub n_params: usize,
    /// Internal parameters (logs of the positive coefficients), NaN for a group not fitted.
    pub theta: Vec<f64>,
    pub objective: Vec<f64>,
    pub converged: Vec<bool>,
    pub iterations: Vec<usize>,
    pub n_starts: Vec<usize>,
    pub n_at_best: Vec<usize>,
    pub n_runs: Vec<usize>,
    /// Condition number of the Hessian at the optimum (the optimiser's coordinates, as `FitResult`).
    pub condition_number: Vec<f64>,
    pub flags: Vec<u32>,
    /// Bootstrap intervals of the public parameters (row-major like `theta`), when asked for.
    pub low: Vec<f64>,
    pub high: Vec<f64>,
    /// Failed refits per group (0 without resampling).
    pub n_failed: Vec<usize>,
}

/// One group's row of `FleetFits`.
struct GroupFit {
    theta: Vec<f64>,
    objective: f64,
    converged: bool,
    iterations: usize,
    n_starts: usize,
    n_at_best: usize,
    n_runs: usize,
    condition_number: f64,
    flags: u32,
    low: Vec<f64>,
    high: Vec<f64>,
    n_failed: usize,
}

impl GroupFit {
    fn unfitted(k: usize, n_runs: usize, flags: u32, with_intervals: bool) -> GroupFit {
        let nan = vec![f64::NAN; k];
        let ci = if with_intervals { nan.clone() } else { Vec::new() };
        GroupFit {
            theta: nan,
            objective: f64::NAN,
            converged: false,
            iterations: 0,
            n_starts: 0,
            n_at_best: 0,
            n_runs,
            condition_number: f64::NAN,
            flags: flags | if with_intervals { NO_INTERVAL } else { 0 },
            low: ci.clone(),
            high: ci,
            n_failed: 0,
        }
    }
}

/// The random seed of group `g`'s bootstrap: the first draw of stream `g` of `seed`, so that
/// replicate i of group g depends on (seed, g, i) only.
pub fn group_seed(seed: u64, g: u64) -> u64 {
    replicate_rng(seed, g).next_u64()
}

/// Fit every group of `groups`; `first_group` is the index of `groups`' first group in the whole
/// fleet (0 unless the fleet is split into chunks), which fixes each group's random stream.
pub fn fit_fleet(
    spec: &FleetSpec,
    groups: &Groups,
    first_group: u64,
    resampling: Option<&Resampling>,
    control: &Control,
) -> Result<FleetFits> {
    // What holds for every group is checked once, so that its error is reported once.
    let law = laws::get(spec.law)?;
    let k = law.n_params();
    ParamMap::new(k, &spec.fixed, &spec.ties)?;
    spec.objective.validate()?;
    let n = spec.loss.len();
    for (name, col) in &spec.columns {
        if col.len() != n {
            return Err(CoreError::invalid(name.as_str(), format!("has {} rows but loss has {n}", col.len())));
        }
    }
    if let Some(w) = spec.weights.filter(|w| w.len() != n) {
        return Err(CoreError::invalid("weights", format!("has {} rows but loss has {n}", w.len())));
    }
    if let Some(r) = resampling {
        r.validate()?;
    }
    control.set_total(groups.len());
    let rows: Vec<Result<GroupFit>> = (0..groups.len())
        .into_par_iter()
        .map(|g| {
            if control.is_cancelled() {
                return Err(CoreError::Interrupted);
            }
            let out = fit_group(spec, groups, g, first_group + g as u64, k, resampling)
                .map_err(|e| naming(e, "group", first_group + g as u64));
            control.advance(1);
            out
        })
        .collect();
    control.check()?;
    let mut out = FleetFits {
        n_params: k,
        theta: Vec::with_capacity(groups.len() * k),
        objective: Vec::with_capacity(groups.len()),
        converged: Vec::with_capacity(groups.len()),
        iterations: Vec::with_capacity(groups.len()),
        n_starts: Vec::with_capacity(groups.len()),
        n_at_best: Vec::with_capacity(groups.len()),
        n_runs: Vec::with_capacity(groups.len()),
        condition_number: Vec::with_capacity(groups.len()),
        flags: Vec::with_capacity(groups.len()),
        low: Vec::new(),
        high: Vec::new(),
        n_failed: Vec::with_capacity(groups.len()),
    };
    for row in rows {
        let r = row?;
        out.theta.extend(r.theta);
        out.objective.push(r.objective);
        out.converged.push(r.converged);
        out.iterations.push(r.iterations);
        out.n_starts.push(r.n_starts);
        out.n_at_best.push(r.n_at_best);
        out.n_runs.push(r.n_runs);
        out.condition_number.push(r.condition_number);
        out.flags.push(r.flags);
        out.low.extend(r.low);
        out.high.extend(r.high);
        out.n_failed.push(r.n_failed);
    }
    Ok(out)
}

/// An error of item `i` of a fleet says which one (`what`: "group" or "key", the index in the caller's order).
pub(crate) fn naming(e: CoreError, what: &str, i: u64) -> CoreError {
    match e {
        CoreError::InvalidInput { name, reason } => {
            CoreError::InvalidInput { name, reason: format!("{reason} ({what} {i})") }
        }
        other => other,
    }
}

fn fit_group(
    spec: &FleetSpec,
    groups: &Groups,
    g: usize,
    fleet_index: u64,
    k: usize,
    resampling: Option<&Resampling>,
) -> Result<GroupFit> {
    let n_runs = groups.rows(g).len();
    let first_init = match &spec.init {
        FleetInit::Each(init) => init.clone(),
        // Replaced below by the best shared start, once the group's objective can rank them.
        FleetInit::Shared(_) => Init::Auto,
    };
    let mut fit_spec = match spec.group_spec(groups, g, first_init) {
        Ok(s) => s,
        // `FitSpec::new` names "runs" for exactly one rule: fewer runs than free parameters.
        Err(CoreError::InvalidInput { name, .. }) if name == "runs" => {
            return Ok(GroupFit::unfitted(k, n_runs, TOO_FEW_RUNS, resampling.is_some()))
        }
        Err(e) => return Err(e),
    };
    let shared = match &spec.init {
        FleetInit::Shared(starts) => best_start(&fit_spec.problem()?, starts).cloned(),
        FleetInit::Each(_) => None,
    };
    if let Some(start) = &shared {
        fit_spec.init = Init::Starts(vec![start.clone()]);
    }
    // The group's own progress and cancellation are the fleet's concern, not the single fit's.
    let quiet = Control::new();
    let fit = match Fit::run(fit_spec, &quiet) {
        // A shared start that led nowhere: the group's own multi-start decides.
        Ok(f) if shared.is_some() && !f.outcome.converged => {
            let mut again = f.spec;
            again.init = Init::Auto;
            Fit::run(again, &quiet)
        }
        other => other,
    };
    let fit = match fit {
        Ok(f) => f,
        Err(CoreError::Convergence(_)) => return Ok(GroupFit::unfitted(k, n_runs, NO_OPTIMUM, resampling.is_some())),
        Err(e) => return Err(e),
    };
    let o = &fit.outcome;
    let mut row = GroupFit {
        theta: o.theta.clone(),
        objective: o.objective,
        converged: o.converged,
        iterations: o.iterations,
        n_starts: o.n_starts,
        n_at_best: o.n_at_best,
        n_runs,
        condition_number: condition_number(&o.hessian, o.free_index.len()),
        flags: if o.converged { 0 } else { NOT_CONVERGED },
        low: Vec::new(),
        high: Vec::new(),
        n_failed: 0,
    };
    if let Some(r) = resampling {
        let ci = group_intervals(Arc::new(fit), r, group_seed(r.seed, fleet_index), &quiet)?;
        row.flags |= ci.flags;
        row.low = ci.low;
        row.high = ci.high;
        row.n_failed = ci.n_failed;
    }
    Ok(row)
}

/// Largest over smallest eigenvalue of a symmetric k x k matrix (row-major); infinite when it is not
/// positive definite or not finite.
fn condition_number(h: &[f64], k: usize) -> f64 {
    if k == 0 || h.len() != k * k || h.iter().any(|v| !v.is_finite()) {
        return f64::INFINITY;
    }
    let eig = SymmetricEigen::new(DMatrix::from_row_slice(k, k, h)).eigenvalues;
    let (lo, hi) = eig.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if lo > 0.0 {
        hi / lo
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::rng::standard_normal;

    /// `n_groups` power-law curves of `n_points` steps, 1 % multiplicative noise, rows shuffled by
    /// interleaving the groups.
    pub fn curves(n_groups: usize, n_points: usize) -> (Vec<f64>, Vec<f64>, Vec<i64>) {
        let mut rng = replicate_rng(11, 0);
        let (mut x, mut loss, mut codes) = (vec![], vec![], vec![]);
        for i in 0..n_points {
            for g in 0..n_groups {
                let step = 100.0 * 1.5f64.powi(i as i32);
                let (e, a, alpha) = (1.0 + 0.1 * (g % 7) as f64, 20.0 + g as f64, 0.3 + 0.02 * (g % 11) as f64);
                x.push(step);
                loss.push((e + a * step.powf(-alpha)) * (0.01 * standard_normal(&mut rng)).exp());
                codes.push(g as i64);
            }
        }
        (x, loss, codes)
    }

    fn spec<'a>(x: &'a [f64], loss: &'a [f64], init: FleetInit) -> FleetSpec<'a> {
        FleetSpec {
            law: "power",
            columns: vec![("x".into(), x)],
            loss,
            weights: None,
            objective: Objective::parse("lsq", 1e-3, 2.0).unwrap(),
            fixed: vec![],
            ties: vec![],
            init,
            lbfgs: LbfgsOptions::default(),
        }
    }

    fn on(threads: usize, work: impl FnOnce() -> FleetFits + Send) -> FleetFits {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(work)
    }

    #[test]
    fn shared_starts_reach_the_optima_of_each_groups_own_multi_start() {
        let (x, loss, codes) = curves(150, 20);
        let groups = Groups::new(&codes, 150).unwrap();
        let control = Control::new();
        let starts = pilot_starts(&spec(&x, &loss, FleetInit::Each(Init::Auto)), &groups, &Init::Auto, &control);
        let starts = starts.unwrap();
        assert!(!starts.is_empty() && starts.len() <= super::super::starts::SHARED_STARTS);
        let own = fit_fleet(&spec(&x, &loss, FleetInit::Each(Init::Auto)), &groups, 0, None, &control).unwrap();
        let shared = fit_fleet(&spec(&x, &loss, FleetInit::Shared(starts)), &groups, 0, None, &control).unwrap();
        assert!(shared.flags.iter().all(|f| *f == 0));
        for (a, b) in own.objective.iter().zip(&shared.objective) {
            assert!(*b <= a * (1.0 + 1e-9), "own multi-start {a}, shared starts {b}");
        }
    }

    #[test]
    fn groups_are_the_same_for_any_thread_count_and_chunking() {
        let (x, loss, codes) = curves(12, 20);
        let r = Resampling { n_resamples: 40, seed: 7, scheme: Scheme::Pairs, method: Method::Percentile, level: 0.9 };
        let all = Groups::new(&codes, 12).unwrap();
        let s = spec(&x, &loss, FleetInit::Each(Init::Auto));
        let one = on(1, || fit_fleet(&s, &all, 0, Some(&r), &Control::new()).unwrap());
        assert_eq!(one, on(3, || fit_fleet(&s, &all, 0, Some(&r), &Control::new()).unwrap()));
        assert!(one.low.iter().zip(&one.high).all(|(l, h)| l < h));
        // Groups 5..12 alone, placed at their index in the fleet: the same rows of results.
        let tail: Vec<i64> = codes.iter().map(|&c| if c >= 5 { c - 5 } else { -1 }).collect();
        let keep: Vec<usize> = (0..codes.len()).filter(|&i| tail[i] >= 0).collect();
        let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let (xt, lt) = (pick(&x), pick(&loss));
        let codes_t: Vec<i64> = keep.iter().map(|&i| tail[i]).collect();
        let part = fit_fleet(
            &spec(&xt, &lt, FleetInit::Each(Init::Auto)),
            &Groups::new(&codes_t, 7).unwrap(),
            5,
            Some(&r),
            &Control::new(),
        );
        let part = part.unwrap();
        assert_eq!(part.theta, one.theta[5 * 3..]);
        assert_eq!(part.low, one.low[5 * 3..]);
        assert_eq!(part.high, one.high[5 * 3..]);
    }

    #[test]
    fn a_group_too_small_is_flagged_and_bad_input_names_its_group() {
        let x = [1.0, 2.0, 4.0, 8.0, 16.0, 1.0, 2.0];
        let loss = [3.0, 2.5, 2.2, 2.1, 2.05, 3.0, 2.0];
        let codes = [0, 0, 0, 0, 0, 1, 1];
        let out = fit_fleet(
            &spec(&x, &loss, FleetInit::Each(Init::Auto)),
            &Groups::new(&codes, 2).unwrap(),
            0,
            None,
            &Control::new(),
        );
        let out = out.unwrap();
        assert_eq!(out.flags[1], TOO_FEW_RUNS);
        assert!(out.theta[3..].iter().all(|v| v.is_nan()));
        assert_eq!(out.n_runs, vec![5, 2]);
        let bad_x = [1.0, 2.0, 4.0, 8.0, 16.0, 1.0, -2.0];
        let err = fit_fleet(
            &spec(&bad_x, &loss, FleetInit::Each(Init::Auto)),
            &Groups::new(&codes, 2).unwrap(),
            0,
            None,
            &Control::new(),
        );
        assert!(
            matches!(err, Err(CoreError::InvalidInput { ref name, ref reason }) if name == "x" && reason.ends_with("(group 1)")),
            "{err:?}"
        );
    }
}
