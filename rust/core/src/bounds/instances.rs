//! The derived bound instances of docs/bounds.md section 3: a teacher of `d` inputs and weight budget `B`
//! learned by a student of p parameters, i.e. n = p / (d + 1) ReLU units sampled from the teacher.
//!
//! These are instances derived in the framework of Jeon & Van Roy, not the papers' own constants:
//!   misspecification M(n, eta) = B^2 / (8 n) + B^2 eta / 4
//!   estimation       E(n, eta, T) = [kappa(n) ((d/2) ln(1 + 1/eta) + ln(2 e n)) + ln n] / T
//! minimised over the weight noise eta > 0 in closed form: eta (1 + eta) = 2 kappa(n) d / (B^2 T).

use statrs::function::gamma::digamma;

use super::{Bound, Terms};

/// ln(2e) = 1 + ln 2.
const LN_2E: f64 = 1.0 + std::f64::consts::LN_2;

/// Expected number of distinct teacher units among n draws, kappa(n).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Teacher {
    /// A teacher with `units` units: kappa(n) = min(n, units).
    Finite { units: f64 },
    /// A Dirichlet-process teacher with concentration K: kappa(n) = K [psi(K + n) - psi(K)].
    /// `digamma_k` caches psi(K); build it with `Teacher::dirichlet_process`.
    DirichletProcess { concentration: f64, digamma_k: f64 },
}

impl Teacher {
    pub fn dirichlet_process(concentration: f64) -> Self {
        Teacher::DirichletProcess { concentration, digamma_k: digamma(concentration) }
    }

    pub fn kappa(&self, n: f64) -> f64 {
        match *self {
            Teacher::Finite { units } => n.min(units),
            Teacher::DirichletProcess { concentration: k, digamma_k } => k * digamma_increment(k, digamma_k, n),
        }
    }
}

