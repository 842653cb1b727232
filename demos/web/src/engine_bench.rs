//! "Benchmark in your browser": the native benchmark's workload, replayed in wasm.
//!
//! The workload matches `demos/matching-engine/benches/throughput.rs` (same seed, symbols and
//! command mix), so the two throughputs can be compared. Browsers blur `performance.now()` to
//! 5 µs or coarser, too coarse to time one command, so latency is measured per batch of
//! [`BATCH`] commands and reported as the mean time per command in each batch.
//!
//! The work is split into slices ([`Bench::advance`]) so the page can show progress and stay
//! responsive; only the replay of measured batches is timed.

use matching_engine::flow::{self, FlowConfig, FlowGenerator};
use matching_engine::{Command, CountingSink, Engine, EngineConfig, SelfTradePrevention};

/// The native benchmark's seed.
pub const SEED: u64 = 0xC0FFEE;
/// Commands replayed before timing starts, as natively.
pub const WARM_UP: usize = 300_000;
/// Commands per timed batch.
pub const BATCH: usize = 1_000;

/// What one benchmark run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchResult {
    pub commands: usize,
    /// Best of the runs, in commands per second.
    pub per_second: f64,
    /// Mean nanoseconds per command in each batch of the best run.
    pub batch_ns: Vec<f64>,
}

impl BenchResult {
    /// The `q`-quantile (0..=1) of the per-batch means.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.batch_ns.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return 0.0;
        }
        let at = ((sorted.len() - 1) as f64 * q).round() as usize;
        sorted[at]
    }

    /// Counts per bin of `bins` equal-width bins from the minimum to the 99.9th percentile
    /// (slower batches go in the last bin), with each bin's upper edge in ns.
    pub fn histogram(&self, bins: usize) -> Vec<(f64, usize)> {
        let low = self.quantile(0.0);
        let high = self.quantile(0.999).max(low + 1e-9);
        let width = (high - low) / bins as f64;
        let mut counts = vec![0usize; bins];
        for &ns in &self.batch_ns {
            let bin = (((ns - low) / width) as usize).min(bins - 1);
            counts[bin] += 1;
        }
        counts
            .into_iter()
            .enumerate()
            .map(|(i, c)| (low + width * (i + 1) as f64, c))
            .collect()
    }
}

/// Generates the workload (not timed), then replays `commands` of it `runs` times into fresh
/// engines after the warm-up, timing with `now` (milliseconds). Runs to the end in one go; the
/// page uses [`Bench::advance`] instead, so the browser can paint between slices.
pub fn run(commands: usize, runs: usize, now: impl Fn() -> f64) -> BenchResult {
    let mut bench = Bench::new(commands, runs);
    loop {
        if let Some(result) = bench.advance(f64::INFINITY, &now) {
            return result;
        }
    }
}

/// What a [`Bench`] is doing.
enum Phase {
    /// Building the workload by driving a scratch engine, as [`flow::generate`] does (boxed: the
    /// other phases carry nothing).
    Generating {
        generator: Box<FlowGenerator>,
        scratch: Box<Engine>,
    },
    /// Replaying the warm-up (untimed) into `engine`.
    WarmingUp,
    /// Replaying the measured commands in timed batches.
    Timing,
    /// Finished; the best run has been handed out.
    Done,
}

/// The benchmark as a resumable job: [`Bench::advance`] does a slice of work and returns, so a
/// caller can yield to the browser between slices. Only time spent replaying measured batches
/// is counted, never the pauses between slices.
pub struct Bench {
    commands: usize,
    runs: usize,
    engine_config: EngineConfig,
    phase: Phase,
    workload: Vec<Command>,
    /// Runs finished so far.
    finished_runs: usize,
    /// The engine of the run in progress.
    engine: Engine,
    sink: CountingSink,
    /// Commands of the workload replayed so far in this run (warm-up included).
    position: usize,
    /// Milliseconds spent in timed slices of this run.
    timed_ms: f64,
    batch_ns: Vec<f64>,
    best: Option<BenchResult>,
}

