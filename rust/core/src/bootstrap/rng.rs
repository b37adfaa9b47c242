//! What bootstrap resampling adds to the replicate streams of `numeric::rng` (re-exported here for the
//! schemes): drawing one index uniformly, the whole cost of resampling a mean.

use rand::Rng;

pub use crate::numeric::rng::{replicate_rng, standard_normal};

/// One index drawn uniformly from `0..n` (1 <= n <= 2^32). Every resampling scheme and the index
/// export used by Python callables draw through this function or `fill_indices`, which draws the same
/// indices from the same words, so they all see the same resamples.
///
/// Lemire's nearly divisionless method on 32-bit draws, written out because rand's `random_range`
/// spends 64 random bits per index; drawing indices is the whole cost of bootstrapping a mean, and
/// this halves it. Exact: the rejection step removes the modulo bias.
#[inline]
pub fn draw_index<R: Rng>(rng: &mut R, n: usize) -> usize {
    debug_assert!(n >= 1 && n as u64 <= 1 << 32);
    let n = n as u64;
    let m = u64::from(rng.next_u32()) * n;
    if (m as u32 as u64) < n {
        return finish_rejected(m, n, || rng.next_u32());
    }
    (m >> 32) as usize
}

/// Lemire's rejection step for a product `m` whose low word fell below `n`: redraw while it lies below
/// the threshold (2^32 mod n), the only branch that needs a division. `next` gives the next word.
#[cold]
fn finish_rejected(mut m: u64, n: u64, mut next: impl FnMut() -> u32) -> usize {
    let threshold = (1u64 << 32).wrapping_sub(n) % n;
    while (m as u32 as u64) < threshold {
        m = u64::from(next()) * n;
    }
    (m >> 32) as usize
}

/// Words drawn at once by `fill_indices`: a multiple of ChaCha's 16-word block; a block with a rejection
/// is redone word by word, so large blocks would be redone often for large n.
const BLOCK: usize = 1024;

/// `out.len()` indices from `0..n`, exactly those that as many `draw_index` calls would give, from the same
/// words of `rng` in the same order, so that the streams stay those of `draw_index`.
///
/// The words come in blocks (`rng.fill`, which hands out the stream's words in order as `next_u32`
/// does), written where their indices go, and are mapped to indices in loops without branches. Only a
/// block holding a word whose product's low half falls below `n` (probability n / 2^32 per word) is
/// redone word by word with the rejection test, in place (each index uses at least one word, so the word
/// read is never behind the index written), drawing replacements from the stream after the block.
/// Separating the draws from the reads of the resampled values is what makes resampling a mean fast: the
/// reads of a block then overlap in memory.
pub fn fill_indices<R: Rng>(rng: &mut R, n: usize, out: &mut [u32]) {
    debug_assert!(n >= 1 && n as u64 <= 1 << 32);
    let n64 = n as u64;
    let product = |w: u32| u64::from(w) * n64;
    for block in out.chunks_mut(BLOCK) {
        rng.fill(&mut block[..]);
        // A fold, not `any`: no early exit, so the test of the whole block vectorises.
        if !block.iter().fold(false, |low, &w| low | ((product(w) as u32 as u64) < n64)) {
            block.iter_mut().for_each(|w| *w = (product(*w) >> 32) as u32);
            continue;
        }
        let len = block.len();
        let mut read = 0;
        for slot in 0..len {
            let mut next = || {
                read += 1;
                if read <= len {
                    block[read - 1]
                } else {
                    rng.next_u32()
                }
            };
            let m = product(next());
            let j = if (m as u32 as u64) < n64 { finish_rejected(m, n64, &mut next) } else { (m >> 32) as usize };
            block[slot] = j as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

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
    fn filled_indices_are_the_drawn_indices() {
        // Ranges where rejections are common (near 2^32) or impossible (powers of two), lengths around
        // the block size; afterwards both streams must stand at the same word.
        for n in [1usize, 2, 3, 7, 100_000, (1 << 31) + 1, 3 << 30, (1 << 32) - 5, 1 << 32] {
            for len in [0usize, 1, 5, 1023, 1024, 1025, 3000] {
                let mut a = replicate_rng(11, n as u64 ^ len as u64);
                let mut b = a.clone();
                let mut filled = vec![0u32; len];
                fill_indices(&mut a, n, &mut filled);
                let drawn: Vec<u32> = (0..len).map(|_| draw_index(&mut b, n) as u32).collect();
                assert_eq!(filled, drawn, "n = {n}, len = {len}");
                assert_eq!(a.next_u64(), b.next_u64(), "n = {n}, len = {len}");
            }
        }
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
