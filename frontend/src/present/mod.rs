//! Presenting a chapter: the projector's view (`pages/present.rs`) and the presenter console
//! (`pages/present_console.rs`) in two windows of one browser, kept in step.
//!
//! The two windows share a [`record::SessionRecord`] in `localStorage` (which slide, blank or not,
//! when the session started, the time spent on each slide) and nudge each other over a
//! `BroadcastChannel` ([`channel`]). Whoever moves writes the record, then posts a message; the
//! other window applies the message and reads the timing from the record (its `storage` event is
//! a second path for the same move). A window that reloads reads the record, so neither window
//! has to be open for the other to recover.
//!
//! During a class session the deck also travels through the room ([`room_sync`]): the teacher's
//! other devices (a phone's console) hold teacher's sockets of the same room, and each window
//! sends the moves made in it and follows the others'.

pub mod channel;
pub mod deck;
pub mod keys;
pub mod loader;
pub mod pacing;
pub mod record;
pub mod room_sync;
