//! The matching engine: validation, price-time matching, self-trade
//! prevention, cancels and modifies.

use crate::book::{Book, BookSide};
use crate::command::{CancelOrder, Command, CommandKind, ModifyOrder, NewOrder};
use crate::config::{ConfigError, EngineConfig};
use crate::event::{CancelReason, Event, EventSink, RejectReason};
use crate::index::OrderIndex;
use crate::slab::{OrderSlab, OrderSlot};
use crate::types::{
    OrderId, OrderType, OwnerId, Quantity, SelfTradePrevention, Side, SymbolId, TimeInForce,
};

/// A multi-symbol limit order book with price-time priority.
///
/// All memory (price levels for every symbol's band, the order slab and the
/// id index) is allocated by [`Engine::new`]; [`Engine::apply`] never
/// allocates, hashes-and-iterates, or does I/O. The engine is fully
/// deterministic: the same commands always produce the same events.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) books: Vec<Book>,
    /// `(symbol, book index)` sorted by symbol for binary search.
    symbol_lookup: Vec<(SymbolId, u32)>,
    pub(crate) slab: OrderSlab,
    pub(crate) index: OrderIndex,
    self_trade_prevention: SelfTradePrevention,
    /// Source of time-priority stamps.
    next_sequence: u64,
}

/// The order currently looking for liquidity: a new order or a modified one.
struct Taker {
    order_id: OrderId,
    owner: OwnerId,
    side: Side,
    /// Worst acceptable level; `None` for market orders.
    limit_tick: Option<u32>,
    remaining: Quantity,
}

/// How matching ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchEnd {
    /// Filled, or no more crossing liquidity.
    Exhausted,
    /// Self-trade prevention cancelled the taker's remainder.
    SelfTradeStop,
}

/// Split borrows of the engine used while matching, so that the book of one
/// symbol, the slab and the index can be mutated together.
struct Matcher<'a, S: EventSink + ?Sized> {
    book: &'a mut Book,
    slab: &'a mut OrderSlab,
    index: &'a mut OrderIndex,
    self_trade_prevention: SelfTradePrevention,
    sink: &'a mut S,
}

impl Engine {
    /// Builds an engine, preallocating everything the configuration asks for.
    pub fn new(config: EngineConfig) -> Result<Engine, ConfigError> {
        config.validate()?;
        let books: Vec<Book> = config.symbols.iter().copied().map(Book::new).collect();
        let mut symbol_lookup: Vec<(SymbolId, u32)> = books
            .iter()
            .enumerate()
            .map(|(position, book)| (book.config.symbol, position as u32))
            .collect();
        symbol_lookup.sort_unstable();
        Ok(Engine {
            books,
            symbol_lookup,
            slab: OrderSlab::with_capacity(config.max_resting_orders),
            index: OrderIndex::with_capacity(config.max_resting_orders),
            self_trade_prevention: config.self_trade_prevention,
            next_sequence: 0,
        })
    }

    /// The self-trade prevention policy in force.
    pub fn self_trade_prevention(&self) -> SelfTradePrevention {
        self.self_trade_prevention
    }

    /// Processes one command, emitting its events into `sink` in order.
    ///
    /// Invalid commands produce a single [`Event::Rejected`] and change
    /// nothing. See [`Event`] for the order of events.
    #[inline]
    pub fn apply<S: EventSink + ?Sized>(&mut self, command: &Command, sink: &mut S) {
        match command {
            Command::New(order) => self.submit(order, sink),
            Command::Cancel(cancel) => self.cancel(cancel, sink),
            Command::Modify(modify) => self.modify(modify, sink),
        }
    }

    #[inline]
    pub(crate) fn book_index(&self, symbol: SymbolId) -> Option<usize> {
        self.symbol_lookup
            .binary_search_by_key(&symbol, |&(id, _)| id)
            .ok()
            .map(|position| self.symbol_lookup[position].1 as usize)
    }

