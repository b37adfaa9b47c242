//! Kernel density estimation (methods.md section 4): kernels, bandwidth rules, the exact windowed sum,
//! the binned FFT method and the Biroli-Mezard diagnostics.

pub mod bandwidth;
pub mod binned;
pub mod diagnostics;
pub mod exact;
pub mod kernels;
pub mod multivariate;

pub use exact::{sort_sample, Quantity, Sorted};
pub use kernels::Kernel;
