//! Bounded support by reflection (Silverman 1986, "Density Estimation for Statistics and Data Analysis",
//! section 2.10; docs/kde.md): for data on [a, b] the estimate is
//!
//!   f(x) = sum_i w_i sum_{m in Z} [K_h(x - x_i - 2mL) + K_h(x - (2a - x_i) - 2mL)],  L = b - a,
//!
//! on [a, b] and 0 outside: each kernel's mass beyond a bound is folded back inside, so f integrates to
//! exactly 1 on [a, b] for any kernel and bandwidth. With one bound only the first reflection (2a - x_i or
//! 2b - x_i) exists. The images are an ordinary weighted sample; an unbounded estimator over them (every
//! method and kernel of the plain estimate) evaluates the sum, scaled by the images' total weight.

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::estimator::{BandwidthSpec, Estimator, Spec};
use crate::kde::exact::{evaluate_one, Quantity, QUERY_BLOCK};
use crate::kde::kernels::Kernel;
use crate::kde::search::golden_max;
use crate::numeric::root::{brentq, Tolerance};
use crate::parallel::map_blocks;

/// Images further than this many bandwidths outside [a, b] are left out (beyond the first reflections,
/// which are always kept): their terms inside are below e^-800 (Gaussian) or e^-848 (Laplace) of a peak
/// term; the compact kernels use their support.
fn reach(kernel: Kernel, h: f64) -> f64 {
    match (kernel.support(), kernel) {
        (Some(a), _) => a * h,
        (None, Kernel::Laplace) => 600.0 * h,
        (None, _) => 40.0 * h,
    }
}

/// More images than this are refused: a bandwidth many times the width of [a, b].
const MAX_IMAGES: usize = 50_000_000;

#[derive(Debug)]
pub struct Reflection {
    lo: f64,
    hi: f64,
    /// Total weight of the images over the sample's (the factor between the images' normalised estimate
    /// and the reflected one).
    scale: f64,
    images: Estimator,
    /// [a, b] cut to where the estimate is not zero to double precision: the brackets of the searches.
    span: (f64, f64),
}

impl Reflection {
    pub(crate) fn new(est: &Estimator, lo: f64, hi: f64, control: &Control) -> Result<Self> {
        if lo.is_nan() || hi.is_nan() || lo >= hi || lo == f64::INFINITY || hi == f64::NEG_INFINITY {
            return Err(CoreError::invalid("bounds", format!("need lo < hi (either may be None), got ({lo}, {hi})")));
        }
        let x = est.samples();
        let outside = x.iter().filter(|&&v| v < lo || v > hi).count();
        if outside > 0 {
            let bad = x.iter().find(|&&v| v < lo || v > hi).copied().unwrap_or(f64::NAN);
            return Err(CoreError::invalid(
                "bounds",
                format!("({lo}, {hi}) leave {outside} samples outside, e.g. {bad}"),
            ));
        }
        let (h, kernel) = (est.h(), est.kernel());
        let r = reach(kernel, h);
        let w = est.raw_weights();
        let (mut xs, mut ws) = (Vec::new(), Vec::new());
        let mut push = |y: f64, wv: f64| {
            xs.push(y);
            ws.push(wv);
        };
        let two_sided = lo.is_finite() && hi.is_finite();
        let period = 2.0 * (hi - lo);
        // Saturating: a bandwidth 1e300 times the width gives an order count beyond usize.
        let orders = if two_sided { ((r / period).ceil() as usize).saturating_add(1) } else { 0 };
        if x.len().saturating_mul(orders.saturating_mul(4).saturating_add(2)) > MAX_IMAGES {
            return Err(CoreError::invalid(
                "bounds",
                format!(
                    "the bandwidth {h} is {:.3e} times the width of ({lo}, {hi}): too many reflections",
                    h / (hi - lo)
                ),
            ));
        }
        let near = |y: f64| y >= lo - r && y <= hi + r;
        for (i, &v) in x.iter().enumerate() {
            let wv = w.map_or(1.0, |w| w[i]);
            if wv == 0.0 {
                continue;
            }
            push(v, wv);
            if lo.is_finite() {
                push(2.0 * lo - v, wv);
            }
            if hi.is_finite() {
                push(2.0 * hi - v, wv);
            }
            // The rest of the reflection group of [a, b]: x + mP and 2a - x + mP for m != 0 (and m != 1 for
            // the second, which is 2b - x), P = 2L.
            for k in 1..=orders {
                let shift = k as f64 * period;
                for y in [v + shift, v - shift, 2.0 * lo - v - shift, 2.0 * hi - v + shift] {
                    if near(y) {
                        push(y, wv);
                    }
                }
            }
        }
        let total: f64 = w.map_or(x.len() as f64, |w| w.iter().sum());
        let scale = ws.iter().sum::<f64>() / total;
        let spec = Spec {
            x: xs,
            d: 1,
            weights: Some(&ws),
            bandwidth: BandwidthSpec::Value { h, label: None },
            kernel,
            method: est.method(),
            tolerance: est.tolerance(),
        };
        let images = Estimator::new(spec, control)?;
        let (x_lo, x_hi) = est.data_range();
        let span = (lo.max(x_lo - r), hi.min(x_hi + r));
        Ok(Reflection { lo, hi, scale, images, span })
    }

