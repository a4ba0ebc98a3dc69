//! The keyspace engine of valkey-tiered: value types, entries, expiry,
//! access tracking (LRU/LFU) and memory accounting. No RESP, no sockets.
//!
//! The hot/cold split (demotion to the cold store, promotion on access)
//! builds on these types.

pub mod cold;
pub mod coldkeys;
pub mod dict;
pub mod estimate;
pub mod geo;
pub mod glob;
pub mod hash;
pub mod hll;
pub mod key;
pub mod keyspace;
pub mod lfu;
pub mod limits;
pub mod list;
pub mod memory;
pub mod pack;
pub mod set;
pub mod sorted;
pub mod value;
pub mod zset;

pub use hash::HashValue;
pub use keyspace::{Access, Entry, EntryRef, Key, Keyspace, NO_EXPIRE};
pub use limits::Limits;
pub use list::{End, ListValue};
pub use set::SetValue;
pub use value::{StrValue, Value};
pub use zset::ZSetValue;
