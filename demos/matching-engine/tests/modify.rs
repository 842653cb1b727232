//! Modify priority rules.

mod common;

use common::*;
use matching_engine::*;

fn three_bids() -> Engine {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [
            gtc(1, Side::Buy, 150, 5),
            gtc(2, Side::Buy, 150, 5),
            gtc(3, Side::Buy, 150, 5),
        ],
    );
    engine
}

#[test]
fn reducing_quantity_at_same_price_keeps_priority() {
    let mut engine = three_bids();
    let sequence_before = engine.order(OrderId(1)).unwrap().sequence;
    let events = apply(&mut engine, modify(1, 150, 2));
    assert_eq!(
        events,
        vec![
            Event::Modified {
                order_id: OrderId(1),
                symbol: SYM,
                side: Side::Buy,
                price: 150,
                quantity: 2,
                priority_kept: true
            },
            Event::BookUpdate {
                symbol: SYM,
                side: Side::Buy,
                price: 150,
                quantity: 12,
                order_count: 3
            },
        ]
    );
    assert_eq!(queue(&engine, Side::Buy, 150), vec![1, 2, 3]);
    assert_eq!(engine.order(OrderId(1)).unwrap().sequence, sequence_before);
    // Still first to trade.
    let events = apply(&mut engine, gtc(9, Side::Sell, 150, 3));
    assert_eq!(fills(&events), vec![(1, 9, 150, 2), (2, 9, 150, 1)]);
}

#[test]
fn unchanged_modify_keeps_priority_and_reports_no_level_change() {
    let mut engine = three_bids();
    let events = apply(&mut engine, modify(2, 150, 5));
    assert!(matches!(
        events[..],
        [Event::Modified {
            priority_kept: true,
            quantity: 5,
            ..
        }]
    ));
    assert_eq!(queue(&engine, Side::Buy, 150), vec![1, 2, 3]);
}

#[test]
fn increasing_quantity_loses_priority() {
    let mut engine = three_bids();
    let events = apply(&mut engine, modify(1, 150, 6));
    assert!(matches!(
        events[0],
        Event::Modified {
            priority_kept: false,
            quantity: 6,
            price: 150,
            ..
        }
    ));
    assert_eq!(queue(&engine, Side::Buy, 150), vec![2, 3, 1]);
    assert_eq!(engine.best_bid(SYM).unwrap().quantity, 16);
    let events = apply(&mut engine, gtc(9, Side::Sell, 150, 6));
    assert_eq!(fills(&events), vec![(2, 9, 150, 5), (3, 9, 150, 1)]);
}

#[test]
fn changing_price_loses_priority_even_when_reducing() {
    let mut engine = three_bids();
    apply(&mut engine, gtc(4, Side::Buy, 145, 5));
    let events = apply(&mut engine, modify(1, 145, 1));
    assert!(matches!(
        events[0],
        Event::Modified {
            priority_kept: false,
            price: 145,
            quantity: 1,
            ..
        }
    ));
    assert_eq!(queue(&engine, Side::Buy, 150), vec![2, 3]);
    assert_eq!(
        queue(&engine, Side::Buy, 145),
        vec![4, 1],
        "joins the back of the new level"
    );
}

#[test]
fn moving_back_to_the_old_price_goes_to_the_back() {
    let mut engine = three_bids();
    apply(&mut engine, modify(1, 145, 5));
    apply(&mut engine, modify(1, 150, 5));
    assert_eq!(queue(&engine, Side::Buy, 150), vec![2, 3, 1]);
}

#[test]
fn modify_that_crosses_trades_as_taker_and_rests_remainder() {
    let mut engine = three_bids();
    apply(&mut engine, gtc(7, Side::Sell, 160, 4));
    let events = apply(&mut engine, modify(3, 165, 10));
    assert_eq!(fills(&events), vec![(7, 3, 160, 4)]);
    assert!(events.contains(&Event::Fill {
        symbol: SYM,
        maker_order_id: OrderId(7),
        taker_order_id: OrderId(3),
        taker_side: Side::Buy,
        price: 160,
        quantity: 4,
        maker_remaining: 0,
        taker_remaining: 6,
    }));
    let order = engine.order(OrderId(3)).unwrap();
    assert_eq!((order.price, order.remaining), (165, 6));
    assert_eq!(engine.best_bid(SYM).unwrap().price, 165);
    assert_eq!(engine.best_ask(SYM), None);
}

#[test]
fn modify_that_fully_fills_removes_the_order() {
    let mut engine = three_bids();
    apply(&mut engine, gtc(7, Side::Sell, 160, 10));
    let events = apply(&mut engine, modify(2, 160, 4));
    assert_eq!(fills(&events), vec![(7, 2, 160, 4)]);
    assert_eq!(engine.order(OrderId(2)), None);
    assert_eq!(queue(&engine, Side::Buy, 150), vec![1, 3]);
    // The id is free again.
    assert!(matches!(
        apply(&mut engine, gtc(2, Side::Buy, 100, 1))[0],
        Event::Accepted { .. }
    ));
}

#[test]
fn modify_event_order_is_modified_old_level_fills_new_level() {
    let mut engine = three_bids();
    apply(&mut engine, gtc(7, Side::Sell, 160, 2));
    let events = apply(&mut engine, modify(1, 160, 3));
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Modified { .. } => "modified",
            Event::BookUpdate {
                side: Side::Buy,
                price: 150,
                ..
            } => "old-level",
            Event::Fill { .. } => "fill",
            Event::BookUpdate {
                side: Side::Sell, ..
            } => "ask-level",
            Event::BookUpdate {
                side: Side::Buy,
                price: 160,
                ..
            } => "new-level",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["modified", "old-level", "fill", "ask-level", "new-level"]
    );
}
