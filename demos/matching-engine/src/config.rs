//! Up-front configuration: the symbols, their price grids and the capacity
//! that is preallocated when the engine is built.

use core::fmt;

use crate::types::{Price, SelfTradePrevention, SymbolId};

/// Most price levels one side of one symbol may have. Bounds the memory a
/// configuration can ask for (two `Vec<Level>` of this length per symbol).
pub const MAX_LEVELS_PER_SIDE: u64 = 1 << 22;

/// Largest `max_order_quantity` a symbol may configure. Keeping single orders
/// below 2^32 guarantees that a level's aggregate (at most 2^32 orders) can
/// never overflow a `u64`.
pub const MAX_ORDER_QUANTITY_LIMIT: i64 = u32::MAX as i64;

/// Most resting orders an engine may preallocate (slot indices are `u32`
/// with one value reserved as the list terminator).
pub const MAX_RESTING_ORDERS: usize = (u32::MAX - 1) as usize;

/// Static description of one tradable symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolConfig {
    /// Identifier used by commands and events.
    pub symbol: SymbolId,
    /// Distance between adjacent valid prices. Prices must be multiples of it.
    pub tick_size: Price,
    /// Lowest accepted limit price (inclusive, a multiple of `tick_size`).
    pub min_price: Price,
    /// Highest accepted limit price (inclusive, a multiple of `tick_size`).
    pub max_price: Price,
    /// Quantities must be multiples of this.
    pub lot_size: i64,
    /// Largest quantity a single order (or modify) may carry.
    pub max_order_quantity: i64,
}

impl SymbolConfig {
    /// A symbol with lot size 1 and the largest allowed order quantity.
    pub const fn new(
        symbol: SymbolId,
        tick_size: Price,
        min_price: Price,
        max_price: Price,
    ) -> Self {
        SymbolConfig {
            symbol,
            tick_size,
            min_price,
            max_price,
            lot_size: 1,
            max_order_quantity: MAX_ORDER_QUANTITY_LIMIT,
        }
    }

    /// Number of price levels per side (valid prices in the band).
    ///
    /// Only meaningful for a configuration that passed [`SymbolConfig::validate`].
    pub fn level_count(&self) -> u64 {
        ((self.max_price - self.min_price) / self.tick_size) as u64 + 1
    }

    /// Checks the configuration is internally consistent.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let symbol = self.symbol;
        if self.tick_size <= 0 {
            return Err(ConfigError::NonPositiveTickSize(symbol));
        }
        if self.min_price % self.tick_size != 0 || self.max_price % self.tick_size != 0 {
            return Err(ConfigError::BandNotOnTick(symbol));
        }
        if self.min_price > self.max_price {
            return Err(ConfigError::EmptyBand(symbol));
        }
        // i128 so that extreme bands cannot overflow while being measured.
        let levels = (self.max_price as i128 - self.min_price as i128) / self.tick_size as i128 + 1;
        if levels > MAX_LEVELS_PER_SIDE as i128 {
            return Err(ConfigError::TooManyLevels(symbol));
        }
        if self.lot_size <= 0 {
            return Err(ConfigError::NonPositiveLotSize(symbol));
        }
        if self.max_order_quantity < self.lot_size
            || self.max_order_quantity > MAX_ORDER_QUANTITY_LIMIT
        {
            return Err(ConfigError::InvalidMaxOrderQuantity(symbol));
        }
        Ok(())
    }
}

/// Everything [`crate::Engine::new`] needs; all memory is sized from this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// The tradable symbols; ids must be unique.
    pub symbols: Vec<SymbolConfig>,
    /// Capacity of the resting-order slab and id index, shared by all symbols.
    pub max_resting_orders: usize,
    /// Self-trade prevention policy applied to every match.
    pub self_trade_prevention: SelfTradePrevention,
}

impl EngineConfig {
    /// Checks every symbol and the capacity.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.symbols.is_empty() {
            return Err(ConfigError::NoSymbols);
        }
        if self.max_resting_orders == 0 || self.max_resting_orders > MAX_RESTING_ORDERS {
            return Err(ConfigError::InvalidCapacity);
        }
        for (position, symbol) in self.symbols.iter().enumerate() {
            symbol.validate()?;
            if self.symbols[..position]
                .iter()
                .any(|other| other.symbol == symbol.symbol)
            {
                return Err(ConfigError::DuplicateSymbol(symbol.symbol));
            }
        }
        Ok(())
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// The symbol list is empty.
    NoSymbols,
    /// Two symbols share an id.
    DuplicateSymbol(SymbolId),
    /// `tick_size` is zero or negative.
    NonPositiveTickSize(SymbolId),
    /// `min_price` or `max_price` is not a multiple of `tick_size`.
    BandNotOnTick(SymbolId),
    /// `min_price > max_price`.
    EmptyBand(SymbolId),
    /// The band has more than [`MAX_LEVELS_PER_SIDE`] prices.
    TooManyLevels(SymbolId),
    /// `lot_size` is zero or negative.
    NonPositiveLotSize(SymbolId),
    /// `max_order_quantity` is below the lot size or above
    /// [`MAX_ORDER_QUANTITY_LIMIT`].
    InvalidMaxOrderQuantity(SymbolId),
    /// `max_resting_orders` is zero or above [`MAX_RESTING_ORDERS`].
    InvalidCapacity,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoSymbols => write!(f, "no symbols configured"),
            ConfigError::DuplicateSymbol(s) => write!(f, "symbol {s} configured twice"),
            ConfigError::NonPositiveTickSize(s) => write!(f, "{s}: tick size must be positive"),
            ConfigError::BandNotOnTick(s) => write!(f, "{s}: price band is not on the tick grid"),
            ConfigError::EmptyBand(s) => write!(f, "{s}: min price is above max price"),
            ConfigError::TooManyLevels(s) => write!(f, "{s}: price band has too many levels"),
            ConfigError::NonPositiveLotSize(s) => write!(f, "{s}: lot size must be positive"),
            ConfigError::InvalidMaxOrderQuantity(s) => {
                write!(f, "{s}: max order quantity out of range")
            }
            ConfigError::InvalidCapacity => write!(f, "resting-order capacity out of range"),
        }
    }
}

impl std::error::Error for ConfigError {}
