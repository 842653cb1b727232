//! # matching-engine
//!
//! A deterministic limit-order-book matching engine for several symbols:
//! limit orders (GTC, IOC, FOK), market orders, cancels and modifies, with
//! price-time priority, partial fills, configurable self-trade prevention, an
//! event stream, and a compact binary wire format. It performs no I/O, uses
//! no clock, threads or randomness, and compiles for `wasm32-unknown-unknown`.
//!
//! ```
//! use matching_engine::*;
//!
//! let mut engine = Engine::new(EngineConfig {
//!     symbols: vec![SymbolConfig::new(SymbolId(1), 5, 100, 200)],
//!     max_resting_orders: 1024,
//!     self_trade_prevention: SelfTradePrevention::CancelIncoming,
//! })
//! .unwrap();
//! let mut events = Vec::new(); // reuse across commands: no allocation once warm
//! let limit = |id, side, price, quantity| Command::New(NewOrder {
//!     order_id: OrderId(id),
//!     symbol: SymbolId(1),
//!     owner: OwnerId(id as u32),
//!     side,
//!     order_type: OrderType::Limit { price, time_in_force: TimeInForce::Gtc },
//!     quantity,
//! });
//! engine.apply(&limit(1, Side::Sell, 150, 10), &mut events);
//! events.clear();
//! engine.apply(&limit(2, Side::Buy, 155, 4), &mut events);
//! assert!(events.iter().any(|event| matches!(
//!     event,
//!     Event::Fill { maker_order_id: OrderId(1), taker_order_id: OrderId(2), price: 150, quantity: 4, .. }
//! )));
//! assert_eq!(engine.best_ask(SymbolId(1)).unwrap().quantity, 6);
//! ```
//!
//! ## Data structures, chosen for latency
//!
//! - **Price levels are array slots.** Each symbol has a fixed band
//!   `[min_price, max_price]`; each side is a `Vec` with one level per tick in
//!   the band, indexed by `(price - min_price) / tick_size`. Finding a level
//!   is arithmetic, not a tree or hash lookup, and the memory is contiguous.
//! - **Orders live in a slab.** One preallocated `Vec` of fixed-size slots
//!   with a free list; levels are intrusive doubly-linked FIFOs of slot
//!   indices (`u32`, not pointers). Append, cancel and fill are O(1).
//! - **Id lookup is a preallocated open-addressing table** (linear probing,
//!   Fibonacci hashing, backward-shift deletion, load factor <= 1/2). It is
//!   probed, never iterated, and never resizes.
//! - **Best bid/ask are cached** per side; when the best level empties the
//!   next one is found through a bitset of non-empty levels, 64 levels per
//!   word.
//! - **Events go to a caller-provided [`EventSink`]** (for example a reused
//!   `Vec<Event>`), so [`Engine::apply`] allocates nothing.
//! - Everything is sized by [`EngineConfig`] in [`Engine::new`]: a GTC order
//!   that would need a slot when all are taken is rejected with
//!   [`RejectReason::BookFull`] rather than growing memory mid-session.
//!
//! ## Rules
//!
//! - Trades happen at the resting (maker) order's price; within a price the
//!   earliest order trades first.
//! - Modify: see [`ModifyOrder`]. Reducing quantity at the same price keeps
//!   time priority; a new price or a larger quantity sends the order to the
//!   back of the queue at its new price, where it may first trade if it
//!   crosses.
//! - Order ids must be unique among resting orders; an id may be reused once
//!   its order has left the book.
//! - New orders are validated in this order: symbol, quantity (positive, at
//!   most the maximum, lot multiple), price (tick, then band), duplicate id,
//!   capacity (GTC only), fill-or-kill liquidity.
//!
//! ## Modules
//!
//! - [`types`], [`config`], [`command`], [`event`]: the vocabulary.
//! - [`Engine`] (in `engine`, `view`, `invariants`): matching, read API, self-check.
//! - [`wire`]: binary encoding of commands and events.
//! - [`flow`]: seeded synthetic order flow.
//! - [`harness`]: the fuzzing entry point.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bitset;
mod book;
pub mod command;
pub mod config;
mod engine;
pub mod event;
pub mod flow;
pub mod harness;
mod index;
mod invariants;
mod slab;
pub mod types;
mod view;
pub mod wire;

pub use command::{CancelOrder, Command, CommandKind, ModifyOrder, NewOrder};
pub use config::{ConfigError, EngineConfig, SymbolConfig};
pub use engine::Engine;
pub use event::{CancelReason, CountingSink, Event, EventSink, RejectReason};
pub use invariants::InvariantViolation;
pub use types::{
    OrderId, OrderType, OwnerId, Price, Quantity, SelfTradePrevention, Side, SymbolId, TimeInForce,
};
pub use view::{DepthSnapshot, LevelOrders, LevelSummary, OrderView};
pub use wire::{DecodeError, Wire};
