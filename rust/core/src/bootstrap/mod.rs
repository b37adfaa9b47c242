//! Bootstrap: resampled refits of scaling-law fits and bootstrap intervals of statistics
//! (docs/methods.md section 3).
//!
//! - `rng`: replicate i draws from a stream determined by (seed, i) only, so every result is
//!   bit-identical for any thread count and any split of the replicates into chunks.
//! - `schemes`: pairs, cluster, residual, wild and parametric replicates of a fit problem.
//! - `refit`: the parallel refit driver (warm starts guarded against other basins, or the robust
//!   multi-start), failed refits counted, jackknife refits for BCa.
//! - `prepared`: a fit bootstrap prepared once from a `Fit` (owned: kept, shipped, run in chunks).
//! - `derived`: quantities derived from the parameters of every replicate (allocation, predictions).
//! - `whitening`: coordinates in which a warm refit's first L-BFGS step is the Newton step.
//! - `statistics`: built-in statistics streamed one resample at a time; `sample_statistics` computes them
//!   from values, `jackknife` gives their leave-one-out values in O(n) or O(n log n).
//! - `blocks`: independent draws or moving, circular and stationary blocks for dependent data, and
//!   Politis & White's automatic block length.
//! - `batch`: batches of independent statistic problems sharing each replicate's indices (`axis=`).
//! - `intervals`: percentile, basic and BCa intervals as scipy.stats.bootstrap computes them.

pub mod batch;
pub mod blocks;
pub mod derived;
pub mod intervals;
mod jackknife;
mod preparation;
pub mod prepared;
pub mod refit;
pub mod rng;
mod sample_statistics;
pub mod schemes;
pub mod statistics;
pub mod whitening;

pub use blocks::Resampling;
pub use derived::Derived;
pub use intervals::{interval, Interval, Method};
pub use preparation::Prepared;
pub use prepared::PreparedBootstrap;
pub use refit::{FitBootstrap, Refits};
pub use schemes::{Resampler, Scheme, WildWeights};
pub use statistics::Statistic;
pub use whitening::Whitening;
