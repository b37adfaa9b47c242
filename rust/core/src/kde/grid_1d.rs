//! Exact 1-D kernel sums on an equispaced grid for the compact kernels, in O(n + m) without sorting.
//!
//! On the interval of grid points its support covers, a sample's kernel is a polynomial in the grid index
//! (for the cosine kernel a shifted cosine; tri and tricube are two polynomial pieces, left and right of
//! the sample). Each sample adds the coefficients of that function where its interval starts and
//! subtracts them after it ends (difference arrays); a running sum along the grid then holds, at every
//! grid point, the coefficients of the sum of the kernels covering it, which is evaluated there. So every
//! grid value is the exact kernel sum up to rounding: there is no binning error at all.
//!
//! A global polynomial in the grid index would cancel catastrophically (index^9 for tricube). The grid is
//! therefore cut into blocks of two kernel radii, and each block keeps its coefficients in its own
//! coordinate tau = (i - centre) / R (R the kernel radius in grid steps): every expansion point
//! v0 = (centre - p) / R lies within 2 of 0, so coefficients stay within 2^9 of the kernel's peak. The
//! running sum restarts at each block. An integer count of covering samples, kept alongside, makes the
//! value exactly 0 where no sample reaches (rounding would otherwise leave +-1e-16 there).
//!
//! Which grid points a sample covers is decided by the same comparisons as the exact windowed sum
//! (`exact::window` and `Kernel::pdf`), on the actual grid values, so both include the same terms even for
//! the discontinuous tophat kernel.

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::grid_1d_moments;
use crate::kde::kernels::Kernel;
use crate::parallel::map_blocks;

/// Samples per scatter block: fixed, so that the difference arrays are summed in the same order for any
/// thread count.
pub(crate) const POINT_BLOCK: usize = 1 << 15;
/// Distance (in grid steps) from a support end within which a grid point is tested as the exact sum tests it.
pub(crate) const NEAR: f64 = 1e-6;
/// Upper bound on the scatter blocks' difference arrays together (doubles).
pub(crate) const SCATTER_MEMORY: usize = 1 << 24;

/// How a kernel's shape k(v), v = (g - x) / (a h) in [-1, 1], is written on its pieces.
pub(crate) struct Shape {
    /// Polynomial coefficients in v (ascending) left and right of the sample (the same for symmetric
    /// polynomials); empty for the cosine.
    pub left: &'static [f64],
    pub right: &'static [f64],
    /// One piece over the whole support (left == right).
    pub symmetric: bool,
    /// The 1-D kernel's normalising factor: pdf(z) = norm k(z / a) / a.
    pub norm: f64,
}

fn shape(kernel: Kernel) -> Option<Shape> {
    const EPA: &[f64] = &[1.0, 0.0, -1.0];
    const BIWEIGHT: &[f64] = &[1.0, 0.0, -2.0, 0.0, 1.0];
    const TRIWEIGHT: &[f64] = &[1.0, 0.0, -3.0, 0.0, 3.0, 0.0, -1.0];
    const TOPHAT: &[f64] = &[1.0];
    const TRI_L: &[f64] = &[1.0, 1.0];
    const TRI_R: &[f64] = &[1.0, -1.0];
    const TRICUBE_L: &[f64] = &[1.0, 0.0, 0.0, 3.0, 0.0, 0.0, 3.0, 0.0, 0.0, 1.0];
    const TRICUBE_R: &[f64] = &[1.0, 0.0, 0.0, -3.0, 0.0, 0.0, 3.0, 0.0, 0.0, -1.0];
    let (left, right, norm) = match kernel {
        Kernel::Epanechnikov => (EPA, EPA, 0.75),
        Kernel::Biweight => (BIWEIGHT, BIWEIGHT, 15.0 / 16.0),
        Kernel::Triweight => (TRIWEIGHT, TRIWEIGHT, 35.0 / 32.0),
        Kernel::Tophat => (TOPHAT, TOPHAT, 0.5),
        Kernel::Tri => (TRI_L, TRI_R, 1.0),
        Kernel::Tricube => (TRICUBE_L, TRICUBE_R, 70.0 / 81.0),
        Kernel::Cosine => (&[][..], &[][..], std::f64::consts::FRAC_PI_4),
        Kernel::Gaussian | Kernel::Laplace => return None,
    };
    let symmetric = !matches!(kernel, Kernel::Tri | Kernel::Tricube);
    Some(Shape { left, right, symmetric, norm })
}

