//! Laws written as expressions: `E + A * N^-alpha + B * D^-beta` parsed (`parse`), checked and folded
//! into a graph of operations (`graph`), evaluated over blocks of rows with reverse-mode derivatives
//! (`tape`, `ops`), and wrapped as a `Law` (`law`, its parameters and start grid in `start`, the forms
//! it recognises in `structure`) that every fit, bootstrap and allocation accepts. Laws given as a
//! host-language function (`callable`) share the parameters, grids and registry (`registry`).
//!
//! Expressions are data: they are parsed by a small recursive-descent parser and evaluated by the
//! interpreter here, so no user text ever reaches a compiler or an `eval`.

mod callable;
mod graph;
mod law;
mod ops;
mod parse;
mod penalty;
mod registry;
mod start;
mod structure;
mod tape;

pub use callable::{Callable, Failed, FnLaw};
pub use graph::FUNCTIONS;
pub use law::{Definition, ExprLaw, INPUTS};
pub use penalty::{penalty, PenaltyExpr};
pub use registry::{define, define_fn, defined_names, lookup};
