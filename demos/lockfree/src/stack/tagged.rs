//! The Treiber stack with a version tag next to the head index: ABA-safe.

use super::BoundedStack;
use super::pool::{NIL, NodePool};
use crate::sync::{AtomicU64, Ordering};

/// Packs a node index (low 32 bits) and a version tag (high 32 bits) into
/// one word, so a single CAS compares and replaces both.
fn pack(index: u32, tag: u32) -> u64 {
    (u64::from(tag) << 32) | u64::from(index)
}

/// Splits a head word into `(index, tag)`.
fn unpack(word: u64) -> (u32, u32) {
    (word as u32, (word >> 32) as u32)
}

/// A Treiber stack whose `head` carries a version tag. **ABA-safe.**
///
/// Every successful CAS on `head` increments the tag. A slow `pop` that saw
/// `(A, tag 7)` cannot succeed after `A` was popped and pushed back, because
/// the head is now `(A, tag 9)`: the CAS fails and the pop retries with fresh
/// values.
///
/// The tag is 32 bits, so in theory it wraps after 2³² successful operations;
/// a thread would have to stall for exactly that many operations *and* see
/// the same node on top for ABA to return. Wider tags (or 128-bit CAS) push
/// that further; deferred reclamation (see the [module docs](crate::stack))
/// removes it entirely.
///
/// ```
/// use lockfree::stack::TaggedStack;
/// let stack = TaggedStack::with_capacity(2);
/// stack.push(1).unwrap();
/// stack.push(2).unwrap();
/// assert_eq!(stack.pop(), Some(2));
/// assert_eq!(stack.pop(), Some(1));
/// assert_eq!(stack.pop(), None);
/// ```
pub struct TaggedStack {
    /// `pack(top index or NIL, tag)`.
    head: AtomicU64,
    pool: NodePool,
}

impl TaggedStack {
    /// Creates an empty stack with room for `capacity` values.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero or does not fit a `u32` index.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_contents(capacity, &[])
    }

    /// Creates a stack with room for `capacity` values that already holds
    /// `top_first` (`top_first[0]` on top). Value `i` sits in node `i`, so
    /// the top node has the lowest index and is the first one the pool hands
    /// out again once popped: the layout of the ABA demonstrations.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero, does not fit a `u32` index, or is
    /// smaller than `top_first.len()`.
    pub fn with_contents(capacity: usize, top_first: &[u64]) -> Self {
        let (pool, top) = NodePool::prefilled(capacity, top_first);
        Self {
            head: AtomicU64::new(pack(top, 0)),
            pool,
        }
    }

    /// Pushes `value`, or returns `Err(value)` if every node is in use.
    pub fn push(&self, value: u64) -> Result<(), u64> {
        let Some(index) = self.pool.allocate() else {
            return Err(value);
        };
        let node = self.pool.node(index);
        // Relaxed: the node is private to us until the Release CAS publishes it.
        node.value.store(value, Ordering::Relaxed);
        // Relaxed: we never read *through* this head, we only link to it.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let (top, tag) = unpack(head);
            node.next.store(top, Ordering::Relaxed);
            // Release on success publishes `value` and `next`.
            match self.head.compare_exchange(
                head,
                pack(index, tag.wrapping_add(1)),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => head = actual,
            }
        }
    }

    /// Pops the most recently pushed value, or `None` if the stack is empty.
    pub fn pop(&self) -> Option<u64> {
        // Acquire pairs with push's Release CAS (see `NaiveStack::pop`).
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let (top, tag) = unpack(head);
            if top == NIL {
                return None;
            }
            let node = self.pool.node(top);
            // This may be stale if `top` was recycled meanwhile; then the tag
            // has moved on and the CAS below fails, so the stale value is
            // never installed.
            let next = node.next.load(Ordering::Relaxed);
            match self.head.compare_exchange(
                head,
                pack(next, tag.wrapping_add(1)),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    let value = node.value.load(Ordering::Relaxed);
                    self.pool.release(top);
                    return Some(value);
                }
                Err(actual) => head = actual,
            }
        }
    }

    /// Maximum number of values the stack can hold.
    pub fn capacity(&self) -> usize {
        self.pool.capacity()
    }
}

impl BoundedStack for TaggedStack {
    fn with_contents(capacity: usize, top_first: &[u64]) -> Self {
        TaggedStack::with_contents(capacity, top_first)
    }
    fn push(&self, value: u64) -> Result<(), u64> {
        TaggedStack::push(self, value)
    }
    fn pop(&self) -> Option<u64> {
        TaggedStack::pop(self)
    }
    fn capacity(&self) -> usize {
        TaggedStack::capacity(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{pack, unpack};

    #[test]
    fn pack_and_unpack_round_trip() {
        assert_eq!(unpack(pack(5, 9)), (5, 9));
        assert_eq!(unpack(pack(u32::MAX, u32::MAX)), (u32::MAX, u32::MAX));
    }
}
