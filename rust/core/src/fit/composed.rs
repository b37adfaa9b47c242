//! Objectives composed from four choices: the space of the residuals (log or linear), the penalty of
//! one residual (squared, absolute, Huber, pseudo-Huber), the weights of over- and under-predictions,
//! and the reduction over runs (sum or mean). The named objectives are particular compositions
//! ("huber_log" is log x Huber x 1/1 x sum, "lsq" linear x squared x 1/1 x sum, "lsq_log" log x squared,
//! "asymmetric" log x Huber x w/1), and e.g. the default of the PyPI `chinchilla` package (Takano) is
//! linear x absolute x 10/1 x mean.
//!
//! Written as text, "space=linear,penalty=absolute,over=10,reduction=mean" (keys in any order,
//! defaults log, huber, delta 1e-3, over 1, under 1, sum), so that a composition crosses the
//! Python boundary and pickles as one string. A penalty of the user's own is an expression in the
//! residual r, given last as "rho=<expression>" (it may contain commas: `min(r^2, 0.01)`).

use super::objective::huber;
use crate::error::{CoreError, Result};
use crate::expr::{penalty, PenaltyExpr};
use crate::laws::Space;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Penalty {
    /// r^2 (as the named least-squares objectives: no factor 1/2)
    Squared,
    /// |r|
    Absolute,
    /// Huber's loss as scipy.special.huber: r^2 / 2 inside |r| <= delta, delta (|r| - delta / 2) outside
    Huber(f64),
    /// delta^2 (sqrt(1 + (r / delta)^2) - 1): smooth everywhere, quadratic near zero, linear far out
    PseudoHuber(f64),
    /// An expression in r (`crate::expr::penalty`).
    Expr(&'static PenaltyExpr),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Composition {
    pub space: Space,
    pub penalty: Penalty,
    /// Weight of over-predictions (prediction above observation) ...
    pub over: f64,
    /// ... and of under-predictions.
    pub under: f64,
    /// Mean over runs instead of the sum.
    pub mean: bool,
}

const KEYS: [&str; 6] = ["space", "penalty", "delta", "over", "under", "reduction"];

impl Composition {
    /// Read "key=value,..." (see the module documentation).
    pub fn parse(text: &str) -> Result<Composition> {
        let bad = |what: String| CoreError::invalid("objective", format!("{what} in {text:?} (keys: {KEYS:?})"));
        let (mut space, mut penalty, mut delta, mut over, mut under, mut mean) =
            (Space::Log, "huber", 1e-3, 1.0, 1.0, false);
        let (keys, rho) = match text.find("rho=") {
            Some(i) => (&text[..i], Some(&text[i + 4..])),
            None => (text, None),
        };
        for item in keys.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item.split_once('=').ok_or_else(|| bad(format!("{item:?} is not key=value")))?;
            let (key, value) = (key.trim(), value.trim());
            let number = || value.parse::<f64>().map_err(|_| bad(format!("{key}={value:?} is not a number")));
            match key {
                "space" => {
                    space = match value {
                        "log" => Space::Log,
                        "linear" => Space::Linear,
                        _ => return Err(bad(format!("space must be log or linear, got {value:?}"))),
                    }
                }
                "penalty" => penalty = value,
                "delta" => delta = number()?,
                "over" => over = number()?,
                "under" => under = number()?,
                "reduction" => {
                    mean = match value {
                        "sum" => false,
                        "mean" => true,
                        _ => return Err(bad(format!("reduction must be sum or mean, got {value:?}"))),
                    }
                }
                _ => return Err(bad(format!("unknown key {key:?}"))),
            }
        }
        let penalty = match (rho, penalty) {
            (Some(expr), _) => Penalty::Expr(self::penalty(expr)?),
            (None, "squared") => Penalty::Squared,
            (None, "absolute") => Penalty::Absolute,
            (None, "huber") => Penalty::Huber(delta),
            (None, "pseudo_huber") => Penalty::PseudoHuber(delta),
            (None, other) => {
                return Err(bad(format!("penalty must be squared, absolute, huber or pseudo_huber, got {other:?}")))
            }
        };
        let c = Composition { space, penalty, over, under, mean };
        c.validate()?;
        Ok(c)
    }

    /// The text `parse` reads back to this composition.
    pub fn spec(&self) -> String {
        let space = if self.space == Space::Log { "log" } else { "linear" };
        let (penalty, rho) = match self.penalty {
            Penalty::Squared => ("squared".to_string(), String::new()),
            Penalty::Absolute => ("absolute".to_string(), String::new()),
            Penalty::Huber(d) => (format!("huber,delta={d:e}"), String::new()),
            Penalty::PseudoHuber(d) => (format!("pseudo_huber,delta={d:e}"), String::new()),
            Penalty::Expr(p) => ("expression".to_string(), format!(",rho={}", p.text)),
        };
        let reduction = if self.mean { "mean" } else { "sum" };
        format!(
            "space={space},penalty={penalty},over={:e},under={:e},reduction={reduction}{rho}",
            self.over, self.under
        )
    }

    pub fn validate(&self) -> Result<()> {
        if let Penalty::Huber(d) | Penalty::PseudoHuber(d) = self.penalty {
            if !(d.is_finite() && d > 0.0) {
                return Err(CoreError::invalid("delta", format!("must be finite and positive, got {d}")));
            }
        }
        for (name, w) in [("over", self.over), ("under", self.under)] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(CoreError::invalid(name, format!("must be finite and non-negative, got {w}")));
            }
        }
        if self.over == 0.0 && self.under == 0.0 {
            return Err(CoreError::invalid("objective", "over and under cannot both be zero"));
        }
        Ok(())
    }

    /// The loss of one residual r = prediction - observation and its derivative.
    #[inline]
    pub fn rho(&self, r: f64) -> (f64, f64) {
        let (v, d) = match self.penalty {
            Penalty::Squared => (r * r, 2.0 * r),
            // The subgradient 0 at r = 0 exactly.
            Penalty::Absolute => (
                r.abs(),
                if r > 0.0 {
                    1.0
                } else if r < 0.0 {
                    -1.0
                } else {
                    0.0
                },
            ),
            Penalty::Huber(delta) => huber(r, delta),
            Penalty::PseudoHuber(delta) => {
                let s = (1.0 + (r / delta) * (r / delta)).sqrt();
                (delta * delta * (s - 1.0), r / s)
            }
            Penalty::Expr(p) => p.eval(r),
        };
        let w = if r > 0.0 { self.over } else { self.under };
        (w * v, w * d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_reads_back_to_the_same_composition() {
        let c = Composition::parse("space=linear, penalty=absolute, over=10, reduction=mean").unwrap();
        assert_eq!(
            c,
            Composition { space: Space::Linear, penalty: Penalty::Absolute, over: 10.0, under: 1.0, mean: true }
        );
        assert_eq!(Composition::parse(&c.spec()).unwrap(), c);
        let h = Composition::parse("penalty=pseudo_huber,delta=0.01").unwrap();
        assert_eq!(Composition::parse(&h.spec()).unwrap(), h);
        let e = Composition::parse("space=linear,over=2,rho=min(r^2, 0.01)").unwrap();
        assert_eq!(Composition::parse(&e.spec()).unwrap(), e);
        let (v, d) = e.rho(0.05);
        assert!((v - 2.0 * 0.0025).abs() < 1e-15 && (d - 2.0 * 0.1).abs() < 1e-14, "{v} {d}");
        assert_eq!(e.rho(-0.5), (0.01, 0.0));
        for bad in ["space=cubic", "penalty=huber,delta=0", "over=-1", "colour=red", "over", "over=0,under=0"] {
            assert!(Composition::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn derivatives_equal_central_differences() {
        let comps = ["penalty=squared,over=3", "penalty=huber,delta=0.1,under=2", "penalty=pseudo_huber,delta=0.3"];
        for text in comps {
            let c = Composition::parse(text).unwrap();
            for r in [-2.0, -0.05, 0.07, 1.5] {
                let h = 1e-6;
                let fd = (c.rho(r + h).0 - c.rho(r - h).0) / (2.0 * h);
                assert!((c.rho(r).1 - fd).abs() < 1e-6, "{text} at {r}");
            }
        }
    }
}
