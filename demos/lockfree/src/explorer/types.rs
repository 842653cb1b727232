//! Plain data types the explorer hands to a UI: steps, cells, values,
//! outcomes, and violations. All are `Clone + Debug + PartialEq`.

use core::fmt;

/// Index of a simulated thread (0-based, shown as `T0`, `T1`, …).
pub type ThreadId = usize;

/// Index of a node in a simulated stack's pool (shown as `A`, `B`, …).
pub type NodeId = usize;

/// Display name of a node: `A`, `B`, … `Z`, then `N26`, `N27`, ….
pub fn node_name(node: NodeId) -> String {
    match u8::try_from(node) {
        Ok(n) if n < 26 => char::from(b'A' + n).to_string(),
        _ => format!("N{node}"),
    }
}

/// Formats an optional node as its name or `nil`.
pub(crate) fn node_or_nil(node: Option<NodeId>) -> String {
    node.map_or_else(|| "nil".to_owned(), node_name)
}

/// The single atomic operation a step performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// An atomic load.
    Load,
    /// An atomic store.
    Store,
    /// A compare-and-swap (`compare_exchange`).
    CompareExchange,
    /// Taking the lowest free node: one successful CAS on the free bitmap.
    Allocate,
    /// Returning a node: a `fetch_or` on the free bitmap.
    Free,
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpKind::Load => "load",
            OpKind::Store => "store",
            OpKind::CompareExchange => "CAS",
            OpKind::Allocate => "allocate",
            OpKind::Free => "free",
        })
    }
}

/// A shared memory cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// The stack's `head` (including its tag in the tagged stack).
    StackHead,
    /// `next` field of a stack node.
    Next(NodeId),
    /// `value` field of a stack node.
    Value(NodeId),
    /// The pool's bitmap of free nodes.
    FreeBitmap,
    /// The ring's `head` counter (next slot the consumer reads).
    RingHead,
    /// The ring's `tail` counter (next slot the producer writes).
    RingTail,
    /// A ring slot.
    Slot(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::StackHead => f.write_str("head"),
            Location::Next(node) => write!(f, "{}.next", node_name(*node)),
            Location::Value(node) => write!(f, "{}.value", node_name(*node)),
            Location::FreeBitmap => f.write_str("free"),
            Location::RingHead => f.write_str("head"),
            Location::RingTail => f.write_str("tail"),
            Location::Slot(slot) => write!(f, "slot[{slot}]"),
        }
    }
}

/// A value read from or written to a [`Location`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// A node index, or `None` for the end of the list.
    Node(Option<NodeId>),
    /// The tagged stack's head: node index plus version tag.
    TaggedNode {
        /// The node, or `None` for an empty stack.
        node: Option<NodeId>,
        /// The version counter, bumped by every successful CAS.
        tag: u32,
    },
    /// A data value or a ring counter.
    Number(u64),
    /// The free bitmap: bit `i` set means node `i` is free.
    Bitmap(u64),
    /// A cell that was never written.
    Uninit,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Node(node) => f.write_str(&node_or_nil(*node)),
            Value::TaggedNode { node, tag } => write!(f, "{} (tag {tag})", node_or_nil(*node)),
            Value::Number(n) => write!(f, "{n}"),
            Value::Bitmap(bits) => {
                let names: Vec<String> = (0..64)
                    .filter(|i| bits & (1_u64 << i) != 0)
                    .map(node_name)
                    .collect();
                write!(f, "{{{}}}", names.join(", "))
            }
            Value::Uninit => f.write_str("uninitialised"),
        }
    }
}

/// What a whole operation (`push`/`pop`) returned once it finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpOutcome {
    /// The push succeeded.
    Pushed,
    /// The push failed: no free node / the ring was full.
    Full,
    /// The pop returned this value.
    Popped(u64),
    /// The pop found the structure empty.
    Empty,
    /// The pop returned a cell that was never written (garbage in real code).
    PoppedUninit,
}

impl fmt::Display for OpOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpOutcome::Pushed => f.write_str("ok"),
            OpOutcome::Full => f.write_str("full"),
            OpOutcome::Popped(v) => write!(f, "Some({v})"),
            OpOutcome::Empty => f.write_str("None"),
            OpOutcome::PoppedUninit => f.write_str("garbage (uninitialised)"),
        }
    }
}

