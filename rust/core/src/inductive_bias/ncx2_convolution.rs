//! The log-CDF of the non-central chi-squared at large non-centrality, as a convolution integral.
//!
//! The Poisson mixture (`ncx2`) sums some 19 sqrt(lam / 2) terms, which stops being practical (and then
//! exact in double precision) as lam grows. Here the work does not grow with lam. For k >= 1,
//! X ~ chi2'(k, lam) is W + Y with W = (Z + sqrt(lam))^2, Z standard normal, and Y ~ chi2(k - 1)
//! independent (the family is closed under independent sums, and a central chi-squared with real degrees
//! of freedom is a gamma law), so
//!
//!   P(X <= x) = int_0^x f_W(w) P_Y(x - w) dw,   P(X > x) = P(W > x) + int_0^x f_W(w) Q_Y(x - w) dw,
//!
//! with f_W(w) = (phi(sqrt w - sqrt lam) + phi(sqrt w + sqrt lam)) / (2 sqrt w) and P_Y, Q_Y the gamma CDF
//! and survival function. For k < 1 the mixture identity F(x; k) = F(x; k + 2) + 2 f(x; k + 2) (consecutive
//! gamma CDFs of the mixture differ by a chi-squared density) moves to k + 2, where
//! f(x; k + 2) = int_0^x f_W(w) f_Y'(x - w) dw with Y' ~ chi2(k + 1).
//!
//! Every integrand is kept as a logarithm. Its singular points are the ends: w = 0 (the 1 / sqrt(w) of
//! f_W) and w = x (powers of x - w). Between them f_W has a spike at 0 of height e^-lam/2, turns at
//! w ~ 1 / lam and is log-concave above 4 / lam, with its bulk at w ~ lam. So the range is cut at 4 / lam
//! and at the peak of the integrand's regular part (found by golden section), and each piece is
//! integrated by the tanh-sinh rule (Takahasi & Mori 1974, "Double exponential formulas for numerical
//! integration"), whose nodes crowd doubly exponentially towards both ends of a piece, so a mass
//! concentrated at an end or an integrable singularity there is resolved. Hand-written (some forty
//! lines) because the rule must hand the integrand each node's distance to both ends of its piece
//! computed directly: near w = x the distance x - w is far below the spacing of doubles at x, which
//! the quadrature crates' abscissae (w itself) cannot express.

use std::f64::consts::{FRAC_PI_2, LN_2, PI};

use super::gamma::{ln_ndtr, ln_pq, ln_prefactor, log1mexp};
use super::ncx2::ln_add;

/// Non-centrality from which `ncx2::log_cdf` hands over to this integral (unless lam x is small, where the
/// mixture stays short, or k + lam is past `ncx2_saddle::FROM`): here the mixture sums some 4,000 terms (a
/// millisecond) and the integral costs about the same; above, the mixture grows as sqrt(lam).
pub const FROM_LAM: f64 = 1e5;
/// Half-range of the tanh-sinh variable (an integer: the first level's nodes): at 6 a node lies within
/// e^-634 of the piece's length from an end, where even an integrable singularity as strong as
/// (x - w)^-0.9 contributes below e^-60.
const T_MAX: i32 = 6;
/// Halvings of the tanh-sinh step before giving up (6,656 nodes a piece at the last).
const MAX_LEVEL: u32 = 9;
/// Relative change between successive halvings taken as convergence: the rule's error falls
/// quadratically with the level, so the last estimate is far more accurate than this.
const TOLERANCE: f64 = 1e-10;
/// Log-drop below the peak at which a log-concave integrand is cut off (e^-60 of the peak per unit
/// length, far below a double's precision of the integral).
const CUT: f64 = 60.0;

/// The squared normal W = (Z + s)^2, s = sqrt(lam).
struct SquaredNormal {
    lam: f64,
    s: f64,
}

impl SquaredNormal {
    /// sqrt(w) - s, formed as (w - lam) / (sqrt(w) + s): w - lam is exact near lam (Sterbenz), where
    /// the direct difference of two square roots would lose the digits that matter.
    fn offset(&self, w: f64) -> f64 {
        (w - self.lam) / (w.sqrt() + self.s)
    }

    /// ln f_W(w) = ln phi(sqrt w - s) + ln(1 + e^(-2 s sqrt w)) - ln 2 - ln(w) / 2.
    fn ln_pdf(&self, w: f64) -> f64 {
        let a = self.offset(w);
        -(0.5 * a) * a - 0.5 * (2.0 * PI).ln() + (-2.0 * self.s * w.sqrt()).exp().ln_1p() - LN_2 - 0.5 * w.ln()
    }