    fn submit<S: EventSink + ?Sized>(&mut self, order: &NewOrder, sink: &mut S) {
        let reject = |sink: &mut S, reason| {
            sink.emit(Event::Rejected {
                order_id: order.order_id,
                command: CommandKind::New,
                reason,
            })
        };
        let Some(book_index) = self.book_index(order.symbol) else {
            return reject(sink, RejectReason::UnknownSymbol);
        };
        let book = &self.books[book_index];
        let quantity = match book.quantity_of(order.quantity) {
            Ok(quantity) => quantity,
            Err(reason) => return reject(sink, reason),
        };
        let (limit_tick, time_in_force) = match order.order_type {
            OrderType::Limit {
                price,
                time_in_force,
            } => match book.tick_of(price) {
                Ok(tick) => (Some(tick), Some(time_in_force)),
                Err(reason) => return reject(sink, reason),
            },
            OrderType::Market => (None, None),
        };
        if self.index.get(order.order_id).is_some() {
            return reject(sink, RejectReason::DuplicateOrderId);
        }
        // Checked before matching so that the outcome never depends on
        // whether the order would have fully filled.
        if time_in_force == Some(TimeInForce::Gtc) && self.slab.is_full() {
            return reject(sink, RejectReason::BookFull);
        }
        let mut taker = Taker {
            order_id: order.order_id,
            owner: order.owner,
            side: order.side,
            limit_tick,
            remaining: quantity,
        };
        if time_in_force == Some(TimeInForce::Fok)
            && !can_fill_completely(book, &self.slab, self.self_trade_prevention, &taker)
        {
            return reject(sink, RejectReason::FokNotFillable);
        }

        sink.emit(Event::Accepted {
            order_id: order.order_id,
            symbol: order.symbol,
            owner: order.owner,
            side: order.side,
            order_type: order.order_type,
            quantity,
        });
        let end = self.matcher(book_index, sink).match_taker(&mut taker);
        if taker.remaining == 0 {
            return;
        }
        let reason = match (end, time_in_force) {
            (MatchEnd::SelfTradeStop, _) => CancelReason::SelfTradePrevention,
            (MatchEnd::Exhausted, Some(TimeInForce::Gtc)) => {
                let limit_tick = limit_tick.expect("GTC orders are limit orders");
                let sequence = self.take_sequence();
                let slot = self
                    .slab
                    .allocate(OrderSlot {
                        order_id: taker.order_id,
                        remaining: taker.remaining,
                        sequence,
                        owner: taker.owner,
                        book: book_index as u32,
                        tick: limit_tick,
                        prev: 0,
                        next: 0,
                        side: taker.side,
                    })
                    .expect("capacity checked before matching");
                self.index.insert(taker.order_id, slot);
                self.matcher(book_index, sink).rest(slot);
                return;
            }
            // A FOK remainder cannot occur (fillability was checked), but if
            // it did, never letting it rest is the safe outcome.
            (MatchEnd::Exhausted, Some(TimeInForce::Ioc | TimeInForce::Fok)) => {
                CancelReason::IocRemainder
            }
            (MatchEnd::Exhausted, None) => CancelReason::MarketRemainder,
        };
        sink.emit(Event::Cancelled {
            order_id: taker.order_id,
            symbol: order.symbol,
            side: taker.side,
            quantity: taker.remaining,
            reason,
        });
    }

    fn cancel<S: EventSink + ?Sized>(&mut self, cancel: &CancelOrder, sink: &mut S) {
        let Some(slot) = self.index.get(cancel.order_id) else {
            return sink.emit(Event::Rejected {
                order_id: cancel.order_id,
                command: CommandKind::Cancel,
                reason: RejectReason::UnknownOrderId,
            });
        };
        let book_index = self.slab.get(slot).book as usize;
        let mut matcher = self.matcher(book_index, sink);
        let tick = matcher.slab.get(slot).tick;
        let side = matcher.slab.get(slot).side;
        matcher.remove_resting(slot, CancelReason::UserRequested);
        matcher.emit_level(side, tick);
    }

