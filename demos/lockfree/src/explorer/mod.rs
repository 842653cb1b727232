//! A deterministic, single-threaded interleaving explorer for the browser.
//!
//! Real threads interleave unpredictably; here *you* are the scheduler. A
//! [`Scenario`] sets up shared memory (a Treiber stack's node pool, or an SPSC
//! ring) and gives each simulated thread a tiny program such as
//! `pop(); pop(); push(40)`. Every call to [`Explorer::step`] lets one thread
//! perform exactly **one** atomic operation (a load, a store, or a CAS) of the
//! same algorithms implemented in [`crate::stack`] and [`crate::ring`].
//! Between steps you can inspect every memory cell ([`Explorer::memory`]),
//! every thread's private variables ([`Explorer::threads`]), and ask whether
//! the structure is still sound ([`Explorer::check_invariants`]).
//!
//! Everything is a pure function of the schedule: no threads, clocks, I/O or
//! randomness, so the same schedule always produces the same states and the
//! module runs unchanged on `wasm32-unknown-unknown`.
//!
//! The explorer interleaves operations under *sequential consistency*: each
//! step's effect is immediately visible to all threads. That is enough to
//! show ABA and ordering-of-operations bugs. Weak-memory effects (what
//! acquire/release add on top) are checked with loom in `tests/loom.rs`.
//!
//! ```
//! use lockfree::explorer::{Explorer, Scenario, Violation};
//!
//! let mut explorer = Explorer::new(Scenario::naive_stack_aba());
//! explorer.run_schedule(&Scenario::aba_schedule()).unwrap();
//! let violations = explorer.check_invariants();
//! assert!(violations.contains(&Violation::FreedNodeReachable { node: 1 })); // B
//!
//! // The same schedule on the tagged stack leaves it sound.
//! let mut explorer = Explorer::new(Scenario::tagged_stack_aba());
//! explorer.run_schedule(&Scenario::aba_schedule()).unwrap();
//! assert!(explorer.check_invariants().is_empty());
//! ```

mod ring_model;
mod scenario;
mod search;
mod stack_model;
mod types;
mod world;

pub use scenario::{Op, Scenario, ScenarioError, ScenarioKind, StackFlavor};
pub use search::{Counterexample, SearchLimits, SearchReport, find_violation};
pub use types::{
    Location, Memory, NodeCell, NodeId, OpKind, OpOutcome, RingMemory, StackMemory, StepError,
    StepInfo, ThreadId, ThreadView, Value, Violation, node_name,
};

use world::World;

/// Upper bound on steps taken by [`Explorer::run_to_completion`]; every
/// scenario's programs finish far sooner, this only guards against misuse.
const MAX_STEPS_TO_COMPLETION: usize = 10_000;

/// Steps simulated threads one atomic operation at a time, with undo.
///
/// Undo is exact: the explorer keeps a snapshot of the whole simulated world
/// before every step, so [`Explorer::step_back`] restores the previous state
/// bit for bit.
#[derive(Clone, Debug, PartialEq)]
pub struct Explorer {
    scenario: Scenario,
    current: World,
    /// `snapshots[i]` is the world just before `history[i]` ran.
    snapshots: Vec<World>,
    history: Vec<StepInfo>,
}

impl Explorer {
    /// Starts `scenario` from its initial state, no step taken.
    pub fn new(scenario: Scenario) -> Self {
        let current = World::new(&scenario);
        Self {
            scenario,
            current,
            snapshots: Vec::new(),
            history: Vec::new(),
        }
    }

    /// The scenario being explored.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Number of simulated threads.
    pub fn thread_count(&self) -> usize {
        self.current.thread_count()
    }

    /// Lets `thread` perform its next atomic operation.
    pub fn step(&mut self, thread: ThreadId) -> Result<StepInfo, StepError> {
        let thread_count = self.thread_count();
        if thread >= thread_count {
            return Err(StepError::NoSuchThread {
                thread,
                thread_count,
            });
        }
        if !self.current.is_runnable(thread) {
            return Err(StepError::ThreadFinished { thread });
        }
        self.snapshots.push(self.current.clone());
        let info = self.current.step(thread, self.history.len());
        self.history.push(info.clone());
        Ok(info)
    }

    /// Undoes the most recent step and returns it (`None` at the start).
    pub fn step_back(&mut self) -> Option<StepInfo> {
        let snapshot = self.snapshots.pop()?;
        self.current = snapshot;
        self.history.pop()
    }

    /// Same as [`Explorer::step_back`].
    pub fn undo(&mut self) -> Option<StepInfo> {
        self.step_back()
    }

    /// Goes back to the initial state.
    pub fn reset(&mut self) {
        *self = Self::new(self.scenario.clone());
    }

    /// Runs `schedule` (one thread id per step) from the current state.
    /// Stops at the first impossible step; earlier steps stay applied.
    pub fn run_schedule(&mut self, schedule: &[ThreadId]) -> Result<Vec<StepInfo>, StepError> {
        schedule.iter().map(|&thread| self.step(thread)).collect()
    }

    /// Runs the scenario's preset schedule from the current state.
    pub fn run_preset(&mut self) -> Result<Vec<StepInfo>, StepError> {
        let schedule = self.scenario.preset_schedule().to_vec();
        self.run_schedule(&schedule)
    }

    /// Finishes every thread, always stepping the lowest-numbered runnable
    /// one, and returns the steps taken.
    pub fn run_to_completion(&mut self) -> Vec<StepInfo> {
        let mut steps = Vec::new();
        while let Some(&thread) = self.runnable_threads().first() {
            if steps.len() >= MAX_STEPS_TO_COMPLETION {
                break;
            }
            steps.push(self.step(thread).expect("thread is runnable"));
        }
        steps
    }

    /// Every step taken so far, oldest first.
    pub fn history(&self) -> &[StepInfo] {
        &self.history
    }

    /// The thread ids of the steps taken so far: replaying them on a fresh
    /// explorer reproduces the current state exactly.
    pub fn schedule(&self) -> Vec<ThreadId> {
        self.history.iter().map(|step| step.thread).collect()
    }

    /// Threads that still have work to do, in id order.
    pub fn runnable_threads(&self) -> Vec<ThreadId> {
        self.current.runnable_threads()
    }

    /// `true` once every thread has finished its program.
    pub fn is_finished(&self) -> bool {
        self.runnable_threads().is_empty()
    }

    /// Every shared memory cell, ready to draw.
    pub fn memory(&self) -> Memory {
        self.current.memory()
    }

    /// Every thread's program, position, private variables and results.
    pub fn threads(&self) -> Vec<ThreadView> {
        self.current.threads()
    }

    /// Broken invariants in the current state (empty when all is well).
    pub fn check_invariants(&self) -> Vec<Violation> {
        self.current.check_invariants()
    }

    /// The first step of the history after which some invariant was broken,
    /// with the violations found right after it.
    pub fn first_violation(&self) -> Option<(usize, Vec<Violation>)> {
        let states_after_each_step = self.snapshots.iter().skip(1).chain([&self.current]);
        states_after_each_step
            .take(self.history.len())
            .enumerate()
            .find_map(|(index, world)| {
                let violations = world.check_invariants();
                (!violations.is_empty()).then_some((index, violations))
            })
    }
}

#[cfg(test)]
mod tests;
