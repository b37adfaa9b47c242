//! One IsoFLOP budget: a weighted least-squares polynomial (degree 2 or 3) of loss against ln N and
//! the location of its interior minimum.
//!
//! `near` restricts the fit to the runs nearest the lowest observed loss (counted in distinct model
//! sizes, split as evenly as possible between the two sides of the lowest run; the Python default). Real sweeps are wide
//! and asymmetric: far up one wall of the valley the loss is not quadratic in ln N, and a parabola
//! through every point is dragged towards the longer wall. Near the minimum any smooth valley is
//! close to quadratic, so the local fit is nearly unbiased.

use std::fmt;

use nalgebra::{Matrix4, Vector4};

/// Why a budget has no usable minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Fewer distinct model sizes than the polynomial needs (at least 3, and degree + 1).
    TooFewPoints { have: usize, need: usize },
    /// The lowest observed loss is at the smallest or largest model: the valley is not bracketed.
    MinimumAtEdge,
    /// The fitted polynomial has no local minimum (e.g. a parabola opening downwards).
    NoMinimum,
    /// The fitted minimum lies outside the model sizes used to fit it.
    MinimumOutside,
}

impl Refusal {
    pub fn code(self) -> u8 {
        match self {
            Refusal::TooFewPoints { .. } => 1,
            Refusal::MinimumAtEdge => 2,
            Refusal::NoMinimum => 3,
            Refusal::MinimumOutside => 4,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooFewPoints { have, need } => {
                write!(f, "has {have} distinct model sizes; the fit needs at least {need}")
            }
            Refusal::MinimumAtEdge => {
                write!(f, "has its lowest loss at the smallest or largest model, so no interior minimum")
            }
            Refusal::NoMinimum => write!(f, "the fitted curve has no minimum (it opens downwards)"),
            Refusal::MinimumOutside => write!(f, "the fitted minimum lies outside the model sizes of the sweep"),
        }
    }
}

/// Weighted least squares for coefficients c_0..c_degree of sum c_k t^k, t = (x - shift) / scale,
/// by the normal equations (degree <= 3 on centred, scaled t is well conditioned), solved by
/// nalgebra's LU with partial pivoting. A pivot below 1e-12 (runs of almost no weight) is refused.
/// The system lives in a fixed 4 x 4 matrix (identity rows beyond the degree) and the points arrive
/// as an iterator (t, y, w): the bootstrap solves it once per budget and resample, and nothing here
/// touches the heap. Returns the coefficients in the first degree + 1 entries.
fn polyfit(points: impl Iterator<Item = (f64, f64, f64)>, degree: usize) -> Option<[f64; 4]> {
    let k = degree + 1;
    if k > 4 {
        return None;
    }
    let mut gram = Matrix4::<f64>::identity();
    for r in 0..k {
        gram[(r, r)] = 0.0;
    }
    let mut rhs = Vector4::<f64>::zeros();
    for (ti, yi, wi) in points {
        let mut pw = [1.0; 7];
        for p in 1..2 * k - 1 {
            pw[p] = pw[p - 1] * ti;
        }
        for r in 0..k {
            for c in 0..k {
                gram[(r, c)] += wi * pw[r + c];
            }
            rhs[r] += wi * pw[r] * yi;
        }
    }
    let lu = gram.lu();
    if lu.u().diagonal().iter().any(|v| v.is_nan() || v.abs() < 1e-12) {
        return None;
    }
    lu.solve(&rhs).map(|c| [c[0], c[1], c[2], c[3]])
}

fn poly_value(c: &[f64], t: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ck| acc * t + ck)
}

/// The local minimum of the polynomial, if it has one.
fn poly_minimum(c: &[f64]) -> Option<f64> {
    match c.len() {
        3 => (c[2] > 0.0).then(|| -c[1] / (2.0 * c[2])),
        4 => {
            // p'(t) = c1 + 2 c2 t + 3 c3 t^2; the local minimum is the root where p'' = 2 c2 + 6 c3 t > 0.
            let (qa, qb, qc) = (3.0 * c[3], 2.0 * c[2], c[1]);
            if qa.abs() <= 1e-12 * qb.abs() {
                return (qb > 0.0).then(|| -qc / qb);
            }
            let disc = qb * qb - 4.0 * qa * qc;
            if disc <= 0.0 {
                return None;
            }
            // Numerically stable roots; of the two, the minimum has p'' = +sqrt(disc) > 0.
            let q = -0.5 * (qb + qb.signum() * disc.sqrt());
            let (r1, r2) = (q / qa, qc / q);
            [r1, r2].into_iter().find(|&r| 2.0 * c[2] + 6.0 * c[3] * r > 0.0)
        }
        _ => None,
    }
}

/// Minimum (ln N_opt, loss at it) of one budget's runs. `w` are non-negative run weights (resampling
/// counts in the bootstrap; zero drops a run). `near`: distinct model sizes used around the lowest
/// run, None for all.
pub fn budget_minimum(
    x: &[f64],
    y: &[f64],
    w: &[f64],
    degree: usize,
    near: Option<usize>,
) -> Result<(f64, f64), Refusal> {
    let need = (degree + 1).max(3);
    // Distinct model sizes present, ascending, each with its lowest loss.
    let mut sizes: Vec<f64> = (0..x.len()).filter(|&i| w[i] > 0.0).map(|i| x[i]).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    if sizes.len() < need {
        return Err(Refusal::TooFewPoints { have: sizes.len(), need });
    }
    let best = (0..x.len())
        .filter(|&i| w[i] > 0.0)
        .min_by(|&i, &j| y[i].total_cmp(&y[j]).then(x[i].total_cmp(&x[j])))
        .ok_or(Refusal::TooFewPoints { have: 0, need })?;
    let at = sizes.partition_point(|&s| s < x[best]);
    if at == 0 || at == sizes.len() - 1 {
        return Err(Refusal::MinimumAtEdge);
    }
    let (lo, hi) = match near {
        None => (sizes[0], sizes[sizes.len() - 1]),
        Some(k) => {
            let k = k.max(need).min(sizes.len());
            // Split k - 1 neighbours between the sides, moving the surplus of a short side across.
            let left_avail = at;
            let right_avail = sizes.len() - 1 - at;
            let mut left = ((k - 1) / 2).min(left_avail);
            let right = (k - 1 - left).min(right_avail);
            left = (k - 1 - right).min(left_avail);
            (sizes[at - left], sizes[at + right])
        }
    };
    let shift = x[best];
    let scale = ((hi - lo) / 2.0).max(1e-12);
    let chosen = (0..x.len()).filter(|&i| w[i] > 0.0 && x[i] >= lo && x[i] <= hi);
    let coef = polyfit(chosen.map(|i| ((x[i] - shift) / scale, y[i], w[i])), degree)
        .ok_or(Refusal::TooFewPoints { have: sizes.len(), need })?;
    let coef = &coef[..=degree];
    let t_opt = poly_minimum(coef).ok_or(Refusal::NoMinimum)?;
    let x_opt = shift + scale * t_opt;
    if !(x_opt >= lo && x_opt <= hi) {
        return Err(Refusal::MinimumOutside);
    }
    Ok((x_opt, poly_value(coef, t_opt)))
}
