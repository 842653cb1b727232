//! Every reject reason: exactly one Rejected event and an untouched book.

mod common;

use common::*;
use matching_engine::*;

/// Seeds a book with orders on both sides of both symbols.
fn seeded() -> Engine {
    let mut engine = engine();
    apply_all(
        &mut engine,
        [
            gtc(1, Side::Buy, 140, 5),
            gtc(2, Side::Buy, 140, 3),
            gtc(3, Side::Sell, 160, 4),
            Command::New(NewOrder {
                order_id: OrderId(4),
                symbol: LOT_SYM,
                owner: OwnerId(4),
                side: Side::Sell,
                order_type: OrderType::Limit {
                    price: 30,
                    time_in_force: TimeInForce::Gtc,
                },
                quantity: 20,
            }),
        ],
    );
    engine
}

fn assert_rejected(engine: &mut Engine, command: Command, reason: RejectReason) {
    let before = fingerprint(engine);
    let resting = engine.resting_order_count();
    let events = apply(engine, command);
    assert_eq!(
        events,
        vec![Event::Rejected {
            order_id: command.order_id(),
            command: command.kind(),
            reason
        }],
        "command {command:?}"
    );
    assert_eq!(
        fingerprint(engine),
        before,
        "book changed by rejected {command:?}"
    );
    assert_eq!(engine.resting_order_count(), resting);
}

#[test]
fn zero_quantity() {
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Buy, 150, 0),
        RejectReason::NonPositiveQuantity,
    );
}

#[test]
fn negative_quantity() {
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Sell, 150, -5),
        RejectReason::NonPositiveQuantity,
    );
    assert_rejected(
        &mut seeded(),
        market(10, Side::Sell, i64::MIN),
        RejectReason::NonPositiveQuantity,
    );
}

#[test]
fn quantity_above_symbol_maximum() {
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Buy, 150, 1_001),
        RejectReason::QuantityTooLarge,
    );
    assert_rejected(
        &mut seeded(),
        market(10, Side::Buy, i64::MAX),
        RejectReason::QuantityTooLarge,
    );
}

#[test]
fn quantity_not_a_lot_multiple() {
    let command = Command::New(NewOrder {
        order_id: OrderId(10),
        symbol: LOT_SYM,
        owner: OwnerId(10),
        side: Side::Buy,
        order_type: OrderType::Limit {
            price: 30,
            time_in_force: TimeInForce::Gtc,
        },
        quantity: 15,
    });
    assert_rejected(&mut seeded(), command, RejectReason::QuantityNotLotMultiple);
}

#[test]
fn price_off_the_tick() {
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Buy, 152, 1),
        RejectReason::PriceOffTick,
    );
    // Off-tick is reported even when the price is also out of band.
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Buy, i64::MIN + 1, 1),
        RejectReason::PriceOffTick,
    );
}

#[test]
fn price_out_of_band() {
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Buy, 95, 1),
        RejectReason::PriceOutOfBand,
    );
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Sell, 205, 1),
        RejectReason::PriceOutOfBand,
    );
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Sell, -100, 1),
        RejectReason::PriceOutOfBand,
    );
    assert_rejected(
        &mut seeded(),
        gtc(10, Side::Sell, i64::MIN / 5 * 5, 1),
        RejectReason::PriceOutOfBand,
    );
    assert_rejected(
        &mut seeded(),
        limit(10, Side::Buy, i64::MAX / 5 * 5, 1, TimeInForce::Ioc),
        RejectReason::PriceOutOfBand,
    );
}

#[test]
fn unknown_symbol() {
    let command = Command::New(NewOrder {
        order_id: OrderId(10),
        symbol: SymbolId(99),
        owner: OwnerId(10),
        side: Side::Buy,
        order_type: OrderType::Market,
        quantity: 1,
    });
    assert_rejected(&mut seeded(), command, RejectReason::UnknownSymbol);
}

#[test]
fn unknown_order_id_on_cancel_and_modify() {
    assert_rejected(&mut seeded(), cancel(77), RejectReason::UnknownOrderId);
    assert_rejected(
        &mut seeded(),
        modify(77, 150, 1),
        RejectReason::UnknownOrderId,
    );
}

#[test]
fn duplicate_id_of_a_resting_order() {
    assert_rejected(
        &mut seeded(),
        gtc(1, Side::Sell, 190, 1),
        RejectReason::DuplicateOrderId,
    );
    // Also for orders that would never rest: fills must name unique ids.
    assert_rejected(
        &mut seeded(),
        market(3, Side::Buy, 1),
        RejectReason::DuplicateOrderId,
    );
}

#[test]
fn fok_not_fillable_trades_nothing() {
    // 4 offered at 160; asking for 5.
    assert_rejected(
        &mut seeded(),
        limit(10, Side::Buy, 200, 5, TimeInForce::Fok),
        RejectReason::FokNotFillable,
    );
    // Enough quantity exists but not within the limit price.
    assert_rejected(
        &mut seeded(),
        limit(10, Side::Buy, 155, 1, TimeInForce::Fok),
        RejectReason::FokNotFillable,
    );
    // Empty opposite side.
    let mut engine = engine();
    assert_rejected(
        &mut engine,
        limit(10, Side::Sell, 100, 1, TimeInForce::Fok),
        RejectReason::FokNotFillable,
    );
}

#[test]
fn book_full_rejects_gtc_but_not_ioc() {
    let mut engine = Engine::new(EngineConfig {
        max_resting_orders: 2,
        ..config(SelfTradePrevention::None)
    })
    .unwrap();
    apply_all(
        &mut engine,
        [gtc(1, Side::Buy, 140, 5), gtc(2, Side::Sell, 160, 4)],
    );
    assert_rejected(
        &mut engine,
        gtc(3, Side::Buy, 150, 1),
        RejectReason::BookFull,
    );
    // Rejected up front even if it would have traded completely.
    assert_rejected(
        &mut engine,
        gtc(3, Side::Buy, 160, 1),
        RejectReason::BookFull,
    );
    let events = apply(&mut engine, limit(4, Side::Buy, 160, 1, TimeInForce::Ioc));
    assert_eq!(fills(&events), vec![(2, 4, 160, 1)]);
    apply(&mut engine, cancel(1));
    assert!(matches!(
        apply(&mut engine, gtc(5, Side::Buy, 150, 1))[0],
        Event::Accepted { .. }
    ));
}

#[test]
fn modify_with_bad_quantity_or_price_changes_nothing() {
    let mut engine = seeded();
    assert_rejected(
        &mut engine,
        modify(1, 140, 0),
        RejectReason::NonPositiveQuantity,
    );
    assert_rejected(
        &mut engine,
        modify(1, 140, -3),
        RejectReason::NonPositiveQuantity,
    );
    assert_rejected(
        &mut engine,
        modify(1, 140, 5_000),
        RejectReason::QuantityTooLarge,
    );
    assert_rejected(&mut engine, modify(1, 141, 5), RejectReason::PriceOffTick);
    assert_rejected(&mut engine, modify(1, 300, 5), RejectReason::PriceOutOfBand);
    assert_rejected(
        &mut engine,
        modify(4, 30, 25),
        RejectReason::QuantityNotLotMultiple,
    );
    assert_eq!(
        queue(&engine, Side::Buy, 140),
        vec![1, 2],
        "priority untouched"
    );
}
