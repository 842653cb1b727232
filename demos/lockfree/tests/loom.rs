//! Model checking with loom: every interleaving (up to a preemption bound)
//! and every weak-memory outcome the orderings allow.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test --release --test loom`
#![cfg(loom)]

use std::collections::BTreeMap;

use lockfree::ring;
use lockfree::spinlock::SpinLock;
use lockfree::stack::{BoundedStack, NaiveStack, TaggedStack};
use loom::model::Builder;
use loom::sync::Arc;
use loom::thread;

/// A loom model that explores *every* interleaving: these models are small
/// enough (a few thousand executions each) to check exhaustively.
fn exhaustive() -> Builder {
    Builder::new()
}

/// A loom model with at most `preemptions` forced context switches per
/// execution. Real bugs in small structures need very few preemptions, and
/// the bound keeps the number of executions small as models grow.
fn bounded(preemptions: usize) -> Builder {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder
}

/// Runs `model` under `builder`, prints how many executions loom explored
/// (visible with `--nocapture`) and returns that number.
fn check(name: &str, builder: Builder, model: impl Fn() + Send + Sync + 'static) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // A plain std counter: loom does not track it, it just counts runs.
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&executions);
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        model();
    });
    let executions = executions.load(Ordering::Relaxed);
    println!("loom: {name}: {executions} executions explored");
    assert!(executions > 1, "loom explored a single execution only");
    executions
}

#[test]
fn ring_delivers_every_item_exactly_once_in_order() {
    check("ring in order", exhaustive(), || {
        let (mut tx, mut rx) = ring::channel::<u32>(2);
        let producer = thread::spawn(move || {
            for i in 0..3 {
                let mut item = i;
                while let Err(back) = tx.push(item) {
                    item = back;
                    thread::yield_now();
                }
            }
        });
        let mut expected = 0;
        while expected < 3 {
            match rx.pop() {
                Some(got) => {
                    assert_eq!(got, expected, "out of order, lost or duplicated");
                    expected += 1;
                }
                None => thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(rx.pop(), None);
    });
}

#[test]
fn ring_drops_leftover_items_when_the_last_handle_goes() {
    check("ring drop", exhaustive(), || {
        let (mut tx, mut rx) = ring::channel::<Arc<u8>>(2);
        let item = Arc::new(7);
        let producer = {
            let item = Arc::clone(&item);
            thread::spawn(move || {
                let _ = tx.push(Arc::clone(&item));
                let _ = tx.push(item);
                // `tx` is dropped here, maybe before, maybe after `rx`.
            })
        };
        drop(rx.pop());
        drop(rx);
        producer.join().unwrap();
        // Every clone inside the ring was dropped by whichever handle was last.
        assert_eq!(Arc::strong_count(&item), 1);
    });
}

/// Pops everything left and returns how often each value came out overall.
fn tally<S: BoundedStack>(stack: &S, popped: impl IntoIterator<Item = u64>) -> BTreeMap<u64, u32> {
    let mut counts = BTreeMap::new();
    for value in popped.into_iter().chain(std::iter::from_fn(|| stack.pop())) {
        *counts.entry(value).or_insert(0) += 1;
    }
    counts
}

/// The ABA schedule of the explorer, as real threads: stack `A(10) -> B(20)
/// -> C(30)`; thread 1 pops once; thread 2 pops twice, then pushes 40, which
/// recycles node A. Afterwards every value must have come out exactly once.
fn aba_race<S: BoundedStack + Send + 'static>() {
    let stack = Arc::new(S::with_contents(3, &[10, 20, 30]));
    let slow = {
        let stack = Arc::clone(&stack);
        thread::spawn(move || stack.pop().into_iter().collect::<Vec<_>>())
    };
    let busy = {
        let stack = Arc::clone(&stack);
        thread::spawn(move || {
            let popped = [stack.pop(), stack.pop()];
            stack.push(40).expect("two nodes were freed");
            popped.into_iter().flatten().collect::<Vec<_>>()
        })
    };
    let mut popped = slow.join().unwrap();
    popped.extend(busy.join().unwrap());
    let counts = tally(&*stack, popped);
    let expected: BTreeMap<u64, u32> = [(10, 1), (20, 1), (30, 1), (40, 1)].into();
    assert_eq!(counts, expected, "values lost or duplicated");
}

#[test]
fn tagged_stack_survives_the_aba_race() {
    check(
        "tagged stack ABA race",
        exhaustive(),
        aba_race::<TaggedStack>,
    );
}

#[test]
fn loom_finds_the_aba_bug_in_the_naive_stack() {
    // One preemption (inside the slow pop) is all ABA needs. The failing
    // assertion's message is printed: that is loom reporting the bug.
    let outcome = std::panic::catch_unwind(|| bounded(1).check(aba_race::<NaiveStack>));
    let payload = outcome
        .expect_err("loom should find an interleaving where the naive stack duplicates a value");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(
        message.contains("values lost or duplicated"),
        "the model failed for another reason: {message}"
    );
}

#[test]
fn tagged_stack_keeps_the_set_of_values_under_concurrent_push_and_pop() {
    check("tagged stack push/pop", exhaustive(), || {
        let stack = Arc::new(TaggedStack::with_contents(4, &[1, 2]));
        let workers: Vec<_> = [3, 4]
            .into_iter()
            .map(|value| {
                let stack = Arc::clone(&stack);
                thread::spawn(move || {
                    stack.push(value).expect("pool has room");
                    stack.pop()
                })
            })
            .collect();
        let popped: Vec<u64> = workers
            .into_iter()
            .map(|worker| worker.join().unwrap().expect("stack never empty here"))
            .collect();
        let counts = tally(&*stack, popped);
        assert_eq!(counts, [(1, 1), (2, 1), (3, 1), (4, 1)].into());
    });
}

#[test]
fn spinlock_provides_mutual_exclusion() {
    check("spinlock", exhaustive(), || {
        let lock = Arc::new(SpinLock::new(0_u32));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || {
                    let mut guard = lock.lock();
                    // Read, give loom a chance to switch threads, then
                    // write: without mutual exclusion an increment is lost
                    // (and loom also flags the racing cell accesses).
                    let seen = *guard;
                    thread::yield_now();
                    *guard = seen + 1;
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(*lock.lock(), 2);
    });
}
