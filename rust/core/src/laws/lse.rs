//! The log-sum-exp kernel shared by the additive laws (power, chinchilla, ...):
//! log(exp(c1 + s1 x1) + exp(c2 + s2 x2) + exp(c3)) row by row, with its softmax weights, which are the
//! derivatives of the log prediction with respect to c1, c2 and c3.
//!
//! Shifting by the constant c3 (log E) instead of each row's maximum needs two exponentials per row
//! instead of three, and no comparison: exp(t - c3) overflows only when a power-law term exceeds the
//! irreducible loss by a factor e^709, which the optimiser meets only on absurd line-search trials; those
//! evaluate to a non-finite objective, and the line search then shortens its step.
//!
//! The loops are branch-free over rows and use `fastmath`, so they compile to packed arithmetic.
//! (`w3` must be given whenever derivatives are asked for.)

use super::Space;
use crate::fastmath::{exp, ln_at_least_one};

pub struct Lse3<'a> {
    pub c1: f64,
    pub s1: f64,
    pub x1: &'a [f64],
    /// The second power-law term, absent for one-term laws.
    pub term2: Option<(f64, f64, &'a [f64])>,
    pub c3: f64,
}

/// Fill `pred` with the prediction in `space` and, when asked, `w` with its derivatives with respect
/// to (c1, c2, c3) (`w[1]` is left untouched for one-term laws).
///
/// On x86-64 processors with AVX2 the same code runs compiled for 4-wide vectors instead of SSE2's 2.
/// That changes no result bit: every operation is an element-wise IEEE operation (FMA stays off, so
/// nothing is contracted), so a machine with AVX2 and one without give identical fits.
///
/// Predictions alone (no derivatives: what users and the fit's reports see) are exact at extreme
/// parameters too: rows where the fast kernel's shift by c3 over- or underflowed are recomputed.
pub fn lse3_block(t: &Lse3, space: Space, pred: &mut [f64], w: Option<[&mut [f64]; 3]>) {
    let values_only = w.is_none();
    dispatch(t, space, pred, w);
    if values_only {
        repair_extremes(t, space, pred);
    }
}

fn dispatch(t: &Lse3, space: Space, pred: &mut [f64], w: Option<[&mut [f64]; 3]>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above), the only requirement of the call.
            return unsafe { lse3_block_avx2(t, space, pred, w) };
        }
    }
    lse3_block_portable(t, space, pred, w)
}

