//! Quantities derived from a law's parameters, for every bootstrap replicate at once: the
//! compute-optimal allocation (docs/methods.md section 5; Hoffmann et al. 2022, "Training
//! Compute-Optimal Large Language Models") through the core's `allocation` module, the allocation
//! exponents a and b, and the predicted loss at given inputs. Intervals of the allocation at many
//! budgets come from one call (`allocation_intervals`), not one per budget and quantity.

use super::intervals::{check_level, interval, Method};
use crate::allocation::{self, Budgets, CostModel, Status};
use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::laws::{Columns, Law, Space};

/// A named derived quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// N_opt's exponent in C: beta / (alpha + beta) (chinchilla).
    A,
    /// D_opt's exponent in C: alpha / (alpha + beta) (chinchilla).
    B,
    /// G = (alpha A / (beta B))^(1 / (alpha + beta)), N_opt at C = f (chinchilla).
    G,
    NOpt,
    DOpt,
    TokensPerParam,
    LossOpt,
    /// The predicted loss at given inputs.
    Loss,
}

impl Derived {
    pub const NAMES: [&'static str; 8] = ["a", "b", "G", "N_opt", "D_opt", "tokens_per_param", "loss_opt", "loss"];
    const ALL: [Derived; 8] = [
        Derived::A,
        Derived::B,
        Derived::G,
        Derived::NOpt,
        Derived::DOpt,
        Derived::TokensPerParam,
        Derived::LossOpt,
        Derived::Loss,
    ];

    pub fn parse(name: &str) -> Result<Derived> {
        Derived::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Derived::ALL[i])
            .ok_or_else(|| CoreError::invalid("quantity", format!("unknown {name:?}; known: {:?}", Derived::NAMES)))
    }

    pub fn name(self) -> &'static str {
        Derived::NAMES[Derived::ALL.iter().position(|d| *d == self).unwrap_or(0)]
    }
}

/// Inputs of a derived quantity: the budget for the allocation quantities, N and D for the loss.
#[derive(Debug, Clone, Copy, Default)]
pub struct At {
    pub compute: Option<f64>,
    pub flops_per_param_token: f64,
    pub n: Option<f64>,
    pub d: Option<f64>,
}

/// `which` under each parameter vector of `thetas` (internal coordinates, rows of the law's
/// parameters). A row whose parameters admit no value (e.g. a non-positive exponent) gives NaN.
pub fn evaluate(law: &dyn Law, which: Derived, thetas: &[Vec<f64>], at: At) -> Result<Vec<f64>> {
    if let Some(bad) = thetas.iter().find(|t| t.len() != law.n_params()) {
        return Err(CoreError::invalid(
            "params",
            format!("{} needs {} values, got {}", law.name(), law.n_params(), bad.len()),
        ));
    }
    match which {
        Derived::Loss => predicted_loss(law, thetas, at),
        Derived::A | Derived::B | Derived::G if law.chinchilla_form().is_none() => Err(CoreError::invalid(
            "quantity",
            format!(
                "{:?} is defined for laws of the form E + A / N^alpha + B / D^beta (chinchilla), not {:?}",
                which.name(),
                law.name()
            ),
        )),
        Derived::A | Derived::B => Ok(thetas
            .iter()
            .map(|t| {
                let [_, _, _, alpha, beta] = law.as_chinchilla(t).unwrap_or([f64::NAN; 5]);
                if which == Derived::A {
                    beta / (alpha + beta)
                } else {
                    alpha / (alpha + beta)
                }
            })
            .collect()),
        // At C = f the closed form's N_opt is G itself (C/f = 1).
        Derived::G => per_row(law, thetas, at.flops_per_param_token, at.flops_per_param_token, |n, _, _| n),
        _ => {
            let compute = at.compute.ok_or_else(|| {
                CoreError::invalid("compute", format!("{:?} needs a compute budget, e.g. compute=1e24", which.name()))
            })?;
            per_row(law, thetas, compute, at.flops_per_param_token, |n, d, loss| match which {
                Derived::NOpt => n,
                Derived::DOpt => d,
                Derived::TokensPerParam => d / n,
                _ => loss,
            })
        }
    }
}

/// One allocation per row at one budget, mapped by `pick(N, D, loss)`; NaN where there is none.
fn per_row(
    law: &dyn Law,
    thetas: &[Vec<f64>],
    compute: f64,
    f: f64,
    pick: impl Fn(f64, f64, f64) -> f64,
) -> Result<Vec<f64>> {
    let compute = [compute];
    let budgets = Budgets { compute: &compute, inference_tokens: &[0.0], unique_tokens: None };
    let cost = CostModel { flops_per_param_token: f };
    let rows = allocation::allocate_many(law, thetas, &budgets, &cost, &Control::new())?;
    Ok(rows
        .into_iter()
        .map(|r| match r {
            Ok(a) if a.status.first() == Some(&Status::Optimal) => pick(a.n[0], a.d[0], a.loss[0]),
            _ => f64::NAN,
        })
        .collect())
}

