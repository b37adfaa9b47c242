//! The 1-D Gaussian density on an equispaced grid (KDEpy's FFTKDE grid) by binning with Taylor moments on the
//! grid itself, then one FFT convolution per moment: O(n J + N log N) for J moments and N grid points, to a
//! controlled relative error.
//!
//! A sample at grid position c + t (c the nearest grid point, |t| <= 1/2, s = step / h) adds to the grid
//! point c + k the term
//!
//!   exp(-(k - t)^2 s^2 / 2) = exp(-k^2 s^2 / 2) exp(-t^2 s^2 / 2) sum_j (k s^2)^j t^j / j!,
//!
//! so the density is sum_j (H_j * kappa_j), the moment histograms H_j[c] = sum w exp(-t^2 s^2 / 2) t^j
//! convolved with kappa_j[k] = (k s^2)^j / j! exp(-k^2 s^2 / 2) (the Taylor-moment binning of Fan & Marron
//! 1994, "Fast implementations of nonparametric curve estimators", taken to the order the tolerance needs).
//! With |k| <= K, |k t s^2| <= Y = (K + 1/2) s^2 / 2, and the series' remainder is at most Y^J / J! e^Y of
//! the factor, which is itself at least e^-Y: J is the smallest order with Y^J / J! e^(2Y) <= tol / 10. A
//! grid coarser than S_MAX bandwidths is refined by an integer factor first (Y grows with s), and further
//! where fewer moments per sample outweigh the larger transforms (`plan`).
//! Terms beyond rho bandwidths are dropped as in `grid_2d`, with the largest normalised weight w_max as the
//! bound on the peak (rho^2 / 2 = ln(1e4 / (w_max tol))): where the density exceeds 1e-3 of its maximum the
//! dropped terms are below tol / 10 of it.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fastmath::exp as fast_exp;
use crate::parallel::map_blocks;

use super::binned::{smooth_size, whole};

/// Coarsest grid step (in bandwidths) binned directly; coarser grids are refined.
const S_MAX: f64 = 0.1;
/// Largest refined grid (points), and the most moments.
const MAX_POINTS: usize = 1 << 22;
const MAX_J: usize = 16;
/// Samples per binning block: fixed, so the histograms are summed in the same order for any thread count.
const BIN_BLOCK: usize = 1 << 16;

/// How the grid is binned: refinement, reach (cells) and number of moments.
struct Plan {
    refine: usize,
    reach: usize,
    moments: usize,
    s: f64,
}

/// Moments binned per sample for J moments: J rounded up to a compiled size.
fn stride(j: usize) -> usize {
    match j {
        0..=4 => 4,
        5..=6 => 6,
        7..=8 => 8,
        9..=10 => 10,
        11..=12 => 12,
        _ => MAX_J,
    }
}

/// The cheapest plan for `n` samples: refining the grid lowers the number of moments each sample bins
/// (Y falls with s) at the price of larger FFTs, so refinements by 1, 2, 4 and 8 over the coarsest
/// admissible one are costed (per sample, the moments binned; per cell and moment pair, about three
/// transforms' worth of work) and the cheapest is kept.
fn plan(step: f64, h: f64, m: usize, n: usize, rho: f64, tol: f64) -> Option<Plan> {
    let mut refine = (step / h / S_MAX).ceil().max(1.0);
    let mut best: Option<(f64, Plan)> = None;
    while (m as f64 - 1.0) * refine + 1.0 <= MAX_POINTS as f64 {
        let s = step / h / refine;
        let reach = (rho / s).ceil();
        let y = (reach + 0.5) * s * s * 0.5;
        let (mut term, mut j) = ((2.0 * y).exp(), 0usize);
        while j < MAX_J && term > 0.1 * tol {
            j += 1;
            term *= y / j as f64;
        }
        if term <= 0.1 * tol && (m - 1) * refine as usize + 2 * (reach as usize) < MAX_POINTS {
            let moments = j.max(1);
            let cells = (m - 1) as f64 * refine + 2.0 * reach;
            let cost = n as f64 * (stride(moments) + 2) as f64 + cells * moments.div_ceil(2) as f64 * 30.0;
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, Plan { refine: refine as usize, reach: reach as usize, moments, s }));
            } else {
                break; // costs rise from here on
            }
            if refine >= 8.0 * (step / h / S_MAX).ceil().max(1.0) {
                break;
            }
        }
        refine *= 2.0;
    }
    best.map(|(_, p)| p)
}

