//! The factors of `grid_2d`'s separable Gaussian (a diagonal bandwidth matrix): a sample's kernel on the
//! grid is the outer product of exp(-((g_k - c) / l)^2 / 2) along each axis, so a term costs one
//! multiply-add, and what remains to make cheap is the factors themselves.
//!
//! On an evenly spaced axis (step s), with `near` the point nearest to c, z = (g_near - c) / l and
//! d = s / l, the factor j points away from `near` is
//!
//! ```text
//! exp(-z^2 / 2) * q^j * exp(-(j d)^2 / 2),   q = e^(-z d) after `near`, e^(z d) before it.
//! ```
//!
//! The last factor is a table shared by every sample. The first two are three exponentials a sample,
//! evaluated for a batch of samples at once in loops that vectorise (one at a time, their latency had
//! cost as much as all the multiply-adds). The powers of q run in four interleaved chains. Every power
//! stays below e^(|z| d j) <= e^(d^2 j / 2), as |z| <= d / 2 inside the axis and outside it only the
//! decaying side is formed, so nothing overflows, and far factors underflow to 0 as the exact ones would;
//! the relative error grows by a few ulp per four steps. On an uneven axis, or where d > 1, each factor is
//! its own exponential.
//!
//! Adding a sample's terms row by row is bound by the stores (a load, a multiply-add and a store per four
//! terms). So the samples of a batch whose windows along the second axis start at the same point are taken
//! four at a time, and each row gets their four terms in one pass (a store per sixteen terms); a sample
//! whose window along the first axis misses a row adds 0 there. The grouping depends only on the sample and
//! the grid, so every value is still summed in a fixed order.

use crate::fastmath::exp as fast_exp;
use crate::kde::grid_2d::Axis;

/// A sample: first and second coordinate, weight.
type Point = (f64, f64, f64);

/// Samples whose exponentials are evaluated together, and among which groups of four are formed.
const BATCH: usize = 2048;

/// The table exp(-(j d)^2 / 2), j = 0, 1, ..., for the scale l on `axis`, long enough for a window of
/// `half` either side of a centre; empty where each factor is computed directly.
pub(super) fn table(axis: &Axis, inv_l: f64, half: f64) -> Vec<f64> {
    match axis.step.filter(|&s| s * inv_l <= 1.0) {
        Some(step) => {
            let d = step * inv_l;
            let len = ((half / step).min(axis.g.len() as f64) as usize) + 8;
            (0..len).map(|j| fast_exp(-0.5 * (j as f64 * d) * (j as f64 * d))).collect()
        }
        None => Vec::new(),
    }
}

/// One axis' Gaussian factors for the samples of a batch.
pub(super) struct AxisFactors<'a> {
    axis: &'a Axis<'a>,
    table: &'a [f64],
    inv_l: f64,
    /// Half the width of a sample's window, in the axis' units.
    half: f64,
    /// step / l, where the table applies.
    d: Option<f64>,
    /// Per sample of the batch: its window [k0, k1) and the point nearest to it.
    window: Vec<(usize, usize, usize)>,
    z: Vec<f64>,
    /// exp(-z^2 / 2), e^(-z d) and e^(z d).
    f0: Vec<f64>,
    up: Vec<f64>,
    down: Vec<f64>,
}

impl<'a> AxisFactors<'a> {
    pub(super) fn new(axis: &'a Axis<'a>, table: &'a [f64], inv_l: f64, half: f64) -> Self {
        let d = axis.step.filter(|_| !table.is_empty()).map(|s| s * inv_l);
        let (window, z, f0, up, down) = Default::default();
        AxisFactors { axis, table, inv_l, half, d, window, z, f0, up, down }
    }

