//! The bandwidth rules by name, computed in one place (docs/kde.md lists the formulas and the names other
//! libraries give them): the normal-reference rules of Scott (1992, "Multivariate Density Estimation") and
//! Silverman (1986, "Density Estimation for Statistics and Data Analysis"), their robust forms with
//! min(sigma, IQR / 1.349), improved Sheather-Jones and the leave-one-out likelihood (in `bandwidth`).

use std::fmt;

use nalgebra::{DMatrix, SymmetricEigen};

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::bandwidth::{isj, loo_ml, IsjVariant};
use crate::kde::exact::{sort_sample, Sorted};
use crate::kde::isj_2d;
use crate::kde::per_dimension::{diagonal, per_dimension};
use crate::kde::spec::DimBandwidth;

/// Interquartile range of the standard normal.
const IQR_NORMAL: f64 = 1.348_979_500_392_163_4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Scott,
    NormalReference,
    NormalReferenceRobust,
    ScottRobust,
    RuleOfThumb,
    Isj,
    IsjBotev,
    LooMl,
}

pub const RULE_NAMES: [&str; 8] = [
    "scott",
    "normal_reference",
    "normal_reference_robust",
    "scott_robust",
    "rule_of_thumb",
    "isj",
    "isj_botev",
    "loo_ml",
];

impl Rule {
    const ALL: [Rule; 8] = [
        Rule::Scott,
        Rule::NormalReference,
        Rule::NormalReferenceRobust,
        Rule::ScottRobust,
        Rule::RuleOfThumb,
        Rule::Isj,
        Rule::IsjBotev,
        Rule::LooMl,
    ];

    pub fn from_name(name: &str) -> Result<Self> {
        if name == "silverman" {
            return Err(CoreError::invalid(
                "bandwidth",
                "'silverman' names different formulas in scipy (1.059 sd n^-1/5: use 'normal_reference'), \
                 statsmodels (0.9 min(sd, IQR/1.349) n^-1/5: use 'rule_of_thumb') and KDEpy \
                 (1.059 min(sd, IQR/1.349) n^-1/5: use 'normal_reference_robust')",
            ));
        }
        RULE_NAMES.iter().position(|&r| r == name).map(|i| Rule::ALL[i]).ok_or_else(|| {
            CoreError::invalid("bandwidth", format!("unknown rule {name:?}; known: {}", RULE_NAMES.join(", ")))
        })
    }

    pub fn name(self) -> &'static str {
        RULE_NAMES[Rule::ALL.iter().position(|&r| r == self).unwrap_or(0)]
    }

    /// Rules with a d-dimensional form (scipy's 'scott' and 'silverman' bandwidth matrices); in d > 1 the
    /// others are applied to each margin (`per_dimension`).
    pub fn multivariate(self) -> bool {
        matches!(self, Rule::Scott | Rule::NormalReference)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The sample a rule is computed from: rows of `x` (n x d, row-major) with normalised weights (`None`: equal
/// weights), and the same sample sorted (1-D only).
pub struct RuleData<'a> {
    pub x: &'a [f64],
    pub d: usize,
    pub w: Option<&'a [f64]>,
    pub n_eff: f64,
    pub sorted: Option<Sorted<'a>>,
}

/// np.sum of a contiguous float64 array: numpy's pairwise summation (blocks of at most 128 summed on eight
/// lanes, halves above that), so that sums here round as numpy's do.
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |s, &v| s + v);
    }
    if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let body = n - n % 8;
        for c in a[8..body].chunks_exact(8) {
            r.iter_mut().zip(c).for_each(|(acc, v)| *acc += v);
        }
        let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        return a[body..].iter().fold(res, |s, &v| s + v);
    }
    let half = n / 2 - (n / 2) % 8;
    pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
}

/// sum_k a_k b_k accumulated as the dgemm behind np.dot does it (OpenBLAS: fused multiply-adds in k order
/// within blocks of at most 256 terms, a remainder between 256 and 512 split into two halves rounded up to
/// a multiple of 4, the blocks' sums added in turn).
fn blocked_dot(a: &[f64], b: &[f64]) -> f64 {
    const Q: usize = 256;
    let (k, mut start, mut total) = (a.len(), 0, 0.0);
    while start < k {
        let left = k - start;
        let len = if left >= 2 * Q {
            Q
        } else if left > Q {
            (left / 2).div_ceil(4) * 4
        } else {
            left
        };
        let acc = a[start..start + len].iter().zip(&b[start..start + len]).fold(0.0f64, |s, (x, y)| x.mul_add(*y, s));
        total += acc;
        start += len;
    }
    total
}

