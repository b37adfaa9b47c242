//! Multivariate (d >= 2) exact kernel sums for the kernels other than the Gaussian (which has its own sum
//! in `multivariate`): radial kernels of the whitened difference z = L^-1 (q - x), H = L L^T,
//!
//!   K_H(q - x) = k(|z| / a) / (a^d c_d |L|),
//!
//! with k the kernel's shape and a its 1-D scale (`Kernel::profile`, `Kernel::scale`). This is KDEpy's
//! Euclidean-norm kernel (Odland 2018, KDEpy; norm=2): with H = h^2 I it is KDEpy's kernel of bandwidth h.
//! Only the Gaussian then has unit variance per coordinate; the others keep their 1-D scale.

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fastmath::exp as fast_exp;
use crate::kde::exact::QUERY_BLOCK;
use crate::kde::kernels::Kernel;
use crate::parallel::map_blocks;

/// Relative cut-off (in log units) below which a Laplace term is negligible next to the nearest one.
const CUT: f64 = 46.0;

/// |L^-1 v| for the lower-triangular Cholesky factor `chol` (d x d, row-major) by forward substitution
/// into `z`; +inf when a coordinate overflows (a point beyond 1e308). Shared with the grid evaluation so
/// that both decide a compact kernel's support edge on the same bits.
#[inline(always)]
pub(crate) fn whitened_norm(chol: &[f64], inv_diag: &[f64], v: &[f64], z: &mut [f64]) -> f64 {
    let d = v.len();
    let mut sq = 0.0;
    for i in 0..d {
        let mut t = v[i];
        for j in 0..i {
            t -= chol[i * d + j] * z[j];
        }
        z[i] = t * inv_diag[i];
        sq += z[i] * z[i];
    }
    if sq.is_finite() {
        return sq.sqrt();
    }
    // The square overflowed: the norm scaled by its largest entry (infinite only if an entry is).
    let big = z.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    if !big.is_finite() {
        return f64::INFINITY;
    }
    big * z.iter().map(|t| (t / big) * (t / big)).sum::<f64>().sqrt()
}

/// ln of the constant 1 / (a^d c_d |L|) of a radial kernel with Cholesky factor `chol`.
pub(crate) fn log_norm(kernel: Kernel, chol: &[f64], d: usize) -> f64 {
    let log_det: f64 = (0..d).map(|i| chol[i * d + i].ln()).sum();
    -(d as f64) * kernel.scale().ln() - kernel.log_radial_mass(d) - log_det
}

/// Radial kernel sums at each query (m x d row-major): per query the log density, the effective number of
/// contributing points (sum k)^2 / sum k^2 and the largest term's share (0 and NaN where no point reaches).
/// The Laplace kernel's terms are carried relative to the nearest point's, so its log density stays
/// finite far from the data; a compact kernel's is -inf outside every support.
pub fn radial_nd(
    x: &[f64],
    w: &[f64],
    chol: &[f64],
    d: usize,
    kernel: Kernel,
    queries: &[f64],
    control: &Control,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    if d < 2 || x.len() % d != 0 || queries.len() % d != 0 || x.len() / d != w.len() || w.is_empty() {
        return Err(CoreError::invalid("samples", "inconsistent multivariate shapes"));
    }
    if kernel == Kernel::Gaussian {
        return Err(CoreError::invalid("kernel", "the gaussian kernel has its own multivariate sum"));
    }
    if chol.len() != d * d || (0..d).any(|i| chol[i * d + i].is_nan() || chol[i * d + i] <= 0.0) {
        return Err(CoreError::invalid("bandwidth", "the Cholesky factor must be d x d with a positive diagonal"));
    }
    let m = queries.len() / d;
    control.set_total(m);
    let inv_diag: Vec<f64> = (0..d).map(|i| 1.0 / chol[i * d + i]).collect();
    let inv_a = 1.0 / kernel.scale();
    let norm = log_norm(kernel, chol, d);
    let per_query = |q: &[f64]| {
        let (mut v, mut z) = (vec![0.0; d], vec![0.0; d]);
        let t: Vec<f64> = x
            .chunks_exact(d)
            .map(|row| {
                v.iter_mut().zip(q).zip(row).for_each(|((vi, qi), ri)| *vi = qi - ri);
                whitened_norm(chol, &inv_diag, &v, &mut z) * inv_a
            })
            .collect();
        // The Laplace terms relative to the nearest point's: exp(-(t - tmin)).
        let reference = if kernel == Kernel::Laplace { t.iter().cloned().fold(f64::INFINITY, f64::min) } else { 0.0 };
        if !reference.is_finite() {
            return (f64::NEG_INFINITY, 0.0, f64::NAN);
        }
        let (mut s1, mut s2, mut top) = (0.0f64, 0.0f64, 0.0f64);
        for (tj, wj) in t.iter().zip(w) {
            let k = wj
                * match kernel {
                    Kernel::Laplace if tj - reference > CUT => 0.0,
                    Kernel::Laplace => fast_exp(reference - tj),
                    _ => kernel.profile(*tj),
                };
            s1 += k;
            s2 += k * k;
            top = top.max(k);
        }
        if s1 > 0.0 {
            (norm - reference + s1.ln(), s1 * s1 / s2, top / s1)
        } else {
            (f64::NEG_INFINITY, 0.0, f64::NAN)
        }
    };
    let blocks = map_blocks(m, QUERY_BLOCK / 4, |a, b| {
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
