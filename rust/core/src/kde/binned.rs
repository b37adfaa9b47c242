//! Binned Gaussian kernel density: moment binning, FFT convolution and cubic Hermite interpolation.
//!
//! Linear binning is exact only for kernels linear between grid points, which leaves an O(step^2) error
//! and forces very fine grids for a 1e-6 tolerance. Here each point goes to its nearest grid point together
//! with the powers t, t^2, t^3 of its offset (in steps); the kernel at the true position is the Taylor series
//! K(x - g - t step) = sum_k (-t step)^k / k! K^(k)(x - g), so the density is the sum of the four moment
//! histograms convolved with the kernel's derivatives. In Fourier space that is one multiplier per moment,
//! (-i omega step)^k / k! times the Gaussian's transform exp(-omega^2 h^2 / 2), all computed analytically
//! (no sampled kernel, no aliasing while h >= 4 steps). The truncation error per point is at most
//! (step/2)^4 / 24 |K''''|, i.e. a relative (step/h)^4 |He4(z)| / 384 at z bandwidths. The same Fourier
//! coefficients times i omega step give the derivative per step on the grid, and cubic Hermite interpolation between
//! grid points adds an error of the same order, step^4 / 384 |f''''|. The step is chosen so that both
//! together stay below the requested relative tolerance for every point within Z_MAX bandwidths of the
//! query, which covers every query where the density exceeds 1e-3 of its maximum.

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::parallel::map_blocks;

/// Distance (in bandwidths) to the farthest point whose term the error bound must cover: a query whose
/// density exceeds 1e-3 of the maximum draws its mass from points within sqrt(2 ln 1000) = 3.7 bandwidths;
/// 5 leaves a margin.
const Z_MAX: f64 = 5.0;
/// Bandwidths beyond the extreme data covered by the grid (the density there is below e^-72 of a point's peak).
const EXTEND: f64 = 12.0;
/// Extra bandwidths of padding so the periodic images of the FFT convolution do not reach the grid.
const WRAP: f64 = 24.0;
/// Largest FFT the binned method will use; beyond it the exact sum is the better method.
pub const MAX_GRID: usize = 1 << 23;
/// Bandwidths from either extreme within which samples are kept for exact evaluation beyond the extremes.
const TAIL: f64 = 10.0;
/// Points per binning block: fixed, so the histogram sums are the same for any thread count.
const BIN_BLOCK: usize = 1 << 18;

/// The density and its derivative on an equispaced grid `start + j step`, j < f.len().
#[derive(Debug, Clone)]
pub struct GaussianGrid {
    pub start: f64,
    pub step: f64,
    pub f: Vec<f64>,
    /// The derivative times the step (the change per grid step), which stays finite where f' does not.
    pub df: Vec<f64>,
    pub peak: f64,
    /// Smallest and largest sample.
    pub lo: f64,
    pub hi: f64,
    /// The samples within TAIL bandwidths of either extreme, sorted, weights normalised by the total: for a
    /// query beyond the extremes every other term is below e^-46 of the nearest one (their squared distances
    /// exceed the nearest one's by 2 a TAIL h + (TAIL h)^2 >= 92 h^2), so the exact sum over this subset is
    /// the exact sum, without sorting the whole sample.
    pub tail_x: Vec<f64>,
    pub tail_w: Vec<f64>,
}

/// A borrowed grid (the binding layer keeps grids as NumPy arrays between calls).
#[derive(Debug, Clone, Copy)]
pub struct GridView<'a> {
    pub start: f64,
    pub step: f64,
    pub f: &'a [f64],
    pub df: &'a [f64],
    pub peak: f64,
}

impl GaussianGrid {
    pub fn view(&self) -> GridView<'_> {
        GridView { start: self.start, step: self.step, f: &self.f, df: &self.df, peak: self.peak }
    }
}

