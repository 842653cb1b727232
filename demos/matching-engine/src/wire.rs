//! Compact binary wire format for commands and events.
//!
//! Every message is one tag byte followed by fixed-width little-endian
//! fields, so lengths are known from the tag and decoding is a bounds check
//! plus loads. Commands use tags `0x01..=0x04` and events `0x81..=0x86`, so a
//! stream of the wrong kind is caught at the first byte. Decoding is strict:
//! every enum byte and flag must hold a defined value (and fields a variant
//! does not use must be zero), which makes the encoding canonical:
//! `encode(decode(bytes)) == bytes` for every accepted input.
//!
//! | tag    | message        | fields after the tag (LE)                                                   | bytes |
//! |--------|----------------|------------------------------------------------------------------------------|-------|
//! | `0x01` | new limit      | order u64, symbol u32, owner u32, side u8, tif u8, price i64, qty i64        | 35    |
//! | `0x02` | new market     | order u64, symbol u32, owner u32, side u8, qty i64                           | 26    |
//! | `0x03` | cancel         | order u64                                                                    | 9     |
//! | `0x04` | modify         | order u64, price i64, qty i64                                                | 25    |
//! | `0x81` | accepted       | order u64, symbol u32, owner u32, side u8, type u8, tif u8, price i64, qty u64 | 36  |
//! | `0x82` | fill           | symbol u32, maker u64, taker u64, taker side u8, price i64, qty u64, maker left u64, taker left u64 | 54 |
//! | `0x83` | cancelled      | order u64, symbol u32, side u8, qty u64, reason u8                           | 23    |
//! | `0x84` | rejected       | order u64, command u8, reason u8                                             | 11    |
//! | `0x85` | modified       | order u64, symbol u32, side u8, price i64, qty u64, priority kept u8         | 31    |
//! | `0x86` | book update    | symbol u32, side u8, price i64, qty u64, order count u32                     | 26    |
//!
//! Enum bytes: side buy 0 / sell 1; tif GTC 0 / IOC 1 / FOK 2; order type
//! limit 0 / market 1 (market: tif and price are 0); command new 0 / cancel 1
//! / modify 2; reject and cancel reasons in declaration order from 0.

use core::fmt;

use crate::command::{CancelOrder, Command, CommandKind, ModifyOrder, NewOrder};
use crate::event::{CancelReason, Event, RejectReason};
use crate::types::{OrderId, OrderType, OwnerId, Side, SymbolId, TimeInForce};

