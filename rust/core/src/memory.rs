//! Size checks before allocations whose size the caller chose (a number of resamples, Monte Carlo
//! draws or grid points).
//!
//! Rust aborts the process when an allocation fails, which in an interpreter loses the user's whole
//! session; a request for 10^12 resamples must instead come back as an error naming the argument. The
//! check asks the allocator, fallibly, for the bytes the result will need and releases them at once:
//! untouched pages cost nothing, and a request no allocator can meet (beyond the address space, or
//! beyond what the operating system agrees to commit) is refused here instead of inside the work.

use crate::error::{CoreError, Result};

/// `Ok` when `count` items of `bytes_each` bytes can be allocated; otherwise an `InvalidInput` error
/// naming argument `name` (whose value was `value`) and the size it asked for.
pub fn ensure_allocatable(name: &str, value: usize, count: usize, bytes_each: usize) -> Result<()> {
    let refuse = |bytes: String| {
        CoreError::invalid(
            name,
            format!("{value} needs {bytes} bytes of memory, more than this machine can allocate; ask for fewer"),
        )
    };
    let bytes = count.checked_mul(bytes_each).ok_or_else(|| refuse(format!("{count} x {bytes_each}")))?;
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).map_err(|_| refuse(format!("{bytes:.3e}", bytes = bytes as f64)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_sizes_are_refused_and_ordinary_ones_pass() {
        assert!(ensure_allocatable("n", 1000, 1000, 8).is_ok());
        let err = ensure_allocatable("n_resamples", 1 << 50, 1 << 50, 8).unwrap_err();
        assert!(matches!(err, CoreError::InvalidInput { ref name, .. } if name == "n_resamples"), "{err}");
        assert!(ensure_allocatable("n", usize::MAX, usize::MAX, 8).is_err());
    }
}