    /// ln P(W > x) = ln(Phi(s - sqrt x) + Phi(-s - sqrt x)).
    fn ln_sf(&self, x: f64) -> f64 {
        ln_add(ln_ndtr(-self.offset(x)), ln_ndtr(-self.s - x.sqrt()))
    }
}

/// One convolution integrand: ln f_W(w) + ln g(x - w) for the chi-squared factor g.
#[derive(Clone, Copy)]
enum Factor {
    /// The CDF of chi2(nu) (nu = 0: the point mass at 0).
    Cdf,
    /// The survival function of chi2(nu).
    Sf,
    /// The density of chi2(nu), nu > 0.
    Pdf,
}

struct Integrand<'a> {
    w_law: &'a SquaredNormal,
    factor: Factor,
    /// Half the degrees of freedom of the chi-squared factor (its gamma shape).
    shape: f64,
}

impl Integrand<'_> {
    /// ln g(v), v = x - w > 0, for the chi-squared factor g.
    fn ln_factor(&self, v: f64) -> f64 {
        if self.shape == 0.0 {
            return match self.factor {
                Factor::Cdf => 0.0,
                _ => f64::NEG_INFINITY,
            };
        }
        match self.factor {
            Factor::Cdf => ln_pq(self.shape, v / 2.0).0,
            Factor::Sf => ln_pq(self.shape, v / 2.0).1,
            // Gamma(shape, scale 2): (v/2)^(a-1) e^(-v/2) / (2 Gamma(a)), through the stable prefactor.
            Factor::Pdf => ln_prefactor(self.shape, v / 2.0) + self.shape.ln() - (v / 2.0).ln() - LN_2,
        }
    }

    fn ln(&self, w: f64, v: f64) -> f64 {
        self.w_law.ln_pdf(w) + self.ln_factor(v)
    }

    /// The integrand without the density's power singularity at v = 0 (a v^(shape - 1) factor), which is
    /// log-concave above 4 / lam: the part whose peak splits the range.
    fn ln_regular(&self, w: f64, v: f64) -> f64 {
        match self.factor {
            Factor::Pdf => self.ln(w, v) - (self.shape - 1.0) * v.ln(),
            _ => self.ln(w, v),
        }
    }
}

/// Streaming log-sum-exp.
#[derive(Default)]
struct LogSum {
    max: f64,
    sum: f64,
}

impl LogSum {
    fn add(&mut self, l: f64) {
        if l.is_nan() || l == f64::NEG_INFINITY {
            return;
        }
        if self.sum == 0.0 || l > self.max {
            self.sum = if self.sum == 0.0 { 1.0 } else { self.sum * (self.max - l).exp() + 1.0 };
            self.max = l;
        } else {
            self.sum += (l - self.max).exp();
        }
    }

    fn ln(&self) -> f64 {
        if self.sum == 0.0 {
            f64::NEG_INFINITY
        } else {
            self.max + self.sum.ln()
        }
    }
}

/// ln int_a^b e^(f(w, x - w)) dw by the tanh-sinh rule, `f` given w and x - w each computed from the
/// node's distance to the nearer end; NaN when the rule does not settle to within `floor` (relative).
fn ln_tanh_sinh(a: f64, b: f64, x: f64, floor: f64, f: &dyn Fn(f64, f64) -> f64) -> f64 {
    let len = b - a;
    if len.is_nan() || len <= 0.0 {
        return f64::NEG_INFINITY;
    }
    // ln(len) + ln(pi), not ln(len pi): len pi overflows for a range beyond 5.7e307.
    let ln_len_pi = len.ln() + PI.ln();
    let x_minus_b = x - b;
    let term = |t: f64| -> f64 {
        let u = FRAC_PI_2 * t.sinh();
        let e = (-2.0 * u.abs()).exp();
        let near = len * e / (1.0 + e);
        if near == 0.0 {
            return f64::NEG_INFINITY;
        }
        let far = len / (1.0 + e);
        let (left, right) = if u < 0.0 { (near, far) } else { (far, near) };
        // Weight (len / 2) (pi / 2) cosh t / cosh^2 u = len pi cosh t e / (1 + e)^2.
        let ln_weight = ln_len_pi + t.cosh().ln() - 2.0 * u.abs() - 2.0 * e.ln_1p();
        f(a + left, x_minus_b + right) + ln_weight
    };
    let mut sum = LogSum::default();
    for i in -T_MAX..=T_MAX {
        sum.add(term(i as f64));
    }
    let mut step = 1.0;
    for _ in 1..=MAX_LEVEL {
        let before = (sum.max, sum.sum);
        // The new nodes lie halfway between the old; the estimate is step * sum over all nodes.
        let mut t = -T_MAX as f64 + step / 2.0;
        while t < T_MAX as f64 {
            sum.add(term(t));
            t += step;
        }
        step /= 2.0;
        if sum.sum == 0.0 {
            continue;
        }
        // ln(new estimate / old), formed from the sums themselves: the logs of the estimates can be
        // huge (-5e7 at lam = 1e8), where their difference would be all rounding.
        let change = (sum.max - before.0) + (sum.sum / before.1).ln() - LN_2;
        if change.is_nan() {
            return f64::NAN;
        }
        // Each log-term carries a rounding error of some ulps of its size, which bounds the agreement
        // that can be asked for where the terms are huge.
        if change.abs() <= floor.max(1e-15 * sum.max.abs()) {
            return sum.ln() + step.ln();
        }
    }
    if sum.sum == 0.0 {
        f64::NEG_INFINITY
    } else {
        f64::NAN
    }
}

