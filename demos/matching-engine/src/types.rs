//! Identifiers, sides, order types and the other small value types shared by
//! every module.

use core::fmt;

/// A price in integer price units (for example cents).
///
/// Signed so that malformed input (negative prices) can be represented and
/// rejected instead of silently wrapping.
pub type Price = i64;

/// A validated, strictly positive quantity as used inside the engine and in
/// events. Commands carry signed quantities so bad input can be rejected.
pub type Quantity = u64;

/// Client-chosen order identifier, unique among the engine's resting orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct OrderId(pub u64);

/// Identifier of an instrument configured when the engine is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SymbolId(pub u32);

/// Account that owns an order; the unit of self-trade prevention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct OwnerId(pub u32);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for SymbolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S{}", self.0)
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "A{}", self.0)
    }
}

/// Which side of the book an order is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Bid: wants to buy at or below its price.
    Buy,
    /// Ask: wants to sell at or above its price.
    Sell,
}

impl Side {
    /// The side this side trades against.
    #[inline]
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// How long the unfilled part of a limit order stays in the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Good till cancelled: the remainder rests in the book.
    Gtc,
    /// Immediate or cancel: fill what crosses now, cancel the rest.
    Ioc,
    /// Fill or kill: fill the whole quantity now or reject without trading.
    Fok,
}

/// Price instruction of a new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderType {
    /// Trade at `price` or better; what is left follows `time_in_force`.
    Limit {
        /// Limit price; must lie on the symbol's tick grid and inside its band.
        price: Price,
        /// What happens to the unfilled remainder.
        time_in_force: TimeInForce,
    },
    /// Trade at any price against resting liquidity; the unfilled remainder
    /// is cancelled (markets never rest).
    Market,
}

/// What happens when an incoming order would trade with a resting order of
/// the same owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SelfTradePrevention {
    /// Self trades are allowed and reported as ordinary fills.
    #[default]
    None,
    /// The resting order is cancelled and matching continues behind it.
    CancelResting,
    /// The incoming order's remainder is cancelled; the resting order stays.
    CancelIncoming,
    /// Both the resting order and the incoming remainder are cancelled.
    CancelBoth,
}
