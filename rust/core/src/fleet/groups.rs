//! A table's rows grouped by integer group codes, once: a stable counting sort gives, for every
//! group, the contiguous range of an index array that lists its rows in table order. Building it is
//! O(rows + groups) (no comparison sort), and every group's fit then reads its rows through that range,
//! so the whole fleet costs time linear in the table, never rows x groups.

use crate::error::{CoreError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    /// Row indices, group by group, each group's rows in table order.
    order: Vec<usize>,
    /// Group g owns `order[offsets[g]..offsets[g + 1]]`.
    offsets: Vec<usize>,
}

impl Groups {
    /// Group rows by `codes` (one per row, each in `0..n_groups`).
    pub fn new(codes: &[i64], n_groups: usize) -> Result<Groups> {
        let mut offsets = vec![0usize; n_groups + 1];
        for &c in codes {
            let g = usize::try_from(c).ok().filter(|&g| g < n_groups).ok_or_else(|| {
                CoreError::invalid("groups", format!("a group code must lie in 0..{n_groups}, got {c}"))
            })?;
            offsets[g + 1] += 1;
        }
        for g in 0..n_groups {
            offsets[g + 1] += offsets[g];
        }
        let mut next = offsets.clone();
        let mut order = vec![0usize; codes.len()];
        for (row, &c) in codes.iter().enumerate() {
            // In range: checked in the first pass.
            let g = c as usize;
            order[next[g]] = row;
            next[g] += 1;
        }
        Ok(Groups { order, offsets })
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows of group `g`, in table order.
    pub fn rows(&self, g: usize) -> &[usize] {
        &self.order[self.offsets[g]..self.offsets[g + 1]]
    }

    /// `values` at the rows of group `g`, appended to `out` (cleared first).
    pub fn gather(&self, g: usize, values: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.rows(g).iter().map(|&i| values[i]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_out_grouped_in_table_order() {
        let g = Groups::new(&[2, 0, 2, 1, 0, 2], 4).unwrap();
        assert_eq!(g.len(), 4);
        assert_eq!(g.rows(0), &[1, 4]);
        assert_eq!(g.rows(1), &[3]);
        assert_eq!(g.rows(2), &[0, 2, 5]);
        assert!(g.rows(3).is_empty());
        let mut out = Vec::new();
        g.gather(2, &[10.0, 11.0, 12.0, 13.0, 14.0, 15.0], &mut out);
        assert_eq!(out, vec![10.0, 12.0, 15.0]);
    }

    #[test]
    fn codes_out_of_range_are_refused() {
        assert!(matches!(Groups::new(&[0, 3], 3), Err(CoreError::InvalidInput { ref name, .. }) if name == "groups"));
        assert!(Groups::new(&[-1], 3).is_err());
    }
}
