//! Laws written as expressions: `E + A * N^-alpha + B * D^-beta` parsed (`parse`), checked and folded
//! into a graph of operations (`graph`), evaluated over blocks of rows with reverse-mode derivatives
//! (`tape`, `ops`), and wrapped as a `Law` (`law`) that every fit, bootstrap and allocation accepts.
//!
//! Expressions are data: they are parsed by a small recursive-descent parser and evaluated by the
//! interpreter here, so no user text ever reaches a compiler or an `eval`.

mod graph;
mod law;
mod ops;
mod parse;
mod penalty;
mod tape;

pub use graph::FUNCTIONS;
pub use law::{define, defined_names, lookup, Definition, ExprLaw, INPUTS};
pub use penalty::{penalty, PenaltyExpr};
