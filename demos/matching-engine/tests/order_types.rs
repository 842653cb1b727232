//! Behaviour of each order type, cancels, and price-time priority.

mod common;

use common::*;
use matching_engine::*;

#[test]
fn gtc_limit_rests_and_reports_accepted_then_book_update() {
    let mut engine = engine();
    let events = apply(&mut engine, gtc(1, Side::Buy, 150, 10));
    assert_eq!(
        events,
        vec![
            Event::Accepted {
                order_id: OrderId(1),
                symbol: SYM,
                owner: OwnerId(1),
                side: Side::Buy,
                order_type: OrderType::Limit {
                    price: 150,
                    time_in_force: TimeInForce::Gtc
                },
                quantity: 10,
            },
            Event::BookUpdate {
                symbol: SYM,
                side: Side::Buy,
                price: 150,
                quantity: 10,
                order_count: 1
            },
        ]
    );
    assert_eq!(
        engine.best_bid(SYM),
        Some(LevelSummary {
            price: 150,
            quantity: 10,
            order_count: 1
        })
    );
    assert_eq!(engine.best_ask(SYM), None);
    let order = engine.order(OrderId(1)).unwrap();
    assert_eq!(
        (order.price, order.remaining, order.side),
        (150, 10, Side::Buy)
    );
}

#[test]
fn gtc_limit_partially_fills_at_maker_price_then_rests_remainder() {
    let mut engine = engine();
    apply(&mut engine, gtc(1, Side::Sell, 150, 4));
    let events = apply(&mut engine, gtc(2, Side::Buy, 160, 10));
    assert_eq!(fills(&events), vec![(1, 2, 150, 4)]);
    assert!(events.contains(&Event::Fill {
        symbol: SYM,
        maker_order_id: OrderId(1),
        taker_order_id: OrderId(2),
        taker_side: Side::Buy,
        price: 150,
        quantity: 4,
        maker_remaining: 0,
        taker_remaining: 6,
    }));
    assert_eq!(engine.best_ask(SYM), None);
    assert_eq!(engine.best_bid(SYM).unwrap().price, 160);
    assert_eq!(engine.order(OrderId(2)).unwrap().remaining, 6);
    assert_eq!(
        engine.order(OrderId(1)),
        None,
        "filled maker leaves the book"
    );
    // The emptied ask level is reported before the taker rests.
    let updates: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, Event::BookUpdate { .. }))
        .collect();
    assert_eq!(updates.len(), 2);
    assert!(matches!(
        updates[0],
        Event::BookUpdate {
            side: Side::Sell,
            price: 150,
            quantity: 0,
            order_count: 0,
            ..
        }
    ));
    assert!(matches!(
        updates[1],
        Event::BookUpdate {
            side: Side::Buy,
            price: 160,
            quantity: 6,
            order_count: 1,
            ..
        }
    ));
}

#[test]
fn non_crossing_limit_does_not_trade() {
    let mut engine = engine();
    apply(&mut engine, gtc(1, Side::Sell, 150, 4));
    let events = apply(&mut engine, gtc(2, Side::Buy, 145, 4));
    assert!(fills(&events).is_empty());
    assert_eq!(engine.best_bid(SYM).unwrap().price, 145);
    assert_eq!(engine.best_ask(SYM).unwrap().price, 150);
}

#[test]
fn ioc_fills_what_crosses_and_cancels_the_rest() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [gtc(1, Side::Sell, 150, 3), gtc(2, Side::Sell, 160, 3)],
    );
    let events = apply(&mut engine, limit(3, Side::Buy, 155, 10, TimeInForce::Ioc));
    assert_eq!(fills(&events), vec![(1, 3, 150, 3)]);
    assert_eq!(cancels(&events), vec![(3, 7, CancelReason::IocRemainder)]);
    assert_eq!(engine.order(OrderId(3)), None, "IOC never rests");
    assert_eq!(engine.best_bid(SYM), None);
    assert_eq!(engine.best_ask(SYM).unwrap().price, 160);
}

#[test]
fn ioc_without_liquidity_is_accepted_then_cancelled_whole() {
    let mut engine = engine();
    let events = apply(&mut engine, limit(1, Side::Sell, 150, 5, TimeInForce::Ioc));
    assert!(matches!(events[0], Event::Accepted { .. }));
    assert_eq!(cancels(&events), vec![(1, 5, CancelReason::IocRemainder)]);
    assert_eq!(engine.resting_order_count(), 0);
}

#[test]
fn fok_fills_completely_across_levels() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [
            gtc(1, Side::Sell, 150, 3),
            gtc(2, Side::Sell, 155, 3),
            gtc(3, Side::Sell, 160, 3),
        ],
    );
    let events = apply(&mut engine, limit(4, Side::Buy, 160, 7, TimeInForce::Fok));
    assert_eq!(
        fills(&events),
        vec![(1, 4, 150, 3), (2, 4, 155, 3), (3, 4, 160, 1)]
    );
    assert!(cancels(&events).is_empty());
    assert_eq!(engine.order(OrderId(3)).unwrap().remaining, 2);
}

