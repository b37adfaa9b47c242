//! A fit bootstrap prepared once from a `Fit`, owned, so that it can be kept, shipped to workers and
//! asked for any chunk of replicates or for the jackknife refits.
//!
//! Preparing takes from the fit what it already found: its optimum (the warm start), its other local
//! optima (the guards) or screened grid starts (robust mode), and its Hessian (for the whitening).
//! Nothing is searched or differenced again, whether the replicates are run in one call, in chunks on
//! `map=` workers, or followed by BCa's jackknife. Each call rebuilds only the O(runs) views of the
//! data (features, fitted values), never the search.

use std::sync::Arc;

use rand::seq::SliceRandom;

use super::preparation::Prepared;
use super::refit::{FitBootstrap, Refits};
use super::rng::replicate_rng;
use super::schemes::{Resampler, Scheme};
use super::whitening::Whitening;
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::fit::Fit;

/// Above this many runs the BCa jackknife leaves out groups of runs (a grouped, delete-d jackknife
/// over `JACKKNIFE_GROUPS` random groups) instead of single runs: the acceleration is a ratio of
/// moments of the jackknife values, which a few hundred groups estimate well, and a million refits of
/// a million-run table would take hours.
pub const MAX_JACKKNIFE: usize = 2000;
pub const JACKKNIFE_GROUPS: usize = 500;
/// The random stream of the jackknife's grouping: one that no replicate uses (replicate i draws from
/// stream i).
const JACKKNIFE_STREAM: u64 = u64::MAX;

pub struct PreparedBootstrap {
    pub fit: Arc<Fit>,
    pub scheme: Scheme,
    pub robust: bool,
    pub seed: u64,
    pub prepared: Prepared,
    whitening: Whitening,
}

impl PreparedBootstrap {
    /// Prepare replicates of `fit` under `scheme`.
    pub fn new(fit: Arc<Fit>, scheme: Scheme, robust: bool, seed: u64, control: &Control) -> Result<Self> {
        let whitening = whitening(&fit)?;
        let mut out = PreparedBootstrap { fit, scheme, robust, seed, prepared: Prepared::default(), whitening };
        let (optima, screened) = (&out.fit.outcome.optima, &out.fit.outcome.screened);
        out.prepared = out.with_bootstrap(|boot| boot.prepare(optima, screened, control))?;
        Ok(out)
    }

    /// A prepared bootstrap from its parts (e.g. unpickled on a worker), not prepared again.
    pub fn from_parts(fit: Arc<Fit>, scheme: Scheme, robust: bool, seed: u64, prepared: Prepared) -> Result<Self> {
        let k = fit.spec.law.n_params();
        if prepared.guards.iter().chain(&prepared.screened).any(|t| t.len() != k || t.iter().any(|v| !v.is_finite())) {
            return Err(CoreError::invalid("state", format!("guards and starts need {k} finite values each")));
        }
        let whitening = whitening(&fit)?;
        Ok(PreparedBootstrap { fit, scheme, robust, seed, prepared, whitening })
    }

    fn with_bootstrap<T>(&self, work: impl FnOnce(&FitBootstrap) -> Result<T>) -> Result<T> {
        let spec = &self.fit.spec;
        let problem = spec.problem()?;
        let map = spec.map()?;
        let theta_hat = self.fit.outcome.theta.clone();
        let resampler =
            Resampler::new(self.scheme.clone(), &problem, &theta_hat, spec.weights.as_deref(), map.n_free())?;
        let boot = FitBootstrap {
            problem: &problem,
            map,
            lbfgs: spec.lbfgs,
            theta_hat,
            resampler,
            robust: self.robust,
            whitening: self.whitening.clone(),
        };
        work(&boot)
    }

    /// Refits of replicates `first..first + count`; replicate i depends on (seed, i) only.
    pub fn replicates(&self, first: u64, count: usize, control: &Control) -> Result<Refits> {
        // One full parameter vector per replicate, plus a failure flag.
        let k = self.fit.spec.law.n_params();
        crate::memory::ensure_allocatable("n_resamples", count, count, 8 * (k + 1))?;
        self.with_bootstrap(|boot| boot.replicates(&self.prepared, self.seed, first, count, control))
    }

