//! Read-only queries for user interfaces and tests. Plain structs, no
//! serialization; nothing here is on the matching hot path.

use crate::config::SymbolConfig;
use crate::engine::Engine;
use crate::slab::NIL;
use crate::types::{OrderId, OwnerId, Price, Quantity, Side, SymbolId};

/// Aggregate state of one price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelSummary {
    /// Level price.
    pub price: Price,
    /// Total open quantity at the level.
    pub quantity: Quantity,
    /// Number of orders queued at the level.
    pub order_count: u32,
}

/// Top levels of both sides of one symbol, best first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepthSnapshot {
    /// Symbol the snapshot is of.
    pub symbol: SymbolId,
    /// Bid levels, highest price first.
    pub bids: Vec<LevelSummary>,
    /// Ask levels, lowest price first.
    pub asks: Vec<LevelSummary>,
}

/// A resting order as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderView {
    /// Id.
    pub order_id: OrderId,
    /// Symbol.
    pub symbol: SymbolId,
    /// Owner.
    pub owner: OwnerId,
    /// Side.
    pub side: Side,
    /// Limit price.
    pub price: Price,
    /// Open quantity.
    pub remaining: Quantity,
    /// Time-priority stamp: increases with every order that joins a queue
    /// (new resting orders and modifies that lose priority). Lower is earlier.
    pub sequence: u64,
}

impl Engine {
    /// Configuration of every symbol, in configuration order.
    pub fn symbols(&self) -> impl Iterator<Item = &SymbolConfig> + '_ {
        self.books.iter().map(|book| &book.config)
    }

    /// Configuration of one symbol.
    pub fn symbol_config(&self, symbol: SymbolId) -> Option<&SymbolConfig> {
        self.book_index(symbol)
            .map(|index| &self.books[index].config)
    }

    /// Number of orders resting in all books.
    pub fn resting_order_count(&self) -> usize {
        self.slab.live()
    }

    /// How many resting orders the engine can hold.
    pub fn resting_order_capacity(&self) -> usize {
        self.slab.capacity()
    }

    /// Best bid level of `symbol`, if any.
    pub fn best_bid(&self, symbol: SymbolId) -> Option<LevelSummary> {
        self.best_level(symbol, Side::Buy)
    }

    /// Best ask level of `symbol`, if any.
    pub fn best_ask(&self, symbol: SymbolId) -> Option<LevelSummary> {
        self.best_level(symbol, Side::Sell)
    }

    fn best_level(&self, symbol: SymbolId, side: Side) -> Option<LevelSummary> {
        let book = &self.books[self.book_index(symbol)?];
        let tick = book.side(side).best_tick()?;
        let level = book.side(side).levels[tick as usize];
        Some(LevelSummary {
            price: book.price_of(tick),
            quantity: level.quantity,
            order_count: level.order_count,
        })
    }

    /// Up to `max_levels` levels per side of `symbol`, or `None` for an
    /// unknown symbol.
    pub fn depth(&self, symbol: SymbolId, max_levels: usize) -> Option<DepthSnapshot> {
        let mut snapshot = DepthSnapshot::default();
        self.depth_into(symbol, max_levels, &mut snapshot)
            .then_some(snapshot)
    }

    /// Like [`Engine::depth`] but reuses `snapshot`'s buffers (a UI polling
    /// every frame allocates nothing once they have grown). Returns `false`,
    /// leaving `snapshot` empty, for an unknown symbol.
    pub fn depth_into(
        &self,
        symbol: SymbolId,
        max_levels: usize,
        snapshot: &mut DepthSnapshot,
    ) -> bool {
        snapshot.symbol = symbol;
        snapshot.bids.clear();
        snapshot.asks.clear();
        let Some(book_index) = self.book_index(symbol) else {
            return false;
        };
        let book = &self.books[book_index];
        for (side, out) in [
            (Side::Buy, &mut snapshot.bids),
            (Side::Sell, &mut snapshot.asks),
        ] {
            let levels = book.side(side);
            let mut tick = levels.best_tick();
            while let Some(current) = tick {
                if out.len() == max_levels {
                    break;
                }
                let level = levels.levels[current as usize];
                out.push(LevelSummary {
                    price: book.price_of(current),
                    quantity: level.quantity,
                    order_count: level.order_count,
                });
                tick = levels.next_worse(current);
            }
        }
        true
    }

    /// A resting order by id.
    pub fn order(&self, order_id: OrderId) -> Option<OrderView> {
        let slot = self.index.get(order_id)?;
        Some(self.order_view(slot))
    }

    /// The orders queued at one level, front (next to trade) first. Empty
    /// for unknown symbols and prices that are off the grid or out of band.
    pub fn level_orders(&self, symbol: SymbolId, side: Side, price: Price) -> LevelOrders<'_> {
        let head = self
            .book_index(symbol)
            .and_then(|index| {
                let book = &self.books[index];
                let tick = book.tick_of(price).ok()?;
                Some(book.side(side).levels[tick as usize].head)
            })
            .unwrap_or(NIL);
        LevelOrders {
            engine: self,
            cursor: head,
        }
    }

    pub(crate) fn order_view(&self, slot_index: u32) -> OrderView {
        let slot = self.slab.get(slot_index);
        let book = &self.books[slot.book as usize];
        OrderView {
            order_id: slot.order_id,
            symbol: book.config.symbol,
            owner: slot.owner,
            side: slot.side,
            price: book.price_of(slot.tick),
            remaining: slot.remaining,
            sequence: slot.sequence,
        }
    }
}

/// Iterator over one level's queue; see [`Engine::level_orders`].
#[derive(Debug, Clone)]
pub struct LevelOrders<'a> {
    engine: &'a Engine,
    cursor: u32,
}

impl Iterator for LevelOrders<'_> {
    type Item = OrderView;

    fn next(&mut self) -> Option<OrderView> {
        if self.cursor == NIL {
            return None;
        }
        let view = self.engine.order_view(self.cursor);
        self.cursor = self.engine.slab.get(self.cursor).next;
        Some(view)
    }
}
