//! Data-driven bandwidths: improved Sheather-Jones (Botev, Grotowski & Kroese 2010) and the leave-one-out
//! maximum-likelihood (Kullback-Leibler optimal) bandwidth; `rules` names them and the closed-form rules.

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fastmath::exp as fast_exp;
use crate::kde::exact::Sorted;
use crate::kde::search::golden_max;
use crate::numeric::root::{brentq, Tolerance};
use crate::parallel::map_blocks;

/// Grid of the ISJ estimate: 2^10 points, as KDEpy.
const ISJ_GRID: usize = 1 << 10;

/// Which ISJ to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsjVariant {
    /// Botev et al.'s algorithm: grid padded by half the data range on each side and the diffusion time,
    /// measured on the unit interval the grid is mapped to, converted back with the grid's range.
    /// Scale-equivariant.
    Botev,
    /// KDEpy 1.1.12's `improved_sheather_jones`, reproduced for comparison: padding max(range/2, 6) in data
    /// units and conversion with the data range instead of the grid range (KDEpy issues #199, #201),
    /// which makes it 2x smaller than Botev's when range >= 12 and scale-dependent below.
    KdePy,
}

/// DCT-II, y_k = 2 sum_n x_n cos(pi k (2n + 1) / (2N)), through an FFT of the even extension.
fn dct2(x: &[f64]) -> Vec<f64> {
    dct2_with(FftPlanner::new().plan_fft_forward(2 * x.len()).as_ref(), x)
}

/// `dct2` with a forward FFT plan of length 2N made by the caller (who transforms many rows of one length).
pub(crate) fn dct2_with(plan: &dyn Fft<f64>, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut buf: Vec<Complex<f64>> = x.iter().chain(x.iter().rev()).map(|&v| Complex::new(v, 0.0)).collect();
    plan.process(&mut buf);
    (0..n)
        .map(|k| {
            let phase = -std::f64::consts::PI * k as f64 / (2 * n) as f64;
            (Complex::from_polar(1.0, phase) * buf[k]).re
        })
        .collect()
}

/// t - t_opt(t): the fixed-point equation of Botev et al. with l = 7 stages.
fn fixed_point(t: f64, n: f64, i_sq: &[f64], a2: &[f64]) -> f64 {
    let pi2 = std::f64::consts::PI * std::f64::consts::PI;
    let norm = |s: i32, time: f64| -> f64 {
        0.5 * std::f64::consts::PI.powi(2 * s)
            * i_sq.iter().zip(a2).map(|(&i, &a)| i.powi(s) * a * (-i * pi2 * time).exp()).sum::<f64>()
    };
    let ell = 7;
    let mut f = norm(ell, t);
    if f <= 0.0 {
        return -1.0;
    }
    for s in (2..ell).rev() {
        let odd_prod: f64 = (1..=s).map(|k| (2 * k - 1) as f64).product();
        let k0 = odd_prod / (2.0 * std::f64::consts::PI).sqrt();
        let c = (1.0 + 0.5f64.powf(s as f64 + 0.5)) / 3.0;
        let time = (2.0 * c * k0 / (n * f)).powf(2.0 / (3.0 + 2.0 * s as f64));
        f = norm(s, time);
    }
    t - (2.0 * n * std::f64::consts::PI.sqrt() * f).powf(-0.4)
}

