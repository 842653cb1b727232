//! Wire format: round trips, exact sizes, and malformed input.

use matching_engine::wire::{MAX_MESSAGE_LEN, decode_stream};
use matching_engine::*;
use proptest::prelude::*;

fn sample_commands() -> Vec<Command> {
    let new = |order_type, side| {
        Command::New(NewOrder {
            order_id: OrderId(0x0102_0304_0506_0708),
            symbol: SymbolId(0xA0B0_C0D0),
            owner: OwnerId(42),
            side,
            order_type,
            quantity: -17,
        })
    };
    vec![
        new(
            OrderType::Limit {
                price: -5,
                time_in_force: TimeInForce::Gtc,
            },
            Side::Buy,
        ),
        new(
            OrderType::Limit {
                price: i64::MAX,
                time_in_force: TimeInForce::Ioc,
            },
            Side::Sell,
        ),
        new(
            OrderType::Limit {
                price: i64::MIN,
                time_in_force: TimeInForce::Fok,
            },
            Side::Buy,
        ),
        new(OrderType::Market, Side::Sell),
        Command::Cancel(CancelOrder {
            order_id: OrderId(u64::MAX),
        }),
        Command::Modify(ModifyOrder {
            order_id: OrderId(9),
            new_price: 150,
            new_quantity: 0,
        }),
    ]
}

fn sample_events() -> Vec<Event> {
    vec![
        Event::Accepted {
            order_id: OrderId(1),
            symbol: SymbolId(2),
            owner: OwnerId(3),
            side: Side::Sell,
            order_type: OrderType::Limit {
                price: 150,
                time_in_force: TimeInForce::Fok,
            },
            quantity: 10,
        },
        Event::Accepted {
            order_id: OrderId(1),
            symbol: SymbolId(2),
            owner: OwnerId(3),
            side: Side::Buy,
            order_type: OrderType::Market,
            quantity: u64::MAX,
        },
        Event::Fill {
            symbol: SymbolId(2),
            maker_order_id: OrderId(5),
            taker_order_id: OrderId(6),
            taker_side: Side::Buy,
            price: -150,
            quantity: 3,
            maker_remaining: 0,
            taker_remaining: 7,
        },
        Event::Cancelled {
            order_id: OrderId(6),
            symbol: SymbolId(2),
            side: Side::Buy,
            quantity: 7,
            reason: CancelReason::SelfTradePrevention,
        },
        Event::Rejected {
            order_id: OrderId(7),
            command: CommandKind::Modify,
            reason: RejectReason::BookFull,
        },
        Event::Modified {
            order_id: OrderId(8),
            symbol: SymbolId(2),
            side: Side::Sell,
            price: 155,
            quantity: 2,
            priority_kept: true,
        },
        Event::BookUpdate {
            symbol: SymbolId(2),
            side: Side::Sell,
            price: 155,
            quantity: 0,
            order_count: 0,
        },
    ]
}

fn encoded<T: Wire>(message: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    message.encode(&mut bytes);
    bytes
}

#[test]
fn commands_round_trip_with_documented_sizes() {
    let sizes = [35, 35, 35, 26, 9, 25];
    for (command, size) in sample_commands().into_iter().zip(sizes) {
        let bytes = encoded(&command);
        assert_eq!(bytes.len(), size, "{command:?}");
        assert_eq!(Command::decode(&bytes), Ok((command, size)));
        assert_eq!(Command::decode_exact(&bytes), Ok(command));
    }
}

#[test]
fn events_round_trip_with_documented_sizes() {
    let sizes = [36, 36, 54, 23, 11, 31, 26];
    for (event, size) in sample_events().into_iter().zip(sizes) {
        let bytes = encoded(&event);
        assert_eq!(bytes.len(), size, "{event:?}");
        assert!(size <= MAX_MESSAGE_LEN);
        assert_eq!(Event::decode_exact(&bytes), Ok(event));
    }
}

