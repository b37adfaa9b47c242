//! Predictions of a law under many parameter draws at once (posterior or bootstrap draws, or the
//! refits of a backtest): one row of predictions per draw, computed in parallel.

use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::laws::{Columns, Law, Space};

/// Linear-space predictions at the rows of `cols` under each draw (rows of `thetas`, internal
/// coordinates, row-major with the law's number of parameters): row-major (draws x points).
pub fn predict_draws(law: &dyn Law, thetas: &[f64], cols: &Columns) -> Result<Vec<f64>> {
    let k = law.n_params();
    if thetas.len() % k != 0 {
        return Err(CoreError::invalid("params", format!("rows of {k} values are needed for the {} law", law.name())));
    }
    let feats = law.features(cols)?;
    let n = feats.n_rows;
    let mut out = vec![0.0; thetas.len() / k * n];
    if n == 0 {
        return Ok(out);
    }
    out.par_chunks_mut(n).zip(thetas.par_chunks(k)).for_each(|(row, theta)| {
        law.predict_block(theta, &feats, 0, n, Space::Linear, row, None);
    });
    Ok(out)
}
