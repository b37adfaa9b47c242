//! How a replicate's indices are drawn: independently (Efron's bootstrap) or in blocks of consecutive
//! observations, which keep the dependence of a time series (a loss curve, per-step metrics, returns)
//! inside each block so that the spread of a statistic is not understated (docs/methods.md section 3):
//! - moving blocks (Künsch 1989, "The jackknife and the bootstrap for general stationary observations"):
//!   blocks of a fixed length starting anywhere the block fits;
//! - circular blocks (Politis & Romano 1992, "A circular block-resampling procedure for stationary
//!   data"): blocks start anywhere and wrap around the end, so every observation is equally likely;
//! - the stationary bootstrap (Politis & Romano 1994, "The stationary bootstrap"): circular blocks of
//!   geometric length, so that the resampled series is itself stationary.
//!
//! The automatic length is Politis & White (2004), "Automatic block-length selection for the
//! dependent bootstrap", with the correction of Patton, Politis & White (2009) and the tuning constants
//! of the authors' own program. No maintained Rust crate provides block resampling or this rule.

use rand::Rng;

use super::rng::{draw_index, fill_indices};
use crate::error::{CoreError, Result};

/// How the indices of one replicate are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resampling {
    /// n independent uniform indices.
    Iid,
    /// Blocks of `length` consecutive indices, each starting uniformly in 0..=n - length.
    Moving { length: usize },
    /// Blocks of `length` indices starting uniformly in 0..n, wrapping around the end.
    Circular { length: usize },
    /// Wrapping blocks of geometric length with mean `mean_length`: each next index starts a new
    /// block with probability 1 / mean_length.
    Stationary { mean_length: f64 },
}

