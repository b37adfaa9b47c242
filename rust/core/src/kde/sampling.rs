//! Drawing from a kernel density estimate (docs/methods.md section 4; `sc.KDE.resample`).
//!
//! A draw from f(x) = sum_i w_i K_H(x - x_i) picks sample i with probability w_i (Walker's alias table for
//! unequal weights, one uniform index otherwise) and adds a draw of the kernel. Every kernel is drawn exactly:
//! the kernel is radial in the whitened offset, K_H(v) proportional to k(|L^-1 v| / a) with H = L L^T (in 1-D,
//! L = h), so a draw is L times a direction (a random sign in 1-D, a normalised Gaussian vector in d > 1) times
//! a radius a t, where t has density proportional to t^(d-1) k(t). For the polynomial kernels the substitution
//! s = t^2 (t^3 for the tricube, t for the triangle) turns that density into a Beta density (Devroye 1986,
//! "Non-Uniform Random Variate Generation", section IX.2); the Laplace radius is Gamma(d, 1); the cosine
//! radius is its inverse CDF in 1-D and exact rejection from the uniform ball in d > 1. The Gaussian draws its
//! d coordinates as standard normals.
//!
//! Bounded estimates (1-D) are the reflection estimator of `boundary`: the sum over the images of the sample
//! in the reflection group of [a, b]. A draw from it is a draw of the unbounded kernel folded back into
//! [a, b] by reflecting at the bounds (repeatedly, modulo 2 (b - a), when both are finite): the folded
//! draw's density at x is the sum of the kernel over the images of x, which is the reflected estimate.
//!
//! Draw j uses the random stream (seed, j / BLOCK) of `numeric::rng`, so the draws depend on the seed and
//! their position only: any thread count gives the same bits, and the first m draws of a larger request are
//! the m draws of a smaller one.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::{Beta, Distribution, Gamma, StandardNormal};
use rayon::prelude::*;

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::estimator::Estimator;
use crate::kde::kernels::Kernel;
use crate::memory::ensure_allocatable;
use crate::numeric::rng::replicate_rng;

/// Draws per random stream (and per unit of progress): the streams are keyed by the draw's position, so
/// this constant, never the thread count, decides which stream a draw uses.
pub const BLOCK: usize = 1024;

/// The radius t = |w| / a of the whitened, scale-free kernel offset w, density proportional to t^(d-1) k(t).
#[derive(Debug, Clone, Copy)]
enum Radius {
    /// Every coordinate a standard normal (no separate radius).
    Gaussian,
    /// t = B^power with B ~ Beta.
    BetaPower(Beta<f64>, f64),
    /// t ~ Gamma(d, 1) (Laplace).
    Gamma(Gamma<f64>),
    /// 1-D cosine: the inverse of P(T <= t) = sin(pi t / 2).
    CosineLine,
    /// d > 1 cosine: t = U^(1/d) accepted with probability cos(pi t / 2).
    CosineBall,
}

impl Radius {
    fn new(kernel: Kernel, d: usize) -> Result<Self> {
        let n = d as f64;
        let beta = |a: f64, b: f64, power: f64| {
            Beta::new(a, b)
                .map(|dist| Radius::BetaPower(dist, power))
                .map_err(|e| CoreError::invalid("kernel", format!("no radius distribution in d={d}: {e}")))
        };
        match kernel {
            Kernel::Gaussian => Ok(Radius::Gaussian),
            Kernel::Tophat => beta(n, 1.0, 1.0),
            Kernel::Epanechnikov => beta(0.5 * n, 2.0, 0.5),
            Kernel::Biweight => beta(0.5 * n, 3.0, 0.5),
            Kernel::Triweight => beta(0.5 * n, 4.0, 0.5),
            Kernel::Tri => beta(n, 2.0, 1.0),
            Kernel::Tricube => beta(n / 3.0, 4.0, 1.0 / 3.0),
            Kernel::Laplace => Gamma::new(n, 1.0)
                .map(Radius::Gamma)
                .map_err(|e| CoreError::invalid("kernel", format!("no radius distribution in d={d}: {e}"))),
            Kernel::Cosine if d == 1 => Ok(Radius::CosineLine),
            Kernel::Cosine => Ok(Radius::CosineBall),
        }
    }

