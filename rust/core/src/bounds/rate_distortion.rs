//! The framework of docs/bounds.md section 1 for a rate-distortion curve H_eps given at points
//! eps_1 < ... < eps_m (H non-increasing, as a rate-distortion function is):
//!   sup_eps min(H_eps / T, eps) <= L_T <= inf_eps (H_eps / T + eps),   T_eps <= ceil(2 H_{eps/2} / eps).
//! Each tabulated point gives a valid bound on its own, so the sup and inf run over the table: no
//! interpolation, which could overstate H between points and break the lower bound.

use rayon::prelude::*;

use crate::error::{CoreError, Result};

const CHUNK: usize = 4096;

/// Check a tabulated curve: eps strictly increasing and positive, H finite, non-negative, non-increasing.
pub fn check_curve(eps: &[f64], h: &[f64]) -> Result<()> {
    if eps.is_empty() {
        return Err(CoreError::invalid("eps", "the rate-distortion table is empty"));
    }
    if eps.len() != h.len() {
        return Err(CoreError::invalid("H", format!("has {} values but eps has {}", h.len(), eps.len())));
    }
    if let Some(i) = eps.iter().position(|e| !(e.is_finite() && *e > 0.0)) {
        return Err(CoreError::invalid("eps", format!("must be finite and positive, got {} at position {i}", eps[i])));
    }
    if let Some(i) = eps.windows(2).position(|w| w[1] <= w[0]) {
        return Err(CoreError::invalid("eps", format!("must be strictly increasing; position {} is not", i + 1)));
    }
    if let Some(i) = h.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(CoreError::invalid("H", format!("must be finite and non-negative, got {} at position {i}", h[i])));
    }
    if let Some(i) = h.windows(2).position(|w| w[1] > w[0]) {
        return Err(CoreError::invalid(
            "H",
            format!(
                "a rate-distortion curve is non-increasing in eps, but H rises from {} to {} at position {}",
                h[i],
                h[i + 1],
                i + 1
            ),
        ));
    }
    Ok(())
}

/// (lower, upper) bounds on the average reducible error L_T for each sample count T.
pub fn two_sided_bound(eps: &[f64], h: &[f64], t: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    check_curve(eps, h)?;
    if let Some(i) = t.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(CoreError::invalid("T", format!("must be finite and positive, got {} at position {i}", t[i])));
    }
    let mut lower = vec![0.0; t.len()];
    let mut upper = vec![0.0; t.len()];
    lower.par_chunks_mut(CHUNK).zip(upper.par_chunks_mut(CHUNK)).zip(t.par_chunks(CHUNK)).for_each(|((lo, up), t)| {
        for ((lo, up), &t) in lo.iter_mut().zip(up.iter_mut()).zip(t) {
            let mut sup = 0.0f64;
            let mut inf = f64::INFINITY;
            for (&e, &h) in eps.iter().zip(h) {
                sup = sup.max((h / t).min(e));
                inf = inf.min(h / t + e);
            }
            *lo = sup;
            *up = inf;
        }
    });
    Ok((lower, upper))
}

/// Upper bounds ceil(2 H_{eps/2} / eps) on the samples needed to reach error eps. Where eps/2 falls
/// between tabulated points, H at the next smaller tabulated eps (at least H_{eps/2}) keeps the
/// bound valid; eps/2 outside the table is an error.
pub fn sample_complexity(eps: &[f64], h: &[f64], target: &[f64]) -> Result<Vec<f64>> {
    check_curve(eps, h)?;
    let (first, last) = (eps[0], eps[eps.len() - 1]);
    target
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let half = 0.5 * e;
            if !(half >= first && half <= last) {
                return Err(CoreError::invalid(
                    "eps",
                    format!("needs H at eps/2 = {half} (position {i}), outside the tabulated range [{first}, {last}]"),
                ));
            }
            let k = eps.partition_point(|&x| x <= half) - 1;
            Ok((2.0 * h[k] / e).ceil())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_bracket_and_sample_complexity_reads_down() {
        let eps: Vec<f64> = (1..=100).map(|i| i as f64 * 0.01).collect();
        let h: Vec<f64> = eps.iter().map(|e| 3.0 * (1.0 / e).ln()).collect();
        let (lo, up) = two_sided_bound(&eps, &h, &[1.0, 10.0, 1e4]).unwrap();
        for i in 0..3 {
            assert!(lo[i] <= up[i] && lo[i] >= 0.0);
        }
        assert_eq!(sample_complexity(&eps, &h, &[0.2]).unwrap(), vec![(2.0 * h[9] / 0.2).ceil()]);
        assert_eq!(sample_complexity(&eps, &h, &[0.205]).unwrap(), vec![(2.0 * h[9] / 0.205).ceil()]);
        assert!(sample_complexity(&eps, &h, &[0.01]).is_err());
        assert!(two_sided_bound(&eps, &eps, &[1.0]).is_err());
    }
}