/// A record of one executed step: exactly one atomic operation by one thread.
#[derive(Clone, Debug, PartialEq)]
pub struct StepInfo {
    /// Position of this step in the history (0-based).
    pub index: usize,
    /// The thread that ran.
    pub thread: ThreadId,
    /// Which operation of the thread's program this step belongs to.
    pub op_index: usize,
    /// That operation as text, e.g. `pop()` or `push(40)`.
    pub operation: String,
    /// The kind of atomic operation performed.
    pub kind: OpKind,
    /// The cell it touched.
    pub location: Location,
    /// For allocate and free: the node taken from or returned to the pool
    /// (`None` when an allocation found the pool empty).
    pub node: Option<NodeId>,
    /// The value read (loads, CAS: the value found; allocate/free: the bitmap before).
    pub read: Option<Value>,
    /// The value written (stores, successful CAS, allocate/free: the bitmap after).
    pub written: Option<Value>,
    /// For a CAS: whether it succeeded.
    pub cas_succeeded: Option<bool>,
    /// Set when this step finished the operation: what it returned.
    pub outcome: Option<OpOutcome>,
    /// One sentence for humans, e.g. `T0 pop(): CAS head A → B succeeded`.
    pub description: String,
}

impl StepInfo {
    /// A short label for a timeline: the operation and what it acted on,
    /// e.g. `load head`, `store A.next`, `CAS head`, `allocate D`, `free B`.
    pub fn label(&self) -> String {
        match (self.kind, self.node) {
            (OpKind::Allocate | OpKind::Free, Some(node)) => {
                format!("{} {}", self.kind, node_name(node))
            }
            (OpKind::Allocate, None) => "allocate: pool full".to_owned(),
            _ => format!("{} {}", self.kind, self.location),
        }
    }
}

/// Why a step could not be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    /// There is no thread with this id.
    NoSuchThread {
        /// The id asked for.
        thread: ThreadId,
        /// How many threads the scenario has.
        thread_count: usize,
    },
    /// The thread has already finished its program.
    ThreadFinished {
        /// The finished thread.
        thread: ThreadId,
    },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::NoSuchThread {
                thread,
                thread_count,
            } => write!(
                f,
                "there is no thread T{thread} (the scenario has {thread_count})"
            ),
            StepError::ThreadFinished { thread } => write!(f, "T{thread} has already finished"),
        }
    }
}

impl std::error::Error for StepError {}

/// A broken invariant: evidence that the algorithm went wrong.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Violation {
    /// A node marked free in the pool is reachable from `head`.
    FreedNodeReachable {
        /// The free node.
        node: NodeId,
    },
    /// Following `next` from `head` comes back to this node.
    Cycle {
        /// The first node visited twice.
        node: NodeId,
    },
    /// A node is neither free, nor in the stack, nor held by a thread.
    LeakedNode {
        /// The unreachable node.
        node: NodeId,
    },
    /// A value is present (in the stack or returned by a pop) more than once.
    DuplicateValue {
        /// The duplicated value.
        value: u64,
    },
    /// A value that was pushed (or was initially present) is nowhere.
    LostValue {
        /// The missing value.
        value: u64,
    },
    /// The ring's consumer received something other than the next value the
    /// producer sent.
    RingOutOfOrder {
        /// Index of the received item (0 = first item received).
        position: usize,
        /// What should have been received, if anything had been sent.
        expected: Option<u64>,
        /// What was received (`None` = an uninitialised slot).
        received: Option<u64>,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<u64>| v.map_or_else(|| "nothing".to_owned(), |v| v.to_string());
        match self {
            Violation::FreedNodeReachable { node } => write!(
                f,
                "node {} is on the free list but reachable from head",
                node_name(*node)
            ),
            Violation::Cycle { node } => write!(
                f,
                "the list starting at head loops back to {}",
                node_name(*node)
            ),
            Violation::LeakedNode { node } => write!(
                f,
                "node {} is neither free, in the stack, nor held by a thread",
                node_name(*node)
            ),
            Violation::DuplicateValue { value } => {
                write!(f, "value {value} exists more than once")
            }
            Violation::LostValue { value } => write!(f, "value {value} was lost"),
            Violation::RingOutOfOrder {
                position,
                expected,
                received,
            } => write!(
                f,
                "item #{position}: consumer received {}, producer sent {}",
                received.map_or_else(|| "an uninitialised slot".to_owned(), |v| v.to_string()),
                show(expected)
            ),
        }
    }
}

