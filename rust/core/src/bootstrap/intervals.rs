//! Bootstrap confidence intervals: percentile, basic and BCa, exactly as scipy.stats.bootstrap
//! computes them (docs/methods.md section 3; Efron & Tibshirani 1993, 14.3 and 15.4).

use statrs::function::erf::erfc_inv;

use crate::error::{CoreError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Percentile,
    Basic,
    Bca,
}

impl Method {
    pub const NAMES: [&'static str; 3] = ["percentile", "basic", "bca"];

    /// The method called `name`, in any letter case ("BCa" as scipy spells it).
    pub fn parse(name: &str) -> Result<Method> {
        match name.to_ascii_lowercase().as_str() {
            "percentile" => Ok(Method::Percentile),
            "basic" => Ok(Method::Basic),
            "bca" => Ok(Method::Bca),
            _ => Err(CoreError::invalid("method", format!("must be one of {:?}, got {name:?}", Method::NAMES))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Percentile => "percentile",
            Method::Basic => "basic",
            Method::Bca => "bca",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Standard normal CDF (scipy.special.ndtr). libm's erfc (the FreeBSD/musl implementation) is
/// accurate to about an ulp; statrs's erfc is off by ~1e-12 near the 97.5 % point, too far for BCa
/// intervals that must equal scipy's to 1e-12.
pub fn ndtr(x: f64) -> f64 {
    let t = x / std::f64::consts::SQRT_2;
    if t < -0.5 {
        0.5 * libm::erfc(-t)
    } else if t > 0.5 {
        1.0 - 0.5 * libm::erfc(t)
    } else {
        0.5 + 0.5 * libm::erf(t)
    }
}

/// Standard normal quantile (scipy.special.ndtri): statrs's erfc_inv as the start, polished by
/// Newton steps on the accurate `ndtr`.
pub fn ndtri(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let mut z = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
    for _ in 0..3 {
        let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        if density.is_nan() || density <= 0.0 {
            break;
        }
        let step = (ndtr(z) - p) / density;
        z -= step;
        if step.abs() <= 1e-16 * z.abs() {
            break;
        }
    }
    z
}

/// A copy of a bootstrap distribution to select order statistics from; non-finite values are an error
/// naming `name`.
pub fn checked_distribution(distribution: &[f64], name: &str) -> Result<Vec<f64>> {
    if distribution.is_empty() {
        return Err(CoreError::invalid(name, "the bootstrap distribution is empty (every replicate failed?)"));
    }
    if let Some(bad) = distribution.iter().find(|v| !v.is_finite()) {
        return Err(CoreError::invalid(name, format!("the bootstrap distribution holds a non-finite value {bad}")));
    }
    Ok(distribution.to_vec())
}

/// Quantile `p` of `values` with linear interpolation between order statistics (numpy's default,
/// scipy.stats.quantile's "linear"): position (B - 1) p. The two order statistics are selected in O(B),
/// not sorted for: an interval needs two quantiles, and a batch needs them for each of its problems.
/// Reorders `values`; the same bits as interpolating in the sorted values.
pub fn quantile_selected(values: &mut [f64], p: f64) -> f64 {
    let n = values.len();
    if n == 0 || p.is_nan() {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let (_, a, right) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let a = *a;
    let b = right.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
    a + frac * (b - a)
}

/// The BCa acceleration `a_hat` from jackknife estimates, one slice per independent sample (scipy's
/// multi-sample form: sum_j sum_i U_ji^3 / n_j^3 over 6 (sum_j sum_i U_ji^2 / n_j^2)^(3/2)).
pub fn acceleration(jackknife: &[&[f64]]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for theta_i in jackknife {
        let n = theta_i.len() as f64;
        let dot = theta_i.iter().sum::<f64>() / n;
        let (mut s3, mut s2) = (0.0, 0.0);
        for t in theta_i.iter() {
            let u = (n - 1.0) * (dot - t);
            s3 += u * u * u;
            s2 += u * u;
        }
        num += s3 / (n * n * n);
        den += s2 / (n * n);
    }
    num / 6.0 / den.powf(1.5)
}

/// The bias correction z0 = Phi^-1((#{theta* < theta_hat} + #{theta* <= theta_hat}) / 2B).
pub fn bias_correction(distribution: &[f64], theta_hat: f64) -> f64 {
    // Both counts in one pass: (t < theta) + (t <= theta) per value.
    let counted: usize = distribution.iter().map(|&t| usize::from(t < theta_hat) + usize::from(t <= theta_hat)).sum();
    ndtri(counted as f64 / (2 * distribution.len()) as f64)
}

/// BCa quantile levels (alpha_1, alpha_2) for two-sided tail `alpha` (= (1 - level) / 2).
pub fn bca_levels(z0: f64, a_hat: f64, alpha: f64) -> (f64, f64) {
    let z_alpha = ndtri(alpha);
    let num1 = z0 + z_alpha;
    let num2 = z0 - z_alpha;
    (ndtr(z0 + num1 / (1.0 - a_hat * num1)), ndtr(z0 + num2 / (1.0 - a_hat * num2)))
}

/// An interval and the quantities behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// Quantile levels of the bootstrap distribution used (BCa-adjusted for BCa).
    pub levels: (f64, f64),
    /// BCa bias correction and acceleration (NaN for the other methods).
    pub z0: f64,
    pub a_hat: f64,
}

/// Check a confidence level, naming the argument as the user spelled it.
pub fn check_level(level: f64) -> Result<f64> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(level)
    } else {
        Err(CoreError::invalid("level", format!("must lie strictly between 0 and 1, got {level}")))
    }
}

/// Two-sided interval at confidence `level`. `jackknife` (one slice per sample) is needed for BCa only.
pub fn interval(
    distribution: &[f64],
    theta_hat: f64,
    jackknife: &[&[f64]],
    level: f64,
    method: Method,
) -> Result<Interval> {
    interval_at_tail(distribution, theta_hat, jackknife, (1.0 - check_level(level)?) / 2.0, method)
}

/// The ends at tail probability `alpha` on each side (in (0, 0.5]): a two-sided interval at level
/// 1 - 2 alpha, or, keeping one end, a one-sided interval at level 1 - alpha (scipy's `alternative`).
pub fn interval_at_tail(
    distribution: &[f64],
    theta_hat: f64,
    jackknife: &[&[f64]],
    alpha: f64,
    method: Method,
) -> Result<Interval> {
    if !(alpha > 0.0 && alpha <= 0.5) {
        return Err(CoreError::invalid("level", format!("the tail probability must lie in (0, 0.5], got {alpha}")));
    }
    let mut values = checked_distribution(distribution, "distribution")?;
    let mut q = |p: f64| quantile_selected(&mut values, p);
    Ok(match method {
        Method::Percentile => Interval {
            low: q(alpha),
            high: q(1.0 - alpha),
            levels: (alpha, 1.0 - alpha),
            z0: f64::NAN,
            a_hat: f64::NAN,
        },
        Method::Basic => Interval {
            low: 2.0 * theta_hat - q(1.0 - alpha),
            high: 2.0 * theta_hat - q(alpha),
            levels: (alpha, 1.0 - alpha),
            z0: f64::NAN,
            a_hat: f64::NAN,
        },
        Method::Bca => {
            if jackknife.is_empty() || jackknife.iter().any(|j| j.len() < 2) {
                return Err(CoreError::invalid("jackknife", "BCa needs at least two jackknife values per sample"));
            }
            let z0 = bias_correction(distribution, theta_hat);
            let a_hat = acceleration(jackknife);
            let levels = bca_levels(z0, a_hat, alpha);
            if levels.0.is_nan() || levels.1.is_nan() {
                return Err(CoreError::invalid(
                    "method",
                    "BCa is undefined here (all jackknife values equal, or no bootstrap value on one side of the \
                     estimate); use method='percentile'",
                ));
            }
            Interval { low: q(levels.0), high: q(levels.1), levels, z0, a_hat }
        }
    })
}

/// Sample standard deviation (ddof = 1) of a bootstrap distribution: the bootstrap standard error.
pub fn standard_error(distribution: &[f64]) -> f64 {
    let n = distribution.len() as f64;
    let m = distribution.iter().sum::<f64>() / n;
    (distribution.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition `quantile_selected` must equal: interpolation in the sorted values.
    fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
        let n = sorted.len();
        if n == 0 || p.is_nan() {
            return f64::NAN;
        }
        let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        let frac = h - lo as f64;
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }

    #[test]
    fn normal_functions_match_known_values() {
        let p = ndtr(1.959963984540054);
        assert!((p - 0.975).abs() < 1e-15, "{p}");
        let z = ndtri(0.975);
        assert!((z - 1.959963984540054).abs() < 1e-14, "{z}");
        assert!((ndtri(0.025) + 1.959963984540054).abs() < 1e-14);
        assert_eq!(ndtri(0.5), 0.0);
        for p in [1e-10, 0.001, 0.025, 0.3, 0.6, 0.9, 0.999] {
            assert!((ndtr(ndtri(p)) - p).abs() < 1e-15 * p.max(1e-3) * 1e3, "{p}");
        }
    }

    #[test]
    fn quantile_interpolates_linearly() {
        let s = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_sorted(&s, 0.0), 1.0);
        assert_eq!(quantile_sorted(&s, 1.0), 8.0);
        assert!((quantile_sorted(&s, 0.5) - 3.0).abs() < 1e-15);
    }

    #[test]
    fn selected_quantiles_equal_sorted_ones() {
        let mut rng = crate::numeric::rng::replicate_rng(5, 0);
        for n in [1usize, 2, 3, 10, 101, 2000] {
            let v: Vec<f64> = (0..n).map(|i| crate::numeric::rng::standard_normal(&mut rng) + (i % 7) as f64).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let mut work = v.clone();
            for p in [0.0, 0.001, 0.025, 0.3, 0.5, 0.975, 0.999, 1.0] {
                assert_eq!(quantile_selected(&mut work, p).to_bits(), quantile_sorted(&sorted, p).to_bits(), "{n} {p}");
            }
        }
    }

    #[test]
    fn bca_without_bias_or_skew_is_the_percentile_interval() {
        // Symmetric distribution around theta_hat and symmetric jackknife: z0 = 0, a = 0.
        let dist: Vec<f64> = (0..1001).map(|i| (i as f64 - 500.0) / 100.0).collect();
        let jack = [-1.0, 0.0, 1.0];
        let b = interval(&dist, 0.0, &[&jack], 0.9, Method::Bca).unwrap();
        let p = interval(&dist, 0.0, &[], 0.9, Method::Percentile).unwrap();
        assert!(b.a_hat.abs() < 1e-15 && b.z0.abs() < 1e-12);
        assert!((b.low - p.low).abs() < 1e-9 && (b.high - p.high).abs() < 1e-9);
    }

    #[test]
    fn basic_reflects_the_percentile_interval() {
        let dist = [1.0, 2.0, 3.0, 10.0];
        let p = interval(&dist, 2.0, &[], 0.5, Method::Percentile).unwrap();
        let b = interval(&dist, 2.0, &[], 0.5, Method::Basic).unwrap();
        assert_eq!((b.low, b.high), (4.0 - p.high, 4.0 - p.low));
    }

    #[test]
    fn bad_levels_and_methods_are_rejected() {
        for level in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(matches!(check_level(level), Err(CoreError::InvalidInput { ref name, .. }) if name == "level"));
        }
        assert!(Method::parse("studentized").is_err());
        let flat = [1.0, 1.0, 1.0];
        assert!(matches!(
            interval(&[0.5, 1.0, 1.5], 1.0, &[&flat], 0.9, Method::Bca),
            Err(CoreError::InvalidInput { ref name, .. }) if name == "method"
        ));
    }
}
