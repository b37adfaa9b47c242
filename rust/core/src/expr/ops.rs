//! Values and derivatives of the operations, one number at a time (constant folding, parameters)
//! and over blocks of rows (the per-row work of a fit).
//!
//! The block loops of the frequent operations (arithmetic, exp, log, power) are written out one by
//! one, so that the compiler turns each into packed arithmetic, and use the crate's `fastmath` exp and
//! log; rows outside the fast logarithm's domain (zero, negative, subnormal, infinite) are then
//! recomputed with the standard library, so the result of a row never depends on its neighbours.

use super::graph::Op;
use crate::fastmath;

/// Logistic sigmoid without overflow for large |x|.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^x) without overflow for large x or loss of digits for very negative x.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The value of `op` with operands `x` (and `y` for binary operations).
pub fn value(op: Op, x: f64, y: f64) -> f64 {
    use Op::*;
    match op {
        Const(bits) => f64::from_bits(bits),
        Param(_) | Input(_) => x,
        Add(..) => x + y,
        Sub(..) => x - y,
        Mul(..) => x * y,
        Div(..) => x / y,
        Pow(..) => x.powf(y),
        Min(..) => x.min(y),
        Max(..) => x.max(y),
        Neg(_) => -x,
        Exp(_) => x.exp(),
        Log(_) => x.ln(),
        Log1p(_) => x.ln_1p(),
        Sqrt(_) => x.sqrt(),
        Abs(_) => x.abs(),
        Softplus(_) => softplus(x),
        Sigmoid(_) => sigmoid(x),
    }
}

/// Partial derivatives of `op` with respect to its operands at `x`, `y`, given its value `v`.
/// Where a term has underflowed to zero its derivatives are zero, not 0 * inf = NaN.
pub fn partials(op: Op, x: f64, y: f64, v: f64) -> (f64, f64) {
    use Op::*;
    match op {
        Const(_) | Param(_) | Input(_) => (0.0, 0.0),
        Add(..) => (1.0, 1.0),
        Sub(..) => (1.0, -1.0),
        Mul(..) => (y, x),
        Div(..) => (1.0 / y, -v / y),
        Pow(..) => {
            let dx = if y == 0.0 { 0.0 } else { y * x.powf(y - 1.0) };
            let dy = if v == 0.0 { 0.0 } else { v * x.ln() };
            (dx, dy)
        }
        // At a tie the derivative goes to the first operand (a subgradient).
        Min(..) => (f64::from(x <= y), f64::from(x > y)),
        Max(..) => (f64::from(x >= y), f64::from(x < y)),
        Neg(_) => (-1.0, 0.0),
        Exp(_) => (v, 0.0),
        Log(_) => (1.0 / x, 0.0),
        Log1p(_) => (1.0 / (1.0 + x), 0.0),
        Sqrt(_) => (0.5 / v, 0.0),
        Abs(_) => (if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 }, 0.0),
        Softplus(_) => (sigmoid(x), 0.0),
        Sigmoid(_) => (v * (1.0 - v), 0.0),
    }
}

/// Whether the fast logarithm is exact enough for `x` (positive, finite and normal).
#[inline(always)]
fn fast_ln_ok(x: f64) -> bool {
    x.is_normal() && x > 0.0
}

/// out = ln(x), row by row.
pub fn ln_block(x: &[f64], out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = fastmath::ln_positive_normal(v);
    }
    for (o, &v) in out.iter_mut().zip(x) {
        if !fast_ln_ok(v) {
            *o = v.ln();
        }
    }
}

/// `out = op(a, b)` row by row (`b` is ignored by unary operations).
pub fn value_block(op: Op, a: &[f64], b: &[f64], out: &mut [f64]) {
    use Op::*;
    let n = out.len();
    let (a, b) = (&a[..n], &b[..n]);
    match op {
        Add(..) => out.iter_mut().zip(a).zip(b).for_each(|((o, x), y)| *o = x + y),
        Sub(..) => out.iter_mut().zip(a).zip(b).for_each(|((o, x), y)| *o = x - y),
        Mul(..) => out.iter_mut().zip(a).zip(b).for_each(|((o, x), y)| *o = x * y),
        Div(..) => out.iter_mut().zip(a).zip(b).for_each(|((o, x), y)| *o = x / y),
        Neg(_) => out.iter_mut().zip(a).for_each(|(o, x)| *o = -x),
        Exp(_) => out.iter_mut().zip(a).for_each(|(o, x)| *o = fastmath::exp(*x)),
        Log(_) => ln_block(a, out),
        Pow(..) => {
            // x^y = e^(y ln x) for positive normal x; other bases (zero, negative with an integer
            // exponent, ...) follow powf.
            for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
                *o = fastmath::exp(y * fastmath::ln_positive_normal(*x));
            }
            for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
                if !fast_ln_ok(*x) {
                    *o = x.powf(*y);
                }
            }
        }
        _ => out.iter_mut().zip(a).zip(b).for_each(|((o, x), y)| *o = value(op, *x, *y)),
    }
}

/// The partial derivatives of `op` row by row into `da` and `db`, given operands and values `v`.
pub fn partials_block(op: Op, a: &[f64], b: &[f64], v: &[f64], da: &mut [f64], db: &mut [f64]) {
    use Op::*;
    let n = v.len();
    let (a, b, da, db) = (&a[..n], &b[..n], &mut da[..n], &mut db[..n]);
    match op {
        Add(..) | Sub(..) => {
            da.fill(1.0);
            db.fill(if matches!(op, Sub(..)) { -1.0 } else { 1.0 });
        }
        Mul(..) => {
            da.copy_from_slice(b);
            db.copy_from_slice(a);
        }
        Div(..) => {
            da.iter_mut().zip(b).for_each(|(d, y)| *d = 1.0 / y);
            db.iter_mut().zip(v).zip(b).for_each(|((d, v), y)| *d = -v / y);
        }
        Neg(_) => da.fill(-1.0),
        Exp(_) => da.copy_from_slice(v),
        Log(_) => da.iter_mut().zip(a).for_each(|(d, x)| *d = 1.0 / x),
        _ => {
            for i in 0..n {
                (da[i], db[i]) = partials(op, a[i], b[i], v[i]);
            }
        }
    }
}
