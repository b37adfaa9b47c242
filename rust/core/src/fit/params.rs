//! Fixed and tied parameters: the optimiser moves a short vector z of free coordinates, expanded
//! into the law's full internal parameter vector theta.

use crate::error::{CoreError, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Free(usize),
    Fixed(f64),
}

#[derive(Debug, Clone)]
pub struct ParamMap {
    slots: Vec<Slot>,
    n_free: usize,
}

impl ParamMap {
    /// All `n` parameters free.
    pub fn free(n: usize) -> Self {
        ParamMap { slots: (0..n).map(Slot::Free).collect(), n_free: n }
    }

    /// `fixed`: (parameter index, internal value); `ties`: (j, k) meaning theta_j = theta_k.
    pub fn new(n: usize, fixed: &[(usize, f64)], ties: &[(usize, usize)]) -> Result<Self> {
        // leader[j]: the parameter whose value j takes (itself when not tied).
        let mut leader: Vec<usize> = (0..n).collect();
        for &(j, k) in ties {
            if j >= n || k >= n || j == k {
                return Err(CoreError::invalid("tie", format!("cannot tie parameter {j} to {k}")));
            }
            let (lj, lk) = (root(&leader, j), root(&leader, k));
            leader[lj.max(lk)] = lj.min(lk);
        }
        let mut value: Vec<Option<f64>> = vec![None; n];
        for &(j, v) in fixed {
            if j >= n || !v.is_finite() {
                return Err(CoreError::invalid("fixed", format!("cannot fix parameter {j} at {v}")));
            }
            let r = root(&leader, j);
            if value[r].is_some_and(|old| old != v) {
                return Err(CoreError::invalid("fixed", "tied parameters fixed at different values"));
            }
            value[r] = Some(v);
        }
        let mut slots = Vec::with_capacity(n);
        let mut free_of_root = vec![usize::MAX; n];
        let mut n_free = 0;
        for j in 0..n {
            let r = root(&leader, j);
            slots.push(match value[r] {
                Some(v) => Slot::Fixed(v),
                None => {
                    if free_of_root[r] == usize::MAX {
                        free_of_root[r] = n_free;
                        n_free += 1;
                    }
                    Slot::Free(free_of_root[r])
                }
            });
        }
        if n_free == 0 {
            return Err(CoreError::invalid("fixed", "every parameter is fixed; nothing to fit"));
        }
        Ok(ParamMap { slots, n_free })
    }

    pub fn n_free(&self) -> usize {
        self.n_free
    }

    pub fn n_full(&self) -> usize {
        self.slots.len()
    }

    pub fn expand(&self, z: &[f64], theta: &mut [f64]) {
        for (t, slot) in theta.iter_mut().zip(&self.slots) {
            *t = match *slot {
                Slot::Free(i) => z[i],
                Slot::Fixed(v) => v,
            };
        }
    }

    /// Free coordinates of a full vector (a tied group takes its first member's value).
    pub fn reduce(&self, theta: &[f64]) -> Vec<f64> {
        let mut z = vec![f64::NAN; self.n_free];
        for (t, slot) in theta.iter().zip(&self.slots) {
            if let Slot::Free(i) = *slot {
                if z[i].is_nan() {
                    z[i] = *t;
                }
            }
        }
        z
    }

    /// Chain rule: the gradient in z of a function whose gradient in theta is `g_theta`.
    pub fn pull_grad(&self, g_theta: &[f64], g_z: &mut [f64]) {
        g_z.iter_mut().for_each(|g| *g = 0.0);
        for (g, slot) in g_theta.iter().zip(&self.slots) {
            if let Slot::Free(i) = *slot {
                g_z[i] += g;
            }
        }
    }

    /// Whether parameter `j` is free and drives no other parameter (not fixed, not tied).
    pub fn is_plain(&self, j: usize) -> bool {
        match self.slots[j] {
            Slot::Free(i) => self.slots.iter().filter(|s| **s == Slot::Free(i)).count() == 1,
            Slot::Fixed(_) => false,
        }
    }

    /// The free coordinate that drives parameter `j` (None when `j` is fixed).
    pub fn free_slot(&self, j: usize) -> Option<usize> {
        match self.slots.get(j)? {
            Slot::Free(i) => Some(*i),
            Slot::Fixed(_) => None,
        }
    }

    /// For each free coordinate, the index of the first full parameter it drives.
    pub fn free_names_index(&self) -> Vec<usize> {
        let mut first = vec![usize::MAX; self.n_free];
        for (j, slot) in self.slots.iter().enumerate() {
            if let Slot::Free(i) = *slot {
                if first[i] == usize::MAX {
                    first[i] = j;
                }
            }
        }
        first
    }
}

fn root(leader: &[usize], mut j: usize) -> usize {
    while leader[j] != j {
        j = leader[j];
    }
    j
}
