//! Built-in statistics of `bootstrap_statistic`: their value on the data, their bootstrap
//! distribution (streamed one resample at a time: memory O(n) per thread, never B x n), and their
//! leave-one-out jackknife values for BCa in O(n) or O(n log n) instead of n recomputations.
//!
//! Replicate `i` draws, from its own stream (`rng::replicate_rng(seed, i)`), the indices of sample 0,
//! then those of sample 1, ... (one set shared by every sample when paired). `resample_indices`
//! exports exactly these indices so that Python callables see the same resamples.

use rayon::prelude::*;

use super::blocks::Resampling;
use super::jackknife::{loo_correlations, loo_means, loo_quantiles, loo_trimmed_means, loo_variances};
use super::rng::{fill_indices, replicate_rng};
use super::sample_statistics::{
    correlation, mean, quantile_select, resampled_sum, trim_count, trimmed_mean_select, variance, Lanes,
};
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

    pub fn n_samples(self) -> usize {
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

    /// The statistic of one resample drawn from `rng`; `buf` is scratch space of the data's length, `idx`
    /// scratch space for the indices, drawn in pieces of `PIECE` (`each_piece`).
    fn resample<R: rand::Rng>(
        self,
        samples: &[&[f64]],
        paired: bool,
        rng: &mut R,
        buf: &mut Vec<f64>,
        idx: &mut Vec<u32>,
    ) -> f64 {
        let at = |x: &[f64], j: u32| x[j as usize];
        match self {
            Statistic::Mean => {
                let x = samples[0];
                let mut sum = Lanes::default();
                each_piece(rng, x.len(), idx, |p| sum.add_at(x, p));
                sum.total() / x.len() as f64
            }
            Statistic::MeanDifference => {
                let (x, y) = (samples[0], samples[1]);
                if paired {
                    let (mut sx, mut sy) = (0.0, 0.0);
                    each_piece(rng, x.len(), idx, |p| {
                        for &j in p {
                            sx += at(x, j);
                            sy += at(y, j);
                        }
                    });
                    (sx - sy) / x.len() as f64
                } else {
                    let (mut sx, mut sy) = (Lanes::default(), Lanes::default());
                    each_piece(rng, x.len(), idx, |p| sx.add_at(x, p));
                    each_piece(rng, y.len(), idx, |p| sy.add_at(y, p));
                    sx.total() / x.len() as f64 - sy.total() / y.len() as f64
                }
            }
            Statistic::Correlation => {
                let (x, y) = (samples[0], samples[1]);
                let n = x.len();
                buf.clear();
                buf.resize(2 * n, 0.0);
                let (bx, by) = buf.split_at_mut(n);
                let mut i = 0;
                each_piece(rng, n, idx, |p| {
                    for &j in p {
                        bx[i] = at(x, j);
                        by[i] = at(y, j);
                        i += 1;
                    }
                });
                correlation(bx, by)
            }
            _ => {
                let x = samples[0];
                buf.clear();
                each_piece(rng, x.len(), idx, |p| buf.extend(p.iter().map(|&j| at(x, j))));
                self.of_values(buf)
            }
        }
    }

    /// The statistic of the resample given by index sets `idx` (one per sample, one shared when paired),
    /// computed in the order `resample` computes it, so that both give the same bits for the same indices.
    pub(crate) fn of_indices(self, samples: &[&[f64]], idx: &[Vec<u32>], buf: &mut Vec<f64>) -> f64 {
        let at = |x: &[f64], j: u32| x[j as usize];
        match self {
            Statistic::Mean => resampled_sum(idx[0].iter().map(|&j| at(samples[0], j))) / idx[0].len() as f64,
            Statistic::MeanDifference if idx.len() == 1 => {
                let (mut sx, mut sy) = (0.0, 0.0);
                for &j in &idx[0] {
                    sx += at(samples[0], j);
                    sy += at(samples[1], j);
                }
                (sx - sy) / idx[0].len() as f64
            }
            Statistic::MeanDifference => {
                let sx = resampled_sum(idx[0].iter().map(|&j| at(samples[0], j)));
                let sy = resampled_sum(idx[1].iter().map(|&j| at(samples[1], j)));
                sx / idx[0].len() as f64 - sy / idx[1].len() as f64
            }
            Statistic::Correlation => {
                let n = idx[0].len();
                buf.clear();
                buf.extend(idx[0].iter().map(|&j| at(samples[0], j)));
                buf.extend(idx[0].iter().map(|&j| at(samples[1], j)));
                let (bx, by) = buf.split_at(n);
                correlation(bx, by)
            }
            _ => {
                buf.clear();
                buf.extend(idx[0].iter().map(|&j| at(samples[0], j)));
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

/// Indices drawn at once when streaming a resample: a multiple of 4 (so that `Lanes` sums in pieces give
/// `resampled_sum`'s bits) that keeps the indices and their words in L1 beside the data.
const PIECE: usize = 1024;

/// The `n` indices of one sample's resample, drawn from `rng` in pieces of at most `PIECE` (the very
/// indices `draw_index` would give, in order), each handed to `f`.
fn each_piece<R: rand::Rng>(rng: &mut R, n: usize, idx: &mut Vec<u32>, mut f: impl FnMut(&[u32])) {
    idx.resize(PIECE.min(n), 0);
    let mut left = n;
    while left > 0 {
        let piece = &mut idx[..left.min(PIECE)];
        fill_indices(rng, n, piece);
        f(piece);
        left -= piece.len();
    }
}

/// The bootstrap distribution of `stat` over replicates `first..first + count`, each drawn by `scheme`.
#[allow(clippy::too_many_arguments)]
pub fn distribution(
    stat: Statistic,
    samples: &[&[f64]],
    paired: bool,
    scheme: Resampling,
    seed: u64,
    first: u64,
    count: usize,
    control: &Control,
) -> Result<Vec<f64>> {
    let paired = stat.validate(samples, paired)?;
    let sets: Vec<usize> = if paired { vec![samples[0].len()] } else { samples.iter().map(|s| s.len()).collect() };
    sets.iter().try_for_each(|&n| scheme.check(n))?;
    control.set_total(count);
    let out: Vec<f64> = (0..count)
        .into_par_iter()
        .map_init(
            || (Vec::new(), vec![Vec::new(); sets.len()]),
            |(buf, idx), i| {
                if control.is_cancelled() {
                    return f64::NAN;
                }
                let mut rng = replicate_rng(seed, first + i as u64);
                // Independent draws stream without storing indices; blocks are drawn as index sets.
                let v = if scheme.is_blocked() {
                    for (set, &n) in idx.iter_mut().zip(&sets) {
                        scheme.draw(&mut rng, n, set);
                    }
                    stat.of_indices(samples, idx, buf)
                } else {
                    stat.resample(samples, paired, &mut rng, buf, &mut idx[0])
                };
                control.advance(1);
                v
            },
        )
        .collect();
    control.check()?;
    Ok(out)
}

/// The resampling indices of replicates `first..first + count`: per sample a row-major
/// (count x n_j) array (one array for all samples when paired), as `distribution` draws them.
pub fn resample_indices(
    sizes: &[usize],
    paired: bool,
    scheme: Resampling,
    seed: u64,
    first: u64,
    count: usize,
) -> Result<Vec<Vec<u32>>> {
    if sizes.is_empty() || sizes.iter().any(|&n| n == 0 || n > u32::MAX as usize) {
        return Err(CoreError::invalid("data", format!("sample sizes must be between 1 and 2^32, got {sizes:?}")));
    }
    if paired && sizes.iter().any(|&n| n != sizes[0]) {
        return Err(CoreError::invalid("data", "paired samples must have equal lengths"));
    }
    let sets: &[usize] = if paired { &sizes[..1] } else { sizes };
    sets.iter().try_for_each(|&n| scheme.check(n))?;
    let rows: Vec<Vec<Vec<u32>>> = (0..count)
        .into_par_iter()
        .map(|i| {
            let mut rng = replicate_rng(seed, first + i as u64);
            sets.iter()
                .map(|&n| {
                    let mut set = Vec::with_capacity(n);
                    scheme.draw(&mut rng, n, &mut set);
                    set
                })
                .collect()
        })
        .collect();
    Ok((0..sets.len()).map(|j| rows.iter().flat_map(|r| r[j].iter().copied()).collect()).collect())
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
        let whole = distribution(Statistic::Median, &[&x], false, Resampling::Iid, 9, 0, 40, &control).unwrap();
        let head = distribution(Statistic::Median, &[&x], false, Resampling::Iid, 9, 0, 15, &control).unwrap();
        let tail = distribution(Statistic::Median, &[&x], false, Resampling::Iid, 9, 15, 25, &control).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let single = pool
            .install(|| distribution(Statistic::Median, &[&x], false, Resampling::Iid, 9, 0, 40, &control).unwrap());
        assert_eq!([head, tail].concat(), whole);
        assert_eq!(single, whole);
    }

    #[test]
    fn streamed_mean_equals_mean_of_exported_indices() {
        let x = data(300, 6);
        let control = Control::new();
        let d = distribution(Statistic::Mean, &[&x], false, Resampling::Iid, 3, 10, 5, &control).unwrap();
        let idx = resample_indices(&[300], false, Resampling::Iid, 3, 10, 5).unwrap();
        for (r, v) in d.iter().enumerate() {
            let m = resampled_sum(idx[0][r * 300..(r + 1) * 300].iter().map(|&i| x[i as usize])) / 300.0;
            assert_eq!(*v, m);
        }
    }

    #[test]
    fn streamed_statistics_in_pieces_equal_those_of_exported_indices() {
        // Samples longer than a piece and not a multiple of 4 long: indices are drawn, and means summed, in
        // several pieces, which must give the bits of one pass over the exported indices, on any thread count.
        let (n, m) = (2 * PIECE + 455, PIECE + 3);
        let (x, y, z) = (data(n, 21), data(n, 22), data(m, 23));
        let control = Control::new();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let cases: Vec<(Statistic, Vec<&[f64]>, bool)> = vec![
            (Statistic::Mean, vec![&x], false),
            (Statistic::Median, vec![&x], false),
            (Statistic::MeanDifference, vec![&x, &z], false),
            (Statistic::MeanDifference, vec![&x, &y], true),
            (Statistic::Correlation, vec![&x, &y], true),
        ];
        for (stat, samples, paired) in cases {
            let d = distribution(stat, &samples, paired, Resampling::Iid, 5, 7, 6, &control).unwrap();
            let single =
                pool.install(|| distribution(stat, &samples, paired, Resampling::Iid, 5, 7, 6, &control).unwrap());
            assert_eq!(d, single, "{stat:?}");
            let sizes: Vec<usize> = samples.iter().map(|s| s.len()).collect();
            let sets = if paired { &sizes[..1] } else { &sizes[..] };
            let idx = resample_indices(&sizes, paired, Resampling::Iid, 5, 7, 6).unwrap();
            for (r, v) in d.iter().enumerate() {
                let rows: Vec<Vec<u32>> =
                    idx.iter().zip(sets).map(|(set, &w)| set[r * w..(r + 1) * w].to_vec()).collect();
                assert_eq!(v.to_bits(), stat.of_indices(&samples, &rows, &mut Vec::new()).to_bits(), "{stat:?} {r}");
            }
        }
    }

    #[test]
    fn blocked_statistics_equal_the_statistic_of_exported_indices() {
        let x = data(200, 8);
        let y = data(200, 9);
        let control = Control::new();
        let schemes = [
            Resampling::Moving { length: 9 },
            Resampling::Circular { length: 5 },
            Resampling::Stationary { mean_length: 6.5 },
        ];
        for scheme in schemes {
            for (stat, samples) in [(Statistic::Mean, vec![&x[..]]), (Statistic::MeanDifference, vec![&x[..], &y[..]])]
            {
                let d = distribution(stat, &samples, false, scheme, 4, 2, 6, &control).unwrap();
                let idx = resample_indices(&[200; 2][..samples.len()], false, scheme, 4, 2, 6).unwrap();
                for (r, v) in d.iter().enumerate() {
                    let rows: Vec<Vec<u32>> = idx.iter().map(|set| set[r * 200..(r + 1) * 200].to_vec()).collect();
                    assert_eq!(*v, stat.of_indices(&samples, &rows, &mut Vec::new()), "{scheme:?} {stat:?}");
                }
            }
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
