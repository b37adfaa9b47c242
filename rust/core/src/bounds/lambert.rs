//! Principal-branch Lambert W of a positive argument given by its logarithm.
//!
//! The one-log allocation needs W(z) with z = (2aC/b1) exp(2(b0/b1 + 1)), which overflows f64 for
//! large budgets or large b0/b1 long before W(z) itself is large. Taking ln z and solving
//! v + ln v = ln z for v = W(z) never forms z. Hand-written because the Lambert W crates take z itself.

/// W(e^ln_z), the v > 0 with v + ln v = ln_z.
///
/// f(v) = v + ln v - ln_z is increasing and concave, so Newton's method started left of the root
/// climbs to it monotonically without overshooting. Both starts are left of the root:
/// for ln_z > 1, v = L - ln L gives f = ln(1 - ln L / L) < 0; for ln_z <= 1 the root is at most 1, so
/// v = ln_z - root >= ln_z - 1 gives root >= e^(ln_z - 1).
pub fn lambert_w_of_exp(ln_z: f64) -> f64 {
    let mut v = if ln_z > 1.0 { ln_z - ln_z.ln() } else { (ln_z - 1.0).exp() };
    for _ in 0..100 {
        // Newton step for f(v) = v + ln v - ln_z, f'(v) = 1 + 1/v.
        let next = v - (v + v.ln() - ln_z) / (1.0 + 1.0 / v);
        let done = (next - v).abs() <= 4.0 * f64::EPSILON * next;
        v = next;
        if done {
            break;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfies_defining_equation() {
        for &ln_z in &[-700.0, -30.0, -1.0, 0.0, 0.5, 1.0, 1.5, 10.0, 46.0, 700.0, 1e5, 1e300] {
            let v = lambert_w_of_exp(ln_z);
            let resid = (v + v.ln() - ln_z).abs();
            assert!(resid <= 1e-13 * ln_z.abs().max(1.0), "ln_z={ln_z} v={v} resid={resid}");
        }
    }

    #[test]
    fn known_values() {
        // W(1) = Omega constant, W(e) = 1.
        assert!((lambert_w_of_exp(0.0) - 0.567_143_290_409_783_8).abs() < 1e-15);
        assert!((lambert_w_of_exp(1.0) - 1.0).abs() < 1e-15);
    }
}