/// Weighted covariance (d x d, row-major) with reliability weights `w` (normalised), as np.cov(x,
/// aweights=w, bias=False) computes it and so scipy's gaussian_kde: sum w (x - mean)(x - mean)^T /
/// (v1 - v2 / v1), v1 = sum w, v2 = sum w^2. Written in numpy's order of operations (pairwise sums, the
/// dgemm's accumulation order) so that the bandwidth matrices of "scott" and "normal_reference" equal scipy's
/// to the bit where scipy runs on the same BLAS kernel, and to a few units in the last place elsewhere: the
/// density far from the data is sensitive to the bandwidth at that level.
///
/// Returned as (covariance of x / s, s) with s a power of two: 1 for data of ordinary magnitude (so the bits
/// are numpy's), else the one that brings the largest |x| near 1, so that the squares of data beyond 1e154
/// do not overflow and those of data below 1e-154 do not underflow (scaling by a power of two is exact, so
/// it changes nothing else). The covariance of x itself is s^2 times the first value.
pub fn scaled_covariance(x: &[f64], d: usize, w: &[f64]) -> (Vec<f64>, f64) {
    let largest = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let e = if largest == 0.0 || (1e-100..=1e100).contains(&largest) { 0 } else { largest.log2().floor() as i32 };
    // Both 2^e and 2^-e are representable for e in this range (2^-1023 as a subnormal, exactly).
    let e = e.clamp(-1022, 1023);
    let (s, inv_s) = (2f64.powi(e), 2f64.powi(-e));
    let n = w.len();
    let v1 = pairwise_sum(w);
    let centred: Vec<Vec<f64>> = (0..d)
        .map(|k| {
            let col: Vec<f64> = (0..n).map(|i| x[i * d + k] * inv_s).collect();
            let weighted: Vec<f64> = col.iter().zip(w).map(|(v, wi)| v * wi).collect();
            let mean = pairwise_sum(&weighted) / v1;
            col.into_iter().map(|v| v - mean).collect()
        })
        .collect();
    let ww: Vec<f64> = w.iter().map(|v| v * v).collect();
    let fact = v1 - pairwise_sum(&ww) / v1;
    let scaled: Vec<Vec<f64>> = centred.iter().map(|c| c.iter().zip(w).map(|(v, wi)| v * wi).collect()).collect();
    let inv = 1.0 / fact;
    let mut cov = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            cov[i * d + j] = blocked_dot(&centred[i], &scaled[j]) * inv;
        }
    }
    (cov, s)
}

/// The q-quantile of a sorted sample, Hyndman & Fan's (1996, "Sample quantiles in statistical packages")
/// type 7 (np.percentile's default). With weights the plotting position of the i-th point is the weight
/// before it over the weight before the last point, C_(i-1) / C_(m-1): positions run from 0 to 1 as in the
/// unweighted rule, and equal weights give exactly type 7's (i - 1) / (m - 1) (mid-weight positions do not,
/// which made equal weights change the robust bandwidths).
pub fn quantile(s: &Sorted, weighted: bool, q: f64) -> f64 {
    let (x, m) = (s.x, s.x.len());
    if m == 1 {
        return x[0];
    }
    if !weighted {
        // np.percentile's arithmetic step for step, so the rules reproduce KDEpy's and statsmodels' to the bit.
        let v = (m - 1) as f64 * q;
        let lo = (v.floor().max(0.0) as usize).min(m - 1);
        let hi = (lo + 1).min(m - 1);
        let t = v - lo as f64;
        let diff = x[hi] - x[lo];
        return if t >= 0.5 { x[hi] - diff * (1.0 - t) } else { x[lo] + diff * t };
    }
    let before_last: f64 = s.w[..m - 1].iter().sum();
    let target = q * before_last;
    let mut cum = 0.0;
    for i in 0..m - 1 {
        let next = cum + s.w[i];
        if target <= next {
            let t = if s.w[i] > 0.0 { ((target - cum) / s.w[i]).clamp(0.0, 1.0) } else { 0.0 };
            return x[i] + (x[i + 1] - x[i]) * t;
        }
        cum = next;
    }
    x[m - 1]
}

