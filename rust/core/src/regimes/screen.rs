//! A single-precision screen in front of the exact point distances of the nearest-neighbour search.
//!
//! Almost every point a query reads lies farther than its current k-th neighbour. The screen computes
//! those distances in single precision, half the memory traffic and twice the lanes of the double
//! precision ones, from coordinates scaled by a power of two (`scale`, exact) so that they lie well inside
//! the single-precision range, and passes on to the exact double-precision computation only the points
//! whose screened distance does not rule them out. A point is ruled out only when the rounding analysis
//! below proves that its exact distance, computed as the search computes it, is no smaller than the
//! current k-th, so no point that could enter the k best is ever dropped and the result is the same to
//! the last bit.
//!
//! The bound (u = 2^-24 the single-precision unit roundoff, v = 2^-53 the double one, m the number of
//! coordinates, P and Q the scaled point and query, P' and Q' their single-precision roundings):
//! - rounding a coordinate: |P'_c - P_c| <= u |P_c| + 2^-149 (the last term covers subnormal results),
//!   so ||P' - Q'|| >= ||P - Q|| - E with E = u (||P|| + ||Q||) + 2 sqrt(m) 2^-149;
//! - the screened sum D' of the m terms (P'_c - Q'_c)^2, one subtraction, one product and one addition
//!   per term (a subtraction or an addition whose result is subnormal is exact; a product may underflow
//!   by up to 2^-150): D' <= (1 + u)^(m+2) (||P' - Q'||^2 + m 2^-150);
//! - the exact sum D of the unscaled terms in double precision likewise satisfies
//!   D >= (1 - v)^(m+2) ||p - q||^2 - m 2^-1074.
//!
//! So with W = scale sqrt((kth + m 2^-1074) / (1 - v)^(m+2)), a screened distance above
//! T = (1 + u)^(m+2) ((W + E)^2 + m 2^-150) proves D >= kth. T is computed in double precision with a
//! relative margin of 1e-9 (far above the rounding of those few operations) and rounded up to single
//! precision. The scale puts the largest coordinate near 2^30, so no single-precision sum can overflow.
//! Higham 2002, "Accuracy and Stability of Numerical Algorithms", chapter 3, for the rounding model.

/// Exponent of the power of two the largest scaled coordinate stays below.
const TOP: i32 = 30;
/// Relative margin on the threshold for the rounding of its own computation.
const MARGIN: f64 = 1e-9;

/// The scale and error constants of the screen for one set of points.
#[derive(Clone, Copy, Debug)]
pub(super) struct Screen {
    /// The power of two the coordinates are multiplied by before rounding to single precision.
    scale: f64,
    /// An upper bound on the scaled norm ||P|| of every point.
    norm: f64,
    /// Number of coordinates m.
    dim: usize,
    /// (1 + u)^(m+2), the growth of a screened sum.
    grow: f64,
    /// 1 / (1 - v)^(m+2), the shrinking of an exact sum, inverted.
    shrink: f64,
}

impl Screen {
    /// The screen for the n points of `points` (row-major, n x dim, finite).
    pub fn new(points: &[f64], dim: usize) -> Self {
        let largest = points.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = if largest > 0.0 {
            // A power of two built from its bits: exact, and |s| <= 1000 keeps it a normal number.
            let s = (TOP - largest.log2().ceil() as i32).clamp(-1000, 1000);
            f64::from_bits(((s + 1023) as u64) << 52)
        } else {
            1.0
        };
        let norm = points
            .chunks_exact(dim.max(1))
            .map(|p| p.iter().map(|v| (v * scale) * (v * scale)).sum::<f64>().sqrt())
            .fold(0.0f64, f64::max)
            * (1.0 + MARGIN);
        let m = dim as i32 + 2;
        Screen {
            scale,
            norm,
            dim,
            grow: (1.0 + f64::from(f32::EPSILON) / 2.0).powi(m),
            shrink: 1.0 / (1.0 - f64::EPSILON / 2.0).powi(m),
        }
    }

    /// A coordinate (of a point or a query) as the screen holds it.
    #[inline(always)]
    pub fn coordinate(&self, v: f64) -> f32 {
        (v * self.scale) as f32
    }

