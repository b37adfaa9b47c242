//! The quantity a profile holds fixed, as a reparametrisation of the law's internal coordinates: the
//! quantity's value psi and k - 1 free coordinates u give the whole parameter vector theta(u, psi) and
//! its Jacobian d theta / d u, so a constrained refit is an unconstrained one in u (no Lagrange
//! multiplier to solve for). A public parameter is held by fixing its coordinate; the Chinchilla law's
//! allocation exponent a = beta / (alpha + beta) by solving it for beta; ln N_opt(C) by solving Hoffmann
//! et al.'s (2022) closed form ln N_opt = (ln(alpha A) - ln(beta B) + beta ln(C / f)) / (alpha + beta) for
//! ln B.

use crate::error::{CoreError, Result};
use crate::laws::Law;

/// Chinchilla's internal coordinates: ln E, ln A, ln B, alpha, beta.
const LN_A: usize = 1;
const LN_B: usize = 2;
const ALPHA: usize = 3;
const BETA: usize = 4;

/// How far (in e-folds of N) the search for ln N_opt's interval goes before calling it unbounded.
const LN_N_OPT_REACH: f64 = 30.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// The internal coordinate of parameter j (the logarithm of a positive coefficient).
    Param(usize),
    /// The Chinchilla allocation exponent a = beta / (alpha + beta) in N_opt proportional to C^a.
    Exponent,
    /// ln N_opt(C) of the Chinchilla law; `ln_budget` = ln(C / f) with f the FLOPs per parameter-token.
    LnNOpt { ln_budget: f64 },
}

impl Quantity {
    /// `name` is a parameter of `law`, "a" or "N_opt" (the last two for the Chinchilla law only; N_opt
    /// needs `compute` C > 0 and `flops_per_param_token` f > 0).
    pub fn parse(law: &dyn Law, name: &str, compute: Option<f64>, f: f64) -> Result<Quantity> {
        if let Some(j) = law.params().iter().position(|p| p.name == name) {
            return Ok(Quantity::Param(j));
        }
        let derived = matches!(name, "a" | "N_opt");
        if derived && law.name() != "chinchilla" {
            return Err(CoreError::invalid(
                "quantity",
                format!("{name:?} is profiled for the chinchilla law only, not for {}", law.name()),
            ));
        }
        match (name, compute) {
            ("a", _) => Ok(Quantity::Exponent),
            ("N_opt", Some(c)) if (c / f).ln().is_finite() && f.is_finite() && f > 0.0 => {
                Ok(Quantity::LnNOpt { ln_budget: (c / f).ln() })
            }
            ("N_opt", Some(c)) => Err(CoreError::invalid(
                "compute",
                format!(
                    "N_opt needs a finite positive budget C and FLOPs per parameter-token f with C / f finite and \
                     positive, got {c} and {f}"
                ),
            )),
            ("N_opt", None) => Err(CoreError::invalid("compute", "N_opt needs the budget C (compute=...)")),
            _ => {
                let names: Vec<&str> = law.params().iter().map(|p| p.name).collect();
                Err(CoreError::invalid(
                    "quantity",
                    format!("unknown quantity {name:?}; known: {names:?} and, for chinchilla, \"a\", \"N_opt\""),
                ))
            }
        }
    }

    /// The quantity at `theta` (internal coordinates; ln N_opt for `LnNOpt`).
    pub fn value(&self, theta: &[f64]) -> f64 {
        match *self {
            Quantity::Param(j) => theta[j],
            Quantity::Exponent => theta[BETA] / (theta[ALPHA] + theta[BETA]),
            Quantity::LnNOpt { ln_budget } => {
                let (alpha, beta) = (theta[ALPHA], theta[BETA]);
                (alpha.ln() + theta[LN_A] - beta.ln() - theta[LN_B] + beta * ln_budget) / (alpha + beta)
            }
        }
    }

    /// The coordinate solved for psi (the others are the free coordinates u, in order).
    fn solved(&self) -> usize {
        match *self {
            Quantity::Param(j) => j,
            Quantity::Exponent => BETA,
            Quantity::LnNOpt { .. } => LN_B,
        }
    }

    /// The free coordinates of `theta`.
    pub fn free(&self, theta: &[f64]) -> Vec<f64> {
        let s = self.solved();
        theta.iter().enumerate().filter(|(i, _)| *i != s).map(|(_, v)| *v).collect()
    }