/// Grid step (relative to h) meeting a relative tolerance: binning and interpolation errors each at most
/// r^4 He4(Z_MAX) / 384, together at most `tol`. Never coarser than h/4 (keeps the Fourier transform of
/// the kernel free of aliasing).
pub fn step_for_tolerance(tol: f64) -> f64 {
    let he4 = Z_MAX.powi(4) - 6.0 * Z_MAX * Z_MAX + 3.0;
    (tol * 384.0 / (2.0 * he4)).powf(0.25).min(0.25)
}

/// `s` as a fixed-size array for the vectorised first phase of the 1-D binnings (`grid_1d_gauss`,
/// `grid_1d_moments`): itself when it is whole, else copied into the front of `pad`, whose remaining entries
/// (NaN samples, zero weights) that phase gives no weight.
#[inline(always)]
pub(crate) fn whole<'a, const N: usize>(s: &'a [f64], pad: &'a mut [f64; N]) -> &'a [f64; N] {
    match s.try_into() {
        Ok(full) => full,
        Err(_) => {
            pad[..s.len()].copy_from_slice(s);
            pad
        }
    }
}
/// Smallest 2^a 3^b >= n: sizes rustfft transforms fastest.
pub(crate) fn smooth_size(n: usize) -> usize {
    let mut best = n.next_power_of_two();
    let mut p3 = 1usize;
    while p3 < best {
        let mut m = p3;
        while m < n {
            m *= 2;
        }
        best = best.min(m);
        p3 *= 3;
    }
    best
}

/// Number of grid points the binned method needs for this data span, bandwidth and tolerance.
pub fn grid_size(span: f64, h: f64, tol: f64) -> f64 {
    let step = step_for_tolerance(tol) * h;
    (span + (2.0 * EXTEND + WRAP) * h) / step + 2.0
}

pub(crate) fn min_max(x: &[f64]) -> (f64, f64) {
    let (lo, hi, _) = scan(x);
    (lo, hi)
}

/// Smallest and largest value and whether any is NaN, in one pass (an infinity shows as lo or hi): the
/// estimator's finiteness check and data range together. Plain comparisons on four lanes and a NaN flag
/// kept as a bit-or: f64::min/max carry NaN handling that keeps the loop scalar and branchy.
pub(crate) fn scan(x: &[f64]) -> (f64, f64, bool) {
    let parts = map_blocks(x.len(), BIN_BLOCK, |a, b| {
        let (mut lo, mut hi, mut nan) = ([f64::INFINITY; 4], [f64::NEG_INFINITY; 4], [false; 4]);
        let chunks = x[a..b].chunks_exact(4);
        for &v in chunks.remainder() {
            lo[0] = if v < lo[0] { v } else { lo[0] };
            hi[0] = if v > hi[0] { v } else { hi[0] };
            nan[0] |= v.is_nan();
        }
        for c in chunks {
            for k in 0..4 {
                lo[k] = if c[k] < lo[k] { c[k] } else { lo[k] };
                hi[k] = if c[k] > hi[k] { c[k] } else { hi[k] };
                nan[k] |= c[k].is_nan();
            }
        }
        let fold = |p: [f64; 4], f: fn(f64, f64) -> f64| p.into_iter().reduce(f).unwrap_or(f64::NAN);
        (fold(lo, f64::min), fold(hi, f64::max), nan.iter().any(|&v| v))
    });
    parts
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY, false), |(lo, hi, nan), (a, b, c)| (lo.min(a), hi.max(b), nan | c))
}

