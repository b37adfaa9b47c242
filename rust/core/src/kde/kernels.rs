//! Smoothing kernels in their unit-variance form, so that one bandwidth `h` means the kernel's standard
//! deviation whatever the kernel (KDEpy's convention): the bandwidth rules, derived for a Gaussian of
//! standard deviation `h`, then mean the same smoothing for every kernel.

use crate::error::{CoreError, Result};

const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Gaussian,
    Epanechnikov,
    Biweight,
    Triweight,
    Tophat,
    Cosine,
    Laplace,
    /// Triangular, 1 - |u| (KDEpy's 'tri').
    Tri,
    /// Tricube, 70/81 (1 - |u|^3)^3 (KDEpy's 'tricube').
    Tricube,
}

pub const KERNEL_NAMES: [&str; 9] =
    ["gaussian", "epanechnikov", "biweight", "triweight", "tophat", "cosine", "laplace", "tri", "tricube"];

impl Kernel {
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "gaussian" => Kernel::Gaussian,
            "epanechnikov" => Kernel::Epanechnikov,
            "biweight" => Kernel::Biweight,
            "triweight" => Kernel::Triweight,
            "tophat" => Kernel::Tophat,
            "cosine" => Kernel::Cosine,
            "laplace" => Kernel::Laplace,
            "tri" => Kernel::Tri,
            "tricube" => Kernel::Tricube,
            _ => return Err(CoreError::invalid("kernel", format!("unknown kernel {name:?}; known: {KERNEL_NAMES:?}"))),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kernel::Gaussian => "gaussian",
            Kernel::Epanechnikov => "epanechnikov",
            Kernel::Biweight => "biweight",
            Kernel::Triweight => "triweight",
            Kernel::Tophat => "tophat",
            Kernel::Cosine => "cosine",
            Kernel::Laplace => "laplace",
            Kernel::Tri => "tri",
            Kernel::Tricube => "tricube",
        }
    }

    /// Half-width `a` of the support in units of the standard deviation (`None`: unbounded).
    /// The compact kernels are `k(u)` on |u| <= 1 with variance `v`, rescaled by `a = 1/sqrt(v)`.
    pub fn support(self) -> Option<f64> {
        match self {
            Kernel::Gaussian | Kernel::Laplace => None,
            Kernel::Epanechnikov => Some(5f64.sqrt()),
            Kernel::Biweight => Some(7f64.sqrt()),
            Kernel::Triweight => Some(3.0),
            Kernel::Tophat => Some(3f64.sqrt()),
            Kernel::Cosine => Some(1.0 / (1.0 - 8.0 / (std::f64::consts::PI * std::f64::consts::PI)).sqrt()),
            // Variances 1/6 and 35/243.
            Kernel::Tri => Some(6f64.sqrt()),
            Kernel::Tricube => Some((243.0f64 / 35.0).sqrt()),
        }
    }

    /// Density of the unit-variance kernel at `z`.
    pub fn pdf(self, z: f64) -> f64 {
        let compact = |a: f64, k: &dyn Fn(f64) -> f64| {
            let u = z / a;
            if u.abs() <= 1.0 {
                k(u) / a
            } else {
                0.0
            }
        };
        match self {
            Kernel::Gaussian => (-0.5 * z * z).exp() / SQRT_2PI,
            Kernel::Laplace => std::f64::consts::FRAC_1_SQRT_2 * (-std::f64::consts::SQRT_2 * z.abs()).exp(),
            Kernel::Epanechnikov => compact(5f64.sqrt(), &|u| 0.75 * (1.0 - u * u)),
            Kernel::Biweight => compact(7f64.sqrt(), &|u| 15.0 / 16.0 * (1.0 - u * u).powi(2)),
            Kernel::Triweight => compact(3.0, &|u| 35.0 / 32.0 * (1.0 - u * u).powi(3)),
            Kernel::Tophat => compact(3f64.sqrt(), &|_| 0.5),
            Kernel::Cosine => compact(self.support().unwrap_or(1.0), &|u| {
                std::f64::consts::FRAC_PI_4 * (std::f64::consts::FRAC_PI_2 * u).cos()
            }),
            Kernel::Tri => compact(6f64.sqrt(), &|u| 1.0 - u.abs()),
            Kernel::Tricube => compact((243.0f64 / 35.0).sqrt(), &|u| 70.0 / 81.0 * (1.0 - u.abs().powi(3)).powi(3)),
        }
    }

    /// Lower tail probability P(Z <= z) of the unit-variance kernel, accurate in relative terms in the
    /// left tail (the right tail is obtained as `cdf(-z)` by symmetry).
    pub fn cdf(self, z: f64) -> f64 {
        let compact = |a: f64, k: &dyn Fn(f64) -> f64| {
            let u = (z / a).clamp(-1.0, 1.0);
            k(u)
        };
        match self {
            Kernel::Gaussian =>
            // libm (a port of musl's erfc, under 1 ulp): statrs's erfc is only good to ~1e-10 relative.
            {
                0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
            }
            Kernel::Laplace => {
                let e = 0.5 * (-std::f64::consts::SQRT_2 * z.abs()).exp();
                if z <= 0.0 {
                    e
                } else {
                    1.0 - e
                }
            }
            // Antiderivatives of the polynomial kernels on [-1, u]; written in powers of (1 + u) where
            // that keeps the left tail free of cancellation.
            Kernel::Epanechnikov => compact(5f64.sqrt(), &|u| (1.0 + u).powi(2) * (2.0 - u) / 4.0),
            Kernel::Biweight => compact(7f64.sqrt(), &|u| (1.0 + u).powi(3) * (3.0 * u * u - 9.0 * u + 8.0) / 16.0),
            Kernel::Triweight => {
                compact(3.0, &|u| (1.0 + u).powi(4) * (-5.0 * u.powi(3) + 20.0 * u * u - 29.0 * u + 16.0) / 32.0)
            }
            Kernel::Tophat => compact(3f64.sqrt(), &|u| 0.5 * (1.0 + u)),
            Kernel::Cosine => {
                compact(self.support().unwrap_or(1.0), &|u| 0.5 * (1.0 + (std::f64::consts::FRAC_PI_2 * u).sin()))
            }
            // Left of the centre in powers of v = 1 + u (no cancellation in the tail), by symmetry right of it.
            Kernel::Tri => compact(6f64.sqrt(), &|u| {
                if u <= 0.0 {
                    0.5 * (1.0 + u).powi(2)
                } else {
                    1.0 - 0.5 * (1.0 - u).powi(2)
                }
            }),
            Kernel::Tricube => compact((243.0f64 / 35.0).sqrt(), &|u| {
                if u <= 0.0 {
                    tricube_left(1.0 + u)
                } else {
                    1.0 - tricube_left(1.0 - u)
                }
            }),
        }
    }
}

