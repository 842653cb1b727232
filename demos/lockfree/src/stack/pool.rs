//! The fixed node pool shared by both stacks: nodes addressed by index plus a
//! bitmap of free nodes.

use crate::sync::{AtomicU32, AtomicU64, Ordering};

/// Index meaning "no node" (the end of a list).
pub(crate) const NIL: u32 = u32::MAX;

/// One list node. Both fields are atomics because a slow thread may read a
/// node that another thread has already recycled (that is the whole point).
pub(crate) struct Node {
    pub(crate) next: AtomicU32,
    pub(crate) value: AtomicU64,
}

pub(crate) struct NodePool {
    nodes: Box<[Node]>,
    /// Bit `i % 64` of word `i / 64` is set while node `i` is free.
    free_bits: Box<[AtomicU64]>,
}

impl NodePool {
    /// A pool whose nodes `0..top_first.len()` already form a list holding
    /// `top_first` (node 0 on top, linked 0 -> 1 -> 2 …) and whose other
    /// nodes are free. Returns the pool and the index of the top node.
    pub(crate) fn prefilled(capacity: usize, top_first: &[u64]) -> (Self, u32) {
        assert!(capacity > 0, "a stack needs at least one node");
        assert!(capacity < NIL as usize, "too many nodes for u32 indices");
        assert!(
            top_first.len() <= capacity,
            "{} values do not fit in {capacity} nodes",
            top_first.len()
        );
        let used = top_first.len();
        let nodes = (0..capacity)
            .map(|index| Node {
                next: AtomicU32::new(if index + 1 < used {
                    index as u32 + 1
                } else {
                    NIL
                }),
                value: AtomicU64::new(top_first.get(index).copied().unwrap_or(0)),
            })
            .collect();
        let free_bits = (0..capacity.div_ceil(64))
            .map(|word| {
                let bits = (0..64)
                    .map(|bit| word * 64 + bit)
                    .filter(|&index| index >= used && index < capacity)
                    .fold(0_u64, |bits, index| bits | 1 << (index % 64));
                AtomicU64::new(bits)
            })
            .collect();
        let top = if used == 0 { NIL } else { 0 };
        (Self { nodes, free_bits }, top)
    }

    pub(crate) fn capacity(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn node(&self, index: u32) -> &Node {
        &self.nodes[index as usize]
    }

    /// Takes the lowest-numbered free node, or `None` if all are in use.
    pub(crate) fn allocate(&self) -> Option<u32> {
        for (word_index, word) in self.free_bits.iter().enumerate() {
            let mut bits = word.load(Ordering::Relaxed);
            while bits != 0 {
                let bit = bits.trailing_zeros();
                // Acquire on success pairs with the Release in `release`: the
                // previous owner's last reads of this node happen-before our
                // writes to it. (Relaxed on failure: we only retry.)
                match word.compare_exchange(
                    bits,
                    bits & !(1 << bit),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Some((word_index * 64) as u32 + bit),
                    Err(actual) => bits = actual,
                }
            }
        }
        None
    }

    /// Returns node `index` to the pool.
    pub(crate) fn release(&self, index: u32) {
        let (word, bit) = (index as usize / 64, index % 64);
        // Release: everything we did with the node happens-before the next
        // owner's Acquire in `allocate`. A corrupted naive stack can free a
        // node twice; setting an already-set bit is harmless to the pool.
        self.free_bits[word].fetch_or(1 << bit, Ordering::Release);
    }
}
