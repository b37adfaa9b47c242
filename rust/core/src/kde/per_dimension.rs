//! Per-dimension (diagonal) bandwidths in d > 1: H = diag(h_1^2, ..., h_d^2), each h_j a given value or a
//! 1-D rule applied to the j-th margin of the sample (with the sample's weights and n_eff). This is the
//! product-kernel plug-in: the j-th margin of the estimate then has exactly the bandwidth the rule picks for
//! that margin alone. It is not the d-dimensional ISJ of Botev, Grotowski & Kroese (2010, "Kernel density
//! estimation via diffusion", section 5), whose fixed point couples the dimensions (docs/kde.md says so).

use crate::control::Control;
use crate::error::{CoreError, Result};
use crate::kde::exact::{sort_sample, Sorted};
use crate::kde::rules::{rule_bandwidth, RuleData};
use crate::kde::spec::DimBandwidth;

/// The kernel standard deviation of each dimension. Errors and notes name the dimension (from 0).
pub fn per_dimension(
    parts: &[DimBandwidth],
    data: &RuleData,
    control: &Control,
    notes: &mut Vec<String>,
) -> Result<Vec<f64>> {
    let d = data.d;
    if parts.len() != d {
        return Err(CoreError::invalid(
            "bandwidth",
            format!("has {} per-dimension values for samples of dimension {d}", parts.len()),
        ));
    }
    let rows = data.x.len() / d;
    let mut out = Vec::with_capacity(d);
    for (j, part) in parts.iter().enumerate() {
        let h = match *part {
            DimBandwidth::Value(h) => {
                if !(h.is_finite() && h > 0.0) {
                    return Err(CoreError::invalid(
                        format!("bandwidth[{j}]"),
                        format!("must be a positive finite number, got {h}"),
                    ));
                }
                h
            }
            DimBandwidth::Rule(rule) => {
                let column: Vec<f64> = (0..rows).map(|i| data.x[i * d + j]).collect();
                let (xs, ws) = sort_sample(&column, data.w)?;
                let margin = RuleData {
                    x: &column,
                    d: 1,
                    w: data.w,
                    n_eff: data.n_eff,
                    sorted: Some(Sorted { x: &xs, w: &ws }),
                };
                let mut own = Vec::new();
                let found = rule_bandwidth(rule, &margin, control, &mut own).map_err(|e| match e {
                    CoreError::InvalidInput { name, reason } => {
                        CoreError::invalid(name, format!("dimension {j}: {reason}"))
                    }
                    other => other,
                })?;
                notes.extend(own.into_iter().map(|note| format!("dimension {j}: {note}")));
                found.0
            }
        };
        out.push(h);
    }
    Ok(out)
}

/// diag(h_1^2, ..., h_d^2), row-major.
pub fn diagonal(h: &[f64]) -> Vec<f64> {
    let d = h.len();
    (0..d * d).map(|k| if k % (d + 1) == 0 { h[k / d] * h[k / d] } else { 0.0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kde::rules::Rule;

    #[test]
    fn each_margin_gets_its_own_rule() {
        let x: Vec<f64> = (0..400).flat_map(|i| [(i as f64 * 0.37).sin(), 10.0 * (i as f64 * 0.11).cos()]).collect();
        let data = RuleData { x: &x, d: 2, w: None, n_eff: 400.0, sorted: None };
        let mut notes = Vec::new();
        let parts = [DimBandwidth::Rule(Rule::IsjBotev), DimBandwidth::Value(0.5)];
        let h = per_dimension(&parts, &data, &Control::new(), &mut notes).unwrap();
        let col: Vec<f64> = (0..400).map(|i| x[2 * i]).collect();
        let want = crate::kde::bandwidth::isj(&col, None, crate::kde::bandwidth::IsjVariant::Botev).unwrap();
        assert_eq!(h, vec![want, 0.5]);
        assert!(notes.is_empty());
        assert_eq!(diagonal(&h), vec![want * want, 0.0, 0.0, 0.25]);
    }
}
