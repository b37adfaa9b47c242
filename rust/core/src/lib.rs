//! scalecore-core: the numerical engine of scalecore, free of Python.
//!
//! Every public function takes slices and plain structs and returns `Result<_, CoreError>`;
//! the binding crate (`rust/python`) only converts arguments, releases the GIL and maps errors.

pub mod allocation;
pub mod bootstrap;
pub mod bounds;
pub mod control;
pub mod curves;
pub mod error;
pub mod expr;
pub mod fastmath;
pub mod fit;
pub mod fleet;
pub mod inductive_bias;
pub mod isoflop;
pub mod kde;
pub mod laws;
pub mod memory;
pub mod numeric;
pub mod parallel;
pub mod posterior;
pub mod profile;
pub mod regimes;
pub mod variance;

pub use error::CoreError;
