//! The forward area S1 and the annealing area S2 of Tissue, Wang & Wang 2024, "Scaling Law with
//! Learning Rate Annealing": at step s, S1 = sum_{t <= s} eta_t and S2 = sum_{t <= s} m_t with the
//! momentum m_t = lambda m_{t-1} + (eta_{t-1} - eta_t), so that the loss of one run under any schedule
//! follows L(s) = L0 + A S1^-alpha - C S2.
//!
//! Both are sums over optimizer steps, while a log holds the learning rate only at its checkpoints. The
//! learning rate is taken as linear in the step between consecutive checkpoints (exact when every step
//! is a row) and as the first checkpoint's value before it. The sums are taken step by step rather than
//! in closed form over a gap: the closed form of the geometric momentum sum cancels catastrophically
//! for short gaps and lambda near 1, and a step costs a few flops (1e8 steps take well under a second).
//! The warm-up's rise of the learning rate is not annealing: the momentum starts at each curve's
//! `anneal_from` step (the end of its warm-up) and is zero before it, while S1 counts every step.

use rayon::prelude::*;

use crate::control::Control;
use crate::error::{CoreError, Result};

/// Steps beyond this are refused: the areas are summed step by step, and a larger step count is a unit
/// mistake (tokens given as steps) rather than a training run.
const MAX_STEP: f64 = 1e10;
/// Steps between two checks for cancellation inside one long curve.
const CHECK_EVERY: u64 = 1 << 22;

/// A table of curves: `offsets` (one more than the number of curves, from 0 to the number of rows,
/// non-decreasing) cut `step` (and `lr`, when given) into curves; `names` name the curves in errors.
pub struct CurveTable<'a> {
    pub offsets: &'a [usize],
    pub step: &'a [f64],
    pub lr: Option<&'a [f64]>,
    pub names: &'a [String],
}

/// The forward and annealing areas at every row of a `CurveTable`.
#[derive(Debug, Clone, PartialEq)]
pub struct Areas {
    pub forward: Vec<f64>,
    pub annealing: Vec<f64>,
}

fn name_of(t: &CurveTable<'_>, i: usize) -> String {
    t.names.get(i).cloned().unwrap_or_else(|| format!("#{i}"))
}