/// min(sigma, IQR / 1.349), or sigma when the interquartile range is zero.
fn robust_scale(s: &Sorted, weighted: bool, sigma: f64) -> f64 {
    let a = (quantile(s, weighted, 0.75) - quantile(s, weighted, 0.25)) / IQR_NORMAL;
    if a > 0.0 {
        sigma.min(a)
    } else {
        sigma
    }
}

/// The bandwidth matrix (d x d, row-major; 1-D: [h^2]) of `rule`, and h itself (d > 1: sqrt(H_00)). In
/// d = 2 the ISJ rules are Botev's two-dimensional selector (`isj_2d`); in d > 1 the other rules without a
/// multivariate form are applied to each margin (a diagonal H). A rule that had to
/// fall back to another says why in `notes` (shown to the user as a warning).
pub fn rule_bandwidth(
    rule: Rule,
    data: &RuleData,
    control: &Control,
    notes: &mut Vec<String>,
) -> Result<(f64, Vec<f64>)> {
    let (d, n) = (data.d, data.n_eff);
    if d == 2 && matches!(rule, Rule::Isj | Rule::IsjBotev) {
        let h = isj_2d::rule_2d(rule, data, control, notes)?;
        return Ok((h[0], diagonal(&h)));
    }
    if d > 1 && !rule.multivariate() {
        let h = per_dimension(&vec![DimBandwidth::Rule(rule); d], data, control, notes)?;
        return Ok((h[0], diagonal(&h)));
    }
    let rows = data.x.len() / d;
    let distinct = distinct_among_weighted(data);
    if !distinct || n <= 1.0 + 1e-9 {
        return Err(CoreError::invalid(
            "bandwidth",
            format!(
                "the data-driven rule '{rule}' needs at least two distinct samples (got n={rows}, n_eff={n:.3}); pass a float bandwidth"
            ),
        ));
    }
    // scipy's weights: 1/n each when unweighted, and n_eff = 1 / sum w^2 from them (not n itself), so that
    // the factors round as scipy's do.
    let w: Vec<f64> = data.w.map_or_else(|| vec![1.0 / rows as f64; rows], <[f64]>::to_vec);
    if matches!(rule, Rule::Scott | Rule::NormalReference) {
        let (cov, s) = scaled_covariance(data.x, d, &w);
        let ww: Vec<f64> = w.iter().map(|v| v * v).collect();
        let neff = 1.0 / pairwise_sum(&ww);
        let df = d as f64;
        let c = match rule {
            Rule::Scott => neff.powf(-1.0 / (df + 4.0)),
            _ => (neff * (df + 2.0) / 4.0).powf(-1.0 / (df + 4.0)),
        };
        if d > 1 && rank(&cov, d) < d {
            return Err(CoreError::invalid("samples", "the sample covariance is singular (collinear columns)"));
        }
        // H = (c s)^2 cov (for s = 1 in scipy's order of operations, to its bits). The 1-D bandwidth of data
        // beyond 1e154 or below 1e-154 is taken from the scaled variance, finite where H is not.
        let cs = c * s;
        let c2 = cs * cs;
        let h2: Vec<f64> = cov.iter().map(|v| v * c2).collect();
        if d > 1 && (h2.iter().any(|v| !v.is_finite()) || (0..d).any(|i| h2[i * d + i] < f64::MIN_POSITIVE)) {
            return Err(CoreError::invalid(
                "samples",
                "the bandwidth matrix of the data lies outside the floating-point range (rescale the samples)",
            ));
        }
        let h = if h2[0].is_normal() { h2[0].sqrt() } else { cov[0].sqrt() * cs };
        return Ok((h, h2));
    }
    let sorted = || data.sorted.ok_or_else(|| CoreError::invalid("samples", "1-D rules need the sorted sample"));
    let weighted = data.w.is_some();
    let sigma = || {
        let (var, s) = scaled_covariance(data.x, 1, &w);
        var[0].sqrt() * s
    };
    let h = match rule {
        Rule::NormalReferenceRobust => {
            (4.0f64 / 3.0).powf(0.2) * robust_scale(&sorted()?, weighted, sigma()) * n.powf(-0.2)
        }
        Rule::ScottRobust => robust_scale(&sorted()?, weighted, sigma()) * n.powf(-0.2),
        Rule::RuleOfThumb => 0.9 * robust_scale(&sorted()?, weighted, sigma()) * n.powf(-0.2),
        Rule::Isj | Rule::IsjBotev => {
            let variant = if rule == Rule::Isj { IsjVariant::KdePy } else { IsjVariant::Botev };
            match isj(data.x, data.w, variant) {
                Ok(h) => h,
                // No root of the fixed-point equation (few or strongly clustered data): KDEpy raises here;
                // the normal-reference rule with the robust scale (KDEpy's 'silverman') is always defined.
                Err(CoreError::Convergence(reason)) => {
                    let (xs, ws) = sort_sample(data.x, data.w)?;
                    let s = Sorted { x: &xs, w: &ws };
                    let h = (4.0f64 / 3.0).powf(0.2) * robust_scale(&s, weighted, sigma()) * n.powf(-0.2);
                    notes.push(format!("bandwidth '{rule}': {reason}; used 'normal_reference_robust' = {h}"));
                    h
                }
                Err(e) => return Err(e),
            }
        }
        _ => {
            // loo_ml: searched from 1/50 to 3 times the normal-reference bandwidth
            let h_ref = (4.0f64 / 3.0).powf(0.2) * sigma() * n.powf(-0.2);
            loo_ml(&sorted()?, h_ref / 50.0, h_ref * 3.0, control)?
        }
    };
    Ok((h, vec![h * h]))
}

