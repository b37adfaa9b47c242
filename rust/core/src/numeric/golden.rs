//! Golden-section search for the minimum of a unimodal function on a bracket (Kiefer 1953, "Sequential
//! minimax search for a maximum"), run on many independent brackets ("lanes") in lockstep.
//!
//! Each step shrinks every bracket by 1/phi and needs the objective at one new point per lane, so one
//! call of `eval` evaluates all lanes at once: a fitted law over a block of budgets in one
//! `predict_block`, or a user's Python callable in one call per step instead of one per point. Each
//! lane's sequence of points depends on its own bracket and values only.

use crate::error::Result;

/// 1/phi = (sqrt 5 - 1) / 2: the fraction of the bracket kept at each step.
pub const INV_PHI: f64 = 0.618_033_988_749_894_9;

/// Minimise on every bracket `[lo[i], hi[i]]` with `steps` golden-section steps (the bracket shrinks to
/// `(hi - lo) * INV_PHI^(steps + 1)`). `eval(x, out)` writes the objective at `x[i]` (a point of lane i)
/// into `out[i]`; it is called `steps + 2` times. Returns the best interior point of each lane and the
/// objective there. NaN values compare as "not lower", so a lane whose objective is NaN on the right
/// moves left; callers that can produce NaN should map it to +inf first.
pub fn golden_section<E>(lo: &[f64], hi: &[f64], steps: usize, mut eval: E) -> Result<(Vec<f64>, Vec<f64>)>
where
    E: FnMut(&[f64], &mut [f64]) -> Result<()>,
{
    let k = lo.len();
    let (mut lo, mut hi) = (lo.to_vec(), hi.to_vec());
    let mut x1: Vec<f64> = (0..k).map(|i| hi[i] - INV_PHI * (hi[i] - lo[i])).collect();
    let mut x2: Vec<f64> = (0..k).map(|i| lo[i] + INV_PHI * (hi[i] - lo[i])).collect();
    let (mut f1, mut f2) = (vec![0.0; k], vec![0.0; k]);
    eval(&x1, &mut f1)?;
    eval(&x2, &mut f2)?;
    let (mut y, mut val) = (vec![0.0; k], vec![0.0; k]);
    let mut left = vec![false; k];
    for _ in 0..steps {
        for i in 0..k {
            left[i] = f1[i] <= f2[i];
            if left[i] {
                hi[i] = x2[i];
                x2[i] = x1[i];
                f2[i] = f1[i];
                y[i] = hi[i] - INV_PHI * (hi[i] - lo[i]);
            } else {
                lo[i] = x1[i];
                x1[i] = x2[i];
                f1[i] = f2[i];
                y[i] = lo[i] + INV_PHI * (hi[i] - lo[i]);
            }
        }
        eval(&y, &mut val)?;
        for i in 0..k {
            if left[i] {
                x1[i] = y[i];
                f1[i] = val[i];
            } else {
                x2[i] = y[i];
                f2[i] = val[i];
            }
        }
    }
    Ok((0..k).map(|i| if f1[i] <= f2[i] { (x1[i], f1[i]) } else { (x2[i], f2[i]) }).unzip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_lanes_minimum() {
        let centres = [0.3, -2.0, 7.5];
        let lo = [-1.0, -5.0, 0.0];
        let hi = [1.0, 0.0, 10.0];
        let mut calls = 0;
        let (x, f) = golden_section(&lo, &hi, 80, |x, out| {
            calls += 1;
            for i in 0..x.len() {
                out[i] = (x[i] - centres[i]).powi(2) + i as f64;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 82);
        for i in 0..3 {
            assert!((x[i] - centres[i]).abs() < 1e-7, "{x:?}");
            assert!((f[i] - i as f64).abs() < 1e-13);
        }
    }

    #[test]
    fn a_monotone_function_ends_at_the_bracket_edge() {
        let (x, _) = golden_section(&[2.0], &[3.0], 60, |x, out| {
            out[0] = x[0];
            Ok(())
        })
        .unwrap();
        assert!((x[0] - 2.0).abs() < 1e-10);
    }

    #[test]
    fn errors_stop_the_search() {
        let r = golden_section(&[0.0], &[1.0], 10, |_, _| Err(crate::CoreError::Interrupted));
        assert!(r.is_err());
    }
}
