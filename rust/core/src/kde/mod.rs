//! Kernel density estimation (docs/methods.md section 4): kernels, bandwidth rules, the exact windowed sum,
//! the binned FFT method, exact sums on grids (`grid_1d`, `grid_2d`, `tensor`), radial kernels in d > 1,
//! the Biroli-Mezard diagnostics, and the `Estimator` that owns them all.

pub mod bandwidth;
pub mod binned;
pub mod boundary;
pub mod diagnostics;
pub mod estimator;
pub mod exact;
pub mod grid_1d;
mod grid_1d_gauss;
mod grid_1d_moments;
pub mod grid_2d;
mod grid_2d_gauss;
mod integrals;
pub mod isj_2d;
pub mod kernels;
pub mod multivariate;
mod peak_bound;
pub mod per_dimension;
pub mod queries;
pub mod radial;
pub mod rules;
pub mod sampling;
mod search;
pub mod spec;
mod tensor;

pub use estimator::{owned_samples, BandwidthSpec, Estimator, Method, Spec, METHOD_NAMES};
pub use exact::{sort_sample, Quantity, Sorted};
pub use kernels::{Kernel, KERNEL_NAMES};
pub use rules::{Rule, RULE_NAMES};
pub use spec::DimBandwidth;
