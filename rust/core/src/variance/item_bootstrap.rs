//! The item bootstrap of benchmark scores (Madaan et al. 2024, "Quantifying Variance in Evaluation
//! Benchmarks"; Efron & Tibshirani 1993, ch. 13): the benchmark's items are a sample from a population
//! of possible items, so resampling items with replacement shows how much a score would move on another
//! draw of the same kind of items.
//!
//! The input is a row-major (items x columns) matrix, a column being a model (its seed-averaged item
//! scores) or a paired difference of two models. Replicate b draws one set of item indices from the
//! stream determined by (seed, b) (`bootstrap::rng`, the stream rule of `sc.bootstrap`) and applies it to
//! every column, so columns stay paired and every result is bit-identical for any thread count.

use rayon::prelude::*;

use crate::bootstrap::intervals::{interval, standard_error, Method};
use crate::bootstrap::rng::{draw_index, replicate_rng};
use crate::control::Control;
use crate::error::{CoreError, Result};

/// Item draws between cancellation checks inside one replicate (about a millisecond of work).
const CHECK_EVERY: usize = 1 << 16;

/// Per column: the mean over items, the bootstrap distribution of that mean, a percentile interval,
/// the bootstrap standard error and the two-sided bootstrap p-value of a zero mean.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemBootstrap {
    pub n_resamples: usize,
    pub n_columns: usize,
    pub estimate: Vec<f64>,
    /// Row-major (n_resamples x n_columns).
    pub distribution: Vec<f64>,
    pub low: Vec<f64>,
    pub high: Vec<f64>,
    pub se: Vec<f64>,
    pub pvalue_zero: Vec<f64>,
}

/// The column means of replicates `0..n_resamples` of an item bootstrap of `scores` (n_items x n_columns).
pub fn column_means(
    scores: &[f64],
    n_columns: usize,
    n_resamples: usize,
    seed: u64,
    control: &Control,
) -> Result<Vec<f64>> {
    let n_items = check_matrix(scores, n_columns)?;
    if n_resamples == 0 {
        return Err(CoreError::invalid("n_resamples", "must be at least 1, got 0"));
    }
    control.set_total(n_resamples);
    // Each replicate writes its own row of a preallocated matrix and checks for cancellation first, so a
    // cancelled run stops within one replicate per thread (rayon's `try_for_each` stops handing out rows).
    let mut means = vec![0.0; n_resamples * n_columns];
    means.par_chunks_mut(n_columns).enumerate().try_for_each(|(b, sums)| {
        control.check()?;
        let mut rng = replicate_rng(seed, b as u64);
        for drawn in 0..n_items {
            // A replicate of millions of items is itself long: check again every CHECK_EVERY draws.
            if drawn % CHECK_EVERY == CHECK_EVERY - 1 {
                control.check()?;
            }
            let i = draw_index(&mut rng, n_items);
            for (s, v) in sums.iter_mut().zip(&scores[i * n_columns..(i + 1) * n_columns]) {
                *s += v;
            }
        }
        sums.iter_mut().for_each(|s| *s /= n_items as f64);
        control.advance(1);
        Ok(())
    })?;
    Ok(means)
}

/// Item bootstrap of every column's mean with percentile intervals at `level`.
pub fn item_bootstrap(
    scores: &[f64],
    n_columns: usize,
    n_resamples: usize,
    seed: u64,
    level: f64,
    control: &Control,
) -> Result<ItemBootstrap> {
    let n_items = check_matrix(scores, n_columns)?;
    let distribution = column_means(scores, n_columns, n_resamples, seed, control)?;
    let mut out = ItemBootstrap {
        n_resamples,
        n_columns,
        estimate: Vec::with_capacity(n_columns),
        distribution: Vec::new(),
        low: Vec::with_capacity(n_columns),
        high: Vec::with_capacity(n_columns),
        se: Vec::with_capacity(n_columns),
        pvalue_zero: Vec::with_capacity(n_columns),
    };
    for c in 0..n_columns {
        let estimate = (0..n_items).map(|i| scores[i * n_columns + c]).sum::<f64>() / n_items as f64;
        let column: Vec<f64> = distribution.iter().skip(c).step_by(n_columns).copied().collect();
        let ci = interval(&column, estimate, &[], level, Method::Percentile)?;
        out.estimate.push(estimate);
        out.low.push(ci.low);
        out.high.push(ci.high);
        out.se.push(if n_resamples > 1 { standard_error(&column) } else { f64::NAN });
        out.pvalue_zero.push(shift_pvalue(&column, estimate));
    }
    out.distribution = distribution;
    Ok(out)
}

