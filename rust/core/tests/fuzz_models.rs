//! Randomised fuzzing, with hostile inputs (issue 14), of the core entry points that `fuzz.rs` does not
//! reach: law expressions (text typed by the user, parsed, compiled, evaluated and fitted), fleets of
//! fits, the non-central chi-squared log-CDF and the inductive-bias fit and bootstrap, intrinsic
//! dimension, and posteriors (Laplace and the ensemble sampler). See `fuzz.rs` for how to run them.

mod fuzz_driver;

use fuzz_driver::{column, fuzz, length, number, positive, ChaCha8Rng};
use rand::Rng;
use scalecore_core::bootstrap::{Method, Scheme, WildWeights};
use scalecore_core::control::Control;
use scalecore_core::expr::{define, Definition, ExprLaw, FUNCTIONS, INPUTS};
use scalecore_core::fit::{Fit, FitSpec, Init, LbfgsOptions, Objective};
use scalecore_core::fleet::{fit_fleet, FleetInit, FleetSpec, Groups, Resampling};
use scalecore_core::inductive_bias::{fit_ncx2, inductive_bias, ncx2_log_cdf};
use scalecore_core::laws::{self, Columns, Law, Space};
use scalecore_core::posterior::{laplace, sample, EnsembleOptions, LogPosterior, Prior};
use scalecore_core::regimes::{levina_bickel, twonn};

const NAMES: [&str; 8] = ["E", "A", "B", "alpha", "beta", "c", "x0", "_k"];
const ODD: [&str; 16] =
    ["é", "∑", "\0", "\u{202e}", "𝔸", "\t", "\n", "e", "E+", "1e", ".", "..", "**", "^^", "1e400", "0x1"];

/// A random expression: a grammatical tree (often), then mutated at the character level (sometimes).
fn expression(rng: &mut ChaCha8Rng, depth: usize) -> String {
    let leaf = |rng: &mut ChaCha8Rng| match rng.random_range(0..4) {
        0 => INPUTS[rng.random_range(0..INPUTS.len())].to_string(),
        1 => format!("{}", number(rng)),
        _ => NAMES[rng.random_range(0..NAMES.len())].to_string(),
    };
    if depth == 0 || rng.random_bool(0.3) {
        return leaf(rng);
    }
    match rng.random_range(0..8) {
        0 => format!("-{}", expression(rng, depth - 1)),
        1 => format!("({})", expression(rng, depth - 1)),
        2 => {
            let (f, arity) = FUNCTIONS[rng.random_range(0..FUNCTIONS.len())];
            let args: Vec<String> = (0..arity).map(|_| expression(rng, depth - 1)).collect();
            format!("{f}({})", args.join(", "))
        }
        _ => {
            let op = ["+", "-", "*", "/", "^", "**"][rng.random_range(0..6)];
            format!("{} {op} {}", expression(rng, depth - 1), expression(rng, depth - 1))
        }
    }
}

fn mutate(rng: &mut ChaCha8Rng, text: String) -> String {
    let mut chars: Vec<String> = text.chars().map(String::from).collect();
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..=chars.len());
        match rng.random_range(0..3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => chars.insert(at, ODD[rng.random_range(0..ODD.len())].to_string()),
            _ => chars.truncate(at),
        }
    }
    chars.concat()
}

/// A random definition: expression, declared parameters, positives, bounds, inputs and grid.
fn definition(rng: &mut ChaCha8Rng, name: &str) -> Definition {
    let depth = rng.random_range(0..6);
    let mut expr = expression(rng, depth);
    if rng.random_bool(0.3) {
        expr = mutate(rng, expr);
    }
    if rng.random_bool(0.02) {
        // Deep nesting and long text (the parser's depth and length limits).
        let k = rng.random_range(100..20_000);
        expr = format!("{}{expr}{}", "(".repeat(k), ")".repeat(k));
    }
    let pick = |rng: &mut ChaCha8Rng| -> Vec<String> {
        NAMES.iter().filter(|_| rng.random_bool(0.3)).map(|s| s.to_string()).collect()
    };
    let params = rng.random_bool(0.3).then(|| pick(rng));
    let positive = pick(rng);
    let bounds = pick(rng).into_iter().map(|p| (p, number(rng), number(rng))).collect();
    let inputs = rng.random_bool(0.2).then(|| {
        let mut v: Vec<String> = INPUTS.iter().filter(|_| rng.random_bool(0.5)).map(|s| s.to_string()).collect();
        if rng.random_bool(0.1) {
            v.push("Q".into());
        }
        v
    });
    let grid = pick(rng).into_iter().map(|p| (p, (0..rng.random_range(0..4)).map(|_| number(rng)).collect())).collect();
    Definition { name: name.to_string(), expr, params, positive, bounds, inputs, grid }
}