    /// The jackknife groups: the clusters of the cluster scheme, single runs up to `MAX_JACKKNIFE`
    /// runs, else `JACKKNIFE_GROUPS` groups of runs drawn at random from the bootstrap's seed.
    pub fn jackknife_groups(&self) -> (Vec<usize>, usize) {
        let n = self.fit.spec.n_runs();
        if let Scheme::Cluster { groups, n_groups } = &self.scheme {
            return (groups.clone(), *n_groups);
        }
        if n <= MAX_JACKKNIFE {
            return ((0..n).collect(), n);
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut replicate_rng(self.seed, JACKKNIFE_STREAM));
        let mut groups = vec![0; n];
        for (position, &run) in order.iter().enumerate() {
            groups[run] = position % JACKKNIFE_GROUPS;
        }
        (groups, JACKKNIFE_GROUPS)
    }

    /// The jackknife refits (one per group of `jackknife_groups`).
    pub fn jackknife(&self, control: &Control) -> Result<Refits> {
        let (groups, n_groups) = self.jackknife_groups();
        self.with_bootstrap(|boot| boot.jackknife(&self.prepared, &groups, n_groups, control))
    }
}

/// The whitening of the refits, from the Hessian the fit computed.
fn whitening(fit: &Fit) -> Result<Whitening> {
    let z_hat = fit.spec.map()?.reduce(&fit.outcome.theta);
    Ok(Whitening::from_hessian(z_hat, &fit.plain_hessian()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{FitSpec, Init, LbfgsOptions, Objective};

    fn fit(n: usize) -> Arc<Fit> {
        let mut rng = replicate_rng(9, 0);
        let (mut big_n, mut big_d, mut loss) = (vec![], vec![], vec![]);
        for i in 0..n {
            let ni = 5e7 * 10f64.powf((i % 9) as f64 / 4.0);
            let di = 1e9 * 10f64.powf((i / 9 % 9) as f64 / 4.0);
            let clean = 1.69 + 406.4 / ni.powf(0.34) + 410.7 / di.powf(0.28);
            big_n.push(ni);
            big_d.push(di);
            loss.push(clean * (0.02 * super::super::rng::standard_normal(&mut rng)).exp());
        }
        let cols = vec![("N".to_string(), big_n), ("D".to_string(), big_d)];
        let spec = FitSpec::new(
            "chinchilla",
            cols,
            loss,
            None,
            Objective::LsqLog,
            vec![],
            vec![],
            Init::Auto,
            LbfgsOptions::default(),
        )
        .unwrap();
        Arc::new(Fit::run(spec, &Control::new()).unwrap())
    }

    #[test]
    fn chunks_and_rebuilt_preparations_give_the_same_bits() {
        let control = Control::new();
        let prep = PreparedBootstrap::new(fit(81), Scheme::Pairs, false, 3, &control).unwrap();
        let whole = prep.replicates(0, 12, &control).unwrap();
        let again =
            PreparedBootstrap::from_parts(prep.fit.clone(), Scheme::Pairs, false, 3, prep.prepared.clone()).unwrap();
        let mut parts = again.replicates(0, 5, &control).unwrap();
        let rest = again.replicates(5, 7, &control).unwrap();
        parts.theta.extend(rest.theta);
        parts.objective.extend(rest.objective);
        parts.failed.extend(rest.failed);
        assert_eq!(whole, parts);
        assert!(whole.failed.iter().all(|f| !f));
    }

    #[test]
    fn large_tables_get_a_grouped_jackknife_from_the_seed() {
        let control = Control::new();
        let prep = PreparedBootstrap::new(fit(MAX_JACKKNIFE + 7), Scheme::Pairs, false, 1, &control).unwrap();
        let (groups, n_groups) = prep.jackknife_groups();
        assert_eq!(n_groups, JACKKNIFE_GROUPS);
        let mut sizes = vec![0; n_groups];
        groups.iter().for_each(|&g| sizes[g] += 1);
        assert!(sizes.iter().all(|&s| s == 4 || s == 5), "{sizes:?}");
        assert_eq!(groups, prep.jackknife_groups().0);
        let other = PreparedBootstrap::from_parts(prep.fit.clone(), Scheme::Pairs, false, 2, prep.prepared.clone());
        assert_ne!(groups, other.unwrap().jackknife_groups().0);
        let small = PreparedBootstrap::new(fit(30), Scheme::Pairs, false, 1, &control).unwrap();
        assert_eq!(small.jackknife_groups(), ((0..30).collect(), 30));
    }
}
