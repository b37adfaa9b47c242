//! The affine-invariant ensemble sampler (Goodman & Weare 2010, "Ensemble samplers with affine
//! invariance"), with the stretch move and the two-halves update of emcee (Foreman-Mackey et al. 2013,
//! "emcee: The MCMC Hammer"): each walker of one half proposes Y = X_k + z (X_j - X_k) towards a random
//! walker k of the other half, z drawn from g(z) proportional to 1/sqrt(z) on [1/a, a], and accepts with
//! probability min(1, z^(d-1) p(Y) / p(X_j)). The move needs no gradient and no tuning beyond a, and is
//! invariant under affine maps, so the strongly correlated A-alpha ridges of scaling laws cost nothing.
//!
//! Chains are independent ensembles run in parallel; chain c draws from the stream (seed, c) only, so
//! the draws are bit-identical for any thread count.

use rand::Rng;
use rayon::prelude::*;

use super::density::LogPosterior;
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::numeric::rng::{replicate_rng, standard_normal};

#[derive(Debug, Clone, Copy)]
pub struct EnsembleOptions {
    pub n_chains: usize,
    pub n_walkers: usize,
    /// Kept steps per walker (after burn-in and thinning).
    pub n_steps: usize,
    pub n_burn: usize,
    pub thin: usize,
    /// The stretch scale a (2 in Goodman & Weare and emcee).
    pub stretch: f64,
    pub seed: u64,
}

/// Draws of every walker of every chain: `draws[((w * n_steps) + s) * k + j]` for the flattened walker
/// w = chain * n_walkers + walker (ArviZ's chain axis), kept step s, parameter j.
#[derive(Debug, Clone)]
pub struct EnsembleRun {
    pub draws: Vec<f64>,
    pub log_density: Vec<f64>,
    /// Fraction of accepted proposals per chain (burn-in included).
    pub acceptance: Vec<f64>,
    pub n_params: usize,
}

/// Walkers start from `center + L z` with L the lower Cholesky factor of `init_cov` (row-major k x k)
/// and z standard normal; a start of zero density is redrawn (up to 100 times) nearer the centre.
pub fn sample(
    post: &LogPosterior,
    center: &[f64],
    init_cov: &[f64],
    opts: &EnsembleOptions,
    control: &Control,
) -> Result<EnsembleRun> {
    let k = post.n_params();
    check_options(opts, k)?;
    if center.len() != k || init_cov.len() != k * k {
        return Err(CoreError::invalid("init", format!("needs a centre of {k} values and a {k} x {k} covariance")));
    }
    let chol = nalgebra::DMatrix::from_row_slice(k, k, init_cov)
        .cholesky()
        .ok_or_else(|| CoreError::invalid("init", "the initial covariance is not positive definite"))?
        .l();
    let mut scratch = vec![0.0; post.n_runs()];
    if post.log_density(center, &mut scratch) == f64::NEG_INFINITY {
        return Err(CoreError::invalid(
            "prior",
            "the posterior density is zero at the starting point (the fit's optimum)",
        ));
    }
    control.set_total(opts.n_chains * (opts.n_burn + opts.n_steps * opts.thin));
    let chains: Vec<Result<ChainDraws>> =
        (0..opts.n_chains).into_par_iter().map(|c| run_chain(post, center, &chol, opts, c as u64, control)).collect();
    let mut out = EnsembleRun { draws: Vec::new(), log_density: Vec::new(), acceptance: Vec::new(), n_params: k };
    for chain in chains {
        let (d, l, a) = chain?;
        out.draws.extend(d);
        out.log_density.extend(l);
        out.acceptance.push(a);
    }
    Ok(out)
}

fn check_options(opts: &EnsembleOptions, k: usize) -> Result<()> {
    if opts.n_walkers < 2 * k || opts.n_walkers % 2 != 0 {
        return Err(CoreError::invalid(
            "n_walkers",
            format!("must be even and at least twice the number of parameters ({}), got {}", 2 * k, opts.n_walkers),
        ));
    }
    for (name, v) in [("n_chains", opts.n_chains), ("n_steps", opts.n_steps), ("thin", opts.thin)] {
        if v == 0 {
            return Err(CoreError::invalid(name, "must be at least 1, got 0"));
        }
    }
    if !(opts.stretch.is_finite() && opts.stretch > 1.0) {
        return Err(CoreError::invalid("stretch", format!("must be greater than 1, got {}", opts.stretch)));
    }
    Ok(())
}

/// One chain's walkers' kept draws (walker-major), their log densities, and its acceptance rate.
type ChainDraws = (Vec<f64>, Vec<f64>, f64);