    /// The query `q` as the screen holds it, into `out`; returns an upper bound on its scaled norm ||Q||.
    #[inline(always)]
    pub fn query(&self, q: &[f64], out: &mut [f32]) -> f64 {
        out.iter_mut().zip(q).for_each(|(o, &v)| *o = self.coordinate(v));
        q.iter().map(|v| (v * self.scale) * (v * self.scale)).sum::<f64>().sqrt() * (1.0 + MARGIN)
    }

    /// The largest screened distance that does not prove a point's exact squared distance to be at least
    /// `kth`, for a query of scaled norm at most `query_norm` (see the module comment).
    #[inline(always)]
    pub fn threshold(&self, kth: f64, query_norm: f64) -> f32 {
        let m = self.dim as f64;
        let tiny64 = f64::from_bits(1); // 2^-1074
        let tiny32 = f64::from(f32::from_bits(1)); // 2^-149
        let w = self.scale * ((kth + m * tiny64) * self.shrink).sqrt();
        let e = f64::from(f32::EPSILON) / 2.0 * (self.norm + query_norm) + 2.0 * m.sqrt() * tiny32;
        let t = self.grow * ((w + e) * (w + e) + m * tiny32 / 2.0) * (1.0 + MARGIN);
        let rounded = t as f32;
        if f64::from(rounded) < t {
            // The next float up (t is not negative; f32::next_up is newer than the crate's minimum Rust).
            f32::from_bits(rounded.to_bits() + 1)
        } else {
            rounded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The exact squared distance as the search computes it.
    fn exact(p: &[f64], q: &[f64]) -> f64 {
        p.iter().zip(q).fold(0.0, |s, (a, b)| {
            let t = a - b;
            s + t * t
        })
    }

    fn screened(s: &Screen, p: &[f64], q: &[f64]) -> f32 {
        p.iter().zip(q).fold(0.0f32, |acc, (&a, &b)| {
            let t = s.coordinate(a) - s.coordinate(b);
            acc + t * t
        })
    }

    /// Pairs at every scale, nearly tied with the bound, down to subnormal coordinates: a point the screen
    /// rules out never has an exact distance below the bound, and the screen rules out nearly every pair
    /// whose distance is clearly above it (where the squared distances neither overflow nor underflow).
    #[test]
    fn the_screen_never_rules_out_a_nearer_point() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let mut ruled_out_far = 0;
        let mut far = 0;
        for case in 0..4000 {
            let dim = rng.random_range(1..20);
            let magnitude = 10f64.powi(rng.random_range(-320..300));
            let n = 30;
            let pts: Vec<f64> = (0..n * dim).map(|_| (rng.random::<f64>() - 0.5) * magnitude).collect();
            let screen = Screen::new(&pts, dim);
            let mut qs = vec![0.0f32; dim];
            for i in 0..n {
                let q = &pts[i * dim..(i + 1) * dim];
                let qn = screen.query(q, &mut qs);
                for j in 0..n {
                    let p = &pts[j * dim..(j + 1) * dim];
                    let d = exact(p, q);
                    // Bounds just below, at and above the distance (a few units in the last place apart).
                    let kth = match case % 3 {
                        0 => d * (1.0 - 1e-15),
                        1 => d,
                        _ => f64::from_bits(d.to_bits().saturating_sub(3)),
                    };
                    let out = screened(&screen, p, q) > screen.threshold(kth, qn);
                    assert!(!out || d >= kth, "case {case}: ruled out a point at {d} below {kth}");
                    if d > 0.0 && magnitude > 1e-100 && magnitude < 1e100 {
                        far += 1;
                        ruled_out_far += usize::from(screened(&screen, p, q) > screen.threshold(d * 0.999, qn));
                    }
                }
            }
        }
        assert!(ruled_out_far as f64 > 0.99 * far as f64, "{ruled_out_far} of {far}");
    }

    #[test]
    fn an_unknown_bound_rules_out_nothing_and_duplicates_pass() {
        let screen = Screen::new(&[1.0, -2.0, 3.0, 1e30], 2);
        assert_eq!(screen.threshold(f64::INFINITY, 1.0), f32::INFINITY);
        let zeros = Screen::new(&[0.0; 6], 3);
        assert!(zeros.threshold(0.0, 0.0) > 0.0);
    }
}
