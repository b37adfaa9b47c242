//! Golden-section search for a maximum (Kiefer 1953, "Sequential minimax search for a maximum"): the
//! leave-one-out bandwidth and the mode refine a bracket from a scan with it.

use crate::error::Result;

/// Maximise `f` on [a, b] until the bracket is narrower than `tol`; returns the bracket's midpoint.
pub(crate) fn golden_max(f: impl Fn(f64) -> Result<f64>, mut a: f64, mut b: f64, tol: f64) -> Result<f64> {
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c)?, f(d)?);
    while b - a > tol {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d)?;
        }
    }
    Ok(0.5 * (a + b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_maximum_of_a_unimodal_function() {
        let x = golden_max(|v| Ok(-(v - 0.3).powi(2)), -1.0, 2.0, 1e-10).unwrap();
        assert!((x - 0.3).abs() < 1e-9, "{x}");
    }
}
