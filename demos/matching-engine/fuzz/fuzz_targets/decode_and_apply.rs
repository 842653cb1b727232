//! Decodes commands from arbitrary bytes and applies them to a small engine.
//! Any panic (decode, matching, canonical re-encoding or an engine
//! invariant) is a bug. Run: `cargo +nightly fuzz run decode_and_apply`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    matching_engine::harness::decode_and_apply(data);
});
