//! `cargo bench`: replays generated realistic flow through the engine on one
//! core and prints throughput and per-command latency percentiles.
//!
//! Throughput is the best of three timed replays of the whole measured
//! stream. Latency times every command individually with the CPU timestamp
//! counter (x86-64; `Instant` elsewhere), calibrated against `Instant`,
//! minus the timer's own overhead, into a preallocated 1 ns histogram.

use std::hint::black_box;
use std::time::{Duration, Instant};

use matching_engine::flow::{self, FlowConfig};
use matching_engine::{
    Command, CountingSink, Engine, Event, OrderType, SelfTradePrevention, TimeInForce,
};

const WARM_UP: usize = 300_000;
const MEASURED: usize = 2_000_000;
const SEED: u64 = 0x00C0_FFEE;
const THROUGHPUT_RUNS: usize = 3;
/// Histogram range in ns; slower commands land in the last bucket.
const HISTOGRAM_NS: usize = 100_000;

fn main() {
    let engine_config = flow::demo_engine_config(SelfTradePrevention::CancelResting);
    let flow_config = FlowConfig::new(flow::demo_symbols());

    let started = Instant::now();
    let commands = flow::generate(&flow_config, &engine_config, SEED, WARM_UP + MEASURED)
        .expect("demo configuration is valid");
    println!(
        "generated {} commands (seed {SEED:#x}) in {:.2?}; warm-up {WARM_UP}, measured {MEASURED}",
        commands.len(),
        started.elapsed()
    );
    describe_flow(&engine_config, &commands);

    let mut best = Duration::MAX;
    for _ in 0..THROUGHPUT_RUNS {
        best = best.min(replay_timed(&engine_config, &commands));
    }
    let per_second = MEASURED as f64 / best.as_secs_f64();
    println!(
        "throughput: {:.2} M orders/s ({:.1} ns/command, best of {THROUGHPUT_RUNS} runs of {MEASURED} commands)",
        per_second / 1e6,
        best.as_nanos() as f64 / MEASURED as f64
    );

    let histogram = replay_per_command(&engine_config, &commands);
    report_latency(&histogram);
}

/// Replays warm-up untimed, then times the measured part as one batch.
fn replay_timed(config: &matching_engine::EngineConfig, commands: &[Command]) -> Duration {
    let mut engine = Engine::new(config.clone()).expect("valid");
    let mut events: Vec<Event> = Vec::with_capacity(1024);
    for command in &commands[..WARM_UP] {
        events.clear();
        engine.apply(command, &mut events);
    }
    let started = Instant::now();
    for command in &commands[WARM_UP..] {
        events.clear();
        engine.apply(black_box(command), &mut events);
        black_box(&events);
    }
    started.elapsed()
}

/// Replays again, timing each measured command; returns the histogram.
fn replay_per_command(config: &matching_engine::EngineConfig, commands: &[Command]) -> Vec<u64> {
    let clock = Clock::calibrate();
    println!(
        "latency clock: {} ({:.3} ns/tick, overhead {} ticks subtracted)",
        clock.name(),
        clock.ns_per_tick,
        clock.overhead
    );
    let mut histogram = vec![0u64; HISTOGRAM_NS + 1];
    let mut engine = Engine::new(config.clone()).expect("valid");
    let mut events: Vec<Event> = Vec::with_capacity(1024);
    for command in &commands[..WARM_UP] {
        events.clear();
        engine.apply(command, &mut events);
    }
    for command in &commands[WARM_UP..] {
        events.clear();
        let start = clock.now();
        engine.apply(black_box(command), &mut events);
        let end = clock.now();
        black_box(&events);
        let ticks = end.saturating_sub(start).saturating_sub(clock.overhead);
        let ns = (ticks as f64 * clock.ns_per_tick) as usize;
        histogram[ns.min(HISTOGRAM_NS)] += 1;
    }
    histogram
}

