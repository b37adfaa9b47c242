//! Multivariate (d >= 2) exact Gaussian kernel density with a bandwidth matrix, and its diagnostics.

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fastmath::exp as fast_exp;
use crate::kde::exact::QUERY_BLOCK;
use crate::parallel::map_blocks;

/// Multivariate Gaussian kernel sum with bandwidth matrix H = L L^T (`chol` is L, row-major, lower
/// triangular): returns per query log sum_j w_j exp(-|L^-1 (q - x_j)|^2 / 2) (the caller adds the normalising
/// constant), the effective number of contributing points and the largest term's share. The difference
/// q - x_j is formed before whitening it by forward substitution, so the rounding error of the squared
/// Mahalanobis distance scales with the distance itself, not with the coordinates' magnitude (scipy whitens
/// the points first and loses ~1e-11 relative far from the data).
pub fn gaussian_nd(
    x: &[f64],
    w: &[f64],
    chol: &[f64],
    d: usize,
    queries: &[f64],
    control: &Control,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    if d == 0 || x.len() % d != 0 || queries.len() % d != 0 || x.len() / d != w.len() || w.is_empty() {
        return Err(CoreError::invalid("samples", "inconsistent multivariate shapes"));
    }
    if chol.len() != d * d || (0..d).any(|i| chol[i * d + i].is_nan() || chol[i * d + i] <= 0.0) {
        return Err(CoreError::invalid("bandwidth", "the Cholesky factor must be d x d with a positive diagonal"));
    }
    let m = queries.len() / d;
    control.set_total(m);
    let inv_diag: Vec<f64> = (0..d).map(|i| 1.0 / chol[i * d + i]).collect();
    // Whitened difference z = L^-1 (q - x_j) by forward substitution into `z`; a non-finite entry means
    // the difference overflowed (a query or point beyond 1e308): that point is infinitely far.
    let whiten = |q: &[f64], row: &[f64], z: &mut [f64]| -> bool {
        for i in 0..d {
            let mut v = q[i] - row[i];
            for j in 0..i {
                v -= chol[i * d + j] * z[j];
            }
            z[i] = v * inv_diag[i];
            if !z[i].is_finite() {
                return false;
            }
        }
        true
    };
    let per_query = |q: &[f64]| {
        let mut z = vec![0.0; d];
        let d2: Vec<f64> = x
            .chunks_exact(d)
            .map(|row| if whiten(q, row, &mut z) { z.iter().map(|t| t * t).sum() } else { f64::INFINITY })
            .collect();
        let dmin2 = d2.iter().cloned().fold(f64::INFINITY, f64::min);
        if dmin2.is_finite() {
            let (mut s1, mut s2, mut top) = (0.0f64, 0.0f64, 0.0f64);
            for (dj, wv) in d2.iter().zip(w) {
                let k = wv * fast_exp(0.5 * (dmin2 - dj)); // 0 below e^-707
                s1 += k;
                s2 += k * k;
                top = top.max(k);
            }
            return (-0.5 * dmin2 + s1.ln(), s1 * s1 / s2, top / s1);
        }
        far_query(q, x, w, &mut z, &whiten)
    };
    let blocks = map_blocks(m, QUERY_BLOCK / 4, |a, b| {
        // Checked before every query: each sums over the whole sample.
        let out: Vec<(f64, f64, f64)> = queries[a * d..b * d]
            .chunks_exact(d)
            .map(|q| control.check().map(|()| per_query(q)))
            .collect::<Result<_>>()?;
        control.advance(b - a);
        Ok(out)
    });
    let rows: Vec<(f64, f64, f64)> = blocks.into_iter().collect::<Result<Vec<_>>>()?.concat();
    let mut out = (Vec::with_capacity(m), Vec::with_capacity(m), Vec::with_capacity(m));
    for (a, b, c) in rows {
        out.0.push(a);
        out.1.push(b);
        out.2.push(c);
    }
    Ok(out)
}

/// A query whose squared distance to every point overflows (beyond 1.3e154 bandwidths): the same sum with
/// the distances r_j themselves (the norm of z scaled by its largest entry) and each term relative to the
/// nearest, exp(-(r_j - r_min)(r_j + r_min) / 2), as the 1-D exact sum carries it. The log density
/// -r_min^2 / 2 + ln sum is finite while it is above -f64::MAX and -inf beyond, where the density is 0 to
/// double precision.
fn far_query(
    q: &[f64],
    x: &[f64],
    w: &[f64],
    z: &mut [f64],
    whiten: &impl Fn(&[f64], &[f64], &mut [f64]) -> bool,
) -> (f64, f64, f64) {
    let d = q.len();
    let r: Vec<f64> = x
        .chunks_exact(d)
        .map(|row| {
            if !whiten(q, row, z) {
                return f64::INFINITY;
            }
            let big = z.iter().fold(0.0f64, |m, t| m.max(t.abs()));
            big * z.iter().map(|t| (t / big) * (t / big)).sum::<f64>().sqrt()
        })
        .collect();
    let rmin = r.iter().cloned().fold(f64::INFINITY, f64::min);
    if !rmin.is_finite() {
        return (f64::NEG_INFINITY, 1.0, 1.0);
    }
    let (mut s1, mut s2, mut top) = (0.0f64, 0.0f64, 0.0f64);
    for (rj, wv) in r.iter().zip(w) {
        let k = wv * fast_exp(-(rj - rmin) * (0.5 * rj + 0.5 * rmin));
        s1 += k;
        s2 += k * k;
        top = top.max(k);
    }
    (-(0.5 * rmin) * rmin + s1.ln(), s1 * s1 / s2, top / s1)
}
