//! A bounded single-producer / single-consumer (SPSC) ring buffer.
//!
//! # What it teaches
//!
//! * **Ownership of indices.** Only the producer writes `tail`, only the
//!   consumer writes `head`. Each side merely *reads* the other's index, so no
//!   compare-and-swap is needed: plain loads and stores suffice.
//! * **Acquire/release as a hand-over.** Writing a slot and then storing
//!   `tail` with `Release` "publishes" the slot; the consumer's `Acquire` load
//!   of `tail` "receives" it. The same pairing on `head` hands an emptied slot
//!   back to the producer.
//! * **False sharing.** `head` and `tail` live on separate cache lines
//!   ([`CachePadded`]), and each side keeps a private cached copy of the
//!   other's index so it touches the shared line only when it must.
//! * **Type-level roles.** [`Producer`] and [`Consumer`] are `Send` but not
//!   `Clone`: the "single" in SPSC is enforced by the compiler.
//!
//! ```
//! let (mut tx, mut rx) = lockfree::ring::channel::<u64>(4);
//! tx.push(1).unwrap();
//! tx.push(2).unwrap();
//! assert_eq!(rx.pop(), Some(1));
//! assert_eq!(rx.pop(), Some(2));
//! assert_eq!(rx.pop(), None);
//! ```
//!
//! A second producer cannot be made, so two threads can never push at once:
//!
//! ```compile_fail
//! let (tx, _rx) = lockfree::ring::channel::<u64>(4);
//! let second_producer = tx.clone(); // error: `Producer` is not `Clone`
//! ```

use core::mem::MaybeUninit;

use crate::cache_padded::CachePadded;
use crate::sync::{Arc, AtomicUsize, Ordering, UnsafeCell};

/// State shared by the two handles.
///
/// `head` and `tail` are free-running counters (they wrap at `usize::MAX`);
/// the slot for counter `i` is `i & mask`. `tail - head` (wrapping) is the
/// number of items in the ring, which is why the capacity must be a power of
/// two no larger than half the counter range.
struct Shared<T> {
    /// Counter of the next slot the consumer reads. Written only by the consumer.
    head: CachePadded<AtomicUsize>,
    /// Counter of the next slot the producer writes. Written only by the producer.
    tail: CachePadded<AtomicUsize>,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    mask: usize,
}

// SAFETY: values of `T` are moved from the producer's thread to the
// consumer's, hence `T: Send`. No `&T` is ever shared between threads, so
// `T: Sync` is not required. Each slot is accessed by one side at a time; the
// acquire/release pairs on `head` and `tail` order the hand-overs.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; all shared-state mutation goes through atomics or through
// slots that the index protocol gives to exactly one side.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // We are the last owner (the `Arc` is being dropped), and the `Arc`'s
        // own release/acquire on its count orders both handles' last accesses
        // before this point, so `Relaxed` loads see the final indices.
        let mut head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed);
        while head != tail {
            let slot = &self.slots[head & self.mask];
            // SAFETY: counters in `head..tail` denote slots that the producer
            // initialised and the consumer has not moved out of; each is
            // dropped exactly once here.
            slot.with_mut(|ptr| unsafe { (*ptr).assume_init_drop() });
            head = head.wrapping_add(1);
        }
    }
}

/// Creates a ring that holds up to `capacity` items and returns its two ends.
///
/// # Panics
///
/// Panics if `capacity` is zero, not a power of two, or larger than
/// `usize::MAX / 4` (the wrapping counters need spare range).
pub fn channel<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    assert!(
        capacity.is_power_of_two(),
        "SPSC ring capacity must be a non-zero power of two, got {capacity}"
    );
    assert!(capacity <= usize::MAX / 4, "SPSC ring capacity too large");
    let slots = (0..capacity)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let shared = Arc::new(Shared {
        head: CachePadded::new(AtomicUsize::new(0)),
        tail: CachePadded::new(AtomicUsize::new(0)),
        slots,
        mask: capacity - 1,
    });
    let producer = Producer {
        shared: Arc::clone(&shared),
        tail: 0,
        cached_head: 0,
    };
    let consumer = Consumer {
        shared,
        head: 0,
        cached_tail: 0,
    };
    (producer, consumer)
}

/// The writing end of an SPSC ring. There is exactly one; it is not `Clone`.
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// Private copy of `shared.tail`: we are its only writer, so it is exact.
    tail: usize,
    /// Last `head` we observed. The real head can only be *ahead* of it, so
    /// trusting it is conservative: at worst we think the ring is fuller than
    /// it is and re-read.
    cached_head: usize,
}

impl<T> Producer<T> {
    /// Appends `value`, or hands it back as `Err(value)` if the ring is full.
    pub fn push(&mut self, value: T) -> Result<(), T> {
        let capacity = self.capacity();
        if self.tail.wrapping_sub(self.cached_head) == capacity {
            // Acquire pairs with the consumer's Release store of `head`: the
            // consumer's read (move-out) of a slot happens-before we overwrite
            // that slot below.
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            if self.tail.wrapping_sub(self.cached_head) == capacity {
                return Err(value);
            }
        }
        let slot = &self.shared.slots[self.tail & self.shared.mask];
        // SAFETY: `tail - head < capacity`, so this slot is outside the
        // consumer's readable range `head..tail`; until we publish the new
        // tail below, the consumer will not touch it. Any previous value was
        // moved out by the consumer (ordered by the Acquire above).
        slot.with_mut(|ptr| unsafe { ptr.write(MaybeUninit::new(value)) });
        self.tail = self.tail.wrapping_add(1);
        // Release publishes the slot write: a consumer whose Acquire load
        // observes this tail also observes the value we just wrote.
        self.shared.tail.store(self.tail, Ordering::Release);
        Ok(())
    }