/// How often an untimed phase looks at the clock to see whether its slice is over.
const CLOCK_CHECK_EVERY: usize = 4_096;

impl Bench {
    /// A benchmark of `commands` measured commands, replayed `runs` times (at least once).
    pub fn new(commands: usize, runs: usize) -> Bench {
        let engine_config = flow::demo_engine_config(SelfTradePrevention::CancelResting);
        let new_engine = || Engine::new(engine_config.clone()).expect("valid configuration");
        Bench {
            commands,
            runs: runs.max(1),
            phase: Phase::Generating {
                generator: Box::new(FlowGenerator::new(
                    FlowConfig::new(flow::demo_symbols()),
                    SEED,
                )),
                scratch: Box::new(new_engine()),
            },
            engine: new_engine(),
            engine_config,
            workload: Vec::with_capacity(WARM_UP + commands),
            finished_runs: 0,
            sink: CountingSink::default(),
            position: 0,
            timed_ms: 0.0,
            batch_ns: Vec::new(),
            best: None,
        }
    }

    /// Total commands to process: generating the workload, then every run replays all of it.
    fn total_work(&self) -> usize {
        (WARM_UP + self.commands) * (1 + self.runs)
    }

    /// How much of the work is done, from 0 to 1.
    pub fn progress(&self) -> f64 {
        let done = match self.phase {
            Phase::Generating { .. } => self.workload.len(),
            Phase::WarmingUp | Phase::Timing => {
                self.workload.len() * (1 + self.finished_runs) + self.position
            }
            Phase::Done => return 1.0,
        };
        (done as f64 / self.total_work() as f64).min(1.0)
    }

    /// Works for about `budget_ms` milliseconds of `now` (the last timed batch may overrun it),
    /// then returns; returns the best run once every run has finished. With an infinite budget
    /// the clock is read only to time batches.
    pub fn advance(&mut self, budget_ms: f64, now: &impl Fn() -> f64) -> Option<BenchResult> {
        let deadline = if budget_ms.is_finite() {
            now() + budget_ms
        } else {
            f64::INFINITY
        };
        let out_of_time = |done: usize| {
            deadline.is_finite() && done.is_multiple_of(CLOCK_CHECK_EVERY) && now() >= deadline
        };
        loop {
            match &mut self.phase {
                Phase::Generating { generator, scratch } => {
                    let wanted = WARM_UP + self.commands;
                    while self.workload.len() < wanted {
                        let command = generator.next_command(scratch);
                        scratch.apply(&command, &mut self.sink);
                        self.workload.push(command);
                        if out_of_time(self.workload.len()) {
                            return None;
                        }
                    }
                    self.start_run();
                }
                Phase::WarmingUp => {
                    while self.position < WARM_UP {
                        self.engine
                            .apply(&self.workload[self.position], &mut self.sink);
                        self.position += 1;
                        if out_of_time(self.position) {
                            return None;
                        }
                    }
                    self.phase = Phase::Timing;
                }
                Phase::Timing => {
                    let started = now();
                    let mut reached_deadline = false;
                    for batch in self.workload[self.position..].chunks(BATCH) {
                        let batch_started = now();
                        for command in batch {
                            self.engine.apply(command, &mut self.sink);
                        }
                        let batch_ended = now();
                        self.batch_ns
                            .push((batch_ended - batch_started) * 1e6 / batch.len() as f64);
                        self.position += batch.len();
                        if batch_ended >= deadline {
                            reached_deadline = true;
                            break;
                        }
                    }
                    self.timed_ms += now() - started;
                    if reached_deadline && self.position < self.workload.len() {
                        return None;
                    }
                    self.finish_run();
                    if self.finished_runs == self.runs {
                        self.phase = Phase::Done;
                        return self.best.take();
                    }
                    self.start_run();
                    if deadline.is_finite() && now() >= deadline {
                        return None;
                    }
                }
                Phase::Done => return None,
            }
        }
    }

