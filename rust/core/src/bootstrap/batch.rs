//! Batches of independent statistic problems (scipy.stats.bootstrap's `axis=`): problem p is row p of
//! every sample, each sample a row-major (problems x n_j) matrix. Replicate i draws its index sets once,
//! from the stream of (seed, i) exactly as `statistics::distribution` draws them, and applies them to
//! every problem, as scipy applies one index array to the whole batch: a problem's distribution is the
//! one it has alone (for means, to rounding: see `linear_distribution`), and drawing costs once per
//! replicate, not once per problem and replicate.
//!
//! The batched intervals return NaN ends where scipy does (a non-finite bootstrap value, or BCa's levels
//! undefined on degenerate data) and flag the BCa cases, so that the caller can warn per problem.

use nalgebra::{DMatrix, DMatrixView};
use rayon::prelude::*;

use super::blocks::Resampling;
use super::intervals::{interval_at_tail, standard_error, Method};
use super::rng::replicate_rng;
use super::statistics::Statistic;
use crate::control::Control;
use crate::error::{CoreError, Result};

/// Samples of a batch: sample j holds `problems` rows of `sizes[j]` values each.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub samples: &'a [&'a [f64]],
    pub sizes: &'a [usize],
    pub problems: usize,
}

impl<'a> Batch<'a> {
    /// Problem p: row p of every sample.
    pub fn problem(&self, p: usize) -> Vec<&'a [f64]> {
        self.samples.iter().zip(self.sizes).map(|(s, &n)| &s[p * n..(p + 1) * n]).collect()
    }

    /// Check the shapes and every problem against the statistic; returns whether samples share indices.
    pub fn validate(&self, stat: Statistic, paired: bool) -> Result<bool> {
        if self.samples.len() != self.sizes.len() {
            return Err(CoreError::invalid("data", "one size per sample is needed"));
        }
        if self.problems == 0 {
            return Err(CoreError::invalid("data", "the batch holds no problem"));
        }
        for (j, (s, &n)) in self.samples.iter().zip(self.sizes).enumerate() {
            if n.checked_mul(self.problems) != Some(s.len()) {
                return Err(CoreError::invalid(
                    "data",
                    format!("sample {j} holds {} values, not {} problems of {n}", s.len(), self.problems),
                ));
            }
        }
        let mut paired_out = paired;
        for p in 0..self.problems {
            paired_out = stat.validate(&self.problem(p), paired)?;
        }
        Ok(paired_out)
    }
}

/// Bootstrap distributions of `stat` for every problem of `batch` over replicates `first..first + count`:
/// a row-major (problems x count) matrix.
#[allow(clippy::too_many_arguments)]
pub fn distribution(
    stat: Statistic,
    batch: Batch<'_>,
    paired: bool,
    scheme: Resampling,
    seed: u64,
    first: u64,
    count: usize,
    control: &Control,
) -> Result<Vec<f64>> {
    let paired = batch.validate(stat, paired)?;
    batch.sizes.iter().try_for_each(|&n| scheme.check(n))?;
    // nalgebra multiplies through matrixmultiply's blocked kernels only beyond 5 rows and columns; below that
    // its loop sums in another order, so small batches keep the gather path (their cost is small anyway).
    let large = batch.problems > 5 && batch.sizes.iter().all(|&n| n > 5);
    if large && matches!(stat, Statistic::Mean | Statistic::MeanDifference) {
        return linear_distribution(stat, batch, paired, scheme, seed, first, count, control);
    }
    let sets: &[usize] = if paired { &batch.sizes[..1] } else { batch.sizes };
    let problems: Vec<Vec<&[f64]>> = (0..batch.problems).map(|p| batch.problem(p)).collect();
    control.set_total(count);
    let by_replicate: Vec<Vec<f64>> = (0..count)
        .into_par_iter()
        .map_init(
            || (vec![Vec::new(); sets.len()], Vec::new()),
            |(idx, buf), i| {
                if control.is_cancelled() {
                    return Vec::new();
                }
                let mut rng = replicate_rng(seed, first + i as u64);
                for (set, &n) in idx.iter_mut().zip(sets) {
                    scheme.draw(&mut rng, n, set);
                }
                let out = problems.iter().map(|s| stat.of_indices(s, idx, buf)).collect();
                control.advance(1);
                out
            },
        )
        .collect();
    control.check()?;
    let mut out = vec![0.0; batch.problems * count];
    for (i, row) in by_replicate.iter().enumerate() {
        for (p, v) in row.iter().enumerate() {
            out[p * count + i] = *v;
        }
    }
    Ok(out)
}