impl Kernel {
    /// The radial scale `a` of the kernel's shape (the density is `k(|z| / a)` up to normalisation): the
    /// support half-width of a compact kernel, 1 for the Gaussian, 1/sqrt(2) for the Laplace kernel.
    pub fn scale(self) -> f64 {
        match self {
            Kernel::Gaussian => 1.0,
            Kernel::Laplace => std::f64::consts::FRAC_1_SQRT_2,
            _ => self.support().unwrap_or(1.0),
        }
    }

    /// The kernel's shape k(t) at the scaled distance t = |z| / a >= 0, unnormalised (k(0) = 1); compact
    /// shapes are 0 beyond t = 1 (t = 1 itself included, as in `pdf`).
    #[inline(always)]
    pub fn profile(self, t: f64) -> f64 {
        if t > 1.0 && !matches!(self, Kernel::Gaussian | Kernel::Laplace) {
            return 0.0;
        }
        match self {
            Kernel::Gaussian => (-0.5 * t * t).exp(),
            Kernel::Laplace => (-t).exp(),
            Kernel::Epanechnikov => 1.0 - t * t,
            Kernel::Biweight => (1.0 - t * t).powi(2),
            Kernel::Triweight => (1.0 - t * t).powi(3),
            Kernel::Tophat => 1.0,
            Kernel::Cosine => (std::f64::consts::FRAC_PI_2 * t).cos(),
            Kernel::Tri => 1.0 - t,
            Kernel::Tricube => (1.0 - t * t * t).powi(3),
        }
    }

