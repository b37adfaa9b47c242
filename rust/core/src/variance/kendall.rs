//! Kendall's tau-b in O(K log K) (Knight 1966, "A Computer Method for Calculating Kendall's Tau with
//! Ungrouped Data"), with the same tie handling and p-value rule as scipy.stats.kendalltau.
//!
//! The pairs are sorted by (x, y); a pair (i < j) in that order is discordant exactly when y_i > y_j,
//! so the discordant count is the number of strict inversions of the y sequence, which a merge sort
//! counts while it sorts. Ties come from runs of equal values: of x and of (x, y) in the (x, y) order,
//! of y in the merge-sorted y. With n0 = n (n - 1) / 2 pairs, t_x, t_y the pairs tied in x, in y and
//! t_xy in both, concordant - discordant = n0 - t_x - t_y + t_xy - 2 dis and
//! tau_b = (con - dis) / sqrt(n0 - t_x) / sqrt(n0 - t_y).
//!
//! p-value (two-sided), as scipy chooses it by default: without ties and with n <= 33 (or at most one
//! discordant or one concordant pair) the exact null distribution (Kendall 1970, "Rank Correlation
//! Methods", ch. 4); otherwise the normal approximation of con - dis with the tie-corrected variance.

use rayon::prelude::*;

use crate::bootstrap::intervals::ndtr;
use crate::error::{CoreError, Result};

/// Below this many values the merge sort stays on the calling thread.
const PARALLEL_MIN: usize = 1 << 14;
/// Runs this short are sorted by insertion (each swap removes exactly one inversion).
const INSERTION_MAX: usize = 24;
/// Above this many pairs the (x, y) sort runs in parallel (the sorted order is the same either way).
const PARALLEL_SORT_MIN: usize = 1 << 16;

/// Kendall's tau-b of two paired samples and its two-sided p-value (both NaN when undefined: fewer
/// than two pairs, or one sample constant), with the counts behind them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KendallTau {
    pub tau: f64,
    pub pvalue: f64,
    /// Pairs that are discordant (ordered oppositely by x and y).
    pub discordant: u64,
    /// Concordant minus discordant pairs.
    pub con_minus_dis: i64,
}

impl KendallTau {
    fn undefined() -> Self {
        KendallTau { tau: f64::NAN, pvalue: f64::NAN, discordant: 0, con_minus_dis: 0 }
    }
}

/// Tied pairs in runs of equal values: (sum c(c-1)/2, sum c(c-1)(c-2), sum c(c-1)(2c+5)).
#[derive(Debug, Default, Clone, Copy)]
struct Ties {
    pairs: u64,
    v0: u128,
    v1: u128,
}

impl Ties {
    fn add_run(&mut self, c: u64) {
        if c > 1 {
            let c = u128::from(c);
            self.pairs += (c * (c - 1) / 2) as u64;
            self.v0 += c * (c - 1) * (c - 2);
            self.v1 += c * (c - 1) * (2 * c + 5);
        }
    }

    /// Ties of a sequence whose equal values are adjacent, `same(i)` telling whether item i equals item i - 1.
    fn of_runs(n: usize, same: impl Fn(usize) -> bool) -> Ties {
        let mut ties = Ties::default();
        let mut run = 1u64;
        for i in 1..n {
            if same(i) {
                run += 1;
            } else {
                ties.add_run(run);
                run = 1;
            }
        }
        ties.add_run(run);
        ties
    }
}

fn check_sample(name: &str, v: &[f64]) -> Result<()> {
    match v.iter().position(|t| t.is_nan()) {
        Some(i) => Err(CoreError::invalid(name, format!("must not contain NaN (position {i})"))),
        None => Ok(()),
    }
}

