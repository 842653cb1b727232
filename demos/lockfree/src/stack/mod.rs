//! Treiber stacks over a fixed node pool: one with the ABA bug, one without.
//!
//! # What it teaches
//!
//! A Treiber stack is a singly linked list whose `head` is changed with
//! compare-and-swap (CAS). `pop` reads `head = A` and `A.next = B`, then tries
//! `CAS(head, A, B)`. The CAS only checks that `head` *still equals A*, not
//! that nothing happened in between. If meanwhile another thread popped `A`,
//! popped `B`, and pushed a recycled `A` back, `head` is again `A` — but
//! `A.next` is no longer `B`, and the stale CAS installs `B`, a node that is
//! already free. That is the **ABA problem**.
//!
//! Both stacks here store their nodes in a fixed [pool](self#the-node-pool)
//! and refer to them by index, so recycling is immediate and the bug is real,
//! yet nothing is ever deallocated: the broken stack corrupts *values*
//! (duplicates, losses), never memory. That is what makes it safe to run it,
//! model-check it with loom, and step through it in the
//! [`explorer`](crate::explorer).
//!
//! * [`NaiveStack`]: `head` is a bare index. Suffers ABA.
//! * [`TaggedStack`]: `head` packs `(index, tag)` into one `AtomicU64` and
//!   every successful CAS bumps the tag, so a recycled `A` looks different
//!   from the `A` a slow thread saw. The CAS fails and that thread retries.
//!
//! The other classic fix is **deferred reclamation**: never let a node be
//! reused while some thread might still hold a pointer to it. With
//! epoch-based reclamation (EBR, as in `crossbeam-epoch`) each thread
//! "pins" the current epoch before reading `head`; a popped node is retired
//! into a list for that epoch and only recycled once every thread has moved
//! past it. Then `A` cannot come back while the slow thread still holds it,
//! so ABA is impossible without any tag. Hazard pointers achieve the same by
//! having each thread publish the exact node it is reading.
//!
//! # The node pool
//!
//! Free nodes are tracked by a bitmap. Allocation takes the *lowest* free
//! index, so a node that was just freed is the first to be handed out again,
//! exactly as a real allocator would often return a just-freed address. The
//! bitmap itself is ABA-proof: its single word *is* the whole state, so a CAS
//! on it that succeeds is always correct.
//!
//! Values are `u64` stored in atomics. A generic stack would keep `T` in an
//! `UnsafeCell`; atomics keep the deliberately broken stack free of data
//! races (and therefore of undefined behaviour) even when it is corrupted.

mod naive;
mod pool;
mod tagged;

pub use naive::NaiveStack;
pub use tagged::TaggedStack;

/// The interface both stacks share, so tests and demos can be written once.
pub trait BoundedStack: Sync {
    /// Creates a stack that can hold at most `capacity` values and already
    /// holds `top_first` (first element on top, in node 0).
    fn with_contents(capacity: usize, top_first: &[u64]) -> Self
    where
        Self: Sized;

    /// Creates an empty stack that can hold at most `capacity` values.
    fn with_capacity(capacity: usize) -> Self
    where
        Self: Sized,
    {
        Self::with_contents(capacity, &[])
    }

    /// Pushes `value`, or returns `Err(value)` if every node is in use.
    fn push(&self, value: u64) -> Result<(), u64>;

    /// Pops the most recently pushed value, or `None` if the stack is empty.
    fn pop(&self) -> Option<u64>;

    /// Maximum number of values the stack can hold.
    fn capacity(&self) -> usize;
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{BoundedStack, NaiveStack, TaggedStack};
    use std::collections::BTreeSet;
    use std::thread;

    fn lifo_order_and_capacity<S: BoundedStack>() {
        let stack = S::with_capacity(3);
        assert_eq!(stack.capacity(), 3);
        assert_eq!(stack.pop(), None);
        for v in [10, 20, 30] {
            stack.push(v).unwrap();
        }
        assert_eq!(stack.push(40), Err(40), "pool exhausted");
        assert_eq!(stack.pop(), Some(30));
        stack.push(50).unwrap(); // reuses the node that held 30
        assert_eq!(stack.pop(), Some(50));
        assert_eq!(stack.pop(), Some(20));
        assert_eq!(stack.pop(), Some(10));
        assert_eq!(stack.pop(), None);
    }

    #[test]
    fn naive_stack_is_a_correct_stack_on_one_thread() {
        lifo_order_and_capacity::<NaiveStack>();
    }

    #[test]
    fn tagged_stack_is_a_correct_stack_on_one_thread() {
        lifo_order_and_capacity::<TaggedStack>();
    }

    fn prefilled_contents_pop_top_first<S: BoundedStack>() {
        let stack = S::with_contents(4, &[10, 20, 30]);
        stack.push(5).unwrap(); // node 3, the only free one
        assert_eq!(stack.push(6), Err(6));
        for v in [5, 10, 20, 30] {
            assert_eq!(stack.pop(), Some(v));
        }
        assert_eq!(stack.pop(), None);
    }

    #[test]
    fn prefilled_stacks_pop_in_the_given_order() {
        prefilled_contents_pop_top_first::<NaiveStack>();
        prefilled_contents_pop_top_first::<TaggedStack>();
        let big = TaggedStack::with_contents(130, &(0..100).collect::<Vec<u64>>());
        assert_eq!(big.pop(), Some(0));
    }

    /// Single-threaded ABA walk-through: the naive stack recycles node A and
    /// a stale `CAS(head, A, B)` would succeed. Here we only check the
    /// recycling that sets it up; loom and the explorer show the race.
    #[test]
    fn the_pool_recycles_the_most_recently_topped_node_first() {
        let stack = NaiveStack::with_contents(3, &[10, 20, 30]);
        assert_eq!(stack.pop(), Some(10)); // A freed
        assert_eq!(stack.pop(), Some(20)); // B freed
        stack.push(40).unwrap(); // lowest free node: A again, now A -> C
        assert_eq!(stack.pop(), Some(40));
        assert_eq!(stack.pop(), Some(30));
    }

    #[test]
    fn pools_larger_than_one_bitmap_word_work() {
        let stack = TaggedStack::with_capacity(150);
        for v in 0..150 {
            stack.push(v).unwrap();
        }
        assert!(stack.push(999).is_err());
        for v in (0..150).rev() {
            assert_eq!(stack.pop(), Some(v));
        }
    }

    /// Four threads each push their own values and pop as many as they
    /// pushed; afterwards popped + remaining must be exactly what was pushed.
    #[test]
    fn tagged_stack_keeps_every_value_under_contention() {
        const THREADS: u64 = 4;
        const PER_THREAD: u64 = 20_000;
        let stack = TaggedStack::with_capacity(64);
        let popped: Vec<Vec<u64>> = thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let stack = &stack;
                    scope.spawn(move || {
                        let mut got = Vec::new();
                        for i in 0..PER_THREAD {
                            let mut value = t * PER_THREAD + i;
                            while let Err(back) = stack.push(value) {
                                value = back;
                                if let Some(v) = stack.pop() {
                                    got.push(v);
                                }
                            }
                            if let Some(v) = stack.pop() {
                                got.push(v);
                            }
                        }
                        got
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut seen = BTreeSet::new();
        for v in popped
            .into_iter()
            .flatten()
            .chain(std::iter::from_fn(|| stack.pop()))
        {
            assert!(seen.insert(v), "value {v} came out twice");
        }
        assert_eq!(seen.len() as u64, THREADS * PER_THREAD, "values lost");
    }
}
