//! The published check values of docs/bounds.md sections 3 and 4 that need the whole allocation pipeline.

use super::BoundSpec;
use crate::control::Control;

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// `got` rounds to `stated`, which is given to `digits` significant digits.
fn agrees(got: f64, stated: f64, digits: i32) -> bool {
    let unit = 10f64.powi(stated.abs().log10().floor() as i32 - digits + 1);
    (got - stated).abs() <= 0.5 * unit * (1.0 + 1e-9)
}

#[test]
fn dirichlet_process_check_table() {
    // docs/bounds.md section 3 (K = 10, B = 1): (d, C, p*, T*, T*/p*, U*).
    // The last two U* are stated to 4 digits.
    let rows = [
        (64.0, 1e12, 2.4130e4, 4.1442e7, 1717.4, 6.3086e-4, 5),
        (64.0, 1e16, 1.4467e6, 6.9122e9, 4777.8, 1.0941e-5, 5),
        (64.0, 1e20, 1.0268e8, 9.7389e11, 9484.6, 1.5602e-7, 5),
        (4.0, 1e16, 1.0914e6, 9.1622e9, 8394.6, 1.105e-6, 4),
        (256.0, 1e16, 1.6544e6, 6.0444e9, 3653.4, 3.763e-5, 4),
    ];
    for (d, c, p, t, ratio, u, u_digits) in rows {
        let spec = BoundSpec::new("dirichlet_process_teacher", &[d, 10.0, 1.0]).unwrap();
        let x = spec.allocate(&[c], false, &Control::new()).unwrap();
        let ok = agrees(x.p[0], p, 5)
            && agrees(x.t[0], t, 5)
            && agrees(x.t[0] / x.p[0], ratio, 5)
            && agrees(x.value[0], u, u_digits);
        assert!(ok, "{d} {c}: {x:?}");
    }
}

#[test]
fn local_slope_rises_toward_one_half() {
    let spec = BoundSpec::new("dirichlet_process_teacher", &[64.0, 10.0, 1.0]).unwrap();
    let c: Vec<f64> = [13, 15, 17, 19, 21].iter().map(|k| 10f64.powi(*k)).collect();
    let x = spec.allocate(&c, false, &Control::new()).unwrap();
    for (got, want) in x.local_exponent.iter().zip([0.438, 0.451, 0.460, 0.466, 0.470]) {
        assert!((got - want).abs() < 5e-4, "{got} vs {want}");
    }
}

#[test]
fn numerical_search_matches_closed_forms() {
    for (kind, params) in [
        ("inverse_linear", vec![3.0, 0.5]),
        ("inverse_log", vec![1.0, 0.0, 1.0]),
        ("power_law", vec![1.7, 406.4, 410.7, 0.34, 0.28]),
    ] {
        let spec = BoundSpec::new(kind, &params).unwrap();
        let c = [1e6, 1e12, 1e18];
        let exact = spec.allocate(&c, false, &Control::new()).unwrap();
        let num = spec.allocate(&c, true, &Control::new()).unwrap();
        for i in 0..3 {
            assert!(rel(num.p[i], exact.p[i]) < 1e-8, "{kind} {i}: {} vs {}", num.p[i], exact.p[i]);
            assert!((num.local_exponent[i] - exact.local_exponent[i]).abs() < 1e-6, "{kind}");
        }
    }
}