    /// Number of items the ring can hold.
    pub fn capacity(&self) -> usize {
        self.shared.mask + 1
    }

    /// Number of items currently queued. The consumer may be draining
    /// concurrently, so the true number can only be smaller.
    pub fn len(&self) -> usize {
        // Acquire: harmless here and keeps the answer consistent with `push`.
        let head = self.shared.head.load(Ordering::Acquire);
        self.tail.wrapping_sub(head)
    }

    /// `true` if no items are queued right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` if a `push` right now would fail.
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }
}

/// The reading end of an SPSC ring. There is exactly one; it is not `Clone`.
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    /// Private copy of `shared.head`: we are its only writer.
    head: usize,
    /// Last `tail` we observed; the real tail can only be ahead of it.
    cached_tail: usize,
}

impl<T> Consumer<T> {
    /// Removes the oldest item, or returns `None` if the ring is empty.
    pub fn pop(&mut self) -> Option<T> {
        if self.head == self.cached_tail {
            // Acquire pairs with the producer's Release store of `tail`: the
            // slot write happens-before our read of it below.
            self.cached_tail = self.shared.tail.load(Ordering::Acquire);
            if self.head == self.cached_tail {
                return None;
            }
        }
        let slot = &self.shared.slots[self.head & self.shared.mask];
        // SAFETY: `head < tail`, so the producer initialised this slot and
        // published it (Acquire above); it will not write it again until we
        // advance `head` past it. We move the value out exactly once.
        let value = slot.with(|ptr| unsafe { (*ptr).assume_init_read() });
        self.head = self.head.wrapping_add(1);
        // Release hands the emptied slot back: our read of it happens-before
        // the producer's next write to it (its Acquire load of `head`).
        self.shared.head.store(self.head, Ordering::Release);
        Some(value)
    }

    /// Number of items the ring can hold.
    pub fn capacity(&self) -> usize {
        self.shared.mask + 1
    }

    /// Number of items ready to pop. The producer may be filling
    /// concurrently, so the true number can only be larger.
    pub fn len(&self) -> usize {
        let tail = self.shared.tail.load(Ordering::Acquire);
        tail.wrapping_sub(self.head)
    }

    /// `true` if a `pop` right now would return `None`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::channel;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    #[test]
    fn fills_up_then_drains_in_fifo_order() {
        let (mut tx, mut rx) = channel(4);
        for i in 0..4 {
            tx.push(i).unwrap();
        }
        assert!(tx.is_full());
        assert_eq!(tx.push(99), Err(99));
        assert_eq!(rx.len(), 4);
        for i in 0..4 {
            assert_eq!(rx.pop(), Some(i));
        }
        assert_eq!(rx.pop(), None);
        assert!(rx.is_empty() && tx.is_empty());
    }

    #[test]
    fn wraps_around_many_times() {
        let (mut tx, mut rx) = channel(2);
        for i in 0..1000_u32 {
            tx.push(i).unwrap();
            assert_eq!(rx.pop(), Some(i));
        }
    }

    #[test]
    #[should_panic(expected = "power of two")]
    fn rejects_capacity_that_is_not_a_power_of_two() {
        let _ = channel::<u8>(3);
    }

    #[test]
    fn threads_transfer_every_item_in_order() {
        const ITEMS: u64 = 200_000;
        let (mut tx, mut rx) = channel(64);
        let producer = thread::spawn(move || {
            for i in 0..ITEMS {
                let mut item = i;
                while let Err(back) = tx.push(item) {
                    item = back;
                    std::hint::spin_loop();
                }
            }
        });
        let mut expected = 0;
        while expected < ITEMS {
            match rx.pop() {
                Some(got) => {
                    assert_eq!(got, expected);
                    expected += 1;
                }
                None => std::hint::spin_loop(),
            }
        }
        producer.join().unwrap();
        assert_eq!(rx.pop(), None);
    }

    /// Counts drops so we can see that leftovers are dropped exactly once.
    struct DropCounter(Arc<AtomicUsize>);
    impl Drop for DropCounter {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn items_left_in_the_ring_are_dropped_exactly_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = channel(8);
        for _ in 0..5 {
            assert!(tx.push(DropCounter(Arc::clone(&drops))).is_ok());
        }
        drop(rx.pop()); // one consumed and dropped by us
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        drop(tx);
        assert_eq!(drops.load(Ordering::Relaxed), 1, "consumer still alive");
        drop(rx);
        assert_eq!(drops.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn handles_are_send() {
        fn assert_send<T: Send>() {}
        assert_send::<super::Producer<String>>();
        assert_send::<super::Consumer<String>>();
    }
}
