//! The two-dimensional improved Sheather-Jones bandwidth of Botev, Grotowski & Kroese (2010, "Kernel density
//! estimation via diffusion", section 5), as their kde2d program computes it (docs/methods.md section 4).
//!
//! The sample is padded by half its range on each side, mapped to the unit square and histogrammed on a
//! 256 x 256 grid. The squared 2-D cosine coefficients a_(k,l)^2 of the histogram (k the frequency along the
//! first axis x, l along y) give the density functionals, in the program's index order
//! psi_(s1,s2) = (-1)^(s1+s2) pi^(2(s1+s2)) sum_(k,l) w_k w_l k^(2 s2) l^(2 s1) a_(k,l)^2 e^(-pi^2 (k^2 + l^2) t)
//! = ||d^(s1+s2) f / dy^s1 dx^s2||^2 (w_0 = 1, else 1/2), each estimated at the diffusion time the two
//! functionals one order higher imply, down from order 5. The diffusion time t* is the root of
//! t - (t - tau(t)) / tau(t), tau(t) = (2 pi N (psi_02 + psi_20 + 2 psi_11))^(-1/3): the program's form of
//! the fixed point t = tau(t) (its root solves tau = t / (1 + t), within a factor 1 + t of it). From the
//! functionals at t* the AMISE-optimal diagonal times are (program's order again: psi_20 is the y one)
//! t_x = (psi_20^(3/4) / (4 pi N psi_02^(3/4) (psi_11 + sqrt(psi_20 psi_02))))^(1/3) and t_y likewise with
//! psi_20 and psi_02 exchanged; the bandwidths are sqrt(t) times each axis's grid range. The kernel is the
//! product Gaussian: the selector gives a diagonal bandwidth matrix and does not use the correlation.
//!
//! Departures from the program, shared with the test oracle `_reference/isj_2d.py`: Brent's method as
//! scipy's brentq stands in for MATLAB's fzero, and where no bracket below 0.1 holds a root the program's
//! last resort (the minimiser of |gap| on [0, 0.1], which is not a fixed point) gives way to an error the
//! rule turns into a fallback with a warning. With weights a point adds its normalised weight to its bin and
//! N is n_eff.

use std::sync::Arc;

use rustfft::{Fft, FftPlanner};

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::bandwidth::dct2_with;
use crate::kde::per_dimension::per_dimension;
use crate::kde::rules::{Rule, RuleData};
use crate::kde::spec::DimBandwidth;
use crate::numeric::root::{brentq, Tolerance};

/// Cells per axis: the program's default 2^8.
const GRID: usize = 256;

/// Brent's stopping rule: to the last few bits, so that the core and the oracle agree far below 1e-10
/// (scipy's default xtol of 2e-12 is 1e-8 of a typical t*).
const ROOT_TOLERANCE: Tolerance = Tolerance { xtol: 1e-300, rtol: 4.0 * f64::EPSILON, max_iter: 100 };

/// Highest order whose functional is estimated at the trial time itself.
const TOP_ORDER: usize = 5;

/// The squared cosine coefficients and what the functionals need besides.
struct Functionals {
    /// k^2 for k = 0..GRID.
    k2: Vec<f64>,
    /// a_(k,l)^2, row-major with k (the first axis) as the row.
    a2: Vec<f64>,
    n: f64,
}

impl Functionals {
    fn psi(&self, s1: usize, s2: usize, time: f64) -> f64 {
        let pi2 = std::f64::consts::PI * std::f64::consts::PI;
        let w: Vec<f64> = self
            .k2
            .iter()
            .enumerate()
            .map(|(k, &k2)| (-k2 * pi2 * time).exp() * if k == 0 { 1.0 } else { 0.5 })
            .collect();
        let wx: Vec<f64> = w.iter().zip(&self.k2).map(|(w, k2)| w * k2.powi(s1 as i32)).collect();
        let total: f64 = self
            .a2
            .chunks_exact(GRID)
            .zip(w.iter().zip(&self.k2))
            .map(|(row, (w, k2))| w * k2.powi(s2 as i32) * row.iter().zip(&wx).map(|(a, b)| a * b).sum::<f64>())
            .sum();
        let order = (s1 + s2) as i32;
        let sign = if order % 2 == 0 { 1.0 } else { -1.0 };
        sign * total * std::f64::consts::PI.powi(2 * order)
    }

    /// The program's func(s, t): psi_s at the time the order |s| + 1 functionals estimated at t imply.
    /// Memoised over s for one t (the recursion visits each s several times with the same result).
    fn func(&self, s1: usize, s2: usize, t: f64, memo: &mut [[Option<f64>; TOP_ORDER + 1]; TOP_ORDER + 1]) -> f64 {
        if let Some(v) = memo[s1][s2] {
            return v;
        }
        let order = s1 + s2;
        let v = if order < TOP_ORDER {
            let total = self.func(s1 + 1, s2, t, memo) + self.func(s1, s2 + 1, t, memo);
            let c = (1.0 + 0.5f64.powi(order as i32 + 1)) / 3.0;
            let time = power(-2.0 * c * k_const(s1) * k_const(s2) / self.n / total, 1.0 / (2.0 + order as f64));
            self.psi(s1, s2, time)
        } else {
            self.psi(s1, s2, t)
        };
        memo[s1][s2] = Some(v);
        v
    }

