//! Full structural self-check, for tests and fuzzing (O(levels + orders)).

use core::fmt;

use crate::engine::Engine;
use crate::slab::NIL;
use crate::types::Side;

/// Description of the first broken invariant found by
/// [`Engine::check_invariants`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantViolation(pub String);

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvariantViolation {}

macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(InvariantViolation(format!($($message)+)));
        }
    };
}

impl Engine {
    /// Walks every level and order and checks that:
    /// - each level's quantity and count equal the sum/number of its orders,
    ///   and its non-empty bit and the side's best level agree with that;
    /// - queue links are consistent and every queued order belongs to that
    ///   symbol, side and level, with positive quantity;
    /// - time-priority stamps strictly increase along each queue;
    /// - every queued order is found by id, and the id index, slab and books
    ///   hold the same number of orders;
    /// - no book is crossed (best bid < best ask).
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let mut queued = 0usize;
        for (book_index, book) in self.books.iter().enumerate() {
            let symbol = book.config.symbol;
            for side in [Side::Buy, Side::Sell] {
                let levels = book.side(side);
                let mut expected_best = None;
                for (tick, level) in levels.levels.iter().enumerate() {
                    let tick = tick as u32;
                    let mut quantity = 0u64;
                    let mut count = 0u32;
                    let mut previous = NIL;
                    let mut previous_sequence = 0u64;
                    let mut cursor = level.head;
                    while cursor != NIL {
                        let slot = self.slab.get(cursor);
                        ensure!(
                            slot.prev == previous,
                            "{symbol} {side:?} level {tick}: broken prev link at slot {cursor}"
                        );
                        ensure!(
                            slot.book as usize == book_index
                                && slot.side == side
                                && slot.tick == tick,
                            "{symbol} {side:?} level {tick}: slot {cursor} belongs elsewhere"
                        );
                        ensure!(
                            slot.remaining > 0,
                            "order {} rests with zero quantity",
                            slot.order_id
                        );
                        ensure!(
                            count == 0 || slot.sequence > previous_sequence,
                            "{symbol} {side:?} level {tick}: queue not in time order"
                        );
                        ensure!(
                            self.index.get(slot.order_id) == Some(cursor),
                            "order {} not indexed to its slot",
                            slot.order_id
                        );
                        quantity += slot.remaining;
                        count += 1;
                        ensure!(
                            count as usize <= self.slab.capacity(),
                            "cycle in level {tick}"
                        );
                        previous_sequence = slot.sequence;
                        previous = cursor;
                        cursor = slot.next;
                    }
                    ensure!(
                        level.tail == previous,
                        "{symbol} {side:?} level {tick}: wrong tail"
                    );
                    ensure!(
                        level.quantity == quantity && level.order_count == count,
                        "{symbol} {side:?} level {tick}: aggregate {}x{} but orders sum to {quantity}x{count}",
                        level.quantity,
                        level.order_count
                    );
                    ensure!(
                        levels.is_occupied(tick) == (count > 0),
                        "{symbol} {side:?} level {tick}: occupancy bit wrong"
                    );
                    if count > 0 {
                        queued += count as usize;
                        // Bids: the last occupied tick is best; asks: the first.
                        if side == Side::Buy || expected_best.is_none() {
                            expected_best = Some(tick);
                        }
                    }
                }
                ensure!(
                    levels.best_tick() == expected_best,
                    "{symbol} {side:?}: best level {:?}, expected {expected_best:?}",
                    levels.best_tick()
                );
            }
            if let (Some(bid), Some(ask)) = (book.bids.best_tick(), book.asks.best_tick()) {
                ensure!(
                    bid < ask,
                    "{symbol}: crossed book at rest (bid tick {bid} >= ask tick {ask})"
                );
            }
        }
        ensure!(
            queued == self.slab.live() && queued == self.index.len(),
            "{queued} queued orders, {} slab slots in use, {} indexed",
            self.slab.live(),
            self.index.len()
        );
        Ok(())
    }
}
