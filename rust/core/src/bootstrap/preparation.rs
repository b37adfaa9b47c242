//! What a fit bootstrap prepares once, from the full-data fit, before any replicate: the guard optima
//! that check each warm refit, or in robust mode the best grid starts that each replicate re-screens
//! (see `refit` for how replicates use them).

use rayon::prelude::*;

use super::refit::FitBootstrap;
use crate::control::Control;
use crate::error::Result;
use crate::fit::Problem;

/// Best full-data grid starts kept for re-screening on each robust replicate.
const SCREEN_KEEP: usize = 128;
/// Above this many runs, start screening uses an even subsample of about half this size.
const SCREEN_ROWS: usize = 8192;
/// At most this many guard optima are kept.
const MAX_GUARDS: usize = 4;

/// What `prepare` finds on the full data once per bootstrap.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub guards: Vec<Vec<f64>>,
    pub screened: Vec<Vec<f64>>,
}

impl FitBootstrap<'_, '_> {
    /// Once per bootstrap, from what the full-data fit kept (`FitOutcome::optima` and `screened`):
    /// the distinct local optima other than `theta_hat` (guards), or in robust mode the best
    /// `SCREEN_KEEP` grid starts by objective value. The grid is screened here only when the fit did
    /// not screen it (user starts or the full Hoffmann grid) and robust mode needs it.
    pub fn prepare(&self, optima: &[Vec<f64>], screened: &[Vec<f64>], control: &Control) -> Result<Prepared> {
        let problem = self.problem;
        let n = problem.n_rows();
        let sub;
        let screen: &Problem = if n > SCREEN_ROWS {
            sub = problem.subsample(n.div_ceil(SCREEN_ROWS / 2));
            &sub
        } else {
            problem
        };
        if self.robust {
            if !screened.is_empty() {
                return Ok(Prepared { guards: Vec::new(), screened: screened.to_vec() });
            }
            let grid: Vec<Vec<f64>> =
                problem.law.default_grid().into_iter().map(|s| self.expand(&self.map.reduce(&s))).collect();
            let values: Vec<f64> = grid.par_iter().map(|t| screen.value(t)).collect();
            control.check()?;
            let mut order: Vec<usize> = (0..grid.len()).filter(|&i| values[i].is_finite()).collect();
            order.sort_by(|&i, &j| values[i].total_cmp(&values[j]).then(i.cmp(&j)));
            let screened = order.iter().take(SCREEN_KEEP).map(|&i| grid[i].clone()).collect();
            return Ok(Prepared { guards: Vec::new(), screened });
        }
        // On large tables the optima may be the screening subsample's: they only serve as starts.
        let f_hat = screen.value(&self.theta_hat);
        let mut found: Vec<(Vec<f64>, f64)> = optima
            .iter()
            .map(|t| (t.clone(), screen.value(t)))
            .filter(|(_, f)| f.is_finite() && *f > f_hat + 1e-6 * f_hat.abs())
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut guards: Vec<Vec<f64>> = Vec::new();
        for (theta, _) in found {
            let near = |t: &Vec<f64>| t.iter().zip(&theta).all(|(a, b)| (a - b).abs() < 1e-3 * b.abs().max(1.0));
            if !near(&self.theta_hat) && !guards.iter().any(near) && guards.len() < MAX_GUARDS {
                guards.push(theta);
            }
        }
        Ok(Prepared { guards, screened: Vec::new() })
    }
}