/// Kendall's tau-b of `x` and `y` (equal lengths, no NaN; infinities rank as numbers).
pub fn tau_b(x: &[f64], y: &[f64]) -> Result<KendallTau> {
    if x.len() != y.len() {
        return Err(CoreError::invalid("y", format!("has {} values, x has {}", y.len(), x.len())));
    }
    check_sample("x", x)?;
    check_sample("y", y)?;
    let n = x.len();
    if n < 2 {
        return Ok(KendallTau::undefined());
    }
    // One integer key per pair, x in the high half: sorting plain integers is about twice as fast as
    // sorting float pairs through a comparison closure.
    let mut keys: Vec<u128> =
        x.iter().zip(y).map(|(&a, &b)| (u128::from(order_key(a)) << 64) | u128::from(order_key(b))).collect();
    if n >= PARALLEL_SORT_MIN {
        keys.par_sort_unstable();
    } else {
        keys.sort_unstable();
    }
    let x_ties = Ties::of_runs(n, |i| keys[i] >> 64 == keys[i - 1] >> 64);
    let xy_ties = Ties::of_runs(n, |i| keys[i] == keys[i - 1]);
    let mut ys: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
    drop(keys);
    let mut buf = vec![0u64; n];
    let discordant = sort_counting_inversions(&mut ys, &mut buf);
    let y_ties = Ties::of_runs(n, |i| ys[i] == ys[i - 1]);

    let total = (n as u64) * (n as u64 - 1) / 2;
    if x_ties.pairs == total || y_ties.pairs == total {
        return Ok(KendallTau::undefined());
    }
    let con_minus_dis =
        total as i64 - x_ties.pairs as i64 - y_ties.pairs as i64 + xy_ties.pairs as i64 - 2 * discordant as i64;
    // Written as scipy writes it, so that the two agree to the last bit.
    let tau = con_minus_dis as f64 / ((total - x_ties.pairs) as f64).sqrt() / ((total - y_ties.pairs) as f64).sqrt();
    let tau = tau.clamp(-1.0, 1.0);
    let no_ties = x_ties.pairs == 0 && y_ties.pairs == 0;
    let pvalue = if no_ties && (n <= 33 || discordant.min(total - discordant) <= 1) {
        exact_pvalue(n as u64, total - discordant)
    } else {
        asymptotic_pvalue(n, con_minus_dis, &x_ties, &y_ties)
    };
    Ok(KendallTau { tau, pvalue, discordant, con_minus_dis })
}

/// An integer whose order is the numeric order of `v` (not NaN), equal for equal values: -0.0 is first
/// made 0.0 (`+ 0.0`), as numpy and scipy treat them as equal; then the IEEE bits of a positive number
/// get the sign bit set, those of a negative number are inverted (the order of `f64::total_cmp`).
fn order_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Sort `v` ascending and return the number of pairs i < j with v[i] > v[j]. `buf` has v's length.
fn sort_counting_inversions<T: Copy + PartialOrd + Send>(v: &mut [T], buf: &mut [T]) -> u64 {
    let n = v.len();
    if n <= INSERTION_MAX {
        let mut count = 0;
        for i in 1..n {
            let mut j = i;
            while j > 0 && v[j - 1] > v[j] {
                v.swap(j - 1, j);
                count += 1;
                j -= 1;
            }
        }
        return count;
    }
    let mid = n / 2;
    let (left, right) = v.split_at_mut(mid);
    let (buf_left, buf_right) = buf.split_at_mut(mid);
    // Inversion counts are integers, so the split into threads cannot change the result.
    let (a, b) = if n >= PARALLEL_MIN {
        rayon::join(|| sort_counting_inversions(left, buf_left), || sort_counting_inversions(right, buf_right))
    } else {
        (sort_counting_inversions(left, buf_left), sort_counting_inversions(right, buf_right))
    };
    let mut count = a + b;
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < left.len() && j < right.len() {
        if left[i] <= right[j] {
            buf[k] = left[i];
            i += 1;
        } else {
            // right[j] is smaller than every value left in `left`: that many inversions.
            buf[k] = right[j];
            count += (left.len() - i) as u64;
            j += 1;
        }
        k += 1;
    }
    buf[k..k + left.len() - i].copy_from_slice(&left[i..]);
    k += left.len() - i;
    buf[k..].copy_from_slice(&right[j..]);
    v.copy_from_slice(buf);
    count
}

/// Normal approximation of concordant - discordant under independence, variance corrected for ties
/// (Kendall 1970, eq. 4.4; scipy's formula and operation order).
fn asymptotic_pvalue(n: usize, con_minus_dis: i64, x: &Ties, y: &Ties) -> f64 {
    let size = n as f64;
    let m = size * (size - 1.0);
    let var = (m * (2.0 * size + 5.0) - x.v1 as f64 - y.v1 as f64) / 18.0
        + (2 * u128::from(x.pairs) * u128::from(y.pairs)) as f64 / m
        + (x.v0 * y.v0) as f64 / (9.0 * m * (size - 2.0));
    let z = con_minus_dis as f64 / var.sqrt();
    2.0 * ndtr(-z.abs())
}

/// n! as a float; a product rounds at each step, within n ulps of the exact value, and the one
/// place it is used (the exact p-value, n <= 171) needs no more.
fn factorial(n: u64) -> f64 {
    (2..=n).map(|k| k as f64).product()
}

/// Exact two-sided p-value without ties for `concordant` pairs out of n (n - 1) / 2: twice the null
/// probability of at most min(con, dis) discordant pairs, from Kendall's recursion for the number of
/// permutations of n items with c inversions.
fn exact_pvalue(n: u64, concordant: u64) -> f64 {
    let total = n * (n - 1) / 2;
    let c = concordant.min(total - concordant);
    let prob = if n <= 2 {
        1.0
    } else if c == 0 {
        if n < 171 {
            2.0 / factorial(n)
        } else {
            0.0
        }
    } else if c == 1 {
        if n < 172 {
            2.0 / factorial(n - 1)
        } else {
            0.0
        }
    } else if 4 * c == n * (n - 1) {
        1.0
    } else {
        // Reached only for n <= 33 (scipy's rule), where n! is finite. counts[k]: permutations of
        // j items with k inversions, for k <= c.
        let c = c as usize;
        let mut counts = vec![0.0f64; c + 1];
        counts[0] = 1.0;
        counts[1] = 1.0;
        for j in 3..=n as usize {
            for k in 1..=c {
                counts[k] += counts[k - 1];
            }
            if j <= c {
                // Descending, so each subtraction reads a value not yet updated in this round.
                for k in (j..=c).rev() {
                    counts[k] -= counts[k - j];
                }
            }
        }
        2.0 * counts.iter().sum::<f64>() / factorial(n)
    };
    prob.clamp(0.0, 1.0)
}

