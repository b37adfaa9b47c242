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
//! cost as much as all the multiply-adds). The powers of q run in eight interleaved chains. Every power
//! stays below e^(|z| d j) <= e^(d^2 j / 2), as |z| <= d / 2 inside the axis and outside it only the
//! decaying side is formed, so nothing overflows, and far factors underflow to 0 as the exact ones would;
//! the relative error grows by a few ulp per eight steps. On an uneven axis, or where d > 1, each factor is
//! its own exponential.
//!
//! Each sample's factors are formed once: the sample (sorted by its first coordinate) is cut into chunks of
//! consecutive samples, each chunk adds its kernels into a slab of its own covering the rows it reaches, and
//! the slabs are added into the grid in chunk order. The chunks are computed in parallel and the order of
//! every sum depends only on the inputs, never on the thread count. (Splitting the grid into blocks of rows
//! instead had every sample whose window crossed a block boundary form its factors again there: with
//! windows as wide as a block, that doubled the work.)
//!
//! Adding a sample's terms row by row is bound by the stores (a load, a multiply-add and a store per four
//! terms). So the samples of a batch whose windows along the second axis start at the same point, or a few
//! points apart, are taken four at a time, and each row gets their four terms in one pass (a store per
//! sixteen terms); a sample adds 0 where its window along either axis does not reach. The grouping depends
//! only on the sample and the grid, so every value is still summed in a fixed order.

use crate::control::Control;
use crate::error::Result;
use crate::fastmath::exp as fast_exp;
use crate::kde::grid_2d::Axis;
use crate::parallel::map_blocks;

/// A sample: first and second coordinate, weight.
type Point = (f64, f64, f64);

/// Samples whose exponentials are evaluated together, and among which groups of four are formed.
const BATCH: usize = 2048;

/// The table exp(-(j d)^2 / 2), j = 0, 1, ..., for the scale l on `axis`, long enough for a window of
/// `half` either side of a centre; empty where each factor is computed directly.
fn table(axis: &Axis, inv_l: f64, half: f64) -> Vec<f64> {
    match axis.step.filter(|&s| s * inv_l <= 1.0) {
        Some(step) => {
            let d = step * inv_l;
            let len = ((half / step).min(axis.g.len() as f64) as usize) + 8;
            (0..len).map(|j| fast_exp(-0.5 * (j as f64 * d) * (j as f64 * d))).collect()
        }
        None => Vec::new(),
    }
}

/// Samples whose windows along the second axis start up to this many points apart are grouped (each padded
/// with zeros), so that groups of four stay full where few windows start at the same point.
const SLACK: usize = 4;

/// Samples per chunk at least; more where a window is narrow next to the grid's rows, so that adding a
/// slab into the grid stays cheap beside the chunk's terms.
const CHUNK: usize = 512;

