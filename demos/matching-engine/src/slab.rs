//! Preallocated storage for resting orders.
//!
//! Orders live in one `Vec` of fixed-size slots; free slots form a singly
//! linked free list threaded through `next`. Price levels link their orders
//! through `prev`/`next` slot indices (an intrusive doubly-linked FIFO), so
//! placing, cancelling and filling an order are O(1) and never allocate.

use crate::types::{OrderId, OwnerId, Quantity, Side};

/// Terminator for slot-index links (and "no level" for best prices).
pub(crate) const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderSlot {
    pub(crate) order_id: OrderId,
    pub(crate) remaining: Quantity,
    /// Time-priority stamp: assigned when the order (re-)joins a queue.
    pub(crate) sequence: u64,
    pub(crate) owner: OwnerId,
    /// Index of the order's book in the engine.
    pub(crate) book: u32,
    /// Price level index within the book's band.
    pub(crate) tick: u32,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    pub(crate) side: Side,
}

impl OrderSlot {
    const VACANT: OrderSlot = OrderSlot {
        order_id: OrderId(0),
        remaining: 0,
        sequence: 0,
        owner: OwnerId(0),
        book: 0,
        tick: 0,
        prev: NIL,
        next: NIL,
        side: Side::Buy,
    };
}

#[derive(Debug, Clone)]
pub(crate) struct OrderSlab {
    slots: Vec<OrderSlot>,
    free_head: u32,
    live: usize,
}

impl OrderSlab {
    /// Allocates and initialises every slot now so the hot path never
    /// touches fresh memory (no page faults mid-run).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut slots = vec![OrderSlot::VACANT; capacity];
        for (index, slot) in slots.iter_mut().enumerate() {
            slot.next = if index + 1 < capacity {
                (index + 1) as u32
            } else {
                NIL
            };
        }
        OrderSlab {
            slots,
            free_head: if capacity > 0 { 0 } else { NIL },
            live: 0,
        }
    }

    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.free_head == NIL
    }

    #[inline]
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Stores `slot` and returns its index, or `None` when full.
    #[inline]
    pub(crate) fn allocate(&mut self, slot: OrderSlot) -> Option<u32> {
        let index = self.free_head;
        if index == NIL {
            return None;
        }
        self.free_head = self.slots[index as usize].next;
        self.slots[index as usize] = slot;
        self.live += 1;
        Some(index)
    }

    #[inline]
    pub(crate) fn release(&mut self, index: u32) {
        let slot = &mut self.slots[index as usize];
        slot.next = self.free_head;
        slot.prev = NIL;
        slot.remaining = 0;
        self.free_head = index;
        self.live -= 1;
    }

    #[inline]
    pub(crate) fn get(&self, index: u32) -> &OrderSlot {
        &self.slots[index as usize]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, index: u32) -> &mut OrderSlot {
        &mut self.slots[index as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::{OrderSlab, OrderSlot};
    use crate::types::OrderId;

    #[test]
    fn reuses_released_slots_and_reports_full() {
        let mut slab = OrderSlab::with_capacity(2);
        let slot = |id| OrderSlot {
            order_id: OrderId(id),
            ..OrderSlot::VACANT
        };
        let a = slab.allocate(slot(1)).unwrap();
        let b = slab.allocate(slot(2)).unwrap();
        assert!(slab.is_full());
        assert_eq!(slab.allocate(slot(3)), None);
        slab.release(a);
        assert_eq!(slab.live(), 1);
        assert_eq!(slab.allocate(slot(4)), Some(a));
        assert_eq!(slab.get(a).order_id, OrderId(4));
        assert_eq!(slab.get(b).order_id, OrderId(2));
    }
}
