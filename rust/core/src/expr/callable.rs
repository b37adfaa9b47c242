//! A law given by a function of the host language (a Python callable) for forms an expression cannot
//! say: the core's optimiser, start grids, bootstrap and allocation run unchanged, and only the
//! predictions of a block of rows are asked of the function (`Callable`).
//!
//! Without a gradient function the Jacobian is taken by central differences in the fitted
//! coordinates (`FnLaw::central_differences`): 2k + 1 calls per block for k parameters. A step of
//! cbrt(eps) times the coordinate's scale balances truncation error (O(h^2)) against rounding
//! (O(eps / h)), which leaves about 2/3 of the digits (Nocedal & Wright 2006, "Numerical
//! Optimization", section 8.1). Complex steps would be exact, but they need the function to accept
//! complex parameters, which a user's NumPy code (abs, comparisons, min/max) often does not.

use std::any::Any;

use super::registry::{intern, intern_list, is_identifier};
use super::start::{param_specs, start_grid};
use crate::error::{CoreError, Result};
use crate::laws::{linear_to_log, Columns, Features, Law, ParamSpec, Space, Transform};

/// The function failed (raised, or returned something that is not one value per row); the host
/// keeps the reason and reports it when the computation returns.
#[derive(Debug, Clone, Copy)]
pub struct Failed;

/// What the host provides for a law given as a function.
pub trait Callable: Send + Sync {
    /// Predictions (linear space) at public parameter values `params` for the rows of `cols` (the
    /// law's inputs, in order) into `out`.
    fn eval(&self, params: &[f64], cols: &[&[f64]], out: &mut [f64]) -> std::result::Result<(), Failed>;
    /// Whether `grad` is given.
    fn has_grad(&self) -> bool;
    /// Derivatives of the predictions with respect to the public parameters, parameter-major
    /// (`out[j * rows + i]`), when the user gave a gradient function.
    fn grad(&self, params: &[f64], cols: &[&[f64]], out: &mut [f64]) -> std::result::Result<(), Failed>;
    /// The host's own object (to ship the law to another process).
    fn as_any(&self) -> &dyn Any;
}

/// A law given by a function: its parameters (and which are positive), inputs and start grid, as
/// for an expression.
pub struct FnLaw {
    name: &'static str,
    params: Vec<ParamSpec>,
    inputs: &'static [&'static str],
    grid: Vec<Vec<f64>>,
    host: Box<dyn Callable>,
}

impl FnLaw {
    /// Check the declarations (names, ranges, grid) and build the law around `host`.
    pub fn new(
        name: &str,
        params: &[String],
        positive: &[String],
        bounds: &[(String, f64, f64)],
        inputs: &[String],
        grid: &[(String, Vec<f64>)],
        host: Box<dyn Callable>,
    ) -> Result<FnLaw> {
        if !is_identifier(name) {
            return Err(CoreError::invalid("name", format!("must be an identifier, got {name:?}")));
        }
        for (arg, list) in [("params", params), ("inputs", inputs)] {
            if list.is_empty() {
                return Err(CoreError::invalid(arg, format!("a law given by fn= needs its {arg} named, got none")));
            }
            if let Some(bad) = list.iter().find(|c| !is_identifier(c)) {
                return Err(CoreError::invalid(arg, format!("{bad:?} is not an identifier")));
            }
            if let Some((i, dup)) = list.iter().enumerate().find(|(i, c)| list[..*i].contains(c)) {
                return Err(CoreError::invalid(arg, format!("{dup:?} is named twice (position {i})")));
            }
        }
        if let Some(both) = params.iter().find(|p| inputs.contains(p)) {
            return Err(CoreError::invalid("params", format!("{both:?} is also an input column")));
        }
        let declared = positive.iter().map(|p| ("positive", p)).chain(bounds.iter().map(|b| ("bounds", &b.0)));
        for (arg, p) in declared {
            if !params.contains(p) {
                return Err(CoreError::invalid(arg, format!("{p:?} is not a parameter (parameters: {params:?})")));
            }
        }
        let specs = param_specs(params, positive, bounds)?;
        let grid = start_grid(&specs, grid)?;
        let names: Vec<&str> = inputs.iter().map(String::as_str).collect();
        Ok(FnLaw { name: intern(name), params: specs, inputs: intern_list(&names), grid, host })
    }

    /// The host's object behind the law.
    pub fn host(&self) -> &dyn Callable {
        self.host.as_ref()
    }

