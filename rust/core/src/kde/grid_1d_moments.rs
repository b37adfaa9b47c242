//! The scatter of `grid_1d` with the samples grouped by grid cell, so that a sample costs a few additions.
//!
//! A sample at grid position p = c + t (c its cell, t in [0, 1)) covers the grid points from
//! ceil(p - R) = c - floor(R) + [t > frac R] to floor(p + R) = c + floor(R) + [t + frac R >= 1] (R the kernel
//! radius in steps). So the samples of one cell fall into at most four groups with the same covered range,
//! and on that range their kernels' sum is
//!
//!   sum_s w_s P(tau + v0 - t_s / R) = sum_j tau^j sum_l P_l C(l, j) N_{l-j},
//!   N_q = sum_s w_s (v0 - t_s / R)^q = sum_r C(q, r) v0^(q-r) (-1/R)^r M_r,   M_r = sum_s w_s t_s^r,
//!
//! with tau the block coordinate of `grid_1d` and v0 = (block centre - c) / R. One pass over the sample adds
//! each sample's powers w t^r to its group's moments M_r (the moment binning of Fan & Marron 1994, "Fast
//! implementations of nonparametric curve estimators", here with one moment more than the kernel's
//! degree, so nothing is approximated); the groups then scatter their coefficients into `grid_1d`'s
//! difference arrays, O(grid) work. The sum is the exact sum up to rounding, as before.
//!
//! A sample within `NEAR` steps of a group boundary (its range decided by rounding) is scattered on its own,
//! by `grid_1d`'s exact test on the grid values. Kernels narrower than MIN_RADIUS steps stay per sample:
//! there 1/R is large and the expansion in t / R would lose digits (tricube has degree 9).

use crate::control::Control;
use crate::error::Result;
use crate::kde::binned::whole;
use crate::kde::grid_1d::{Layout, Shape, NEAR, POINT_BLOCK, SCATTER_MEMORY};
use crate::kde::kernels::Kernel;
use crate::parallel::map_blocks;

/// Narrowest kernel (in grid steps) that is grouped.
const MIN_RADIUS: f64 = 4.0;
/// Widest kernel, in grid lengths (the groups span the grid plus a radius on either side).
const MAX_RADIUS: f64 = 4.0;
/// Moments kept per group: the largest polynomial degree + 1 (tricube, 9).
const MAX_K: usize = 10;

/// Whether the grouped scatter applies: a polynomial kernel (not the cosine) of radius `radius` grid
/// steps on a grid of `m` points.
pub(crate) fn applies(kernel: Kernel, radius: f64, m: usize) -> bool {
    kernel != Kernel::Cosine && (MIN_RADIUS..=MAX_RADIUS * m as f64).contains(&radius)
}

/// Binomial coefficients C(n, k), n, k < MAX_K.
fn binomials() -> [[f64; MAX_K]; MAX_K] {
    let mut b = [[0.0; MAX_K]; MAX_K];
    for n in 0..MAX_K {
        b[n][0] = 1.0;
        for k in 1..=n {
            b[n][k] = b[n - 1][k - 1] + b[n - 1][k];
        }
    }
    b
}

/// Samples per chunk of the two-phase accumulation: a chunk's groups and moments stay in L1.
const CHUNK: usize = 128;
/// Adding 1.5 * 2^52 rounds a double of magnitude below 2^51 to the nearest integer, held in the low
/// mantissa bits: a rounding the compiler vectorises (f64 to integer conversions are scalar on baseline
/// x86-64, and f64::floor a libm call).
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// Group codes of samples that add nothing (beyond every grid point's reach) and of samples set aside.
const SKIP: u64 = u64::MAX;
const SLOW: u64 = u64::MAX - 1;