/// Samples per chunk of the two-phase binning: a chunk's cells and moments (J x CHUNK doubles) stay in L1.
const CHUNK: usize = 128;
/// Adding 1.5 * 2^52 rounds a double of magnitude below 2^51 to the nearest integer, held in the low
/// mantissa bits: a rounding the compiler vectorises (f64 to integer conversions are scalar on baseline
/// x86-64, and f64::round a libm call).
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// Phase 1 of the binning, one chunk: each sample's nearest cell and its weighted moments
/// w exp(-t^2 s^2 / 2) t^j, written by moment (pw[j][i]). Straight-line code over a fixed-length chunk, so that
/// the compiler vectorises it across samples (a sample beyond the reach of every grid point gets weight 0 in
/// cell 0, which changes nothing). A plain function with its scalars by value so that they stay in registers.
#[inline(always)]
fn chunk_moments<const J: usize>(
    x: &[f64; CHUNK],
    w: Option<&[f64; CHUNK]>,
    cell: &mut [u32; CHUNK],
    pw: &mut [[f64; CHUNK]; J],
    (start, inv, s2, top): (f64, f64, f64, f64),
) {
    for i in 0..CHUNK {
        let u = (x[i] - start) * inv;
        let inside = u >= -0.5 && u < top;
        let u = if inside { u } else { 0.0 };
        let r = u + ROUNDER;
        let t = u - (r - ROUNDER);
        // exp(-a) for a = s^2 t^2 / 2 <= S_MAX^2 / 8 by its series to a^4 (remainder a^5 / 120 < 3e-17).
        let a = 0.5 * s2 * t * t;
        let e = 1.0 - a * (1.0 - 0.5 * a * (1.0 - a * (1.0 / 3.0) * (1.0 - 0.25 * a)));
        let wt = w.map_or(1.0, |w| w[i]);
        cell[i] = r.to_bits() as u32; // 0 <= cell < 2^23: the low bits of r
                                      // Powers of t by halves (a short dependency chain rather than J multiplications in a row).
        let mut p = [0.0f64; J];
        p[0] = if inside { wt * e } else { 0.0 };
        if J > 1 {
            p[1] = p[0] * t;
        }
        let t2 = t * t;
        for j in 2..J {
            p[j] = p[j - 2] * t2;
        }
        for j in 0..J {
            pw[j][i] = p[j];
        }
    }
}

/// Add each sample's moments to the histogram of its nearest grid cell (interleaved, J per cell), a chunk at
/// a time: the vectorised phase 1 (`chunk_moments`), then the additions to the cells.
#[inline(always)]
fn bin<const J: usize>(hist: &mut [f64], x: &[f64], w: Option<&[f64]>, (start, inv, s2): (f64, f64, f64)) {
    let geo = (start, inv, s2, (hist.len() / J) as f64 - 0.5);
    let (mut cell, mut pw) = ([0u32; CHUNK], [[0.0f64; CHUNK]; J]);
    // A last partial chunk is padded with NaN, which `chunk_moments` gives weight 0.
    let (mut xb, mut wb) = ([f64::NAN; CHUNK], [0.0f64; CHUNK]);
    for (k, xs) in x.chunks(CHUNK).enumerate() {
        let ws = w.map(|w| &w[k * CHUNK..k * CHUNK + xs.len()]);
        let xc = whole(xs, &mut xb);
        let wc = ws.map(|ws| whole(ws, &mut wb));
        match wc {
            // Unit weights folded away by the compiler.
            None => chunk_moments::<J>(xc, None, &mut cell, &mut pw, geo),
            Some(wc) => chunk_moments::<J>(xc, Some(wc), &mut cell, &mut pw, geo),
        }
        for (i, &c) in cell.iter().enumerate().take(xs.len()) {
            let c = c as usize;
            hist[c * J..(c + 1) * J].iter_mut().zip(&pw).for_each(|(v, p)| *v += p[i]);
        }
    }
}