/// Rows whose fast value is not a finite (for linear space: positive) number, recomputed by the
/// textbook log-sum-exp, shifted by the row's largest term and with the standard library's exp and ln.
/// The kernel shifts every row by c3 = log E and its exp flushes below e^-707 to zero, so a tiny E
/// (1e-310) or a power-law term e^709 times E overflows or vanishes although the prediction itself is
/// an ordinary number. Such rows are rare (the check is one pass), so they cost nothing in a fit.
fn repair_extremes(t: &Lse3, space: Space, pred: &mut [f64]) {
    for (i, p) in pred.iter_mut().enumerate() {
        let ok = match space {
            Space::Log => p.is_finite(),
            Space::Linear => p.is_finite() && *p > 0.0,
        };
        if ok {
            continue;
        }
        let t1 = t.c1 + t.s1 * t.x1[i];
        let t2 = t.term2.map_or(f64::NEG_INFINITY, |(c2, s2, x2)| c2 + s2 * x2[i]);
        let m = t1.max(t2).max(t.c3);
        if !m.is_finite() {
            continue;
        }
        let log_value = m + ((t1 - m).exp() + (t2 - m).exp() + (t.c3 - m).exp()).ln();
        *p = match space {
            Space::Log => log_value,
            Space::Linear => log_value.exp(),
        };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lse3_block_avx2(t: &Lse3, space: Space, pred: &mut [f64], w: Option<[&mut [f64]; 3]>) {
    lse3_block_portable(t, space, pred, w)
}

/// The kernel itself. Each pass is a simple loop, which is what LLVM's vectoriser reliably turns into
/// packed arithmetic; `inline(always)` lets the AVX2 copy above compile it for wider vectors.
#[inline(always)]
fn lse3_block_portable(t: &Lse3, space: Space, pred: &mut [f64], w: Option<[&mut [f64]; 3]>) {
    let len = pred.len();
    let mut u2_scratch = [0.0; 256];
    let (w1, w2, w3): (&mut [f64], &mut [f64], Option<&mut [f64]>) = match w {
        Some([w1, w2, w3]) if t.term2.is_some() => (&mut w1[..len], &mut w2[..len], Some(&mut w3[..len])),
        Some([w1, _, w3]) => (&mut w1[..len], &mut [][..], Some(&mut w3[..len])),
        // Without derivatives, pred holds the first term and a stack buffer the second.
        None => {
            let (p, u2) = (&mut *pred, &mut u2_scratch[..len.min(256)]);
            return lse3_values(t, space, p, u2);
        }
    };
    exp_affine(t.c1 - t.c3, t.s1, &t.x1[..len], w1);
    if let Some((c2, s2, x2)) = t.term2 {
        exp_affine(c2 - t.c3, s2, &x2[..len], w2);
    }
    let w3 = w3.unwrap_or_default();
    // w3 first holds the sum of the exponentials 1 + u1 (+ u2). Each pass reads only slices of equal
    // length: a conditional index into the (possibly empty) second term would keep a bounds check in
    // the loop, and with it the loop from being vectorised.
    for (s, u1) in w3.iter_mut().zip(w1.iter()) {
        *s = 1.0 + u1;
    }
    for (s, u2) in w3.iter_mut().zip(w2.iter()) {
        *s += u2;
    }
    match space {
        Space::Log => {
            for ((p, u1), s) in pred.iter_mut().zip(w1.iter_mut()).zip(w3.iter_mut()) {
                let inv = 1.0 / *s;
                *p = t.c3 + ln_at_least_one(*s);
                *u1 *= inv;
                *s = inv;
            }
            for (u2, inv) in w2.iter_mut().zip(w3.iter()) {
                *u2 *= inv;
            }
        }
        Space::Linear => {
            // d exp(LSE) / d c_k = exp(t_k) = E u_k
            let scale = exp(t.c3);
            for ((p, u1), s) in pred.iter_mut().zip(w1.iter_mut()).zip(w3.iter_mut()) {
                *p = scale * *s;
                *u1 *= scale;
                *s = scale;
            }
            for u2 in w2.iter_mut() {
                *u2 *= scale;
            }
        }
    }
}

/// out[i] = exp(c + s x[i])
#[inline(always)]
fn exp_affine(c: f64, s: f64, x: &[f64], out: &mut [f64]) {
    for (o, &xi) in out.iter_mut().zip(x) {
        *o = exp(c + s * xi);
    }
}

/// Predictions only, in chunks of at most 256 rows (the size of the caller's scratch).
#[inline(always)]
fn lse3_values(t: &Lse3, space: Space, pred: &mut [f64], u2: &mut [f64]) {
    let chunk = u2.len().max(1);
    for (k, p) in pred.chunks_mut(chunk).enumerate() {
        let (start, n) = (k * chunk, p.len());
        exp_affine(t.c1 - t.c3, t.s1, &t.x1[start..start + n], p);
        if let Some((c2, s2, x2)) = t.term2 {
            exp_affine(c2 - t.c3, s2, &x2[start..start + n], &mut u2[..n]);
            for (pi, ui) in p.iter_mut().zip(u2.iter()) {
                *pi += ui;
            }
        }
        match space {
            Space::Log => p.iter_mut().for_each(|v| *v = t.c3 + ln_at_least_one(1.0 + *v)),
            Space::Linear => {
                let scale = exp(t.c3);
                p.iter_mut().for_each(|v| *v = scale * (1.0 + *v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Kernel<'a> = dyn Fn(&mut [f64], [&mut [f64]; 3]) + 'a;

    #[test]
    fn avx2_and_portable_kernels_agree_to_the_bit() {
        let n = 517;
        let x1: Vec<f64> = (0..n).map(|i| 14.0 + 0.013 * i as f64).collect();
        let x2: Vec<f64> = (0..n).map(|i| 19.0 + 0.017 * (i * 7 % n) as f64).collect();
        for space in [Space::Log, Space::Linear] {
            let t = Lse3 { c1: 6.3, s1: -0.37, x1: &x1, term2: Some((5.9, -0.29, &x2)), c3: 0.41 };
            let run = |f: &Kernel| {
                let (mut p, mut a, mut b, mut c) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
                f(&mut p, [&mut a, &mut b, &mut c]);
                [p, a, b, c]
            };
            let portable = run(&|p, w| lse3_block_portable(&t, space, p, Some(w)));
            let dispatched = run(&|p, w| lse3_block(&t, space, p, Some(w)));
            for (u, v) in portable.iter().zip(&dispatched) {
                assert!(u.iter().zip(v).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }

    #[test]
    fn predictions_stay_exact_at_extreme_coefficients() {
        // E = 1e-310 (log E = -713.8): the kernel's shift by log E over- and underflows.
        let x1 = [20.0, 25.0];
        let x2 = [22.0, 26.0];
        for c3 in [-713.8, -709.2, -800.0] {
            let t = Lse3 { c1: 6.0, s1: -0.34, x1: &x1, term2: Some((6.1, -0.28, &x2)), c3 };
            for space in [Space::Log, Space::Linear] {
                let mut pred = [0.0; 2];
                lse3_block(&t, space, &mut pred, None);
                for i in 0..2 {
                    let expect = (6.0 - 0.34 * x1[i]).exp() + (6.1 - 0.28 * x2[i]).exp() + c3.exp();
                    let got = if space == Space::Log { pred[i].exp() } else { pred[i] };
                    assert!((got - expect).abs() <= 1e-12 * expect, "{c3} {space:?}: {got} vs {expect}");
                }
            }
        }
    }

    #[test]
    fn matches_scalar_log_sum_exp() {
        let x1: Vec<f64> = (0..11).map(|i| 15.0 + i as f64).collect();
        let x2: Vec<f64> = (0..11).map(|i| 20.0 + 0.5 * i as f64).collect();
        let t = Lse3 { c1: 6.0, s1: -0.34, x1: &x1, term2: Some((6.1, -0.28, &x2)), c3: 0.52 };
        let mut pred = vec![0.0; 11];
        let (mut w1, mut w2, mut w3) = (vec![0.0; 11], vec![0.0; 11], vec![0.0; 11]);
        lse3_block(&t, Space::Log, &mut pred, Some([&mut w1, &mut w2, &mut w3]));
        for i in 0..11 {
            let terms = [6.0 - 0.34 * x1[i], 6.1 - 0.28 * x2[i], 0.52];
            let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = terms.iter().map(|v| (v - m).exp()).sum();
            let expect = m + s.ln();
            assert!((pred[i] - expect).abs() <= 4.0 * f64::EPSILON * expect.abs(), "{} vs {}", pred[i], expect);
            assert!((w1[i] + w2[i] + w3[i] - 1.0).abs() < 1e-15);
            assert!((w1[i] - (terms[0] - expect).exp()).abs() < 1e-15);
        }
    }
}
