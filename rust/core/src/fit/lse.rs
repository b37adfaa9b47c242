//! The log-sum-exp kernel shared by the additive laws (power, chinchilla, ...):
//! log(exp(c1 + s1 x1) + exp(c2 + s2 x2) + exp(c3)), evaluated row by row with the max shifted out so
//! that no term overflows whatever the parameters, and its softmax weights, which are the derivatives
//! of the log prediction with respect to c1, c2 and c3.

use crate::laws::Space;

pub struct Lse3<'a> {
    pub c1: f64,
    pub s1: f64,
    pub x1: &'a [f64],
    pub c2: f64,
    pub s2: f64,
    pub x2: &'a [f64],
    pub c3: f64,
}

/// Fill `pred` with the prediction in `space` and, when asked, `w` with its derivatives with respect
/// to (c1, c2, c3).
pub fn lse3_block(t: &Lse3, space: Space, pred: &mut [f64], w: Option<[&mut [f64]; 3]>) {
    let len = pred.len();
    let (x1, x2) = (&t.x1[..len], &t.x2[..len]);
    match w {
        None => {
            for i in 0..len {
                let (m, s) = shifted_sum(t.c1 + t.s1 * x1[i], t.c2 + t.s2 * x2[i], t.c3);
                pred[i] = match space {
                    Space::Log => m + s.ln(),
                    Space::Linear => m.exp() * s,
                };
            }
        }
        Some([w1, w2, w3]) => {
            let (w1, w2, w3) = (&mut w1[..len], &mut w2[..len], &mut w3[..len]);
            for i in 0..len {
                let t1 = t.c1 + t.s1 * x1[i];
                let t2 = t.c2 + t.s2 * x2[i];
                let m = t1.max(t2).max(t.c3);
                let (e1, e2, e3) = ((t1 - m).exp(), (t2 - m).exp(), (t.c3 - m).exp());
                let s = e1 + e2 + e3;
                match space {
                    Space::Log => {
                        let inv = 1.0 / s;
                        pred[i] = m + s.ln();
                        w1[i] = e1 * inv;
                        w2[i] = e2 * inv;
                        w3[i] = e3 * inv;
                    }
                    Space::Linear => {
                        // d exp(LSE) / d c_k = exp(t_k)
                        let scale = m.exp();
                        pred[i] = scale * s;
                        w1[i] = e1 * scale;
                        w2[i] = e2 * scale;
                        w3[i] = e3 * scale;
                    }
                }
            }
        }
    }
}

#[inline]
fn shifted_sum(t1: f64, t2: f64, t3: f64) -> (f64, f64) {
    let m = t1.max(t2).max(t3);
    (m, (t1 - m).exp() + (t2 - m).exp() + (t3 - m).exp())
}