    /// theta(u, psi) into `theta`, and d theta / d u (row-major k x (k - 1)) into `jac`.
    pub fn theta(&self, u: &[f64], psi: f64, theta: &mut [f64], jac: &mut [f64]) {
        let (k, s) = (theta.len(), self.solved());
        let m = k - 1;
        jac.fill(0.0);
        for (col, i) in (0..k).filter(|&i| i != s).enumerate() {
            theta[i] = u[col];
            jac[i * m + col] = 1.0;
        }
        // Column of each coordinate in u (the solved one has none).
        let col = |i: usize| if i < s { i } else { i - 1 };
        match *self {
            Quantity::Param(_) => theta[s] = psi,
            Quantity::Exponent => {
                let r = psi / (1.0 - psi);
                theta[BETA] = theta[ALPHA] * r;
                jac[BETA * m + col(ALPHA)] = r;
            }
            Quantity::LnNOpt { ln_budget } => {
                let (alpha, beta) = (theta[ALPHA], theta[BETA]);
                theta[LN_B] = alpha.ln() + theta[LN_A] - beta.ln() + beta * ln_budget - (alpha + beta) * psi;
                jac[LN_B * m + col(LN_A)] = 1.0;
                jac[LN_B * m + col(ALPHA)] = 1.0 / alpha - psi;
                jac[LN_B * m + col(BETA)] = -1.0 / beta + ln_budget - psi;
            }
        }
    }

    /// The range of psi the interval search walks (an end not crossed within it is reported unbounded).
    pub fn limits(&self, law: &dyn Law, estimate: f64) -> (f64, f64) {
        match *self {
            Quantity::Param(j) => {
                let p = law.params()[j];
                (p.lower.min(estimate), p.upper.max(estimate))
            }
            Quantity::Exponent => (1e-9, 1.0 - 1e-9),
            Quantity::LnNOpt { .. } => (estimate - LN_N_OPT_REACH, estimate + LN_N_OPT_REACH),
        }
    }

    /// What an end not crossed within `limits` is reported as: the exponent's natural end (0 or 1),
    /// otherwise unbounded.
    pub fn open_end(&self, upper: bool) -> f64 {
        match (self, upper) {
            (Quantity::Exponent, false) => 0.0,
            (Quantity::Exponent, true) => 1.0,
            (_, false) => f64::NEG_INFINITY,
            (_, true) => f64::INFINITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws;

    #[test]
    fn the_reparametrisation_holds_the_quantity_and_its_jacobian_is_right() {
        let law = laws::get("chinchilla").unwrap();
        let theta0 = [0.5, 6.0, 6.1, 0.34, 0.28];
        for q in [Quantity::Param(3), Quantity::Exponent, Quantity::LnNOpt { ln_budget: 50.0 }] {
            let psi = q.value(&theta0) + 0.01;
            let u = q.free(&theta0);
            let (mut th, mut jac) = (vec![0.0; 5], vec![0.0; 20]);
            q.theta(&u, psi, &mut th, &mut jac);
            assert!((q.value(&th) - psi).abs() < 1e-12, "{q:?}");
            for c in 0..4 {
                let (mut up, mut dn) = (u.clone(), u.clone());
                up[c] += 1e-6;
                dn[c] -= 1e-6;
                let (mut a, mut b, mut scratch) = (vec![0.0; 5], vec![0.0; 5], vec![0.0; 20]);
                q.theta(&up, psi, &mut a, &mut scratch);
                q.theta(&dn, psi, &mut b, &mut scratch);
                for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                    let (fd, exact) = ((x - y) / 2e-6, jac[i * 4 + c]);
                    assert!((fd - exact).abs() < 1e-6, "{q:?} d theta_{i} / d u_{c}: {fd} vs {exact}");
                }
            }
        }
        assert!(Quantity::parse(law.as_ref(), "N_opt", None, 6.0).is_err());
        assert!(Quantity::parse(laws::get("power").unwrap().as_ref(), "a", None, 6.0).is_err());
        assert_eq!(Quantity::parse(law.as_ref(), "beta", None, 6.0).unwrap(), Quantity::Param(4));
    }
}
