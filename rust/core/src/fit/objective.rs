//! Objectives (robust or least-squares losses of the residuals) summed over a table of runs, with
//! their analytic gradients. Sums are taken over fixed blocks in a fixed order (see `parallel`), so a
//! value is bit-identical whatever the thread count.

use std::sync::Arc;

use super::composed::Composition;
use crate::error::{CoreError, Result};
use crate::laws::{Columns, Features, Law, Space};
use crate::parallel::{map_blocks, BLOCK};

/// Rows a law kernel handles per call: the Jacobian of a sub-block stays in L1 cache.
const SUB_BLOCK: usize = 256;

thread_local! {
    /// Per-thread scratch of an evaluation: predictions, losses and Jacobian of one sub-block.
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective {
    /// sum_i Huber_delta(log prediction - log observation) (Hoffmann et al.; summed, not averaged).
    HuberLog { delta: f64 },
    /// sum_i (prediction - observation)^2, what scipy's curve_fit minimises.
    Lsq,
    /// sum_i (log prediction - log observation)^2.
    LsqLog,
    /// Huber on log residuals with over-estimates (prediction above observation) weighted `weight`
    /// times; `delta` smooths the kink at zero, so small delta approaches the asymmetric absolute error.
    Asymmetric { delta: f64, weight: f64 },
    /// Residual space x penalty x asymmetry x reduction (`composed`), given as "key=value,...".
    Composed(Composition),
}

impl Objective {
    /// The objective names `parse` reads (the one list of them; Python reads it from the extension).
    pub const NAMES: [&'static str; 4] = ["huber_log", "lsq", "lsq_log", "asymmetric"];

    /// The objective called `name`; `delta` is the Huber threshold, `asymmetry` the weight of
    /// over-estimates (each used only by the objectives that have it).
    pub fn parse(name: &str, delta: f64, asymmetry: f64) -> Result<Objective> {
        let objective = match name {
            "huber_log" => Objective::HuberLog { delta },
            "lsq" => Objective::Lsq,
            "lsq_log" => Objective::LsqLog,
            "asymmetric" => Objective::Asymmetric { delta, weight: asymmetry },
            _ if name.contains('=') => Objective::Composed(Composition::parse(name)?),
            _ => {
                return Err(CoreError::invalid(
                    "objective",
                    format!("must be one of {:?}, got {name:?}", Objective::NAMES),
                ))
            }
        };
        objective.validate()?;
        Ok(objective)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Objective::HuberLog { .. } => "huber_log",
            Objective::Lsq => "lsq",
            Objective::LsqLog => "lsq_log",
            Objective::Asymmetric { .. } => "asymmetric",
            Objective::Composed(_) => "composed",
        }
    }

    /// The text `parse` reads back to this objective: the name, or a composition's "key=value,...".
    pub fn spec(&self) -> String {
        match self {
            Objective::Composed(c) => c.spec(),
            other => other.name().to_string(),
        }
    }

    /// (delta, asymmetry) as `parse` takes them (1e-3 and 2.0, the defaults, where unused).
    pub fn options(&self) -> (f64, f64) {
        match *self {
            Objective::HuberLog { delta } => (delta, 2.0),
            Objective::Asymmetric { delta, weight } => (delta, weight),
            _ => (1e-3, 2.0),
        }
    }

    pub fn space(&self) -> Space {
        match self {
            Objective::Lsq => Space::Linear,
            Objective::Composed(c) => c.space,
            _ => Space::Log,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(CoreError::invalid(name, format!("must be finite and positive, got {v}")))
            }
        };
        match *self {
            Objective::HuberLog { delta } => positive("delta", delta),
            Objective::Asymmetric { delta, weight } => positive("delta", delta).and(positive("asymmetry", weight)),
            Objective::Composed(c) => c.validate(),
            _ => Ok(()),
        }
    }

    /// The loss of one residual and its derivative.
    #[inline]
    pub fn rho(&self, r: f64) -> (f64, f64) {
        match *self {
            Objective::HuberLog { delta } => huber(r, delta),
            Objective::Lsq | Objective::LsqLog => (r * r, 2.0 * r),
            Objective::Asymmetric { delta, weight } => {
                let (v, d) = huber(r, delta);
                if r > 0.0 {
                    (weight * v, weight * d)
                } else {
                    (v, d)
                }
            }
            Objective::Composed(c) => c.rho(r),
        }
    }
}

