//! Self-trade prevention modes.

mod common;

use common::*;
use matching_engine::*;

const OWNER: u32 = 7;

/// Asks at 150: own order 1 (3), then foreign order 2 (4); own order 3 at 155.
fn book(mode: SelfTradePrevention) -> Engine {
    let mut engine = engine_with(mode);
    apply_all(
        &mut engine,
        [
            limit_for(1, OWNER, Side::Sell, 150, 3, TimeInForce::Gtc),
            limit_for(2, 99, Side::Sell, 150, 4, TimeInForce::Gtc),
            limit_for(3, OWNER, Side::Sell, 155, 2, TimeInForce::Gtc),
        ],
    );
    engine
}

fn own_buy(id: u64, quantity: i64, time_in_force: TimeInForce) -> Command {
    limit_for(id, OWNER, Side::Buy, 155, quantity, time_in_force)
}

#[test]
fn none_lets_owners_trade_with_themselves() {
    let mut engine = book(SelfTradePrevention::None);
    let events = apply(&mut engine, own_buy(10, 5, TimeInForce::Gtc));
    assert_eq!(fills(&events), vec![(1, 10, 150, 3), (2, 10, 150, 2)]);
    assert!(cancels(&events).is_empty());
}

#[test]
fn cancel_resting_removes_own_orders_and_keeps_matching() {
    let mut engine = book(SelfTradePrevention::CancelResting);
    let events = apply(&mut engine, own_buy(10, 6, TimeInForce::Gtc));
    assert_eq!(fills(&events), vec![(2, 10, 150, 4)]);
    assert_eq!(
        cancels(&events),
        vec![
            (1, 3, CancelReason::SelfTradePrevention),
            (3, 2, CancelReason::SelfTradePrevention)
        ]
    );
    // Remainder rests; no own ask is left, so the book is not crossed.
    assert_eq!(engine.order(OrderId(10)).unwrap().remaining, 2);
    assert_eq!(engine.best_ask(SYM), None);
}

#[test]
fn cancel_incoming_stops_at_first_own_order_and_keeps_it() {
    let mut engine = book(SelfTradePrevention::CancelIncoming);
    let events = apply(&mut engine, own_buy(10, 6, TimeInForce::Gtc));
    assert!(fills(&events).is_empty(), "own order is first in the queue");
    assert_eq!(
        cancels(&events),
        vec![(10, 6, CancelReason::SelfTradePrevention)]
    );
    assert_eq!(queue(&engine, Side::Sell, 150), vec![1, 2]);
    assert_eq!(engine.order(OrderId(10)), None);
    assert!(
        !events.iter().any(|e| matches!(e, Event::BookUpdate { .. })),
        "no level changed"
    );
}

#[test]
fn cancel_incoming_after_partial_fill_cancels_only_the_remainder() {
    let mut engine = engine_with(SelfTradePrevention::CancelIncoming);
    apply_all(
        &mut engine,
        [
            limit_for(1, 99, Side::Sell, 150, 2, TimeInForce::Gtc),
            limit_for(2, OWNER, Side::Sell, 150, 2, TimeInForce::Gtc),
        ],
    );
    let events = apply(&mut engine, own_buy(10, 5, TimeInForce::Gtc));
    assert_eq!(fills(&events), vec![(1, 10, 150, 2)]);
    assert_eq!(
        cancels(&events),
        vec![(10, 3, CancelReason::SelfTradePrevention)]
    );
    assert_eq!(queue(&engine, Side::Sell, 150), vec![2]);
}

#[test]
fn cancel_both_removes_the_own_resting_order_and_the_incoming_remainder() {
    let mut engine = book(SelfTradePrevention::CancelBoth);
    let events = apply(&mut engine, own_buy(10, 6, TimeInForce::Gtc));
    assert!(fills(&events).is_empty());
    assert_eq!(
        cancels(&events),
        vec![
            (1, 3, CancelReason::SelfTradePrevention),
            (10, 6, CancelReason::SelfTradePrevention)
        ]
    );
    assert_eq!(queue(&engine, Side::Sell, 150), vec![2]);
    assert_eq!(
        engine.order(OrderId(3)).unwrap().remaining,
        2,
        "deeper own order untouched"
    );
}

#[test]
fn different_owners_are_unaffected_by_any_mode() {
    for mode in [
        SelfTradePrevention::CancelResting,
        SelfTradePrevention::CancelIncoming,
        SelfTradePrevention::CancelBoth,
    ] {
        let mut engine = book(mode);
        let events = apply(
            &mut engine,
            limit_for(10, 55, Side::Buy, 155, 9, TimeInForce::Gtc),
        );
        assert_eq!(
            fills(&events),
            vec![(1, 10, 150, 3), (2, 10, 150, 4), (3, 10, 155, 2)],
            "{mode:?}"
        );
    }
}

#[test]
fn fok_liquidity_check_respects_the_mode() {
    // Own order 1 sits in front of 4 foreign lots at 150, own 2 at 155.
    let fok = |quantity| own_buy(10, quantity, TimeInForce::Fok);
    // CancelResting: own orders do not count, foreign 4 do.
    let mut engine = book(SelfTradePrevention::CancelResting);
    assert!(matches!(
        apply(&mut engine, fok(5))[..],
        [Event::Rejected {
            reason: RejectReason::FokNotFillable,
            ..
        }]
    ));
    let events = apply(&mut engine, fok(4));
    assert_eq!(fills(&events), vec![(2, 10, 150, 4)]);
    // CancelIncoming: matching would stop at own order 1 before any fill.
    let mut engine = book(SelfTradePrevention::CancelIncoming);
    assert!(matches!(
        apply(&mut engine, fok(1))[..],
        [Event::Rejected {
            reason: RejectReason::FokNotFillable,
            ..
        }]
    ));
    // None: all 9 lots count.
    let mut engine = book(SelfTradePrevention::None);
    assert_eq!(fills(&apply(&mut engine, fok(9))).len(), 3);
}

#[test]
fn modify_that_crosses_own_order_applies_the_mode() {
    let mut engine = engine_with(SelfTradePrevention::CancelIncoming);
    apply_all(
        &mut engine,
        [
            limit_for(1, OWNER, Side::Sell, 160, 3, TimeInForce::Gtc),
            limit_for(2, OWNER, Side::Buy, 150, 3, TimeInForce::Gtc),
        ],
    );
    let events = apply(&mut engine, modify(2, 160, 3));
    assert_eq!(
        cancels(&events),
        vec![(2, 3, CancelReason::SelfTradePrevention)]
    );
    assert_eq!(engine.order(OrderId(2)), None);
    assert_eq!(engine.order(OrderId(1)).unwrap().remaining, 3);
}