/// The sum over the samples `pts` (sorted by first coordinate; weights in the third place) of their
/// unnormalised kernels exp(-(((gx - x) / lx)^2 + ((gy - y) / ly)^2) / 2) at the grid points (gx[i], gy[k]),
/// row-major, with terms farther than `reach` = (rx, ry) along an axis dropped; `inv_l` = (1 / lx, 1 / ly).
pub(super) fn separable_sum(
    pts: &[Point],
    (ax, ay): (&Axis, &Axis),
    inv_l: (f64, f64),
    reach: (f64, f64),
    control: &Control,
) -> Result<Vec<f64>> {
    let (mx, my) = (ax.g.len(), ay.g.len());
    let (table_x, table_y) = (table(ax, inv_l.0, reach.0), table(ay, inv_l.1, reach.1));
    // A window's width in points along the second axis (at its mean spacing): a slab costs `my` adds a row,
    // the chunk's samples a window's width each.
    let spacing = if my > 1 { (ay.g[my - 1] - ay.g[0]) / (my - 1) as f64 } else { f64::INFINITY };
    let width = (2.0 * reach.1 / spacing).clamp(1.0, my as f64);
    let chunk = CHUNK.max((4.0 * my as f64 / width) as usize);
    let slab = |part: &[Point]| -> Result<(usize, Vec<f64>)> {
        control.check()?;
        // The rows the chunk reaches (its samples are sorted along the first axis).
        let (r0, r1) = ax.span(part[0].0 - reach.0, part[part.len() - 1].0 + reach.0);
        let mut rows = vec![0.0f64; (r1 - r0) * my];
        let mut fx = AxisFactors::new(ax, &table_x, inv_l.0, reach.0);
        let mut fy = AxisFactors::new(ay, &table_y, inv_l.1, reach.1);
        add_block(&mut rows, (r0, r1, my), part, &mut fx, &mut fy);
        Ok((r0, rows))
    };
    let mut out = vec![0.0f64; mx * my];
    // Waves of chunks in parallel, so that only a few slabs are held at once; the slabs are added in chunk
    // order whatever the wave size.
    let wave = chunk * 2 * rayon::current_num_threads();
    for part in pts.chunks(wave) {
        for found in map_blocks(part.len(), chunk, |a, b| slab(&part[a..b])) {
            let (r0, rows) = found?;
            out[r0 * my..r0 * my + rows.len()].iter_mut().zip(&rows).for_each(|(o, v)| *o += v);
        }
    }
    Ok(out)
}

/// One axis' Gaussian factors for the samples of a batch.
struct AxisFactors<'a> {
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
    fn new(axis: &'a Axis<'a>, table: &'a [f64], inv_l: f64, half: f64) -> Self {
        let d = axis.step.filter(|_| !table.is_empty()).map(|s| s * inv_l);
        let (window, z, f0, up, down) = Default::default();
        AxisFactors { axis, table, inv_l, half, d, window, z, f0, up, down }
    }

    /// Prepares the batch of samples at `centres`.
    fn start(&mut self, centres: impl Iterator<Item = f64>) {
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
    fn window(&self, j: usize) -> (usize, usize) {
        let (k0, k1, _) = self.window[j];
        (k0, k1)
    }

    /// The factors of the batch's sample j (centred at c) over its window, into `out` (the window's length).
    fn factors(&self, j: usize, c: f64, out: &mut [f64]) {
        let (k0, k1, near) = self.window[j];
        debug_assert_eq!(out.len(), k1 - k0);
        let fits = near - k0 < self.table.len() && k1 - near <= self.table.len();
        if self.d.is_none() || !fits {
            out.iter_mut().zip(&self.axis.g[k0..k1]).for_each(|(o, &v)| {
                let t = (v - c) * self.inv_l;
                *o = fast_exp(-0.5 * t * t);
            });
            return;
        }
        let (before, from_near) = out.split_at_mut(near - k0);
        // The points before `near` are formed outward from it, then put in order.
        powers_times(before, self.down[j], self.f0[j] * self.down[j], &self.table[1..]);
        before.reverse();
        powers_times(from_near, self.up[j], self.f0[j], self.table);
    }
}

