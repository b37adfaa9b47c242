//! Joint fits in a fleet: for every key of a table (a task, a data set), one joint fit of its rows, the
//! key's rows split into groups (an architecture, an optimizer) that share some parameters
//! (`fit::joint`; docs/joint_fits.md). The keys are fitted in parallel, each by the joint fit's own code
//! (its starts, its objective, its convergence rule), so a key's result is exactly `sc.fit` of the
//! key's rows with `group=` and `shared=`.
//!
//! A key's rows are read through `Groups` (table order, as `sc.fit` reads them); `subgroups` holds each
//! row's group within its key (0..G, in the group labels' sorted order). A key whose runs cannot
//! determine its joint parameters is flagged `TOO_FEW_RUNS`, one whose starts all fail `NO_OPTIMUM`;
//! neither stops the fleet. With resampling, each key is bootstrapped stratified by group
//! (`joint_bootstrap`) from the key's own seed (`group_seed(seed, key)`), so results depend on
//! (seed, key, replicate) only: the same for any thread count or split into chunks.

use rayon::prelude::*;

use super::fits::{
    group_seed, naming, FleetSpec, NOT_CONVERGED, NO_INTERVAL, NO_OPTIMUM, RESAMPLES_FAILED, TOO_FEW_RUNS,
};
use super::groups::Groups;
use super::intervals::Resampling;
use super::starts::FleetInit;
use crate::bootstrap::{interval, Method, Scheme};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fit::joint::{joint_bootstrap, JointFit, JointSpec};
use crate::fit::ParamMap;
use crate::laws;

/// Per-key results of a joint fleet. Rows of the per-group fields are (key, group) pairs, keys in
/// order and each key's groups in code order; `n_groups[k]` says how many rows key k has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JointFleetFits {
    pub n_params: usize,
    pub n_groups: Vec<usize>,
    /// Internal parameters of each (key, group) row, row-major; NaN for a key not fitted.
    pub theta: Vec<f64>,
    pub group_objective: Vec<f64>,
    pub group_n_runs: Vec<usize>,
    /// Interval bounds of the public parameters of each (key, group) row, when asked for.
    pub low: Vec<f64>,
    pub high: Vec<f64>,
    pub objective: Vec<f64>,
    pub converged: Vec<bool>,
    pub iterations: Vec<usize>,
    pub n_starts: Vec<usize>,
    pub n_at_best: Vec<usize>,
    pub n_runs: Vec<usize>,
    pub flags: Vec<u32>,
    /// Failed refits per key, and the seed of each key's bootstrap (`JointFit.bootstrap(seed=...)`
    /// of the key's rows reproduces its replicates).
    pub n_failed: Vec<usize>,
    pub key_seed: Vec<u64>,
}

/// One key's part of `JointFleetFits`.
struct KeyFit {
    theta: Vec<f64>,
    group_objective: Vec<f64>,
    group_n_runs: Vec<usize>,
    low: Vec<f64>,
    high: Vec<f64>,
    objective: f64,
    converged: bool,
    iterations: usize,
    n_starts: usize,
    n_at_best: usize,
    flags: u32,
    n_failed: usize,
    key_seed: u64,
}

