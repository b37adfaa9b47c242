//! Deterministic parallel reductions.
//!
//! Floating-point addition is not associative, so a reduction whose grouping depends on how rayon
//! splits the work would change in the last bits with the thread count. Every parallel sum in the
//! core therefore cuts its input into fixed-size blocks, computes the blocks in parallel and adds
//! the block results sequentially in block order: the same bits for any number of threads.

use rayon::prelude::*;

/// Rows per block in parallel reductions; a constant so that results never depend on the machine.
pub const BLOCK: usize = 4096;

/// Map each fixed-size block `[start, end)` of `0..n` to a value, in parallel, returning the values in
/// block order. Small inputs run on the calling thread (no scheduling cost).
pub fn map_blocks<T, F>(n: usize, block: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, usize) -> T + Sync,
{
    let n_blocks = n.div_ceil(block).max(1);
    let run = |b: usize| f(b * block, ((b + 1) * block).min(n));
    if n_blocks == 1 {
        vec![run(0)]
    } else {
        (0..n_blocks).into_par_iter().map(run).collect()
    }
}