#[test]
fn fok_exactly_fillable_at_limit_fills() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [gtc(1, Side::Buy, 150, 3), gtc(2, Side::Buy, 145, 3)],
    );
    let events = apply(&mut engine, limit(3, Side::Sell, 145, 6, TimeInForce::Fok));
    assert_eq!(fills(&events), vec![(1, 3, 150, 3), (2, 3, 145, 3)]);
    assert_eq!(engine.resting_order_count(), 0);
}

#[test]
fn market_order_sweeps_levels_and_cancels_unfilled_remainder() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [
            gtc(1, Side::Buy, 150, 2),
            gtc(2, Side::Buy, 120, 2),
            gtc(3, Side::Buy, 100, 2),
        ],
    );
    let events = apply(&mut engine, market(4, Side::Sell, 10));
    assert_eq!(
        fills(&events),
        vec![(1, 4, 150, 2), (2, 4, 120, 2), (3, 4, 100, 2)]
    );
    assert_eq!(
        cancels(&events),
        vec![(4, 4, CancelReason::MarketRemainder)]
    );
    assert_eq!(engine.best_bid(SYM), None);
    assert!(matches!(
        events[0],
        Event::Accepted {
            order_type: OrderType::Market,
            quantity: 10,
            ..
        }
    ));
}

#[test]
fn market_order_on_empty_book_is_cancelled() {
    let mut engine = engine();
    let events = apply(&mut engine, market(1, Side::Buy, 5));
    assert_eq!(
        cancels(&events),
        vec![(1, 5, CancelReason::MarketRemainder)]
    );
}

#[test]
fn market_order_fully_filled_emits_no_cancel() {
    let mut engine = engine();
    apply(&mut engine, gtc(1, Side::Sell, 200, 9));
    let events = apply(&mut engine, market(2, Side::Buy, 5));
    assert_eq!(fills(&events), vec![(1, 2, 200, 5)]);
    assert!(cancels(&events).is_empty());
    assert_eq!(engine.best_ask(SYM).unwrap().quantity, 4);
}

#[test]
fn cancel_removes_order_and_reports_level() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [gtc(1, Side::Buy, 150, 5), gtc(2, Side::Buy, 150, 7)],
    );
    let events = apply(&mut engine, cancel(1));
    assert_eq!(
        events,
        vec![
            Event::Cancelled {
                order_id: OrderId(1),
                symbol: SYM,
                side: Side::Buy,
                quantity: 5,
                reason: CancelReason::UserRequested
            },
            Event::BookUpdate {
                symbol: SYM,
                side: Side::Buy,
                price: 150,
                quantity: 7,
                order_count: 1
            },
        ]
    );
    assert_eq!(queue(&engine, Side::Buy, 150), vec![2]);
    // A cancelled id is gone: cancelling again is rejected.
    let again = apply(&mut engine, cancel(1));
    assert!(matches!(
        again[..],
        [Event::Rejected {
            reason: RejectReason::UnknownOrderId,
            command: CommandKind::Cancel,
            ..
        }]
    ));
}

#[test]
fn cancelling_best_level_moves_best_price() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [gtc(1, Side::Sell, 150, 1), gtc(2, Side::Sell, 190, 1)],
    );
    apply(&mut engine, cancel(1));
    assert_eq!(engine.best_ask(SYM).unwrap().price, 190);
    apply(&mut engine, cancel(2));
    assert_eq!(engine.best_ask(SYM), None);
}

#[test]
fn same_price_orders_fill_in_arrival_order() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [
            gtc(1, Side::Sell, 150, 2),
            gtc(2, Side::Sell, 150, 2),
            gtc(3, Side::Sell, 150, 2),
        ],
    );
    assert_eq!(queue(&engine, Side::Sell, 150), vec![1, 2, 3]);
    let events = apply(&mut engine, gtc(4, Side::Buy, 150, 5));
    assert_eq!(
        fills(&events),
        vec![(1, 4, 150, 2), (2, 4, 150, 2), (3, 4, 150, 1)]
    );
    assert_eq!(queue(&engine, Side::Sell, 150), vec![3]);
    // One BookUpdate for the level after all its fills.
    let updates = events
        .iter()
        .filter(|e| matches!(e, Event::BookUpdate { .. }))
        .count();
    assert_eq!(updates, 1);
}

#[test]
fn better_price_fills_before_earlier_worse_price() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [gtc(1, Side::Buy, 140, 2), gtc(2, Side::Buy, 150, 2)],
    );
    let events = apply(&mut engine, gtc(3, Side::Sell, 140, 3));
    assert_eq!(fills(&events), vec![(2, 3, 150, 2), (1, 3, 140, 1)]);
}