/// Improved Sheather-Jones bandwidth of a 1-D sample (weights need not be normalised; zero weights ignored).
pub fn isj(x: &[f64], w: Option<&[f64]>, variant: IsjVariant) -> Result<f64> {
    let pairs: Vec<(f64, f64)> = match w {
        Some(w) => x.iter().zip(w).filter(|p| *p.1 > 0.0).map(|(&a, &b)| (a, b)).collect(),
        None => x.iter().map(|&a| (a, 1.0)).collect(),
    };
    let mut sorted: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    sorted.par_sort_unstable_by(f64::total_cmp);
    sorted.dedup();
    let n_unique = sorted.len();
    if n_unique < 2 {
        return Err(CoreError::invalid("samples", "the ISJ bandwidth needs at least two distinct values"));
    }
    let (lo, hi) = (sorted[0], sorted[n_unique - 1]);
    let range = hi - lo;
    let pad = match variant {
        IsjVariant::Botev => 0.5 * range,
        IsjVariant::KdePy => (0.5 * range).max(6.0),
    };
    let (g0, g1) = (lo - pad, hi + pad);
    let dx = (g1 - g0) / (ISJ_GRID - 1) as f64;
    // Linear binning onto the grid, normalised to total mass one.
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let mut binned = vec![0.0; ISJ_GRID];
    for &(v, wv) in &pairs {
        let u = (v - g0) / dx;
        let j = (u.max(0.0) as usize).min(ISJ_GRID - 2); // truncation = floor for u >= 0
        let frac = u - j as f64;
        binned[j] += (1.0 - frac) * wv / total;
        binned[j + 1] += frac * wv / total;
    }
    let a = dct2(&binned);
    let i_sq: Vec<f64> = (1..ISJ_GRID).map(|k| (k * k) as f64).collect();
    let a2: Vec<f64> = a[1..].iter().map(|v| v * v).collect();
    let n = n_unique as f64;
    let g = |t: f64| fixed_point(t, n, &i_sq, &a2);
    // Botev's bracket heuristic as in his MATLAB code and KDEpy: widen [0, tol] until the sign changes.
    let n_clamped = n.clamp(50.0, 1050.0);
    let mut tol = 10e-12 + 0.01 * (n_clamped - 50.0) / 1000.0;
    let t = loop {
        if tol >= 1.0 {
            return Err(CoreError::Convergence(
                "the ISJ fixed-point equation has no root (too few or too strongly clustered data)".into(),
            ));
        }
        let (f0, f1) = (g(0.0), g(tol));
        if f0 * f1 <= 0.0 {
            // Brent's method as scipy's brentq: the equation can have several roots in the bracket, and
            // following scipy's iterates lands on the same one as KDEpy (plain bisection does not always).
            if let Some(root) = brentq(g, 0.0, tol, f0, f1, Tolerance::SCIPY) {
                if root > 0.0 {
                    break root;
                }
            }
        }
        tol *= 2.0;
    };
    let scale = match variant {
        IsjVariant::Botev => g1 - g0,
        IsjVariant::KdePy => range,
    };
    Ok(t.sqrt() * scale)
}

/// Leave-one-out log-likelihood sum_i w_i ln f_{-i}(x_i) of the Gaussian kernel estimate with bandwidth h,
/// where f_{-i} omits point i and renormalises the remaining weights. Windowed as in the exact sum.
pub fn loo_log_likelihood(s: &Sorted, h: f64, control: &Control) -> Result<f64> {
    let (x, w) = (s.x, s.w);
    let n = x.len();
    if n < 2 {
        return Err(CoreError::invalid("samples", "the leave-one-out bandwidth needs at least two samples"));
    }
    let inv_h = 1.0 / h;
    let ln_norm = 0.5 * (2.0 * std::f64::consts::PI).ln() + h.ln();
    let one = |i: usize| -> f64 {
        let q = x[i];
        let mut d = f64::INFINITY;
        if i + 1 < n {
            d = x[i + 1] - q;
        }
        if i > 0 {
            d = d.min(q - x[i - 1]);
        }
        let zmin2 = (d * inv_h).powi(2);
        let r = (d * d + 2.0 * 46.0 * h * h).sqrt();
        let lo = x.partition_point(|&v| v < q - r);
        let hi = x.partition_point(|&v| v <= q + r);
        let term = |j: usize| {
            let t = (q - x[j]) * inv_h;
            w[j] * fast_exp(0.5 * (zmin2 - t * t))
        };
        let sum: f64 = (lo..i).map(term).sum::<f64>() + (i + 1..hi).map(term).sum::<f64>();
        w[i] * (-0.5 * zmin2 + sum.ln() - (1.0 - w[i]).ln() - ln_norm)
    };
    let parts = map_blocks(n, 512, |a, b| {
        control.check()?;
        Ok((a..b).map(one).sum::<f64>())
    });
    Ok(parts.into_iter().collect::<Result<Vec<f64>>>()?.into_iter().sum())
}

