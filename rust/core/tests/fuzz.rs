//! Randomised fuzzing of the core's entry points with hostile inputs (issue 14): fits, law predictions,
//! kernel density estimates, statistic bootstraps, IsoFLOP fits, bound evaluation and allocation
//! (`fuzz_models.rs` has the expression laws, fleets, inductive bias, intrinsic dimension and
//! posterior). The driver and the generators are in `fuzz_driver`.
//!
//! cargo-fuzz needs a nightly compiler, so this is a property run at scale on stable instead. By default
//! each entry point runs a few hundred cases (part of `cargo test`); `make fuzz` runs each for
//! `SCALECORE_FUZZ_SECONDS` seconds (600 by default) and prints the number of cases per entry point.

mod fuzz_driver;

use fuzz_driver::{column, fuzz, length, number, positive};
use rand::Rng;
use scalecore_core::bootstrap::statistics::distribution;
use scalecore_core::bootstrap::{Resampling, Statistic};
use scalecore_core::bounds::{BoundSpec, KINDS};
use scalecore_core::control::Control;
use scalecore_core::fit::{Fit, FitSpec, Init, LbfgsOptions, Objective};
use scalecore_core::isoflop::{isoflop, Options, Sweep};
use scalecore_core::kde::{BandwidthSpec, Estimator, Kernel, Method, Spec, KERNEL_NAMES};
use scalecore_core::laws::{self, Columns, Space};

#[test]
fn fuzz_fit() {
    let names = laws::names();
    fuzz("fit", 60, |rng| {
        let law = names[rng.random_range(0..names.len())];
        let n = length(rng);
        let columns: Vec<(String, Vec<f64>)> = laws::get(law)
            .map_err(|e| e.to_string())?
            .inputs()
            .iter()
            .map(|c| (c.to_string(), column(rng, n, 1e8)))
            .collect();
        let loss = column(rng, n, 2.0);
        let weights = rng.random_bool(0.3).then(|| column(rng, n, 1.0));
        let names = Objective::NAMES;
        let objective = match Objective::parse(names[rng.random_range(0..names.len())], positive(rng), positive(rng)) {
            Ok(o) => o,
            Err(_) => return Ok(()),
        };
        let k = laws::get(law).map_err(|e| e.to_string())?.n_params();
        let starts: Vec<Vec<f64>> = (0..2).map(|_| (0..k).map(|_| rng.random_range(-2.0..5.0)).collect()).collect();
        let opts = LbfgsOptions { max_iter: 200, ..LbfgsOptions::default() };
        let spec =
            match FitSpec::new(law, columns, loss, weights, objective, vec![], vec![], Init::Starts(starts), opts) {
                Ok(s) => s,
                Err(_) => return Ok(()),
            };
        let Ok(fit) = Fit::run(spec, &Control::new()) else { return Ok(()) };
        let o = &fit.outcome;
        if o.converged && !(o.theta.iter().all(|v| v.is_finite()) && o.objective.is_finite()) {
            return Err(format!("{law}: converged with theta {:?}, objective {}", o.theta, o.objective));
        }
        Ok(())
    });
}

#[test]
fn fuzz_law_predictions() {
    let names = laws::names();
    fuzz("law_predict", 2000, |rng| {
        let law = laws::get(names[rng.random_range(0..names.len())]).map_err(|e| e.to_string())?;
        let theta: Vec<f64> = (0..law.n_params()).map(|_| number(rng)).collect();
        let n = length(rng);
        let values: Vec<Vec<f64>> = law.inputs().iter().map(|_| column(rng, n, 1e9)).collect();
        let mut cols = Columns::default();
        for (name, v) in law.inputs().iter().zip(&values) {
            match *name {
                "x" => cols.x = Some(v),
                "N" => cols.n = Some(v),
                "D" => cols.d = Some(v),
                "U" => cols.u = Some(v),
                "C" => cols.c = Some(v),
                _ => cols.m = Some(v),
            }
        }
        if law.check_params(&theta).is_err() {
            return Ok(());
        }
        let Ok(feats) = law.features(&cols) else { return Ok(()) };
        let mut pred = vec![0.0; feats.n_rows];
        law.predict_block(&theta, &feats, 0, feats.n_rows, Space::Linear, &mut pred, None);
        Ok(())
    });
}