/// Longest encoded message (a fill), for sizing buffers.
pub const MAX_MESSAGE_LEN: usize = 54;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ends before the message does.
    Truncated {
        /// Bytes the message needs, including the tag.
        needed: usize,
        /// Bytes that were available.
        available: usize,
    },
    /// The first byte is not a known tag of this message family.
    UnknownTag(u8),
    /// A field holds a value outside its domain (e.g. side byte 7).
    InvalidField {
        /// Name of the field.
        field: &'static str,
        /// The offending raw value.
        value: u64,
    },
    /// [`Wire::decode_exact`] found bytes after the message.
    TrailingBytes {
        /// Number of unconsumed bytes.
        extra: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { needed, available } => {
                write!(
                    f,
                    "truncated message: need {needed} bytes, have {available}"
                )
            }
            DecodeError::UnknownTag(tag) => write!(f, "unknown message tag {tag:#04x}"),
            DecodeError::InvalidField { field, value } => {
                write!(f, "invalid value {value} for field `{field}`")
            }
            DecodeError::TrailingBytes { extra } => {
                write!(f, "{extra} trailing bytes after message")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Binary encoding of a message type.
pub trait Wire: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Decodes one message from the start of `bytes`, returning it and the
    /// number of bytes it used. Never panics.
    fn decode(bytes: &[u8]) -> Result<(Self, usize), DecodeError>;

    /// Decodes exactly one message that must span all of `bytes`.
    fn decode_exact(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (message, used) = Self::decode(bytes)?;
        if used != bytes.len() {
            return Err(DecodeError::TrailingBytes {
                extra: bytes.len() - used,
            });
        }
        Ok(message)
    }
}

const TAG_NEW_LIMIT: u8 = 0x01;
const TAG_NEW_MARKET: u8 = 0x02;
const TAG_CANCEL: u8 = 0x03;
const TAG_MODIFY: u8 = 0x04;
const TAG_ACCEPTED: u8 = 0x81;
const TAG_FILL: u8 = 0x82;
const TAG_CANCELLED: u8 = 0x83;
const TAG_REJECTED: u8 = 0x84;
const TAG_MODIFIED: u8 = 0x85;
const TAG_BOOK_UPDATE: u8 = 0x86;

/// Total encoded length (tag included) of each tag.
const fn message_len(tag: u8) -> Option<usize> {
    Some(match tag {
        TAG_NEW_LIMIT => 35,
        TAG_NEW_MARKET => 26,
        TAG_CANCEL => 9,
        TAG_MODIFY => 25,
        TAG_ACCEPTED => 36,
        TAG_FILL => 54,
        TAG_CANCELLED => 23,
        TAG_REJECTED => 11,
        TAG_MODIFIED => 31,
        TAG_BOOK_UPDATE => 26,
        _ => return None,
    })
}

/// Cursor over a message whose full length was already bounds-checked, so
/// the field reads below cannot run past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// Checks the tag against `allowed` and that the whole message is there.
    fn open(bytes: &'a [u8], allowed: &[u8]) -> Result<(u8, Reader<'a>), DecodeError> {
        let Some(&tag) = bytes.first() else {
            return Err(DecodeError::Truncated {
                needed: 1,
                available: 0,
            });
        };
        let len = match message_len(tag) {
            Some(len) if allowed.contains(&tag) => len,
            _ => return Err(DecodeError::UnknownTag(tag)),
        };
        if bytes.len() < len {
            return Err(DecodeError::Truncated {
                needed: len,
                available: bytes.len(),
            });
        }
        Ok((
            tag,
            Reader {
                bytes: &bytes[..len],
                position: 1,
            },
        ))
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        out.copy_from_slice(&self.bytes[self.position..self.position + N]);
        self.position += N;
        out
    }

    fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.array())
    }

    fn order_id(&mut self) -> OrderId {
        OrderId(self.u64())
    }

    fn symbol(&mut self) -> SymbolId {
        SymbolId(self.u32())
    }

    fn side(&mut self) -> Result<Side, DecodeError> {
        match self.u8() {
            0 => Ok(Side::Buy),
            1 => Ok(Side::Sell),
            other => Err(invalid("side", other)),
        }
    }

    fn time_in_force(&mut self) -> Result<TimeInForce, DecodeError> {
        time_in_force_from(self.u8())
    }

    fn flag(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8() {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(invalid(field, other)),
        }
    }

    /// Length of the message; every field has been read by now.
    fn finish(self) -> usize {
        debug_assert_eq!(self.position, self.bytes.len());
        self.bytes.len()
    }
}

fn invalid(field: &'static str, value: impl Into<u64>) -> DecodeError {
    DecodeError::InvalidField {
        field,
        value: value.into(),
    }
}

fn side_byte(side: Side) -> u8 {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

fn time_in_force_byte(time_in_force: TimeInForce) -> u8 {
    match time_in_force {
        TimeInForce::Gtc => 0,
        TimeInForce::Ioc => 1,
        TimeInForce::Fok => 2,
    }
}

fn time_in_force_from(byte: u8) -> Result<TimeInForce, DecodeError> {
    match byte {
        0 => Ok(TimeInForce::Gtc),
        1 => Ok(TimeInForce::Ioc),
        2 => Ok(TimeInForce::Fok),
        other => Err(invalid("time_in_force", other)),
    }
}

fn command_kind_byte(kind: CommandKind) -> u8 {
    match kind {
        CommandKind::New => 0,
        CommandKind::Cancel => 1,
        CommandKind::Modify => 2,
    }
}

fn command_kind_from(byte: u8) -> Result<CommandKind, DecodeError> {
    match byte {
        0 => Ok(CommandKind::New),
        1 => Ok(CommandKind::Cancel),
        2 => Ok(CommandKind::Modify),
        other => Err(invalid("command", other)),
    }
}

const REJECT_REASONS: [RejectReason; 10] = [
    RejectReason::NonPositiveQuantity,
    RejectReason::QuantityTooLarge,
    RejectReason::QuantityNotLotMultiple,
    RejectReason::PriceOffTick,
    RejectReason::PriceOutOfBand,
    RejectReason::UnknownSymbol,
    RejectReason::UnknownOrderId,
    RejectReason::DuplicateOrderId,
    RejectReason::FokNotFillable,
    RejectReason::BookFull,
];

const CANCEL_REASONS: [CancelReason; 4] = [
    CancelReason::UserRequested,
    CancelReason::IocRemainder,
    CancelReason::MarketRemainder,
    CancelReason::SelfTradePrevention,
];

fn reject_reason_byte(reason: RejectReason) -> u8 {
    REJECT_REASONS
        .iter()
        .position(|&r| r == reason)
        .unwrap_or(0) as u8
}

fn cancel_reason_byte(reason: CancelReason) -> u8 {
    CANCEL_REASONS
        .iter()
        .position(|&r| r == reason)
        .unwrap_or(0) as u8
}

/// Fixed-layout writer over the output vector.
struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }
    fn u32(&mut self, value: u32) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn u64(&mut self, value: u64) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn i64(&mut self, value: i64) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
}

