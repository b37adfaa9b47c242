//! The searches on a fitted estimate, each one call: quantiles (safeguarded Newton on the exact cdf), the
//! mode (a fine grid refined by golden-section search; mean shift in d > 1) and the highest-density region
//! (a density threshold from a fine grid, boundaries refined by Brent's root finder on the exact density).

use nalgebra::DMatrix;

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::estimator::Estimator;
use crate::kde::exact::{evaluate_one, Quantity};
use crate::kde::kernels::Kernel;
use crate::kde::rules::quantile as sample_quantile;
use crate::kde::search::golden_max;
use crate::numeric::root::{brentq, Tolerance};
use crate::parallel::map_blocks;

/// Grid points of the mode's first pass and of the HDI's threshold.
const MODE_GRID: usize = 4097;
const HDI_GRID: usize = (1 << 14) + 1;
/// Newton iterations allowed per quantile (each at least halves the bracket when it falls back to bisection).
const QUANTILE_STEPS: usize = 200;
/// Mean-shift iterations (d > 1) and the sample points tried as starts.
const MEAN_SHIFT_STEPS: usize = 500;
const MODE_STARTS: usize = 2000;

impl Estimator {
    /// Inverse cdf at each probability in (0, 1): Newton steps on the exact cdf (on sf above the median, for
    /// relative accuracy in the upper tail), falling back to bisection whenever a step leaves the bracket,
    /// from the sample quantile, to about 1e-12 of the bandwidth.
    pub fn quantile(&self, probs: &[f64], control: &Control) -> Result<Vec<f64>> {
        self.require_1d("quantile")?;
        if let Some(bad) = probs.iter().find(|&&p| !(p > 0.0 && p < 1.0)) {
            return Err(CoreError::invalid("p", format!("probabilities must lie strictly between 0 and 1, got {bad}")));
        }
        if let Some(r) = self.reflection() {
            return r.quantile(probs, control);
        }
        let s = self.sorted()?;
        let (h, kernel) = (self.h(), self.kernel());
        let (lo0, hi0) = self.data_range();
        let reach = kernel.support().unwrap_or(60.0) * h;
        let weighted = self.raw_weights().is_some();
        let one = |p: f64| -> f64 {
            let upper = p > 0.5;
            let target = if upper { 1.0 - p } else { p };
            let (mut lo, mut hi) = (lo0 - reach, hi0 + reach);
            let mut x = sample_quantile(&s, weighted, p);
            for _ in 0..QUANTILE_STEPS {
                // g is increasing in x and zero at the quantile
                let g = if upper {
                    target - evaluate_one(&s, h, kernel, x, Quantity::Sf)
                } else {
                    evaluate_one(&s, h, kernel, x, Quantity::Cdf) - target
                };
                if g < 0.0 {
                    lo = x;
                } else {
                    hi = x;
                }
                let dens = evaluate_one(&s, h, kernel, x, Quantity::Pdf);
                let step = if dens > 0.0 { g / dens } else { f64::INFINITY };
                let mut next = x - step;
                if !(next > lo && next < hi) {
                    next = 0.5 * (lo + hi);
                }
                let done = (next - x).abs() <= 1e-12 * h || hi - lo <= 1e-12 * h;
                x = next;
                if done {
                    break;
                }
            }
            x
        };
        let blocks = map_blocks(probs.len(), 16, |a, b| {
            control.check()?;
            Ok(probs[a..b].iter().map(|&p| one(p)).collect::<Vec<f64>>())
        });
        Ok(blocks.into_iter().collect::<Result<Vec<_>>>()?.concat())
    }

