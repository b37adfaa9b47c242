//! Leave-one-out (jackknife) values of the built-in statistics for BCa's acceleration, in O(n) or
//! O(n log n) from running sums and ranks instead of n recomputations of the statistic
//! (Efron & Tibshirani 1993, "An Introduction to the Bootstrap", 11.2 and 14.3).

use super::sample_statistics::{lerp, mean, trim_count};

pub(crate) fn loo_means(x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let s: f64 = x.iter().sum();
    x.iter().map(|v| (s - v) / (n - 1.0)).collect()
}

/// Removing x_i from a sample with mean m and centred sum of squares S leaves S - (x_i - m)^2 n/(n-1).
pub(crate) fn loo_variances(x: &[f64], ddof: f64) -> Vec<f64> {
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

pub(crate) fn loo_quantiles(x: &[f64], q: f64) -> Vec<f64> {
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

pub(crate) fn loo_trimmed_means(x: &[f64], p: f64) -> Vec<f64> {
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
pub(crate) fn loo_correlations(x: &[f64], y: &[f64]) -> Vec<f64> {
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
    use super::super::rng::{replicate_rng, standard_normal};
    use super::super::statistics::Statistic;

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
}