/// Phase 1 of the accumulation, one chunk: each sample's group 4 cell + slot (or SKIP, or SLOW when its range
/// is decided within NEAR steps) and its moments w t^r, written by power (pw[r][i]). Straight-line code over a
/// fixed-length chunk, so that the compiler vectorises it across samples. A plain function with its scalars
/// by value so that they stay in registers (as `binned::bin_points`).
#[inline(always)]
fn chunk_moments<const K: usize>(
    x: &[f64; CHUNK],
    w: Option<&[f64; CHUNK]>,
    group: &mut [u64; CHUNK],
    pw: &mut [[f64; CHUNK]; K],
    (g0, inv_step, off, rf, umin, umax): (f64, f64, f64, f64, f64, f64),
) {
    for i in 0..CHUNK {
        let u = (x[i] - g0) * inv_step;
        // Beyond a step of every grid point's reach (NaN padding included): skipped.
        let valid = u >= umin && u < umax;
        let v = if valid { u + off } else { off }; // >= 0.5
        let near = v + ROUNDER - ROUNDER;
        let ci = if near > v { near - 1.0 } else { near }; // floor(v)
        let t = (if valid { u } else { 0.0 }) - (ci - off); // exact: ci - off is an integer within 1 of u
        let (e1, e2) = ((t - rf).abs(), (t + rf - 1.0).abs());
        let decided = (NEAR..=1.0 - NEAR).contains(&e1) && (NEAR..=1.0 - NEAR).contains(&e2);
        let slot = 2 * ((t > rf) as u64) + (t + rf >= 1.0) as u64;
        let g = 4 * ((ci + ROUNDER).to_bits() & 0xFFFF_FFFF_FFFF) + slot;
        group[i] = if !valid {
            SKIP
        } else if !decided {
            SLOW
        } else {
            g
        };
        let mut p = w.map_or(1.0, |w| w[i]);
        for row in pw.iter_mut() {
            row[i] = p;
            p *= t;
        }
    }
}

/// Add each sample's moments w t^r (r < K) to its group (cell, slot), or set it aside when its range is
/// decided within NEAR steps, a chunk at a time: the vectorised phase 1 (`chunk_moments`), then the
/// additions to the groups.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn accumulate<const K: usize>(
    mom: &mut [f64],
    slow: &mut Vec<usize>,
    x: &[f64],
    first: usize,
    w: Option<&[f64]>,
    (g0, inv_step): (f64, f64),
    (off, rf): (f64, f64),
    (umin, umax): (f64, f64),
) {
    let geo = (g0, inv_step, off, rf, umin, umax);
    let (mut group, mut pw) = ([0u64; CHUNK], [[0.0f64; CHUNK]; K]);
    // A last partial chunk is padded with NaN, which phase 1 skips.
    let (mut xb, mut wb) = ([f64::NAN; CHUNK], [0.0f64; CHUNK]);
    for (k, xs) in x.chunks(CHUNK).enumerate() {
        let xc = whole(xs, &mut xb);
        let ws = w.map(|w| &w[first + k * CHUNK..first + k * CHUNK + xs.len()]);
        let wc = ws.map(|ws| whole(ws, &mut wb));
        match wc {
            // Unit weights folded away by the compiler.
            None => chunk_moments::<K>(xc, None, &mut group, &mut pw, geo),
            Some(wc) => chunk_moments::<K>(xc, Some(wc), &mut group, &mut pw, geo),
        }
        for (i, &g) in group.iter().enumerate().take(xs.len()) {
            match g {
                SKIP => {}
                SLOW => slow.push(first + k * CHUNK + i),
                _ => {
                    let g = g as usize;
                    mom[g * K..(g + 1) * K].iter_mut().zip(&pw).for_each(|(c, p)| *c += p[i]);
                }
            }
        }
    }
}

/// The coefficients (in tau) about a block whose centre is `v0` radii right of the cell, of the sum of the
/// group's kernel pieces `poly` (module notes).
fn group_coefs(poly: &[f64], mom: &[f64], v0: f64, inv_radius: f64, binom: &[[f64; MAX_K]; MAX_K], out: &mut [f64]) {
    let k = poly.len();
    let (mut mu, mut pw, mut n) = ([0.0; MAX_K], [1.0; MAX_K], [0.0; MAX_K]);
    let mut f = 1.0;
    for r in 0..k {
        mu[r] = f * mom[r];
        f *= -inv_radius;
        if r > 0 {
            pw[r] = pw[r - 1] * v0;
        }
    }
    for q in 0..k {
        n[q] = (0..=q).map(|r| binom[q][r] * pw[q - r] * mu[r]).sum();
    }
    for (j, o) in out.iter_mut().enumerate().take(k) {
        *o = (j..k).map(|l| poly[l] * binom[l][j] * n[l - j]).sum();
    }
}

