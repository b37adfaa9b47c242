//! Evaluation variance (Madaan et al. 2024, "Quantifying Variance in Evaluation Benchmarks";
//! docs/methods.md section 7): the resampling and rank statistics behind `sc.variance`.
//!
//! - `kendall`: Kendall's tau-b in O(K log K) with scipy's tie handling and p-values, for monotonicity
//!   of a score over checkpoints and the stability of model rankings.
//! - `item_bootstrap`: intervals of benchmark scores and paired differences by resampling items, on
//!   per-(seed, replicate) random streams.

pub mod item_bootstrap;
pub mod kendall;

pub use item_bootstrap::{item_bootstrap, ItemBootstrap};
pub use kendall::{tau_b, tau_b_rows, KendallTau};
