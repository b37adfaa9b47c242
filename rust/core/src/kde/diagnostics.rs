//! Biroli & Mezard (2024) diagnostics of the 1-D exact sum: how many points a query's density rests on.

use crate::error::Result;
use crate::fastmath::exp as fast_exp;
use crate::kde::exact::{check_bandwidth, relative_log_term, window, Sorted, QUERY_BLOCK};
use crate::kde::kernels::Kernel;
use crate::parallel::map_blocks;

/// Biroli-Mezard diagnostics per query: the effective number of contributing points
/// (sum k)^2 / sum k^2 over the weighted terms k_j = w_j K((q - x_j)/h), and the largest term's share.
/// A query no point reaches (outside every compact support) gets 0 and NaN.
pub fn diagnostics_1d(s: &Sorted, h: f64, kernel: Kernel, queries: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    check_bandwidth(h)?;
    let inv_h = 1.0 / h;
    let per_query = |q: f64| {
        let (lo, hi, reference) = window(s, h, kernel, q);
        let (mut s1, mut s2, mut top) = (0.0f64, 0.0f64, 0.0f64);
        for (xv, wv) in s.x[lo..hi].iter().zip(&s.w[lo..hi]) {
            let z = (q - xv) * inv_h;
            let k = wv
                * match kernel {
                    Kernel::Gaussian | Kernel::Laplace => fast_exp(relative_log_term(kernel, reference, z)),
                    _ => kernel.pdf(z),
                };
            s1 += k;
            s2 += k * k;
            top = top.max(k);
        }
        if s1 > 0.0 {
            (s1 * s1 / s2, top / s1)
        } else {
            (0.0, f64::NAN)
        }
    };
    let blocks =
        map_blocks(queries.len(), QUERY_BLOCK, |a, b| queries[a..b].iter().map(|&q| per_query(q)).collect::<Vec<_>>());
    Ok(blocks.into_iter().flatten().unzip())
}
