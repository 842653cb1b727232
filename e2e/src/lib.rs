//! End-to-end tests live in `tests/`; run them with `cargo xtask test`, which builds the SPA and the
//! server first and tells the tests where they are.