    /// Prepares the batch of samples at `centres`.
    pub(super) fn start(&mut self, centres: impl Iterator<Item = f64>) {
        self.window.clear();
        self.z.clear();
        for c in centres {
            let (k0, k1) = self.axis.span(c - self.half, c + self.half);
            let near = if k1 > k0 { self.axis.nearest(k0, k1, c) } else { k0 };
            self.window.push((k0, k1, near));
            self.z.push(if k1 > k0 { (self.axis.g[near] - c) * self.inv_l } else { 0.0 });
        }
        let Some(d) = self.d else { return };
        // Three plain loops over the batch: each vectorises.
        let z = &self.z;
        self.f0.clear();
        self.f0.extend(z.iter().map(|&z| fast_exp(-0.5 * z * z)));
        self.up.clear();
        self.up.extend(z.iter().map(|&z| fast_exp(-z * d)));
        self.down.clear();
        self.down.extend(z.iter().map(|&z| fast_exp(z * d)));
    }

    /// The window [k0, k1) of the batch's sample j.
    pub(super) fn window(&self, j: usize) -> (usize, usize) {
        let (k0, k1, _) = self.window[j];
        (k0, k1)
    }

    /// The factors of the batch's sample j (centred at c) over its window, into `out`.
    pub(super) fn factors(&self, j: usize, c: f64, out: &mut Vec<f64>) {
        let (k0, k1, near) = self.window[j];
        out.clear();
        let fits = near - k0 < self.table.len() && k1 - near <= self.table.len();
        if self.d.is_none() || !fits {
            out.extend(self.axis.g[k0..k1].iter().map(|&v| {
                let t = (v - c) * self.inv_l;
                fast_exp(-0.5 * t * t)
            }));
            return;
        }
        out.resize(k1 - k0, 0.0);
        let (before, from_near) = out.split_at_mut(near - k0);
        // The points before `near` are formed outward from it, then put in order.
        powers_times(before, self.down[j], self.f0[j] * self.down[j], &self.table[1..]);
        before.reverse();
        powers_times(from_near, self.up[j], self.f0[j], self.table);
    }
}

/// Adds the (unnormalised) kernels of the samples `pts` to the rows [r0, r1) of `out` (row-major, `my`
/// points a row), with `fx` and `fy` the factors along the first and second axis.
pub(super) fn add_block(
    out: &mut [f64],
    (r0, r1, my): (usize, usize, usize),
    pts: &[Point],
    fx: &mut AxisFactors,
    fy: &mut AxisFactors,
) {
    let mut order: Vec<usize> = Vec::with_capacity(BATCH);
    let mut rows: [Vec<f64>; 4] = Default::default();
    let (mut cols, mut coef, mut f) = (Vec::new(), Vec::new(), Vec::new());
    for batch in pts.chunks(BATCH) {
        fx.start(batch.iter().map(|p| p.0));
        fy.start(batch.iter().map(|p| p.1));
        // Samples with an empty window on either axis add nothing here.
        order.clear();
        order.extend((0..batch.len()).filter(|&j| {
            let ((w0, w1), (k0, k1)) = (fx.window(j), fy.window(j));
            w0.max(r0) < w1.min(r1) && k0 < k1
        }));
        order.sort_unstable_by_key(|&j| (fy.window(j).0, j));
        let mut rest = &order[..];
        while let Some(&first) = rest.first() {
            let k0 = fy.window(first).0;
            let size = rest.iter().take(4).take_while(|&&j| fy.window(j).0 == k0).count();
            let (group, tail) = rest.split_at(size);
            rest = tail;
            // The second axis' factors of the group, each padded with zeros to the longest window.
            let k1 = group.iter().map(|&j| fy.window(j).1).max().unwrap_or(k0);
            let len = k1 - k0;
            cols.clear();
            cols.resize(4 * len, 0.0);
            for (slot, &j) in group.iter().enumerate() {
                fy.factors(j, batch[j].1, &mut f);
                cols[slot * len..slot * len + f.len()].copy_from_slice(&f);
                fx.factors(j, batch[j].0, &mut rows[slot]);
            }
            // The first axis' coefficients (weight times factor) of the group on the rows any of them reaches,
            // 0 on a row a sample's window misses.
            let lo = group.iter().map(|&j| fx.window(j).0).min().unwrap_or(r0).max(r0);
            let hi = group.iter().map(|&j| fx.window(j).1).max().unwrap_or(r0).min(r1).max(lo);
            coef.clear();
            coef.resize(4 * (hi - lo), 0.0);
            for (slot, &j) in group.iter().enumerate() {
                let (w0, w1) = fx.window(j);
                let (a, b) = (w0.max(lo), w1.min(hi));
                let wt = batch[j].2;
                coef[slot * (hi - lo) + a - lo..slot * (hi - lo) + b - lo]
                    .iter_mut()
                    .zip(&rows[slot][a - w0..b - w0])
                    .for_each(|(c, f)| *c = wt * f);
            }
            for i in lo..hi {
                let c = [0, 1, 2, 3].map(|slot| coef[slot * (hi - lo) + i - lo]);
                let row = &mut out[(i - r0) * my + k0..(i - r0) * my + k1];
                add_four(row, c, &cols, len);
            }
        }
    }
}