/// The rules of a table of curves, in one place: every curve has at least two checkpoints, steps are
/// whole numbers in [0, 1e10] strictly increasing along a curve, learning rates are finite and
/// non-negative.
pub fn check(t: &CurveTable<'_>) -> Result<()> {
    let n = t.step.len();
    let off = t.offsets;
    if off.first() != Some(&0) || off.last() != Some(&n) || off.windows(2).any(|w| w[0] > w[1]) {
        return Err(CoreError::invalid("offsets", format!("must rise from 0 to the number of rows {n}")));
    }
    if let Some(lr) = t.lr {
        if lr.len() != n {
            return Err(CoreError::invalid("lr", format!("has {} rows, step has {n}", lr.len())));
        }
    }
    for (i, w) in off.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        if b - a < 2 {
            return Err(CoreError::invalid(
                "step",
                format!("curve {} has {} checkpoint(s); a curve needs at least two", name_of(t, i), b - a),
            ));
        }
        for j in a..b {
            let s = t.step[j];
            if !(s.is_finite() && (0.0..=MAX_STEP).contains(&s) && s.fract() == 0.0) {
                return Err(CoreError::invalid(
                    "step",
                    format!("curve {}: steps must be whole numbers in [0, 1e10], got {s}", name_of(t, i)),
                ));
            }
            if j > a && s <= t.step[j - 1] {
                return Err(CoreError::invalid(
                    "step",
                    format!(
                        "curve {}: steps must increase along a curve, got {} after {} (sort the table by step)",
                        name_of(t, i),
                        s,
                        t.step[j - 1]
                    ),
                ));
            }
            if let Some(lr) = t.lr {
                if !(lr[j].is_finite() && lr[j] >= 0.0) {
                    return Err(CoreError::invalid(
                        "lr",
                        format!("curve {} at step {s}: must be finite and non-negative, got {}", name_of(t, i), lr[j]),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// S1 and S2 (module docs) at every row, with momentum decay `decay` in [0, 1) and each curve's
/// annealing starting after step `anneal_from[i]`. Curves run in parallel; each is a sequential sum, so
/// the result does not depend on the thread count.
pub fn schedule_areas(t: &CurveTable<'_>, anneal_from: &[f64], decay: f64, control: &Control) -> Result<Areas> {
    check(t)?;
    let lr = t.lr.ok_or_else(|| CoreError::invalid("lr", "the schedule areas need a learning-rate column"))?;
    if !(0.0..1.0).contains(&decay) {
        return Err(CoreError::invalid("decay", format!("must be in [0, 1), got {decay}")));
    }
    let n_curves = t.offsets.len() - 1;
    if anneal_from.len() != n_curves || anneal_from.iter().any(|w| !w.is_finite()) {
        return Err(CoreError::invalid("warmup", format!("needs one finite step per curve ({n_curves})")));
    }
    let n = t.step.len();
    let mut forward = vec![0.0; n];
    let mut annealing = vec![0.0; n];
    // Each curve gets its own disjoint pieces of the two outputs.
    let mut pieces = Vec::with_capacity(n_curves);
    let (mut f_rest, mut a_rest) = (forward.as_mut_slice(), annealing.as_mut_slice());
    for w in t.offsets.windows(2) {
        let len = w[1] - w[0];
        let (f, fr) = f_rest.split_at_mut(len);
        let (a, ar) = a_rest.split_at_mut(len);
        pieces.push((w[0], f, a));
        f_rest = fr;
        a_rest = ar;
    }
    control.set_total(n_curves);
    pieces.into_par_iter().enumerate().try_for_each(|(i, (start, f, a))| {
        let rows = start..start + f.len();
        curve_areas(&t.step[rows.clone()], &lr[rows], anneal_from[i], decay, f, a, control)?;
        control.advance(1);
        Ok(())
    })?;
    Ok(Areas { forward, annealing })
}

/// One curve's areas, step by step (module docs).
fn curve_areas(
    step: &[f64],
    lr: &[f64],
    anneal_from: f64,
    decay: f64,
    forward: &mut [f64],
    annealing: &mut [f64],
    control: &Control,
) -> Result<()> {
    let (mut s1, mut s2, mut m) = (0.0_f64, 0.0_f64, 0.0_f64);
    let (mut prev_step, mut prev_lr) = (0.0_f64, lr.first().copied().unwrap_or(0.0));
    let mut eta_prev = prev_lr;
    let mut since_check = 0_u64;
    for (j, (&s, &eta_j)) in step.iter().zip(lr).enumerate() {
        // Whole numbers at most 1e10 (checked), so the gap is exact as an integer.
        let gap = (s - prev_step) as u64;
        for i in 1..=gap {
            let t = prev_step + i as f64;
            let eta = prev_lr + (eta_j - prev_lr) * (i as f64 / gap as f64);
            s1 += eta;
            if t > anneal_from {
                m = decay * m + (eta_prev - eta);
                s2 += m;
            }
            eta_prev = eta;
        }
        since_check += gap;
        if since_check >= CHECK_EVERY {
            control.check()?;
            since_check = 0;
        }
        forward[j] = s1;
        annealing[j] = s2;
        prev_step = s;
        prev_lr = eta_j;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table<'a>(offsets: &'a [usize], step: &'a [f64], lr: &'a [f64], names: &'a [String]) -> CurveTable<'a> {
        CurveTable { offsets, step, lr: Some(lr), names }
    }

    #[test]
    fn constant_schedule_has_no_annealing_and_a_linear_forward_area() {
        let step: Vec<f64> = (0..5).map(|i| (i * 10) as f64).collect();
        let lr = vec![0.5; 5];
        let names = vec!["a".to_string()];
        let out = schedule_areas(&table(&[0, 5], &step, &lr, &names), &[0.0], 0.999, &Control::new()).unwrap();
        assert_eq!(out.forward, vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert!(out.annealing.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn one_drop_decays_geometrically() {
        // lr 1 at every step up to 1, then 0: m_2 = 1, m_t = lambda^(t-2), S2(3) = 1 + lambda.
        let step = [1.0, 2.0, 3.0];
        let lr = [1.0, 0.0, 0.0];
        let names = vec!["a".to_string()];
        let out = schedule_areas(&table(&[0, 3], &step, &lr, &names), &[0.0], 0.5, &Control::new()).unwrap();
        assert_eq!(out.forward, vec![1.0, 1.0, 1.0]);
        assert_eq!(out.annealing, vec![0.0, 1.0, 1.5]);
    }

    #[test]
    fn bad_curves_are_named() {
        let names = vec!["run-7".to_string()];
        let e = check(&table(&[0, 2], &[5.0, 3.0], &[1.0, 1.0], &names)).unwrap_err();
        assert!(e.to_string().contains("run-7") && e.to_string().contains("increase"), "{e}");
        let e = check(&table(&[0, 1], &[5.0], &[1.0], &names)).unwrap_err();
        assert!(e.to_string().contains("at least two"), "{e}");
        let e = check(&table(&[0, 2], &[1.0, 2.0], &[1.0, -1.0], &names)).unwrap_err();
        assert!(e.to_string().starts_with("lr:"), "{e}");
        let e = check(&table(&[0, 3], &[1.0, 2.0], &[1.0, 1.0], &names)).unwrap_err();
        assert!(e.to_string().starts_with("offsets:"), "{e}");
    }
}
