//! Fleets of fits: one law fitted to every group of a table (a learning curve per task, seed or
//! setting), each group with its own multi-start and, optionally, its own bootstrap intervals
//! (docs/fleets.md).
//!
//! - `groups`: the table's rows grouped once by integer codes (a counting sort), so that the work is
//!   linear in the table.
//! - `fits`: the groups fitted in parallel; per-group flags instead of a failed call.
//! - `intervals`: per-group bootstrap intervals, deterministic per (seed, group, replicate).
//! - `joint`: a joint fit per key (its rows split into groups sharing parameters), keys in parallel.

pub mod fits;
pub mod groups;
pub mod intervals;
pub mod joint;
pub mod starts;

pub use fits::{fit_fleet, group_seed, FleetFits, FleetSpec, FLAG_NAMES};
pub use groups::Groups;
pub use intervals::Resampling;
pub use joint::{fit_joint_fleet, JointFleetFits};
pub use starts::{pilot_groups, pilot_starts, FleetInit};