    fn gap(&self, t: f64) -> f64 {
        let mut memo = [[None; TOP_ORDER + 1]; TOP_ORDER + 1];
        let total = self.func(0, 2, t, &mut memo) + self.func(2, 0, t, &mut memo) + 2.0 * self.func(1, 1, t, &mut memo);
        let time = power(2.0 * std::f64::consts::PI * self.n * total, -1.0 / 3.0);
        t - (t - time) / time
    }
}

/// base^exponent, NaN for a negative base (MATLAB's result there is complex, which fzero refuses).
fn power(base: f64, exponent: f64) -> f64 {
    if base >= 0.0 {
        base.powf(exponent)
    } else {
        f64::NAN
    }
}

/// (-1)^s (2s - 1)!! / sqrt(2 pi), the program's K(s).
fn k_const(s: usize) -> f64 {
    let odd: f64 = (1..=s).map(|k| (2 * k - 1) as f64).product();
    let sign = if s % 2 == 0 { 1.0 } else { -1.0 };
    sign * odd / (2.0 * std::f64::consts::PI).sqrt()
}

/// The unnormalised 2-D DCT-II of an n x n row-major array (scipy.fft.dctn's), rows then columns.
fn dct_2d(data: &[f64], n: usize) -> Vec<f64> {
    let plan: Arc<dyn Fft<f64>> = FftPlanner::new().plan_fft_forward(2 * n);
    let mut rows: Vec<f64> = data.chunks_exact(n).flat_map(|row| dct2_with(plan.as_ref(), row)).collect();
    let mut column = vec![0.0; n];
    for c in 0..n {
        column.iter_mut().enumerate().for_each(|(r, v)| *v = rows[r * n + c]);
        for (r, v) in dct2_with(plan.as_ref(), &column).into_iter().enumerate() {
            rows[r * n + c] = v;
        }
    }
    rows
}

/// Botev's bandwidths (h_x, h_y) of an n x 2 row-major sample with normalised weights (`None`: equal) and
/// effective size `n_eff`. `Convergence` when the fixed-point equation has no root the program would find;
/// `InvalidInput` naming the dimension when a column has a single value among the positively weighted rows,
/// or a range beyond the floating-point numbers.
pub fn isj_2d(x: &[f64], w: Option<&[f64]>, n_eff: f64) -> Result<[f64; 2]> {
    let rows = x.len() / 2;
    let kept: Vec<([f64; 2], f64)> = (0..rows)
        .filter_map(|i| {
            let mass = w.map_or(1.0 / rows as f64, |w| w[i]);
            (mass > 0.0).then_some(([x[2 * i], x[2 * i + 1]], mass))
        })
        .collect();
    let mut min_xy = [0.0; 2];
    let mut scaling = [0.0; 2];
    for j in 0..2 {
        let (lo, hi) = kept.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0[j]), b.max(p.0[j])));
        let spread = hi - lo;
        if spread.is_nan() || spread <= 0.0 {
            return Err(CoreError::invalid(
                "bandwidth",
                format!(
                    "dimension {j}: the data-driven two-dimensional ISJ needs at least two distinct values in each \
                     column (got only {lo}); pass a float bandwidth"
                ),
            ));
        }
        let (lo_xy, hi_xy) = (lo - spread / 2.0, hi + spread / 2.0);
        min_xy[j] = lo_xy;
        scaling[j] = hi_xy - lo_xy;
        if !scaling[j].is_finite() {
            return Err(CoreError::invalid(
                "samples",
                format!("dimension {j}: the range of the column overflows (rescale the samples)"),
            ));
        }
    }
    // The program's histogram: cell floor(u M) of the unit-square coordinate u, the top edge in the last cell.
    let cell =
        |v: f64, j: usize| (((v - min_xy[j]) / scaling[j] * GRID as f64).floor().max(0.0) as usize).min(GRID - 1);
    let mut binned = vec![0.0; GRID * GRID];
    for (p, mass) in &kept {
        binned[cell(p[0], 0) * GRID + cell(p[1], 1)] += mass;
    }
    let mut a = dct_2d(&binned, GRID);
    // The program weighs the zero frequency by 1 and the others by 2; the DCT above weighs all by 2.
    for k in 0..GRID {
        a[k] /= 2.0;
        a[k * GRID] /= 2.0;
    }
    let f = Functionals {
        k2: (0..GRID).map(|k| (k * k) as f64).collect(),
        a2: a.iter().map(|v| v * v).collect(),
        n: n_eff,
    };
    let no_root = || CoreError::Convergence("the two-dimensional ISJ fixed-point equation has no root".into());
    // The program's bracket search: [0, tol] from N clamped to [50, 1050], doubled; 0.1 is never tried.
    let mut tol = 1e-12 + 0.01 * (n_eff.clamp(50.0, 1050.0) - 50.0) / 1000.0;
    let gap = |t: f64| f.gap(t);
    let t_star = loop {
        let (f0, f1) = (gap(0.0), gap(tol));
        if f0.is_finite() && f1.is_finite() && f0 * f1 <= 0.0 {
            break brentq(gap, 0.0, tol, f0, f1, ROOT_TOLERANCE).ok_or_else(no_root)?;
        }
        tol = (2.0 * tol).min(0.1);
        if tol == 0.1 {
            return Err(no_root());
        }
    };
    let mut memo = [[None; TOP_ORDER + 1]; TOP_ORDER + 1];
    let (p02, p20, p11) =
        (f.func(0, 2, t_star, &mut memo), f.func(2, 0, t_star, &mut memo), f.func(1, 1, t_star, &mut memo));
    let cross = 4.0 * std::f64::consts::PI * n_eff * (p11 + (p20 * p02).sqrt());
    let t_y = power(p02.powf(0.75) / (cross * p20.powf(0.75)), 1.0 / 3.0);
    let t_x = power(p20.powf(0.75) / (cross * p02.powf(0.75)), 1.0 / 3.0);
    let h = [t_x.sqrt() * scaling[0], t_y.sqrt() * scaling[1]];
    if !h.iter().all(|v| v.is_finite() && *v > 0.0) {
        return Err(CoreError::Convergence("the two-dimensional ISJ functionals are not positive at the root".into()));
    }
    Ok(h)
}