fn report_latency(histogram: &[u64]) {
    let total: u64 = histogram.iter().sum();
    let percentile = |fraction: f64| {
        let rank = ((total as f64 * fraction).ceil() as u64).max(1);
        let mut seen = 0;
        for (ns, &count) in histogram.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return ns;
            }
        }
        HISTOGRAM_NS
    };
    let max = histogram.iter().rposition(|&count| count > 0).unwrap_or(0);
    let mean = histogram
        .iter()
        .enumerate()
        .map(|(ns, &count)| ns as f64 * count as f64)
        .sum::<f64>()
        / total as f64;
    println!(
        "latency per command (ns): mean {mean:.0}  p50 {}  p90 {}  p99 {}  p99.9 {}  p99.99 {}  max {}{}",
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        percentile(0.999),
        percentile(0.9999),
        max,
        if max == HISTOGRAM_NS { "+" } else { "" }
    );
}

fn describe_flow(config: &matching_engine::EngineConfig, commands: &[Command]) {
    let (mut limits, mut iocs, mut foks, mut markets, mut cancels, mut modifies) =
        (0, 0, 0, 0, 0, 0);
    for command in &commands[WARM_UP..] {
        match command {
            Command::New(order) => match order.order_type {
                OrderType::Market => markets += 1,
                OrderType::Limit {
                    time_in_force: TimeInForce::Gtc,
                    ..
                } => limits += 1,
                OrderType::Limit {
                    time_in_force: TimeInForce::Ioc,
                    ..
                } => iocs += 1,
                OrderType::Limit {
                    time_in_force: TimeInForce::Fok,
                    ..
                } => foks += 1,
            },
            Command::Cancel(_) => cancels += 1,
            Command::Modify(_) => modifies += 1,
        }
    }
    let mut engine = Engine::new(config.clone()).expect("valid");
    let mut sink = CountingSink::default();
    for command in &commands[..WARM_UP] {
        engine.apply(command, &mut sink);
    }
    let resting_after_warm_up = engine.resting_order_count();
    let mut sink = CountingSink::default();
    for command in &commands[WARM_UP..] {
        engine.apply(command, &mut sink);
    }
    println!(
        "measured mix: {limits} GTC, {iocs} IOC, {foks} FOK, {markets} market, {cancels} cancel, {modifies} modify; \
         {} events, {} fills, {} rejects; resting orders {resting_after_warm_up} -> {}",
        sink.events,
        sink.fills,
        sink.rejects,
        engine.resting_order_count()
    );
}

/// Per-command timer: the TSC on x86-64, `Instant` elsewhere.
struct Clock {
    ns_per_tick: f64,
    overhead: u64,
    #[cfg(not(target_arch = "x86_64"))]
    origin: Instant,
}

impl Clock {
    fn calibrate() -> Clock {
        let mut clock = Clock {
            ns_per_tick: 1.0,
            overhead: 0,
            #[cfg(not(target_arch = "x86_64"))]
            origin: Instant::now(),
        };
        let wall = Instant::now();
        let ticks = clock.now();
        while wall.elapsed() < Duration::from_millis(200) {
            std::hint::spin_loop();
        }
        let elapsed_ticks = clock.now() - ticks;
        let elapsed_ns = wall.elapsed().as_nanos() as f64;
        clock.ns_per_tick = elapsed_ns / elapsed_ticks as f64;
        clock.overhead = (0..10_000)
            .map(|_| {
                let start = clock.now();
                let end = clock.now();
                end - start
            })
            .min()
            .unwrap_or(0);
        clock
    }

    #[cfg(target_arch = "x86_64")]
    fn name(&self) -> &'static str {
        "rdtsc (lfence-ordered)"
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn name(&self) -> &'static str {
        "Instant"
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn now(&self) -> u64 {
        use std::arch::x86_64::{_mm_lfence, _rdtsc};
        // SAFETY: `lfence` (SSE2, part of the x86-64 baseline) and `rdtsc`
        // only read the timestamp counter and order instructions; they touch
        // no memory. The fences keep the read from drifting across the timed
        // code.
        unsafe {
            _mm_lfence();
            let ticks = _rdtsc();
            _mm_lfence();
            ticks
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline(always)]
    fn now(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }
}