/// Two-sided bootstrap p-value of a zero mean by the shift method (Efron & Tibshirani 1993, 16.4):
/// the bootstrap distribution centred on the estimate stands for the null distribution, and
/// p = (1 + #{|theta*_b - theta_hat| >= |theta_hat|}) / (B + 1), never zero.
pub fn shift_pvalue(distribution: &[f64], estimate: f64) -> f64 {
    let extreme = distribution.iter().filter(|&&t| (t - estimate).abs() >= estimate.abs()).count();
    (1 + extreme) as f64 / (distribution.len() + 1) as f64
}

/// Items in a row-major matrix of `n_columns` columns; scores must be finite.
fn check_matrix(scores: &[f64], n_columns: usize) -> Result<usize> {
    if n_columns == 0 || scores.is_empty() || scores.len() % n_columns != 0 {
        return Err(CoreError::invalid(
            "scores",
            format!("must be a non-empty (items x columns) matrix, got {} values in {n_columns} columns", scores.len()),
        ));
    }
    let n_items = scores.len() / n_columns;
    if n_items > u32::MAX as usize {
        return Err(CoreError::invalid("scores", format!("at most 2^32 - 1 items, got {n_items}")));
    }
    if let Some(bad) = scores.iter().position(|v| !v.is_finite()) {
        return Err(CoreError::invalid(
            "scores",
            format!("must be finite, got {} at item {}", scores[bad], bad / n_columns),
        ));
    }
    Ok(n_items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores() -> Vec<f64> {
        (0..300).map(|i| ((i * 7919) % 11) as f64 / 10.0).collect()
    }

    #[test]
    fn same_bits_for_any_thread_count() {
        let s = scores();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| item_bootstrap(&s, 3, 500, 9, 0.95, &Control::new()).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn interval_brackets_the_mean_and_columns_share_items() {
        let s = scores();
        let r = item_bootstrap(&s, 3, 2000, 1, 0.95, &Control::new()).unwrap();
        for c in 0..3 {
            assert!(r.low[c] < r.estimate[c] && r.estimate[c] < r.high[c]);
        }
        // A column that is another plus a constant moves with it in every replicate.
        let shifted: Vec<f64> = s.chunks(3).flat_map(|r| [r[0], r[0] + 0.25]).collect();
        let d = column_means(&shifted, 2, 50, 4, &Control::new()).unwrap();
        assert!(d.chunks(2).all(|r| (r[1] - r[0] - 0.25).abs() < 1e-12));
    }

    #[test]
    fn a_cancelled_run_stops_with_interrupted() {
        let control = Control::new();
        control.cancel();
        let err = column_means(&scores(), 3, 1_000_000, 0, &control).unwrap_err();
        assert!(matches!(err, CoreError::Interrupted), "{err:?}");
    }

    #[test]
    fn pvalue_is_small_for_a_clear_difference_and_never_zero() {
        let d: Vec<f64> = (0..400).map(|i| 0.3 + ((i % 5) as f64 - 2.0) * 0.1).collect();
        let r = item_bootstrap(&d, 1, 999, 2, 0.95, &Control::new()).unwrap();
        assert!((r.pvalue_zero[0] - 1.0 / 1000.0).abs() < 1e-15);
        assert!(item_bootstrap(&[1.0, f64::NAN], 1, 10, 0, 0.95, &Control::new()).is_err());
    }
}
