//! The fuzz target's function over a few thousand pseudo-random inputs, so
//! "never panics" is checked by plain `cargo test` too.

use matching_engine::flow::SplitMix64;
use matching_engine::harness::decode_and_apply;
use matching_engine::*;

/// A command whose fields come mostly from the small ranges the fuzz engine
/// accepts, so inputs reach matching and not only rejects.
fn plausible_command(rng: &mut SplitMix64) -> Command {
    let id = OrderId(rng.below(24));
    let pick_price = |rng: &mut SplitMix64| match rng.below(10) {
        0 => rng.next_u64() as i64,
        1..=4 => rng.below(45) as i64,
        _ => 100 + 5 * rng.below(42) as i64,
    };
    let pick_quantity = |rng: &mut SplitMix64| match rng.below(10) {
        0 => rng.next_u64() as i64,
        1 => -(rng.below(3) as i64),
        _ => 10 * (1 + rng.below(8) as i64),
    };
    match rng.below(10) {
        0..=5 => Command::New(NewOrder {
            order_id: id,
            symbol: SymbolId(rng.below(4) as u32),
            owner: OwnerId(rng.below(3) as u32),
            side: if rng.percent(50) {
                Side::Buy
            } else {
                Side::Sell
            },
            order_type: match rng.below(5) {
                0 => OrderType::Market,
                n => OrderType::Limit {
                    price: pick_price(rng),
                    time_in_force: [
                        TimeInForce::Gtc,
                        TimeInForce::Gtc,
                        TimeInForce::Ioc,
                        TimeInForce::Fok,
                    ][n as usize - 1],
                },
            },
            quantity: pick_quantity(rng),
        }),
        6..=7 => Command::Cancel(CancelOrder { order_id: id }),
        _ => Command::Modify(ModifyOrder {
            order_id: id,
            new_price: pick_price(rng),
            new_quantity: pick_quantity(rng),
        }),
    }
}

fn input(rng: &mut SplitMix64, case: u64) -> Vec<u8> {
    let mut bytes = vec![rng.next_u64() as u8];
    match case % 3 {
        // Pure noise.
        0 => bytes.extend((0..rng.below(400)).map(|_| rng.next_u64() as u8)),
        // Valid commands.
        1 => {
            for _ in 0..rng.below(80) {
                plausible_command(rng).encode(&mut bytes);
            }
        }
        // Valid commands, then mutated: flips, truncation, inserted junk.
        _ => {
            for _ in 0..rng.below(80) {
                plausible_command(rng).encode(&mut bytes);
            }
            for _ in 0..rng.below(8) {
                let position = rng.below(bytes.len() as u64) as usize;
                match rng.below(3) {
                    0 => bytes[position] ^= 1 << rng.below(8),
                    1 => bytes.insert(position, rng.next_u64() as u8),
                    _ => bytes.truncate(position.max(1)),
                }
            }
        }
    }
    bytes
}

#[test]
fn decode_and_apply_never_panics_on_pseudo_random_bytes() {
    let mut rng = SplitMix64::new(0x5EED);
    let mut commands = 0;
    let mut decode_errors = 0;
    let mut events = 0;
    for case in 0..3_000 {
        let bytes = input(&mut rng, case);
        let summary = decode_and_apply(&bytes);
        commands += summary.commands;
        decode_errors += summary.decode_errors;
        events += summary.events;
    }
    // The inputs must actually exercise both paths.
    assert!(commands > 50_000, "only {commands} commands applied");
    assert!(decode_errors > 10_000, "only {decode_errors} decode errors");
    assert!(events > commands, "only {events} events");
}

#[test]
fn empty_and_tiny_inputs_are_fine() {
    assert_eq!(decode_and_apply(&[]).commands, 0);
    assert_eq!(decode_and_apply(&[3]).commands, 0);
    let summary = decode_and_apply(&[0, 0x03, 1]);
    assert_eq!((summary.commands, summary.decode_errors), (0, 2));
}