#[test]
fn layout_is_little_endian_with_leading_tag() {
    let bytes = encoded(&Command::Cancel(CancelOrder {
        order_id: OrderId(0x0102),
    }));
    assert_eq!(bytes, [0x03, 0x02, 0x01, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn every_truncation_is_an_error() {
    for command in sample_commands() {
        let bytes = encoded(&command);
        for len in 0..bytes.len() {
            assert!(
                matches!(Command::decode(&bytes[..len]), Err(DecodeError::Truncated { needed, available })
                    if available == len && (len == 0 || needed == bytes.len())),
                "{command:?} cut to {len}"
            );
        }
    }
    for event in sample_events() {
        let bytes = encoded(&event);
        for len in 0..bytes.len() {
            assert!(matches!(
                Event::decode(&bytes[..len]),
                Err(DecodeError::Truncated { .. })
            ));
        }
    }
}

#[test]
fn unknown_tags_are_errors() {
    for tag in [0x00, 0x05, 0x7F, 0x80, 0x87, 0xFF] {
        let mut bytes = vec![tag];
        bytes.extend([0; 60]);
        assert_eq!(Command::decode(&bytes), Err(DecodeError::UnknownTag(tag)));
        assert_eq!(Event::decode(&bytes), Err(DecodeError::UnknownTag(tag)));
    }
    // Commands are not events and vice versa.
    let command = encoded(&sample_commands()[0]);
    assert_eq!(Event::decode(&command), Err(DecodeError::UnknownTag(0x01)));
    let event = encoded(&sample_events()[0]);
    assert_eq!(Command::decode(&event), Err(DecodeError::UnknownTag(0x81)));
}

#[test]
fn trailing_junk_is_reported_by_decode_exact() {
    let mut bytes = encoded(&sample_commands()[4]);
    bytes.extend([0xAA, 0xBB]);
    assert_eq!(
        Command::decode_exact(&bytes),
        Err(DecodeError::TrailingBytes { extra: 2 })
    );
    // Plain decode reports how much it used so streams can continue.
    assert_eq!(Command::decode(&bytes).unwrap().1, 9);
}

#[test]
fn invalid_enum_bytes_are_errors() {
    // Side byte of a limit order is at offset 17, tif at 18.
    let mut bytes = encoded(&sample_commands()[0]);
    bytes[17] = 2;
    assert_eq!(
        Command::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "side",
            value: 2
        })
    );
    let mut bytes = encoded(&sample_commands()[0]);
    bytes[18] = 3;
    assert_eq!(
        Command::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "time_in_force",
            value: 3
        })
    );

    // Cancel reason is the last byte of a Cancelled event.
    let mut bytes = encoded(&sample_events()[3]);
    *bytes.last_mut().unwrap() = 4;
    assert!(matches!(
        Event::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "cancel_reason",
            ..
        })
    ));
    // Reject reason / command kind.
    let mut bytes = encoded(&sample_events()[4]);
    bytes[10] = 10;
    assert!(matches!(
        Event::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "reject_reason",
            ..
        })
    ));
    let mut bytes = encoded(&sample_events()[4]);
    bytes[9] = 3;
    assert!(matches!(
        Event::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "command",
            ..
        })
    ));
    // Boolean flag must be 0 or 1.
    let mut bytes = encoded(&sample_events()[5]);
    *bytes.last_mut().unwrap() = 2;
    assert!(matches!(
        Event::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "priority_kept",
            ..
        })
    ));
    // Market acceptance must not carry a price or tif (canonical form).
    let mut bytes = encoded(&sample_events()[1]);
    bytes[19] = 1; // tif
    assert!(matches!(
        Event::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "time_in_force",
            ..
        })
    ));
    let mut bytes = encoded(&sample_events()[1]);
    bytes[20] = 1; // price
    assert!(matches!(
        Event::decode(&bytes),
        Err(DecodeError::InvalidField { field: "price", .. })
    ));
    let mut bytes = encoded(&sample_events()[1]);
    bytes[18] = 2; // order type
    assert!(matches!(
        Event::decode(&bytes),
        Err(DecodeError::InvalidField {
            field: "order_type",
            ..
        })
    ));
}

#[test]
fn streams_decode_until_the_first_error() {
    let mut bytes = Vec::new();
    for command in sample_commands() {
        command.encode(&mut bytes);
    }
    let (decoded, error) = decode_stream::<Command>(&bytes);
    assert_eq!(decoded, sample_commands());
    assert_eq!(error, None);
    bytes.push(0x01);
    let (decoded, error) = decode_stream::<Command>(&bytes);
    assert_eq!(decoded.len(), 6);
    assert_eq!(
        error,
        Some(DecodeError::Truncated {
            needed: 35,
            available: 1
        })
    );
}

#[test]
fn errors_display_a_message() {
    assert_eq!(
        DecodeError::UnknownTag(0x42).to_string(),
        "unknown message tag 0x42"
    );
    assert!(
        DecodeError::Truncated {
            needed: 9,
            available: 2
        }
        .to_string()
        .contains("need 9")
    );
}

fn any_side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn any_order_type() -> impl Strategy<Value = OrderType> {
    prop_oneof![
        Just(OrderType::Market),
        (
            any::<i64>(),
            prop_oneof![
                Just(TimeInForce::Gtc),
                Just(TimeInForce::Ioc),
                Just(TimeInForce::Fok)
            ]
        )
            .prop_map(|(price, time_in_force)| OrderType::Limit {
                price,
                time_in_force
            }),
    ]
}

fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any_side(),
            any_order_type(),
            any::<i64>()
        )
            .prop_map(
                |(id, symbol, owner, side, order_type, quantity)| Command::New(NewOrder {
                    order_id: OrderId(id),
                    symbol: SymbolId(symbol),
                    owner: OwnerId(owner),
                    side,
                    order_type,
                    quantity,
                })
            ),
        any::<u64>().prop_map(|id| Command::Cancel(CancelOrder {
            order_id: OrderId(id)
        })),
        (any::<u64>(), any::<i64>(), any::<i64>()).prop_map(|(id, new_price, new_quantity)| {
            Command::Modify(ModifyOrder {
                order_id: OrderId(id),
                new_price,
                new_quantity,
            })
        }),
    ]
}

proptest! {
    #[test]
    fn any_command_round_trips(command in any_command()) {
        let bytes = encoded(&command);
        prop_assert_eq!(Command::decode_exact(&bytes), Ok(command));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_input_is_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Ok((command, used)) = Command::decode(&bytes) {
            prop_assert_eq!(encoded(&command), bytes[..used].to_vec());
        }
        if let Ok((event, used)) = Event::decode(&bytes) {
            prop_assert_eq!(encoded(&event), bytes[..used].to_vec());
        }
    }
}