/// Replicates per matrix product in `linear_distribution`.
const CHUNK: usize = 256;

/// Means and mean differences of a whole batch as matrix products: replicate i's means of all problems are
/// the row of replicate i's index counts over n times the data's transpose (n x problems), so a chunk of
/// replicates is one product (nalgebra's blocked GEMM) instead of problems x n random reads per replicate.
/// The product is (replicates x problems) in column-major order, so each problem's values of a chunk lie
/// together and are copied into its row of the result in one piece. The counts come from the very draws
/// `statistics::distribution` makes; the sums are taken in another order, so a problem's values equal its
/// stand-alone ones to rounding (a few ulps), not to the bit. Each value depends on its own replicate's
/// draws only, so the result does not depend on threads or chunks.
#[allow(clippy::too_many_arguments)]
fn linear_distribution(
    stat: Statistic,
    batch: Batch<'_>,
    paired: bool,
    scheme: Resampling,
    seed: u64,
    first: u64,
    count: usize,
    control: &Control,
) -> Result<Vec<f64>> {
    let p = batch.problems;
    // The row-major (problems x n) samples are, as they lie, column-major (n x problems) transposes.
    let data: Vec<DMatrixView<'_, f64>> =
        batch.samples.iter().zip(batch.sizes).map(|(s, &n)| DMatrixView::from_slice(s, n, p)).collect();
    // Sample j's counts are drawn from set j (one set shared by both samples when paired).
    let sets: &[usize] = if paired { &batch.sizes[..1] } else { batch.sizes };
    control.set_total(count);
    let chunks: Vec<DMatrix<f64>> = (0..count.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (start, stop) = (c * CHUNK, ((c + 1) * CHUNK).min(count));
            // Always CHUNK rows (the last chunk zero-padded), so every product has one shape and a
            // replicate's value does not depend on where a run of replicates was split.
            let mut counts: Vec<DMatrix<f64>> = sets.iter().map(|&n| DMatrix::zeros(CHUNK, n)).collect();
            if control.is_cancelled() {
                return DMatrix::zeros(CHUNK, p);
            }
            let mut set = Vec::new();
            for i in start..stop {
                let mut rng = replicate_rng(seed, first + i as u64);
                for (m, &n) in counts.iter_mut().zip(sets) {
                    scheme.draw(&mut rng, n, &mut set);
                    for &j in &set {
                        m[(i - start, j as usize)] += 1.0;
                    }
                }
            }
            let scaled = |j: usize| {
                let k = if paired { 0 } else { j };
                (&counts[k] * data[j]) / batch.sizes[j] as f64
            };
            control.advance(stop - start);
            match stat {
                Statistic::MeanDifference => scaled(0) - scaled(1),
                _ => scaled(0),
            }
        })
        .collect();
    let mut out = vec![0.0; p * count];
    out.par_chunks_mut(count.max(1)).enumerate().for_each(|(row, values)| {
        for (piece, m) in values.chunks_mut(CHUNK).zip(&chunks) {
            piece.copy_from_slice(&m.as_slice()[row * CHUNK..row * CHUNK + piece.len()]);
        }
    });
    control.check()?;
    Ok(out)
}