    /// Location of the highest density. 1-D: the best point of a fine grid over the data range +- 3
    /// bandwidths, refined by golden-section search on the exact density (kept only if it is no worse).
    /// d > 1: Gaussian mean shift (Fukunaga & Hostetler 1975, "The estimation of the gradient of a density
    /// function") from the densest of up to 2000 sample points.
    pub fn mode(&self, control: &Control) -> Result<Vec<f64>> {
        if self.d() > 1 {
            return self.mode_nd(control);
        }
        if let Some(r) = self.reflection() {
            return Ok(vec![r.mode(MODE_GRID, control)?]);
        }
        let (x, f) = self.grid(MODE_GRID, None, None, 3.0, control)?;
        let k = (0..f.len()).fold(0, |b, i| if f[i] > f[b] { i } else { b });
        let (a, b) = (x[k.saturating_sub(1)], x[(k + 1).min(x.len() - 1)]);
        let s = self.sorted()?;
        let pdf = |v: f64| Ok(evaluate_one(&s, self.h(), self.kernel(), v, Quantity::Pdf));
        let best = golden_max(pdf, a, b, 1e-10 * self.h())?;
        Ok(vec![if pdf(best)? >= f[k] { best } else { x[k] }])
    }

    fn mode_nd(&self, control: &Control) -> Result<Vec<f64>> {
        if self.kernel() != Kernel::Gaussian {
            return Err(CoreError::invalid(
                "kernel",
                format!("mode in d > 1 uses Gaussian mean shift; got kernel '{}'", self.kernel().name()),
            ));
        }
        let (d, n, x) = (self.d(), self.n(), self.samples());
        let stride = if n <= MODE_STARTS { 1 } else { (n / MODE_STARTS).max(1) };
        let candidates: Vec<f64> = x.chunks_exact(d).step_by(stride).flatten().copied().collect();
        let logf = self.density(&candidates, true, control)?;
        let best = (0..logf.len()).fold(0, |b, i| if logf[i] > logf[b] { i } else { b });
        let inv = DMatrix::from_row_slice(d, d, self.bandwidth_matrix())
            .try_inverse()
            .ok_or_else(|| CoreError::invalid("bandwidth", "the bandwidth matrix is singular"))?;
        let w = self.weights();
        let scale = (0..d).map(|i| self.bandwidth_matrix()[i * d + i]).fold(0.0f64, f64::max).sqrt();
        let mut point = candidates[best * d..best * d + d].to_vec();
        let mut diff = vec![0.0; d];
        for _ in 0..MEAN_SHIFT_STEPS {
            control.check()?;
            let logk: Vec<f64> = x
                .chunks_exact(d)
                .map(|row| {
                    diff.iter_mut().zip(row).zip(&point).for_each(|((t, r), p)| *t = r - p);
                    let mut q = 0.0;
                    for i in 0..d {
                        for j in 0..d {
                            q += diff[i] * inv[(i, j)] * diff[j];
                        }
                    }
                    -0.5 * q
                })
                .collect();
            let top = logk.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let mut next = vec![0.0; d];
            let mut total = 0.0;
            for (row, (lk, wv)) in x.chunks_exact(d).zip(logk.iter().zip(&w)) {
                let kv = wv * (lk - top).exp();
                total += kv;
                next.iter_mut().zip(row).for_each(|(t, r)| *t += kv * r);
            }
            next.iter_mut().for_each(|t| *t /= total);
            let moved = next.iter().zip(&point).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            point = next;
            if moved <= 1e-12 * scale {
                break;
            }
        }
        Ok(point)
    }

