//! The synthetic flow generator.

use matching_engine::flow::{self, FlowConfig, FlowGenerator, SplitMix64};
use matching_engine::*;

fn demo_flow() -> FlowConfig {
    FlowConfig::new(flow::demo_symbols())
}

#[test]
fn same_seed_same_commands_and_different_seed_different_commands() {
    let config = flow::demo_engine_config(SelfTradePrevention::None);
    let a = flow::generate(&demo_flow(), &config, 7, 5_000).unwrap();
    let b = flow::generate(&demo_flow(), &config, 7, 5_000).unwrap();
    let c = flow::generate(&demo_flow(), &config, 8, 5_000).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn splitmix_is_reproducible_and_bounded() {
    let mut a = SplitMix64::new(1);
    let mut b = SplitMix64::new(1);
    let first: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
    assert!(first.iter().all(|&x| x == b.next_u64()));
    assert_ne!(first[0], first[1]);
    assert!((0..10_000).all(|_| a.below(7) < 7));
    assert_eq!(a.below(0), 0);
}

#[test]
fn flow_is_realistic_and_keeps_the_book_sane() {
    let config = flow::demo_engine_config(SelfTradePrevention::CancelResting);
    let mut engine = Engine::new(config.clone()).unwrap();
    let mut generator = FlowGenerator::new(demo_flow(), 42);
    let mut events = Vec::new();
    let (mut news, mut markets, mut cancels, mut modifies) = (0, 0, 0, 0);
    let (mut fills, mut rejects, mut unknown_ids, mut stp_cancels) = (0, 0, 0, 0);
    let mut time_in_force_seen = [false; 3];
    for step in 0..60_000 {
        let command = generator.next_command(&engine);
        match command {
            Command::New(order) => {
                news += 1;
                match order.order_type {
                    OrderType::Market => markets += 1,
                    OrderType::Limit { time_in_force, .. } => {
                        time_in_force_seen[time_in_force as usize] = true
                    }
                }
            }
            Command::Cancel(_) => cancels += 1,
            Command::Modify(_) => modifies += 1,
        }
        events.clear();
        engine.apply(&command, &mut events);
        for event in &events {
            match event {
                Event::Fill { .. } => fills += 1,
                Event::Rejected { reason, .. } => {
                    rejects += 1;
                    if *reason == RejectReason::UnknownOrderId {
                        unknown_ids += 1;
                    }
                }
                Event::Cancelled {
                    reason: CancelReason::SelfTradePrevention,
                    ..
                } => stp_cancels += 1,
                _ => {}
            }
        }
        if step % 10_000 == 0 {
            engine.check_invariants().unwrap();
        }
    }
    engine.check_invariants().unwrap();
    assert!(time_in_force_seen.iter().all(|&seen| seen));
    assert!(
        markets > 500 && cancels > 5_000 && modifies > 2_000,
        "{markets} {cancels} {modifies}"
    );
    assert!(news > 25_000);
    assert!(fills > 5_000, "flow must trade: {fills} fills");
    assert_eq!(unknown_ids, 0, "cancels and modifies target live orders");
    // Only FOKs may be rejected; everything else is valid input.
    assert!(rejects < news / 20, "{rejects} rejects");
    assert!(stp_cancels > 0, "64 owners should self-cross sometimes");
    // The book stays near the target size and around the reference price.
    let resting = engine.resting_order_count();
    assert!((5_000..=25_000).contains(&resting), "{resting} resting");
    for symbol in engine.symbols() {
        let bid = engine.best_bid(symbol.symbol).expect("bids");
        let ask = engine.best_ask(symbol.symbol).expect("asks");
        assert!(bid.price < ask.price);
        assert!(
            (ask.price - bid.price) / symbol.tick_size <= 20,
            "tight spread on {:?}",
            symbol.symbol
        );
    }
}
