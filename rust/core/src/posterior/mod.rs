//! Bayesian posteriors over a law's parameters (docs/posterior.md).
//!
//! The likelihood treats the log loss of each run as the law's log prediction plus Gaussian noise of
//! unknown scale sigma; with the scale-invariant (Jeffreys) prior 1/sigma, sigma integrates out in
//! closed form and the posterior of the law's internal parameters is prior(theta) * SSR(theta)^(-n/2),
//! SSR being the sum of squared log residuals (Gelman et al. 2013, "Bayesian Data Analysis", 3.2).
//! Two approximations: Laplace (Gaussian at the mode, curvature from the law's analytic Jacobian) and
//! MCMC by the affine-invariant ensemble sampler (Goodman & Weare 2010, "Ensemble samplers with affine
//! invariance"), the stretch move emcee uses (Foreman-Mackey et al. 2013), with split R-hat and
//! effective sample sizes (Vehtari et al. 2021, "Rank-normalization, folding, and localization").

pub mod density;
pub mod diagnostics;
pub mod ensemble;
pub mod laplace;
pub mod predictive;

pub use density::{LogPosterior, Prior};
pub use diagnostics::{effective_sample_size, split_rhat};
pub use ensemble::{sample, EnsembleOptions, EnsembleRun};
pub use laplace::{gaussian_draws, laplace, Laplace};
pub use predictive::predict_draws;