impl Wire for Command {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer(out);
        match *self {
            Command::New(order) => {
                match order.order_type {
                    OrderType::Limit {
                        price,
                        time_in_force,
                    } => {
                        w.u8(TAG_NEW_LIMIT)
                            .u64(order.order_id.0)
                            .u32(order.symbol.0)
                            .u32(order.owner.0)
                            .u8(side_byte(order.side))
                            .u8(time_in_force_byte(time_in_force))
                            .i64(price);
                    }
                    OrderType::Market => {
                        w.u8(TAG_NEW_MARKET)
                            .u64(order.order_id.0)
                            .u32(order.symbol.0)
                            .u32(order.owner.0)
                            .u8(side_byte(order.side));
                    }
                }
                w.i64(order.quantity);
            }
            Command::Cancel(cancel) => {
                w.u8(TAG_CANCEL).u64(cancel.order_id.0);
            }
            Command::Modify(modify) => {
                w.u8(TAG_MODIFY)
                    .u64(modify.order_id.0)
                    .i64(modify.new_price)
                    .i64(modify.new_quantity);
            }
        }
    }

    fn decode(bytes: &[u8]) -> Result<(Self, usize), DecodeError> {
        let (tag, mut r) = Reader::open(
            bytes,
            &[TAG_NEW_LIMIT, TAG_NEW_MARKET, TAG_CANCEL, TAG_MODIFY],
        )?;
        let command = match tag {
            TAG_NEW_LIMIT | TAG_NEW_MARKET => {
                let order_id = r.order_id();
                let symbol = r.symbol();
                let owner = OwnerId(r.u32());
                let side = r.side()?;
                let order_type = if tag == TAG_NEW_LIMIT {
                    let time_in_force = r.time_in_force()?;
                    OrderType::Limit {
                        price: r.i64(),
                        time_in_force,
                    }
                } else {
                    OrderType::Market
                };
                Command::New(NewOrder {
                    order_id,
                    symbol,
                    owner,
                    side,
                    order_type,
                    quantity: r.i64(),
                })
            }
            TAG_CANCEL => Command::Cancel(CancelOrder {
                order_id: r.order_id(),
            }),
            _ => Command::Modify(ModifyOrder {
                order_id: r.order_id(),
                new_price: r.i64(),
                new_quantity: r.i64(),
            }),
        };
        Ok((command, r.finish()))
    }
}