    /// Applies the modify priority rule documented on [`ModifyOrder`].
    fn modify<S: EventSink + ?Sized>(&mut self, modify: &ModifyOrder, sink: &mut S) {
        let reject = |sink: &mut S, reason| {
            sink.emit(Event::Rejected {
                order_id: modify.order_id,
                command: CommandKind::Modify,
                reason,
            })
        };
        let Some(slot_index) = self.index.get(modify.order_id) else {
            return reject(sink, RejectReason::UnknownOrderId);
        };
        let slot = *self.slab.get(slot_index);
        let book_index = slot.book as usize;
        let book = &self.books[book_index];
        let quantity = match book.quantity_of(modify.new_quantity) {
            Ok(quantity) => quantity,
            Err(reason) => return reject(sink, reason),
        };
        let new_tick = match book.tick_of(modify.new_price) {
            Ok(tick) => tick,
            Err(reason) => return reject(sink, reason),
        };
        let symbol = book.config.symbol;

        if new_tick == slot.tick && quantity <= slot.remaining {
            // Same price, not larger: shrink in place and keep the queue spot.
            let reduction = slot.remaining - quantity;
            self.slab.get_mut(slot_index).remaining = quantity;
            sink.emit(Event::Modified {
                order_id: modify.order_id,
                symbol,
                side: slot.side,
                price: modify.new_price,
                quantity,
                priority_kept: true,
            });
            if reduction > 0 {
                let mut matcher = self.matcher(book_index, sink);
                matcher.book.side_mut(slot.side).levels[slot.tick as usize].quantity -= reduction;
                matcher.emit_level(slot.side, slot.tick);
            }
            return;
        }

        // Loses priority: leave the queue, then behave like a new GTC order
        // arriving at the new price (the slot and id stay reserved meanwhile).
        sink.emit(Event::Modified {
            order_id: modify.order_id,
            symbol,
            side: slot.side,
            price: modify.new_price,
            quantity,
            priority_kept: false,
        });
        let mut matcher = self.matcher(book_index, sink);
        matcher
            .book
            .side_mut(slot.side)
            .unlink(slot_index, matcher.slab);
        matcher.emit_level(slot.side, slot.tick);
        let mut taker = Taker {
            order_id: modify.order_id,
            owner: slot.owner,
            side: slot.side,
            limit_tick: Some(new_tick),
            remaining: quantity,
        };
        let end = matcher.match_taker(&mut taker);
        if end == MatchEnd::Exhausted && taker.remaining > 0 {
            let sequence = self.take_sequence();
            let resting = self.slab.get_mut(slot_index);
            resting.tick = new_tick;
            resting.remaining = taker.remaining;
            resting.sequence = sequence;
            self.matcher(book_index, sink).rest(slot_index);
            return;
        }
        if end == MatchEnd::SelfTradeStop {
            sink.emit(Event::Cancelled {
                order_id: modify.order_id,
                symbol,
                side: slot.side,
                quantity: taker.remaining,
                reason: CancelReason::SelfTradePrevention,
            });
        }
        self.slab.release(slot_index);
        self.index.remove(modify.order_id);
    }

    #[inline]
    fn take_sequence(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }

    #[inline]
    fn matcher<'a, S: EventSink + ?Sized>(
        &'a mut self,
        book_index: usize,
        sink: &'a mut S,
    ) -> Matcher<'a, S> {
        Matcher {
            book: &mut self.books[book_index],
            slab: &mut self.slab,
            index: &mut self.index,
            self_trade_prevention: self.self_trade_prevention,
            sink,
        }
    }
}