/// Whether the grid evaluation applies: a compact kernel.
pub fn supports(kernel: Kernel) -> bool {
    shape(kernel).is_some()
}

/// Whether `g` is equispaced to within 1e-7 steps (np.linspace's points are, unless their offset exceeds
/// about 1e8 steps), so that a sample's grid interval found from its position is off only within
/// `NEAR` steps of an end, where the exact test decides.
pub fn is_equispaced(g: &[f64]) -> bool {
    let m = g.len();
    if m < 2 {
        return false;
    }
    let step = (g[m - 1] - g[0]) / (m - 1) as f64;
    step > 0.0
        && step.is_finite()
        && g.iter().enumerate().all(|(i, &v)| (v - (g[0] + i as f64 * step)).abs() <= 1e-7 * step)
}

/// Coefficients of P(v0 + tau) in powers of tau (Taylor shift by synthetic division).
#[inline(always)]
fn taylor_shift(p: &[f64], v0: f64, out: &mut [f64]) {
    let k = p.len();
    out[..k].copy_from_slice(p);
    for i in 0..k.saturating_sub(1) {
        for j in (i..k - 1).rev() {
            out[j] += v0 * out[j + 1];
        }
    }
}

/// Where the samples and the grid meet: the grid's origin and step, the kernel's radius in steps, the blocks
/// of the running sums, and the exact test of which grid points a sample covers.
pub(crate) struct Layout<'a> {
    pub g: &'a [f64],
    pub m: usize,
    /// Coefficients per grid point: the polynomial's degree + 1, or (cos, sin) of the shift.
    pub k: usize,
    pub g0: f64,
    pub inv_step: f64,
    pub radius: f64,
    pub inv_radius: f64,
    /// Grid points per block of the running sums.
    pub block: usize,
    /// The kernel's half-width a h and the exact sum's inverse bandwidth and scale.
    r: f64,
    inv_h: f64,
    a: f64,
}

impl Layout<'_> {
    /// Exactly the exact sum's test (window, then pdf's |u| <= 1).
    #[inline]
    fn inside(&self, i: usize, xv: f64) -> bool {
        let g = self.g;
        xv >= g[i] - self.r && xv <= g[i] + self.r && (((g[i] - xv) * self.inv_h) / self.a).abs() <= 1.0
    }

    /// The grid points [lo, hi) a sample at `xv` (grid position `p`) covers: from its position, and near an
    /// end by the exact test on the grid values.
    pub fn range(&self, xv: f64, p: f64) -> (usize, usize) {
        let m = self.m;
        let (from, to) = (p - self.radius, p + self.radius);
        let mut lo = from.ceil().max(0.0).min(m as f64) as usize;
        let mut hi = (to.floor().min(m as f64 - 1.0).max(-1.0) + 1.0) as usize; // exclusive
        if (from - from.round()).abs() < NEAR {
            while lo > 0 && self.inside(lo - 1, xv) {
                lo -= 1;
            }
            while lo < hi && !self.inside(lo, xv) {
                lo += 1;
            }
        }
        if (to - to.round()).abs() < NEAR {
            while hi < m && self.inside(hi, xv) {
                hi += 1;
            }
            while hi > lo && !self.inside(hi - 1, xv) {
                hi -= 1;
            }
        }
        (lo, hi)
    }

    /// Add, over the grid points from..=to, a function given about each block's centre by `coefs(centre, c)`
    /// (the coefficients in tau = (i - centre) / R), split at block boundaries: each block's running sum
    /// restarts.
    #[inline]
    pub fn add(&self, coef: &mut [f64], from: usize, to: usize, mut coefs: impl FnMut(f64, &mut [f64])) {
        let (k, block) = (self.k, self.block);
        let mut c = [0.0f64; 10];
        let mut b = from / block;
        while b * block <= to {
            let (bs, be) = (b * block, ((b + 1) * block).min(self.m));
            coefs(bs as f64 + 0.5 * (be - bs - 1) as f64, &mut c[..k]);
            let (lo, hi) = (from.max(bs), to.min(be - 1));
            coef[lo * k..lo * k + k].iter_mut().zip(&c[..k]).for_each(|(u, v)| *u += v);
            if hi + 1 < be {
                coef[(hi + 1) * k..(hi + 2) * k].iter_mut().zip(&c[..k]).for_each(|(u, v)| *u -= v);
            }
            b += 1;
        }
    }

    /// Scatter one sample's kernel into the difference arrays (`coef`, and `count` of covering samples).
    pub fn scatter_sample(&self, sh: &Shape, xv: f64, wt: f64, coef: &mut [f64], count: &mut [i64]) {
        let p = (xv - self.g0) * self.inv_step;
        let (lo, hi) = self.range(xv, p);
        if lo >= hi {
            return;
        }
        count[lo] += 1;
        count[hi] -= 1;
        let inv_radius = self.inv_radius;
        let piece = |poly: &'static [f64]| {
            move |centre: f64, c: &mut [f64]| {
                let v0 = (centre - p) * inv_radius;
                if poly.is_empty() {
                    let (sn, cs) = (std::f64::consts::FRAC_PI_2 * v0).sin_cos();
                    (c[0], c[1]) = (wt * cs, wt * sn);
                } else {
                    taylor_shift(poly, v0, c);
                    c.iter_mut().for_each(|v| *v *= wt);
                }
            }
        };
        // Grid points left of the sample take the left piece (continuous at the sample: the split point
        // only needs to be approximately right).
        let mid = p.ceil().clamp(lo as f64, hi as f64) as usize;
        if sh.symmetric {
            self.add(coef, lo, hi - 1, piece(sh.left));
        } else {
            if mid > lo {
                self.add(coef, lo, mid - 1, piece(sh.left));
            }
            if hi > mid {
                self.add(coef, mid, hi - 1, piece(sh.right));
            }
        }
    }
}

