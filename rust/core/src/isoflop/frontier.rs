//! Approach 1 of Hoffmann et al.: from the training curves of several model sizes, the lowest loss
//! reached at each compute (the efficient frontier) and the model that reaches it.

use crate::error::{CoreError, Result};

#[derive(Debug, Clone)]
pub struct Frontier {
    pub ln_c: Vec<f64>,
    pub loss: Vec<f64>,
    /// Index of the model on the frontier at each point.
    pub model: Vec<usize>,
}

/// `model[i]` names the curve of point i (0..n_models), `ln_c[i]` its compute so far, `loss[i]` its
/// loss. Each curve is interpolated linearly in (ln C, loss) over its own compute range; the frontier is
/// evaluated on `n_grid` log-spaced computes across all curves, at each taking the lowest curve that
/// covers it.
pub fn efficient_frontier(
    model: &[usize],
    ln_c: &[f64],
    loss: &[f64],
    n_models: usize,
    n_grid: usize,
) -> Result<Frontier> {
    let n = model.len();
    if ln_c.len() != n || loss.len() != n {
        return Err(CoreError::invalid("runs", "model, C and loss columns differ in length"));
    }
    if n_grid < 2 {
        return Err(CoreError::invalid("n_grid", format!("must be at least 2, got {n_grid}")));
    }
    // The frontier's three columns.
    crate::memory::ensure_allocatable("n_grid", n_grid, n_grid, 3 * 8)?;
    if let Some(bad) = ln_c.iter().chain(loss).find(|v| !v.is_finite()) {
        return Err(CoreError::invalid("runs", format!("C and loss must be finite, got {bad}")));
    }
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n_models];
    for i in 0..n {
        curves
            .get_mut(model[i])
            .ok_or_else(|| CoreError::invalid("model", format!("index {} out of range", model[i])))?
            .push((ln_c[i], loss[i]));
    }
    for c in &mut curves {
        c.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let lo = ln_c.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ln_c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi <= lo {
        return Err(CoreError::invalid("runs", "every run has the same compute C: a frontier needs at least two"));
    }
    let mut out = Frontier { ln_c: Vec::new(), loss: Vec::new(), model: Vec::new() };
    for g in 0..n_grid {
        let at = lo + (hi - lo) * g as f64 / (n_grid - 1) as f64;
        let mut best: Option<(f64, usize)> = None;
        for (m, curve) in curves.iter().enumerate() {
            let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
                continue;
            };
            if at < first.0 || at > last.0 {
                continue;
            }
            let j = curve.partition_point(|p| p.0 < at);
            let value = if j == 0 {
                curve[0].1
            } else {
                let (p, q) = (curve[j - 1], curve[j]);
                if q.0 > p.0 {
                    p.1 + (q.1 - p.1) * (at - p.0) / (q.0 - p.0)
                } else {
                    q.1
                }
            };
            if best.is_none_or(|(v, _)| value < v) {
                best = Some((value, m));
            }
        }
        if let Some((v, m)) = best {
            out.ln_c.push(at);
            out.loss.push(v);
            out.model.push(m);
        }
    }
    Ok(out)
}