/// Huber's loss as scipy.special.huber defines it: r^2/2 inside |r| <= delta, linear outside.
/// Written with min and max instead of branches, so that the loss loop is vectorised: with
/// c = min(|r|, delta) both pieces are c (|r| - c/2), bit for bit (halving is exact), and the slope is
/// r clamped to [-delta, delta].
#[inline]
pub(super) fn huber(r: f64, delta: f64) -> (f64, f64) {
    let a = r.abs();
    let c = a.min(delta);
    (c * (a - 0.5 * c), r.max(-delta).min(delta))
}

/// Replace each prediction by the weighted derivative of the loss of its residual and return the
/// weighted sum of losses. Generic over the loss so that each objective gets its own tight loop.
///
/// The losses go to `losses` (as long as `pred`, at most `SUB_BLOCK`) and are summed afterwards: one
/// simple element-wise loop (no bounds checks, no accumulator) is what the compiler reliably
/// vectorises. Missing weights are ones; multiplying by 1.0 changes no bit.
#[inline(always)]
fn apply_loss(
    pred: &mut [f64],
    losses: &mut [f64],
    target: &[f64],
    weights: Option<&[f64]>,
    rho: impl Fn(f64) -> (f64, f64),
) -> f64 {
    const ONES: [f64; SUB_BLOCK] = [1.0; SUB_BLOCK];
    let weights = weights.unwrap_or(&ONES[..pred.len()]);
    for (((p, t), l), w) in pred.iter_mut().zip(target).zip(losses.iter_mut()).zip(weights) {
        let (v, d) = rho(*p - t);
        (*l, *p) = (w * v, w * d);
    }
    sum(losses)
}

/// Independent partial sums: a single running sum is a chain of dependent additions (its latency,
/// not the arithmetic, would set the speed). The order is fixed, so results stay deterministic.
const LANES: usize = 4;

#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    for (l, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[l] += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Sum with the same partial sums as `dot`.
#[inline(always)]
fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail = chunks.remainder();
    for x in chunks {
        for l in 0..LANES {
            acc[l] += x[l];
        }
    }
    for (l, x) in tail.iter().enumerate() {
        acc[l] += x;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// A law, a table of runs and an objective: the function the optimiser minimises.
///
/// Features, observations and weights are shared (`Arc`), so a bootstrap replicate that reweights
/// the runs (`with_weights`) or replaces the observations (`with_target`) costs O(n) for the changed
/// column only, never a copy of the table.
#[derive(Clone)]
pub struct Problem<'a> {
    pub law: &'a dyn Law,
    feats: Arc<Features>,
    /// Observations in the objective's space (log loss for log objectives).
    target: Arc<Vec<f64>>,
    weights: Option<Arc<Vec<f64>>>,
    pub objective: Objective,
}

