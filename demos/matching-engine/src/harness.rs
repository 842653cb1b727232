//! The "arbitrary bytes in, no panic out" harness shared by the cargo-fuzz
//! target (`fuzz/fuzz_targets/decode_and_apply.rs`) and the plain
//! `cargo test` run over pseudo-random inputs.

use crate::command::Command;
use crate::config::{EngineConfig, SymbolConfig};
use crate::engine::Engine;
use crate::event::Event;
use crate::types::{SelfTradePrevention, SymbolId};
use crate::wire::Wire;

/// Tiny engine for fuzzing: narrow bands, lot and tick sizes above one and
/// only 16 resting slots, so short random inputs reach every reject reason
/// and a full book.
pub fn fuzz_engine_config(self_trade_prevention: SelfTradePrevention) -> EngineConfig {
    EngineConfig {
        symbols: vec![
            SymbolConfig {
                max_order_quantity: 1_000,
                ..SymbolConfig::new(SymbolId(1), 1, 0, 40)
            },
            SymbolConfig {
                lot_size: 10,
                max_order_quantity: 10_000,
                ..SymbolConfig::new(SymbolId(2), 5, 100, 300)
            },
        ],
        max_resting_orders: 16,
        self_trade_prevention,
    }
}

/// What [`decode_and_apply`] did with its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplySummary {
    /// Commands decoded and applied.
    pub commands: usize,
    /// Positions where decoding failed (one byte is skipped each time).
    pub decode_errors: usize,
    /// Events emitted.
    pub events: usize,
}

/// Decodes commands from arbitrary bytes and applies them to a fresh
/// [`fuzz_engine_config`] engine.
///
/// The first byte selects the self-trade prevention mode. After a decode
/// error one byte is skipped, so every input exercises the engine. Panics
/// only if the library is wrong: a decoded command or emitted event that
/// does not re-encode canonically, or a broken engine invariant.
pub fn decode_and_apply(bytes: &[u8]) -> ApplySummary {
    let Some((&mode, mut rest)) = bytes.split_first() else {
        return ApplySummary::default();
    };
    let self_trade_prevention = match mode % 4 {
        0 => SelfTradePrevention::None,
        1 => SelfTradePrevention::CancelResting,
        2 => SelfTradePrevention::CancelIncoming,
        _ => SelfTradePrevention::CancelBoth,
    };
    let mut engine = Engine::new(fuzz_engine_config(self_trade_prevention))
        .expect("fuzz configuration is valid");
    let mut events: Vec<Event> = Vec::with_capacity(64);
    let mut scratch = Vec::with_capacity(64);
    let mut summary = ApplySummary::default();
    while !rest.is_empty() {
        match Command::decode(rest) {
            Ok((command, used)) => {
                scratch.clear();
                command.encode(&mut scratch);
                assert_eq!(scratch, rest[..used], "command encoding is not canonical");
                rest = &rest[used..];

                events.clear();
                engine.apply(&command, &mut events);
                for event in &events {
                    scratch.clear();
                    event.encode(&mut scratch);
                    assert_eq!(
                        Event::decode_exact(&scratch),
                        Ok(*event),
                        "event round trip"
                    );
                }
                summary.commands += 1;
                summary.events += events.len();
            }
            Err(_) => {
                rest = &rest[1..];
                summary.decode_errors += 1;
            }
        }
    }
    if let Err(violation) = engine.check_invariants() {
        panic!("engine invariant broken: {violation}");
    }
    summary
}
