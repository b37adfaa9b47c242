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
        ExpMul(..) => (x * y).exp(),
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
        Abs(_) => (
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            },
            0.0,
        ),
        Softplus(_) => (sigmoid(x), 0.0),
        Sigmoid(_) => (v * (1.0 - v), 0.0),
        ExpMul(..) => (y * v, x * v),
    }
}

/// Whether the fast logarithm is exact enough for `x` (positive, finite and normal).
#[inline(always)]
fn fast_ln_ok(x: f64) -> bool {
    x.is_normal() && x > 0.0
}

/// out = ln(x), row by row.
#[inline(always)]
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

/// An operand over a block of rows: one value for every row (a constant or a function of the
/// parameters only) or one value per row.
#[derive(Clone, Copy)]
pub enum Val<'a> {
    S(f64),
    V(&'a [f64]),
}

impl Val<'_> {
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        match self {
            Val::S(s) => s,
            Val::V(v) => v[i],
        }
    }
}

/// out[i] = f(x[i], y[i]), one tight loop per combination of row and scalar operands (so that no
/// scalar is broadcast into a buffer first and each loop vectorises).
#[inline(always)]
fn map2(out: &mut [f64], x: Val, y: Val, f: impl Fn(f64, f64) -> f64) {
    let n = out.len();
    match (x, y) {
        (Val::V(a), Val::V(b)) => out.iter_mut().zip(&a[..n]).zip(&b[..n]).for_each(|((o, a), b)| *o = f(*a, *b)),
        (Val::V(a), Val::S(b)) => out.iter_mut().zip(&a[..n]).for_each(|(o, a)| *o = f(*a, b)),
        (Val::S(a), Val::V(b)) => out.iter_mut().zip(&b[..n]).for_each(|(o, b)| *o = f(a, *b)),
        (Val::S(a), Val::S(b)) => out.fill(f(a, b)),
    }
}

/// How a contribution of the chain rule lands in its destination: the destination's first
/// contribution overwrites it (so no buffer is cleared first), a later one adds to it; either is
/// multiplied by a factor (the derivative of a scalar operand with respect to one parameter, 1 for a
/// per-row operand; a product with 1.0 is exact).
#[derive(Clone, Copy)]
pub struct Dest {
    pub assign: bool,
    pub scale: f64,
}

/// dst[i] (+)= adj[i] * f(x[i], y[i], v[i]) * scale: the chain rule into one operand's adjoint (or a
/// parameter's Jacobian row), `f` being the partial derivative with respect to that operand.
#[inline(always)]
fn accumulate_with(
    dst: &mut [f64],
    adj: &[f64],
    x: Val,
    y: Val,
    v: &[f64],
    into: Dest,
    f: impl Fn(f64, f64, f64) -> f64,
) {
    if into.assign {
        chain::<true>(dst, adj, x, y, v, into.scale, f)
    } else {
        chain::<false>(dst, adj, x, y, v, into.scale, f)
    }
}

#[inline(always)]
fn chain<const ASSIGN: bool>(
    dst: &mut [f64],
    adj: &[f64],
    x: Val,
    y: Val,
    v: &[f64],
    s: f64,
    f: impl Fn(f64, f64, f64) -> f64,
) {
    let n = dst.len();
    let (adj, v) = (&adj[..n], &v[..n]);
    let put = |d: &mut f64, t: f64| *d = if ASSIGN { t } else { *d + t };
    match (x, y) {
        (Val::V(a), Val::V(b)) => {
            for ((((d, g), a), b), v) in dst.iter_mut().zip(adj).zip(&a[..n]).zip(&b[..n]).zip(v) {
                put(d, g * f(*a, *b, *v) * s);
            }
        }
        (Val::V(a), Val::S(b)) => {
            for (((d, g), a), v) in dst.iter_mut().zip(adj).zip(&a[..n]).zip(v) {
                put(d, g * f(*a, b, *v) * s);
            }
        }
        (Val::S(a), Val::V(b)) => {
            for (((d, g), b), v) in dst.iter_mut().zip(adj).zip(&b[..n]).zip(v) {
                put(d, g * f(a, *b, *v) * s);
            }
        }
        (Val::S(a), Val::S(b)) => {
            for ((d, g), v) in dst.iter_mut().zip(adj).zip(v) {
                put(d, g * f(a, b, *v) * s);
            }
        }
    }
}

