//! Bounded depth-first search over schedules for a broken invariant.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, DefaultHasher};

use super::scenario::Scenario;
use super::types::{ThreadId, Violation};
use super::world::World;

/// How much of the schedule space [`find_violation`] may explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchLimits {
    /// Longest schedule considered (steps from the initial state).
    pub max_steps: usize,
    /// Stop after simulating this many steps in total.
    pub max_states: usize,
    /// If set, skip schedules that switch away from a still-runnable thread
    /// more often than this (a "preemption bound", as loom uses).
    pub max_preemptions: Option<usize>,
}

impl Default for SearchLimits {
    fn default() -> Self {
        Self {
            max_steps: 200,
            max_states: 2_000_000,
            max_preemptions: None,
        }
    }
}

/// A schedule that breaks an invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// Thread ids, one per step; the violation appears after the last one
    /// (that is, at step index `schedule.len() - 1`).
    pub schedule: Vec<ThreadId>,
    /// What was broken right after the last step.
    pub violations: Vec<Violation>,
}

/// The result of [`find_violation`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchReport {
    /// The first violating schedule in search order, if any.
    pub counterexample: Option<Counterexample>,
    /// Steps simulated in total.
    pub states_explored: usize,
    /// Distinct states reached (a state reached again by another schedule
    /// has the same future, so it is not explored twice).
    pub distinct_states: usize,
    /// Distinct states in which every thread had finished.
    pub final_states: usize,
    /// `true` if every schedule within `max_steps`/`max_preemptions` was
    /// examined; `false` if `max_states` or `max_steps` cut the search short.
    pub exhaustive: bool,
}

struct Frame {
    world: World,
    schedule: Vec<ThreadId>,
    preemptions: usize,
}

/// Searches the schedules of `scenario` depth-first (lower thread ids
/// first) for one that breaks an invariant, checking after every step.
///
/// Different schedules often reach the same state (same memory, same thread
/// positions); such a state is explored only once, which keeps the search
/// small without missing any reachable state.
///
/// Deterministic: the same scenario and limits always give the same report.
/// A `None` counterexample with `exhaustive == true` means *no schedule within
/// the bounds* breaks an invariant, which is evidence, not proof, for
/// unbounded runs.
pub fn find_violation(scenario: &Scenario, limits: SearchLimits) -> SearchReport {
    let mut report = SearchReport {
        counterexample: None,
        states_explored: 0,
        distinct_states: 1,
        final_states: 0,
        exhaustive: true,
    };
    let root = World::new(scenario);
    let violations = root.check_invariants();
    if !violations.is_empty() {
        report.counterexample = Some(Counterexample {
            schedule: Vec::new(),
            violations,
        });
        return report;
    }
    // A state's future depends on the world and, under a preemption bound,
    // on who ran last and how many preemptions are used up.
    let key =
        |world: &World, last: Option<ThreadId>, preemptions: usize| match limits.max_preemptions {
            Some(_) => (world.clone(), last, preemptions),
            None => (world.clone(), None, 0),
        };
    // A fixed-key hasher: no OS randomness (none exists on wasm32), and the
    // search stays reproducible.
    let mut visited: HashSet<_, BuildHasherDefault<DefaultHasher>> = HashSet::default();
    visited.insert(key(&root, None, 0));
    let mut stack = vec![Frame {
        world: root,
        schedule: Vec::new(),
        preemptions: 0,
    }];
    while let Some(frame) = stack.pop() {
        let runnable = frame.world.runnable_threads();
        if runnable.is_empty() {
            report.final_states += 1;
            continue;
        }
        if frame.schedule.len() >= limits.max_steps {
            report.exhaustive = false;
            continue;
        }
        let previous = frame.schedule.last().copied();
        // Reverse, so that the lowest thread id is popped (explored) first.
        for &thread in runnable.iter().rev() {
            let preempts = previous.is_some_and(|p| p != thread && frame.world.is_runnable(p));
            let preemptions = frame.preemptions + usize::from(preempts);
            if limits.max_preemptions.is_some_and(|max| preemptions > max) {
                continue;
            }
            if report.states_explored >= limits.max_states {
                report.exhaustive = false;
                return report;
            }
            report.states_explored += 1;
            let mut world = frame.world.clone();
            world.step(thread, frame.schedule.len());
            if !visited.insert(key(&world, Some(thread), preemptions)) {
                continue;
            }
            report.distinct_states += 1;
            let mut schedule = frame.schedule.clone();
            schedule.push(thread);
            let violations = world.check_invariants();
            if !violations.is_empty() {
                report.counterexample = Some(Counterexample {
                    schedule,
                    violations,
                });
                return report;
            }
            stack.push(Frame {
                world,
                schedule,
                preemptions,
            });
        }
    }
    report
}
