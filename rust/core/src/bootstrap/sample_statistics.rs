//! The built-in statistics of one sample (or of two paired samples) computed from their values: means,
//! variances, numpy's linear quantile by selection, scipy's trimmed mean and Pearson's correlation. Written
//! out (not taken from a crate) because they must agree with numpy and scipy to the bit, reorder a scratch
//! buffer in place and run once per resample.

pub(crate) fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

pub(crate) fn variance(x: &[f64], ddof: f64) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - ddof)
}

/// The sum of resampled values in four interleaved partial sums, added as (s0 + s1) + (s2 + s3): one running
/// sum is a chain of dependent additions that waits for each add, four chains overlap. The streamed
/// resample and the resample given by exported indices both sum through `Lanes`, so they agree to the bit.
pub(crate) fn resampled_sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut lanes = Lanes::default();
    lanes.add(values);
    lanes.total()
}

/// The four partial sums of `resampled_sum`, fed in pieces: value k of the whole sequence goes to lane
/// k mod 4, so pieces whose lengths are multiples of 4 (all but the last), through `add` or `add_at`,
/// give `resampled_sum`'s bits.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Lanes([f64; 4]);

impl Lanes {
    pub(crate) fn add(&mut self, mut values: impl Iterator<Item = f64>) {
        let s = &mut self.0;
        'draws: loop {
            for lane in s.iter_mut() {
                match values.next() {
                    Some(v) => *lane += v,
                    None => break 'draws,
                }
            }
        }
    }

    /// `add` of the values `x[j]` for j in `idx`, unrolled by four: each step's four reads are independent,
    /// so they overlap in memory (the resampled reads of a large sample miss the L1 cache).
    pub(crate) fn add_at(&mut self, x: &[f64], idx: &[u32]) {
        let s = &mut self.0;
        let mut quads = idx.chunks_exact(4);
        for q in &mut quads {
            s[0] += x[q[0] as usize];
            s[1] += x[q[1] as usize];
            s[2] += x[q[2] as usize];
            s[3] += x[q[3] as usize];
        }
        for (lane, &j) in s.iter_mut().zip(quads.remainder()) {
            *lane += x[j as usize];
        }
    }

    pub(crate) fn total(self) -> f64 {
        let s = self.0;
        (s[0] + s[1]) + (s[2] + s[3])
    }
}

/// numpy's linear interpolation between a and b, written as numpy writes it (so values agree to the bit).
pub(crate) fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Quantile with numpy's default (linear) rule, by selection in O(n); reorders `v`.
pub(crate) fn quantile_select(v: &mut [f64], q: f64) -> f64 {
    let h = (v.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let t = h - lo as f64;
    let (_, a, right) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let a = *a;
    match right.iter().copied().min_by(f64::total_cmp) {
        Some(b) if t > 0.0 => lerp(a, b, t),
        _ => a,
    }
}

/// Values cut from each end by scipy.stats.trim_mean for `n` values.
pub(crate) fn trim_count(n: usize, p: f64) -> usize {
    (p * n as f64) as usize
}

pub(crate) fn trimmed_mean_select(v: &mut [f64], p: f64) -> f64 {
    let n = v.len();
    let g = trim_count(n, p);
    if g == 0 {
        return mean(v);
    }
    v.select_nth_unstable_by(g, f64::total_cmp);
    let rest = &mut v[g..];
    let keep = n - 2 * g;
    rest.select_nth_unstable_by(keep - 1, f64::total_cmp);
    mean(&rest[..keep])
}

pub(crate) fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    sxy / (sxx * syy).sqrt()
}