#[inline(always)]
fn histogram_portable<const J: usize>(x: &[f64], w: Option<&[f64]>, cells: usize, geo: (f64, f64, f64)) -> Vec<f64> {
    let mut hist = vec![0.0f64; cells * J];
    bin::<J>(&mut hist, x, w, geo);
    hist
}

/// The same code compiled for AVX2 (four lanes; no fused multiply-adds, so the same bits as the portable
/// build).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn histogram_avx2<const J: usize>(x: &[f64], w: Option<&[f64]>, cells: usize, geo: (f64, f64, f64)) -> Vec<f64> {
    histogram_portable::<J>(x, w, cells, geo)
}

/// One block's moment histograms (`w`: the block's weights, None for equal weights).
fn histogram<const J: usize>(x: &[f64], w: Option<&[f64]>, cells: usize, geo: (f64, f64, f64)) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { histogram_avx2::<J>(x, w, cells, geo) };
    }
    histogram_portable::<J>(x, w, cells, geo)
}

/// The density of the weighted sample (`w` None: equal weights) with the Gaussian kernel of bandwidth `h` at
/// the equispaced grid `g`, to relative error `tol` wherever it exceeds 1e-3 of its maximum; None when the
/// grid is too coarse for the bandwidth to refine within MAX_POINTS (the exact sum is cheap there).
pub fn gaussian_grid(
    x: &[f64],
    w: Option<&[f64]>,
    h: f64,
    g: &[f64],
    tol: f64,
    control: &Control,
) -> Result<Option<Vec<f64>>> {
    let m = g.len();
    if m < 2 || x.is_empty() || w.is_some_and(|w| w.len() != x.len()) {
        return Err(CoreError::invalid("samples", "needs samples with one weight each and a grid of two points"));
    }
    if !(h.is_finite() && h > 0.0 && tol > 0.0 && tol < 1.0) {
        return Err(CoreError::invalid("bandwidth", format!("must be positive and finite, got {h}")));
    }
    let total = w.map_or(x.len() as f64, |w| w.iter().sum());
    let w_max = w.map_or(1.0, |w| w.iter().fold(0.0f64, |a, &b| a.max(b))) / total;
    let rho = (2.0 * (1e4 / (w_max * tol)).ln().clamp(1.0, 700.0)).sqrt();
    let step = (g[m - 1] - g[0]) / (m - 1) as f64;
    let Some(p) = plan(step, h, m, x.len(), rho, tol) else {
        return Ok(None);
    };
    let fine = (m - 1) * p.refine + 1;
    let cells = fine + 2 * p.reach;
    let geo = (g[0] - p.reach as f64 * step / p.refine as f64, p.refine as f64 / step, p.s * p.s);
    // Moments binned in blocks of samples, J rounded up to a compiled size.
    let stride = stride(p.moments);
    let parts = match stride {
        4 => map_blocks(x.len(), BIN_BLOCK, |a, b| histogram::<4>(&x[a..b], w.map(|w| &w[a..b]), cells, geo)),
        6 => map_blocks(x.len(), BIN_BLOCK, |a, b| histogram::<6>(&x[a..b], w.map(|w| &w[a..b]), cells, geo)),
        8 => map_blocks(x.len(), BIN_BLOCK, |a, b| histogram::<8>(&x[a..b], w.map(|w| &w[a..b]), cells, geo)),
        10 => map_blocks(x.len(), BIN_BLOCK, |a, b| histogram::<10>(&x[a..b], w.map(|w| &w[a..b]), cells, geo)),
        12 => map_blocks(x.len(), BIN_BLOCK, |a, b| histogram::<12>(&x[a..b], w.map(|w| &w[a..b]), cells, geo)),
        _ => map_blocks(x.len(), BIN_BLOCK, |a, b| histogram::<MAX_J>(&x[a..b], w.map(|w| &w[a..b]), cells, geo)),
    };
    control.check()?;
    let mut parts = parts.into_iter();
    let mut hist = parts.next().unwrap_or_default();
    for part in parts {
        hist.iter_mut().zip(part).for_each(|(u, v)| *u += v);
    }
    // Linear convolution of the cells with kernels of half-width `reach`: the outputs at the grid points
    // (cells reach .. reach + fine) do not wrap around once n_fft >= cells.
    let n_fft = smooth_size(cells);
    let mut planner = FftPlanner::new();
    let (forward, inverse) = (planner.plan_fft_forward(n_fft), planner.plan_fft_inverse(n_fft));
    let mut acc = vec![Complex::new(0.0, 0.0); n_fft];
    let s2 = p.s * p.s;
    // Moments in pairs (two real sequences in one complex transform), kernels likewise.
    let mut fact = 1.0;
    for j0 in (0..p.moments).step_by(2) {
        let j1 = (j0 + 1).min(stride - 1);
        let mut hz: Vec<Complex<f64>> = vec![Complex::new(0.0, 0.0); n_fft];
        hz.iter_mut().zip(hist.chunks_exact(stride)).for_each(|(z, c)| *z = Complex::new(c[j0], c[j1]));
        let mut kz = vec![Complex::new(0.0, 0.0); n_fft];
        let (f0, f1) = (1.0 / fact, 1.0 / (fact * (j0 + 1) as f64));
        fact *= ((j0 + 1) * (j0 + 2)) as f64;
        for k in -(p.reach as i64)..=p.reach as i64 {
            let (ks2, e) = (k as f64 * s2, fast_exp(-0.5 * (k * k) as f64 * s2));
            let v0 = f0 * ks2.powi(j0 as i32) * e;
            let v1 = if j0 + 1 < p.moments { f1 * ks2.powi(j0 as i32 + 1) * e } else { 0.0 };
            kz[k.rem_euclid(n_fft as i64) as usize] = Complex::new(v0, v1);
        }
        forward.process(&mut hz);
        forward.process(&mut kz);
        for i in 0..n_fft {
            let ni = (n_fft - i) % n_fft;
            let (a, b) = (hz[i], hz[ni].conj());
            let (c, d) = (kz[i], kz[ni].conj());
            // Spectra of the two real histograms and kernels, unpacked; their products summed.
            let (h0, h1) = ((a + b) * 0.5, (a - b) * Complex::new(0.0, -0.5));
            let (k0, k1) = ((c + d) * 0.5, (c - d) * Complex::new(0.0, -0.5));
            acc[i] += h0 * k0 + h1 * k1;
        }
        control.check()?;
    }
    inverse.process(&mut acc);
    let scale = 1.0 / (n_fft as f64 * total * h * (std::f64::consts::TAU).sqrt());
    Ok(Some((0..m).map(|i| (acc[p.reach + i * p.refine].re * scale).max(0.0)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kde::exact::{evaluate_1d, sort_sample, Quantity, Sorted};
    use crate::kde::kernels::Kernel;

    #[test]
    fn binned_on_the_grid_meets_the_tolerance() {
        let raw: Vec<f64> = (0..5000).map(|i| ((i * 7919) % 5003) as f64 / 500.0 + (i as f64 * 0.3).sin()).collect();
        let wts: Vec<f64> = (0..5000).map(|i| 0.5 + ((i * 31) % 7) as f64).collect();
        let c = Control::new();
        // Fine and coarse grids for the bandwidth (the latter refined), weighted and not.
        for (h, m, weights, tol) in [(0.3, 777, None, 1e-9), (0.02, 300, Some(&wts[..]), 1e-9), (1.0, 50, None, 1e-6)] {
            let g: Vec<f64> = (0..m).map(|i| -4.0 + i as f64 * 18.0 / (m - 1) as f64).collect();
            let got = gaussian_grid(&raw, weights, h, &g, tol, &c).unwrap().unwrap();
            let (x, w) = sort_sample(&raw, weights).unwrap();
            let want = evaluate_1d(&Sorted::new(&x, &w).unwrap(), h, Kernel::Gaussian, &g, Quantity::Pdf, &c).unwrap();
            let peak = want.iter().cloned().fold(0.0, f64::max);
            for (a, b) in got.iter().zip(&want) {
                if *b > 1e-3 * peak {
                    assert!((a - b).abs() <= tol * b, "h {h} m {m}: {a} vs {b}");
                } else {
                    assert!((a - b).abs() <= 1e-12 * peak, "h {h} m {m}: {a} vs {b}");
                }
            }
        }
    }
}
