//! The simulated world behind an [`Explorer`](super::Explorer): one of the
//! models, behind a single enum so the explorer and the search stay generic.

use super::ring_model::RingWorld;
use super::scenario::{Op, Scenario, ScenarioKind};
use super::stack_model::StackWorld;
use super::types::{
    Location, Memory, NodeId, OpKind, OpOutcome, StepInfo, ThreadId, ThreadView, Value, Violation,
};

/// A step as a model reports it; the explorer adds thread and position.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StepDraft {
    pub(crate) kind: OpKind,
    pub(crate) location: Location,
    pub(crate) node: Option<NodeId>,
    pub(crate) read: Option<Value>,
    pub(crate) written: Option<Value>,
    pub(crate) cas_succeeded: Option<bool>,
    pub(crate) outcome: Option<OpOutcome>,
    pub(crate) description: String,
}

impl StepDraft {
    pub(crate) fn new(kind: OpKind, location: Location) -> Self {
        Self {
            kind,
            location,
            node: None,
            read: None,
            written: None,
            cas_succeeded: None,
            outcome: None,
            description: String::new(),
        }
    }

    /// Names the node an allocate or free acts on.
    pub(crate) fn node(mut self, node: NodeId) -> Self {
        self.node = Some(node);
        self
    }

    pub(crate) fn read(mut self, value: Value) -> Self {
        self.read = Some(value);
        self
    }

    pub(crate) fn write(mut self, value: Value) -> Self {
        self.written = Some(value);
        self
    }

    pub(crate) fn cas(mut self, succeeded: bool) -> Self {
        self.cas_succeeded = Some(succeeded);
        self
    }

    pub(crate) fn finish(mut self, outcome: OpOutcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    pub(crate) fn describe(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }
}

/// All simulated state: shared memory and every thread's private state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum World {
    Stack(StackWorld),
    Ring(RingWorld),
}

impl World {
    pub(crate) fn new(scenario: &Scenario) -> Self {
        match scenario.kind() {
            ScenarioKind::Stack {
                flavor,
                nodes,
                initial,
            } => World::Stack(StackWorld::new(
                *flavor,
                *nodes,
                initial,
                scenario.programs(),
            )),
            ScenarioKind::Ring {
                capacity,
                publish_before_write,
            } => World::Ring(RingWorld::new(
                *capacity,
                *publish_before_write,
                scenario.programs(),
            )),
        }
    }

    pub(crate) fn thread_count(&self) -> usize {
        match self {
            World::Stack(w) => w.thread_count(),
            World::Ring(w) => w.thread_count(),
        }
    }

    pub(crate) fn is_runnable(&self, thread: ThreadId) -> bool {
        thread < self.thread_count()
            && match self {
                World::Stack(w) => w.is_runnable(thread),
                World::Ring(w) => w.is_runnable(thread),
            }
    }

    pub(crate) fn runnable_threads(&self) -> Vec<ThreadId> {
        (0..self.thread_count())
            .filter(|&t| self.is_runnable(t))
            .collect()
    }

    /// Runs one step of a runnable `thread` and returns its full record.
    pub(crate) fn step(&mut self, thread: ThreadId, index: usize) -> StepInfo {
        let (op_index, op) = self.current_op(thread).expect("caller checked runnable");
        let operation = op.to_string();
        let draft = match self {
            World::Stack(w) => w.step(thread),
            World::Ring(w) => w.step(thread),
        };
        StepInfo {
            index,
            thread,
            op_index,
            description: format!("T{thread} {operation}: {}", draft.description),
            operation,
            kind: draft.kind,
            location: draft.location,
            node: draft.node,
            read: draft.read,
            written: draft.written,
            cas_succeeded: draft.cas_succeeded,
            outcome: draft.outcome,
        }
    }

    /// Index and operation `thread` is executing, `None` once finished.
    fn current_op(&self, thread: ThreadId) -> Option<(usize, Op)> {
        match self {
            World::Stack(w) => w.current_op(thread),
            World::Ring(w) => w.current_op(thread),
        }
    }

    pub(crate) fn threads(&self) -> Vec<ThreadView> {
        match self {
            World::Stack(w) => w.threads(),
            World::Ring(w) => w.threads(),
        }
    }

    pub(crate) fn memory(&self) -> Memory {
        match self {
            World::Stack(w) => Memory::Stack(w.memory()),
            World::Ring(w) => Memory::Ring(w.memory()),
        }
    }

    pub(crate) fn check_invariants(&self) -> Vec<Violation> {
        match self {
            World::Stack(w) => w.check_invariants(),
            World::Ring(w) => w.check_invariants(),
        }
    }
}
