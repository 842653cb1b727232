//! Scenarios: the initial memory plus one small program per simulated thread.

use core::fmt;

use super::types::ThreadId;

/// Which Treiber stack algorithm a stack scenario runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackFlavor {
    /// `head` is a bare node index ([`NaiveStack`](crate::stack::NaiveStack)).
    Naive,
    /// `head` is `(index, tag)` and every CAS bumps the tag
    /// ([`TaggedStack`](crate::stack::TaggedStack)).
    Tagged,
}

/// One operation of a simulated thread's program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Push this value.
    Push(u64),
    /// Pop a value.
    Pop,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Push(v) => write!(f, "push({v})"),
            Op::Pop => f.write_str("pop()"),
        }
    }
}

/// The shared structure a scenario runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioKind {
    /// A Treiber stack over a pool of nodes.
    Stack {
        /// Naive or tagged.
        flavor: StackFlavor,
        /// Pool size (at most 64).
        nodes: usize,
        /// Initial contents, top first. Node `i` holds `initial[i]`, so the
        /// stack starts as `A -> B -> C …`; the remaining nodes are free.
        initial: Vec<u64>,
    },
    /// An SPSC ring; thread 0 is the producer, thread 1 the consumer.
    Ring {
        /// Number of slots (a power of two, at most 64).
        capacity: usize,
        /// The classic bug: store the new `tail` *before* writing the slot,
        /// so the consumer can read a slot that is not yet written.
        publish_before_write: bool,
    },
}

/// Why a custom scenario was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError(pub String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

/// A complete, validated setup for the [`Explorer`](super::Explorer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    name: String,
    description: String,
    kind: ScenarioKind,
    programs: Vec<Vec<Op>>,
    preset_schedule: Vec<ThreadId>,
}

/// Pool size of the preset stack scenarios: nodes A, B, C, all in use.
const PRESET_NODES: usize = 3;
/// Initial stack of the preset scenarios: `A(10) -> B(20) -> C(30)`.
const PRESET_INITIAL: [u64; 3] = [10, 20, 30];

impl Scenario {
    /// The schedule that triggers ABA in [`Scenario::naive_stack_aba`]:
    /// T0 loads `head = A` and `A.next = B` (2 steps) and is preempted;
    /// T1 pops A (5 steps), pops B (5 steps) and pushes 40, which recycles
    /// node A on top of C (5 steps); then T0's `CAS(head, A, B)` runs.
    pub fn aba_schedule() -> Vec<ThreadId> {
        let mut schedule = vec![0, 0];
        schedule.extend([1; 15]);
        schedule.push(0);
        schedule
    }

    /// Step index (0-based) of T0's stale CAS within [`Scenario::aba_schedule`].
    pub const ABA_CAS_STEP: usize = 17;

    /// Naive Treiber stack, `A(10) -> B(20) -> C(30)`; T0 runs `pop()`, T1
    /// runs `pop(); pop(); push(40)`. The preset schedule corrupts it.
    pub fn naive_stack_aba() -> Self {
        Self::aba_on(StackFlavor::Naive)
    }

    /// The same threads and schedule on the tagged stack: T0's CAS fails
    /// because the tag moved on, and T0 retries correctly.
    pub fn tagged_stack_aba() -> Self {
        Self::aba_on(StackFlavor::Tagged)
    }

    fn aba_on(flavor: StackFlavor) -> Self {
        let (name, description) = match flavor {
            StackFlavor::Naive => (
                "Naive Treiber stack: ABA",
                "Stack A(10) -> B(20) -> C(30). T0 starts pop(): it reads head = A and A.next = B, \
                 then is preempted. T1 pops A and B, then pushes 40, and the pool recycles node A, \
                 which now sits on top of C. T0 resumes: CAS(head, A, B) still sees A, succeeds, \
                 and installs B, a node that is already free.",
            ),
            StackFlavor::Tagged => (
                "Tagged Treiber stack: ABA prevented",
                "The same threads and schedule, but head carries a version tag that every \
                 successful CAS increments. When T0 resumes, head is A with tag 3, not the A with \
                 tag 0 it read, so its CAS fails; T0 reloads and pops correctly.",
            ),
        };
        let mut scenario = Self::stack(
            flavor,
            PRESET_NODES,
            PRESET_INITIAL.to_vec(),
            vec![vec![Op::Pop], vec![Op::Pop, Op::Pop, Op::Push(40)]],
        )
        .expect("preset scenario is valid");
        scenario.name = name.to_owned();
        scenario.description = description.to_owned();
        scenario.preset_schedule = Self::aba_schedule();
        scenario
    }

