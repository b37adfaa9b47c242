//! The maximisations of the KDE (the leave-one-out bandwidth, the mode): one lane of the project's
//! golden-section search (`numeric::golden`), run until the bracket is narrower than a tolerance.

use crate::error::Result;
use crate::numeric::golden::{golden_section, INV_PHI};

/// Maximise `f` on [a, b] to a bracket narrower than `tol`; returns the best point found.
pub(crate) fn golden_max(f: impl Fn(f64) -> Result<f64>, a: f64, b: f64, tol: f64) -> Result<f64> {
    // The bracket after s steps is (b - a) INV_PHI^(s + 1); NaN or an empty bracket give 0 steps.
    let steps = ((tol / (b - a)).ln() / INV_PHI.ln()).ceil().max(0.0) as usize;
    let (x, _) = golden_section(&[a], &[b], steps, |x, out| {
        out[0] = -f(x[0])?;
        Ok(())
    })?;
    Ok(x[0])
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
