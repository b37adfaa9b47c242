//! Random streams of bootstrap replicates.
//!
//! Replicate `i` of a bootstrap with seed `s` draws from ChaCha8 seeded with `s` and switched to
//! stream `i` (`set_stream`): a counter-based generator whose output depends on `(s, i)` only. Which
//! thread runs a replicate, in what order, and how the replicates are cut into chunks (threads,
//! `map=` hooks, Dask workers) therefore cannot change a single bit of any result.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random stream of replicate `replicate` of a bootstrap seeded with `seed`.
pub fn replicate_rng(seed: u64, replicate: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(replicate);
    rng
}

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

/// A standard normal draw (Box-Muller on two uniforms in (0, 1]); used by the parametric scheme.
/// Written out because rand_distr for rand 0.9 is not a dependency yet and one formula suffices.
pub fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_and_replicate_only() {
        let a: Vec<u64> = (0..4).map(|_| replicate_rng(7, 3).random::<u64>()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut r3 = replicate_rng(7, 3);
        let mut r4 = replicate_rng(7, 4);
        let mut s3 = replicate_rng(8, 3);
        let x3: u64 = r3.random();
        assert_ne!(x3, r4.random::<u64>());
        assert_ne!(x3, s3.random::<u64>());
    }

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

    #[test]
    fn normal_draws_have_unit_variance() {
        let mut rng = replicate_rng(2, 0);
        let z: Vec<f64> = (0..20000).map(|_| standard_normal(&mut rng)).collect();
        let m = z.iter().sum::<f64>() / z.len() as f64;
        let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / z.len() as f64;
        assert!(m.abs() < 0.03 && (v - 1.0).abs() < 0.05, "mean {m} var {v}");
    }
}
