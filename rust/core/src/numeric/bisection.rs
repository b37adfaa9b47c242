//! Bisection for the point where a monotone predicate switches, on many independent intervals
//! ("lanes") in lockstep, so that one call of the predicate serves every lane at each step (a law's
//! optimal loss over all target losses, or a user's Python cost function over a whole grid of model
//! sizes). Bisection is used where the answer only has to be bracketed and the function may be a
//! step or have kinks (a search's optimal loss, a cost function): it never leaves the bracket and
//! gains one bit per step whatever the function's shape.

use crate::error::Result;

/// Narrow every interval `[lo[i], hi[i]]` in place by `steps` halvings. `past(x, out)` sets `out[i]` when
/// `x[i]` lies at or past lane i's switch point (the predicate is false below it and true above); the
/// half containing the switch is kept, so on return `hi[i]` is the smallest point found where the
/// predicate holds (when it holds at the initial `hi[i]`) and `hi[i] - lo[i]` is the initial width
/// over 2^steps.
pub fn bisect<P>(lo: &mut [f64], hi: &mut [f64], steps: usize, mut past: P) -> Result<()>
where
    P: FnMut(&[f64], &mut [bool]) -> Result<()>,
{
    let k = lo.len();
    let mut mid = vec![0.0; k];
    let mut over = vec![false; k];
    for _ in 0..steps {
        for i in 0..k {
            mid[i] = 0.5 * (lo[i] + hi[i]);
        }
        past(&mid, &mut over)?;
        for i in 0..k {
            if over[i] {
                hi[i] = mid[i];
            } else {
                lo[i] = mid[i];
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_each_lanes_switch_point() {
        let roots = [2f64.sqrt(), 0.1, 9.99];
        let (mut lo, mut hi) = (vec![0.0; 3], vec![10.0; 3]);
        bisect(&mut lo, &mut hi, 40, |x, out| {
            for i in 0..x.len() {
                out[i] = x[i] * x[i] >= roots[i] * roots[i];
            }
            Ok(())
        })
        .unwrap();
        for i in 0..3 {
            assert!(lo[i] <= roots[i] && roots[i] <= hi[i]);
            assert!(hi[i] - lo[i] <= 10.0 / 2f64.powi(40));
        }
    }

    #[test]
    fn a_step_function_is_bracketed_exactly() {
        let (mut lo, mut hi) = (vec![-1.0], vec![1.0]);
        bisect(&mut lo, &mut hi, 40, |x, out| {
            out[0] = x[0] > 0.25;
            Ok(())
        })
        .unwrap();
        assert!(lo[0] <= 0.25 && hi[0] > 0.25 && hi[0] - lo[0] < 1e-11);
    }
}
