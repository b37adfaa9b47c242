//! Probability of a box under a multivariate kernel density estimate (`sc.KDE.integrate_box`).
//!
//! With the Gaussian kernel and a diagonal bandwidth matrix H = diag(s_1^2, ..., s_d^2) the kernel is a
//! product of independent normals, so the mass of the box [l, u] is exact:
//!
//!   P = sum_i w_i prod_j [Phi((u_j - x_ij) / s_j) - Phi((l_j - x_ij) / s_j)],
//!
//! each difference taken in the tail where it is small (Phi(-a) - Phi(-b) right of the centre), so that the
//! mass of a box far in a tail keeps its relative accuracy. A full bandwidth matrix or a radial kernel has no
//! such product form; those cases are refused here (the Python layer names the alternative).

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::estimator::Estimator;
use crate::kde::kernels::Kernel;
use crate::parallel::{map_blocks, BLOCK};

/// Phi(b) - Phi(a) for a <= b or its negative for a > b, from the tail where the difference is small.
fn normal_mass(a: f64, b: f64) -> f64 {
    let phi = |z: f64| Kernel::Gaussian.cdf(z);
    if a > 0.0 {
        phi(-a) - phi(-b)
    } else {
        phi(b) - phi(a)
    }
}

impl Estimator {
    /// The estimate's probability of the box [low, high] (d > 1, Gaussian kernel, diagonal bandwidth matrix).
    /// A low end above its high end counts negatively, dimension by dimension (scipy's convention).
    pub fn box_probability(&self, low: &[f64], high: &[f64], control: &Control) -> Result<f64> {
        let d = self.d();
        for (name, v) in [("low", low), ("high", high)] {
            if v.len() != d {
                return Err(CoreError::invalid(name, format!("needs {d} values, got {}", v.len())));
            }
            if let Some(bad) = v.iter().find(|t| t.is_nan()) {
                return Err(CoreError::invalid(name, format!("must not be NaN, got {bad}")));
            }
        }
        if self.kernel() != Kernel::Gaussian {
            return Err(CoreError::invalid(
                "kernel",
                format!(
                    "integrate_box in d > 1 is exact for the gaussian kernel only; the {} kernel is radial and has \
                     no closed-form box mass",
                    self.kernel().name()
                ),
            ));
        }
        let h = self.bandwidth_matrix();
        if (0..d * d).any(|k| k % (d + 1) != 0 && h[k] != 0.0) {
            return Err(CoreError::invalid("bandwidth", "the product form needs a diagonal bandwidth matrix"));
        }
        let s: Vec<f64> = (0..d).map(|j| h[j * (d + 1)].sqrt()).collect();
        let (x, n) = (self.samples(), self.n());
        let w = self.normalised_weights();
        control.set_total(n);
        let partial = map_blocks(n, BLOCK, |a, b| {
            control.check()?;
            let mut total = 0.0;
            for i in a..b {
                let row = &x[i * d..(i + 1) * d];
                let p: f64 = (0..d).map(|j| normal_mass((low[j] - row[j]) / s[j], (high[j] - row[j]) / s[j])).product();
                total += w.map_or(p, |w| w[i] * p);
            }
            control.advance(b - a);
            Ok(total)
        });
        let sum = partial.into_iter().collect::<Result<Vec<f64>>>()?.into_iter().sum::<f64>();
        Ok(if w.is_some() { sum } else { sum / n as f64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kde::estimator::{BandwidthSpec, Method, Spec};

    #[test]
    fn a_box_covering_everything_has_mass_one_and_halves_split_it() {
        let x: Vec<f64> = (0..40).map(|i| ((i * 7) % 11) as f64 * 0.3 - 1.0).collect();
        let spec = Spec {
            x,
            d: 2,
            weights: None,
            bandwidth: BandwidthSpec::Value { h: 0.4, label: None },
            kernel: Kernel::Gaussian,
            method: Method::Exact,
            tolerance: 1e-6,
        };
        let c = Control::new();
        let e = Estimator::new(spec, &c).unwrap();
        let inf = f64::INFINITY;
        let all = e.box_probability(&[-inf, -inf], &[inf, inf], &c).unwrap();
        assert!((all - 1.0).abs() < 1e-14, "{all}");
        let left = e.box_probability(&[-inf, -inf], &[0.2, inf], &c).unwrap();
        let right = e.box_probability(&[0.2, -inf], &[inf, inf], &c).unwrap();
        assert!((left + right - 1.0).abs() < 1e-14, "{left} + {right}");
        let swapped = e.box_probability(&[0.2, -inf], &[-inf, inf], &c).unwrap();
        assert!((swapped + left).abs() < 1e-14, "{swapped} vs -{left}");
    }
}
