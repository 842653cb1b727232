//! Pieces shared by several pages.

pub mod availability;
pub mod code_block;
pub mod dialog;
pub mod edits;
pub mod exercise;
pub mod files;
pub mod header;
pub mod live_content;
pub mod progress;
pub mod run_output;
pub mod runner;
pub mod search;
pub mod share;
pub mod shortcuts;
pub mod status;
pub mod tools;