impl<'a> Problem<'a> {
    pub fn new(
        law: &'a dyn Law,
        cols: &Columns,
        loss: &[f64],
        weights: Option<&[f64]>,
        objective: Objective,
    ) -> Result<Self> {
        objective.validate()?;
        let feats = law.features(cols)?;
        if feats.n_rows != loss.len() {
            return Err(CoreError::invalid(
                "loss",
                format!("has {} rows but the inputs have {}", loss.len(), feats.n_rows),
            ));
        }
        let space = objective.space();
        for &v in loss {
            let ok = v.is_finite() && (space == Space::Linear || v > 0.0);
            if !ok {
                return Err(CoreError::invalid("loss", format!("must be finite and positive, got {v}")));
            }
        }
        if let Some(w) = weights {
            if w.len() != loss.len() {
                return Err(CoreError::invalid("weights", format!("has {} rows but runs has {}", w.len(), loss.len())));
            }
            if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(CoreError::invalid("weights", format!("must be finite and non-negative, got {bad}")));
            }
            if !w.iter().any(|&v| v > 0.0) {
                return Err(CoreError::invalid("weights", "all weights are zero: no run would count"));
            }
        }
        let target = match space {
            Space::Log => loss.iter().map(|v| v.ln()).collect(),
            Space::Linear => loss.to_vec(),
        };
        Ok(Problem {
            law,
            feats: Arc::new(feats),
            target: Arc::new(target),
            weights: weights.map(|w| Arc::new(w.to_vec())),
            objective,
        })
    }

    /// The same problem with per-run weights replaced (e.g. resampling counts of a pairs bootstrap).
    pub fn with_weights(&self, weights: Option<Arc<Vec<f64>>>) -> Problem<'a> {
        Problem { weights, ..self.clone() }
    }

    /// The same problem with observations replaced, given in the objective's space
    /// (log loss for log objectives), e.g. a residual or parametric bootstrap replicate.
    pub fn with_target(&self, target: Arc<Vec<f64>>) -> Problem<'a> {
        Problem { target, ..self.clone() }
    }

    /// Mean of feature column `col` (for centring coefficients on their exponents).
    pub fn feature_mean(&self, col: usize) -> f64 {
        let c = &self.feats.cols[col];
        c.iter().sum::<f64>() / c.len().max(1) as f64
    }

    /// Observations in the objective's space.
    pub fn target(&self) -> &[f64] {
        &self.target
    }

    /// Predictions in the objective's space at internal parameters `theta`.
    pub fn predictions(&self, theta: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_rows()];
        for (k, chunk) in out.chunks_mut(SUB_BLOCK).enumerate() {
            let start = k * SUB_BLOCK;
            self.law.predict_block(theta, &self.feats, start, start + chunk.len(), self.objective.space(), chunk, None);
        }
        out
    }

    pub fn n_rows(&self) -> usize {
        self.feats.n_rows
    }

    pub fn n_params(&self) -> usize {
        self.law.n_params()
    }

    /// Every `stride`-th run, for screening many starts cheaply on a large table.
    pub fn subsample(&self, stride: usize) -> Problem<'a> {
        let pick = |v: &[f64]| v.iter().step_by(stride).copied().collect::<Vec<f64>>();
        let cols: Vec<Vec<f64>> = self.feats.cols.iter().map(|c| pick(c)).collect();
        let n_rows = cols.first().map_or(0, |c| c.len());
        Problem {
            law: self.law,
            feats: Arc::new(Features { cols, n_rows }),
            target: Arc::new(pick(&self.target)),
            weights: self.weights.as_ref().map(|w| Arc::new(pick(w))),
            objective: self.objective,
        }
    }

    pub fn value(&self, theta: &[f64]) -> f64 {
        self.reduce(theta, None) * self.reduction_scale()
    }

    /// Objective value; its gradient with respect to the internal parameters goes into `grad`.
    pub fn value_grad(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let scale = self.reduction_scale();
        let f = self.reduce(theta, Some(&mut *grad));
        if scale != 1.0 {
            grad.iter_mut().for_each(|g| *g *= scale);
        }
        f * scale
    }

    /// 1 / runs for a composed objective averaged over runs, else 1.
    fn reduction_scale(&self) -> f64 {
        match self.objective {
            Objective::Composed(c) if c.mean => 1.0 / self.n_rows().max(1) as f64,
            _ => 1.0,
        }
    }

    /// Residuals (prediction minus observation) in the objective's space.
    pub fn residuals(&self, theta: &[f64]) -> Vec<f64> {
        let mut out = self.predictions(theta);
        out.iter_mut().zip(self.target.iter()).for_each(|(r, t)| *r -= t);
        out
    }

    fn reduce(&self, theta: &[f64], mut grad: Option<&mut [f64]>) -> f64 {
        if self.n_rows() <= BLOCK {
            // One block, as `map_blocks` would compute it, without its allocations: a grid fit makes
            // hundreds of thousands of evaluations on a few hundred runs.
            if let Some(g) = grad.as_deref_mut() {
                g.iter_mut().for_each(|v| *v = 0.0);
            }
            return self.block(theta, 0, self.n_rows(), grad);
        }
        let k = self.n_params();
        let want_grad = grad.is_some();
        let parts = map_blocks(self.n_rows(), BLOCK, |start, end| {
            let mut g = vec![0.0; if want_grad { k } else { 0 }];
            let f = self.block(theta, start, end, want_grad.then_some(&mut g[..]));
            (f, g)
        });
        let mut total = 0.0;
        if let Some(grad) = grad {
            grad.iter_mut().for_each(|g| *g = 0.0);
            for (f, g) in parts {
                total += f;
                grad.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
            }
        } else {
            total = parts.iter().map(|(f, _)| f).sum();
        }
        total
    }

    /// Objective over rows `start..end`, accumulating the gradient into `grad` when given.
    fn block(&self, theta: &[f64], start: usize, end: usize, grad: Option<&mut [f64]>) -> f64 {
        let k = self.n_params();
        // Every entry of the scratch is written before it is read, so it needs no zeroing; one buffer
        // per thread, reused, avoids an allocation and a memset per objective evaluation.
        SCRATCH.with_borrow_mut(|scratch| {
            if scratch.len() < (k + 2) * SUB_BLOCK {
                scratch.resize((k + 2) * SUB_BLOCK, 0.0);
            }
            let (pred, rest) = scratch.split_at_mut(SUB_BLOCK);
            let (losses, jac) = rest.split_at_mut(SUB_BLOCK);
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, the only requirement of the call. As in
                    // `lse::lse3_block`, wider vectors change no result bit (no FMA, fixed sum order).
                    return unsafe { self.block_with_avx2(theta, start, end, grad, pred, losses, jac) };
                }
            }
            self.block_with(theta, start, end, grad, pred, losses, jac)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block_with_avx2(
        &self,
        theta: &[f64],
        start: usize,
        end: usize,
        grad: Option<&mut [f64]>,
        pred: &mut [f64],
        losses: &mut [f64],
        jac: &mut [f64],
    ) -> f64 {
        self.block_with(theta, start, end, grad, pred, losses, jac)
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn block_with(
        &self,
        theta: &[f64],
        start: usize,
        end: usize,
        mut grad: Option<&mut [f64]>,
        pred: &mut [f64],
        losses: &mut [f64],
        jac: &mut [f64],
    ) -> f64 {
        let k = self.n_params();
        let mut total = 0.0;
        let mut s = start;
        while s < end {
            let e = (s + SUB_BLOCK).min(end);
            let len = e - s;
            let (pred, losses) = (&mut pred[..len], &mut losses[..len]);
            let jac_block = if grad.is_some() { Some(&mut jac[..k * len]) } else { None };
            self.law.predict_block(theta, &self.feats, s, e, self.objective.space(), pred, jac_block);
            // pred becomes the weighted rho' in place, so the Jacobian product is one pass per parameter.
            let target = &self.target[s..e];
            let weights = self.weights.as_ref().map(|w| &w[s..e]);
            total += match self.objective {
                Objective::HuberLog { delta } => apply_loss(pred, losses, target, weights, |r| huber(r, delta)),
                Objective::Lsq | Objective::LsqLog => apply_loss(pred, losses, target, weights, |r| (r * r, 2.0 * r)),
                objective => apply_loss(pred, losses, target, weights, |r| objective.rho(r)),
            };
            if let Some(g) = grad.as_deref_mut() {
                for (j, gj) in g.iter_mut().enumerate() {
                    *gj += dot(&jac[j * len..(j + 1) * len], pred);
                }
            }
            s = e;
        }
        total
    }
}
