//! How a kernel density estimator is specified: the evaluation method, the bandwidth as given (a rule, a
//! value or a matrix), the samples and weights, and the checks and factorisations the `Estimator` applies
//! to them once when it is built.

use nalgebra::DMatrix;

use crate::error::{CoreError, Result};
use crate::kde::kernels::Kernel;
use crate::kde::rules::Rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Auto,
    Exact,
    Binned,
}

pub const METHOD_NAMES: [&str; 3] = ["auto", "exact", "binned"];

impl Method {
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "auto" => Method::Auto,
            "exact" => Method::Exact,
            "binned" => Method::Binned,
            _ => return Err(CoreError::invalid("method", format!("unknown method {name:?}; known: {METHOD_NAMES:?}"))),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Exact => "exact",
            Method::Binned => "binned",
        }
    }
}

/// How the bandwidth is given.
#[derive(Debug, Clone)]
pub enum BandwidthSpec {
    /// A rule computed from the data.
    Rule(Rule),
    /// The kernel standard deviation h (H = h^2 I in d > 1); `label` names the rule it came from when it is
    /// an earlier estimator's bandwidth (unpickling), so nothing is recomputed.
    Value { h: f64, label: Option<Rule> },
    /// The bandwidth matrix H (d x d, row-major), d > 1.
    Matrix { h: Vec<f64>, label: Option<Rule> },
    /// One kernel standard deviation per dimension, each a value or a rule applied to that margin:
    /// H = diag(h_1^2, ..., h_d^2).
    PerDimension(Vec<DimBandwidth>),
}

/// One dimension's entry of `BandwidthSpec::PerDimension`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DimBandwidth {
    Rule(Rule),
    Value(f64),
}

/// Everything the estimator is built from.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// Samples, n x d row-major (owned: the estimator keeps them without another copy).
    pub x: Vec<f64>,
    pub d: usize,
    /// Per-sample weights, non-negative, not all zero, not necessarily normalised.
    pub weights: Option<&'a [f64]>,
    pub bandwidth: BandwidthSpec,
    pub kernel: Kernel,
    pub method: Method,
    pub tolerance: f64,
}

pub(crate) fn check_weights(w: &[f64], n: usize) -> Result<f64> {
    if w.len() != n {
        return Err(CoreError::invalid("weights", format!("has {} values for {n} samples", w.len())));
    }
    if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(CoreError::invalid("weights", format!("must be non-negative and finite, got {bad}")));
    }
    let total: f64 = w.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(CoreError::invalid("weights", "are all zero"));
    }
    Ok(total)
}

/// Cholesky factor (row-major, lower) of a symmetric positive definite matrix.
pub(crate) fn cholesky(m: &[f64], d: usize) -> Result<Vec<f64>> {
    let chol = nalgebra::Cholesky::new(DMatrix::from_row_slice(d, d, m))
        .ok_or_else(|| CoreError::invalid("bandwidth", "the bandwidth matrix is not positive definite"))?;
    let l = chol.l();
    Ok((0..d * d).map(|k| l[(k / d, k % d)]).collect())
}