    fn draw(&self, rng: &mut ChaCha8Rng, d: usize) -> f64 {
        match self {
            Radius::Gaussian => 0.0,
            Radius::BetaPower(b, p) => b.sample(rng).powf(*p),
            Radius::Gamma(g) => g.sample(rng),
            Radius::CosineLine => std::f64::consts::FRAC_2_PI * rng.random::<f64>().asin(),
            Radius::CosineBall => loop {
                let t = rng.random::<f64>().powf(1.0 / d as f64);
                if rng.random::<f64>() < (std::f64::consts::FRAC_PI_2 * t).cos() {
                    break t;
                }
            },
        }
    }
}

/// The scale-free kernel offset w (in `out`, length d): whitened, with the kernel's own scale `a`.
fn offset(radius: &Radius, a: f64, rng: &mut ChaCha8Rng, out: &mut [f64]) {
    let d = out.len();
    if let Radius::Gaussian = radius {
        out.iter_mut().for_each(|v| *v = StandardNormal.sample(rng));
        return;
    }
    let r = a * radius.draw(rng, d);
    if d == 1 {
        out[0] = if rng.random::<bool>() { r } else { -r };
        return;
    }
    // A uniform direction: a standard normal vector, normalised (redrawn in the null event of all zeros).
    loop {
        out.iter_mut().for_each(|v| *v = StandardNormal.sample(rng));
        let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|v| *v *= r / norm);
            return;
        }
    }
}

/// `y` folded into [lo, hi] by reflection at the finite bounds (modulo 2 (hi - lo) when both are finite).
pub fn fold(y: f64, lo: f64, hi: f64) -> f64 {
    let width = hi - lo;
    let folded = if (2.0 * width).is_finite() {
        let t = (y - lo).rem_euclid(2.0 * width);
        lo + if t > width { 2.0 * width - t } else { t }
    } else if y < lo {
        // One bound, or a span beyond the float range: a single reflection reaches inside.
        lo + (lo - y)
    } else if y > hi {
        hi - (y - hi)
    } else {
        y
    };
    folded.clamp(lo, hi)
}

/// How the sample index of a draw is picked.
enum Pick {
    Uniform(usize),
    Alias(WeightedAliasIndex<f64>),
}

impl Pick {
    fn draw(&self, rng: &mut ChaCha8Rng) -> usize {
        match self {
            Pick::Uniform(n) => rng.random_range(0..*n),
            Pick::Alias(a) => a.sample(rng),
        }
    }
}

