//! A test-and-test-and-set spinlock with exponential backoff.
//!
//! # What it teaches
//!
//! * **Acquire/release as a critical section.** Taking the lock is an
//!   `Acquire` operation and releasing it a `Release` store, so everything
//!   done under the lock by one holder happens-before everything the next
//!   holder does. That is all a mutex *is*, memory-wise.
//! * **Test-and-test-and-set.** Waiters spin on a plain load, which keeps the
//!   cache line shared among them; only when the lock looks free do they try
//!   the CAS that needs the line exclusively. Spinning on the CAS itself
//!   would make the line bounce between cores on every attempt.
//! * **Backoff.** After a failed attempt a waiter pauses for a growing number
//!   of `spin_loop` hints, which cuts contention when many threads wait.
//! * **Send/Sync bounds.** `SpinLock<T>` is `Sync` when `T: Send` (the lock
//!   hands `&mut T` to one thread at a time); the guard is `Sync` only when
//!   `T: Sync`, because a shared guard gives out `&T`.
//!
//! A spinlock burns CPU while waiting and can stall badly if the holder is
//! descheduled; `std::sync::Mutex` parks waiters instead. Spinlocks suit very
//! short critical sections, kernels, and places without an OS.
//!
//! ```
//! use lockfree::spinlock::SpinLock;
//! let counter = SpinLock::new(0_u32);
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| *counter.lock() += 1);
//!     }
//! });
//! assert_eq!(counter.into_inner(), 4);
//! ```
//!
//! A guard over a `Cell` must not be shared between threads:
//!
//! ```compile_fail
//! fn assert_sync<T: Sync>() {}
//! assert_sync::<lockfree::spinlock::SpinLockGuard<'static, std::cell::Cell<u8>>>();
//! ```

use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

use crate::sync::{AtomicBool, Ordering, UnsafeCell, spin_loop};

/// A mutual-exclusion lock that busy-waits.
pub struct SpinLock<T: ?Sized> {
    locked: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one thread at a time, which moves
// access to `T` between threads: `T: Send` is required and sufficient, just
// as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for SpinLock<T> {}
// SAFETY: sending the lock sends the `T` inside it.
unsafe impl<T: ?Sized + Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// Creates an unlocked lock protecting `value`.
    pub fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the protected value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> SpinLock<T> {
    /// Spins until the lock is free, takes it, and returns a guard that
    /// releases it when dropped.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        let mut backoff = Backoff::new();
        loop {
            if let Some(guard) = self.try_lock() {
                return guard;
            }
            // The "test" before the next "test-and-set": wait with plain
            // loads (Relaxed: nothing is read under the lock yet; the
            // Acquire in `try_lock` does the synchronising).
            while self.locked.load(Ordering::Relaxed) {
                backoff.snooze();
            }
        }
    }

    /// Takes the lock if it is free right now.
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        // Acquire on success: the previous holder's writes (published by its
        // Release store in `unlock`) are visible inside our critical section.
        // Relaxed on failure: we learned only that the lock is taken.
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| SpinLockGuard {
                lock: self,
                _not_sync_unless_t_sync: PhantomData,
            })
    }

    /// `true` if some thread holds the lock at this instant.
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }

    /// Mutable access without locking: `&mut self` proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` guarantees there is no guard and no other
        // reference to the data.
        self.data.with_mut(|ptr| unsafe { &mut *ptr })
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for SpinLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(guard) => f.debug_struct("SpinLock").field("data", &&*guard).finish(),
            None => f.write_str("SpinLock { <locked> }"),
        }
    }
}

impl<T: Default> Default for SpinLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

/// Proof that the lock is held; gives access to the data and unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct SpinLockGuard<'a, T: ?Sized> {
    lock: &'a SpinLock<T>,
    /// `&mut T` is `Sync` only if `T: Sync`. Without this marker the guard
    /// would be `Sync` whenever `T: Send` (through `&SpinLock<T>`), letting
    /// two threads read a `Cell` through one shared guard.
    _not_sync_unless_t_sync: PhantomData<&'a mut T>,
}

impl<T: ?Sized> Deref for SpinLockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while we hold the lock, so no other
        // thread accesses the data; the borrow is tied to the guard.
        self.lock.data.with(|ptr| unsafe { &*ptr })
    }
}

impl<T: ?Sized> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` rules out other borrows
        // through this guard.
        self.lock.data.with_mut(|ptr| unsafe { &mut *ptr })
    }
}

impl<T: ?Sized> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        // Release: our writes under the lock happen-before the next holder's
        // Acquire CAS.
        self.lock.locked.store(false, Ordering::Release);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for SpinLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exponential backoff: 1, 2, 4, … spin hints, capped.
struct Backoff {
    exponent: u32,
    max_exponent: u32,
}

impl Backoff {
    fn new() -> Self {
        Self {
            exponent: 0,
            // Under loom every hint is a scheduling point, so extra hints
            // only multiply the states to explore without changing behaviour.
            max_exponent: if cfg!(loom) { 0 } else { 6 },
        }
    }

    fn snooze(&mut self) {
        for _ in 0..(1_u32 << self.exponent) {
            spin_loop();
        }
        self.exponent = (self.exponent + 1).min(self.max_exponent);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::SpinLock;
    use std::thread;

    #[test]
    fn lock_and_try_lock() {
        let lock = SpinLock::new(vec![1]);
        {
            let mut guard = lock.lock();
            guard.push(2);
            assert!(lock.is_locked());
            assert!(lock.try_lock().is_none());
            assert_eq!(format!("{lock:?}"), "SpinLock { <locked> }");
        }
        assert!(!lock.is_locked());
        assert_eq!(*lock.try_lock().unwrap(), vec![1, 2]);
        assert_eq!(format!("{lock:?}"), "SpinLock { data: [1, 2] }");
    }

    #[test]
    fn threads_never_lose_an_increment() {
        const THREADS: usize = 4;
        const PER_THREAD: usize = 50_000;
        let mut lock = SpinLock::new(0_usize);
        thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..PER_THREAD {
                        // A read-modify-write that would lose updates if two
                        // threads were ever inside at once.
                        let mut guard = lock.lock();
                        let seen = *guard;
                        *guard = seen + 1;
                    }
                });
            }
        });
        assert_eq!(*lock.get_mut(), THREADS * PER_THREAD);
    }

    #[test]
    fn send_and_sync_bounds() {
        fn assert_sync<T: Sync>() {}
        fn assert_send<T: Send>() {}
        assert_sync::<SpinLock<std::cell::Cell<u8>>>(); // Cell is Send
        assert_send::<SpinLock<String>>();
        assert_sync::<super::SpinLockGuard<'static, String>>();
    }
}