/// The w maximising the unimodal `f` on [lo, hi] (0 < lo < hi): golden-section search, first on ln w
/// and then on w. On w alone 200 steps narrow a range by 1e-42, too little when it spans hundreds of
/// decades (from 4 / lam = 2e-308 to x = 1e308) and the peak sits near its lower end; on ln w the whole
/// double range is some 1,500 units wide, but the resolution near the upper end is an ulp of ln w
/// (7e-14 relative at 1e308), which the second search on w refines.
fn peak(lo: f64, hi: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    let (a, b) = golden(lo.ln(), hi.ln(), &|t: f64| f(t.exp().clamp(lo, hi)));
    let (a, b) = golden(a.exp().clamp(lo, hi), b.exp().clamp(lo, hi), f);
    0.5 * (a + b)
}

/// The final bracket of a golden-section search for the maximum of the unimodal `f` on [lo, hi].
fn golden(lo: f64, hi: f64, f: &dyn Fn(f64) -> f64) -> (f64, f64) {
    const R: f64 = 0.618_033_988_749_894_8;
    let (mut a, mut b) = (lo, hi);
    let (mut c, mut d) = (b - R * (b - a), a + R * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..200 {
        if (b - a).is_nan() || b - a <= 1e-15 * b.abs() {
            break;
        }
        if fc >= fd {
            (b, d, fd) = (d, c, fc);
            c = b - R * (b - a);
            fc = f(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + R * (b - a);
            fd = f(d);
        }
    }
    (a, b)
}

/// How far from `from` towards `to` the log-concave `f` stays within CUT of `top`: the end of the range
/// that matters on that side. Steps growing fourfold find a point below the cut (or `to`), and a few
/// bisections bring it to within a quarter of the last step of the crossing: a cut left at `to` when
/// the crossing lies well inside would put the mass of a sharply falling integrand (a chi-squared CDF
/// factor with large k turns off within some sqrt(k)) in the middle of a long piece, where the
/// tanh-sinh rule, whose nodes crowd towards the ends, converges slowly.
fn reach(from: f64, to: f64, top: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    let (dir, range) = ((to - from).signum(), (to - from).abs());
    let at = |d: f64| if d >= range { to } else { from + dir * d };
    let below = |d: f64| f(at(d)) < top - CUT;
    // Never 0 (a subnormal distance times 2^-40 would be, and the loop below would never end).
    let mut d = (range * 2f64.powi(-40)).max(f64::MIN_POSITIVE);
    let mut inside = 0.0;
    while d < range && !below(d) {
        inside = d;
        d *= 4.0;
    }
    let mut outside = d.min(range);
    if outside == range && !below(range) {
        return to;
    }
    for _ in 0..4 {
        let mid = 0.5 * (inside + outside);
        if below(mid) {
            outside = mid;
        } else {
            inside = mid;
        }
    }
    at(outside)
}

/// ln int_0^x of the integrand.
fn ln_integral(x: f64, g: &Integrand) -> f64 {
    if g.shape == 0.0 && !matches!(g.factor, Factor::Cdf) {
        return f64::NEG_INFINITY; // k = 1: Y is 0, with survival function and density 0 on v > 0
    }
    let f = |w: f64, v: f64| g.ln(w, v);
    // A node cannot lie closer than an ulp of w (2 at w = 1e16) to where the rule puts it, while the bulk
    // of f_W spans some sqrt(lam): successive estimates then differ by noise of order sqrt(lam) 1e-16 --
    // the conditioning of the CDF itself, whose argument x is known to an ulp.
    let floor = TOLERANCE.max(1e-14 * g.w_law.s);
    let quad = |a: f64, b: f64| ln_tanh_sinh(a, b, x, floor, &f);
    // Below 4 / lam f_W has its spike at 0 and turns; above, the integrand's regular part is log-concave.
    let turn = (4.0 / g.w_law.lam).min(x);
    let mut total = quad(0.0, turn);
    if x > turn {
        let regular = |w: f64| g.ln_regular(w, x - w);
        let p = peak(turn, x, &regular);
        let top = regular(p);
        let lo = reach(p, turn, top, &regular);
        total = ln_add(total, ln_add(quad(turn, lo), quad(lo, p)));
        // Only the CDF factor keeps the integrand log-concave up to x (the survival function and the
        // density rise towards w = x), so only there is the upper side cut short.
        let hi = if matches!(g.factor, Factor::Cdf) { reach(p, x, top, &regular) } else { x };
        total = ln_add(total, ln_add(quad(p, hi), quad(hi, x)));
    }
    total
}

/// log P(X <= x) for X ~ chi2'(k, lam), x > 0, k > 0, lam > 0 (meant for lam >= FROM_LAM); NaN if a
/// quadrature did not settle.
pub fn log_cdf(x: f64, k: f64, lam: f64) -> f64 {
    let w_law = SquaredNormal { lam, s: lam.sqrt() };
    let (shape, shift) = if k >= 1.0 { ((k - 1.0) / 2.0, false) } else { ((k + 1.0) / 2.0, true) };
    let with = |factor| Integrand { w_law: &w_law, factor, shape };
    let mut ln_f = ln_integral(x, &with(Factor::Cdf));
    // k < 1: F(x; k) = F(x; k + 2) + 2 f(x; k + 2).
    let ln_2f = if shift { LN_2 + ln_integral(x, &with(Factor::Pdf)) } else { f64::NEG_INFINITY };
    ln_f = ln_add(ln_f, ln_2f);
    if ln_f.is_nan() || ln_f < -LN_2 {
        return ln_f;
    }
    // Near 1 the CDF has lost the digits of 1 - F; the survival integral keeps them.
    let mut ln_s = ln_add(w_law.ln_sf(x), ln_integral(x, &with(Factor::Sf)));
    if shift {
        ln_s += log1mexp((ln_2f - ln_s).min(0.0));
    }
    if ln_s.is_nan() {
        return f64::NAN;
    }
    log1mexp(ln_s.min(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_sinh_integrates_end_singularities() {
        // int_0^1 w^-1/2 dw = 2; int_0^1 (1 - w)^-0.9 = 10, the singular end given as x - w.
        let v = ln_tanh_sinh(0.0, 1.0, 1.0, TOLERANCE, &|w, _| -0.5 * w.ln()).exp();
        assert!((v - 2.0).abs() < 1e-13, "{v}");
        let v = ln_tanh_sinh(0.0, 1.0, 1.0, TOLERANCE, &|_, r| -0.9 * r.ln()).exp();
        assert!((v - 10.0).abs() < 1e-11, "{v}");
    }

    #[test]
    fn agrees_with_the_mixture_where_both_serve() {
        for &lam in &[2e3f64, 1e4, 1e5, 1e6] {
            for &k in &[0.3f64, 1.0, 1.7, 3.0, 40.0] {
                for &z in &[-30.0f64, -5.0, -1.0, 0.0, 1.0, 4.0] {
                    let x = (lam + k + z * (2.0 * (k + 2.0 * lam)).sqrt()).max(1e-3 * lam);
                    let (ours, mix) = (log_cdf(x, k, lam), super::super::ncx2::log_cdf_mixture(x, k, lam));
                    let tol = 1e-11 * mix.abs().max(1e-3);
                    assert!((ours - mix).abs() <= tol, "lam {lam} k {k} z {z}: {ours} vs {mix}");
                }
            }
        }
    }

    #[test]
    fn subnormal_ranges_and_the_largest_lam_end() {
        // Found by the fuzzer: x / scale = 8.6e-273 with lam = f64::MAX looped forever (a zero step).
        let v = log_cdf(1e-310 / 1.169_106_028_167_054_8e-38, 1.6e-48, f64::MAX);
        assert!(v.is_finite() && v < -8e307, "{v}");
    }

    #[test]
    fn k_one_is_the_squared_normal() {
        // chi2'(1, lam) = (Z + sqrt lam)^2: P(X <= x) = Phi(sqrt x - s) - Phi(-sqrt x - s).
        let (lam, x) = (1e8f64, 1e8 - 3e4);
        let s = lam.sqrt();
        let a = (x - lam) / (x.sqrt() + s);
        let direct = ln_ndtr(a) + log1mexp(ln_ndtr(-x.sqrt() - s) - ln_ndtr(a));
        let ours = log_cdf(x, 1.0, lam);
        assert!((ours - direct).abs() <= 1e-12 * direct.abs(), "{ours} vs {direct}");
    }
}