/// Everything in simulated shared memory, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub enum Memory {
    /// A Treiber stack over a node pool.
    Stack(StackMemory),
    /// An SPSC ring buffer.
    Ring(RingMemory),
}

impl Memory {
    /// The stack view, if this is a stack scenario.
    pub fn as_stack(&self) -> Option<&StackMemory> {
        match self {
            Memory::Stack(stack) => Some(stack),
            Memory::Ring(_) => None,
        }
    }

    /// The ring view, if this is a ring scenario.
    pub fn as_ring(&self) -> Option<&RingMemory> {
        match self {
            Memory::Ring(ring) => Some(ring),
            Memory::Stack(_) => None,
        }
    }
}

/// The simulated stack: `head`, its tag, and every node.
#[derive(Clone, Debug, PartialEq)]
pub struct StackMemory {
    /// Which algorithm runs on this memory.
    pub flavor: super::StackFlavor,
    /// The node `head` points to.
    pub head: Option<NodeId>,
    /// The version tag next to `head` (`None` for the naive stack).
    pub tag: Option<u32>,
    /// The pool's free bitmap (bit `i` = node `i` free).
    pub free_bits: u64,
    /// Every node of the pool, in index order.
    pub nodes: Vec<NodeCell>,
    /// Nodes reachable from `head`, in list order, each at most once.
    pub chain: Vec<NodeId>,
    /// `true` if following `next` past the end of `chain` revisits a node.
    pub chain_has_cycle: bool,
}

impl StackMemory {
    /// Values reachable from `head`, top first (what a sequence of pops
    /// would return, cycles cut).
    pub fn contents(&self) -> Vec<Option<u64>> {
        self.chain.iter().map(|&n| self.nodes[n].value).collect()
    }
}

/// One node of the simulated pool.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeCell {
    /// Its index.
    pub id: NodeId,
    /// Its display name (`A`, `B`, …).
    pub name: String,
    /// The `next` field.
    pub next: Option<NodeId>,
    /// The `value` field (`None` if never written).
    pub value: Option<u64>,
    /// Marked free in the pool's bitmap.
    pub on_free_list: bool,
    /// Reachable from `head`. (Both flags at once means corruption.)
    pub in_stack: bool,
    /// Threads currently holding this node privately: a push that allocated
    /// it but has not published it, or a pop that unlinked it but has not
    /// freed it yet. More than one means corruption.
    pub held_by: Vec<ThreadId>,
}

/// The simulated SPSC ring.
#[derive(Clone, Debug, PartialEq)]
pub struct RingMemory {
    /// Number of slots.
    pub capacity: usize,
    /// Shared `head` counter (consumer's position); slot is `head % capacity`.
    pub head: usize,
    /// Shared `tail` counter (producer's published position).
    pub tail: usize,
    /// Slot contents (`None` = never written). Values stay after being read.
    pub slots: Vec<Option<u64>>,
}

/// A simulated thread as the UI should show it.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadView {
    /// Its id.
    pub id: ThreadId,
    /// A role such as `producer`, or empty.
    pub role: String,
    /// Its program, one operation per entry (`push(40)`, `pop()`).
    pub program: Vec<String>,
    /// Index into `program` of the operation in progress (`None` = finished).
    pub current_op: Option<usize>,
    /// What its next step will do, e.g. `CAS head: expect A, new B`.
    pub next_step: Option<String>,
    /// Its private variables, as `(name, value)` pairs.
    pub locals: Vec<(String, String)>,
    /// Results of the operations it has finished, in order.
    pub outcomes: Vec<OpOutcome>,
}

impl ThreadView {
    /// `true` once every operation of the program has finished.
    pub fn is_finished(&self) -> bool {
        self.current_op.is_none()
    }
}