fn predicted_loss(law: &dyn Law, thetas: &[Vec<f64>], at: At) -> Result<Vec<f64>> {
    let (n, d) = (at.n.map(|v| [v]), at.d.map(|v| [v]));
    if n.is_none() && d.is_none() {
        return Err(CoreError::invalid("loss", "give the inputs of the prediction, e.g. N= and D="));
    }
    let mut cols = Columns { n: n.as_ref().map(|v| &v[..]), d: d.as_ref().map(|v| &v[..]), ..Columns::default() };
    if law.inputs().contains(&"x") {
        cols = Columns { x: cols.n.or(cols.d), ..Columns::default() };
    }
    let feats = law.features(&cols)?;
    Ok(thetas
        .iter()
        .map(|t| {
            let mut pred = [0.0];
            law.predict_block(t, &feats, 0, 1, Space::Linear, &mut pred, None);
            pred[0]
        })
        .collect())
}

/// Compute-optimal allocation with bootstrap intervals, per budget: point values at `theta_hat`,
/// intervals from the replicates `thetas` (and the jackknife refits for BCa).
#[derive(Debug, Clone, Default)]
pub struct AllocationIntervals {
    /// How the point allocation ended at each budget.
    pub status: Vec<Status>,
    /// N, D, loss and D / N per budget, in that order.
    pub values: [Vec<f64>; 4],
    /// (low, high) of each of the four per budget.
    pub intervals: [Vec<(f64, f64)>; 4],
}

/// The quantities of `AllocationIntervals`, in its order.
pub const ALLOCATION_QUANTITIES: [&str; 4] = ["N_opt", "D_opt", "loss_opt", "tokens_per_param"];

/// What the intervals do with a replicate that has no interior optimum at a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unallocated {
    /// Refuse the call, as for any bootstrap quantity that is not finite in every replicate (and refuse
    /// a budget whose point estimate has no interior optimum).
    Refuse,
    /// Leave the replicate out of that budget's intervals (NaN intervals when none is left); the point
    /// status is reported, not refused. For parameter samples from elsewhere, whose replicates were
    /// not all fitted to the same runs.
    Skip,
}

/// The bootstrap distribution of one quantity at one budget, under the `Unallocated` policy: `None`
/// when skipping has left nothing.
fn usable<'a>(values: &'a [f64], policy: Unallocated, name: &str) -> Result<Option<std::borrow::Cow<'a, [f64]>>> {
    let bad = values.iter().filter(|v| !v.is_finite()).count();
    match policy {
        _ if bad == 0 => Ok(Some(values.into())),
        Unallocated::Refuse => Err(CoreError::invalid(
            "quantity",
            format!(
                "{name:?} is not finite for {bad} of {} samples (e.g. a non-positive exponent in a refit)",
                values.len()
            ),
        )),
        Unallocated::Skip if bad == values.len() => Ok(None),
        Unallocated::Skip => Ok(Some(values.iter().copied().filter(|v| v.is_finite()).collect())),
    }
}