/// Whether two rows with positive weight differ (the first row may have weight zero).
fn distinct_among_weighted(data: &RuleData) -> bool {
    let d = data.d;
    let mut used =
        (0..data.x.len() / d).filter(|&i| data.w.is_none_or(|w| w[i] > 0.0)).map(|i| &data.x[i * d..i * d + d]);
    match used.next() {
        Some(first) => used.any(|row| row != first),
        None => false,
    }
}

/// Numerical rank of a symmetric positive semi-definite matrix, with np.linalg.matrix_rank's tolerance
/// (largest eigenvalue times d times eps).
fn rank(m: &[f64], d: usize) -> usize {
    let eig = SymmetricEigen::new(DMatrix::from_row_slice(d, d, m)).eigenvalues;
    let top = eig.iter().fold(0.0f64, |a, &v| a.max(v.abs()));
    eig.iter().filter(|v| v.abs() > top * d as f64 * f64::EPSILON).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_is_type_7_and_equal_weights_agree() {
        let x: Vec<f64> = vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0];
        let w = vec![0.1; 10];
        let s = Sorted { x: &x, w: &w };
        // np.percentile(x, [25, 75]) = 2.25, 6.75
        assert_eq!(quantile(&s, false, 0.25), 2.25);
        assert_eq!(quantile(&s, false, 0.75), 6.75);
        for q in [0.0, 0.1, 0.25, 0.5, 0.75, 0.93, 1.0] {
            let (a, b) = (quantile(&s, false, q), quantile(&s, true, q));
            assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{q}: {a} vs {b}");
        }
    }

    #[test]
    fn weighted_quantile_moves_towards_heavy_points() {
        let x = vec![0.0, 1.0, 2.0];
        let w = vec![0.1, 0.1, 0.8];
        let s = Sorted { x: &x, w: &w };
        // positions 0, 0.5, 1: the median is the middle point
        assert!((quantile(&s, true, 0.5) - 1.0).abs() < 1e-15);
        let w2 = vec![0.45, 0.1, 0.45];
        let s2 = Sorted { x: &x, w: &w2 };
        // positions 0, 0.45 / 0.55, 1: the median lies 0.5 / (0.45 / 0.55) of the way to the middle point
        assert!((quantile(&s2, true, 0.5) - 0.275 / 0.45).abs() < 1e-12);
    }
}