/// The exact density of the weighted sample (`w` None: equal weights) with a compact kernel of bandwidth
/// `h` at the equispaced grid points `g` (ascending, at least two).
pub fn compact_grid(
    x: &[f64],
    w: Option<&[f64]>,
    h: f64,
    kernel: Kernel,
    g: &[f64],
    control: &Control,
) -> Result<Vec<f64>> {
    let sh = shape(kernel).ok_or_else(|| CoreError::invalid("kernel", "the grid sum needs a compact kernel"))?;
    if !is_equispaced(g) {
        return Err(CoreError::invalid("grid", "must be equispaced and ascending"));
    }
    if w.is_some_and(|w| w.len() != x.len()) || x.is_empty() {
        return Err(CoreError::invalid("weights", "must have one value per sample"));
    }
    let m = g.len();
    let cosine = kernel == Kernel::Cosine;
    let k = if cosine { 2 } else { sh.left.len() };
    let a = kernel.scale();
    let (g0, step) = (g[0], (g[m - 1] - g[0]) / (m - 1) as f64);
    let radius = a * h / step;
    let grouped = grid_1d_moments::applies(kernel, radius, m);
    // Per sample, blocks of two kernel radii: a sample touches two blocks on average, and every expansion
    // point |v0| <= 2, so coefficients grow at most 2^9 over the kernel's peak (tricube). Grouped, the
    // expansion points of a cell's samples spread one radius further, so blocks are one radius.
    let span = if grouped { radius } else { 2.0 * radius };
    let lay = Layout {
        g,
        m,
        k,
        g0,
        inv_step: 1.0 / step,
        radius,
        inv_radius: 1.0 / radius,
        block: (span.ceil() as usize).clamp(1, m),
        r: a * h,
        inv_h: 1.0 / h,
        a,
    };
    let (coef, count) = if grouped {
        grid_1d_moments::scatter(&lay, &sh, x, w, control)?
    } else {
        per_sample(&lay, &sh, x, w, control)?
    };
    control.check()?;
    let total = w.map_or(x.len() as f64, |w| w.iter().sum());
    let scale = sh.norm / (a * h * total);
    let block = lay.block;
    let mut out = vec![0.0; m];
    let (mut run, mut covering) = (vec![0.0f64; k], 0i64);
    for i in 0..m {
        if i % block == 0 {
            run.iter_mut().for_each(|v| *v = 0.0);
        }
        run.iter_mut().zip(&coef[i * k..i * k + k]).for_each(|(u, v)| *u += v);
        covering += count[i];
        if covering == 0 {
            continue;
        }
        let bs = i - i % block;
        let be = (bs + block).min(m);
        let tau = (i as f64 - (bs as f64 + 0.5 * (be - bs - 1) as f64)) * lay.inv_radius;
        let value = if cosine {
            let (sn, cs) = (std::f64::consts::FRAC_PI_2 * tau).sin_cos();
            run[0] * cs - run[1] * sn
        } else {
            run.iter().rev().fold(0.0, |acc, &cf| acc * tau + cf)
        };
        out[i] = value.max(0.0) * scale;
    }
    Ok(out)
}