    /// Highest-density region holding probability `level`, as intervals (several when the density is
    /// multimodal), flattened as [lo_1, hi_1, lo_2, hi_2, ...]: the density threshold is found on a fine
    /// grid over the data range +- the kernel's reach, each boundary is refined to where the exact density
    /// crosses it.
    pub fn hdi(&self, level: f64, control: &Control) -> Result<Vec<f64>> {
        self.require_1d("hdi")?;
        if self.reflection().is_some() {
            return Err(CoreError::invalid("hdi", "not available for an estimate with bounds"));
        }
        if !(level > 0.0 && level < 1.0) {
            return Err(CoreError::invalid("level", format!("must lie strictly between 0 and 1, got {level}")));
        }
        let h = self.h();
        let reach = self.kernel().support().unwrap_or(6.0) * h;
        let (lo, hi) = self.data_range();
        let (x, f) = self.grid(HDI_GRID, Some(lo - reach), Some(hi + reach), 3.0, control)?;
        let dx = x[1] - x[0];
        let mut desc = f.clone();
        desc.sort_unstable_by(|a, b| b.total_cmp(a));
        let mut mass = Vec::with_capacity(desc.len());
        let mut acc = 0.0;
        for v in &desc {
            acc += v;
            mass.push(acc * dx);
        }
        let target = level * mass[mass.len() - 1];
        let threshold = desc[mass.partition_point(|&m| m < target).min(desc.len() - 1)];
        let above: Vec<bool> = f.iter().map(|&v| v >= threshold).collect();
        let s = self.sorted()?;
        let excess = |v: f64| evaluate_one(&s, h, self.kernel(), v, Quantity::Pdf) - threshold;
        let last = x.len() - 1;
        let crossing = |i: usize| -> f64 {
            // The threshold is a grid value, so widen the bracket by a step on each side to be sure the exact
            // density crosses inside it.
            let (a, b) = (x[i.saturating_sub(1)], x[(i + 2).min(last)]);
            let tol = Tolerance { xtol: 1e-13 * h, rtol: 4.0 * f64::EPSILON, max_iter: 200 };
            brentq(excess, a, b, excess(a), excess(b), tol).unwrap_or(0.5 * (x[i] + x[i + 1]))
        };
        let mut bounds = Vec::new();
        if above[0] {
            bounds.push(x[0]);
        }
        for i in 0..last {
            if above[i] != above[i + 1] {
                bounds.push(crossing(i));
            }
        }
        if above[last] {
            bounds.push(x[last]);
        }
        bounds.truncate(bounds.len() / 2 * 2);
        Ok(bounds)
    }
}

#[cfg(test)]
mod tests {
    use crate::control::Control;
    use crate::kde::estimator::{BandwidthSpec, Estimator, Method, Spec};
    use crate::kde::kernels::Kernel;
    use crate::kde::rules::Rule;

    fn estimator(x: Vec<f64>, weights: Option<&[f64]>, bandwidth: BandwidthSpec) -> Estimator {
        let spec =
            Spec { x, d: 1, weights, bandwidth, kernel: Kernel::Gaussian, method: Method::Exact, tolerance: 1e-6 };
        Estimator::new(spec, &Control::new()).unwrap()
    }

    #[test]
    fn quantile_inverts_the_cdf_and_hdi_is_symmetric_for_symmetric_data() {
        let x: Vec<f64> = (0..201).map(|i| ((i as f64 - 100.0) / 40.0).powi(3)).collect();
        let e = estimator(x, None, BandwidthSpec::Value { h: 0.4, label: None });
        let c = Control::new();
        let p = [1e-6, 0.2, 0.5, 0.9];
        let q = e.quantile(&p, &c).unwrap();
        let cdf = e.tail(&q, false, &c).unwrap();
        for (a, b) in p.iter().zip(&cdf) {
            assert!((a - b).abs() <= 1e-9 * a, "{a} vs {b}");
        }
        let ends = e.hdi(0.9, &c).unwrap();
        assert_eq!(ends.len(), 2);
        assert!((ends[0] + ends[1]).abs() < 1e-8, "{ends:?}");
        assert!(e.mode(&c).unwrap()[0].abs() < 1e-6);
    }

    #[test]
    fn equal_weights_are_no_weights_for_every_rule() {
        let x = vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0];
        let w = vec![3.7; 10];
        for rule in [Rule::NormalReferenceRobust, Rule::ScottRobust, Rule::RuleOfThumb, Rule::Scott, Rule::IsjBotev] {
            let plain = estimator(x.clone(), None, BandwidthSpec::Rule(rule)).h();
            let weighted = estimator(x.clone(), Some(&w), BandwidthSpec::Rule(rule)).h();
            assert_eq!(plain, weighted, "{rule}");
        }
        // KDEpy's 'silverman' of these data
        let h = estimator(x, None, BandwidthSpec::Rule(Rule::NormalReferenceRobust)).h();
        assert!((h - 2.22944).abs() < 5e-6, "{h}");
    }
}