/// Kendall's tau-b of each row of a row-major (rows x k) matrix against `order` (length k), in parallel.
pub fn tau_b_rows(values: &[f64], k: usize, order: &[f64]) -> Result<Vec<KendallTau>> {
    if order.len() != k || k == 0 || values.len() % k != 0 {
        return Err(CoreError::invalid(
            "order",
            format!("needs one value per column ({k} columns of {} values), got {}", values.len(), order.len()),
        ));
    }
    check_sample("order", order)?;
    values
        .par_chunks(k)
        .map(|row| tau_b(order, row).map_err(|_| CoreError::invalid("scores", "must not contain NaN")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kendall's tau-b by its definition, O(n^2).
    fn tau_b_pairs(x: &[f64], y: &[f64]) -> f64 {
        let (mut s, mut tx, mut ty) = (0i64, 0i64, 0i64);
        let n = x.len();
        for i in 0..n {
            for j in i + 1..n {
                let a = (x[i] - x[j]).partial_cmp(&0.0).unwrap() as i64;
                let b = (y[i] - y[j]).partial_cmp(&0.0).unwrap() as i64;
                s += a * b;
                tx += i64::from(a != 0);
                ty += i64::from(b != 0);
            }
        }
        s as f64 / ((tx as f64) * (ty as f64)).sqrt()
    }

    #[test]
    fn matches_the_pairwise_definition_with_ties() {
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % 7) as f64
        };
        for n in [3usize, 10, 40, 200, 3000] {
            let x: Vec<f64> = (0..n).map(|_| next()).collect();
            let y: Vec<f64> = (0..n).map(|_| next()).collect();
            let got = tau_b(&x, &y).unwrap().tau;
            let want = tau_b_pairs(&x, &y);
            assert!((got - want).abs() < 1e-12, "n {n}: {got} vs {want}");
        }
    }

    #[test]
    fn order_keys_follow_numeric_order() {
        let v = [f64::NEG_INFINITY, -1e300, -1.0, -f64::MIN_POSITIVE, 0.0, 5e-324, 1.0, 1e300, f64::INFINITY];
        assert!(v.windows(2).all(|w| order_key(w[0]) < order_key(w[1])));
        assert_eq!(order_key(-0.0), order_key(0.0));
    }

    #[test]
    fn inversions_are_counted_exactly() {
        let mut v: Vec<f64> = (0..100_000).rev().map(|i| (i / 3) as f64).collect();
        let mut buf = vec![0.0; v.len()];
        // Reversed runs of three equal values: all pairs between different runs are inverted.
        let runs = 100_000u64 / 3 + 1;
        let mut want = 0u64;
        let sizes: Vec<u64> = (0..runs).map(|r| if r == runs - 1 { 100_000 - 3 * (runs - 1) } else { 3 }).collect();
        let total: u64 = sizes.iter().sum();
        let mut seen = 0;
        for s in &sizes {
            seen += s;
            want += s * (total - seen);
        }
        assert_eq!(sort_counting_inversions(&mut v, &mut buf), want);
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn exact_pvalues_of_small_samples() {
        // n = 4, one discordant pair: P(dis <= 1) = (1 + 3) / 24, two-sided 1/3.
        assert!((exact_pvalue(4, 5) - 1.0 / 3.0).abs() < 1e-15);
        // Perfect agreement of 5 items: 2 / 5!.
        assert!((exact_pvalue(5, 10) - 2.0 / 120.0).abs() < 1e-15);
        let r = tau_b(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap();
        assert_eq!(r.tau, -1.0);
    }

    #[test]
    fn degenerate_inputs_are_undefined_and_nan_is_refused() {
        assert!(tau_b(&[1.0], &[2.0]).unwrap().tau.is_nan());
        assert!(tau_b(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).unwrap().tau.is_nan());
        assert!(tau_b(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
        assert!(tau_b(&[1.0, 2.0], &[1.0]).is_err());
        assert_eq!(
            tau_b(&[-0.0, 0.0, 1.0], &[1.0, 2.0, 3.0]).unwrap(),
            tau_b(&[0.0, 0.0, 1.0], &[1.0, 2.0, 3.0]).unwrap()
        );
    }
}