/// `out = op(x, y)` row by row (`y` is ignored by unary operations).
#[inline(always)]
pub fn value_block(op: Op, x: Val, y: Val, out: &mut [f64]) {
    use Op::*;
    match op {
        Add(..) => map2(out, x, y, |a, b| a + b),
        Sub(..) => map2(out, x, y, |a, b| a - b),
        Mul(..) => map2(out, x, y, |a, b| a * b),
        Div(..) => map2(out, x, y, |a, b| a / b),
        Neg(_) => map2(out, x, y, |a, _| -a),
        Exp(_) => map2(out, x, y, |a, _| fastmath::exp(a)),
        ExpMul(..) => map2(out, x, y, |a, b| fastmath::exp(a * b)),
        Log(_) => match x {
            Val::V(a) => ln_block(a, out),
            Val::S(a) => out.fill(a.ln()),
        },
        Pow(..) => {
            // x^y = e^(y ln x) for positive normal x; other bases (zero, negative with an integer
            // exponent, ...) follow powf.
            map2(out, x, y, |a, b| fastmath::exp(b * fastmath::ln_positive_normal(a)));
            for (i, o) in out.iter_mut().enumerate() {
                let a = x.at(i);
                if !fast_ln_ok(a) {
                    *o = a.powf(y.at(i));
                }
            }
        }
        _ => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = value(op, x.at(i), y.at(i));
            }
        }
    }
}

/// out = exp(x * y + c): a term `A * exp(x * y)` with A = e^c fitted as its logarithm, in one pass.
#[inline(always)]
pub fn exp_mul_add_block(x: Val, y: Val, c: f64, out: &mut [f64]) {
    map2(out, x, y, |a, b| fastmath::exp(a * b + c))
}

/// dst (+)= adj * d op / d (operand `which`: 0 for x, 1 for y) * scale, row by row, given the values
/// `v` (`Dest`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn accumulate(op: Op, which: usize, x: Val, y: Val, v: &[f64], adj: &[f64], dst: &mut [f64], into: Dest) {
    use Op::*;
    match (op, which) {
        (Add(..), _) | (Sub(..), 0) => accumulate_with(dst, adj, x, y, v, into, |_, _, _| 1.0),
        (Sub(..), _) | (Neg(_), _) => accumulate_with(dst, adj, x, y, v, into, |_, _, _| -1.0),
        (Mul(..), 0) => accumulate_with(dst, adj, x, y, v, into, |_, b, _| b),
        (Mul(..), _) => accumulate_with(dst, adj, x, y, v, into, |a, _, _| a),
        (Div(..), 0) => accumulate_with(dst, adj, x, y, v, into, |_, b, _| 1.0 / b),
        (Div(..), _) => accumulate_with(dst, adj, x, y, v, into, |_, b, v| -v / b),
        (Exp(_), _) => accumulate_with(dst, adj, x, y, v, into, |_, _, v| v),
        (ExpMul(..), 0) => accumulate_with(dst, adj, x, y, v, into, |_, b, v| b * v),
        (ExpMul(..), _) => accumulate_with(dst, adj, x, y, v, into, |a, _, v| a * v),
        (Log(_), _) => accumulate_with(dst, adj, x, y, v, into, |a, _, _| 1.0 / a),
        _ => {
            for (i, (d, g)) in dst.iter_mut().zip(adj).enumerate() {
                let (px, py) = partials(op, x.at(i), y.at(i), v[i]);
                let t = g * if which == 0 { px } else { py } * into.scale;
                *d = if into.assign { t } else { *d + t };
            }
        }
    }
}
