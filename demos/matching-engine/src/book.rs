//! One symbol's order book: two arrays of price levels indexed by tick
//! offset within the symbol's price band.
//!
//! A level is found by arithmetic (`(price - min_price) / tick_size`), never
//! by search. Each level holds the head and tail of an intrusive FIFO of slab
//! slots plus its aggregate quantity and order count, so book updates and
//! depth snapshots never walk orders.

use crate::bitset::LevelBitset;
use crate::config::SymbolConfig;
use crate::event::RejectReason;
use crate::slab::{NIL, OrderSlab};
use crate::types::{Price, Quantity, Side};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) quantity: Quantity,
    pub(crate) order_count: u32,
}

impl Level {
    const EMPTY: Level = Level {
        head: NIL,
        tail: NIL,
        quantity: 0,
        order_count: 0,
    };
}

/// The levels of one side of a book, and its best (most aggressive) level.
#[derive(Debug, Clone)]
pub(crate) struct BookSide {
    pub(crate) side: Side,
    pub(crate) levels: Vec<Level>,
    occupied: LevelBitset,
    /// Tick of the best non-empty level, or `NIL`.
    best: u32,
}

impl BookSide {
    fn new(side: Side, level_count: usize) -> Self {
        BookSide {
            side,
            levels: vec![Level::EMPTY; level_count],
            occupied: LevelBitset::new(level_count),
            best: NIL,
        }
    }

    #[inline]
    pub(crate) fn best_tick(&self) -> Option<u32> {
        (self.best != NIL).then_some(self.best)
    }

    #[inline]
    pub(crate) fn is_occupied(&self, tick: u32) -> bool {
        self.occupied.contains(tick as usize)
    }

    /// `true` if `tick` is strictly better for this side than `other`.
    #[inline]
    fn is_better(&self, tick: u32, other: u32) -> bool {
        match self.side {
            Side::Buy => tick > other,
            Side::Sell => tick < other,
        }
    }

    /// The next non-empty level behind `tick` (further from the touch).
    #[inline]
    pub(crate) fn next_worse(&self, tick: u32) -> Option<u32> {
        let found = match self.side {
            Side::Buy => match tick.checked_sub(1) {
                Some(below) => self.occupied.last_at_or_below(below as usize),
                None => None,
            },
            Side::Sell => self.occupied.first_at_or_above(tick as usize + 1),
        };
        found.map(|tick| tick as u32)
    }

    /// Appends slot `index` (whose `tick`, `remaining` and `side` are set) to
    /// the back of its level's queue.
    #[inline]
    pub(crate) fn push_back(&mut self, index: u32, slab: &mut OrderSlab) {
        let slot = slab.get_mut(index);
        let tick = slot.tick;
        let level = &mut self.levels[tick as usize];
        slot.prev = level.tail;
        slot.next = NIL;
        let remaining = slot.remaining;
        if level.tail == NIL {
            level.head = index;
        } else {
            slab.get_mut(level.tail).next = index;
        }
        level.tail = index;
        level.quantity += remaining;
        level.order_count += 1;
        if level.order_count == 1 {
            self.occupied.insert(tick as usize);
            if self.best == NIL || self.is_better(tick, self.best) {
                self.best = tick;
            }
        }
    }

    /// Removes slot `index` from its level (quantity and count included),
    /// moving the best price on if the level empties. The slot itself stays
    /// allocated; the caller decides whether to free or re-queue it.
    #[inline]
    pub(crate) fn unlink(&mut self, index: u32, slab: &mut OrderSlab) {
        let slot = *slab.get(index);
        let tick = slot.tick;
        let level = &mut self.levels[tick as usize];
        if slot.prev == NIL {
            level.head = slot.next;
        } else {
            slab.get_mut(slot.prev).next = slot.next;
        }
        if slot.next == NIL {
            level.tail = slot.prev;
        } else {
            slab.get_mut(slot.next).prev = slot.prev;
        }
        level.quantity -= slot.remaining;
        level.order_count -= 1;
        if level.order_count == 0 {
            self.occupied.remove(tick as usize);
            if self.best == tick {
                self.best = match self.next_worse(tick) {
                    Some(next) => next,
                    None => NIL,
                };
            }
        }
    }
}

/// Book of one symbol.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    pub(crate) config: SymbolConfig,
    pub(crate) bids: BookSide,
    pub(crate) asks: BookSide,
}

impl Book {
    /// Preallocates every level of the (validated) configuration's band.
    pub(crate) fn new(config: SymbolConfig) -> Self {
        let level_count = config.level_count() as usize;
        Book {
            config,
            bids: BookSide::new(Side::Buy, level_count),
            asks: BookSide::new(Side::Sell, level_count),
        }
    }

    #[inline]
    pub(crate) fn side(&self, side: Side) -> &BookSide {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    pub(crate) fn side_mut(&mut self, side: Side) -> &mut BookSide {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Level index of a limit price, or why the price is unacceptable.
    #[inline]
    pub(crate) fn tick_of(&self, price: Price) -> Result<u32, RejectReason> {
        let config = &self.config;
        if price % config.tick_size != 0 {
            return Err(RejectReason::PriceOffTick);
        }
        if price < config.min_price || price > config.max_price {
            return Err(RejectReason::PriceOutOfBand);
        }
        Ok(((price - config.min_price) / config.tick_size) as u32)
    }

    /// Price of a level index (always inside the band).
    #[inline]
    pub(crate) fn price_of(&self, tick: u32) -> Price {
        self.config.min_price + tick as Price * self.config.tick_size
    }

    /// Validates a signed quantity from a command.
    #[inline]
    pub(crate) fn quantity_of(&self, quantity: i64) -> Result<Quantity, RejectReason> {
        if quantity <= 0 {
            return Err(RejectReason::NonPositiveQuantity);
        }
        if quantity > self.config.max_order_quantity {
            return Err(RejectReason::QuantityTooLarge);
        }
        if quantity % self.config.lot_size != 0 {
            return Err(RejectReason::QuantityNotLotMultiple);
        }
        Ok(quantity as Quantity)
    }
}
