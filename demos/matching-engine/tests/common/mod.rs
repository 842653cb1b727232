//! Builders shared by the integration tests.
#![allow(dead_code)]

use matching_engine::*;

/// Symbol 1: tick 5, band 100..=200, lot 1, max quantity 1000.
pub const SYM: SymbolId = SymbolId(1);
/// Symbol 2: tick 1, band 0..=50, lot 10.
pub const LOT_SYM: SymbolId = SymbolId(2);

pub fn config(self_trade_prevention: SelfTradePrevention) -> EngineConfig {
    EngineConfig {
        symbols: vec![
            SymbolConfig {
                max_order_quantity: 1_000,
                ..SymbolConfig::new(SYM, 5, 100, 200)
            },
            SymbolConfig {
                lot_size: 10,
                ..SymbolConfig::new(LOT_SYM, 1, 0, 50)
            },
        ],
        max_resting_orders: 64,
        self_trade_prevention,
    }
}

pub fn engine() -> Engine {
    engine_with(SelfTradePrevention::None)
}

pub fn engine_with(self_trade_prevention: SelfTradePrevention) -> Engine {
    Engine::new(config(self_trade_prevention)).unwrap()
}

/// Order ids double as owner ids unless a test says otherwise, so that
/// self-trade prevention never triggers by accident.
pub fn limit(
    id: u64,
    side: Side,
    price: Price,
    quantity: i64,
    time_in_force: TimeInForce,
) -> Command {
    limit_for(id, id as u32, side, price, quantity, time_in_force)
}

pub fn limit_for(
    id: u64,
    owner: u32,
    side: Side,
    price: Price,
    quantity: i64,
    time_in_force: TimeInForce,
) -> Command {
    Command::New(NewOrder {
        order_id: OrderId(id),
        symbol: SYM,
        owner: OwnerId(owner),
        side,
        order_type: OrderType::Limit {
            price,
            time_in_force,
        },
        quantity,
    })
}

pub fn gtc(id: u64, side: Side, price: Price, quantity: i64) -> Command {
    limit(id, side, price, quantity, TimeInForce::Gtc)
}

pub fn market(id: u64, side: Side, quantity: i64) -> Command {
    Command::New(NewOrder {
        order_id: OrderId(id),
        symbol: SYM,
        owner: OwnerId(id as u32),
        side,
        order_type: OrderType::Market,
        quantity,
    })
}

pub fn cancel(id: u64) -> Command {
    Command::Cancel(CancelOrder {
        order_id: OrderId(id),
    })
}

pub fn modify(id: u64, new_price: Price, new_quantity: i64) -> Command {
    Command::Modify(ModifyOrder {
        order_id: OrderId(id),
        new_price,
        new_quantity,
    })
}

/// Applies one command and returns its events.
pub fn apply(engine: &mut Engine, command: Command) -> Vec<Event> {
    let mut events = Vec::new();
    engine.apply(&command, &mut events);
    engine.check_invariants().unwrap();
    events
}

/// Applies several commands, discarding events.
pub fn apply_all(engine: &mut Engine, commands: impl IntoIterator<Item = Command>) {
    for command in commands {
        apply(engine, command);
    }
}

/// `(maker, taker, price, quantity)` of every fill.
pub fn fills(events: &[Event]) -> Vec<(u64, u64, Price, u64)> {
    events
        .iter()
        .filter_map(|event| match *event {
            Event::Fill {
                maker_order_id,
                taker_order_id,
                price,
                quantity,
                ..
            } => Some((maker_order_id.0, taker_order_id.0, price, quantity)),
            _ => None,
        })
        .collect()
}

/// `(order, quantity, reason)` of every cancel.
pub fn cancels(events: &[Event]) -> Vec<(u64, u64, CancelReason)> {
    events
        .iter()
        .filter_map(|event| match *event {
            Event::Cancelled {
                order_id,
                quantity,
                reason,
                ..
            } => Some((order_id.0, quantity, reason)),
            _ => None,
        })
        .collect()
}

/// Ids of the orders queued at a level, front first.
pub fn queue(engine: &Engine, side: Side, price: Price) -> Vec<u64> {
    engine
        .level_orders(SYM, side, price)
        .map(|order| order.order_id.0)
        .collect()
}

/// Everything observable about the book, to prove a command changed nothing.
pub fn fingerprint(engine: &Engine) -> String {
    let mut out = String::new();
    for symbol in [SYM, LOT_SYM] {
        let depth = engine.depth(symbol, usize::MAX).unwrap();
        out += &format!("{depth:?}\n");
        for level in depth
            .bids
            .iter()
            .map(|l| (Side::Buy, l.price))
            .chain(depth.asks.iter().map(|l| (Side::Sell, l.price)))
        {
            let orders: Vec<_> = engine.level_orders(symbol, level.0, level.1).collect();
            out += &format!("{orders:?}\n");
        }
    }
    out
}