/// Bandwidth maximising the leave-one-out likelihood, searched over [h_lo, h_hi]: a log-spaced scan, then
/// golden-section refinement around the best scan point (to 1e-6 relative). The likelihood can be
/// multimodal in h; the scan keeps the search global at the scan's resolution.
pub fn loo_ml(s: &Sorted, h_lo: f64, h_hi: f64, control: &Control) -> Result<f64> {
    if !(h_lo > 0.0 && h_hi > h_lo && h_hi.is_finite()) {
        return Err(CoreError::invalid("bandwidth", format!("invalid search range [{h_lo}, {h_hi}]")));
    }
    const SCAN: usize = 41;
    let ratio = (h_hi / h_lo).ln() / (SCAN - 1) as f64;
    let hs: Vec<f64> = (0..SCAN).map(|k| h_lo * (ratio * k as f64).exp()).collect();
    let mut ll = Vec::with_capacity(SCAN);
    for &h in &hs {
        ll.push(loo_log_likelihood(s, h, control)?);
    }
    let best = (0..SCAN).fold(0, |b, k| if ll[k] > ll[b] { k } else { b });
    if best == 0 {
        return Err(CoreError::invalid(
            "bandwidth",
            "the leave-one-out likelihood grows without bound as the bandwidth shrinks (repeated sample values?)",
        ));
    }
    let (a, b) = (hs[best - 1].ln(), hs[(best + 1).min(SCAN - 1)].ln());
    let log_h = golden_max(|lh| loo_log_likelihood(s, lh.exp(), control), a, b, 1e-6)?;
    let mut h = log_h.exp();
    // Keep the scan's best if the refinement did no better (a flat or ragged likelihood).
    if loo_log_likelihood(s, h, control)? < ll[best] {
        h = hs[best];
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_matches_definition() {
        let x: Vec<f64> = (0..16).map(|i| (i as f64 * 0.7).sin() + 0.1 * i as f64).collect();
        let y = dct2(&x);
        for (k, yk) in y.iter().enumerate() {
            let want: f64 =
                (0..16).map(|i| 2.0 * x[i] * (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / 32.0).cos()).sum();
            assert!((yk - want).abs() < 1e-12);
        }
    }

    #[test]
    fn fixed_point_matches_botev_matlab_values() {
        // The doctests KDEpy took from Botev's MATLAB code.
        let ints: Vec<f64> = (1..=50).map(|v| v as f64).collect();
        assert!((fixed_point(0.01, 50.0, &ints, &ints) - 0.009_907_622_029_396_762).abs() < 1e-12);
        let ints10: Vec<f64> = (1..=10).map(|v| v as f64).collect();
        assert!((fixed_point(0.07, 25.0, &ints10, &ints10) - 0.068_342_291_525_717_5).abs() < 1e-12);
    }

    #[test]
    fn isj_is_scale_equivariant_and_kdepy_variant_is_half_for_wide_data() {
        let x: Vec<f64> = (0..2000).map(|i| ((i * 7919) % 2003) as f64 / 50.0 + (i as f64).sin()).collect();
        let b = isj(&x, None, IsjVariant::Botev).unwrap();
        let k = isj(&x, None, IsjVariant::KdePy).unwrap();
        assert!((b / k - 2.0).abs() < 1e-9, "{b} {k}");
        let scaled: Vec<f64> = x.iter().map(|v| v * 1e-3).collect();
        let bs = isj(&scaled, None, IsjVariant::Botev).unwrap();
        assert!((bs / b - 1e-3).abs() < 1e-9 * 1e-3);
    }
}