/// Columns for every input of `law`, `n` rows (sometimes of mismatched length).
fn columns(rng: &mut ChaCha8Rng, law: &dyn Law, n: usize) -> Vec<(String, Vec<f64>)> {
    law.inputs()
        .iter()
        .map(|c| {
            let m = if rng.random_bool(0.95) { n } else { length(rng) };
            (c.to_string(), column(rng, m, if *c == "x" { 10.0 } else { 1e8 }))
        })
        .collect()
}

fn as_columns(named: &[(String, Vec<f64>)]) -> Columns<'_> {
    let mut cols = Columns::default();
    for (name, v) in named {
        match name.as_str() {
            "x" => cols.x = Some(v),
            "N" => cols.n = Some(v),
            "D" => cols.d = Some(v),
            "U" => cols.u = Some(v),
            "C" => cols.c = Some(v),
            _ => cols.m = Some(v),
        }
    }
    cols
}

fn starts(rng: &mut ChaCha8Rng, k: usize) -> Vec<Vec<f64>> {
    (0..rng.random_range(1..3)).map(|_| (0..k).map(|_| rng.random_range(-2.0..5.0)).collect()).collect()
}

fn objective(rng: &mut ChaCha8Rng) -> Option<Objective> {
    let names = Objective::NAMES;
    Objective::parse(names[rng.random_range(0..names.len())], positive(rng), positive(rng)).ok()
}

/// Promise of every fit: converged means finite parameters and objective.
fn honest(what: &str, converged: bool, theta: &[f64], objective: f64) -> Result<(), String> {
    if converged && !(theta.iter().all(|v| v.is_finite()) && objective.is_finite()) {
        return Err(format!("{what}: converged with theta {theta:?}, objective {objective}"));
    }
    Ok(())
}

#[test]
fn fuzz_expressions() {
    fuzz("expr", 400, |rng| {
        // A few names only: the registry keeps one law per name.
        let name = ["fz_a", "fz_b", "fz_c", "chinchilla", "1bad"][rng.random_range(0..5)];
        let def = definition(rng, name);
        let Ok(law) = ExprLaw::new(def.clone()) else { return Ok(()) };
        let n = length(rng);
        let named = columns(rng, &law, n);
        let k = law.n_params();
        if let Ok(feats) = law.features(&as_columns(&named)) {
            let theta: Vec<f64> = (0..k).map(|_| number(rng)).collect();
            let rows = feats.n_rows;
            let (mut pred, mut jac) = (vec![0.0; rows], vec![0.0; rows * k]);
            for space in [Space::Linear, Space::Log] {
                law.predict_block(&theta, &feats, 0, rows, space, &mut pred, Some(&mut jac));
            }
        }
        let _ = law.default_grid();
        // Fit it: defining registers the law under its name, which the fit looks up.
        if rng.random_bool(0.3) && define(def).is_ok() {
            let loss = column(rng, n, 2.0);
            let Some(objective) = objective(rng) else { return Ok(()) };
            let init = if rng.random_bool(0.8) { Init::Starts(starts(rng, k)) } else { Init::Auto };
            let opts = LbfgsOptions { max_iter: 100, ..LbfgsOptions::default() };
            let Ok(spec) = FitSpec::new(name, named, loss, None, objective, vec![], vec![], init, opts) else {
                return Ok(());
            };
            if let Ok(fit) = Fit::run(spec, &Control::new()) {
                let o = &fit.outcome;
                honest(name, o.converged, &o.theta, o.objective)?;
            }
        }
        Ok(())
    });
}

