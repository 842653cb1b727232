//! # Lock-free weeks of the Rust Mastery Playground
//!
//! Small, heavily commented concurrent structures, each teaching one idea:
//!
//! | module | teaches |
//! | --- | --- |
//! | [`ring`] | SPSC ring buffer: acquire/release hand-over, false sharing, SPSC roles in the type system |
//! | [`stack`] | Treiber stack twice: [`NaiveStack`](stack::NaiveStack) has the ABA bug, [`TaggedStack`](stack::TaggedStack) fixes it with a version tag |
//! | [`spinlock`] | test-and-test-and-set lock, backoff, `Send`/`Sync` bounds of a lock and its guard |
//! | [`explorer`] | a deterministic, thread-free interleaving explorer that replays the same algorithms step by step (for the browser) |
//!
//! All atomics are imported from one internal `sync` module, so building with
//! `RUSTFLAGS="--cfg loom"` swaps in loom's model-checked types and
//! `tests/loom.rs` can check every interleaving of the real code.

pub mod cache_padded;
pub mod explorer;
pub mod ring;
pub mod spinlock;
pub mod stack;
mod sync;

pub use cache_padded::CachePadded;
