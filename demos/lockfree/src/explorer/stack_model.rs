//! Simulated Treiber stack: shared memory plus per-thread state machines.
//!
//! Each `push`/`pop` is the exact algorithm of [`crate::stack`], cut at every
//! atomic operation:
//!
//! ```text
//! push(v):  allocate node n     (CAS on the free bitmap)
//!           n.value = v         (store)
//!           h = head            (load)
//!        ┌> n.next = h.node     (store)
//!        └─ CAS(head, h, n)     (on failure h = the value found; retry)
//! pop():    h = head            (load; empty -> return None)
//!        ┌> next = h.node.next  (load)
//!        └─ CAS(head, h, next)  (on failure h = the value found; retry)
//!           v = h.node.value    (load)
//!           free h.node         (fetch_or on the free bitmap) -> return v
//! ```
//!
//! The tagged flavor compares the tag in the CAS and writes `tag + 1`; the
//! naive flavor never changes the tag, so the CAS compares the index alone.

use super::scenario::{Op, StackFlavor};
use super::types::{
    Location, NodeCell, NodeId, OpKind, OpOutcome, StackMemory, ThreadId, ThreadView, Value,
    Violation, node_name, node_or_nil,
};
use super::world::StepDraft;

/// The stack's head word: a node and (tagged flavor only) a version tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct HeadWord {
    node: Option<NodeId>,
    tag: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum PushStep {
    Allocate,
    WriteValue { node: NodeId },
    LoadHead { node: NodeId },
    WriteNext { node: NodeId, seen: HeadWord },
    Cas { node: NodeId, seen: HeadWord },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum PopStep {
    LoadHead,
    LoadNext {
        seen: HeadWord,
    },
    Cas {
        seen: HeadWord,
        next: Option<NodeId>,
    },
    ReadValue {
        node: NodeId,
    },
    Free {
        node: NodeId,
        value: Option<u64>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum OpState {
    Push { value: u64, step: PushStep },
    Pop(PopStep),
}

impl OpState {
    fn start(op: Op) -> Self {
        match op {
            Op::Push(value) => OpState::Push {
                value,
                step: PushStep::Allocate,
            },
            Op::Pop => OpState::Pop(PopStep::LoadHead),
        }
    }

    /// The node this thread holds privately, if any.
    fn held_node(&self) -> Option<NodeId> {
        match *self {
            OpState::Push { step, .. } => match step {
                PushStep::Allocate => None,
                PushStep::WriteValue { node }
                | PushStep::LoadHead { node }
                | PushStep::WriteNext { node, .. }
                | PushStep::Cas { node, .. } => Some(node),
            },
            OpState::Pop(PopStep::ReadValue { node } | PopStep::Free { node, .. }) => Some(node),
            OpState::Pop(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SimThread {
    program: Vec<Op>,
    /// Index of the operation in progress; `program.len()` when finished.
    op_index: usize,
    /// State of that operation; `None` when finished.
    state: Option<OpState>,
    outcomes: Vec<OpOutcome>,
}

/// Shared memory of the simulated stack plus every thread's private state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StackWorld {
    flavor: StackFlavor,
    head: HeadWord,
    next: Vec<Option<NodeId>>,
    value: Vec<Option<u64>>,
    free_bits: u64,
    threads: Vec<SimThread>,
    /// Initial values plus every value any program pushes: exactly the values
    /// that must each exist once.
    expected_values: Vec<u64>,
}

impl StackWorld {
    pub(crate) fn new(
        flavor: StackFlavor,
        nodes: usize,
        initial: &[u64],
        programs: &[Vec<Op>],
    ) -> Self {
        let mut next = vec![None; nodes];
        let mut value = vec![None; nodes];
        for (node, &v) in initial.iter().enumerate() {
            value[node] = Some(v);
            next[node] = (node + 1 < initial.len()).then_some(node + 1);
        }
        let low_bits = |count: usize| match count {
            64.. => u64::MAX,
            _ => (1_u64 << count) - 1,
        };
        let (all_nodes, used) = (low_bits(nodes), low_bits(initial.len()));
        let threads = programs
            .iter()
            .map(|program| SimThread {
                program: program.clone(),
                op_index: 0,
                state: program.first().copied().map(OpState::start),
                outcomes: Vec::new(),
            })
            .collect();
        let mut expected_values = initial.to_vec();
        expected_values.extend(programs.iter().flatten().filter_map(|op| match op {
            Op::Push(v) => Some(*v),
            Op::Pop => None,
        }));
        Self {
            flavor,
            head: HeadWord {
                node: (!initial.is_empty()).then_some(0),
                tag: 0,
            },
            next,
            value,
            free_bits: all_nodes & !used,
            threads,
            expected_values,
        }
    }

    pub(crate) fn thread_count(&self) -> usize {
        self.threads.len()
    }

    pub(crate) fn is_runnable(&self, thread: ThreadId) -> bool {
        self.threads[thread].state.is_some()
    }

    pub(crate) fn current_op(&self, thread: ThreadId) -> Option<(usize, Op)> {
        let sim = &self.threads[thread];
        sim.state.map(|_| (sim.op_index, sim.program[sim.op_index]))
    }

    fn is_free(&self, node: NodeId) -> bool {
        self.free_bits & (1 << node) != 0
    }

    fn head_value(&self, word: HeadWord) -> Value {
        match self.flavor {
            StackFlavor::Naive => Value::Node(word.node),
            StackFlavor::Tagged => Value::TaggedNode {
                node: word.node,
                tag: word.tag,
            },
        }
    }

    fn show_head(&self, word: HeadWord) -> String {
        self.head_value(word).to_string()
    }

    /// The head a successful CAS installs: the tagged stack bumps the tag.
    fn successor(&self, seen: HeadWord, node: Option<NodeId>) -> HeadWord {
        let tag = match self.flavor {
            StackFlavor::Naive => seen.tag,
            StackFlavor::Tagged => seen.tag.wrapping_add(1),
        };
        HeadWord { node, tag }
    }

    /// Runs one atomic operation of `thread`, which must be runnable.
    pub(crate) fn step(&mut self, thread: ThreadId) -> StepDraft {
        let state = self.threads[thread].state.expect("caller checked runnable");
        let (draft, next_state) = match state {
            OpState::Push { value, step } => {
                let (draft, step) = self.step_push(value, step);
                (draft, step.map(|step| OpState::Push { value, step }))
            }
            OpState::Pop(step) => {
                let (draft, step) = self.step_pop(step);
                (draft, step.map(OpState::Pop))
            }
        };
        let sim = &mut self.threads[thread];
        match next_state {
            Some(state) => sim.state = Some(state),
            None => {
                sim.outcomes
                    .push(draft.outcome.expect("finishing step has an outcome"));
                sim.op_index += 1;
                sim.state = sim.program.get(sim.op_index).copied().map(OpState::start);
            }
        }
        draft
    }

    fn step_push(&mut self, value: u64, step: PushStep) -> (StepDraft, Option<PushStep>) {
        match step {
            PushStep::Allocate => {
                let before = self.free_bits;
                if before == 0 {
                    let draft = StepDraft::new(OpKind::Allocate, Location::FreeBitmap)
                        .read(Value::Bitmap(before))
                        .finish(OpOutcome::Full)
                        .describe("allocate: no free node, so the push fails (pool full)");
                    return (draft, None);
                }
                let node = before.trailing_zeros() as NodeId;
                self.free_bits = before & !(1 << node);
                let draft = StepDraft::new(OpKind::Allocate, Location::FreeBitmap)
                    .node(node)
                    .read(Value::Bitmap(before))
                    .write(Value::Bitmap(self.free_bits))
                    .describe(format!(
                        "allocate the lowest free node: {} (free {} → {})",
                        node_name(node),
                        Value::Bitmap(before),
                        Value::Bitmap(self.free_bits)
                    ));
                (draft, Some(PushStep::WriteValue { node }))
            }
            PushStep::WriteValue { node } => {
                self.value[node] = Some(value);
                let draft = StepDraft::new(OpKind::Store, Location::Value(node))
                    .write(Value::Number(value))
                    .describe(format!("store {}.value = {value}", node_name(node)));
                (draft, Some(PushStep::LoadHead { node }))
            }
            PushStep::LoadHead { node } => {
                let seen = self.head;
                let draft = StepDraft::new(OpKind::Load, Location::StackHead)
                    .read(self.head_value(seen))
                    .describe(format!("load head → {}", self.show_head(seen)));
                (draft, Some(PushStep::WriteNext { node, seen }))
            }
            PushStep::WriteNext { node, seen } => {
                self.next[node] = seen.node;
                let draft = StepDraft::new(OpKind::Store, Location::Next(node))
                    .write(Value::Node(seen.node))
                    .describe(format!(
                        "store {}.next = {}",
                        node_name(node),
                        node_or_nil(seen.node)
                    ));
                (draft, Some(PushStep::Cas { node, seen }))
            }
            PushStep::Cas { node, seen } => {
                let new = self.successor(seen, Some(node));
                let (draft, ok) = self.cas_head(seen, new);
                if ok {
                    (draft.finish(OpOutcome::Pushed), None)
                } else {
                    let actual = self.head;
                    (draft, Some(PushStep::WriteNext { node, seen: actual }))
                }
            }
        }
    }

    fn step_pop(&mut self, step: PopStep) -> (StepDraft, Option<PopStep>) {
        match step {
            PopStep::LoadHead => {
                let seen = self.head;
                let mut draft = StepDraft::new(OpKind::Load, Location::StackHead)
                    .read(self.head_value(seen))
                    .describe(format!("load head → {}", self.show_head(seen)));
                if seen.node.is_none() {
                    draft = draft.finish(OpOutcome::Empty).describe(format!(
                        "load head → {}: the stack is empty",
                        self.show_head(seen)
                    ));
                    return (draft, None);
                }
                (draft, Some(PopStep::LoadNext { seen }))
            }
            PopStep::LoadNext { seen } => {
                let node = seen.node.expect("LoadNext only follows a non-empty head");
                let next = self.next[node];
                let draft = StepDraft::new(OpKind::Load, Location::Next(node))
                    .read(Value::Node(next))
                    .describe(format!(
                        "load {}.next → {}",
                        node_name(node),
                        node_or_nil(next)
                    ));
                (draft, Some(PopStep::Cas { seen, next }))
            }
            PopStep::Cas { seen, next } => {
                let new = self.successor(seen, next);
                let (draft, ok) = self.cas_head(seen, new);
                let node = seen.node.expect("CAS only follows a non-empty head");
                if ok {
                    return (draft, Some(PopStep::ReadValue { node }));
                }
                let actual = self.head;
                if actual.node.is_none() {
                    let draft = draft.finish(OpOutcome::Empty).describe(format!(
                        "CAS head: expected {}, found {}: failed, and the stack is now empty",
                        self.show_head(seen),
                        self.show_head(actual)
                    ));
                    return (draft, None);
                }
                (draft, Some(PopStep::LoadNext { seen: actual }))
            }
            PopStep::ReadValue { node } => {
                let value = self.value[node];
                let draft = StepDraft::new(OpKind::Load, Location::Value(node))
                    .read(value.map_or(Value::Uninit, Value::Number))
                    .describe(format!(
                        "load {}.value → {}",
                        node_name(node),
                        value.map_or(Value::Uninit, Value::Number)
                    ));
                (draft, Some(PopStep::Free { node, value }))
            }
            PopStep::Free { node, value } => {
                let before = self.free_bits;
                self.free_bits |= 1 << node;
                let outcome = value.map_or(OpOutcome::PoppedUninit, OpOutcome::Popped);
                let draft = StepDraft::new(OpKind::Free, Location::FreeBitmap)
                    .node(node)
                    .read(Value::Bitmap(before))
                    .write(Value::Bitmap(self.free_bits))
                    .finish(outcome)
                    .describe(format!(
                        "free node {} and return {outcome}",
                        node_name(node)
                    ));
                (draft, None)
            }
        }
    }

    /// `compare_exchange(head, expected, new)`; reports whether it succeeded.
    fn cas_head(&mut self, expected: HeadWord, new: HeadWord) -> (StepDraft, bool) {
        let found = self.head;
        let ok = found == expected;
        let mut draft = StepDraft::new(OpKind::CompareExchange, Location::StackHead)
            .read(self.head_value(found))
            .cas(ok);
        if ok {
            self.head = new;
            draft = draft.write(self.head_value(new)).describe(format!(
                "CAS head: expected {}, found it, replaced with {}: success",
                self.show_head(expected),
                self.show_head(new)
            ));
        } else {
            draft = draft.describe(format!(
                "CAS head: expected {}, found {}: failed, retry",
                self.show_head(expected),
                self.show_head(found)
            ));
        }
        (draft, ok)
    }

    /// Text for what `thread`'s next step will do.
    fn preview(&self, state: OpState) -> String {
        match state {
            OpState::Push { value, step } => match step {
                PushStep::Allocate => "allocate a node from the pool".to_owned(),
                PushStep::WriteValue { node } => {
                    format!("store {}.value = {value}", node_name(node))
                }
                PushStep::LoadHead { .. } => "load head".to_owned(),
                PushStep::WriteNext { node, seen } => format!(
                    "store {}.next = {}",
                    node_name(node),
                    node_or_nil(seen.node)
                ),
                PushStep::Cas { node, seen } => format!(
                    "CAS head: expect {}, new {}",
                    self.show_head(seen),
                    self.show_head(self.successor(seen, Some(node)))
                ),
            },
            OpState::Pop(step) => match step {
                PopStep::LoadHead => "load head".to_owned(),
                PopStep::LoadNext { seen } => {
                    format!("load {}.next", node_or_nil(seen.node))
                }
                PopStep::Cas { seen, next } => format!(
                    "CAS head: expect {}, new {}",
                    self.show_head(seen),
                    self.show_head(self.successor(seen, next))
                ),
                PopStep::ReadValue { node } => format!("load {}.value", node_name(node)),
                PopStep::Free { node, .. } => format!("free node {}", node_name(node)),
            },
        }
    }

    fn locals(&self, state: OpState) -> Vec<(String, String)> {
        let mut locals = Vec::new();
        let mut add = |name: &str, value: String| locals.push((name.to_owned(), value));
        match state {
            OpState::Push { value, step } => {
                add("value", value.to_string());
                match step {
                    PushStep::Allocate => {}
                    PushStep::WriteValue { node } | PushStep::LoadHead { node } => {
                        add("node", node_name(node));
                    }
                    PushStep::WriteNext { node, seen } | PushStep::Cas { node, seen } => {
                        add("node", node_name(node));
                        add("head", self.show_head(seen));
                    }
                }
            }
            OpState::Pop(step) => match step {
                PopStep::LoadHead => {}
                PopStep::LoadNext { seen } => add("head", self.show_head(seen)),
                PopStep::Cas { seen, next } => {
                    add("head", self.show_head(seen));
                    add("next", node_or_nil(next));
                }
                PopStep::ReadValue { node } => add("node", node_name(node)),
                PopStep::Free { node, value } => {
                    add("node", node_name(node));
                    add(
                        "value",
                        value.map_or(Value::Uninit, Value::Number).to_string(),
                    );
                }
            },
        }
        locals
    }

    pub(crate) fn threads(&self) -> Vec<ThreadView> {
        self.threads
            .iter()
            .enumerate()
            .map(|(id, sim)| ThreadView {
                id,
                role: String::new(),
                program: sim.program.iter().map(Op::to_string).collect(),
                current_op: sim.state.map(|_| sim.op_index),
                next_step: sim.state.map(|state| self.preview(state)),
                locals: sim
                    .state
                    .map(|state| self.locals(state))
                    .unwrap_or_default(),
                outcomes: sim.outcomes.clone(),
            })
            .collect()
    }

    /// Walks `next` from `head`: the nodes in list order, and the first node
    /// visited twice (a cycle), if any.
    fn chain(&self) -> (Vec<NodeId>, Option<NodeId>) {
        let mut visited = vec![false; self.next.len()];
        let mut chain = Vec::new();
        let mut cursor = self.head.node;
        while let Some(node) = cursor {
            if visited[node] {
                return (chain, Some(node));
            }
            visited[node] = true;
            chain.push(node);
            cursor = self.next[node];
        }
        (chain, None)
    }

    fn holders(&self, node: NodeId) -> Vec<ThreadId> {
        self.threads
            .iter()
            .enumerate()
            .filter(|(_, sim)| sim.state.and_then(|s| s.held_node()) == Some(node))
            .map(|(id, _)| id)
            .collect()
    }

    pub(crate) fn memory(&self) -> StackMemory {
        let (chain, cycle) = self.chain();
        let nodes = (0..self.next.len())
            .map(|id| NodeCell {
                id,
                name: node_name(id),
                next: self.next[id],
                value: self.value[id],
                on_free_list: self.is_free(id),
                in_stack: chain.contains(&id),
                held_by: self.holders(id),
            })
            .collect();
        StackMemory {
            flavor: self.flavor,
            head: self.head.node,
            tag: (self.flavor == StackFlavor::Tagged).then_some(self.head.tag),
            free_bits: self.free_bits,
            nodes,
            chain,
            chain_has_cycle: cycle.is_some(),
        }
    }

    /// Every value that currently "exists": in the stack, returned by a pop,
    /// or still in a thread's hands (a push not yet published, a pop that
    /// unlinked its node but has not returned).
    fn accounted_values(&self, chain: &[NodeId]) -> Vec<u64> {
        let mut values: Vec<u64> = chain.iter().filter_map(|&n| self.value[n]).collect();
        for sim in &self.threads {
            values.extend(sim.outcomes.iter().filter_map(|outcome| match outcome {
                OpOutcome::Popped(v) => Some(*v),
                _ => None,
            }));
            // A push that failed for lack of nodes gave its value back.
            let pushes_done = sim.program[..sim.op_index].iter().zip(&sim.outcomes);
            values.extend(pushes_done.filter_map(|(op, outcome)| match (op, outcome) {
                (Op::Push(v), OpOutcome::Full) => Some(*v),
                _ => None,
            }));
            // Pushes not yet published (in progress or not started).
            values.extend(
                sim.program[sim.op_index..]
                    .iter()
                    .filter_map(|op| match op {
                        Op::Push(v) => Some(*v),
                        Op::Pop => None,
                    }),
            );
            match sim.state {
                Some(OpState::Pop(PopStep::ReadValue { node })) => {
                    values.extend(self.value[node]);
                }
                Some(OpState::Pop(PopStep::Free { value, .. })) => values.extend(value),
                _ => {}
            }
        }
        values
    }

    pub(crate) fn check_invariants(&self) -> Vec<Violation> {
        let mut violations = Vec::new();
        let (chain, cycle) = self.chain();
        violations.extend(
            chain
                .iter()
                .filter(|&&n| self.is_free(n))
                .map(|&node| Violation::FreedNodeReachable { node }),
        );
        if let Some(node) = cycle {
            violations.push(Violation::Cycle { node });
        }
        violations.extend(
            (0..self.next.len())
                .filter(|&n| !self.is_free(n) && !chain.contains(&n) && self.holders(n).is_empty())
                .map(|node| Violation::LeakedNode { node }),
        );
        let mut accounted = self.accounted_values(&chain);
        accounted.sort_unstable();
        let mut duplicates: Vec<u64> = accounted
            .windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| pair[0])
            .collect();
        duplicates.dedup();
        violations.extend(
            duplicates
                .into_iter()
                .map(|value| Violation::DuplicateValue { value }),
        );
        violations.extend(
            self.expected_values
                .iter()
                .filter(|v| accounted.binary_search(v).is_err())
                .map(|&value| Violation::LostValue { value }),
        );
        violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abc() -> StackWorld {
        StackWorld::new(StackFlavor::Naive, 4, &[10, 20, 30], &[vec![Op::Pop]])
    }

    #[test]
    fn a_sound_initial_world_has_no_violations() {
        let world = abc();
        assert_eq!(world.check_invariants(), vec![]);
        assert_eq!(world.free_bits, 0b1000, "only D is free");
    }

    #[test]
    fn a_list_that_loops_back_is_a_cycle() {
        let mut world = abc();
        world.next[2] = Some(0); // C -> A
        assert_eq!(world.check_invariants(), vec![Violation::Cycle { node: 0 }]);
        assert!(world.memory().chain_has_cycle);
    }

    #[test]
    fn an_unlinked_node_nobody_holds_is_leaked_with_its_value() {
        let mut world = abc();
        world.next[0] = Some(2); // A -> C skips B
        assert_eq!(
            world.check_invariants(),
            vec![
                Violation::LeakedNode { node: 1 },
                Violation::LostValue { value: 20 }
            ]
        );
    }

    #[test]
    fn a_node_held_by_a_pop_is_not_leaked() {
        let mut world = abc();
        world.step(0); // load head
        world.step(0); // load A.next
        world.step(0); // CAS: A unlinked, now held by T0
        assert_eq!(world.memory().nodes[0].held_by, vec![0]);
        assert_eq!(world.check_invariants(), vec![]);
    }
}