    /// A correct SPSC ring with 2 slots: the producer pushes 1, 2, 3 and the
    /// consumer pops three times. The preset schedule wraps around the ring.
    pub fn spsc_ring() -> Self {
        let mut scenario = Self::ring(2, false, vec![1, 2, 3], 3).expect("valid preset");
        scenario.name = "SPSC ring".to_owned();
        scenario.description = "A 2-slot ring. The producer writes a slot, then publishes it by \
            storing tail; the consumer loads tail, reads the slot, then stores head to hand the \
            slot back. Every interleaving delivers 1, 2, 3 in order."
            .to_owned();
        // push 1, push 2, pop, push 3 (into slot 0 again), pop, pop.
        scenario.preset_schedule = [[0; 3], [0; 3], [1; 3], [0; 3], [1; 3], [1; 3]].concat();
        scenario
    }

    /// The SPSC ring with a bug: the producer stores `tail` before writing
    /// the slot. The preset schedule lets the consumer read the empty slot.
    pub fn spsc_ring_publish_too_early() -> Self {
        let mut scenario = Self::ring(2, true, vec![1, 2, 3], 3).expect("valid preset");
        scenario.name = "SPSC ring: published too early".to_owned();
        scenario.description = "The producer stores the new tail before it writes the slot. \
            Between those two steps the consumer sees the slot as ready and reads garbage: \
            release/acquire orders memory, but only program order decides *what* is published."
            .to_owned();
        scenario.preset_schedule = vec![0, 0, 1, 1, 1, 0];
        scenario
    }

    /// Every preset, in the order a menu should list them.
    pub fn all() -> Vec<Scenario> {
        vec![
            Self::naive_stack_aba(),
            Self::tagged_stack_aba(),
            Self::spsc_ring(),
            Self::spsc_ring_publish_too_early(),
        ]
    }

    /// A custom stack scenario. `initial` is listed top first; all values
    /// (initial and pushed) must be distinct so losses and duplicates can be
    /// told apart.
    pub fn stack(
        flavor: StackFlavor,
        nodes: usize,
        initial: Vec<u64>,
        programs: Vec<Vec<Op>>,
    ) -> Result<Self, ScenarioError> {
        if nodes == 0 || nodes > 64 {
            return Err(ScenarioError(format!(
                "a pool needs 1 to 64 nodes, got {nodes}"
            )));
        }
        if initial.len() > nodes {
            return Err(ScenarioError(format!(
                "{} initial values do not fit in {nodes} nodes",
                initial.len()
            )));
        }
        let pushed = programs.iter().flatten().filter_map(|op| match op {
            Op::Push(v) => Some(*v),
            Op::Pop => None,
        });
        let mut all_values: Vec<u64> = initial.iter().copied().chain(pushed).collect();
        all_values.sort_unstable();
        if let Some(pair) = all_values.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(ScenarioError(format!(
                "value {} appears twice; use distinct values",
                pair[0]
            )));
        }
        Self::check_threads(&programs)?;
        Ok(Self {
            name: format!("Custom {flavor:?} stack"),
            description: String::new(),
            kind: ScenarioKind::Stack {
                flavor,
                nodes,
                initial,
            },
            programs,
            preset_schedule: Vec::new(),
        })
    }

    /// A custom ring scenario: thread 0 pushes `produce` in order, thread 1
    /// pops `pops` times.
    pub fn ring(
        capacity: usize,
        publish_before_write: bool,
        produce: Vec<u64>,
        pops: usize,
    ) -> Result<Self, ScenarioError> {
        if !capacity.is_power_of_two() || capacity > 64 {
            return Err(ScenarioError(format!(
                "ring capacity must be a power of two up to 64, got {capacity}"
            )));
        }
        let programs = vec![
            produce.into_iter().map(Op::Push).collect(),
            vec![Op::Pop; pops],
        ];
        Self::check_threads(&programs)?;
        Ok(Self {
            name: "Custom SPSC ring".to_owned(),
            description: String::new(),
            kind: ScenarioKind::Ring {
                capacity,
                publish_before_write,
            },
            programs,
            preset_schedule: Vec::new(),
        })
    }

    fn check_threads(programs: &[Vec<Op>]) -> Result<(), ScenarioError> {
        if programs.is_empty() || programs.len() > 4 {
            return Err(ScenarioError(format!(
                "use 1 to 4 threads, got {}",
                programs.len()
            )));
        }
        Ok(())
    }

    /// Replaces the name and description (builder style).
    pub fn with_text(mut self, name: &str, description: &str) -> Self {
        self.name = name.to_owned();
        self.description = description.to_owned();
        self
    }

    /// Replaces the preset schedule (builder style).
    pub fn with_preset_schedule(mut self, schedule: Vec<ThreadId>) -> Self {
        self.preset_schedule = schedule;
        self
    }

    /// Short title.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the scenario shows, for the page.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The structure and its initial state.
    pub fn kind(&self) -> &ScenarioKind {
        &self.kind
    }

    /// One program per thread.
    pub fn programs(&self) -> &[Vec<Op>] {
        &self.programs
    }

    /// Number of simulated threads.
    pub fn thread_count(&self) -> usize {
        self.programs.len()
    }

    /// The schedule (thread id per step) the page can play back.
    pub fn preset_schedule(&self) -> &[ThreadId] {
        &self.preset_schedule
    }
}
