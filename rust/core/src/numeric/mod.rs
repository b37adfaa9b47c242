//! One copy of each scalar numerical tool, used by every procedure that needs it: golden-section
//! search (`golden`), Brent's minimiser (`brent`), Brent's root finder (`root`), bisection
//! (`bisection`), and the replicate random streams (`rng`). The searches run many independent problems
//! in lockstep, so that an objective that is costly to call (a law over a block of budgets, a user's
//! Python callable) is called once per step for all of them.

pub mod bisection;
pub mod brent;
pub mod golden;
pub mod rng;
pub mod root;