impl Estimator {
    /// `size` draws from the estimate, row-major (size x d), from the streams of `seed` (module notes).
    pub fn resample(&self, size: usize, seed: u64, control: &Control) -> Result<Vec<f64>> {
        let d = self.d();
        ensure_allocatable("size", size, size.saturating_mul(d), std::mem::size_of::<f64>())?;
        let pick = match self.normalised_weights() {
            None => Pick::Uniform(self.n()),
            Some(w) => Pick::Alias(
                WeightedAliasIndex::new(w.to_vec())
                    .map_err(|e| CoreError::invalid("weights", format!("cannot draw from these weights: {e}")))?,
            ),
        };
        let kernel = self.kernel();
        let radius = Radius::new(kernel, d)?;
        let a = kernel.scale();
        // The Cholesky factor of H (d > 1), or the kernel standard deviation as a 1 x 1 factor.
        let chol: Vec<f64> = if d == 1 { vec![self.h()] } else { self.chol().to_vec() };
        let bounds = self.bounds();
        let x = self.samples();
        control.set_total(size);
        let mut out = vec![0.0; size * d];
        out.par_chunks_mut(BLOCK * d).enumerate().try_for_each(|(block, chunk)| {
            control.check()?;
            let mut rng = replicate_rng(seed, block as u64);
            let mut w = vec![0.0; d];
            for row in chunk.chunks_exact_mut(d) {
                let i = pick.draw(&mut rng);
                offset(&radius, a, &mut rng, &mut w);
                for (k, v) in row.iter_mut().enumerate() {
                    let shift: f64 = (0..=k).map(|j| chol[k * d + j] * w[j]).sum();
                    *v = x[i * d + k] + shift;
                }
                if let Some((lo, hi)) = bounds {
                    row[0] = fold(row[0], lo, hi);
                }
            }
            control.advance(chunk.len() / d);
            Ok::<(), CoreError>(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kde::estimator::{BandwidthSpec, Method, Spec};
    use crate::kde::kernels::KERNEL_NAMES;

    fn estimator(x: &[f64], d: usize, kernel: Kernel, h: f64) -> Estimator {
        let spec = Spec {
            x: x.to_vec(),
            d,
            weights: None,
            bandwidth: BandwidthSpec::Value { h, label: None },
            kernel,
            method: Method::Exact,
            tolerance: 1e-6,
        };
        Estimator::new(spec, &Control::new()).unwrap()
    }

    #[test]
    fn kernel_draws_have_unit_variance_per_coordinate_in_one_dimension() {
        for name in KERNEL_NAMES {
            let k = Kernel::from_name(name).unwrap();
            let e = estimator(&[0.0], 1, k, 1.0);
            let draws = e.resample(200_000, 7, &Control::new()).unwrap();
            let mean = draws.iter().sum::<f64>() / draws.len() as f64;
            let var = draws.iter().map(|v| v * v).sum::<f64>() / draws.len() as f64;
            assert!(mean.abs() < 0.01, "{name}: mean {mean}");
            assert!((var - 1.0).abs() < 0.02, "{name}: variance {var}");
            if let Some(s) = k.support() {
                assert!(draws.iter().all(|v| v.abs() <= s * (1.0 + 1e-12)), "{name}: a draw beyond the support");
            }
        }
    }

    #[test]
    fn radial_draws_stay_in_the_support_and_have_the_radial_second_moment() {
        // E|w|^2 for the radial kernel in d dimensions: d a^2 E[t^2], with t^(d-1) k(t) the radius density.
        let d = 3;
        for name in KERNEL_NAMES {
            let k = Kernel::from_name(name).unwrap();
            let e = estimator(&[0.0; 3], d, k, 1.0);
            let draws = e.resample(100_000, 3, &Control::new()).unwrap();
            let a = k.scale();
            let (m, steps) = (60.0_f64, 600_000);
            let dt = m / steps as f64;
            let (mut z0, mut z2) = (0.0, 0.0);
            for s in 0..steps {
                let t = (s as f64 + 0.5) * dt;
                let f = t.powi(d as i32 - 1) * k.profile(t) * dt;
                z0 += f;
                z2 += t * t * f;
            }
            let expect = a * a * z2 / z0;
            let got = draws.chunks_exact(d).map(|r| r.iter().map(|v| v * v).sum::<f64>()).sum::<f64>()
                / (draws.len() / d) as f64;
            assert!((got / expect - 1.0).abs() < 0.02, "{name}: E|w|^2 {got} vs {expect}");
            if k.support().is_some() {
                let beyond = draws.chunks_exact(d).any(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt() > a * 1.000001);
                assert!(!beyond, "{name}: a draw beyond the support");
            }
        }
    }

    #[test]
    fn folding_lands_inside_and_is_the_identity_inside() {
        for y in [-7.3, -1.0, -0.2, 0.0, 0.4, 1.0, 1.6, 2.5, 13.9] {
            let v = fold(y, 0.0, 1.0);
            assert!((0.0..=1.0).contains(&v), "{y} -> {v}");
            assert!(fold(y, 0.0, f64::INFINITY) >= 0.0);
            assert!(fold(y, f64::NEG_INFINITY, 1.0) <= 1.0);
        }
        assert_eq!(fold(0.25, 0.0, 1.0), 0.25);
        assert_eq!(fold(-0.25, 0.0, 1.0), 0.25);
        assert_eq!(fold(1.25, 0.0, 1.0), 0.75);
        assert_eq!(fold(2.25, 0.0, 1.0), 0.25);
        // A span beyond the float range folds once and stays finite.
        assert_eq!(fold(-1e308, -1e308, 1e308), -1e308);
        assert!(fold(1.5e308, -1e308, 1e308).is_finite());
    }

    #[test]
    fn draws_do_not_depend_on_the_thread_count() {
        let x: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).sin()).collect();
        let e = estimator(&x, 1, Kernel::Epanechnikov, 0.3);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let a = one.install(|| e.resample(5000, 11, &Control::new()).unwrap());
        let b = three.install(|| e.resample(5000, 11, &Control::new()).unwrap());
        assert_eq!(a, b);
        let prefix = e.resample(1500, 11, &Control::new()).unwrap();
        assert_eq!(&a[..1500], &prefix[..]);
    }
}