/// Add points to interleaved moment histograms. A plain function with its scalars passed by value, so the
/// compiler keeps them in registers (inside a closure they are reached through references it cannot prove
/// free of aliasing with the histogram, and the loop ran 4x slower).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn bin_points(
    m: &mut [f64],
    tails: &mut Vec<(f64, f64)>,
    x: &[f64],
    weight: impl Fn(usize) -> f64,
    start: f64,
    inv: f64,
    last: usize,
    (below, above): (f64, f64),
) {
    for (k, &xi) in x.iter().enumerate() {
        // u >= 0 (every point lies right of `start`), so truncating u + 0.5 rounds to nearest; f64::round
        // would be a libm call on baseline x86-64 (no SSE4.1).
        let u = (xi - start) * inv;
        let j = ((u + 0.5) as usize).min(last);
        let t = u - j as f64;
        let (wt, t2) = (weight(k), t * t);
        let cell = &mut m[4 * j..4 * j + 4];
        cell[0] += wt;
        cell[1] += wt * t;
        cell[2] += wt * t2;
        cell[3] += wt * t2 * t;
        if xi < below || xi > above {
            tails.push((xi, wt));
        }
    }
}

/// Moment histograms M_k[j] = scale * sum over points nearest to grid point j of w t^k, k = 0..3, interleaved,
/// and the points outside `tail_bounds` with their scaled weights.
fn moment_histograms(
    x: &[f64],
    w: Option<&[f64]>,
    start: f64,
    step: f64,
    n_grid: usize,
    scale: f64,
    tail_bounds: (f64, f64),
) -> (Vec<f64>, Vec<(f64, f64)>) {
    let inv = 1.0 / step;
    // Fewer, larger blocks when the grid is large, so the per-block histograms stay within ~64 MB in all.
    // (At least 1: grids above 2^21 points made this a division by zero, a panic found by `make fuzz`.)
    let block = BIN_BLOCK.max(x.len().div_ceil(((1usize << 21) / n_grid).max(1)));
    let parts = map_blocks(x.len(), block, |a, b| {
        let last = n_grid - 1;
        let mut m = vec![0.0f64; 4 * n_grid];
        let mut tails = Vec::new();
        let xs = &x[a..b];
        match w {
            Some(w) => bin_points(&mut m, &mut tails, xs, |k| w[a + k], start, inv, last, tail_bounds),
            None => bin_points(
                &mut m,
                &mut tails,
                xs,
                // Unit weights, scaled once at the end: the multiplications by a constant 1 fold away
                // (about 20 % of the pass, measured).
                |_| 1.0,
                start,
                inv,
                last,
                tail_bounds,
            ),
        }
        (m, tails)
    });
    let mut parts = parts.into_iter();
    let (mut total, mut tails) = parts.next().unwrap_or_else(|| (vec![0.0; 4 * n_grid], Vec::new()));
    for (p, t) in parts {
        total.iter_mut().zip(p).for_each(|(a, b)| *a += b);
        tails.extend(t);
    }
    total.iter_mut().for_each(|v| *v *= scale);
    tails.iter_mut().for_each(|p| p.1 *= scale);
    (total, tails)
}

