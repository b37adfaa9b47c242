//! Branch-free exp and ln that the compiler vectorises inside loops.
//!
//! A fit's cost is almost all exponentials and logarithms in the law kernels. glibc's exp and log are
//! scalar calls, and `wide`'s SIMD versions cost about 65 instructions per element on the baseline
//! x86-64 target (SSE2, no rounding instruction, no FMA), which every wheel must support. These are
//! straight-line code (Cody-Waite range reduction plus polynomials; selects instead of branches) that
//! LLVM turns into packed SSE2 arithmetic, at about a quarter of that cost, accurate to about one ulp.
//! No fused multiply-adds are used, so results are the same on every x86-64 machine, and a value does
//! not depend on whether it was computed in a vector lane or in the scalar loop tail.

// fdlibm's constants are kept digit for digit as published.
#![allow(clippy::excessive_precision)]

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split so that n * LN2_HI is exact for |n| < 2^11 (fdlibm's constants).
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// Adding 1.5 * 2^52 rounds a double below 2^51 to an integer held in the low mantissa bits.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// e^x; +inf above 709.78 (overflow), and 0 below -707, where e^x < 1e-307 (the scaling by 2^n then
/// stays in the normal range, which the exponent-bit arithmetic needs).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let t = x * LOG2_E + ROUNDER;
    let n = t - ROUNDER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Taylor series to r^13: |r| <= ln(2)/2 leaves a truncation error below 5e-18.
    let mut p = 1.0 / 6_227_020_800.0;
    p = p * r + 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n added straight into the exponent field; n is the integer in t's low mantissa bits.
    let n_bits = t.to_bits().wrapping_sub(ROUNDER.to_bits());
    let y = f64::from_bits(p.to_bits().wrapping_add(n_bits << 52));
    let y = if x > 709.78 { f64::INFINITY } else { y };
    let y = if x < -707.0 { 0.0 } else { y };
    if x.is_nan() {
        f64::NAN
    } else {
        y
    }
}

/// ln x for x >= 1, such as a sum 1 + e^a + e^b in the law kernels, and NaN for +inf and NaN.
/// A general ln's special cases (0, negatives, infinities) cost a fifth of its instructions once
/// vectorised (LLVM turns them into integer class tests); here one subtraction carries what this
/// domain needs: x - x is 0 for finite x and NaN otherwise, so a non-finite sum stays non-finite.
#[inline(always)]
#[allow(clippy::eq_op)] // x - x is the point: 0 or NaN
pub fn ln_at_least_one(x: f64) -> f64 {
    ln_finite_normal(x) + (x - x)
}

/// ln x for positive, finite, normal x (any other x gives an unspecified number, never a panic:
/// callers recompute those rows, as `expr` does).
#[inline(always)]
pub fn ln_positive_normal(x: f64) -> f64 {
    ln_finite_normal(x)
}

/// fdlibm's logarithm (e_log.c polynomial) of a positive, finite, normal x.
#[inline(always)]
fn ln_finite_normal(x: f64) -> f64 {
    const LG1: f64 = 6.666_666_666_666_735_130e-01;
    const LG2: f64 = 3.999_999_999_940_941_908e-01;
    const LG3: f64 = 2.857_142_874_366_239_149e-01;
    const LG4: f64 = 2.222_219_843_214_978_396e-01;
    const LG5: f64 = 1.818_357_216_161_805_012e-01;
    const LG6: f64 = 1.531_383_769_920_937_332e-01;
    const LG7: f64 = 1.479_819_860_511_658_591e-01;
    let bits = x.to_bits();
    // Mantissa scaled into [sqrt(2)/2, sqrt(2)) and the matching exponent k.
    let hi = bits >> 32;
    let hi_adj = hi.wrapping_add(0x3ff0_0000 - 0x3fe6_a09e);
    // The biased exponent (an integer below 2^11) as a double without an int-to-float conversion,
    // which SSE2 lacks for 64-bit lanes: OR it into the mantissa of 2^52 and subtract 2^52.
    let k = f64::from_bits(0x4330_0000_0000_0000 | (hi_adj >> 20)) - (4_503_599_627_370_496.0 + 1023.0);
    let m_hi = (hi_adj & 0x000f_ffff) + 0x3fe6_a09e;
    let m = f64::from_bits((m_hi << 32) | (bits & 0xffff_ffff));
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs() / f64::EPSILON
    }

    #[test]
    fn exp_is_within_two_ulps_of_libm() {
        let mut worst: f64 = 0.0;
        for i in 0..200_001 {
            let x = -700.0 + 1409.0 * i as f64 / 200_000.0;
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst < 2.0, "worst {worst} ulps");
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(-800.0), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn ln_is_within_two_ulps_of_libm() {
        let mut worst: f64 = 0.0;
        let mut x: f64 = 1e-300;
        while x < 1e300 {
            for &y in &[x, x * 1.000_000_1, x * 1.4143, x * 0.7072] {
                let expect = y.ln();
                if expect.abs() > 1e-3 {
                    worst = worst.max(ulps(ln_finite_normal(y), expect));
                } else {
                    assert!((ln_finite_normal(y) - expect).abs() <= 2.0 * f64::EPSILON * y.max(1.0));
                }
            }
            x *= 1.37;
        }
        assert!(worst < 2.0, "worst {worst} ulps");
        for i in 0..100_000 {
            let y = 1.0 + i as f64 * 1e-5;
            let err = (ln_at_least_one(y) - y.ln()).abs();
            assert!(err <= 2.0 * f64::EPSILON * y.ln().abs().max(f64::MIN_POSITIVE), "{y}");
        }
        assert_eq!(ln_at_least_one(1.0), 0.0);
        assert!(ln_at_least_one(f64::INFINITY).is_nan());
        assert!(ln_at_least_one(f64::NAN).is_nan());
    }
}
