//! Simulated SPSC ring: the algorithm of [`crate::ring`] cut at every access.
//!
//! ```text
//! producer push(v):  h = head                    (load; tail - h == capacity -> full)
//!                    slot[tail % capacity] = v   (store)
//!                    head' = tail + 1 -> tail    (store: publishes the slot)
//! consumer pop():    t = tail                    (load; t == head -> empty)
//!                    v = slot[head % capacity]   (load)
//!                    head + 1 -> head            (store: hands the slot back)
//! ```
//!
//! With `publish_before_write` the producer's last two steps are swapped,
//! which is the bug the scenario demonstrates. (The real ring also caches
//! the other side's counter; the model reloads it every time, which is the
//! same algorithm without the shortcut.)

use super::scenario::Op;
use super::types::{
    Location, OpKind, OpOutcome, RingMemory, ThreadId, ThreadView, Value, Violation,
};
use super::world::StepDraft;

const PRODUCER: ThreadId = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum RingStep {
    LoadHead { value: u64 },
    WriteSlot { value: u64 },
    PublishTail { value: u64 },
    LoadTail,
    ReadSlot,
    StoreHead { read: Option<u64> },
}

impl RingStep {
    fn start(op: Op) -> Self {
        match op {
            Op::Push(value) => RingStep::LoadHead { value },
            Op::Pop => RingStep::LoadTail,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RingThread {
    program: Vec<Op>,
    op_index: usize,
    state: Option<RingStep>,
    outcomes: Vec<OpOutcome>,
    /// The producer's private tail, or the consumer's private head.
    position: usize,
    /// The other side's counter as last loaded.
    seen_other: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RingWorld {
    capacity: usize,
    publish_before_write: bool,
    head: usize,
    tail: usize,
    slots: Vec<Option<u64>>,
    threads: Vec<RingThread>,
    /// Values the producer committed to sending (passed the full check), in
    /// order: the sequence the consumer must receive.
    accepted: Vec<u64>,
}

impl RingWorld {
    pub(crate) fn new(capacity: usize, publish_before_write: bool, programs: &[Vec<Op>]) -> Self {
        let threads = programs
            .iter()
            .map(|program| RingThread {
                program: program.clone(),
                op_index: 0,
                state: program.first().copied().map(RingStep::start),
                outcomes: Vec::new(),
                position: 0,
                seen_other: None,
            })
            .collect();
        Self {
            capacity,
            publish_before_write,
            head: 0,
            tail: 0,
            slots: vec![None; capacity],
            threads,
            accepted: Vec::new(),
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

    fn slot_of(&self, counter: usize) -> usize {
        counter % self.capacity
    }

    pub(crate) fn step(&mut self, thread: ThreadId) -> StepDraft {
        let state = self.threads[thread].state.expect("caller checked runnable");
        let position = self.threads[thread].position;
        let slot = self.slot_of(position);
        let (draft, next) = match state {
            RingStep::LoadHead { value } => {
                let head = self.head;
                self.threads[thread].seen_other = Some(head);
                let draft = StepDraft::new(OpKind::Load, Location::RingHead)
                    .read(Value::Number(head as u64));
                if position - head == self.capacity {
                    let draft = draft.finish(OpOutcome::Full).describe(format!(
                        "load head → {head}: tail {position} - head {head} = capacity, the ring is full"
                    ));
                    (draft, None)
                } else {
                    self.accepted.push(value);
                    let next = if self.publish_before_write {
                        RingStep::PublishTail { value }
                    } else {
                        RingStep::WriteSlot { value }
                    };
                    let draft = draft.describe(format!("load head → {head}: slot {slot} is free"));
                    (draft, Some(next))
                }
            }
            RingStep::WriteSlot { value } => {
                self.slots[slot] = Some(value);
                let draft = StepDraft::new(OpKind::Store, Location::Slot(slot))
                    .write(Value::Number(value))
                    .describe(format!("store slot[{slot}] = {value}"));
                if self.publish_before_write {
                    (self.finish_push(thread, draft), None)
                } else {
                    (draft, Some(RingStep::PublishTail { value }))
                }
            }
            RingStep::PublishTail { value } => {
                self.tail = position + 1;
                let draft = StepDraft::new(OpKind::Store, Location::RingTail)
                    .write(Value::Number(self.tail as u64))
                    .describe(format!(
                        "store tail = {}: slot {slot} is now visible to the consumer",
                        self.tail
                    ));
                if self.publish_before_write {
                    (draft, Some(RingStep::WriteSlot { value }))
                } else {
                    (self.finish_push(thread, draft), None)
                }
            }
            RingStep::LoadTail => {
                let tail = self.tail;
                self.threads[thread].seen_other = Some(tail);
                let draft = StepDraft::new(OpKind::Load, Location::RingTail)
                    .read(Value::Number(tail as u64));
                if tail == position {
                    let draft = draft
                        .finish(OpOutcome::Empty)
                        .describe(format!("load tail → {tail} = head: the ring is empty"));
                    (draft, None)
                } else {
                    let draft = draft.describe(format!("load tail → {tail}: slot {slot} is ready"));
                    (draft, Some(RingStep::ReadSlot))
                }
            }
            RingStep::ReadSlot => {
                let read = self.slots[slot];
                let shown = read.map_or(Value::Uninit, Value::Number);
                let draft = StepDraft::new(OpKind::Load, Location::Slot(slot))
                    .read(shown)
                    .describe(format!("load slot[{slot}] → {shown}"));
                (draft, Some(RingStep::StoreHead { read }))
            }
            RingStep::StoreHead { read } => {
                self.head = position + 1;
                let outcome = read.map_or(OpOutcome::PoppedUninit, OpOutcome::Popped);
                self.threads[thread].position += 1;
                let draft = StepDraft::new(OpKind::Store, Location::RingHead)
                    .write(Value::Number(self.head as u64))
                    .finish(outcome)
                    .describe(format!(
                        "store head = {}: slot {slot} goes back to the producer; return {outcome}",
                        self.head
                    ));
                (draft, None)
            }
        };
        let sim = &mut self.threads[thread];
        match next {
            Some(step) => sim.state = Some(step),
            None => {
                sim.outcomes
                    .push(draft.outcome.expect("finishing step has an outcome"));
                sim.op_index += 1;
                sim.state = sim.program.get(sim.op_index).copied().map(RingStep::start);
            }
        }
        draft
    }

    fn finish_push(&mut self, thread: ThreadId, draft: StepDraft) -> StepDraft {
        self.threads[thread].position += 1;
        draft.finish(OpOutcome::Pushed)
    }

    fn preview(&self, sim: &RingThread, step: RingStep) -> String {
        let slot = self.slot_of(sim.position);
        match step {
            RingStep::LoadHead { .. } => "load head (is there room?)".to_owned(),
            RingStep::WriteSlot { value } => format!("store slot[{slot}] = {value}"),
            RingStep::PublishTail { .. } => format!("store tail = {}", sim.position + 1),
            RingStep::LoadTail => "load tail (is there an item?)".to_owned(),
            RingStep::ReadSlot => format!("load slot[{slot}]"),
            RingStep::StoreHead { .. } => format!("store head = {}", sim.position + 1),
        }
    }

    pub(crate) fn threads(&self) -> Vec<ThreadView> {
        self.threads
            .iter()
            .enumerate()
            .map(|(id, sim)| {
                let producer = id == PRODUCER;
                let (mine, theirs) = if producer {
                    ("tail (private copy)", "head seen")
                } else {
                    ("head (private copy)", "tail seen")
                };
                let mut locals = vec![(mine.to_owned(), sim.position.to_string())];
                if let Some(seen) = sim.seen_other {
                    locals.push((theirs.to_owned(), seen.to_string()));
                }
                if let Some(RingStep::StoreHead { read }) = sim.state {
                    let shown = read.map_or(Value::Uninit, Value::Number);
                    locals.push(("read".to_owned(), shown.to_string()));
                }
                ThreadView {
                    id,
                    role: if producer { "producer" } else { "consumer" }.to_owned(),
                    program: sim.program.iter().map(Op::to_string).collect(),
                    current_op: sim.state.map(|_| sim.op_index),
                    next_step: sim.state.map(|step| self.preview(sim, step)),
                    locals,
                    outcomes: sim.outcomes.clone(),
                }
            })
            .collect()
    }

    pub(crate) fn memory(&self) -> RingMemory {
        RingMemory {
            capacity: self.capacity,
            head: self.head,
            tail: self.tail,
            slots: self.slots.clone(),
        }
    }

    /// The consumer must receive exactly the accepted values, in order.
    pub(crate) fn check_invariants(&self) -> Vec<Violation> {
        let mut received = Vec::new();
        for sim in self
            .threads
            .iter()
            .filter(|sim| sim.program.contains(&Op::Pop))
        {
            received.extend(sim.outcomes.iter().filter_map(|outcome| match outcome {
                OpOutcome::Popped(v) => Some(Some(*v)),
                OpOutcome::PoppedUninit => Some(None),
                _ => None,
            }));
            if let Some(RingStep::StoreHead { read }) = sim.state {
                received.push(read);
            }
        }
        received
            .iter()
            .enumerate()
            .find(|&(position, got)| got.as_ref() != self.accepted.get(position))
            .map(|(position, &received)| Violation::RingOutOfOrder {
                position,
                expected: self.accepted.get(position).copied(),
                received,
            })
            .into_iter()
            .collect()
    }
}