/// Binned Gaussian density with bandwidth `h` on a grid covering the data and EXTEND bandwidths beyond,
/// accurate to relative tolerance `tol` (see the module notes). `w` need not be normalised.
pub fn gaussian_grid(x: &[f64], w: Option<&[f64]>, h: f64, tol: f64, control: &Control) -> Result<GaussianGrid> {
    if x.is_empty() {
        return Err(CoreError::invalid("samples", "is empty"));
    }
    if !(h.is_finite() && h > 0.0) {
        return Err(CoreError::invalid("bandwidth", format!("must be a positive finite number, got {h}")));
    }
    if !(tol > 0.0 && tol < 1.0) {
        return Err(CoreError::invalid("tolerance", format!("must be in (0, 1), got {tol}")));
    }
    let total_weight = match w {
        Some(w) if w.len() != x.len() => {
            return Err(CoreError::invalid("weights", format!("has {} values for {} samples", w.len(), x.len())))
        }
        Some(w) => map_blocks(w.len(), BIN_BLOCK, |a, b| w[a..b].iter().sum::<f64>()).into_iter().sum::<f64>(),
        None => x.len() as f64,
    };
    if !(total_weight > 0.0 && total_weight.is_finite()) {
        return Err(CoreError::invalid("weights", "must have a positive finite sum"));
    }
    let (lo, hi) = min_max(x);
    let needed = grid_size(hi - lo, h, tol);
    if needed.is_nan() || needed > MAX_GRID as f64 {
        return Err(CoreError::invalid(
            "tolerance",
            format!("the binned method would need a grid of {needed:.3e} points (data span / bandwidth too large); use method='exact'"),
        ));
    }
    let step = step_for_tolerance(tol) * h;
    let n_valid = ((hi - lo + 2.0 * EXTEND * h) / step).ceil() as usize + 1;
    let n_fft = smooth_size(needed.ceil() as usize);
    let start = lo - EXTEND * h;
    control.check()?;
    let (m, tails) = moment_histograms(x, w, start, step, n_fft, 1.0 / total_weight, (lo + TAIL * h, hi - TAIL * h));
    let (tail_x, tail_w) = sorted_tails(tails);
    control.check()?;

    let mut a: Vec<Complex<f64>> = m.chunks_exact(4).map(|c| Complex::new(c[0], c[1])).collect();
    let mut b: Vec<Complex<f64>> = m.chunks_exact(4).map(|c| Complex::new(c[2], c[3])).collect();
    let mut planner = FftPlanner::new();
    let forward = planner.plan_fft_forward(n_fft);
    forward.process(&mut a);
    forward.process(&mut b);
    let nf = n_fft as f64;
    let mut z = vec![Complex::new(0.0, 0.0); n_fft];
    let i = Complex::new(0.0, 1.0);
    for k in 0..n_fft {
        let km = (n_fft - k) % n_fft;
        // Spectra of the four real histograms, unpacked from the two complex transforms.
        let (ak, akm) = (a[k], a[km].conj());
        let (bk, bkm) = (b[k], b[km].conj());
        let m0 = (ak + akm) * 0.5;
        let m1 = (ak - akm) * Complex::new(0.0, -0.5);
        let m2 = (bk + bkm) * 0.5;
        let m3 = (bk - bkm) * Complex::new(0.0, -0.5);
        let kk = if 2 * k <= n_fft { k as f64 } else { k as f64 - nf };
        let theta = std::f64::consts::TAU * kk / nf; // omega * step
        let omega = theta / step;
        let c1 = -i * theta;
        let c2 = c1 * c1 * 0.5;
        let c3 = c2 * c1 * (1.0 / 3.0);
        let kernel = (-0.5 * (omega * h).powi(2)).exp();
        let f_hat = (m0 + c1 * m1 + c2 * m2 + c3 * m3) * kernel;
        // f + i step f' in one inverse transform: both are real, and step f' has spectrum i theta f_hat. The
        // derivative is kept per grid step: f' itself, of order 1 / h^2, overflows below h ~ 1e-154.
        z[k] = f_hat * (1.0 - theta);
    }
    planner.plan_fft_inverse(n_fft).process(&mut z);
    let norm = 1.0 / (nf * step);
    let f: Vec<f64> = z[..n_valid].iter().map(|c| c.re * norm).collect();
    let df: Vec<f64> = z[..n_valid].iter().map(|c| c.im * norm).collect();
    let peak = f.iter().fold(0.0f64, |p, &v| p.max(v));
    Ok(GaussianGrid { start, step, f, df, peak, lo, hi, tail_x, tail_w })
}

/// Sort the tail samples by position (then weight, so ties sum in a fixed order), dropping zero weights.
fn sorted_tails(mut tails: Vec<(f64, f64)>) -> (Vec<f64>, Vec<f64>) {
    tails.retain(|p| p.1 > 0.0);
    tails.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    tails.into_iter().unzip()
}

