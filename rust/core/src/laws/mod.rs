//! Scaling-law families behind one abstraction.
//!
//! A law works in an *internal* parametrisation in which L-BFGS runs unconstrained: positive
//! coefficients are optimised as their logarithms (Hoffmann et al.'s LSE form), exponents as they are.
//! `ParamSpec::transform` says which, so fixing, tying and reporting parameters is generic.
//! Inputs are turned once into the features a law's kernel reads (e.g. ln N and ln D), and the kernel
//! predicts a block of rows at a time with its Jacobian, so that the objective loop stays generic
//! while the transcendental work stays in tight, vectorisable loops.

mod bnsl;
mod chinchilla;
mod data_constrained;
mod downstream;
mod kaplan;
mod lse;
mod m4;
mod overtrained;
mod power;

pub use bnsl::Bnsl;
pub use chinchilla::Chinchilla;
pub use data_constrained::DataConstrained;
pub use downstream::Downstream;
pub use kaplan::Kaplan;
pub use m4::M4;
pub use overtrained::Overtrained;
pub use power::Power;

use crate::error::{CoreError, Result};

/// How a public parameter maps to the internal coordinate the optimiser moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// internal = public
    Identity,
    /// internal = ln(public); the public value is positive
    Log,
}

impl Transform {
    pub fn to_internal(self, public: f64) -> f64 {
        match self {
            Transform::Identity => public,
            Transform::Log => public.ln(),
        }
    }
    pub fn to_public(self, internal: f64) -> f64 {
        match self {
            Transform::Identity => internal,
            Transform::Log => internal.exp(),
        }
    }
}

/// One parameter: its public name, its transform, and the box (in internal coordinates) where
/// start grids are drawn and beyond which a fit is reported as implausible.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub transform: Transform,
    pub lower: f64,
    pub upper: f64,
}

/// The space in which predictions are compared with observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    Linear,
    Log,
}

/// Named input columns of a table of runs (all of equal length, validated by the caller).
#[derive(Debug, Default, Clone, Copy)]
pub struct Columns<'a> {
    pub x: Option<&'a [f64]>,
    pub n: Option<&'a [f64]>,
    pub d: Option<&'a [f64]>,
    pub u: Option<&'a [f64]>,
    /// Training compute C (FLOPs).
    pub c: Option<&'a [f64]>,
    /// Tokens per parameter M = D / N.
    pub m: Option<&'a [f64]>,
    /// Further columns by their users' names (a defined law may read them, e.g. a learning rate).
    pub extra: &'a [(String, Vec<f64>)],
}

impl<'a> Columns<'a> {
    /// The column `name` ("x", "N", "D", "U", "C", "M" or an extra column's name), or an error
    /// saying the law needs it.
    pub fn require(&self, name: &str, law: &str) -> Result<&'a [f64]> {
        let col = match name {
            "x" => self.x,
            "N" => self.n,
            "D" => self.d,
            "U" => self.u,
            "C" => self.c,
            "M" => self.m,
            _ => self.extra.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice()),
        };
        col.ok_or_else(|| CoreError::invalid(name, format!("the {law} law needs the column {name}")))
    }
}

/// Per-row features a law's kernel reads, column-major (`cols[j][i]`).
#[derive(Debug, Clone)]
pub struct Features {
    pub cols: Vec<Vec<f64>>,
    pub n_rows: usize,
}

pub trait Law: Send + Sync {
    fn name(&self) -> &'static str;
    fn params(&self) -> &[ParamSpec];
    /// Input column names the law reads.
    fn inputs(&self) -> &'static [&'static str];
    /// Turn raw columns into kernel features once per data set; by default the logarithms of the
    /// law's inputs, in `inputs()` order (each must be finite and positive).
    fn features(&self, cols: &Columns) -> Result<Features> {
        let cols = log_columns(cols, self.inputs(), self.name())?;
        let n_rows = cols.first().map_or(0, |c| c.len());
        Ok(Features { cols, n_rows })
    }
    /// Predictions for rows `start..end` in `space`; when `jac` is given, the derivatives with respect
    /// to the internal parameters, parameter-major: `jac[j * (end - start) + i]`.
    #[allow(clippy::too_many_arguments)]
    fn predict_block(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    );
    /// Default multi-start grid (internal coordinates), one start per row.
    fn default_grid(&self) -> Vec<Vec<f64>>;

    /// Terms of the form `theta[coef] - theta[exponent] * feature[col]` as (coef, exponent, col). The
    /// optimiser moves `theta[coef] - theta[exponent] * mean(feature[col])` instead of `theta[coef]`,
    /// which removes the near-perfect correlation of a coefficient with its exponent (the A-alpha and
    /// B-beta ridges: ln N is about 20 far from zero) and so most of the objective's ill-conditioning.
    fn centring(&self) -> &[(usize, usize, usize)] {
        &[]
    }

    fn n_params(&self) -> usize {
        self.params().len()
    }

    /// For a law of the form `E + A / N^alpha + B / D^beta` with E, A and B fitted as logarithms: the
    /// positions of (E, A, B, alpha, beta) among its parameters. Such a law has Hoffmann et al.'s
    /// closed-form allocation and the derived quantities a, b and G, whatever its name (the built-in
    /// chinchilla law, or a law defined by an expression of that shape).
    fn chinchilla_form(&self) -> Option<[usize; 5]> {
        None
    }

    /// `theta` in chinchilla's order (ln E, ln A, ln B, alpha, beta), for a law of that form.
    fn as_chinchilla(&self, theta: &[f64]) -> Option<[f64; 5]> {
        let ix = self.chinchilla_form()?;
        ix.iter().all(|&i| i < theta.len()).then(|| ix.map(|i| theta[i]))
    }

    /// The expression a defined law was built from (`crate::expr`), so it can be rebuilt elsewhere.
    fn definition(&self) -> Option<&crate::expr::Definition> {
        None
    }

    /// The law given by a host-language function (`crate::expr::FnLaw`), so its host can ship it.
    fn callable(&self) -> Option<&crate::expr::FnLaw> {
        None
    }

    /// `Ok` when the law's prediction is defined at `theta` (internal coordinates); otherwise an error
    /// on argument "params" naming the parameter. Every law needs finite values; a law with further
    /// conditions (M4's eps_0 above eps_inf) adds them. Predicting at other values would return NaN.
    fn check_params(&self, theta: &[f64]) -> Result<()> {
        check_finite(self.params(), theta)
    }
}