/// The statistic of every problem.
pub fn estimates(stat: Statistic, batch: Batch<'_>) -> Vec<f64> {
    (0..batch.problems).into_par_iter().map(|p| stat.estimate(&batch.problem(p))).collect()
}

/// Leave-one-out values of every problem: one row-major (problems x n_j) matrix per independent sample
/// (one matrix when paired).
pub fn jackknife(stat: Statistic, batch: Batch<'_>, paired: bool) -> Vec<Vec<f64>> {
    let per_problem: Vec<Vec<Vec<f64>>> =
        (0..batch.problems).into_par_iter().map(|p| stat.jackknife(&batch.problem(p), paired)).collect();
    let sets = per_problem.first().map_or(0, Vec::len);
    (0..sets).map(|j| per_problem.iter().flat_map(|v| v[j].iter().copied()).collect()).collect()
}

/// The ends of one quantity's interval, whether BCa was undefined for it, and its bootstrap standard
/// error (computed here, in the pass over each distribution the interval makes anyway).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ends {
    pub low: f64,
    pub high: f64,
    pub degenerate: bool,
    pub se: f64,
}

/// Intervals at tail probability `alpha` of quantities q = 0..Q: `distribution` is row-major (Q x B),
/// `jackknife[j]` row-major (Q x n_j) per independent sample (BCa only). NaN ends, not errors, where a
/// distribution holds a non-finite value or BCa is undefined (`degenerate`), as scipy returns them.
pub fn intervals(
    distribution: &[f64],
    estimates: &[f64],
    jackknife: &[(&[f64], usize)],
    alpha: f64,
    method: Method,
) -> Result<Vec<Ends>> {
    let q = estimates.len();
    if q == 0 || distribution.len() % q != 0 || distribution.is_empty() {
        return Err(CoreError::invalid("distribution", format!("needs one non-empty row per estimate ({q})")));
    }
    if method == Method::Bca && jackknife.is_empty() {
        return Err(CoreError::invalid("jackknife", "BCa needs the jackknife values"));
    }
    if let Some((j, _)) = jackknife.iter().enumerate().find(|(_, (v, n))| *n < 2 || v.len() != q * n) {
        return Err(CoreError::invalid("jackknife", format!("sample {j} needs at least 2 values per quantity")));
    }
    if !(alpha > 0.0 && alpha <= 0.5) {
        return Err(CoreError::invalid(
            "level",
            format!(
                "the tail probability (1 - level, or (1 - level)/2 two-sided) must lie in (0, 0.5], got {alpha}: a \
                 one-sided interval needs a level of at least 0.5"
            ),
        ));
    }
    let b = distribution.len() / q;
    (0..q)
        .into_par_iter()
        .map(|k| {
            let dist = &distribution[k * b..(k + 1) * b];
            let nan = Ends { low: f64::NAN, high: f64::NAN, degenerate: false, se: standard_error(dist) };
            if !dist.iter().all(|v| v.is_finite()) || !estimates[k].is_finite() {
                return Ok(nan);
            }
            let jack: Vec<&[f64]> = jackknife.iter().map(|(v, n)| &v[k * n..(k + 1) * n]).collect();
            if method == Method::Bca && jack.iter().any(|j| !j.iter().all(|v| v.is_finite())) {
                return Ok(Ends { degenerate: true, ..nan });
            }
            match interval_at_tail(dist, estimates[k], &jack, alpha, method) {
                Ok(iv) => Ok(Ends { low: iv.low, high: iv.high, ..nan }),
                Err(CoreError::InvalidInput { ref name, .. }) if name == "method" => {
                    Ok(Ends { degenerate: true, ..nan })
                }
                Err(e) => Err(e),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::rng::standard_normal;
    use crate::bootstrap::statistics;

    fn data(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = replicate_rng(seed, 0);
        (0..n).map(|_| standard_normal(&mut rng).exp()).collect()
    }

    #[test]
    fn each_problem_gets_the_distribution_it_has_alone() {
        let control = Control::new();
        let (n, m, problems) = (30, 20, 7);
        let x = data(n * problems, 1);
        let y = data(n * problems, 2);
        let cases = [
            (Statistic::Mean, false),
            (Statistic::Median, false),
            (Statistic::Var { ddof: 1.0 }, false),
            (Statistic::MeanDifference, false),
            (Statistic::Correlation, true),
            (Statistic::MeanDifference, true),
        ];
        for (stat, paired) in cases {
            let two = stat.n_samples() == 2;
            let sizes: Vec<usize> = if two && !paired { vec![n, m] } else { vec![n; stat.n_samples()] };
            let ys = if paired { &y[..] } else { &y[..m * problems] };
            let samples: Vec<&[f64]> = if two { vec![&x, ys] } else { vec![&x] };
            let batch = Batch { samples: &samples, sizes: &sizes, problems };
            let all = distribution(stat, batch, paired, Resampling::Iid, 7, 3, 25, &control).unwrap();
            let est = estimates(stat, batch);
            let jack = jackknife(stat, batch, paired);
            for p in 0..problems {
                let alone = batch.problem(p);
                let d = statistics::distribution(stat, &alone, paired, Resampling::Iid, 7, 3, 25, &control).unwrap();
                for (a, b) in all[p * 25..(p + 1) * 25].iter().zip(&d) {
                    // Means are matrix products in a batch: equal to rounding; the others to the bit.
                    let tol = if matches!(stat, Statistic::Mean | Statistic::MeanDifference) { 1e-13 } else { 0.0 };
                    assert!((a - b).abs() <= tol * b.abs().max(1.0), "{stat:?}: {a} vs {b}");
                }
                assert_eq!(est[p], stat.estimate(&alone));
                for (j, v) in stat.jackknife(&alone, paired).iter().enumerate() {
                    let w = v.len();
                    assert_eq!(&jack[j][p * w..(p + 1) * w], &v[..]);
                }
            }
        }
    }

    #[test]
    fn batched_means_do_not_depend_on_threads_or_chunks() {
        let control = Control::new();
        let x = data(40 * 7, 4);
        let samples: Vec<&[f64]> = vec![&x];
        let b = Batch { samples: &samples, sizes: &[40], problems: 7 };
        let whole = distribution(Statistic::Mean, b, false, Resampling::Iid, 5, 0, 600, &control).unwrap();
        let head = distribution(Statistic::Mean, b, false, Resampling::Iid, 5, 0, 300, &control).unwrap();
        let tail = distribution(Statistic::Mean, b, false, Resampling::Iid, 5, 300, 300, &control).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let single =
            pool.install(|| distribution(Statistic::Mean, b, false, Resampling::Iid, 5, 0, 600, &control).unwrap());
        assert_eq!(single, whole);
        for p in 0..7 {
            assert_eq!(&whole[p * 600..p * 600 + 300], &head[p * 300..(p + 1) * 300]);
            assert_eq!(&whole[p * 600 + 300..(p + 1) * 600], &tail[p * 300..(p + 1) * 300]);
        }
    }

    #[test]
    fn degenerate_bca_gives_nan_ends_and_a_flag() {
        let flat = [2.0; 10];
        let dist = [2.0; 50];
        let spread: Vec<f64> = (0..50).map(|i| i as f64).collect();
        let all: Vec<f64> = dist.iter().chain(&spread).copied().collect();
        let jack: Vec<f64> = flat.iter().chain(data(10, 3).iter()).copied().collect();
        let ends = intervals(&all, &[2.0, 25.0], &[(&jack, 10)], 0.025, Method::Bca).unwrap();
        assert!(ends[0].low.is_nan() && ends[0].high.is_nan() && ends[0].degenerate);
        assert!(ends[1].low.is_finite() && !ends[1].degenerate);
        let pct = intervals(&all, &[2.0, 25.0], &[], 0.025, Method::Percentile).unwrap();
        assert_eq!((pct[0].low, pct[0].high), (2.0, 2.0));
    }
}