impl Resampling {
    pub const NAMES: [&'static str; 3] = ["moving", "circular", "stationary"];

    /// The scheme called `block` (None: independent draws) with block length `length` (a whole number
    /// for fixed blocks, any real >= 1 for the stationary bootstrap's mean length).
    pub fn parse(block: Option<&str>, length: f64) -> Result<Resampling> {
        let Some(name) = block else { return Ok(Resampling::Iid) };
        if !(length.is_finite() && length >= 1.0) {
            return Err(CoreError::invalid("block_length", format!("must be a number >= 1, got {length}")));
        }
        let whole = || {
            if length.fract() == 0.0 && length <= u32::MAX as f64 {
                Ok(length as usize)
            } else {
                Err(CoreError::invalid(
                    "block_length",
                    format!("must be a whole number for {name} blocks, got {length}"),
                ))
            }
        };
        Ok(match name {
            "moving" => Resampling::Moving { length: whole()? },
            "circular" => Resampling::Circular { length: whole()? },
            "stationary" => Resampling::Stationary { mean_length: length },
            _ => {
                return Err(CoreError::invalid(
                    "block",
                    format!("must be None or one of {:?}, got {name:?}", Resampling::NAMES),
                ))
            }
        })
    }

    /// Whether replicates keep runs of consecutive observations.
    pub fn is_blocked(self) -> bool {
        self != Resampling::Iid
    }

    /// Check the scheme against a sample of `n` values.
    pub fn check(self, n: usize) -> Result<()> {
        match self {
            Resampling::Moving { length } | Resampling::Circular { length } if length > n => Err(CoreError::invalid(
                "block_length",
                format!("a block of {length} values is longer than the sample ({n} values)"),
            )),
            _ => Ok(()),
        }
    }

    /// The `n` indices of one replicate of a sample of `n` values, drawn from `rng` into `out`.
    /// Independent draws make exactly the calls the streamed statistics make, index by index.
    pub fn draw<R: Rng>(self, rng: &mut R, n: usize, out: &mut Vec<u32>) {
        out.clear();
        match self {
            Resampling::Iid => {
                out.resize(n, 0);
                fill_indices(rng, n, out);
            }
            Resampling::Moving { length } => {
                while out.len() < n {
                    let start = draw_index(rng, n - length + 1);
                    let take = length.min(n - out.len());
                    out.extend((start..start + take).map(|j| j as u32));
                }
            }
            Resampling::Circular { length } => {
                while out.len() < n {
                    let start = draw_index(rng, n);
                    let take = length.min(n - out.len());
                    out.extend((start..start + take).map(|j| (j % n) as u32));
                }
            }
            Resampling::Stationary { mean_length } => {
                let p_new = 1.0 / mean_length;
                let mut j = draw_index(rng, n);
                out.push(j as u32);
                while out.len() < n {
                    j = if rng.random::<f64>() < p_new { draw_index(rng, n) } else { (j + 1) % n };
                    out.push(j as u32);
                }
            }
        }
    }
}

/// Politis & White's automatic block lengths of a series: (stationary bootstrap mean length, circular
/// or moving block length), each at least 1 (1 for a series without serial dependence).
///
/// The long-run variance and its first moment are estimated with the flat-top lag window of Politis &
/// Romano (1995), cut at twice the first lag m from which K_n = max(5, ceil(sqrt(log10 n)))
/// autocorrelations in a row are inside +-2 sqrt(log10(n) / n) (at most ceil(sqrt(n)) + K_n); the length minimising the asymptotic
/// MSE of the bootstrap variance is then (2 G^2 / D)^(1/3) n^(1/3), with D = 2 sigma^4 for the
/// stationary bootstrap and 4/3 sigma^4 for circular blocks (the 2009 correction), capped at
/// min(3 sqrt(n), n / 3).
pub fn optimal_block_length(x: &[f64]) -> Result<(f64, f64)> {
    let n = x.len();
    if n < 4 {
        return Err(CoreError::invalid("x", format!("needs at least 4 values to choose a block length, got {n}")));
    }
    if let Some(bad) = x.iter().find(|v| !v.is_finite()) {
        return Err(CoreError::invalid("x", format!("must be finite, got {bad}")));
    }
    let nf = n as f64;
    let mean = x.iter().sum::<f64>() / nf;
    let eps: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let kn = 5usize.max((nf.log10().sqrt()).ceil() as usize);
    let m_max = ((nf.sqrt()).ceil() as usize + kn).min(n - 1);
    let b_max = (3.0 * nf.sqrt()).min(nf / 3.0).ceil().max(1.0);
    // Autocovariances (1/n) sum_t eps_t eps_{t-k}, k = 0..=m_max.
    let acv: Vec<f64> = (0..=m_max).map(|k| eps[k..].iter().zip(&eps).map(|(a, b)| a * b).sum::<f64>() / nf).collect();
    if acv[0] <= 0.0 {
        return Ok((1.0, 1.0));
    }
    let bound = 2.0 * (nf.log10() / nf).sqrt();
    let insignificant: Vec<bool> = acv[1..].iter().map(|c| (c / acv[0]).abs() < bound).collect();
    // m: the first lag starting a run of kn insignificant autocorrelations (as the authors' program counts
    // it; insignificant[i] is lag i + 1), else the last significant lag.
    let m_hat = (0..insignificant.len().saturating_sub(kn - 1))
        .find(|&i| insignificant[i..i + kn].iter().all(|&s| s))
        .map(|i| i + 1)
        .unwrap_or_else(|| insignificant.iter().rposition(|&s| !s).map_or(0, |i| i + 1));
    let big_m = (2 * m_hat.max(1)).min(m_max);
    let (mut g, mut sigma2) = (0.0, acv[0]);
    for (k, c) in acv.iter().enumerate().take(big_m + 1).skip(1) {
        let t = k as f64 / big_m as f64;
        let lambda = if t <= 0.5 { 1.0 } else { 2.0 * (1.0 - t) };
        g += 2.0 * lambda * k as f64 * c;
        sigma2 += 2.0 * lambda * c;
    }
    let length = |d: f64| {
        let b = (2.0 * g * g / d).cbrt() * nf.cbrt();
        if b.is_finite() {
            b.clamp(1.0, b_max)
        } else {
            1.0
        }
    };
    Ok((length(2.0 * sigma2 * sigma2), length(4.0 / 3.0 * sigma2 * sigma2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::rng::{replicate_rng, standard_normal};

    #[test]
    fn blocks_are_runs_of_consecutive_indices() {
        let n = 50;
        for scheme in [Resampling::Moving { length: 7 }, Resampling::Circular { length: 7 }] {
            let mut rng = replicate_rng(1, 2);
            let mut out = Vec::new();
            scheme.draw(&mut rng, n, &mut out);
            assert_eq!(out.len(), n);
            for block in out.chunks(7) {
                for w in block.windows(2) {
                    assert_eq!(w[1] as usize, (w[0] as usize + 1) % n, "{scheme:?} {out:?}");
                }
                if let Resampling::Moving { .. } = scheme {
                    assert!(block[0] as usize + 7 <= n);
                }
            }
        }
    }

    #[test]
    fn stationary_blocks_have_the_mean_length() {
        let (n, mean_length) = (100_000, 8.0);
        let mut rng = replicate_rng(3, 0);
        let mut out = Vec::new();
        Resampling::Stationary { mean_length }.draw(&mut rng, n, &mut out);
        let breaks = out.windows(2).filter(|w| w[1] as usize != (w[0] as usize + 1) % n).count();
        let mean = n as f64 / (breaks + 1) as f64;
        assert!((mean - mean_length).abs() < 0.3, "{mean}");
    }

    #[test]
    fn independent_draws_are_the_streamed_draws() {
        let mut a = replicate_rng(4, 9);
        let mut b = replicate_rng(4, 9);
        let mut out = Vec::new();
        Resampling::Iid.draw(&mut a, 33, &mut out);
        let direct: Vec<u32> = (0..33).map(|_| draw_index(&mut b, 33) as u32).collect();
        assert_eq!(out, direct);
    }

    #[test]
    fn bad_schemes_name_their_argument() {
        let name = |e: CoreError| match e {
            CoreError::InvalidInput { name, .. } => name,
            _ => String::new(),
        };
        assert_eq!(name(Resampling::parse(Some("moving"), 2.5).unwrap_err()), "block_length");
        assert_eq!(name(Resampling::parse(Some("stationary"), 0.5).unwrap_err()), "block_length");
        assert_eq!(name(Resampling::parse(Some("tapered"), 2.0).unwrap_err()), "block");
        assert_eq!(name(Resampling::Moving { length: 11 }.check(10).unwrap_err()), "block_length");
        assert!(Resampling::parse(Some("stationary"), 2.5).is_ok());
    }

    #[test]
    fn automatic_length_grows_with_dependence() {
        let mut rng = replicate_rng(5, 0);
        let white: Vec<f64> = (0..5000).map(|_| standard_normal(&mut rng)).collect();
        let mut ar = vec![0.0; 5000];
        for t in 1..5000 {
            ar[t] = 0.9 * ar[t - 1] + white[t];
        }
        let (sb_white, cb_white) = optimal_block_length(&white).unwrap();
        let (sb_ar, cb_ar) = optimal_block_length(&ar).unwrap();
        assert!(sb_white < 3.0 && cb_white < 3.0, "{sb_white} {cb_white}");
        assert!(sb_ar > 10.0 && cb_ar > sb_ar, "{sb_ar} {cb_ar}");
        assert_eq!(optimal_block_length(&[1.0; 10]).unwrap(), (1.0, 1.0));
    }
}