/// Allocation at every budget of `budgets` under `theta_hat` and under each replicate, with intervals
/// at `level` by `method` on the one interval path of the bootstrap (`intervals::interval`).
#[allow(clippy::too_many_arguments)]
pub fn allocation_intervals(
    law: &dyn Law,
    theta_hat: &[f64],
    thetas: &[Vec<f64>],
    jackknife: &[Vec<f64>],
    budgets: &Budgets,
    cost: &CostModel,
    level: f64,
    method: Method,
    policy: Unallocated,
    control: &Control,
) -> Result<AllocationIntervals> {
    check_level(level)?;
    let compute = budgets.compute;
    let point = allocation::allocate(law, theta_hat, budgets, cost, control)?;
    // Rows of (N, D, loss, D/N) per budget, NaN where a replicate has no interior optimum.
    let table = |rows: &[Vec<f64>]| -> Result<Vec<[Vec<f64>; 4]>> {
        let many = allocation::allocate_many(law, rows, budgets, cost, control)?;
        let mut out: Vec<[Vec<f64>; 4]> = (0..compute.len()).map(|_| Default::default()).collect();
        for r in many {
            for (b, cols) in out.iter_mut().enumerate() {
                let v = match &r {
                    Ok(a) if a.status[b] == Status::Optimal => [a.n[b], a.d[b], a.loss[b], a.d[b] / a.n[b]],
                    _ => [f64::NAN; 4],
                };
                cols.iter_mut().zip(v).for_each(|(c, x)| c.push(x));
            }
        }
        Ok(out)
    };
    let samples = table(thetas)?;
    let jack = if method == Method::Bca { table(jackknife)? } else { Vec::new() };
    let mut out = AllocationIntervals { status: point.status.clone(), ..Default::default() };
    for (b, cols) in samples.iter().enumerate() {
        if policy == Unallocated::Refuse && point.status[b] != Status::Optimal {
            return Err(CoreError::invalid(
                "compute",
                format!("no compute-optimal allocation at {}: {}", compute[b], point.status[b]),
            ));
        }
        let est = [point.n[b], point.d[b], point.loss[b], point.d[b] / point.n[b]];
        for q in 0..4 {
            let name = ALLOCATION_QUANTITIES[q];
            let jq: Option<Vec<f64>> = jack.get(b).map(|c| match policy {
                Unallocated::Skip => c[q].iter().copied().filter(|v| v.is_finite()).collect(),
                Unallocated::Refuse => c[q].clone(),
            });
            let iv = match usable(&cols[q], policy, name)? {
                Some(dist) => {
                    let j: Vec<&[f64]> = jq.as_deref().into_iter().collect();
                    let iv = interval(&dist, est[q], &j, level, method)?;
                    (iv.low, iv.high)
                }
                None => (f64::NAN, f64::NAN),
            };
            out.values[q].push(est[q]);
            out.intervals[q].push(iv);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws;

    const HOFFMANN: [f64; 5] = [0.5267228, 6.0073404, 6.0179186, 0.33917084, 0.2849083];

    #[test]
    fn derived_quantities_follow_the_closed_form() {
        let law = laws::get("chinchilla").unwrap();
        let rows = vec![HOFFMANN.to_vec(), vec![0.5, 6.0, 6.0, -0.1, 0.3]];
        let at = At { compute: Some(1e24), flops_per_param_token: 6.0, n: Some(7e10), d: Some(1.4e12) };
        let n_opt = evaluate(law.as_ref(), Derived::NOpt, &rows, at).unwrap();
        let (alpha, beta) = (HOFFMANN[3], HOFFMANN[4]);
        let g = (alpha * HOFFMANN[1].exp() / (beta * HOFFMANN[2].exp())).powf(1.0 / (alpha + beta));
        assert!((n_opt[0] / (g * (1e24f64 / 6.0).powf(beta / (alpha + beta))) - 1.0).abs() < 1e-12);
        assert!(n_opt[1].is_nan());
        let big_g = evaluate(law.as_ref(), Derived::G, &rows, at).unwrap();
        assert!((big_g[0] / g - 1.0).abs() < 1e-12);
        let a = evaluate(law.as_ref(), Derived::A, &rows[..1], at).unwrap()[0];
        assert!((a - beta / (alpha + beta)).abs() < 1e-15);
        let loss = evaluate(law.as_ref(), Derived::Loss, &rows[..1], at).unwrap()[0];
        let want =
            HOFFMANN[0].exp() + HOFFMANN[1].exp() / 7e10f64.powf(alpha) + HOFFMANN[2].exp() / 1.4e12f64.powf(beta);
        assert!((loss / want - 1.0).abs() < 1e-12);
        let no_budget = At { compute: None, ..at };
        assert!(matches!(evaluate(law.as_ref(), Derived::DOpt, &rows, no_budget),
            Err(CoreError::InvalidInput { ref name, .. }) if name == "compute"));
        assert!(Derived::parse("gamma").is_err());
        assert_eq!(Derived::parse("loss_opt").unwrap().name(), "loss_opt");
    }

    #[test]
    fn allocation_intervals_bracket_the_point_values() {
        let law = laws::get("chinchilla").unwrap();
        let rows: Vec<Vec<f64>> =
            (0..50).map(|i| HOFFMANN.iter().map(|v| v * (1.0 + 0.002 * (i as f64 - 24.5))).collect()).collect();
        let compute = [1e22, 1e24];
        let budgets = Budgets { compute: &compute, inference_tokens: &[0.0, 0.0], unique_tokens: None };
        let cost = CostModel { flops_per_param_token: 6.0 };
        let run = |rows: &[Vec<f64>], policy| {
            allocation_intervals(
                law.as_ref(),
                &HOFFMANN,
                rows,
                &[],
                &budgets,
                &cost,
                0.9,
                Method::Percentile,
                policy,
                &Control::new(),
            )
        };
        let out = run(&rows, Unallocated::Refuse).unwrap();
        for q in 0..4 {
            for b in 0..2 {
                let (lo, hi) = out.intervals[q][b];
                assert!(lo <= out.values[q][b] && out.values[q][b] <= hi, "{q} {b}");
            }
        }
        // A replicate with no allocation (negative alpha) refuses, or is left out when skipping.
        let mut with_bad = rows.clone();
        with_bad.push(vec![0.5, 6.0, 6.0, -0.1, 0.3]);
        assert!(matches!(run(&with_bad, Unallocated::Refuse),
            Err(CoreError::InvalidInput { ref name, .. }) if name == "quantity"));
        let skipped = run(&with_bad, Unallocated::Skip).unwrap();
        assert_eq!(skipped.intervals, out.intervals);
        let none = run(&with_bad[50..], Unallocated::Skip).unwrap();
        assert!(none.intervals[0][0].0.is_nan() && none.values[0][0] == out.values[0][0]);
    }
}