/// Run one chain (its own random stream).
fn run_chain(
    post: &LogPosterior,
    center: &[f64],
    chol: &nalgebra::DMatrix<f64>,
    opts: &EnsembleOptions,
    chain: u64,
    control: &Control,
) -> Result<ChainDraws> {
    let k = post.n_params();
    let w = opts.n_walkers;
    let mut rng = replicate_rng(opts.seed, chain);
    let mut scratch = vec![0.0; post.n_runs()];
    let mut pos = vec![0.0; w * k];
    let mut lp = vec![0.0; w];
    for i in 0..w {
        let mut shrink = 1.0;
        for _ in 0..100 {
            let z: Vec<f64> = (0..k).map(|_| standard_normal(&mut rng)).collect();
            for r in 0..k {
                let step: f64 = (0..=r).map(|c| chol[(r, c)] * z[c]).sum();
                pos[i * k + r] = center[r] + shrink * step;
            }
            lp[i] = post.log_density(&pos[i * k..(i + 1) * k], &mut scratch);
            if lp[i] > f64::NEG_INFINITY {
                break;
            }
            shrink *= 0.5;
        }
        if lp[i] == f64::NEG_INFINITY {
            pos[i * k..(i + 1) * k].copy_from_slice(center);
            lp[i] = post.log_density(center, &mut scratch);
        }
    }
    let total = opts.n_burn + opts.n_steps * opts.thin;
    let mut draws = vec![0.0; w * opts.n_steps * k];
    let mut dens = vec![0.0; w * opts.n_steps];
    let (mut accepted, mut proposed) = (0usize, 0usize);
    let half = w / 2;
    let a = opts.stretch;
    let mut proposal = vec![0.0; k];
    for step in 0..total {
        control.check()?;
        for first in [0, half] {
            let other = if first == 0 { half } else { 0 };
            for j in first..first + half {
                let partner = other + rng.random_range(0..half);
                let u: f64 = rng.random();
                let z = ((a - 1.0) * u + 1.0).powi(2) / a;
                for p in 0..k {
                    let xk = pos[partner * k + p];
                    proposal[p] = xk + z * (pos[j * k + p] - xk);
                }
                let lp_new = post.log_density(&proposal, &mut scratch);
                let log_accept = (k as f64 - 1.0) * z.ln() + lp_new - lp[j];
                let v: f64 = rng.random();
                proposed += 1;
                if lp_new > f64::NEG_INFINITY && v.ln() < log_accept {
                    pos[j * k..(j + 1) * k].copy_from_slice(&proposal);
                    lp[j] = lp_new;
                    accepted += 1;
                }
            }
        }
        control.advance(1);
        if step >= opts.n_burn && (step - opts.n_burn + 1) % opts.thin == 0 {
            let s = (step - opts.n_burn) / opts.thin;
            for i in 0..w {
                let at = (i * opts.n_steps + s) * k;
                draws[at..at + k].copy_from_slice(&pos[i * k..(i + 1) * k]);
                dens[i * opts.n_steps + s] = lp[i];
            }
        }
    }
    Ok((draws, dens, accepted as f64 / proposed.max(1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws::{self, Columns};
    use crate::posterior::Prior;

    fn data() -> (Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (0..30).map(|i| 10f64.powf(1.0 + 0.1 * i as f64)).collect();
        let mut rng = replicate_rng(3, 0);
        let y = x.iter().map(|v| (1.5 + 20.0 * v.powf(-0.5)) * (0.01 * standard_normal(&mut rng)).exp()).collect();
        (x, y)
    }

    #[test]
    fn draws_do_not_depend_on_the_thread_count() {
        let law = laws::get("power").unwrap();
        let (x, y) = data();
        let priors = vec![Prior::Flat { lower: f64::NEG_INFINITY, upper: f64::INFINITY }; 3];
        let post = LogPosterior::new(law.as_ref(), &Columns { x: Some(&x), ..Columns::default() }, &y, priors).unwrap();
        let opts =
            EnsembleOptions { n_chains: 3, n_walkers: 8, n_steps: 50, n_burn: 20, thin: 2, stretch: 2.0, seed: 7 };
        let cov = [1e-4, 0.0, 0.0, 0.0, 1e-4, 0.0, 0.0, 0.0, 1e-4];
        let center = [1.5f64.ln(), 20f64.ln(), 0.5];
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| sample(&post, &center, &cov, &opts, &Control::new()).unwrap())
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.draws, two.draws);
        assert_eq!(one.draws.len(), 3 * 8 * 50 * 3);
        assert!(one.acceptance.iter().all(|a| *a > 0.1 && *a < 0.9));
    }

    #[test]
    fn too_few_walkers_are_refused() {
        let law = laws::get("power").unwrap();
        let (x, y) = data();
        let priors = vec![Prior::Flat { lower: f64::NEG_INFINITY, upper: f64::INFINITY }; 3];
        let post = LogPosterior::new(law.as_ref(), &Columns { x: Some(&x), ..Columns::default() }, &y, priors).unwrap();
        let opts = EnsembleOptions { n_chains: 1, n_walkers: 4, n_steps: 5, n_burn: 0, thin: 1, stretch: 2.0, seed: 0 };
        let err =
            sample(&post, &[0.0, 3.0, 0.5], &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], &opts, &Control::new());
        assert!(err.unwrap_err().to_string().starts_with("n_walkers"));
    }
}
