//! Bound shapes whose compute-optimal allocation under p T = C has a closed form (docs/bounds.md section 4).

use super::lambert::lambert_w_of_exp;
use super::{AllocationPoint, Bound, Terms};

/// U = a/p + b/T: p* = sqrt(aC/b), T*/p* = b/a, U* = 2 sqrt(ab/C), p* proportional to C^(1/2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InverseLinear {
    pub a: f64,
    pub b: f64,
}

/// U = a/p + (b0 + b1 ln p)/T: the estimation term grows with the log of the model size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InverseLog {
    pub a: f64,
    pub b0: f64,
    pub b1: f64,
}

/// U = E + A/p^alpha + B/T^beta (the Chinchilla shape), with constraint p T = C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLaw {
    pub e: f64,
    pub a: f64,
    pub b: f64,
    pub alpha: f64,
    pub beta: f64,
}

/// The point (e^ln_p, C e^-ln_p) of a bound with its terms.
fn point<B: Bound>(bound: &B, c: f64, ln_p: f64, local_exponent: f64) -> AllocationPoint {
    AllocationPoint::at(bound, ln_p.exp(), c, local_exponent)
}

impl Bound for InverseLinear {
    fn terms(&self, p: f64, t: f64) -> Terms {
        Terms { misspecification: self.a / p, estimation: self.b / t }
    }
    fn min_params(&self) -> f64 {
        1.0
    }
    fn domain_floor(&self) -> f64 {
        0.0
    }
}

impl InverseLinear {
    pub fn allocate(&self, c: f64) -> AllocationPoint {
        point(self, c, 0.5 * (self.a.ln() + c.ln() - self.b.ln()), 0.5)
    }
}

impl Bound for InverseLog {
    fn terms(&self, p: f64, t: f64) -> Terms {
        // b1 (ln p / T) rather than (b1 ln p) / T: a huge b1 with a large T has a representable value that the
        // product b1 ln p alone would overflow.
        Terms { misspecification: self.a / p, estimation: self.b0 / t + self.b1 * (p.ln() / t) }
    }
    fn min_params(&self) -> f64 {
        1.0
    }
}

impl InverseLog {
    /// The first-order condition p^2 (b0 + b1 + b1 ln p) = a C, solved by Lambert W in log form:
    /// with k = b0/b1 + 1, ln p* = W(z)/2 - k and ln z = ln(2aC/b1) + 2k (z itself is never formed).
    /// ln p* = W/2 - k loses about eps (k + ln p*) absolutely, so for large k (beyond 64, where that
    /// could exceed 1e-13) two Newton steps on the condition in logs, 2 ln p + ln(b0 + b1 (1 + ln p))
    /// = ln(aC), restore full relative accuracy.
    pub fn allocate(&self, c: f64) -> AllocationPoint {
        let (a, b0, b1) = (self.a, self.b0, self.b1);
        // The shape is defined for p >= 1, where g(ln p) decreases until p* and increases after; when the
        // unconstrained p* is below 1 (a C < b0 + b1) the optimum is the edge p = 1, which does not move with C.
        if a * c <= b0 + b1 {
            return point(self, c, 0.0, 0.0);
        }
        if b1 == 0.0 {
            return InverseLinear { a, b: b0 }.allocate(c);
        }
        let k = b0 / b1 + 1.0;
        // ln(2 a C / b1) as a sum of logarithms: the product overflows for C near f64::MAX.
        let ln_2ac_b1 = std::f64::consts::LN_2 + a.ln() + c.ln() - b1.ln();
        let mut x = 0.5 * lambert_w_of_exp(ln_2ac_b1 + 2.0 * k) - k;
        let target = a.ln() + c.ln();
        let polish_steps = if k > 64.0 { 2 } else { 0 };
        for _ in 0..polish_steps {
            let s = b0 + b1 * (1.0 + x);
            if s <= 0.0 {
                break;
            }
            let step = (2.0 * x + s.ln() - target) / (2.0 + b1 / s);
            x -= step;
        }
        // Differentiating the condition in logs: d ln p*/d ln C = 1 / (2 + b1 / (b0 + b1 + b1 ln p*)).
        let slope = 1.0 / (2.0 + b1 / (b0 + b1 * (1.0 + x)));
        point(self, c, x, slope)
    }
}