/// row[k] += c0 f0[k] + c1 f1[k] + c2 f2[k] + c3 f3[k], with f_s = cols[s len..(s + 1) len]: one pass of
/// loads and stores for four samples' terms. An AVX2 copy is chosen at run time, with no fused
/// multiply-adds, so the bits are the same either way.
fn add_four(row: &mut [f64], c: [f64; 4], cols: &[f64], len: usize) {
    #[inline(always)]
    fn go(row: &mut [f64], c: [f64; 4], cols: &[f64], len: usize) {
        let (f0, rest) = cols.split_at(len);
        let (f1, rest) = rest.split_at(len);
        let (f2, f3) = rest.split_at(len);
        for ((((o, a), b), e), g) in row.iter_mut().zip(f0).zip(f1).zip(f2).zip(f3) {
            *o += (c[0] * a + c[1] * b) + (c[2] * e + c[3] * g);
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(row: &mut [f64], c: [f64; 4], cols: &[f64], len: usize) {
            go(row, c, cols, len)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked), the only requirement of the call.
            return unsafe { avx2(row, c, cols, len) };
        }
    }
    go(row, c, cols, len)
}

/// out[j] = f0 q^j t[j], the powers in four interleaved chains (the four lanes of a vector).
#[inline(always)]
fn powers_times(out: &mut [f64], q: f64, f0: f64, t: &[f64]) {
    let q2 = q * q;
    let q4 = q2 * q2;
    let mut p = [f0, f0 * q, f0 * q2, f0 * q2 * q];
    let whole = out.len() / 4 * 4;
    let (body, tail) = out.split_at_mut(whole);
    for (o, tj) in body.chunks_exact_mut(4).zip(t.chunks_exact(4)) {
        for lane in 0..4 {
            o[lane] = p[lane] * tj[lane];
            p[lane] *= q4;
        }
    }
    for (lane, (o, tj)) in tail.iter_mut().zip(&t[whole..]).enumerate() {
        *o = p[lane] * tj;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The factors equal their exponentials, for centres inside the axis, at its ends and beyond them, on
    /// grids from a hundredth of the scale per step to more than the scale (each factor direct there).
    #[test]
    fn factors_equal_the_direct_exponentials() {
        for (m, step, l) in [(200, 0.01, 1.0), (64, 0.3, 0.31), (40, 1.0, 0.5), (300, 1e-3, 0.05), (7, 2.0, 9.0)] {
            let g: Vec<f64> = (0..m).map(|i| -1.0 + i as f64 * step).collect();
            let axis = Axis::new(&g);
            let half = 9.0 * l;
            let t = table(&axis, 1.0 / l, half);
            assert_eq!(t.is_empty(), step > l);
            let mut f = AxisFactors::new(&axis, &t, 1.0 / l, half);
            let span = g[m - 1] - g[0];
            let centres: Vec<f64> = (0..97).map(|i| g[0] - 0.3 * span + i as f64 * 1.6 * span / 96.0).collect();
            f.start(centres.iter().copied());
            let mut out = Vec::new();
            for (j, &c) in centres.iter().enumerate() {
                let (k0, k1) = f.window(j);
                f.factors(j, c, &mut out);
                assert_eq!(out.len(), k1 - k0);
                for (v, &x) in out.iter().zip(&g[k0..k1]) {
                    let want = (-0.5 * ((x - c) / l).powi(2)).exp();
                    assert!((v - want).abs() <= 1e-13 * want + 1e-300, "m {m} c {c} x {x}: {v} vs {want}");
                }
            }
        }
    }
}
