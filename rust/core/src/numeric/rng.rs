//! Random streams of replicates, the one rule every Monte Carlo procedure follows (bootstrap
//! replicates, IsoFLOP resamples, the regression oracle's draws).
//!
//! Replicate `i` of a procedure with seed `s` draws from ChaCha8 seeded with `s` and switched to
//! stream `i` (`set_stream`): a counter-based generator whose output depends on `(s, i)` only. Which
//! thread runs a replicate, in what order, and how the replicates are cut into chunks (threads,
//! `map=` hooks, Dask workers) therefore cannot change a single bit of any result.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The random stream of replicate `replicate` of a procedure seeded with `seed`.
pub fn replicate_rng(seed: u64, replicate: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(replicate);
    rng
}

/// A standard normal draw (rand_distr's ziggurat sampler).
pub fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
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
    fn normal_draws_have_unit_variance() {
        let mut rng = replicate_rng(2, 0);
        let z: Vec<f64> = (0..20000).map(|_| standard_normal(&mut rng)).collect();
        let m = z.iter().sum::<f64>() / z.len() as f64;
        let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / z.len() as f64;
        assert!(m.abs() < 0.03 && (v - 1.0).abs() < 0.05, "mean {m} var {v}");
    }
}
