//! Hoffmann et al.'s closed form for L = E + A / N^alpha + B / D^beta under C = f N D:
//! G = (alpha A / (beta B))^(1/(alpha+beta)), N_opt = G (C/f)^(beta/(alpha+beta)),
//! D_opt = G^-1 (C/f)^(alpha/(alpha+beta)), and along that path
//! L*(C) = E + K (C/f)^(-alpha beta/(alpha+beta)) with K = A G^-alpha + B G^beta, which inverts exactly.

use super::{Allocation, Status};
use crate::error::{CoreError, Result};

struct Closed {
    e: f64,
    g: f64,
    a_exp: f64,
    b_exp: f64,
    k: f64,
    alpha: f64,
    beta: f64,
    big_a: f64,
    big_b: f64,
}

fn closed(theta: &[f64]) -> Result<Closed> {
    let (e, a, b, alpha, beta) = (theta[0].exp(), theta[1], theta[2], theta[3], theta[4]);
    if !(alpha > 0.0 && beta > 0.0) {
        return Err(CoreError::invalid(
            "params",
            format!("compute-optimal allocation needs positive exponents; got alpha={alpha}, beta={beta}"),
        ));
    }
    let s = alpha + beta;
    let ln_g = (alpha.ln() + a - beta.ln() - b) / s;
    let g = ln_g.exp();
    let k = (a - alpha * ln_g).exp() + (b + beta * ln_g).exp();
    Ok(Closed { e, g, a_exp: beta / s, b_exp: alpha / s, k, alpha, beta, big_a: a.exp(), big_b: b.exp() })
}

pub fn chinchilla_allocation(theta: &[f64], compute: &[f64], f: f64) -> Result<Allocation> {
    let c = closed(theta)?;
    let mut out = Allocation::with_capacity(compute.len());
    for &budget in compute {
        let s = budget / f;
        let n = c.g * s.powf(c.a_exp);
        let d = s.powf(c.b_exp) / c.g;
        out.n.push(n);
        out.d.push(d);
        out.loss.push(c.e + c.big_a * n.powf(-c.alpha) + c.big_b * d.powf(-c.beta));
        out.status.push(Status::Optimal);
    }
    Ok(out)
}

/// Least training compute whose optimal allocation reaches each target loss (NaN and `Unreachable`
/// for targets at or below E).
pub fn chinchilla_compute_for_loss(theta: &[f64], targets: &[f64], f: f64) -> Result<(Vec<f64>, Allocation)> {
    let c = closed(theta)?;
    let power = -(c.alpha + c.beta) / (c.alpha * c.beta);
    let compute: Vec<f64> =
        targets.iter().map(|&t| if t > c.e { f * ((t - c.e) / c.k).powf(power) } else { f64::NAN }).collect();
    let finite: Vec<f64> = compute.iter().map(|&v| if v.is_finite() && v > 0.0 { v } else { 1.0 }).collect();
    let mut alloc = chinchilla_allocation(theta, &finite, f)?;
    for (i, v) in compute.iter().enumerate() {
        if !(v.is_finite() && *v > 0.0) {
            alloc.n[i] = f64::NAN;
            alloc.d[i] = f64::NAN;
            alloc.loss[i] = f64::NAN;
            alloc.status[i] = Status::Unreachable;
        }
    }
    Ok((compute, alloc))
}