/// psi(K + n) - psi(K). For large K this difference of two nearly equal digammas loses about
/// log10(K ln K / n) digits, so from K = 1000 on it is taken from the asymptotic series
/// psi(x) = ln x - 1/(2x) - 1/(12 x^2) + 1/(120 x^4) - ..., differenced term by term (the first omitted
/// term contributes below 1e-20 relative there), written to avoid overflow for K up to f64::MAX.
fn digamma_increment(k: f64, digamma_k: f64, n: f64) -> f64 {
    if k < 1e3 {
        return digamma(k + n) - digamma_k;
    }
    let r = n / k;
    let inv_x = 1.0 / (k + n);
    let inv_k = 1.0 / k;
    r.ln_1p() + 0.5 * r * inv_x + r * inv_x / 12.0 * (inv_k + inv_x) + (inv_x.powi(4) - inv_k.powi(4)) / 120.0
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Instance {
    pub d: f64,
    pub b: f64,
    pub teacher: Teacher,
}

/// Everything that depends on p alone, so that a grid row of equal p pays for the digamma and the
/// logarithms once and each point costs one square root and one logarithm.
#[derive(Debug, Clone, Copy)]
struct Width {
    p: f64,
    /// B^2 / (8 n): the misspecification of sampling n units.
    sampling: f64,
    /// 2 kappa d / B^2, so that eta (1 + eta) = c_scale / T.
    c_scale: f64,
    /// 1 / (2 c_scale).
    half_inv_c_scale: f64,
    /// kappa d / 2, the weight of ln(1 + 1/eta) in the estimation numerator.
    noise_scale: f64,
    /// kappa ln(2 e n) + ln n: the estimation numerator without the eta term.
    count_term: f64,
}

impl Instance {
    fn width(&self, p: f64) -> Width {
        let b2 = self.b * self.b;
        let n = p / (self.d + 1.0);
        let kappa = self.teacher.kappa(n);
        let ln_n = n.ln();
        Width {
            p,
            sampling: b2 / (8.0 * n),
            c_scale: 2.0 * kappa * self.d / b2,
            half_inv_c_scale: b2 / (4.0 * kappa * self.d),
            noise_scale: 0.5 * kappa * self.d,
            // kappa ln(2 e n) + ln n with one logarithm.
            count_term: kappa * (LN_2E + ln_n) + ln_n,
        }
    }

    /// The optimal eta at (p, T).
    pub fn optimal_eta(&self, p: f64, t: f64) -> f64 {
        let c = self.width(p).c_scale / t;
        2.0 * c / (1.0 + (1.0 + 4.0 * c).sqrt())
    }

    /// The terms at T given 1/T (shared by a grid column). With c = c_scale / T and s = sqrt(1 + 4c),
    /// eta = 2c / (1 + s) (accurate for tiny c) and 1/eta = (1 + s) T / (2 c_scale): one division and one
    /// square root per point.
    fn terms_at(&self, w: &Width, t: f64, inv_t: f64) -> Terms {
        let c = w.c_scale * inv_t;
        let root = 1.0 + (1.0 + 4.0 * c).sqrt();
        // T times the constant first: (1 + s) T alone overflows for T near f64::MAX.
        let inv_eta = root * (t * w.half_inv_c_scale);
        let eta = 1.0 / inv_eta;
        // ln(1 + x) by ln where 1 + x rounds harmlessly (x >= 1: relative error below eps), since ln is
        // several times faster than ln_1p, which remains for small x (few tokens, large eta). Where 1/eta
        // itself overflows, ln(1 + 1/eta) = ln(1/eta) is taken as a sum of logarithms.
        let noise_log = if !inv_eta.is_finite() {
            root.ln() + t.ln() + w.half_inv_c_scale.ln()
        } else if inv_eta >= 1.0 {
            (1.0 + inv_eta).ln()
        } else {
            inv_eta.ln_1p()
        };
        Terms {
            misspecification: w.sampling + 0.25 * self.b * self.b * eta,
            estimation: (w.noise_scale * noise_log + w.count_term) * inv_t,
        }
    }
}

impl Bound for Instance {
    fn terms(&self, p: f64, t: f64) -> Terms {
        self.terms_at(&self.width(p), t, 1.0 / t)
    }

    /// At least one hidden unit: p >= d + 1.
    fn min_params(&self) -> f64 {
        self.d + 1.0
    }

    fn evaluate_block(&self, p: &[f64], t: &[f64], value: &mut [f64], mut terms: Option<(&mut [f64], &mut [f64])>) {
        let mut w: Option<Width> = None;
        for i in 0..value.len() {
            let width = match w {
                Some(w) if w.p == p[i] => w,
                _ => *w.insert(self.width(p[i])),
            };
            let x = self.terms_at(&width, t[i], 1.0 / t[i]);
            value[i] = x.misspecification + x.estimation;
            if let Some((m, e)) = terms.as_mut() {
                m[i] = x.misspecification;
                e[i] = x.estimation;
            }
        }
    }

    fn evaluate_row(&self, p: f64, t: &[f64], inv_t: &[f64], value: &mut [f64]) {
        let w = self.width(p);
        for ((v, &t), &inv_t) in value.iter_mut().zip(t).zip(inv_t) {
            let x = self.terms_at(&w, t, inv_t);
            *v = x.misspecification + x.estimation;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirichlet_process_distinct_units_check() {
        // docs/bounds.md section 2, K = 10.
        let t = Teacher::dirichlet_process(10.0);
        for (n, want) in [(10.0, 7.188), (100.0, 24.442), (1000.0, 46.655)] {
            assert!((t.kappa(n) - want).abs() < 5e-4, "{n}: {}", t.kappa(n));
        }
    }

    #[test]
    fn distinct_units_stay_accurate_for_huge_concentration() {
        // kappa(n) = n - n(n - 1)/(2K) + O(K^-2) for K >> n; the digamma difference would cancel to 0.
        for (k, n) in [(1e12, 5.0), (1e300, 3.0), (1e6, 1e9)] {
            let got = Teacher::dirichlet_process(k).kappa(n);
            if n < k {
                let want = n - n * (n - 1.0) / (2.0 * k);
                assert!((got - want).abs() <= 1e-14 * want, "{k} {n}: {got}");
            } else {
                // K ln(1 + n/K) + O(1) when n >> K.
                assert!((got / (k * (n / k).ln_1p()) - 1.0).abs() < 1e-5, "{got}");
            }
        }
        // Both sides of the switch agree.
        let below = 999.999_999 * (digamma(999.999_999 + 50.0) - digamma(999.999_999));
        let above = Teacher::dirichlet_process(1000.0).kappa(50.0);
        assert!((below - above).abs() < 1e-9 * above);
    }

    #[test]
    fn eta_minimises_the_sum() {
        let inst = Instance { d: 64.0, b: 1.0, teacher: Teacher::dirichlet_process(10.0) };
        let (p, t) = (1e5, 1e8);
        let w = inst.width(p);
        let at = |eta: f64| w.sampling + eta / 4.0 + (w.noise_scale * (1.0 / eta).ln_1p() + w.count_term) / t;
        let eta = inst.optimal_eta(p, t);
        let best = at(eta);
        assert!((inst.value(p, t) - best).abs() <= 1e-15 * best);
        for f in [0.9, 0.99, 1.01, 1.1] {
            assert!(at(eta * f) > best);
        }
    }

    #[test]
    fn cached_rows_match_pointwise() {
        let inst = Instance { d: 8.0, b: 2.0, teacher: Teacher::Finite { units: 50.0 } };
        let p = [9.0, 9.0, 900.0, 900.0, 9.0];
        let t = [1.0, 1e3, 1e3, 1e6, 1e9];
        let mut v = [0.0; 5];
        inst.evaluate_block(&p, &t, &mut v, None);
        for i in 0..5 {
            assert_eq!(v[i], inst.value(p[i], t[i]));
        }
    }
}
