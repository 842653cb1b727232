//! The protocol between the server and `rmp-job`, the helper inside each runner container.
//!
//! `protocol.rs` is compiled into both: into the sandbox crate through this library, and into the
//! helper binary by `mod protocol;` (the image builds `src/main.rs` with plain rustc, no cargo).
pub mod protocol;
