//! Pieces shared by several pages.

pub mod code_block;
pub mod header;
pub mod run_output;
pub mod shortcuts;
pub mod status;
