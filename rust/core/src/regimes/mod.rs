//! Scaling regimes (Bahri, Dyer, Kaplan, Lee & Sharma 2021, "Explaining Neural Scaling Laws"; Sharma &
//! Kaplan 2020, "A Neural Scaling Law from the Dimension of the Data Manifold"; docs/methods.md
//! section 9): the intrinsic dimension d of the data manifold, whose resolution-limited exponent is
//! about 4/d.
//!
//! - `neighbours`: exact k-nearest-neighbour distances (principal axes, k-d tree, parallel queries).
//! - `dimension`: the TwoNN and Levina-Bickel estimators on those distances.

pub mod dimension;
pub mod neighbours;

pub use dimension::{levina_bickel, twonn, Dimension};
pub use neighbours::nearest_distances;
