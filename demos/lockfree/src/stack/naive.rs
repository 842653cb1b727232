//! The textbook Treiber stack with a bare-index `head`. It has the ABA bug.

use super::BoundedStack;
use super::pool::{NIL, NodePool};
use crate::sync::{AtomicU32, Ordering};

/// A Treiber stack whose `head` is a plain node index. **Broken on purpose.**
///
/// On one thread it behaves like any stack. Under contention a `pop` can
/// succeed with a stale `next` after its node was recycled (the ABA problem,
/// see the [module docs](crate::stack)), making the stack return a value
/// twice or lose one. Memory stays safe; the *contents* do not.
///
/// ```
/// use lockfree::stack::NaiveStack;
/// let stack = NaiveStack::with_capacity(2);
/// stack.push(1).unwrap();
/// stack.push(2).unwrap();
/// assert_eq!(stack.pop(), Some(2));
/// ```
pub struct NaiveStack {
    /// Index of the top node, or `NIL` when empty.
    head: AtomicU32,
    pool: NodePool,
}

impl NaiveStack {
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
            head: AtomicU32::new(top),
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
            node.next.store(head, Ordering::Relaxed);
            // Release on success publishes `value` and `next` to any thread
            // that later Acquire-loads this head.
            match self
                .head
                .compare_exchange(head, index, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(actual) => head = actual,
            }
        }
    }

    /// Pops the most recently pushed value, or `None` if the stack is empty.
    pub fn pop(&self) -> Option<u64> {
        // Acquire pairs with push's Release CAS: the node's `next` and
        // `value` written before it was published are visible to us.
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            if head == NIL {
                return None;
            }
            let node = self.pool.node(head);
            let next = node.next.load(Ordering::Relaxed);
            // THE BUG: between the load of `head` and this CAS, `head` may
            // have been popped, freed, recycled and pushed again. The CAS
            // sees the same index and succeeds, installing our stale `next`.
            // Acquire (both arms): we go on to read the node we obtain.
            match self
                .head
                .compare_exchange(head, next, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    let value = node.value.load(Ordering::Relaxed);
                    self.pool.release(head);
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

impl BoundedStack for NaiveStack {
    fn with_contents(capacity: usize, top_first: &[u64]) -> Self {
        NaiveStack::with_contents(capacity, top_first)
    }
    fn push(&self, value: u64) -> Result<(), u64> {
        NaiveStack::push(self, value)
    }
    fn pop(&self) -> Option<u64> {
        NaiveStack::pop(self)
    }
    fn capacity(&self) -> usize {
        NaiveStack::capacity(self)
    }
}