    /// A fresh engine for the next run, starting with the warm-up.
    fn start_run(&mut self) {
        self.engine = Engine::new(self.engine_config.clone()).expect("valid configuration");
        self.position = 0;
        self.timed_ms = 0.0;
        self.batch_ns = Vec::with_capacity(self.commands / BATCH + 1);
        self.phase = Phase::WarmingUp;
    }

    /// Keeps the run just finished if it is the fastest so far.
    fn finish_run(&mut self) {
        self.finished_runs += 1;
        let elapsed_ms = self.timed_ms.max(1e-3);
        let result = BenchResult {
            commands: self.commands,
            per_second: self.commands as f64 / (elapsed_ms / 1000.0),
            batch_ns: std::mem::take(&mut self.batch_ns),
        };
        if self
            .best
            .as_ref()
            .is_none_or(|b| result.per_second > b.per_second)
        {
            self.best = Some(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_fake_clock_gives_exact_figures() {
        // Each call to the clock advances it by 0.5 ms.
        let ticks = Cell::new(0.0);
        let clock = || {
            ticks.set(ticks.get() + 0.5);
            ticks.get()
        };
        let result = run(2 * BATCH, 1, clock);
        assert_eq!(result.batch_ns.len(), 2);
        // Within a batch: one tick (0.5 ms) for 1000 commands = 500 ns each.
        assert!(result.batch_ns.iter().all(|&ns| (ns - 500.0).abs() < 1e-6));
        // Whole run: 5 ticks between the outer start and end calls = 2.5 ms for 2000 commands.
        assert!(
            (result.per_second - 2000.0 / 0.0025).abs() < 1e-3,
            "{}",
            result.per_second
        );
    }

    #[test]
    fn slices_do_the_same_work_and_progress_to_the_end() {
        let ticks = Cell::new(0.0);
        let clock = || {
            ticks.set(ticks.get() + 0.5);
            ticks.get()
        };
        let mut bench = Bench::new(3 * BATCH, 2);
        let mut progress = vec![bench.progress()];
        let result = loop {
            // A budget of two ticks: every slice stops early.
            if let Some(result) = bench.advance(1.0, &clock) {
                break result;
            }
            progress.push(bench.progress());
        };
        assert!(progress.len() > 10, "the work was sliced: {progress:?}");
        assert!(progress.windows(2).all(|p| p[0] <= p[1]), "{progress:?}");
        assert_eq!(bench.progress(), 1.0);
        assert_eq!(result.commands, 3 * BATCH);
        assert_eq!(result.batch_ns.len(), 3, "every measured batch, once");
        assert!(result.per_second.is_finite() && result.per_second > 0.0);
        assert_eq!(
            bench.advance(1.0, &clock),
            None,
            "a finished bench stays finished"
        );
    }

    #[test]
    fn the_workload_is_the_native_benchmarks() {
        let mut bench = Bench::new(BATCH, 1);
        while bench.advance(f64::INFINITY, &|| 0.0).is_none() {}
        let engine_config = flow::demo_engine_config(SelfTradePrevention::CancelResting);
        let expected = flow::generate(
            &FlowConfig::new(flow::demo_symbols()),
            &engine_config,
            SEED,
            WARM_UP + BATCH,
        )
        .unwrap();
        assert!(bench.workload == expected);
    }

    #[test]
    fn quantiles_and_histogram_cover_every_batch() {
        let result = BenchResult {
            commands: 5,
            per_second: 1.0,
            batch_ns: vec![10.0, 20.0, 30.0, 40.0, 1000.0],
        };
        assert_eq!(result.quantile(0.0), 10.0);
        assert_eq!(result.quantile(0.5), 30.0);
        let histogram = result.histogram(4);
        assert_eq!(histogram.iter().map(|(_, c)| c).sum::<usize>(), 5);
        assert_eq!(histogram.len(), 4);
    }
}
