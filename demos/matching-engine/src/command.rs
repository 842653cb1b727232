//! Commands: the engine's only input.
//!
//! Prices and quantities are signed (`i64`) on purpose: this is the API edge,
//! and a negative quantity must reach the engine to be rejected with a
//! reason instead of being made impossible (and invisible) by the type.

use crate::types::{OrderId, OrderType, OwnerId, Price, Side, SymbolId};

/// Submit a new limit or market order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NewOrder {
    /// Client id; must not belong to an order that is still resting.
    pub order_id: OrderId,
    /// Instrument to trade.
    pub symbol: SymbolId,
    /// Account, used for self-trade prevention.
    pub owner: OwnerId,
    /// Buy or sell.
    pub side: Side,
    /// Limit (with time in force) or market.
    pub order_type: OrderType,
    /// Requested quantity; must be positive and a multiple of the lot size.
    pub quantity: i64,
}

/// Cancel a resting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CancelOrder {
    /// Id of the resting order.
    pub order_id: OrderId,
}

/// Change the price and/or open quantity of a resting order.
///
/// `new_quantity` is the new *open* (unfilled) quantity, not the original
/// quantity. Priority rule (as on most exchanges): reducing the quantity at
/// the same price keeps time priority; changing the price or increasing the
/// quantity loses it, and the order re-enters at the back of the queue at its
/// new price, matching first if it now crosses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModifyOrder {
    /// Id of the resting order.
    pub order_id: OrderId,
    /// New limit price (may equal the current one).
    pub new_price: Price,
    /// New open quantity; must be positive (use a cancel to remove an order).
    pub new_quantity: i64,
}

/// One instruction to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// See [`NewOrder`].
    New(NewOrder),
    /// See [`CancelOrder`].
    Cancel(CancelOrder),
    /// See [`ModifyOrder`].
    Modify(ModifyOrder),
}

impl Command {
    /// The order the command is about.
    pub const fn order_id(&self) -> OrderId {
        match self {
            Command::New(order) => order.order_id,
            Command::Cancel(cancel) => cancel.order_id,
            Command::Modify(modify) => modify.order_id,
        }
    }

    /// Which kind of command this is (as reported in rejections).
    pub const fn kind(&self) -> CommandKind {
        match self {
            Command::New(_) => CommandKind::New,
            Command::Cancel(_) => CommandKind::Cancel,
            Command::Modify(_) => CommandKind::Modify,
        }
    }
}

/// The kind of a [`Command`], without its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    /// [`Command::New`].
    New,
    /// [`Command::Cancel`].
    Cancel,
    /// [`Command::Modify`].
    Modify,
}