/// Every sample scattered on its own, in fixed blocks of samples (the cosine kernel, and kernels narrower
/// than `grid_1d_moments` needs).
fn per_sample(
    lay: &Layout,
    sh: &Shape,
    x: &[f64],
    w: Option<&[f64]>,
    control: &Control,
) -> Result<(Vec<f64>, Vec<i64>)> {
    let (m, k) = (lay.m, lay.k);
    let per_block = SCATTER_MEMORY / (m * (k + 1)).max(1);
    let point_block = POINT_BLOCK.max(x.len().div_ceil(per_block.max(1)));
    let parts = map_blocks(x.len(), point_block, |s, e| -> Result<(Vec<f64>, Vec<i64>)> {
        control.check()?;
        let mut coef = vec![0.0f64; m * k];
        let mut count = vec![0i64; m + 1];
        for idx in s..e {
            let wt = w.map_or(1.0, |w| w[idx]);
            if wt != 0.0 {
                lay.scatter_sample(sh, x[idx], wt, &mut coef, &mut count);
            }
        }
        Ok((coef, count))
    });
    sum_parts(parts, m * k, m + 1)
}

/// The blocks' difference arrays added in block order (the same bits for any thread count).
fn sum_parts(parts: Vec<Result<(Vec<f64>, Vec<i64>)>>, n_coef: usize, n_count: usize) -> Result<(Vec<f64>, Vec<i64>)> {
    let mut parts = parts.into_iter();
    let (mut coef, mut count) = parts.next().unwrap_or_else(|| Ok((vec![0.0; n_coef], vec![0; n_count])))?;
    for part in parts {
        let (c, n) = part?;
        coef.iter_mut().zip(c).for_each(|(u, v)| *u += v);
        count.iter_mut().zip(n).for_each(|(u, v)| *u += v);
    }
    Ok((coef, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kde::exact::{evaluate_1d, sort_sample, Quantity, Sorted};
    use crate::kde::kernels::KERNEL_NAMES;

    #[test]
    fn grid_sum_equals_the_exact_sum_for_every_compact_kernel() {
        let raw: Vec<f64> = (0..3000).map(|i| ((i * 7919) % 3001) as f64 / 300.0 + (i as f64 * 0.3).sin()).collect();
        let wts: Vec<f64> = (0..3000).map(|i| 0.5 + ((i * 31) % 7) as f64).collect();
        let c = Control::new();
        for name in KERNEL_NAMES {
            let kernel = Kernel::from_name(name).unwrap();
            if !supports(kernel) {
                continue;
            }
            for (h, weights) in [(0.3, None), (0.05, Some(&wts[..])), (2.0, Some(&wts[..]))] {
                let (x, w) = sort_sample(&raw, weights).unwrap();
                let s = Sorted::new(&x, &w).unwrap();
                let g: Vec<f64> = (0..777).map(|i| -4.0 + i as f64 * 0.023).collect();
                let got = compact_grid(&raw, weights, h, kernel, &g, &c).unwrap();
                let want = evaluate_1d(&s, h, kernel, &g, Quantity::Pdf, &c).unwrap();
                let peak = want.iter().cloned().fold(0.0, f64::max);
                for i in 0..g.len() {
                    assert!(
                        (got[i] - want[i]).abs() <= 1e-11 * peak,
                        "{name} h={h} at {}: {} vs {}",
                        g[i],
                        got[i],
                        want[i]
                    );
                    assert!(got[i] >= 0.0);
                }
            }
        }
    }
}