#[test]
fn fuzz_kde() {
    fuzz("kde", 400, |rng| {
        let d = if rng.random_bool(0.8) { 1 } else { 2 };
        let n = length(rng);
        let x = column(rng, n * d, 1.0);
        let weights = rng.random_bool(0.2).then(|| column(rng, n, 1.0));
        let kernel =
            Kernel::from_name(KERNEL_NAMES[rng.random_range(0..KERNEL_NAMES.len())]).map_err(|e| e.to_string())?;
        let method = [Method::Auto, Method::Exact, Method::Binned][rng.random_range(0..3)];
        let h = positive(rng);
        let spec = Spec {
            x: x.clone(),
            d,
            weights: weights.as_deref(),
            bandwidth: BandwidthSpec::Value { h, label: None },
            kernel,
            method,
            tolerance: 1e-6,
        };
        let control = Control::new();
        let Ok(est) = Estimator::new(spec, &control) else { return Ok(()) };
        let q: Vec<f64> = (0..d * rng.random_range(1..6)).map(|_| number(rng)).collect();
        let pdf = est.density(&q, false, &control);
        let log = est.density(&q, true, &control);
        let _ = est.tail(&q, false, &control);
        // A finite sample and finite queries have a density that is a number (0 far away), never NaN.
        let finite = x.iter().chain(&q).all(|v| v.is_finite()) && h.is_finite();
        if let (true, Ok(pdf), Ok(log)) = (finite && d == 1, pdf, log) {
            if let Some(i) = (0..pdf.len()).find(|&i| pdf[i].is_nan() || log[i].is_nan() || log[i] == f64::INFINITY) {
                return Err(format!("{kernel:?} {method:?} h={h}: pdf {} logpdf {} at {}", pdf[i], log[i], q[i]));
            }
        }
        Ok(())
    });
}

#[test]
fn fuzz_statistic_bootstrap() {
    fuzz("bootstrap_statistic", 400, |rng| {
        let names = Statistic::NAMES;
        let Ok(stat) = Statistic::parse(names[rng.random_range(0..names.len())], number(rng), number(rng), number(rng))
        else {
            return Ok(());
        };
        let n = length(rng);
        let a = column(rng, n, 1.0);
        let m = if rng.random_bool(0.8) { n } else { length(rng) };
        let b = column(rng, m, 1.0);
        let samples: Vec<&[f64]> = if rng.random_bool(0.5) { vec![&a] } else { vec![&a, &b] };
        let count = rng.random_range(0..50);
        let blocks = [None, Some("moving"), Some("circular"), Some("stationary"), Some("other")];
        let Ok(scheme) = Resampling::parse(blocks[rng.random_range(0..blocks.len())], number(rng)) else {
            return Ok(());
        };
        let _ = distribution(stat, &samples, rng.random_bool(0.5), scheme, rng.random(), 0, count, &Control::new());
        Ok(())
    });
}

#[test]
fn fuzz_isoflop() {
    fuzz("isoflop", 400, |rng| {
        let nb = rng.random_range(0..4);
        let n = length(rng);
        let ln_n = column(rng, n, 18.0);
        let loss = column(rng, n, 2.5);
        let budget: Vec<usize> = (0..n).map(|_| rng.random_range(0..nb.max(1) + 1)).collect();
        let ln_c = column(rng, nb, 45.0);
        let sweep = Sweep { ln_n: &ln_n, loss: &loss, budget: &budget, ln_c: &ln_c };
        let near = rng.random_bool(0.5).then(|| rng.random_range(0..10));
        let _ = isoflop(&sweep, &Options { degree: rng.random_range(1..5), near }, None);
        Ok(())
    });
}

#[test]
fn fuzz_bounds() {
    fuzz("bounds", 1000, |rng| {
        let (kind, names) = KINDS[rng.random_range(0..KINDS.len())];
        let params: Vec<f64> = (0..names.len()).map(|_| positive(rng)).collect();
        let Ok(bound) = BoundSpec::new(kind, &params) else { return Ok(()) };
        let m = rng.random_range(1..6);
        let p: Vec<f64> = (0..m).map(|_| positive(rng)).collect();
        let t: Vec<f64> = (0..m).map(|_| positive(rng)).collect();
        let mut value = vec![0.0; m];
        let control = Control::new();
        let _ = bound.evaluate(&p, &t, &mut value, None, &control);
        let compute: Vec<f64> = (0..m).map(|_| positive(rng)).collect();
        let _ = bound.allocate(&compute, rng.random_bool(0.5), &control);
        Ok(())
    });
}