/// Cubic Hermite interpolation of the grid at `queries`. Returns the values and, per query, whether it
/// must be evaluated exactly instead: outside the grid, or where the density is below `floor` times its
/// peak (there the FFT's rounding, about 1e-16 of the peak, is no longer small relative to the density).
pub fn interpolate(grid: GridView, queries: &[f64], floor: f64) -> Result<(Vec<f64>, Vec<bool>)> {
    let n = grid.f.len();
    if n < 2 || grid.df.len() != n || grid.step.is_nan() || grid.step <= 0.0 {
        return Err(CoreError::invalid(
            "grid",
            "needs at least two points, matching derivative values and a positive step",
        ));
    }
    let inv = 1.0 / grid.step;
    let threshold = floor * grid.peak;
    let one = |q: f64| -> (f64, bool) {
        let u = (q - grid.start) * inv;
        if !(u >= 0.0 && u <= (n - 1) as f64) {
            return (0.0, true);
        }
        let j = (u as usize).min(n - 2); // u >= 0: truncation is floor, without a libm call
        let s = u - j as f64;
        let (s2, s3) = (s * s, s * s * s);
        let v = (2.0 * s3 - 3.0 * s2 + 1.0) * grid.f[j]
            + (s3 - 2.0 * s2 + s) * grid.df[j]
            + (3.0 * s2 - 2.0 * s3) * grid.f[j + 1]
            + (s3 - s2) * grid.df[j + 1];
        (v, v.is_nan() || v <= threshold)
    };
    let mut values = vec![0.0; queries.len()];
    let mut flags = vec![false; queries.len()];
    let fill = |v: &mut [f64], f: &mut [bool], q: &[f64]| {
        for k in 0..q.len() {
            (v[k], f[k]) = one(q[k]);
        }
    };
    // Each output depends on its own query only, so any split gives the same bits. Small batches stay on
    // the calling thread (handing them to the pool costs more than the work).
    const CHUNK: usize = 1 << 14;
    if queries.len() <= CHUNK {
        fill(&mut values, &mut flags, queries);
    } else {
        values
            .par_chunks_mut(CHUNK)
            .zip(flags.par_chunks_mut(CHUNK))
            .zip(queries.par_chunks(CHUNK))
            .for_each(|((v, f), q)| fill(v, f, q));
    }
    Ok((values, flags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kde::exact::{evaluate_1d, sort_sample, Quantity, Sorted};
    use crate::kde::kernels::Kernel;

    #[test]
    fn binned_meets_tolerance_against_exact() {
        let raw: Vec<f64> =
            (0..3000).map(|i| ((i * 7919) % 3001) as f64 / 300.0 + if i % 3 == 0 { 20.0 } else { 0.0 }).collect();
        let (x, w) = sort_sample(&raw, None).unwrap();
        let s = Sorted::new(&x, &w).unwrap();
        let c = Control::new();
        for (h, tol) in [(0.3, 1e-6), (0.05, 1e-8), (1.0, 1e-4)] {
            let g = gaussian_grid(&raw, None, h, tol, &c).unwrap();
            let qs: Vec<f64> = (0..4000).map(|i| -5.0 + i as f64 * 0.009).collect();
            let (got, fallback) = interpolate(g.view(), &qs, 1e-10).unwrap();
            let want = evaluate_1d(&s, h, Kernel::Gaussian, &qs, Quantity::Pdf, &c).unwrap();
            let peak = want.iter().cloned().fold(0.0, f64::max);
            let mut worst: f64 = 0.0;
            for k in 0..qs.len() {
                if want[k] > 1e-3 * peak {
                    assert!(!fallback[k]);
                    worst = worst.max((got[k] - want[k]).abs() / want[k]);
                }
            }
            assert!(worst <= tol, "h {h} tol {tol}: worst {worst}");
        }
    }

    #[test]
    fn smooth_sizes() {
        assert_eq!(smooth_size(1000), 1024);
        assert_eq!(smooth_size(1100), 1152);
        assert_eq!(smooth_size(5), 6);
    }
}