    /// ln c_d, c_d the integral of k(|u|) over R^d: the radial kernel in d dimensions is
    /// k(|z| / a) / (a^d c_d). These are KDEpy's normalisations (Odland, KDEpy 1.1, `kernel_funcs.py`): the
    /// volume of the unit ball times the radial integral of each shape; in d = 1 they give `pdf`.
    pub fn log_radial_mass(self, d: usize) -> f64 {
        use statrs::function::gamma::ln_gamma;
        let n = d as f64;
        let ln_ball = 0.5 * n * std::f64::consts::PI.ln() - ln_gamma(0.5 * n + 1.0);
        let factor = match self {
            Kernel::Gaussian => return 0.5 * n * std::f64::consts::TAU.ln(),
            Kernel::Laplace => return ln_gamma(n) + n.ln() + ln_ball,
            Kernel::Tophat => 1.0,
            Kernel::Epanechnikov => 2.0 / (n + 2.0),
            Kernel::Biweight => 8.0 / ((n + 2.0) * (n + 4.0)),
            Kernel::Triweight => 48.0 / ((n + 2.0) * (n + 4.0) * (n + 6.0)),
            Kernel::Tri => 1.0 / (n + 1.0),
            Kernel::Tricube => 162.0 / ((n + 3.0) * (n + 6.0) * (n + 9.0)),
            // n times the integral of t^(n-1) cos(pi t / 2) on [0, 1], by the recursion for the sine and
            // cosine moments (integration by parts).
            Kernel::Cosine => {
                let c = 2.0 / std::f64::consts::PI;
                let (mut is, mut ic) = (c, c);
                for i in 1..d {
                    (ic, is) = (c * (1.0 - i as f64 * is), c * i as f64 * ic);
                }
                n * ic
            }
        };
        factor.ln() + ln_ball
    }
}

/// Tricube mass on [-1, v - 1] (v in [0, 1]): 70/81 times the integral of w^3 (3 - 3w + w^2)^3 from 0 to v,
/// the kernel written in w = 1 + t.
fn tricube_left(v: f64) -> f64 {
    let p = 6.75 + v * (-16.2 + v * (18.0 + v * (-81.0 / 7.0 + v * (4.5 + v * (-1.0 + v * 0.1)))));
    70.0 / 81.0 * v.powi(4) * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_integrate_to_one_with_unit_variance() {
        for name in KERNEL_NAMES {
            let k = Kernel::from_name(name).unwrap();
            let (lo, hi, m) = (-40.0, 40.0, 400_000);
            let dz = (hi - lo) / m as f64;
            let (mut mass, mut var) = (0.0, 0.0);
            for i in 0..m {
                let z = lo + (i as f64 + 0.5) * dz;
                mass += k.pdf(z) * dz;
                var += z * z * k.pdf(z) * dz;
            }
            assert!((mass - 1.0).abs() < 1e-4, "{name} mass {mass}"); // tophat: midpoint rule across a jump
            assert!((var - 1.0).abs() < 1e-4, "{name} variance {var}");
            // cdf is the antiderivative of pdf
            for z in [-1.3, -0.2, 0.0, 0.7, 1.9] {
                let num = (k.cdf(z + 1e-5) - k.cdf(z - 1e-5)) / 2e-5;
                assert!((num - k.pdf(z)).abs() < 1e-5, "{name} cdf' at {z}: {num} vs {}", k.pdf(z));
            }
            // The radial normalisation in d = 1 is the 1-D density's.
            let a = k.scale();
            for z in [0.0, 0.3, -1.1, 2.0] {
                let radial = k.profile(f64::abs(z) / a) / (a * k.log_radial_mass(1).exp());
                assert!((radial - k.pdf(z)).abs() < 1e-14, "{name} radial at {z}: {radial} vs {}", k.pdf(z));
            }
            assert!((k.cdf(-50.0)).abs() < 1e-300 || k.support().is_none());
            assert!((k.cdf(50.0) - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn radial_kernels_integrate_to_one_in_two_and_three_dimensions() {
        for name in KERNEL_NAMES {
            let k = Kernel::from_name(name).unwrap();
            let a = k.scale();
            for d in [2usize, 3] {
                // The integral over R^d of k(|u| / a) / (a^d c_d) in polar form: S_{d-1} r^(d-1) dr.
                let sphere = if d == 2 { std::f64::consts::TAU } else { 4.0 * std::f64::consts::PI };
                let (hi, m) = (60.0, 600_000);
                let dr = hi / m as f64;
                let mass: f64 = (0..m)
                    .map(|i| {
                        let r = (i as f64 + 0.5) * dr;
                        sphere * r.powi(d as i32 - 1) * k.profile(r / a) * dr
                    })
                    .sum::<f64>()
                    / (a.powi(d as i32) * k.log_radial_mass(d).exp());
                assert!((mass - 1.0).abs() < 1e-4, "{name} d={d}: mass {mass}");
            }
        }
    }
}