/// Adds the (unnormalised) kernels of the samples `pts` to the rows [r0, r1) of `out` (row-major, `my`
/// points a row), with `fx` and `fy` the factors along the first and second axis.
fn add_block(
    out: &mut [f64],
    (r0, r1, my): (usize, usize, usize),
    pts: &[Point],
    fx: &mut AxisFactors,
    fy: &mut AxisFactors,
) {
    let mut order: Vec<usize> = Vec::with_capacity(BATCH);
    let mut rows: [Vec<f64>; 4] = Default::default();
    let (mut cols, mut coef) = (Vec::new(), Vec::new());
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
            let size = rest.iter().take(4).take_while(|&&j| fy.window(j).0 <= k0 + SLACK).count();
            let (group, tail) = rest.split_at(size);
            rest = tail;
            // The second axis' factors of the group from k0 on, each padded with zeros to the group's span.
            let k1 = group.iter().map(|&j| fy.window(j).1).max().unwrap_or(k0);
            let len = k1 - k0;
            cols.clear();
            cols.resize(4 * len, 0.0);
            for (slot, &j) in group.iter().enumerate() {
                let (a, b) = fy.window(j);
                fy.factors(j, batch[j].1, &mut cols[slot * len + a - k0..slot * len + b - k0]);
                let (a, b) = fx.window(j);
                rows[slot].resize(b - a, 0.0);
                fx.factors(j, batch[j].0, &mut rows[slot]);
            }
            // The first axis' coefficients (weight times factor) of the group on the rows any of them reaches,
            // 0 on a row a sample's window misses.
            let lo = group.iter().map(|&j| fx.window(j).0).min().unwrap_or(r0).max(r0);
            let hi = group.iter().map(|&j| fx.window(j).1).max().unwrap_or(r0).min(r1).max(lo);
            coef.clear();
            coef.resize(hi - lo, [0.0; 4]);
            for (slot, &j) in group.iter().enumerate() {
                let (w0, w1) = fx.window(j);
                let (a, b) = (w0.max(lo), w1.min(hi));
                let wt = batch[j].2;
                coef[a - lo..b - lo].iter_mut().zip(&rows[slot][a - w0..b - w0]).for_each(|(c, f)| c[slot] = wt * f);
            }
            add_four(&mut out[(lo - r0) * my..(hi - r0) * my], (my, k0), &coef, &cols);
        }
    }
}

/// out[r][k0 + k] += c0 f0[k] + c1 f1[k] + c2 f2[k] + c3 f3[k] on every row r of `out` (`my` points a row),
/// with (c0, .., c3) = coef[r] and f_s the quarter s of `cols`: one pass of loads and stores for four
/// samples' terms. An AVX2 copy is chosen at run time, with no fused multiply-adds, so the bits are the
/// same either way.
fn add_four(out: &mut [f64], at: (usize, usize), coef: &[[f64; 4]], cols: &[f64]) {
    #[inline(always)]
    fn go(out: &mut [f64], (my, k0): (usize, usize), coef: &[[f64; 4]], cols: &[f64]) {
        let len = cols.len() / 4;
        let (f0, rest) = cols.split_at(len);
        let (f1, rest) = rest.split_at(len);
        let (f2, f3) = rest.split_at(len);
        for (row, c) in out.chunks_exact_mut(my).zip(coef) {
            for ((((o, a), b), e), g) in row[k0..k0 + len].iter_mut().zip(f0).zip(f1).zip(f2).zip(f3) {
                *o += (c[0] * a + c[1] * b) + (c[2] * e + c[3] * g);
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(out: &mut [f64], at: (usize, usize), coef: &[[f64; 4]], cols: &[f64]) {
            go(out, at, coef, cols)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked), the only requirement of the call.
            return unsafe { avx2(out, at, coef, cols) };
        }
    }
    go(out, at, coef, cols)
}

/// out[j] = f0 q^j t[j], the powers in eight interleaved chains (two vectors' lanes: the multiplies of one
/// step do not wait on each other).
#[inline(always)]
fn powers_times(out: &mut [f64], q: f64, f0: f64, t: &[f64]) {
    let mut p = [f0; 8];
    for lane in 1..8 {
        p[lane] = p[lane - 1] * q;
    }
    let q2 = q * q;
    let q8 = (q2 * q2) * (q2 * q2);
    let whole = out.len() / 8 * 8;
    let (body, tail) = out.split_at_mut(whole);
    for (o, tj) in body.chunks_exact_mut(8).zip(t.chunks_exact(8)) {
        for lane in 0..8 {
            o[lane] = p[lane] * tj[lane];
            p[lane] *= q8;
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
            for (j, &c) in centres.iter().enumerate() {
                let (k0, k1) = f.window(j);
                let mut out = vec![f64::NAN; k1 - k0];
                f.factors(j, c, &mut out);
                for (v, &x) in out.iter().zip(&g[k0..k1]) {
                    let want = (-0.5 * ((x - c) / l).powi(2)).exp();
                    assert!((v - want).abs() <= 1e-13 * want + 1e-300, "m {m} c {c} x {x}: {v} vs {want}");
                }
            }
        }
    }
}
