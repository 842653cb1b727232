//! Events: the engine's only output, pushed into a caller-owned sink.

use crate::command::CommandKind;
use crate::types::{OrderId, OrderType, OwnerId, Price, Quantity, Side, SymbolId};

/// Why a command was refused. A rejected command leaves the book untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// Quantity is zero or negative.
    NonPositiveQuantity,
    /// Quantity exceeds the symbol's `max_order_quantity`.
    QuantityTooLarge,
    /// Quantity is not a multiple of the symbol's lot size.
    QuantityNotLotMultiple,
    /// Price is not a multiple of the symbol's tick size.
    PriceOffTick,
    /// Price lies outside the symbol's `[min_price, max_price]` band.
    PriceOutOfBand,
    /// The symbol is not configured.
    UnknownSymbol,
    /// Cancel or modify of an id that is not resting.
    UnknownOrderId,
    /// New order whose id belongs to an order that is still resting.
    DuplicateOrderId,
    /// Fill-or-kill order that could not be filled completely right now.
    FokNotFillable,
    /// GTC order while every preallocated resting-order slot is in use.
    BookFull,
}

/// Why an order (or its remainder) left the book or was never placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// The owner sent a cancel.
    UserRequested,
    /// Unfilled remainder of an immediate-or-cancel order.
    IocRemainder,
    /// Unfilled remainder of a market order (not enough liquidity).
    MarketRemainder,
    /// Removed by self-trade prevention.
    SelfTradePrevention,
}

/// Something that happened inside the engine.
///
/// For one command the engine emits, in order: `Accepted` (new orders) or
/// `Modified`, then per level touched any `Fill`/`Cancelled` events followed
/// by one `BookUpdate` for that level, then the fate of the remainder
/// (`BookUpdate` when it rests, `Cancelled` otherwise). A refused command
/// produces exactly one `Rejected` and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A new order passed validation and is about to match.
    Accepted {
        /// The new order.
        order_id: OrderId,
        /// Its symbol.
        symbol: SymbolId,
        /// Its owner.
        owner: OwnerId,
        /// Its side.
        side: Side,
        /// Limit price and time in force, or market.
        order_type: OrderType,
        /// Accepted quantity.
        quantity: Quantity,
    },
    /// A trade between a resting (maker) and an incoming (taker) order.
    Fill {
        /// Symbol traded.
        symbol: SymbolId,
        /// The resting order.
        maker_order_id: OrderId,
        /// The incoming order (a new order, or a modify that crossed).
        taker_order_id: OrderId,
        /// Side of the taker (the aggressor).
        taker_side: Side,
        /// Trade price: always the maker's price.
        price: Price,
        /// Traded quantity.
        quantity: Quantity,
        /// Maker's open quantity after this fill (0: it left the book).
        maker_remaining: Quantity,
        /// Taker's unfilled quantity after this fill.
        taker_remaining: Quantity,
    },
    /// An order, or the unfilled remainder of one, was cancelled.
    Cancelled {
        /// The order.
        order_id: OrderId,
        /// Its symbol.
        symbol: SymbolId,
        /// Its side.
        side: Side,
        /// Quantity that was cancelled (the open quantity at that moment).
        quantity: Quantity,
        /// Why.
        reason: CancelReason,
    },
    /// A command was refused; nothing else changed.
    Rejected {
        /// Order id carried by the command.
        order_id: OrderId,
        /// Which command was refused.
        command: CommandKind,
        /// Why.
        reason: RejectReason,
    },
    /// A modify was applied (matching and re-queuing may follow).
    Modified {
        /// The order.
        order_id: OrderId,
        /// Its symbol.
        symbol: SymbolId,
        /// Its side.
        side: Side,
        /// New limit price.
        price: Price,
        /// New open quantity.
        quantity: Quantity,
        /// `true` if the order kept its place in the queue.
        priority_kept: bool,
    },
    /// New aggregate state of one price level after a change.
    BookUpdate {
        /// Symbol.
        symbol: SymbolId,
        /// Side of the level.
        side: Side,
        /// Level price.
        price: Price,
        /// Total open quantity now at the level (0: the level is empty).
        quantity: Quantity,
        /// Number of orders now at the level.
        order_count: u32,
    },
}

/// Receiver of engine events.
///
/// Implement it to route events without intermediate storage, or pass a
/// `Vec<Event>` that is cleared and reused between commands so the hot path
/// does not allocate once the vector has grown to its working size.
pub trait EventSink {
    /// Called once per event, in order.
    fn emit(&mut self, event: Event);
}

impl EventSink for Vec<Event> {
    #[inline]
    fn emit(&mut self, event: Event) {
        self.push(event);
    }
}

/// A sink that only counts events; for benchmarks and throughput tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountingSink {
    /// Events of any kind.
    pub events: u64,
    /// `Fill` events.
    pub fills: u64,
    /// `Rejected` events.
    pub rejects: u64,
}

impl EventSink for CountingSink {
    #[inline]
    fn emit(&mut self, event: Event) {
        self.events += 1;
        match event {
            Event::Fill { .. } => self.fills += 1,
            Event::Rejected { .. } => self.rejects += 1,
            _ => {}
        }
    }
}