    fn public(&self, theta: &[f64]) -> Vec<f64> {
        self.params.iter().zip(theta).map(|(s, &t)| s.transform.to_public(t)).collect()
    }

    /// `jac[j * len + i]` = d pred_i / d theta_j (linear space) by central differences, the step
    /// scaled to each coordinate; on failure, `Err` with `jac` partly written.
    fn central_differences(
        &self,
        theta: &[f64],
        cols: &[&[f64]],
        len: usize,
        jac: &mut [f64],
    ) -> std::result::Result<(), Failed> {
        let (mut up, mut down) = (vec![0.0; len], vec![0.0; len]);
        let mut shifted = theta.to_vec();
        for (j, row) in jac.chunks_mut(len).enumerate() {
            let h0 = f64::EPSILON.cbrt() * theta[j].abs().max(1.0);
            // The step actually taken (theta + h rounds): dividing by it removes that error.
            let (hi, lo) = (theta[j] + h0, theta[j] - h0);
            shifted[j] = hi;
            self.host.eval(&self.public(&shifted), cols, &mut up)?;
            shifted[j] = lo;
            self.host.eval(&self.public(&shifted), cols, &mut down)?;
            shifted[j] = theta[j];
            let width = hi - lo;
            row.iter_mut().zip(up.iter().zip(&down)).for_each(|(g, (u, d))| *g = (u - d) / width);
        }
        Ok(())
    }

    fn linear_block(
        &self,
        theta: &[f64],
        cols: &[&[f64]],
        pred: &mut [f64],
        jac: Option<&mut [f64]>,
    ) -> std::result::Result<(), Failed> {
        let len = pred.len();
        if len == 0 {
            return Ok(());
        }
        let public = self.public(theta);
        self.host.eval(&public, cols, pred)?;
        let Some(jac) = jac else { return Ok(()) };
        if !self.host.has_grad() {
            return self.central_differences(theta, cols, len, jac);
        }
        self.host.grad(&public, cols, jac)?;
        // d/d ln p = p d/dp for a positive parameter.
        for ((s, p), row) in self.params.iter().zip(&public).zip(jac.chunks_mut(len)) {
            if s.transform == Transform::Log {
                row.iter_mut().for_each(|g| *g *= p);
            }
        }
        Ok(())
    }
}