/// Fit every key of `keys` jointly, its rows split by `subgroups` with the parameters `shared` common
/// to its groups. `spec.init` must be a start strategy of a single fit (`FleetInit::Each`): each group
/// of a key starts from its own multi-start, as in a joint fit. `first_key` places these keys in the
/// whole fleet (their random streams).
pub fn fit_joint_fleet(
    spec: &FleetSpec,
    keys: &Groups,
    subgroups: &[i64],
    shared: &[usize],
    first_key: u64,
    resampling: Option<&Resampling>,
    control: &Control,
) -> Result<JointFleetFits> {
    let k = laws::get(spec.law)?.n_params();
    ParamMap::new(k, &spec.fixed, &spec.ties)?;
    spec.objective.validate()?;
    if !matches!(spec.init, FleetInit::Each(_)) {
        return Err(CoreError::invalid("init", "a joint fleet starts every group from its own fit, not shared starts"));
    }
    let n = spec.loss.len();
    for (name, col) in
        spec.columns.iter().map(|(name, col)| (name.as_str(), col.len())).chain([("group", subgroups.len())])
    {
        if col != n {
            return Err(CoreError::invalid(name, format!("has {col} rows but loss has {n}")));
        }
    }
    if let Some(w) = spec.weights.filter(|w| w.len() != n) {
        return Err(CoreError::invalid("weights", format!("has {} rows but loss has {n}", w.len())));
    }
    if let Some(r) = resampling {
        r.validate()?;
        if !matches!(r.scheme, Scheme::Pairs) {
            return Err(CoreError::invalid("scheme", "a joint fit is bootstrapped by pairs within each group"));
        }
        if r.method == Method::Bca {
            return Err(CoreError::invalid("method", "a joint bootstrap gives 'percentile' and 'basic' intervals"));
        }
    }
    control.set_total(keys.len());
    let fits: Vec<Result<KeyFit>> = (0..keys.len())
        .into_par_iter()
        .map(|key| {
            if control.is_cancelled() {
                return Err(CoreError::Interrupted);
            }
            let index = first_key + key as u64;
            let out =
                fit_key(spec, keys, subgroups, shared, key, index, k, resampling).map_err(|e| naming(e, "key", index));
            control.advance(1);
            out
        })
        .collect();
    control.check()?;
    let mut out = JointFleetFits { n_params: k, ..JointFleetFits::default() };
    for (key, fit) in fits.into_iter().enumerate() {
        let f = fit?;
        out.n_groups.push(f.group_n_runs.len());
        out.theta.extend(f.theta);
        out.group_objective.extend(f.group_objective);
        out.group_n_runs.extend(f.group_n_runs);
        out.low.extend(f.low);
        out.high.extend(f.high);
        out.objective.push(f.objective);
        out.converged.push(f.converged);
        out.iterations.push(f.iterations);
        out.n_starts.push(f.n_starts);
        out.n_at_best.push(f.n_at_best);
        out.n_runs.push(keys.rows(key).len());
        out.flags.push(f.flags);
        out.n_failed.push(f.n_failed);
        out.key_seed.push(f.key_seed);
    }
    Ok(out)
}

/// Runs of each group of one key, from its rows' group codes (which must run 0..G without a gap).
fn group_sizes(codes: &[i64]) -> Result<Vec<usize>> {
    let mut sizes: Vec<usize> = Vec::new();
    for &c in codes {
        let g = usize::try_from(c)
            .ok()
            .filter(|&g| g < codes.len())
            .ok_or_else(|| CoreError::invalid("group", format!("codes must lie in 0..{}, got {c}", codes.len())))?;
        if g >= sizes.len() {
            sizes.resize(g + 1, 0);
        }
        sizes[g] += 1;
    }
    if let Some(g) = sizes.iter().position(|&s| s == 0) {
        return Err(CoreError::invalid(
            "group",
            format!("codes must run 0..{} without a gap; none is {g}", sizes.len()),
        ));
    }
    Ok(sizes)
}