    pub fn bounds(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    pub(crate) fn images(&self) -> &Estimator {
        &self.images
    }

    fn inside(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }

    /// pdf or logpdf: the images' estimate times `scale` on [a, b], 0 (log: -inf) outside.
    pub fn density(&self, q: &[f64], log: bool, control: &Control) -> Result<Vec<f64>> {
        let values = self.images.density(q, log, control)?;
        let ln_scale = self.scale.ln();
        Ok(q.iter()
            .zip(values)
            .map(|(&v, f)| match (self.inside(v), log) {
                (true, true) => f + ln_scale,
                (true, false) => f * self.scale,
                (false, true) => f64::NEG_INFINITY,
                (false, false) => 0.0,
            })
            .collect())
    }

    /// The density at one point, exact.
    pub(crate) fn pdf_one(&self, v: f64) -> Result<f64> {
        if !self.inside(v) {
            return Ok(0.0);
        }
        let s = self.images.sorted()?;
        Ok(self.scale * evaluate_one(&s, self.images.h(), self.images.kernel(), v, Quantity::Pdf))
    }

    /// cdf = scale (C(x) - C(a)) and sf = scale (S(x) - S(b)) with C, S the images' cdf and sf, so that
    /// each is accurate in relative terms in its own tail; 0 and 1 outside [a, b].
    fn tail_one(&self, s: &crate::kde::exact::Sorted, v: f64, upper: bool) -> f64 {
        let (h, kernel) = (self.images.h(), self.images.kernel());
        let (what, end) = if upper { (Quantity::Sf, self.hi) } else { (Quantity::Cdf, self.lo) };
        let below = if upper { v > self.hi } else { v < self.lo };
        let above = if upper { v < self.lo } else { v > self.hi };
        if below {
            return 0.0;
        }
        if above {
            return 1.0;
        }
        let base = if end.is_finite() { evaluate_one(s, h, kernel, end, what) } else { 0.0 };
        (self.scale * (evaluate_one(s, h, kernel, v, what) - base)).clamp(0.0, 1.0)
    }

    pub fn tail(&self, q: &[f64], upper: bool, control: &Control) -> Result<Vec<f64>> {
        let s = self.images.sorted()?;
        let blocks = map_blocks(q.len(), QUERY_BLOCK, |a, b| {
            q[a..b].iter().map(|&v| control.check().map(|()| self.tail_one(&s, v, upper))).collect::<Result<Vec<_>>>()
        });
        blocks.into_iter().collect::<Result<Vec<_>>>().map(|v| v.concat())
    }

    /// Inverse cdf by Brent's method on cdf - p (on (1 - p) - sf above the median) over the support.
    pub fn quantile(&self, probs: &[f64], control: &Control) -> Result<Vec<f64>> {
        let s = self.images.sorted()?;
        let (a, b) = self.span;
        let tol = Tolerance { xtol: 1e-12 * self.images.h(), rtol: 4.0 * f64::EPSILON, max_iter: 200 };
        probs
            .iter()
            .map(|&p| {
                control.check()?;
                let upper = p > 0.5;
                let g = |v: f64| {
                    if upper {
                        (1.0 - p) - self.tail_one(&s, v, true)
                    } else {
                        self.tail_one(&s, v, false) - p
                    }
                };
                let (ga, gb) = (g(a), g(b));
                if ga >= 0.0 {
                    return Ok(a);
                }
                if gb <= 0.0 {
                    return Ok(b);
                }
                brentq(g, a, b, ga, gb, tol)
                    .ok_or_else(|| CoreError::Convergence(format!("quantile: no convergence at p = {p}")))
            })
            .collect()
    }

    /// Location of the highest density on [a, b]: the best of a fine grid, refined by golden section.
    pub fn mode(&self, grid: usize, control: &Control) -> Result<f64> {
        let (a, b) = self.span;
        let step = (b - a) / (grid - 1) as f64;
        let x: Vec<f64> = (0..grid).map(|i| if i + 1 == grid { b } else { a + i as f64 * step }).collect();
        let f = self.density(&x, false, control)?;
        let k = (0..f.len()).fold(0, |best, i| if f[i] > f[best] { i } else { best });
        let (lo, hi) = (x[k.saturating_sub(1)], x[(k + 1).min(grid - 1)]);
        let best = golden_max(|v| self.pdf_one(v), lo, hi, 1e-10 * self.images.h())?;
        Ok(if self.pdf_one(best)? >= f[k] { best } else { x[k] })
    }
}

#[cfg(test)]
mod tests {
    use crate::control::Control;
    use crate::kde::estimator::{BandwidthSpec, Estimator, Method, Spec};
    use crate::kde::kernels::{Kernel, KERNEL_NAMES};

