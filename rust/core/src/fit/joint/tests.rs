use super::*;
use crate::fit::{Fit, Init, LbfgsOptions, Objective};

/// Chinchilla runs of `groups` groups with exponents 0.34 and 0.28 common to all and per-group E,
/// A, B; `per_group` runs each, 1 % multiplicative deterministic wiggle when `noisy`.
/// Input columns by name, losses and group codes.
type Table = (Vec<(String, Vec<f64>)>, Vec<f64>, Vec<i64>);

fn runs(groups: usize, per_group: usize, noisy: bool) -> Table {
    let (mut n, mut d, mut loss, mut codes) = (vec![], vec![], vec![], vec![]);
    for g in 0..groups {
        let (e, a, b) = (1.6 + 0.1 * g as f64, 400.0 * (1.0 + 0.3 * g as f64), 410.0 / (1.0 + 0.2 * g as f64));
        for i in 0..per_group {
            let big_n = 1e8 * 1.9f64.powi(i as i32) * (1.0 + 0.1 * g as f64);
            let big_d = 2e9 * 1.6f64.powi(((i * 7) % per_group) as i32);
            let wiggle = if noisy { 1.0 + 0.01 * ((i * 13 + g * 5) as f64).sin() } else { 1.0 };
            n.push(big_n);
            d.push(big_d);
            loss.push((e + a / big_n.powf(0.34) + b / big_d.powf(0.28)) * wiggle);
            codes.push(g as i64);
        }
    }
    (vec![("N".into(), n), ("D".into(), d)], loss, codes)
}

fn base(cols: Vec<(String, Vec<f64>)>, loss: Vec<f64>, ties: Vec<(usize, usize)>) -> FitSpec {
    let objective = Objective::parse("huber_log", 1e-3, 2.0).unwrap();
    FitSpec::new("chinchilla", cols, loss, None, objective, vec![], ties, Init::Auto, LbfgsOptions::default()).unwrap()
}

fn joint(groups: usize, per_group: usize, shared: &[usize]) -> JointFit {
    let (cols, loss, codes) = runs(groups, per_group, false);
    let spec = JointSpec::new(base(cols, loss, vec![]), &codes, shared).unwrap();
    JointFit::run(spec, &Control::new()).unwrap()
}

#[test]
fn planted_shared_exponents_are_recovered() {
    let fit = joint(3, 8, &[3, 4]);
    assert!(fit.outcome.converged, "{:?}", fit.outcome.stop);
    for (g, t) in fit.outcome.thetas.iter().enumerate() {
        assert!((t[3] - 0.34).abs() < 1e-4 && (t[4] - 0.28).abs() < 1e-4, "{t:?}");
        assert!((t[0].exp() - (1.6 + 0.1 * g as f64)).abs() < 1e-3, "{t:?}");
    }
}

#[test]
fn nothing_shared_is_the_separate_fits() {
    let fit = joint(2, 10, &[]);
    let (cols, loss, codes) = runs(2, 10, false);
    let spec = JointSpec::new(base(cols, loss, vec![]), &codes, &[]).unwrap();
    for (g, part) in spec.group_specs().unwrap().into_iter().enumerate() {
        let alone = Fit::run(part, &Control::new()).unwrap();
        let f = alone.outcome.objective;
        assert!((fit.outcome.group_objectives[g] - f).abs() <= 1e-9 + 1e-6 * f.abs());
    }
}

#[test]
fn gradient_matches_central_differences() {
    let (cols, loss, codes) = runs(3, 7, true);
    let spec = JointSpec::new(base(cols, loss, vec![]), &codes, &[3]).unwrap();
    let parts = spec.group_specs().unwrap();
    let problems = parts.iter().map(FitSpec::problem).collect::<Result<Vec<_>>>().unwrap();
    let jp = JointProblem::new(problems, spec.layout().unwrap(), &spec.shared);
    let u: Vec<f64> = (0..jp.layout.n_joint()).map(|i| 0.3 + 0.05 * (i as f64).cos()).collect();
    let mut g = vec![0.0; u.len()];
    jp.value_grad(&u, &mut g);
    let mut scratch = vec![0.0; u.len()];
    for (j, &gj) in g.iter().enumerate() {
        let h = 1e-6;
        let (mut up, mut um) = (u.clone(), u.clone());
        up[j] += h;
        um[j] -= h;
        let fd = (jp.value_grad(&up, &mut scratch) - jp.value_grad(&um, &mut scratch)) / (2.0 * h);
        assert!((fd - gj).abs() <= 1e-5 * (1.0 + gj.abs()), "coordinate {j}: {fd} vs {gj}");
    }
}

#[test]
fn bootstrap_is_the_same_for_any_threads_and_chunks() {
    let (cols, loss, codes) = runs(3, 8, true);
    let spec = JointSpec::new(base(cols, loss, vec![]), &codes, &[3, 4]).unwrap();
    let fit = JointFit::run(spec, &Control::new()).unwrap();
    let on = |threads: usize, first: u64, n: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| joint_bootstrap(&fit, n, 7, first, &Control::new()).unwrap())
    };
    let whole = on(1, 0, 6);
    assert_eq!(whole, on(3, 0, 6));
    let (a, b) = (on(2, 0, 2), on(2, 2, 4));
    assert_eq!(whole.samples, [a.samples, b.samples].concat());
    assert!(whole.failed.iter().filter(|&&f| f).count() < 3);
}

#[test]
fn bad_groups_and_shares_name_their_argument() {
    let (cols, loss, mut codes) = runs(2, 6, false);
    let name = |r: Result<JointSpec>| match r {
        Err(CoreError::InvalidInput { name, .. }) => name,
        other => panic!("expected an input error, got {:?}", other.map(|s| s.n_groups)),
    };
    let b = || base(cols.clone(), loss.clone(), vec![]);
    assert_eq!(name(JointSpec::new(b(), &codes[1..], &[3])), "group");
    assert_eq!(name(JointSpec::new(b(), &codes, &[3, 3])), "shared");
    assert_eq!(name(JointSpec::new(b(), &codes, &[9])), "shared");
    // alpha tied to beta, only alpha shared.
    assert_eq!(name(JointSpec::new(base(cols.clone(), loss.clone(), vec![(4, 3)]), &codes, &[3])), "shared");
    // A group of two runs cannot determine three own parameters.
    codes[..10].iter_mut().for_each(|c| *c = 0);
    assert_eq!(name(JointSpec::new(b(), &codes, &[3, 4])), "group");
    codes[0] = -1;
    assert_eq!(name(JointSpec::new(b(), &codes, &[3, 4])), "group");
}