#[test]
fn fuzz_fleet() {
    let names = laws::names();
    fuzz("fleet", 60, |rng| {
        let law_name = names[rng.random_range(0..names.len())];
        let law = laws::get(law_name).map_err(|e| e.to_string())?;
        let k = law.n_params();
        let n_groups = rng.random_range(0..5);
        let n = length(rng) * 2;
        let codes: Vec<i64> = (0..n)
            .map(|_| if rng.random_bool(0.98) { rng.random_range(0..n_groups.max(1)) as i64 } else { -1 })
            .collect();
        let Ok(groups) = Groups::new(&codes, n_groups) else { return Ok(()) };
        let named = columns(rng, law.as_ref(), n);
        let loss = column(rng, n, 2.0);
        let weights = rng.random_bool(0.2).then(|| column(rng, n, 1.0));
        let Some(objective) = objective(rng) else { return Ok(()) };
        let init = if rng.random_bool(0.5) {
            FleetInit::Each(Init::Starts(starts(rng, k)))
        } else {
            let width = if rng.random_bool(0.95) { k } else { k + 1 };
            FleetInit::Shared(starts(rng, width))
        };
        let fixed = if rng.random_bool(0.1) { vec![(rng.random_range(0..k + 1), number(rng))] } else { vec![] };
        let spec = FleetSpec {
            law: law_name,
            columns: named.iter().map(|(c, v)| (c.clone(), v.as_slice())).collect(),
            loss: &loss,
            weights: weights.as_deref(),
            objective,
            fixed,
            ties: vec![],
            init,
            lbfgs: LbfgsOptions { max_iter: 100, ..LbfgsOptions::default() },
        };
        let schemes = [Scheme::Pairs, Scheme::Residual, Scheme::Wild(WildWeights::Webb), Scheme::Parametric];
        let resampling = rng.random_bool(0.3).then(|| Resampling {
            n_resamples: rng.random_range(0..5),
            seed: rng.random(),
            scheme: schemes[rng.random_range(0..schemes.len())].clone(),
            method: [Method::Percentile, Method::Basic, Method::Bca][rng.random_range(0..3)],
            level: if rng.random_bool(0.9) { 0.9 } else { number(rng) },
        });
        let Ok(out) = fit_fleet(&spec, &groups, rng.random_range(0..100), resampling.as_ref(), &Control::new()) else {
            return Ok(());
        };
        for g in 0..groups.len() {
            honest(law_name, out.converged[g], &out.theta[g * k..(g + 1) * k], out.objective[g])?;
        }
        Ok(())
    });
}

#[test]
fn fuzz_inductive_bias() {
    fuzz("inductive_bias", 200, |rng| {
        // The log-CDF: a log-probability, never NaN or above 0.
        for _ in 0..8 {
            let (x, kk, lam, s) = (number(rng), positive(rng), positive(rng), positive(rng));
            if let Ok(v) = ncx2_log_cdf(x, kk, lam, s) {
                if v.is_nan() || v > 0.0 {
                    return Err(format!("ncx2_log_cdf({x}, {kk}, {lam}, {s}) = {v}"));
                }
            }
        }
        let n = if rng.random_bool(0.8) { rng.random_range(8..200) } else { length(rng) };
        let errors = column(rng, n, 0.1);
        // Warm starts within e^+-30: a non-centrality of 1e265 makes the fit run for hours (the Poisson
        // mixture's series), found by this fuzzer and left to the inductive-bias code's owner.
        let wide = |rng: &mut ChaCha8Rng| rng.random_range(-30.0f64..30.0).exp();
        let warm = if rng.random_bool(0.2) { Some((wide(rng), wide(rng), wide(rng))) } else { None };
        if let Ok(f) = fit_ncx2(&errors, warm) {
            let ok = f.k.is_finite() && f.k > 0.0 && f.lam.is_finite() && f.lam >= 0.0;
            if !(ok && f.scale.is_finite() && f.scale > 0.0) {
                return Err(format!("fit_ncx2 gave {f:?}"));
            }
        }
        if rng.random_bool(0.3) {
            let level = if rng.random_bool(0.9) { 0.95 } else { number(rng) };
            let r =
                inductive_bias(&errors, positive(rng), rng.random_range(0..6), rng.random(), level, &Control::new());
            if let Ok(r) = r {
                if r.log_p.is_nan() || r.log_p > 0.0 || r.bits_distribution.iter().any(|b| !b.is_finite()) {
                    return Err(format!("inductive_bias: log_p {}, bits {:?}", r.log_p, r.bits_distribution));
                }
            }
        }
        Ok(())
    });
}