    fn bounded(x: &[f64], h: f64, kernel: Kernel, lo: f64, hi: f64) -> Estimator {
        let spec = Spec {
            x: x.to_vec(),
            d: 1,
            weights: None,
            bandwidth: BandwidthSpec::Value { h, label: None },
            kernel,
            method: Method::Exact,
            tolerance: 1e-6,
        };
        let c = Control::new();
        Estimator::new(spec, &c).unwrap().with_bounds(lo, hi, &c).unwrap()
    }

    #[test]
    fn the_cdf_runs_from_zero_to_one_on_the_support_and_matches_the_density() {
        let x: Vec<f64> = (0..50).map(|i| ((i * 37) % 50) as f64 / 50.0 * (i as f64 * 0.1).cos().abs()).collect();
        let c = Control::new();
        for name in KERNEL_NAMES {
            let k = Kernel::from_name(name).unwrap();
            for (lo, hi, h) in
                [(0.0, 1.0, 0.2), (0.0, 1.0, 3.0), (0.0, f64::INFINITY, 0.3), (f64::NEG_INFINITY, 1.0, 0.3)]
            {
                let e = bounded(&x, h, k, lo, hi);
                let ends = e.tail(&[lo.max(-1e3), hi.min(1e3)], false, &c).unwrap();
                assert!(ends[0].abs() < 1e-12 && (ends[1] - 1.0).abs() < 1e-12, "{name} {lo} {hi} {h}: {ends:?}");
                // midpoint rule on [0.2, 0.6] against the cdf difference
                let m = 4000;
                let step = 0.4 / m as f64;
                let q: Vec<f64> = (0..m).map(|i| 0.2 + (i as f64 + 0.5) * step).collect();
                let mass: f64 = e.density(&q, false, &c).unwrap().iter().sum::<f64>() * step;
                let cdf = e.tail(&[0.2, 0.6], false, &c).unwrap();
                assert!((mass - (cdf[1] - cdf[0])).abs() < 5e-4, "{name} {lo} {hi} {h}: {mass} vs {cdf:?}");
                assert_eq!(e.density(&[lo - 0.5, hi + 0.5], false, &c).unwrap(), vec![0.0, 0.0]);
            }
        }
    }
}
