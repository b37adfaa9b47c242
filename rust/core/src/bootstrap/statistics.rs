//! Built-in statistics of `bootstrap_statistic`: their value on the data, their bootstrap
//! distribution (streamed one resample at a time: memory O(n) per thread, never B x n), and their
//! leave-one-out jackknife values for BCa in O(n) or O(n log n) instead of n recomputations.
//!
//! Replicate `i` draws, from its own stream (`rng::replicate_rng(seed, i)`), the indices of sample 0,
//! then those of sample 1, ... (one set shared by every sample when paired). `resample_indices`
//! exports exactly these indices so that Python callables see the same resamples.

use rayon::prelude::*;

use super::rng::{draw_index, replicate_rng};
use crate::control::Control;
use crate::error::{CoreError, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    Mean,
    Median,
    /// Quantile at this level, numpy's linear interpolation.
    Quantile(f64),
    Var {
        ddof: f64,
    },
    Std {
        ddof: f64,
    },
    /// scipy.stats.trim_mean: cut int(p n) values from each end.
    TrimmedMean(f64),
    /// Pearson correlation of two paired samples.
    Correlation,
    /// mean(sample 0) - mean(sample 1).
    MeanDifference,
}

impl Statistic {
    pub const NAMES: [&'static str; 8] =
        ["mean", "median", "std", "var", "quantile", "trimmed_mean", "correlation", "mean_difference"];

    /// The statistic called `name`; `q`, `ddof` and `proportiontocut` are read by the statistics that
    /// have them (and checked by `validate`).
    pub fn parse(name: &str, q: f64, ddof: f64, proportiontocut: f64) -> Result<Statistic> {
        Ok(match name {
            "mean" => Statistic::Mean,
            "median" => Statistic::Median,
            "quantile" => Statistic::Quantile(q),
            "var" => Statistic::Var { ddof },
            "std" => Statistic::Std { ddof },
            "trimmed_mean" => Statistic::TrimmedMean(proportiontocut),
            "correlation" => Statistic::Correlation,
            "mean_difference" => Statistic::MeanDifference,
            _ => {
                return Err(CoreError::invalid(
                    "statistic",
                    format!("must be one of {:?} or a callable, got {name:?}", Statistic::NAMES),
                ))
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::Median => "median",
            Statistic::Quantile(_) => "quantile",
            Statistic::Var { .. } => "var",
            Statistic::Std { .. } => "std",
            Statistic::TrimmedMean(_) => "trimmed_mean",
            Statistic::Correlation => "correlation",
            Statistic::MeanDifference => "mean_difference",
        }
    }

    fn n_samples(self) -> usize {
        match self {
            Statistic::Correlation | Statistic::MeanDifference => 2,
            _ => 1,
        }
    }

    /// Check the statistic's options against the data; returns whether samples share one index set.
    pub fn validate(self, samples: &[&[f64]], paired: bool) -> Result<bool> {
        let want = self.n_samples();
        if samples.len() != want {
            return Err(CoreError::invalid(
                "data",
                format!("{} needs {want} sample(s), got {}", self.name(), samples.len()),
            ));
        }
        for s in samples {
            if s.len() > u32::MAX as usize {
                return Err(CoreError::invalid("data", format!("at most 2^32 - 1 values per sample, got {}", s.len())));
            }
            if s.len() < 2 {
                return Err(CoreError::invalid(
                    "data",
                    format!("each sample needs at least 2 values, got {}", s.len()),
                ));
            }
            if let Some(bad) = s.iter().find(|v| !v.is_finite()) {
                return Err(CoreError::invalid("data", format!("must be finite, got {bad}")));
            }
        }
        let paired = paired || self == Statistic::Correlation;
        if paired && samples.iter().any(|s| s.len() != samples[0].len()) {
            return Err(CoreError::invalid("data", "paired samples must have equal lengths"));
        }
        let n = samples[0].len();
        match self {
            Statistic::Quantile(q) if !(0.0..=1.0).contains(&q) => {
                return Err(CoreError::invalid("q", format!("must lie in [0, 1], got {q}")))
            }
            Statistic::Var { ddof } | Statistic::Std { ddof } if !(ddof >= 0.0 && ddof < (n - 1) as f64) => {
                return Err(CoreError::invalid("ddof", format!("must lie in [0, n - 1) = [0, {}), got {ddof}", n - 1)))
            }
            Statistic::TrimmedMean(p) if !(0.0..0.5).contains(&p) || trim_count(n - 1, p) * 2 >= n - 1 => {
                return Err(CoreError::invalid(
                    "proportiontocut",
                    format!("must lie in [0, 0.5) and leave values, got {p}"),
                ))
            }
            _ => {}
        }
        Ok(paired)
    }

    /// The statistic of the data (buffers are copies; the data are not reordered).
    pub fn estimate(self, samples: &[&[f64]]) -> f64 {
        match self {
            Statistic::Correlation => correlation(samples[0], samples[1]),
            Statistic::MeanDifference => mean(samples[0]) - mean(samples[1]),
            _ => self.of_values(&mut samples[0].to_vec()),
        }
    }

    /// One-sample statistics of `values` (may reorder them).
    fn of_values(self, values: &mut [f64]) -> f64 {
        match self {
            Statistic::Mean => mean(values),
            Statistic::Median => quantile_select(values, 0.5),
            Statistic::Quantile(q) => quantile_select(values, q),
            Statistic::Var { ddof } => variance(values, ddof),
            Statistic::Std { ddof } => variance(values, ddof).sqrt(),
            Statistic::TrimmedMean(p) => trimmed_mean_select(values, p),
            Statistic::Correlation | Statistic::MeanDifference => f64::NAN,
        }
    }

    /// The statistic of one resample drawn from `rng`; `buf` is scratch space of the data's length.
    fn resample<R: rand::Rng>(self, samples: &[&[f64]], paired: bool, rng: &mut R, buf: &mut Vec<f64>) -> f64 {
        match self {
            Statistic::Mean => {
                let x = samples[0];
                (0..x.len()).map(|_| x[draw_index(rng, x.len())]).sum::<f64>() / x.len() as f64
            }
            Statistic::MeanDifference => {
                let (x, y) = (samples[0], samples[1]);
                if paired {
                    let (mut sx, mut sy) = (0.0, 0.0);
                    for _ in 0..x.len() {
                        let j = draw_index(rng, x.len());
                        sx += x[j];
                        sy += y[j];
                    }
                    (sx - sy) / x.len() as f64
                } else {
                    let sx: f64 = (0..x.len()).map(|_| x[draw_index(rng, x.len())]).sum();
                    let sy: f64 = (0..y.len()).map(|_| y[draw_index(rng, y.len())]).sum();
                    sx / x.len() as f64 - sy / y.len() as f64
                }
            }
            Statistic::Correlation => {
                let (x, y) = (samples[0], samples[1]);
                let n = x.len();
                buf.clear();
                buf.resize(2 * n, 0.0);
                let (bx, by) = buf.split_at_mut(n);
                for i in 0..n {
                    let j = draw_index(rng, n);
                    bx[i] = x[j];
                    by[i] = y[j];
                }
                correlation(bx, by)
            }
            _ => {
                let x = samples[0];
                buf.clear();
                buf.extend((0..x.len()).map(|_| x[draw_index(rng, x.len())]));
                self.of_values(buf)
            }
        }
    }

    /// Leave-one-out values, one vector per sample (one vector when paired: leave one pair out).
    pub fn jackknife(self, samples: &[&[f64]], paired: bool) -> Vec<Vec<f64>> {
        match self {
            Statistic::Mean => vec![loo_means(samples[0])],
            Statistic::MeanDifference => {
                let (mx, my) = (mean(samples[0]), mean(samples[1]));
                let (lx, ly) = (loo_means(samples[0]), loo_means(samples[1]));
                if paired {
                    vec![lx.iter().zip(&ly).map(|(a, b)| a - b).collect()]
                } else {
                    vec![lx.iter().map(|a| a - my).collect(), ly.iter().map(|b| mx - b).collect()]
                }
            }
            Statistic::Var { ddof } => vec![loo_variances(samples[0], ddof)],
            Statistic::Std { ddof } => vec![loo_variances(samples[0], ddof).into_iter().map(f64::sqrt).collect()],
            Statistic::Median => vec![loo_quantiles(samples[0], 0.5)],
            Statistic::Quantile(q) => vec![loo_quantiles(samples[0], q)],
            Statistic::TrimmedMean(p) => vec![loo_trimmed_means(samples[0], p)],
            Statistic::Correlation => vec![loo_correlations(samples[0], samples[1])],
        }
    }
}

/// The bootstrap distribution of `stat` over replicates `first..first + count`.
pub fn distribution(
    stat: Statistic,
    samples: &[&[f64]],
    paired: bool,
    seed: u64,
    first: u64,
    count: usize,
    control: &Control,
) -> Result<Vec<f64>> {
    let paired = stat.validate(samples, paired)?;
    control.set_total(count);
    let out: Vec<f64> = (0..count)
        .into_par_iter()
        .map_init(Vec::new, |buf, i| {
            if control.is_cancelled() {
                return f64::NAN;
            }
            let mut rng = replicate_rng(seed, first + i as u64);
            let v = stat.resample(samples, paired, &mut rng, buf);
            control.advance(1);
            v
        })
        .collect();
    control.check()?;
    Ok(out)
}

/// The resampling indices of replicates `first..first + count`: per sample a row-major
/// (count x n_j) array (one array for all samples when paired), as `distribution` draws them.
pub fn resample_indices(sizes: &[usize], paired: bool, seed: u64, first: u64, count: usize) -> Result<Vec<Vec<u32>>> {
    if sizes.is_empty() || sizes.iter().any(|&n| n == 0 || n > u32::MAX as usize) {
        return Err(CoreError::invalid("data", format!("sample sizes must be between 1 and 2^32, got {sizes:?}")));
    }
    if paired && sizes.iter().any(|&n| n != sizes[0]) {
        return Err(CoreError::invalid("data", "paired samples must have equal lengths"));
    }
    let sets: &[usize] = if paired { &sizes[..1] } else { sizes };
    let rows: Vec<Vec<Vec<u32>>> = (0..count)
        .into_par_iter()
        .map(|i| {
            let mut rng = replicate_rng(seed, first + i as u64);
            sets.iter().map(|&n| (0..n).map(|_| draw_index(&mut rng, n) as u32).collect()).collect()
        })
        .collect();
    Ok((0..sets.len()).map(|j| rows.iter().flat_map(|r| r[j].iter().copied()).collect()).collect())
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn variance(x: &[f64], ddof: f64) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - ddof)
}

/// numpy's linear interpolation between a and b, written as numpy writes it (so values agree to the bit).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Quantile with numpy's default (linear) rule, by selection in O(n); reorders `v`.
fn quantile_select(v: &mut [f64], q: f64) -> f64 {
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
fn trim_count(n: usize, p: f64) -> usize {
    (p * n as f64) as usize
}

fn trimmed_mean_select(v: &mut [f64], p: f64) -> f64 {
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

fn correlation(x: &[f64], y: &[f64]) -> f64 {
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

fn loo_means(x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let s: f64 = x.iter().sum();
    x.iter().map(|v| (s - v) / (n - 1.0)).collect()
}

/// Removing x_i from a sample with mean m and centred sum of squares S leaves S - (x_i - m)^2 n/(n-1).
fn loo_variances(x: &[f64], ddof: f64) -> Vec<f64> {
    let n = x.len() as f64;
    let m = mean(x);
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    x.iter().map(|v| ((ss - (v - m) * (v - m) * n / (n - 1.0)).max(0.0)) / (n - 1.0 - ddof)).collect()
}

/// Ranks of the values (ties broken by position) and the sorted values.
fn ranks(x: &[f64]) -> (Vec<usize>, Vec<f64>) {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]).then(i.cmp(&j)));
    let mut rank = vec![0; x.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    (rank, order.iter().map(|&i| x[i]).collect())
}

/// The sorted sample without rank r has, at position j, the value of rank j (j < r) or j + 1.
fn without_rank(sorted: &[f64], r: usize, j: usize) -> f64 {
    sorted[if j < r { j } else { j + 1 }]
}

fn loo_quantiles(x: &[f64], q: f64) -> Vec<f64> {
    let (rank, sorted) = ranks(x);
    let h = (x.len() - 2) as f64 * q;
    let lo = h.floor() as usize;
    let t = h - lo as f64;
    let hi = (lo + 1).min(x.len() - 2);
    rank.iter()
        .map(|&r| {
            let a = without_rank(&sorted, r, lo);
            if t > 0.0 {
                lerp(a, without_rank(&sorted, r, hi), t)
            } else {
                a
            }
        })
        .collect()
}

fn loo_trimmed_means(x: &[f64], p: f64) -> Vec<f64> {
    let (rank, sorted) = ranks(x);
    let m = x.len() - 1;
    let g = trim_count(m, p);
    let mut prefix = vec![0.0; sorted.len() + 1];
    for (i, v) in sorted.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v;
    }
    let sum = |a: usize, b: usize| if a < b { prefix[b] - prefix[a] } else { 0.0 };
    let keep = (m - 2 * g) as f64;
    rank.iter()
        .map(|&r| {
            // Reduced positions g..m-g: those below r keep their rank, the others come from rank + 1.
            let below = sum(g, r.min(m - g));
            let above = sum(r.max(g) + 1, m - g + 1);
            (below + above) / keep
        })
        .collect()
}

/// Leave-one-out Pearson correlations from centred sums, O(n).
fn loo_correlations(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    let k = n / (n - 1.0);
    x.iter()
        .zip(y)
        .map(|(a, b)| {
            let (dx, dy) = (a - mx, b - my);
            (sxy - k * dx * dy) / ((sxx - k * dx * dx) * (syy - k * dy * dy)).sqrt()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::rng::standard_normal;

    #[test]
    fn names_parse_to_themselves() {
        for name in Statistic::NAMES {
            assert_eq!(Statistic::parse(name, 0.5, 0.0, 0.1).unwrap().name(), name);
        }
        assert!(Statistic::parse("mode", 0.5, 0.0, 0.1).is_err());
    }

    fn data(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = replicate_rng(seed, 0);
        (0..n).map(|_| standard_normal(&mut rng).exp()).collect()
    }

    fn brute_jackknife(stat: Statistic, samples: &[&[f64]], paired: bool) -> Vec<Vec<f64>> {
        let drop = |x: &[f64], i: usize| -> Vec<f64> {
            x.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, v)| *v).collect()
        };
        if paired || samples.len() == 1 {
            vec![(0..samples[0].len())
                .map(|i| {
                    let reduced: Vec<Vec<f64>> = samples.iter().map(|s| drop(s, i)).collect();
                    let refs: Vec<&[f64]> = reduced.iter().map(|v| &v[..]).collect();
                    stat.estimate(&refs)
                })
                .collect()]
        } else {
            (0..samples.len())
                .map(|j| {
                    (0..samples[j].len())
                        .map(|i| {
                            let mut reduced: Vec<Vec<f64>> = samples.iter().map(|s| s.to_vec()).collect();
                            reduced[j] = drop(samples[j], i);
                            let refs: Vec<&[f64]> = reduced.iter().map(|v| &v[..]).collect();
                            stat.estimate(&refs)
                        })
                        .collect()
                })
                .collect()
        }
    }

    #[test]
    fn fast_jackknives_equal_leave_one_out_recomputation() {
        let x = data(37, 1);
        let mut y = data(37, 2);
        y.iter_mut().zip(&x).for_each(|(b, a)| *b += a);
        let z = data(23, 3);
        let mut ties = x.clone();
        ties[5] = ties[6];
        ties[7] = ties[6];
        let cases: Vec<(Statistic, Vec<&[f64]>, bool)> = vec![
            (Statistic::Mean, vec![&x], false),
            (Statistic::Median, vec![&x], false),
            (Statistic::Median, vec![&ties], false),
            (Statistic::Quantile(0.1), vec![&x], false),
            (Statistic::Quantile(0.97), vec![&ties], false),
            (Statistic::Quantile(1.0), vec![&x], false),
            (Statistic::Var { ddof: 0.0 }, vec![&x], false),
            (Statistic::Std { ddof: 1.0 }, vec![&x], false),
            (Statistic::TrimmedMean(0.1), vec![&x], false),
            (Statistic::TrimmedMean(0.25), vec![&ties], false),
            (Statistic::Correlation, vec![&x, &y], true),
            (Statistic::MeanDifference, vec![&x, &z], false),
            (Statistic::MeanDifference, vec![&x, &y], true),
        ];
        for (stat, samples, paired) in cases {
            let fast = stat.jackknife(&samples, paired);
            let slow = brute_jackknife(stat, &samples, paired);
            assert_eq!(fast.len(), slow.len(), "{stat:?}");
            for (f, s) in fast.iter().zip(&slow) {
                for (a, b) in f.iter().zip(s) {
                    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{stat:?}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn selection_statistics_equal_sorting() {
        let x = data(101, 4);
        let mut s = x.clone();
        s.sort_by(f64::total_cmp);
        assert_eq!(Statistic::Median.estimate(&[&x]), s[50]);
        let q = Statistic::Quantile(0.25).estimate(&[&x]);
        assert!((q - (s[25])).abs() < 1e-15);
        let tm = Statistic::TrimmedMean(0.1).estimate(&[&x]);
        assert!((tm - mean(&s[10..91])).abs() < 1e-14);
    }

    #[test]
    fn distribution_is_independent_of_chunking_and_threads() {
        let x = data(500, 5);
        let control = Control::new();
        let whole = distribution(Statistic::Median, &[&x], false, 9, 0, 40, &control).unwrap();
        let head = distribution(Statistic::Median, &[&x], false, 9, 0, 15, &control).unwrap();
        let tail = distribution(Statistic::Median, &[&x], false, 9, 15, 25, &control).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let single = pool.install(|| distribution(Statistic::Median, &[&x], false, 9, 0, 40, &control).unwrap());
        assert_eq!([head, tail].concat(), whole);
        assert_eq!(single, whole);
    }

    #[test]
    fn streamed_mean_equals_mean_of_exported_indices() {
        let x = data(300, 6);
        let control = Control::new();
        let d = distribution(Statistic::Mean, &[&x], false, 3, 10, 5, &control).unwrap();
        let idx = resample_indices(&[300], false, 3, 10, 5).unwrap();
        for (r, v) in d.iter().enumerate() {
            let m = idx[0][r * 300..(r + 1) * 300].iter().map(|&i| x[i as usize]).sum::<f64>() / 300.0;
            assert_eq!(*v, m);
        }
    }

    #[test]
    fn invalid_options_name_their_argument() {
        let x = data(10, 7);
        let name = |e: CoreError| match e {
            CoreError::InvalidInput { name, .. } => name,
            _ => String::new(),
        };
        assert_eq!(name(Statistic::Quantile(1.5).validate(&[&x], false).unwrap_err()), "q");
        assert_eq!(name(Statistic::TrimmedMean(0.6).validate(&[&x], false).unwrap_err()), "proportiontocut");
        assert_eq!(name(Statistic::Correlation.validate(&[&x], false).unwrap_err()), "data");
        assert_eq!(name(Statistic::Mean.validate(&[&x[..1]], false).unwrap_err()), "data");
    }
}
