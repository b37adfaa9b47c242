//! The exact kernel sum, evaluated only where it is not negligible.
//!
//! 1-D data are sorted once, so each query finds its window of contributing points by binary search.
//! Compact kernels contribute only inside their support. For the Gaussian and Laplace kernels every point
//! contributes, so the window is chosen relative to the nearest point: terms smaller than `e^-CUT` times the
//! nearest point's term are dropped (at most n e^-46 ~ 1e-20 n of the sum), and the sum is carried relative
//! to the nearest point's term. That same shift is the log-sum-exp of `logpdf`, which therefore stays finite
//! far in the tails where the density itself underflows.

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fastmath::exp as fast_exp;
use crate::kde::kernels::Kernel;
use crate::parallel::map_blocks;

/// Relative cut-off (in log units) below which a term of an unbounded kernel is dropped.
const CUT: f64 = 46.0;
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_7;
/// Queries per parallel block.
pub(crate) const QUERY_BLOCK: usize = 256;

/// Weighted 1-D sample, sorted by position, weights positive and summing to one.
#[derive(Debug, Clone, Copy)]
pub struct Sorted<'a> {
    pub x: &'a [f64],
    pub w: &'a [f64],
}

impl<'a> Sorted<'a> {
    pub fn new(x: &'a [f64], w: &'a [f64]) -> Result<Self> {
        if x.is_empty() {
            return Err(CoreError::invalid("samples", "is empty"));
        }
        if x.len() != w.len() {
            return Err(CoreError::invalid("weights", format!("has {} values for {} samples", w.len(), x.len())));
        }
        if x.windows(2).any(|p| p[0].is_nan() || p[0] > p[1]) {
            return Err(CoreError::invalid("samples", "must be sorted (internal: use kde::sort_sample)"));
        }
        Ok(Sorted { x, w })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    Pdf,
    LogPdf,
    Cdf,
    Sf,
}

/// Per-query window [lo, hi) of contributing points and the scaled distance |q - x| / h of the nearest
/// point (0 for compact kernels), computed as `relative_log_term` computes every point's, so that the
/// nearest point's relative term is exactly 1 even when z is 1e40 (bandwidth 1e-40) and z^2 has lost
/// every digit below 1e24.
pub(crate) fn window(s: &Sorted, h: f64, kernel: Kernel, q: f64) -> (usize, usize, f64) {
    let x = s.x;
    let n = x.len();
    let radius_and_ref = match kernel.support() {
        Some(a) => (a * h, 0.0),
        None => {
            let i = x.partition_point(|&v| v < q);
            let mut d = f64::INFINITY;
            if i < n {
                d = x[i] - q;
            }
            if i > 0 {
                d = d.min(q - x[i - 1]);
            }
            let z = d * (1.0 / h);
            // Widened by a relative 1e-12: at tiny bandwidths the radius rounds to d itself, and q - d
            // can round past the nearest point, which would leave the window empty.
            let radius = match kernel {
                Kernel::Laplace => d + CUT / std::f64::consts::SQRT_2 * h,
                // hypot: d^2 overflows for queries beyond 1e154.
                _ => d.hypot((2.0 * CUT).sqrt() * h),
            };
            (radius * (1.0 + 1e-12), z)
        }
    };
    let (r, reference) = radius_and_ref;
    let lo = x.partition_point(|&v| v < q - r);
    let hi = x.partition_point(|&v| v <= q + r);
    (lo, hi, reference)
}

/// Log of a point's kernel term relative to the nearest point's, for the unbounded kernels: `zmin` is
/// the nearest scaled distance, `z` this point's (|z| >= zmin). The Gaussian's (zmin^2 - z^2) / 2 is
/// taken factored, -(|z| - zmin)(|z| + zmin) / 2: exactly 0 for the nearest point and free of the
/// overflow and cancellation of the squares at huge scaled distances (far queries, tiny bandwidths).
#[inline(always)]
pub(crate) fn relative_log_term(kernel: Kernel, zmin: f64, z: f64) -> f64 {
    let a = z.abs();
    match kernel {
        Kernel::Laplace => std::f64::consts::SQRT_2 * (zmin - a),
        _ => -(a - zmin) * (0.5 * a + 0.5 * zmin),
    }
}

/// Gaussian window sum relative to the nearest term: sum_j w_j exp((zmin^2 - t_j^2) / 2).
#[inline]
fn gaussian_sum(x: &[f64], w: &[f64], q: f64, inv_h: f64, zmin: f64) -> f64 {
    let mut acc = [0.0f64; 4];
    let xc = x.chunks_exact(4);
    let wc = w.chunks_exact(4);
    let (xr, wr) = (xc.remainder(), wc.remainder());
    for (xs, ws) in xc.zip(wc) {
        for k in 0..4 {
            let t = (q - xs[k]) * inv_h;
            acc[k] += ws[k] * fast_exp(relative_log_term(Kernel::Gaussian, zmin, t));
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (xv, wv) in xr.iter().zip(wr) {
        let t = (q - xv) * inv_h;
        s += wv * fast_exp(relative_log_term(Kernel::Gaussian, zmin, t));
    }
    s
}

/// Log of the terms' common scale and their relative sum, for one query: density = exp(log_scale) * sum / h.
fn relative_density(s: &Sorted, h: f64, kernel: Kernel, q: f64) -> (f64, f64) {
    let (lo, hi, reference) = window(s, h, kernel, q);
    let (x, w) = (&s.x[lo..hi], &s.w[lo..hi]);
    let inv_h = 1.0 / h;
    if !reference.is_finite() {
        // The nearest point lies beyond 1.8e308 bandwidths: the density is 0 to double precision (its
        // logarithm below -1e308), and the terms relative to an infinite reference are undefined.
        return (f64::NEG_INFINITY, 1.0);
    }
    match kernel {
        Kernel::Gaussian => (-0.5 * reference * reference - LN_SQRT_2PI, gaussian_sum(x, w, q, inv_h, reference)),
        Kernel::Laplace => {
            let c = std::f64::consts::SQRT_2;
            let sum = x
                .iter()
                .zip(w)
                .map(|(xv, wv)| wv * fast_exp(relative_log_term(kernel, reference, (q - xv) * inv_h)))
                .sum();
            (-c * reference - std::f64::consts::LN_2 * 0.5, sum)
        }
        _ => (0.0, x.iter().zip(w).map(|(xv, wv)| wv * kernel.pdf((q - xv) * inv_h)).sum()),
    }
}

fn tail_probability(s: &Sorted, h: f64, kernel: Kernel, q: f64, upper: bool) -> f64 {
    let (lo, hi, _) = window(s, h, kernel, q);
    let inv_h = 1.0 / h;
    // Points left of the window lie entirely below q (their kernel cdf is 1 to within e^-CUT), points
    // right of it entirely above.
    let (outside, sign) =
        if upper { (s.w[hi..].iter().sum::<f64>(), -1.0) } else { (s.w[..lo].iter().sum::<f64>(), 1.0) };
    let inside: f64 =
        s.x[lo..hi].iter().zip(&s.w[lo..hi]).map(|(xv, wv)| wv * kernel.cdf(sign * (q - xv) * inv_h)).sum();
    // The normalised weights sum to 1 only to rounding (1 + a few ulps far right of the data): a
    // probability cannot exceed 1.
    (outside + inside).min(1.0)
}

/// One query's value of `quantity`.
pub(crate) fn evaluate_one(s: &Sorted, h: f64, kernel: Kernel, q: f64, quantity: Quantity) -> f64 {
    match quantity {
        Quantity::Pdf => {
            let (log_scale, sum) = relative_density(s, h, kernel, q);
            log_scale.exp() * sum / h
        }
        Quantity::LogPdf => {
            let (log_scale, sum) = relative_density(s, h, kernel, q);
            log_scale + sum.ln() - h.ln()
        }
        Quantity::Cdf => tail_probability(s, h, kernel, q, false),
        Quantity::Sf => tail_probability(s, h, kernel, q, true),
    }
}

pub(crate) fn check_bandwidth(h: f64) -> Result<()> {
    if !(h.is_finite() && h > 0.0) {
        return Err(CoreError::invalid("bandwidth", format!("must be a positive finite number, got {h}")));
    }
    Ok(())
}

/// `quantity` of the kernel density estimate at each query (1-D exact sum).
pub fn evaluate_1d(
    s: &Sorted,
    h: f64,
    kernel: Kernel,
    queries: &[f64],
    quantity: Quantity,
    control: &Control,
) -> Result<Vec<f64>> {
    check_bandwidth(h)?;
    control.set_total(queries.len());
    // Cancellation is checked before every query, not only every block: one query of a Gaussian or
    // Laplace kernel sums over the whole sample (10^6 terms and more), so a block of them could keep
    // Ctrl-C waiting for seconds.
    let blocks = map_blocks(queries.len(), QUERY_BLOCK, |a, b| {
        let out: Vec<f64> = queries[a..b]
            .iter()
            .map(|&q| control.check().map(|()| evaluate_one(s, h, kernel, q, quantity)))
            .collect::<Result<_>>()?;
        control.advance(b - a);
        Ok(out)
    });
    blocks.into_iter().collect::<Result<Vec<_>>>().map(|v| v.concat())
}

/// Sort a weighted sample by position, dropping zero weights and normalising the rest to sum one.
pub fn sort_sample(x: &[f64], w: Option<&[f64]>) -> Result<(Vec<f64>, Vec<f64>)> {
    use rayon::prelude::*;
    let n = x.len();
    let mut pairs: Vec<(f64, f64)> = match w {
        Some(w) => {
            if w.len() != n {
                return Err(CoreError::invalid("weights", format!("has {} values for {} samples", w.len(), n)));
            }
            x.iter().zip(w).filter(|(_, &wv)| wv > 0.0).map(|(&a, &b)| (a, b)).collect()
        }
        None => x.iter().map(|&a| (a, 1.0)).collect(),
    };
    if pairs.is_empty() {
        return Err(CoreError::invalid("weights", "no sample has a positive weight"));
    }
    // Sorting by (position, weight) makes the order, hence every sum, independent of the input order of ties.
    pairs.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    Ok(pairs.into_iter().map(|(a, b)| (a, b / total)).unzip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(x: &[f64], w: &[f64], h: f64, k: Kernel, q: f64) -> f64 {
        x.iter().zip(w).map(|(a, b)| b * k.pdf((q - a) / h)).sum::<f64>() / h
    }

    #[test]
    fn windowed_sum_equals_brute_force() {
        let raw: Vec<f64> =
            (0..500).map(|i| ((i * 7919) % 1000) as f64 / 97.0 - 3.0 + (i as f64 * 0.37).sin()).collect();
        let (x, w) = sort_sample(&raw, None).unwrap();
        let s = Sorted::new(&x, &w).unwrap();
        let c = Control::new();
        for name in crate::kde::kernels::KERNEL_NAMES {
            let k = Kernel::from_name(name).unwrap();
            let qs: Vec<f64> = (0..200).map(|i| -8.0 + i as f64 * 0.11).collect();
            let got = evaluate_1d(&s, 0.3, k, &qs, Quantity::Pdf, &c).unwrap();
            let log = evaluate_1d(&s, 0.3, k, &qs, Quantity::LogPdf, &c).unwrap();
            let cdf = evaluate_1d(&s, 0.3, k, &qs, Quantity::Cdf, &c).unwrap();
            let sf = evaluate_1d(&s, 0.3, k, &qs, Quantity::Sf, &c).unwrap();
            for (i, &q) in qs.iter().enumerate() {
                let want = brute(&x, &w, 0.3, k, q);
                assert!((got[i] - want).abs() <= 1e-13 * want.max(1e-300), "{name} at {q}: {} vs {want}", got[i]);
                if want > 1e-250 {
                    assert!((log[i] - want.ln()).abs() < 1e-12, "{name} log at {q}");
                }
                assert!((cdf[i] + sf[i] - 1.0).abs() < 1e-12, "{name} cdf + sf at {q}");
            }
        }
    }

    #[test]
    fn extreme_queries_and_bandwidths_give_numbers() {
        let raw: Vec<f64> = (0..200).map(|i| (i as f64 * 0.731).sin() * 2.0).collect();
        let (x, w) = sort_sample(&raw, None).unwrap();
        let s = Sorted::new(&x, &w).unwrap();
        let c = Control::new();
        for k in [Kernel::Gaussian, Kernel::Laplace] {
            for (h, q) in [(0.3, 1e154), (0.3, 1e200), (0.3, 1e308), (0.3, -1e308), (1e-20, 10.0), (1e-10, 10.0)] {
                let pdf = evaluate_1d(&s, h, k, &[q], Quantity::Pdf, &c).unwrap()[0];
                let log = evaluate_1d(&s, h, k, &[q], Quantity::LogPdf, &c).unwrap()[0];
                assert!(pdf == 0.0, "{k:?} h={h} q={q}: pdf {pdf}");
                assert!(log < 0.0 && !log.is_nan(), "{k:?} h={h} q={q}: logpdf {log}");
            }
            // Tiny bandwidth: the log density is the nearest point's term, finite.
            let near = x.iter().map(|v| (10.0 - v).abs()).fold(f64::INFINITY, f64::min);
            let log = evaluate_1d(&s, 1e-10, k, &[10.0], Quantity::LogPdf, &c).unwrap()[0];
            let z = near * 1e10;
            let want = match k {
                Kernel::Gaussian => -0.5 * z * z - LN_SQRT_2PI,
                _ => -std::f64::consts::SQRT_2 * z - 0.5 * std::f64::consts::LN_2,
            } + (1.0f64 / 200.0).ln()
                - 1e-10f64.ln();
            assert!((log - want).abs() <= 1e-9 * want.abs(), "{k:?}: {log} vs {want}");
        }
    }

    #[test]
    fn logpdf_finite_far_in_the_tail() {
        let (x, w) = sort_sample(&[0.0, 1.0, 2.0], None).unwrap();
        let s = Sorted::new(&x, &w).unwrap();
        let v = evaluate_1d(&s, 0.1, Kernel::Gaussian, &[1e3], Quantity::LogPdf, &Control::new()).unwrap();
        let want = -0.5 * (998.0f64 / 0.1).powi(2) - LN_SQRT_2PI - (3.0f64).ln() - 0.1f64.ln();
        assert!((v[0] - want).abs() < 1e-9 * want.abs(), "{} vs {want}", v[0]);
    }
}