/// Each of `theta` finite (for a logarithmic parameter: its coefficient positive and finite).
pub fn check_finite(params: &[ParamSpec], theta: &[f64]) -> Result<()> {
    if theta.len() != params.len() {
        return Err(CoreError::invalid("params", format!("needs {} values, got {}", params.len(), theta.len())));
    }
    match params.iter().zip(theta).find(|(_, v)| !v.is_finite()) {
        Some((p, v)) => {
            let shown = if p.transform == Transform::Log { v.exp() } else { *v };
            Err(CoreError::invalid("params", format!("{} must be a finite number, got {shown}", p.name)))
        }
        None => Ok(()),
    }
}

/// Every law by its public name.
pub fn get(name: &str) -> Result<Box<dyn Law>> {
    match name {
        "power" => Ok(Box::new(Power)),
        "chinchilla" => Ok(Box::new(Chinchilla)),
        "kaplan" => Ok(Box::new(Kaplan)),
        "overtrained" => Ok(Box::new(Overtrained)),
        "downstream" => Ok(Box::new(Downstream)),
        "data_constrained" => Ok(Box::new(DataConstrained)),
        "bnsl" => Ok(Box::new(Bnsl::new(1))),
        "bnsl2" => Ok(Box::new(Bnsl::new(2))),
        "m4" => Ok(Box::new(M4)),
        _ => match crate::expr::lookup(name) {
            Some(defined) => Ok(Box::new(defined)),
            None => Err(CoreError::invalid("law", format!("unknown law {name:?}; known: {:?}", names()))),
        },
    }
}

pub fn names() -> Vec<&'static str> {
    vec!["power", "chinchilla", "kaplan", "overtrained", "downstream", "data_constrained", "bnsl", "m4", "bnsl2"]
}

/// The logarithms of the named columns, refusing values that are not finite and positive.
pub fn log_columns(cols: &Columns, names: &[&str], law: &str) -> Result<Vec<Vec<f64>>> {
    // The kernels index every column by the first one's rows: unequal lengths are refused here, once.
    let mut rows: Option<(&str, usize)> = None;
    names
        .iter()
        .map(|&name| {
            let col = cols.require(name, law)?;
            match rows {
                Some((first, n)) if n != col.len() => {
                    return Err(CoreError::invalid(name, format!("has {} rows but {first} has {n}", col.len())));
                }
                _ => rows = Some((name, col.len())),
            }
            if let Some(bad) = col.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(CoreError::invalid(name, format!("must be finite and positive, got {bad}")));
            }
            Ok(col.iter().map(|v| v.ln()).collect())
        })
        .collect()
}

/// Cartesian product of per-parameter value lists, the last parameter varying fastest.
pub fn cartesian_grid(axes: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut grid = vec![Vec::with_capacity(axes.len())];
    for axis in axes {
        grid = grid
            .into_iter()
            .flat_map(|prefix| {
                axis.iter().map(move |&v| {
                    let mut p = prefix.clone();
                    p.push(v);
                    p
                })
            })
            .collect();
    }
    grid
}

/// Turn linear-space predictions (already in `pred`) into log space, Jacobian included, for laws
/// whose natural form is linear.
pub fn linear_to_log(pred: &mut [f64], jac: Option<&mut [f64]>) {
    let len = pred.len();
    if let Some(jac) = jac {
        for row in jac.chunks_mut(len) {
            for (j, p) in row.iter_mut().zip(pred.iter()) {
                *j /= *p;
            }
        }
    }
    for p in pred.iter_mut() {
        *p = p.ln();
    }
}