#[allow(clippy::too_many_arguments)]
fn fit_key(
    spec: &FleetSpec,
    keys: &Groups,
    subgroups: &[i64],
    shared: &[usize],
    key: usize,
    index: u64,
    k: usize,
    resampling: Option<&Resampling>,
) -> Result<KeyFit> {
    let codes: Vec<i64> = keys.rows(key).iter().map(|&i| subgroups[i]).collect();
    let sizes = group_sizes(&codes)?;
    let key_seed = resampling.map_or(0, |r| group_seed(r.seed, index));
    let unfitted = |flags: u32| {
        let rows = sizes.len() * k;
        let ci = if resampling.is_some() { vec![f64::NAN; rows] } else { Vec::new() };
        KeyFit {
            theta: vec![f64::NAN; rows],
            group_objective: vec![f64::NAN; sizes.len()],
            group_n_runs: sizes.clone(),
            low: ci.clone(),
            high: ci,
            objective: f64::NAN,
            converged: false,
            iterations: 0,
            n_starts: 0,
            n_at_best: 0,
            flags: flags | if resampling.is_some() { NO_INTERVAL } else { 0 },
            n_failed: 0,
            key_seed,
        }
    };
    let FleetInit::Each(init) = &spec.init else {
        return Err(CoreError::invalid("init", "needs a single fit's starts"));
    };
    // "runs" (fewer runs than the pooled law's free parameters) and "group" (a group with fewer runs
    // than its own free parameters, or too few for the joint parameters) are the two size rules of a
    // joint fit; any other refusal is the caller's input and stops the fleet.
    let joint = spec.group_spec(keys, key, init.clone()).and_then(|base| JointSpec::new(base, &codes, shared));
    let joint = match joint {
        Ok(j) => j,
        Err(CoreError::InvalidInput { name, .. }) if name == "runs" || name == "group" => {
            return Ok(unfitted(TOO_FEW_RUNS))
        }
        Err(e) => return Err(e),
    };
    // The key's own progress and cancellation are the fleet's concern.
    let quiet = Control::new();
    let fit = match JointFit::run(joint, &quiet) {
        Ok(f) => f,
        Err(CoreError::Convergence(_)) => return Ok(unfitted(NO_OPTIMUM)),
        Err(e) => return Err(e),
    };
    let o = &fit.outcome;
    let mut row = KeyFit {
        theta: o.thetas.iter().flatten().copied().collect(),
        group_objective: o.group_objectives.clone(),
        group_n_runs: sizes,
        low: Vec::new(),
        high: Vec::new(),
        objective: o.objective,
        converged: o.converged,
        iterations: o.iterations,
        n_starts: o.n_starts,
        n_at_best: o.n_at_best,
        flags: if o.converged { 0 } else { NOT_CONVERGED },
        n_failed: 0,
        key_seed,
    };
    if let Some(r) = resampling {
        let reps = joint_bootstrap(&fit, r.n_resamples, key_seed, 0, &quiet)?;
        let params = fit.spec.base.law.params();
        let n_groups = fit.spec.n_groups;
        let ok: Vec<usize> = (0..reps.failed.len()).filter(|&i| !reps.failed[i]).collect();
        row.n_failed = r.n_resamples - ok.len();
        if row.n_failed > 0 {
            row.flags |= RESAMPLES_FAILED;
        }
        for g in 0..n_groups {
            for (j, p) in params.iter().enumerate() {
                let dist: Vec<f64> = ok.iter().map(|&i| reps.samples[(i * n_groups + g) * k + j]).collect();
                let estimate = p.transform.to_public(o.thetas[g][j]);
                let (lo, hi) = if dist.len() >= 2 && dist.iter().all(|v| *v == dist[0]) {
                    // A fixed parameter: no sampling variability.
                    (dist[0], dist[0])
                } else {
                    match interval(&dist, estimate, &[], r.level, r.method) {
                        Ok(ci) if dist.len() >= 2 => (ci.low, ci.high),
                        _ => {
                            row.flags |= NO_INTERVAL;
                            (f64::NAN, f64::NAN)
                        }
                    }
                };
                row.low.push(lo);
                row.high.push(hi);
            }
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::rng::{replicate_rng, standard_normal};
    use crate::fit::{Init, LbfgsOptions, Objective};

    /// `n_keys` keys x 3 groups of power-law curves; within a key the groups share alpha.
    fn table(n_keys: usize) -> (Vec<f64>, Vec<f64>, Vec<i64>, Vec<i64>) {
        let mut rng = replicate_rng(5, 0);
        let (mut x, mut loss, mut keys, mut subs) = (vec![], vec![], vec![], vec![]);
        for i in 0..12 {
            for key in 0..n_keys {
                for g in 0..3 {
                    let step = 100.0 * 1.6f64.powi(i);
                    let (e, a, alpha) = (1.0 + 0.2 * g as f64, 10.0 + 5.0 * g as f64, 0.3 + 0.05 * (key % 5) as f64);
                    x.push(step);
                    loss.push((e + a * step.powf(-alpha)) * (0.005 * standard_normal(&mut rng)).exp());
                    keys.push(key as i64);
                    subs.push(g as i64);
                }
            }
        }
        (x, loss, keys, subs)
    }

    fn spec<'a>(x: &'a [f64], loss: &'a [f64]) -> FleetSpec<'a> {
        FleetSpec {
            law: "power",
            columns: vec![("x".into(), x)],
            loss,
            weights: None,
            objective: Objective::parse("huber_log", 1e-3, 2.0).unwrap(),
            fixed: vec![],
            ties: vec![],
            init: FleetInit::Each(Init::Auto),
            lbfgs: LbfgsOptions::default(),
        }
    }

    #[test]
    fn each_key_is_its_own_joint_fit_for_any_thread_count() {
        let (x, loss, keys, subs) = table(4);
        let groups = Groups::new(&keys, 4).unwrap();
        let r = Resampling { n_resamples: 30, seed: 3, scheme: Scheme::Pairs, method: Method::Percentile, level: 0.9 };
        let s = spec(&x, &loss);
        let pool = |n: usize| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
        let one = pool(1).install(|| fit_joint_fleet(&s, &groups, &subs, &[2], 0, Some(&r), &Control::new()).unwrap());
        let three =
            pool(3).install(|| fit_joint_fleet(&s, &groups, &subs, &[2], 0, Some(&r), &Control::new()).unwrap());
        assert_eq!(one, three);
        assert_eq!(one.n_groups, vec![3; 4]);
        for key in 0..4 {
            let rows = groups.rows(key);
            let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            let codes: Vec<i64> = rows.iter().map(|&i| subs[i]).collect();
            let base = s.group_spec(&groups, key, Init::Auto).unwrap();
            assert_eq!(base.loss, pick(&loss));
            let alone = JointFit::run(JointSpec::new(base, &codes, &[2]).unwrap(), &Control::new()).unwrap();
            let theta: Vec<f64> = alone.outcome.thetas.iter().flatten().copied().collect();
            assert_eq!(one.theta[key * 9..(key + 1) * 9], theta[..]);
            assert_eq!(one.objective[key], alone.outcome.objective);
            // The planted shared exponent, recovered.
            assert!((one.theta[key * 9 + 2] - (0.3 + 0.05 * (key % 5) as f64)).abs() < 0.02);
        }
        assert!(one.low.iter().zip(&one.high).all(|(l, h)| l <= h));
    }

    #[test]
    fn small_keys_are_flagged_and_bad_codes_named() {
        let x = [1.0, 2.0, 4.0, 8.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
        let loss = [3.0, 2.5, 2.2, 2.1, 3.1, 2.6, 2.3, 2.2, 2.1, 2.05];
        let keys = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
        let subs = [0, 0, 1, 1, 0, 0, 0, 1, 1, 1];
        let groups = Groups::new(&keys, 2).unwrap();
        let out = fit_joint_fleet(&spec(&x, &loss), &groups, &subs, &[2], 0, None, &Control::new()).unwrap();
        assert_eq!(out.flags[0], TOO_FEW_RUNS);
        assert_eq!(out.n_groups, vec![2, 2]);
        assert_eq!(out.group_n_runs, vec![2, 2, 3, 3]);
        assert!(out.theta[..6].iter().all(|v| v.is_nan()));
        let gap = [0, 0, 2, 2, 0, 0, 0, 1, 1, 1];
        let err = fit_joint_fleet(&spec(&x, &loss), &groups, &gap, &[2], 0, None, &Control::new());
        assert!(
            matches!(err, Err(CoreError::InvalidInput { ref name, ref reason }) if name == "group" && reason.ends_with("(key 0)")),
            "{err:?}"
        );
    }
}