#[test]
fn depth_snapshot_lists_best_levels_first_with_counts() {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [
            gtc(1, Side::Buy, 140, 2),
            gtc(2, Side::Buy, 150, 2),
            gtc(3, Side::Buy, 150, 3),
            gtc(4, Side::Buy, 100, 1),
            gtc(5, Side::Sell, 160, 4),
            gtc(6, Side::Sell, 200, 1),
        ],
    );
    let depth = engine.depth(SYM, 2).unwrap();
    assert_eq!(depth.symbol, SYM);
    assert_eq!(
        depth.bids,
        vec![
            LevelSummary {
                price: 150,
                quantity: 5,
                order_count: 2
            },
            LevelSummary {
                price: 140,
                quantity: 2,
                order_count: 1
            },
        ]
    );
    assert_eq!(
        depth.asks,
        vec![
            LevelSummary {
                price: 160,
                quantity: 4,
                order_count: 1
            },
            LevelSummary {
                price: 200,
                quantity: 1,
                order_count: 1
            },
        ]
    );
    assert_eq!(engine.depth(SYM, usize::MAX).unwrap().bids.len(), 3);
    assert_eq!(engine.depth(SymbolId(77), 5), None);
    let mut reused = DepthSnapshot::default();
    assert!(engine.depth_into(SYM, 1, &mut reused));
    assert_eq!(reused.bids.len(), 1);
    assert!(!engine.depth_into(SymbolId(77), 1, &mut reused));
    assert!(reused.bids.is_empty());
}

#[test]
fn symbols_are_independent_books() {
    let mut engine = engine();
    apply(&mut engine, gtc(1, Side::Sell, 150, 5));
    let other = Command::New(NewOrder {
        order_id: OrderId(2),
        symbol: LOT_SYM,
        owner: OwnerId(2),
        side: Side::Buy,
        order_type: OrderType::Limit {
            price: 50,
            time_in_force: TimeInForce::Gtc,
        },
        quantity: 20,
    });
    let events = apply(&mut engine, other);
    assert!(fills(&events).is_empty());
    assert_eq!(engine.best_bid(LOT_SYM).unwrap().quantity, 20);
    assert_eq!(engine.best_bid(SYM), None);
    assert_eq!(engine.order(OrderId(2)).unwrap().symbol, LOT_SYM);
}

#[test]
fn ids_can_be_reused_after_the_order_left_the_book() {
    let mut engine = engine();
    apply(&mut engine, gtc(1, Side::Sell, 150, 5));
    apply(&mut engine, cancel(1));
    let events = apply(&mut engine, gtc(1, Side::Sell, 155, 5));
    assert!(matches!(events[0], Event::Accepted { .. }));
    assert_eq!(engine.order(OrderId(1)).unwrap().price, 155);
}

#[test]
fn counting_sink_counts_without_storing() {
    let mut engine = engine();
    let mut sink = CountingSink::default();
    engine.apply(&gtc(1, Side::Sell, 150, 5), &mut sink);
    engine.apply(&gtc(2, Side::Buy, 150, 2), &mut sink);
    engine.apply(&cancel(99), &mut sink);
    assert_eq!(sink.fills, 1);
    assert_eq!(sink.rejects, 1);
    // accepted+update, accepted+fill+update, rejected
    assert_eq!(sink.events, 6);
}

#[test]
fn invalid_configurations_are_refused() {
    let good = config(SelfTradePrevention::None);
    assert!(Engine::new(good.clone()).is_ok());
    let with_symbol = |symbol: SymbolConfig| EngineConfig {
        symbols: vec![symbol],
        ..good.clone()
    };
    let base = SymbolConfig::new(SymbolId(9), 5, 100, 200);
    let cases = [
        (
            EngineConfig {
                symbols: vec![],
                ..good.clone()
            },
            ConfigError::NoSymbols,
        ),
        (
            EngineConfig {
                max_resting_orders: 0,
                ..good.clone()
            },
            ConfigError::InvalidCapacity,
        ),
        (
            EngineConfig {
                symbols: vec![base, base],
                ..good.clone()
            },
            ConfigError::DuplicateSymbol(SymbolId(9)),
        ),
        (
            with_symbol(SymbolConfig {
                tick_size: 0,
                ..base
            }),
            ConfigError::NonPositiveTickSize(SymbolId(9)),
        ),
        (
            with_symbol(SymbolConfig {
                min_price: 101,
                ..base
            }),
            ConfigError::BandNotOnTick(SymbolId(9)),
        ),
        (
            with_symbol(SymbolConfig {
                min_price: 300,
                ..base
            }),
            ConfigError::EmptyBand(SymbolId(9)),
        ),
        (
            with_symbol(SymbolConfig {
                min_price: 0,
                max_price: i64::MAX / 5 * 5,
                ..base
            }),
            ConfigError::TooManyLevels(SymbolId(9)),
        ),
        (
            with_symbol(SymbolConfig {
                lot_size: -1,
                ..base
            }),
            ConfigError::NonPositiveLotSize(SymbolId(9)),
        ),
        (
            with_symbol(SymbolConfig {
                max_order_quantity: i64::MAX,
                ..base
            }),
            ConfigError::InvalidMaxOrderQuantity(SymbolId(9)),
        ),
    ];
    for (config, expected) in cases {
        assert_eq!(Engine::new(config).unwrap_err(), expected);
    }
}