/// The difference arrays of `grid_1d` (coefficients, covering counts) for a polynomial kernel, by groups.
pub(crate) fn scatter(
    lay: &Layout,
    sh: &Shape,
    x: &[f64],
    w: Option<&[f64]>,
    control: &Control,
) -> Result<(Vec<f64>, Vec<i64>)> {
    let (m, k) = (lay.m, lay.k);
    let ri = lay.radius.floor();
    let rf = lay.radius - ri;
    let off = ri + 3.0;
    // Cells from -(ri + 3) to m + ri + 1: every sample that reaches within a step of the grid.
    let n_cells = m + 2 * ri as usize + 5;
    let bounds = (-(ri + 2.5), m as f64 + ri + 1.5);
    let per_block = SCATTER_MEMORY / (n_cells * 4 * MAX_K);
    let point_block = POINT_BLOCK.max(x.len().div_ceil(per_block.max(1)));
    let geometry = (lay.g0, lay.inv_step);
    let parts = map_blocks(x.len(), point_block, |s, e| {
        control.check()?;
        let mut slow = Vec::new();
        let mom = match k {
            3 => moments::<3>(n_cells, &x[s..e], s, w, geometry, (off, rf), bounds, &mut slow),
            5 => moments::<5>(n_cells, &x[s..e], s, w, geometry, (off, rf), bounds, &mut slow),
            // Tophat, tri, triweight, tricube: the largest size holds every degree.
            _ => moments::<MAX_K>(n_cells, &x[s..e], s, w, geometry, (off, rf), bounds, &mut slow),
        };
        Ok((mom, slow))
    });
    let stride = match k {
        3 | 5 => k,
        _ => MAX_K,
    };
    let mut parts = parts.into_iter();
    let (mut mom, mut slow): (Vec<f64>, Vec<usize>) = parts.next().unwrap_or_else(|| Ok((Vec::new(), Vec::new())))?;
    for part in parts {
        let (pm, ps) = part?;
        mom.iter_mut().zip(pm).for_each(|(u, v)| *u += v);
        slow.extend(ps);
    }
    control.check()?;
    let (mut coef, mut count) = (vec![0.0f64; m * k], vec![0i64; m + 1]);
    let binom = binomials();
    let (ri, inv_radius) = (ri as i64, lay.inv_radius);
    for (g, group) in mom.chunks_exact(stride).enumerate() {
        // No sample with a positive weight (the sums of non-negative weights are never NaN).
        if group[0] <= 0.0 {
            continue;
        }
        let (c, slot) = ((g / 4) as i64 - off as i64, (g % 4) as i64);
        let (lo, hi) = ((c - ri + slot / 2).max(0), (c + ri + slot % 2).min(m as i64 - 1));
        if lo > hi {
            continue;
        }
        count[lo as usize] += 1;
        count[hi as usize + 1] -= 1;
        let piece = |poly: &'static [f64]| {
            move |centre: f64, out: &mut [f64]| {
                group_coefs(poly, group, (centre - c as f64) * inv_radius, inv_radius, &binom, out)
            }
        };
        if sh.symmetric {
            lay.add(&mut coef, lo as usize, hi as usize, piece(sh.left));
        } else {
            // Left of the cell's samples the left piece, right of them the right piece.
            if lo <= c.min(hi) {
                lay.add(&mut coef, lo as usize, c.min(hi) as usize, piece(sh.left));
            }
            if (c + 1).max(lo) <= hi {
                lay.add(&mut coef, (c + 1).max(lo) as usize, hi as usize, piece(sh.right));
            }
        }
    }
    for idx in slow {
        let wt = w.map_or(1.0, |w| w[idx]);
        if wt != 0.0 {
            lay.scatter_sample(sh, x[idx], wt, &mut coef, &mut count);
        }
    }
    Ok((coef, count))
}

/// One block's group moments (n_cells x 4 groups x K), unit weights folded away when there are none.
#[allow(clippy::too_many_arguments)]
fn moments<const K: usize>(
    n_cells: usize,
    x: &[f64],
    first: usize,
    w: Option<&[f64]>,
    geometry: (f64, f64),
    split: (f64, f64),
    bounds: (f64, f64),
    slow: &mut Vec<usize>,
) -> Vec<f64> {
    let mut mom = vec![0.0f64; n_cells * 4 * K];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { accumulate_avx2::<K>(&mut mom, slow, x, first, w, geometry, split, bounds) };
        return mom;
    }
    accumulate::<K>(&mut mom, slow, x, first, w, geometry, split, bounds);
    mom
}

/// `accumulate` compiled for AVX2 (four lanes; no fused multiply-adds, so the same bits as the portable
/// build).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn accumulate_avx2<const K: usize>(
    mom: &mut [f64],
    slow: &mut Vec<usize>,
    x: &[f64],
    first: usize,
    w: Option<&[f64]>,
    geometry: (f64, f64),
    split: (f64, f64),
    bounds: (f64, f64),
) {
    accumulate::<K>(mom, slow, x, first, w, geometry, split, bounds)
}
