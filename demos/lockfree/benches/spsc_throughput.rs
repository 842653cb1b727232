//! Throughput of the SPSC ring against `std::sync::mpsc`, two threads each.
//!
//! `cargo bench` runs this plain binary (no harness). Set `SPSC_BENCH_ITEMS`
//! to change the number of `u64`s sent per run (default 10 million).

use std::hint::spin_loop;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const DEFAULT_ITEMS: u64 = 10_000_000;
const CAPACITY: usize = 1024;
const RUNS: usize = 5;

/// Sends `items` values through one channel kind and returns the time taken.
type Contender = fn(u64) -> Duration;

/// Spins briefly, then yields: on a busy machine the other side may not be
/// running at all, and pure spinning would burn its time slice.
struct Waiter(u32);

impl Waiter {
    fn wait(&mut self) {
        if self.0 < 64 {
            self.0 += 1;
            spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

fn expected_sum(items: u64) -> u64 {
    items * (items - 1) / 2
}

fn ring(items: u64) -> Duration {
    let (mut tx, mut rx) = lockfree::ring::channel::<u64>(CAPACITY);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        for i in 0..items {
            let mut item = i;
            let mut waiter = Waiter(0);
            while let Err(back) = tx.push(item) {
                item = back;
                waiter.wait();
            }
        }
    });
    let (mut received, mut sum) = (0, 0_u64);
    let mut waiter = Waiter(0);
    while received < items {
        match rx.pop() {
            Some(value) => {
                sum = sum.wrapping_add(value);
                received += 1;
                waiter = Waiter(0);
            }
            None => waiter.wait(),
        }
    }
    producer.join().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(sum, expected_sum(items));
    elapsed
}

fn sync_channel(items: u64) -> Duration {
    let (tx, rx) = mpsc::sync_channel::<u64>(CAPACITY);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        for i in 0..items {
            tx.send(i).unwrap();
        }
    });
    let sum = rx.iter().fold(0_u64, u64::wrapping_add);
    producer.join().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(sum, expected_sum(items));
    elapsed
}

fn channel(items: u64) -> Duration {
    let (tx, rx) = mpsc::channel::<u64>();
    let start = Instant::now();
    let producer = thread::spawn(move || {
        for i in 0..items {
            tx.send(i).unwrap();
        }
    });
    let sum = rx.iter().fold(0_u64, u64::wrapping_add);
    producer.join().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(sum, expected_sum(items));
    elapsed
}

fn main() {
    let items = std::env::var("SPSC_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ITEMS);
    println!(
        "{items} u64 from one thread to another, capacity {CAPACITY}, median of {RUNS} runs \
         ({} CPUs available)",
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    let contenders: [(&str, Contender); 3] = [
        ("lockfree::ring (SPSC)", ring),
        ("mpsc::sync_channel(1024)", sync_channel),
        ("mpsc::channel (unbounded)", channel),
    ];
    for (name, run) in contenders {
        let mut times: Vec<Duration> = (0..RUNS).map(|_| run(items)).collect();
        times.sort();
        let median = times[RUNS / 2];
        let per_second = items as f64 / median.as_secs_f64();
        println!(
            "{name:<28} {:>8.1} M items/s  {:>6.1} ns/item  (best {:.3} s, median {:.3} s, worst {:.3} s)",
            per_second / 1e6,
            median.as_nanos() as f64 / items as f64,
            times[0].as_secs_f64(),
            median.as_secs_f64(),
            times[RUNS - 1].as_secs_f64(),
        );
    }
}