impl Wire for Event {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer(out);
        match *self {
            Event::Accepted {
                order_id,
                symbol,
                owner,
                side,
                order_type,
                quantity,
            } => {
                let (type_byte, tif_byte, price) = match order_type {
                    OrderType::Limit {
                        price,
                        time_in_force,
                    } => (0, time_in_force_byte(time_in_force), price),
                    OrderType::Market => (1, 0, 0),
                };
                w.u8(TAG_ACCEPTED)
                    .u64(order_id.0)
                    .u32(symbol.0)
                    .u32(owner.0)
                    .u8(side_byte(side))
                    .u8(type_byte)
                    .u8(tif_byte)
                    .i64(price)
                    .u64(quantity);
            }
            Event::Fill {
                symbol,
                maker_order_id,
                taker_order_id,
                taker_side,
                price,
                quantity,
                maker_remaining,
                taker_remaining,
            } => {
                w.u8(TAG_FILL)
                    .u32(symbol.0)
                    .u64(maker_order_id.0)
                    .u64(taker_order_id.0)
                    .u8(side_byte(taker_side))
                    .i64(price)
                    .u64(quantity)
                    .u64(maker_remaining)
                    .u64(taker_remaining);
            }
            Event::Cancelled {
                order_id,
                symbol,
                side,
                quantity,
                reason,
            } => {
                w.u8(TAG_CANCELLED)
                    .u64(order_id.0)
                    .u32(symbol.0)
                    .u8(side_byte(side))
                    .u64(quantity)
                    .u8(cancel_reason_byte(reason));
            }
            Event::Rejected {
                order_id,
                command,
                reason,
            } => {
                w.u8(TAG_REJECTED)
                    .u64(order_id.0)
                    .u8(command_kind_byte(command))
                    .u8(reject_reason_byte(reason));
            }
            Event::Modified {
                order_id,
                symbol,
                side,
                price,
                quantity,
                priority_kept,
            } => {
                w.u8(TAG_MODIFIED)
                    .u64(order_id.0)
                    .u32(symbol.0)
                    .u8(side_byte(side))
                    .i64(price)
                    .u64(quantity)
                    .u8(u8::from(priority_kept));
            }
            Event::BookUpdate {
                symbol,
                side,
                price,
                quantity,
                order_count,
            } => {
                w.u8(TAG_BOOK_UPDATE)
                    .u32(symbol.0)
                    .u8(side_byte(side))
                    .i64(price)
                    .u64(quantity)
                    .u32(order_count);
            }
        }
    }

    fn decode(bytes: &[u8]) -> Result<(Self, usize), DecodeError> {
        let (tag, mut r) = Reader::open(
            bytes,
            &[
                TAG_ACCEPTED,
                TAG_FILL,
                TAG_CANCELLED,
                TAG_REJECTED,
                TAG_MODIFIED,
                TAG_BOOK_UPDATE,
            ],
        )?;
        let event = match tag {
            TAG_ACCEPTED => {
                let order_id = r.order_id();
                let symbol = r.symbol();
                let owner = OwnerId(r.u32());
                let side = r.side()?;
                let type_byte = r.u8();
                let tif_byte = r.u8();
                let price = r.i64();
                let order_type = match type_byte {
                    0 => OrderType::Limit {
                        price,
                        time_in_force: time_in_force_from(tif_byte)?,
                    },
                    1 if tif_byte != 0 => return Err(invalid("time_in_force", tif_byte)),
                    1 if price != 0 => return Err(invalid("price", price as u64)),
                    1 => OrderType::Market,
                    other => return Err(invalid("order_type", other)),
                };
                Event::Accepted {
                    order_id,
                    symbol,
                    owner,
                    side,
                    order_type,
                    quantity: r.u64(),
                }
            }
            TAG_FILL => Event::Fill {
                symbol: r.symbol(),
                maker_order_id: r.order_id(),
                taker_order_id: r.order_id(),
                taker_side: r.side()?,
                price: r.i64(),
                quantity: r.u64(),
                maker_remaining: r.u64(),
                taker_remaining: r.u64(),
            },
            TAG_CANCELLED => {
                let order_id = r.order_id();
                let symbol = r.symbol();
                let side = r.side()?;
                let quantity = r.u64();
                let reason_byte = r.u8();
                let reason = *CANCEL_REASONS
                    .get(reason_byte as usize)
                    .ok_or(invalid("cancel_reason", reason_byte))?;
                Event::Cancelled {
                    order_id,
                    symbol,
                    side,
                    quantity,
                    reason,
                }
            }
            TAG_REJECTED => {
                let order_id = r.order_id();
                let command = command_kind_from(r.u8())?;
                let reason_byte = r.u8();
                let reason = *REJECT_REASONS
                    .get(reason_byte as usize)
                    .ok_or(invalid("reject_reason", reason_byte))?;
                Event::Rejected {
                    order_id,
                    command,
                    reason,
                }
            }
            TAG_MODIFIED => Event::Modified {
                order_id: r.order_id(),
                symbol: r.symbol(),
                side: r.side()?,
                price: r.i64(),
                quantity: r.u64(),
                priority_kept: r.flag("priority_kept")?,
            },
            _ => Event::BookUpdate {
                symbol: r.symbol(),
                side: r.side()?,
                price: r.i64(),
                quantity: r.u64(),
                order_count: r.u32(),
            },
        };
        Ok((event, r.finish()))
    }
}

/// Decodes a concatenation of messages, stopping at the first error.
///
/// Returns the messages decoded so far and the error, if any; for building
/// replay tools on top of recorded streams.
pub fn decode_stream<T: Wire>(mut bytes: &[u8]) -> (Vec<T>, Option<DecodeError>) {
    let mut messages = Vec::new();
    while !bytes.is_empty() {
        match T::decode(bytes) {
            Ok((message, used)) => {
                messages.push(message);
                bytes = &bytes[used..];
            }
            Err(error) => return (messages, Some(error)),
        }
    }
    (messages, None)
}
