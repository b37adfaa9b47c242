//! Scaling regimes (Bahri, Dyer, Kaplan, Lee & Sharma 2021, "Explaining Neural Scaling Laws"; Sharma &
//! Kaplan 2020, "A Neural Scaling Law from the Dimension of the Data Manifold"; docs/methods.md
//! section 9): the intrinsic dimension d of the data manifold, whose resolution-limited exponent is
//! about 4/d.
//!
//! - `principal`: the points rotated onto their principal axes (axes without spread dropped).
//! - `kd_tree`: the k-d tree with tight boxes the search walks.
//! - `screen`: the single-precision screen that spares the search most exact point distances.
//! - `neighbours`: exact k-nearest-neighbour distances (one depth-first walk per query, parallel queries).
//! - `dimension`: the TwoNN and Levina-Bickel estimators on those distances.

pub mod dimension;
mod kd_tree;
pub mod neighbours;
mod principal;
mod screen;

pub use dimension::{levina_bickel, twonn, Dimension};
pub use neighbours::nearest_distances;