#[test]
fn fuzz_intrinsic_dimension() {
    fuzz("intrinsic_dimension", 400, |rng| {
        let dim = rng.random_range(0..5);
        let n = length(rng) * 3;
        let mut points = column(rng, n * dim, 1.0);
        if rng.random_bool(0.2) && n * dim > 0 {
            // Duplicated points, and points on a lower-dimensional set.
            let copy = points[..dim].to_vec();
            for row in points.chunks_mut(dim.max(1)).filter(|_| rng.random_bool(0.5)) {
                row.copy_from_slice(&copy);
            }
        }
        if rng.random_bool(0.05) {
            points.pop();
        }
        let control = Control::new();
        let results =
            [twonn(&points, n, dim, &control), levina_bickel(&points, n, dim, rng.random_range(0..8), &control)];
        for d in results.into_iter().flatten() {
            if !(d.d.is_finite() && d.d > 0.0 && d.n_used <= n) {
                return Err(format!("dimension {d:?} from {n} points in {dim} dimensions"));
            }
        }
        Ok(())
    });
}

#[test]
fn fuzz_posterior() {
    let names = laws::names();
    fuzz("posterior", 100, |rng| {
        let law = laws::get(names[rng.random_range(0..names.len())]).map_err(|e| e.to_string())?;
        let k = law.n_params();
        let n = length(rng);
        let named = columns(rng, law.as_ref(), n);
        let loss = column(rng, n, 2.0);
        let priors: Vec<Prior> = (0..k + usize::from(rng.random_bool(0.05)))
            .map(|_| match rng.random_range(0..3) {
                0 => Prior::Normal { mean: number(rng), sd: positive(rng) },
                1 => Prior::Flat { lower: number(rng), upper: number(rng) },
                _ => Prior::Flat { lower: f64::NEG_INFINITY, upper: f64::INFINITY },
            })
            .collect();
        let Ok(post) = LogPosterior::new(law.as_ref(), &as_columns(&named), &loss, priors) else { return Ok(()) };
        let start: Vec<f64> = (0..k).map(|_| rng.random_range(-2.0..5.0)).collect();
        let Ok(lap) = laplace(&post, &start) else { return Ok(()) };
        if lap.mode.iter().chain(&lap.covariance).any(|v| !v.is_finite()) || lap.log_density.is_nan() {
            return Err(format!("laplace: mode {:?}, covariance {:?}", lap.mode, lap.covariance));
        }
        let opts = EnsembleOptions {
            n_chains: rng.random_range(0..3),
            n_walkers: 2 * k + 2 * rng.random_range(0..3) - usize::from(rng.random_bool(0.05)),
            n_steps: rng.random_range(0..6),
            n_burn: rng.random_range(0..4),
            thin: rng.random_range(0..3),
            stretch: if rng.random_bool(0.8) { 2.0 } else { number(rng) },
            seed: rng.random(),
        };
        if let Ok(run) = sample(&post, &lap.mode, &lap.covariance, &opts, &Control::new()) {
            if run.draws.iter().any(|v| !v.is_finite()) || run.log_density.iter().any(|v| v.is_nan()) {
                return Err("ensemble: non-finite draws or NaN log density".into());
            }
        }
        Ok(())
    });
}
