//! Keeping hot atomics on their own cache line.

use core::ops::{Deref, DerefMut};

/// Pads and aligns `T` so that it owns a whole cache line (or line pair).
///
/// Two atomics written by *different* cores must not share a cache line:
/// every write invalidates the line in the other core's cache even though
/// the other core never touches that atomic ("false sharing"). The SPSC ring
/// puts its `head` (written by the consumer) and `tail` (written by the
/// producer) in separate `CachePadded` wrappers for exactly this reason.
///
/// x86-64 and aarch64 use 128 bytes: their prefetchers pull cache lines in
/// adjacent pairs, so 64-byte padding still lets neighbours interfere.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    repr(align(64))
)]
#[derive(Debug, Default)]
pub struct CachePadded<T> {
    value: T,
}

impl<T> CachePadded<T> {
    /// Wraps `value` in its own cache line.
    pub const fn new(value: T) -> Self {
        Self { value }
    }

    /// Returns the wrapped value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

#[cfg(test)]
mod tests {
    use super::CachePadded;

    #[test]
    fn padded_value_fills_at_least_one_cache_line() {
        assert!(align_of::<CachePadded<u8>>() >= 64);
        assert!(size_of::<CachePadded<u8>>() >= 64);
        let padded = CachePadded::new(7_u8);
        assert_eq!(*padded, 7);
        assert_eq!(padded.into_inner(), 7);
    }

    #[test]
    fn two_padded_fields_do_not_share_a_line() {
        struct Pair {
            a: CachePadded<u64>,
            b: CachePadded<u64>,
        }
        let pair = Pair {
            a: CachePadded::new(1),
            b: CachePadded::new(2),
        };
        let a = &*pair.a as *const u64 as usize;
        let b = &*pair.b as *const u64 as usize;
        assert!(a.abs_diff(b) >= 64);
    }
}