/// `"isj"` and `"isj_botev"` in d = 2: Botev's selector, or when its equation has no root
/// `"normal_reference_robust"` on each margin, said in `notes` (the user sees a `BandwidthWarning`).
pub fn rule_2d(rule: Rule, data: &RuleData, control: &Control, notes: &mut Vec<String>) -> Result<[f64; 2]> {
    match isj_2d(data.x, data.w, data.n_eff) {
        Ok(h) => Ok(h),
        Err(CoreError::Convergence(reason)) => {
            let parts = [DimBandwidth::Rule(Rule::NormalReferenceRobust); 2];
            let h = per_dimension(&parts, data, control, notes)?;
            notes.push(format!("bandwidth '{rule}': {reason}; used 'normal_reference_robust' per dimension = {h:?}"));
            Ok([h[0], h[1]])
        }
        Err(invalid @ CoreError::InvalidInput { .. }) => {
            // A column with one value: the 1-D rule on each margin names it as for every other rule.
            per_dimension(&[DimBandwidth::Rule(rule); 2], data, control, &mut Vec::new())?;
            Err(invalid)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_2d_matches_definition() {
        let n = 8;
        let x: Vec<f64> = (0..n * n).map(|i| (i as f64 * 0.37).sin() + 0.01 * i as f64).collect();
        let y = dct_2d(&x, n);
        let c = |k: usize, i: usize| (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2 * n) as f64).cos();
        for k in 0..n {
            for l in 0..n {
                let mut want = 0.0;
                for i in 0..n {
                    for j in 0..n {
                        want += 4.0 * x[i * n + j] * c(k, i) * c(l, j);
                    }
                }
                assert!((y[k * n + l] - want).abs() < 1e-12, "{k} {l}");
            }
        }
    }

    #[test]
    fn scale_equivariant_per_axis_and_swaps_with_the_columns() {
        let x: Vec<f64> = (0..3000)
            .flat_map(|i| {
                let a = (i as f64 * 0.618_033_988_7).fract();
                let b = (i as f64 * 0.414_213_562_3).fract();
                [a + (i % 3) as f64, b * b]
            })
            .collect();
        let h = isj_2d(&x, None, 1500.0).unwrap();
        // powers of two, so that every bin is the same and the ratios exact
        let scaled: Vec<f64> = x.chunks(2).flat_map(|p| [p[0] * 8.0, p[1] * 0.25]).collect();
        let hs = isj_2d(&scaled, None, 1500.0).unwrap();
        assert!((hs[0] / h[0] - 8.0).abs() < 1e-9 && (hs[1] / h[1] - 0.25).abs() < 1e-9, "{h:?} {hs:?}");
        let swapped: Vec<f64> = x.chunks(2).flat_map(|p| [p[1], p[0]]).collect();
        let hw = isj_2d(&swapped, None, 1500.0).unwrap();
        assert!((hw[0] / h[1] - 1.0).abs() < 1e-9 && (hw[1] / h[0] - 1.0).abs() < 1e-9, "{h:?} {hw:?}");
    }

    #[test]
    fn a_constant_column_is_refused_by_dimension() {
        let x = [0.0, 1.0, 1.0, 1.0, 2.0, 1.0];
        let err = isj_2d(&x, None, 3.0).unwrap_err();
        assert!(err.to_string().contains("dimension 1"), "{err}");
    }
}