impl Bound for PowerLaw {
    fn terms(&self, p: f64, t: f64) -> Terms {
        Terms { misspecification: self.a * p.powf(-self.alpha), estimation: self.b * t.powf(-self.beta) }
    }
    fn irreducible(&self) -> f64 {
        self.e
    }
    fn min_params(&self) -> f64 {
        1.0
    }
    fn domain_floor(&self) -> f64 {
        0.0
    }
}

impl PowerLaw {
    /// The Chinchilla closed form with p T = C: p* = G C^(beta/(alpha+beta)),
    /// G = (alpha A / (beta B))^(1/(alpha+beta)) (docs/methods.md section 5 without the factor 6).
    pub fn allocate(&self, c: f64) -> AllocationPoint {
        let s = self.alpha + self.beta;
        let ln_g = ((self.alpha * self.a).ln() - (self.beta * self.b).ln()) / s;
        let exponent = self.beta / s;
        point(self, c, ln_g + exponent * c.ln(), exponent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn inverse_log_check_table() {
        // docs/bounds.md section 4, a = 1, b0 = 0, b1 = 1: (C, p*, T*, T*/p*, U*).
        let rows = [
            (1e8, 3.313897e3, 3.017595e4, 9.1059, 5.703800e-4),
            (1e12, 2.720279e5, 3.676093e6, 13.5137, 7.080158e-6),
            (1e16, 2.358585e7, 4.239830e8, 17.9762, 8.243801e-8),
            (1e20, 2.109603e9, 4.740228e10, 22.4698, 9.269497e-10),
        ];
        let shape = InverseLog { a: 1.0, b0: 0.0, b1: 1.0 };
        for (c, p, t, ratio, u) in rows {
            let x = shape.allocate(c);
            assert!(rel(x.p, p) < 5e-7 && rel(x.t, t) < 5e-7 && rel(x.value, u) < 5e-7, "{c}: {x:?}");
            assert!(rel(x.t / x.p, ratio) < 5e-5);
        }
    }

    #[test]
    fn inverse_log_first_order_condition_with_huge_offsets() {
        for &(b0, b1) in &[(1.0, 1e-12), (1e6, 1.0), (3.0, 0.5), (0.0, 2.0)] {
            let shape = InverseLog { a: 2.0, b0, b1 };
            for &c in &[1e3, 1e12, 1e30, 1e200] {
                let x = shape.allocate(c);
                if 2.0 * c <= b0 + b1 {
                    // The unconstrained optimum lies below p = 1: the edge of the domain.
                    assert_eq!((x.p, x.local_exponent), (1.0, 0.0));
                    continue;
                }
                let lhs = 2.0 * x.p.ln() + (b0 + b1 + b1 * x.p.ln()).ln();
                assert!((lhs - (2.0 * c).ln()).abs() < 1e-12 * lhs.abs().max(1.0), "{b0} {b1} {c}: {x:?}");
            }
        }
    }

    #[test]
    fn inverse_linear_and_power_law_closed_forms() {
        let x = InverseLinear { a: 2.0, b: 8.0 }.allocate(1e10);
        assert!(rel(x.t / x.p, 4.0) < 1e-14 && rel(x.value, 2.0 * (16.0f64 / 1e10).sqrt()) < 1e-14);
        let law = PowerLaw { e: 1.0, a: 400.0, b: 1000.0, alpha: 0.34, beta: 0.28 };
        let x = law.allocate(1e20);
        // First-order condition: alpha A p^-alpha = beta B T^-beta.
        assert!(rel(0.34 * 400.0 * x.p.powf(-0.34), 0.28 * 1000.0 * x.t.powf(-0.28)) < 1e-12);
    }
}