impl Law for FnLaw {
    fn name(&self) -> &'static str {
        self.name
    }
    fn params(&self) -> &[ParamSpec] {
        &self.params
    }
    fn inputs(&self) -> &'static [&'static str] {
        self.inputs
    }
    /// The input columns themselves (the function reads them as the user gave them), finite and of
    /// one length.
    fn features(&self, cols: &Columns) -> Result<Features> {
        let mut out: Vec<Vec<f64>> = Vec::with_capacity(self.inputs.len());
        for name in self.inputs {
            let col = cols.require(name, self.name)?;
            if let Some(bad) = col.iter().find(|v| !v.is_finite()) {
                return Err(CoreError::invalid(*name, format!("must be finite, got {bad}")));
            }
            if let Some(first) = out.first().filter(|c| c.len() != col.len()) {
                return Err(CoreError::invalid(
                    *name,
                    format!("has {} rows, the other inputs {}", col.len(), first.len()),
                ));
            }
            out.push(col.to_vec());
        }
        let n_rows = out.first().map_or(0, Vec::len);
        Ok(Features { cols: out, n_rows })
    }
    /// The function's predictions of the block (NaN throughout when it failed: the host reports the
    /// failure and stops the computation). Non-finite predictions pass as they are, as an
    /// expression's do.
    fn predict_block(
        &self,
        theta: &[f64],
        feats: &Features,
        start: usize,
        end: usize,
        space: Space,
        pred: &mut [f64],
        mut jac: Option<&mut [f64]>,
    ) {
        let cols: Vec<&[f64]> = feats.cols.iter().map(|c| &c[start..end]).collect();
        if self.linear_block(theta, &cols, pred, jac.as_deref_mut()).is_err() {
            pred.fill(f64::NAN);
            if let Some(j) = jac.as_deref_mut() {
                j.fill(f64::NAN);
            }
            return;
        }
        if space == Space::Log {
            linear_to_log(pred, jac);
        }
    }
    fn default_grid(&self) -> Vec<Vec<f64>> {
        self.grid.clone()
    }
    fn callable(&self) -> Option<&FnLaw> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws::Chinchilla;

    /// Chinchilla written by hand as a host function, with its gradient optional.
    struct Chin {
        grad: bool,
    }

    impl Callable for Chin {
        fn eval(&self, p: &[f64], cols: &[&[f64]], out: &mut [f64]) -> std::result::Result<(), Failed> {
            for ((o, n), d) in out.iter_mut().zip(cols[0]).zip(cols[1]) {
                *o = p[0] + p[1] * n.powf(-p[3]) + p[2] * d.powf(-p[4]);
            }
            Ok(())
        }
        fn has_grad(&self) -> bool {
            self.grad
        }
        fn grad(&self, p: &[f64], cols: &[&[f64]], out: &mut [f64]) -> std::result::Result<(), Failed> {
            let len = cols[0].len();
            for (i, (n, d)) in cols[0].iter().zip(cols[1]).enumerate() {
                let (tn, td) = (n.powf(-p[3]), d.powf(-p[4]));
                let g = [1.0, tn, td, -p[1] * tn * n.ln(), -p[2] * td * d.ln()];
                g.iter().enumerate().for_each(|(j, v)| out[j * len + i] = *v);
            }
            Ok(())
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn chin(grad: bool) -> FnLaw {
        let (params, positive) = (names(&["E", "A", "B", "alpha", "beta"]), names(&["E", "A", "B"]));
        FnLaw::new("chin_fn", &params, &positive, &[], &names(&["N", "D"]), &[], Box::new(Chin { grad })).unwrap()
    }

    #[test]
    fn predictions_and_both_jacobians_equal_the_hand_written_law() {
        let n: Vec<f64> = (0..200).map(|i| 1e7 * 1.04f64.powi(i)).collect();
        let d: Vec<f64> = (0..200).map(|i| 1e9 * 1.03f64.powi(i)).collect();
        let cols = Columns { n: Some(&n), d: Some(&d), ..Columns::default() };
        let theta = [0.52f64.ln(), 6.0, 6.1, 0.34, 0.28];
        let fc = Chinchilla.features(&cols).unwrap();
        for (grad, tol) in [(true, 1e-12), (false, 1e-7)] {
            let law = chin(grad);
            let fe = law.features(&cols).unwrap();
            for space in [Space::Linear, Space::Log] {
                let (mut p1, mut p2) = (vec![0.0; 200], vec![0.0; 200]);
                let (mut j1, mut j2) = (vec![0.0; 1000], vec![0.0; 1000]);
                law.predict_block(&theta, &fe, 0, 200, space, &mut p1, Some(&mut j1));
                Chinchilla.predict_block(&theta, &fc, 0, 200, space, &mut p2, Some(&mut j2));
                for (a, b) in p1.iter().zip(&p2) {
                    assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{a} vs {b}");
                }
                for (a, b) in j1.iter().zip(&j2) {
                    assert!((a - b).abs() <= tol * b.abs().max(1e-3), "grad {grad}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn a_failing_function_gives_nan_and_declarations_are_checked() {
        struct Fails;
        impl Callable for Fails {
            fn eval(&self, _: &[f64], _: &[&[f64]], _: &mut [f64]) -> std::result::Result<(), Failed> {
                Err(Failed)
            }
            fn has_grad(&self) -> bool {
                false
            }
            fn grad(&self, _: &[f64], _: &[&[f64]], _: &mut [f64]) -> std::result::Result<(), Failed> {
                Err(Failed)
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
        let law = FnLaw::new("fails", &names(&["a"]), &[], &[], &names(&["x"]), &[], Box::new(Fails)).unwrap();
        let x = [1.0, 2.0];
        let feats = law.features(&Columns { x: Some(&x), ..Columns::default() }).unwrap();
        let (mut p, mut j) = ([0.0; 2], [0.0; 2]);
        law.predict_block(&[0.5], &feats, 0, 2, Space::Linear, &mut p, Some(&mut j));
        assert!(p.iter().chain(&j).all(|v| v.is_nan()));
        let bad = |params: &[&str], positive: &[&str], inputs: &[&str]| {
            FnLaw::new("bad", &names(params), &names(positive), &[], &names(inputs), &[], Box::new(Fails))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(bad(&[], &[], &["x"]).contains("params"));
        assert!(bad(&["a", "a"], &[], &["x"]).contains("twice"));
        assert!(bad(&["a"], &["b"], &["x"]).contains("positive"));
        assert!(bad(&["x"], &[], &["x"]).contains("input column"));
        assert!(bad(&["a"], &[], &["1x"]).contains("identifier"));
    }
}
