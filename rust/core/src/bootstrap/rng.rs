//! What bootstrap resampling adds to the replicate streams of `numeric::rng` (re-exported here for the
//! schemes): drawing one index uniformly, the whole cost of resampling a mean.

use rand::Rng;

pub use crate::numeric::rng::{replicate_rng, standard_normal};

/// One index drawn uniformly from `0..n` (1 <= n <= 2^32). Every resampling scheme and the index
/// export used by Python callables draw through this function, so they see the same resamples.
///
/// Lemire's nearly divisionless method on 32-bit draws, written out because rand's `random_range`
/// spends 64 random bits per index; drawing indices is the whole cost of bootstrapping a mean, and
/// this halves it. Exact: the rejection step removes the modulo bias.
#[inline]
pub fn draw_index<R: Rng>(rng: &mut R, n: usize) -> usize {
    debug_assert!(n >= 1 && n as u64 <= 1 << 32);
    let n = n as u64;
    let mut m = u64::from(rng.next_u32()) * n;
    if (m as u32 as u64) < n {
        let threshold = (1u64 << 32).wrapping_sub(n) % n;
        while (m as u32 as u64) < threshold {
            m = u64::from(rng.next_u32()) * n;
        }
    }
    (m >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_uniform() {
        // A range close to 2^32, where a modulo-biased method would favour the lower third.
        let n = 3usize << 30;
        let mut rng = replicate_rng(3, 1);
        let mut bins = [0usize; 6];
        let draws = 120_000;
        for _ in 0..draws {
            bins[draw_index(&mut rng, n) * 6 / n] += 1;
        }
        let expect = draws as f64 / 6.0;
        let chi2: f64 = bins.iter().map(|&b| (b as f64 - expect).powi(2) / expect).sum();
        assert!(chi2 < 25.0, "{bins:?}");
    }

    #[test]
    fn indices_cover_the_range() {
        let mut rng = replicate_rng(1, 0);
        let mut seen = [false; 5];
        for _ in 0..200 {
            seen[draw_index(&mut rng, 5)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