impl<S: EventSink + ?Sized> Matcher<'_, S> {
    /// Trades `taker` against the opposite side, best level first and in
    /// queue order within a level, until it is filled, stops crossing, or
    /// self-trade prevention stops it.
    #[inline]
    fn match_taker(&mut self, taker: &mut Taker) -> MatchEnd {
        let maker_side = taker.side.opposite();
        while taker.remaining > 0 {
            let Some(tick) = self.book.side(maker_side).best_tick() else {
                break;
            };
            if !crosses(taker, tick) {
                break;
            }
            let (stopped, touched) = self.match_level(taker, maker_side, tick);
            if touched {
                self.emit_level(maker_side, tick);
            }
            if stopped {
                return MatchEnd::SelfTradeStop;
            }
        }
        MatchEnd::Exhausted
    }

    /// Matches against one level. Returns (self-trade stop, level changed).
    #[inline]
    fn match_level(&mut self, taker: &mut Taker, maker_side: Side, tick: u32) -> (bool, bool) {
        let price = self.book.price_of(tick);
        let symbol = self.book.config.symbol;
        let mut touched = false;
        let mut cursor = self.book.side(maker_side).levels[tick as usize].head;
        while taker.remaining > 0 && cursor != crate::slab::NIL {
            let maker = *self.slab.get(cursor);
            let next = maker.next;
            if self.self_trade_prevention != SelfTradePrevention::None && maker.owner == taker.owner
            {
                let stp = self.self_trade_prevention;
                if matches!(
                    stp,
                    SelfTradePrevention::CancelResting | SelfTradePrevention::CancelBoth
                ) {
                    self.remove_resting(cursor, CancelReason::SelfTradePrevention);
                    touched = true;
                }
                if matches!(
                    stp,
                    SelfTradePrevention::CancelIncoming | SelfTradePrevention::CancelBoth
                ) {
                    return (true, touched);
                }
                cursor = next;
                continue;
            }

            let traded = taker.remaining.min(maker.remaining);
            taker.remaining -= traded;
            let maker_remaining = maker.remaining - traded;
            self.sink.emit(Event::Fill {
                symbol,
                maker_order_id: maker.order_id,
                taker_order_id: taker.order_id,
                taker_side: taker.side,
                price,
                quantity: traded,
                maker_remaining,
                taker_remaining: taker.remaining,
            });
            touched = true;
            if maker_remaining == 0 {
                self.book.side_mut(maker_side).unlink(cursor, self.slab);
                self.slab.release(cursor);
                self.index.remove(maker.order_id);
            } else {
                self.slab.get_mut(cursor).remaining = maker_remaining;
                self.book.side_mut(maker_side).levels[tick as usize].quantity -= traded;
            }
            cursor = next;
        }
        (false, touched)
    }

    /// Cancels a resting order: event, unlink, free. The caller reports the
    /// level (once, after all changes to it).
    #[inline]
    fn remove_resting(&mut self, slot_index: u32, reason: CancelReason) {
        let slot = *self.slab.get(slot_index);
        self.sink.emit(Event::Cancelled {
            order_id: slot.order_id,
            symbol: self.book.config.symbol,
            side: slot.side,
            quantity: slot.remaining,
            reason,
        });
        self.book.side_mut(slot.side).unlink(slot_index, self.slab);
        self.slab.release(slot_index);
        self.index.remove(slot.order_id);
    }

    /// Queues a prepared slot at the back of its level and reports the level.
    #[inline]
    fn rest(&mut self, slot_index: u32) {
        let slot = *self.slab.get(slot_index);
        self.book
            .side_mut(slot.side)
            .push_back(slot_index, self.slab);
        self.emit_level(slot.side, slot.tick);
    }

    #[inline]
    fn emit_level(&mut self, side: Side, tick: u32) {
        let level = self.book.side(side).levels[tick as usize];
        self.sink.emit(Event::BookUpdate {
            symbol: self.book.config.symbol,
            side,
            price: self.book.price_of(tick),
            quantity: level.quantity,
            order_count: level.order_count,
        });
    }
}

/// Whether a taker may trade at level `tick` of the opposite side.
#[inline]
fn crosses(taker: &Taker, tick: u32) -> bool {
    match (taker.limit_tick, taker.side) {
        (None, _) => true,
        (Some(limit), Side::Buy) => tick <= limit,
        (Some(limit), Side::Sell) => tick >= limit,
    }
}

/// Fill-or-kill pre-check: would matching fill `taker` completely?
///
/// Mirrors `match_taker` without mutating: with self-trade prevention on,
/// own orders either vanish (`CancelResting`) or end matching (other modes).
fn can_fill_completely(
    book: &Book,
    slab: &OrderSlab,
    self_trade_prevention: SelfTradePrevention,
    taker: &Taker,
) -> bool {
    let makers: &BookSide = book.side(taker.side.opposite());
    let mut available: Quantity = 0;
    let mut level_tick = makers.best_tick();
    while let Some(tick) = level_tick {
        if !crosses(taker, tick) {
            return false;
        }
        let level = &makers.levels[tick as usize];
        if self_trade_prevention == SelfTradePrevention::None {
            available += level.quantity;
        } else {
            let mut cursor = level.head;
            while cursor != crate::slab::NIL {
                let maker = slab.get(cursor);
                if maker.owner == taker.owner {
                    if self_trade_prevention != SelfTradePrevention::CancelResting {
                        return false;
                    }
                } else {
                    available += maker.remaining;
                    if available >= taker.remaining {
                        return true;
                    }
                }
                cursor = maker.next;
            }
        }
        if available >= taker.remaining {
            return true;
        }
        level_tick = makers.next_worse(tick);
    }
    false
}
