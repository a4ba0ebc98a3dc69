//! The keyspace engine of valkey-tiered: value types, entries, expiry,
//! access tracking (LRU/LFU) and memory accounting. No RESP, no sockets.
//!
//! The hot/cold split (demotion to the cold store, promotion on access)
//! builds on these types.

pub mod dict;
pub mod glob;
pub mod key;
pub mod keyspace;
pub mod lfu;
pub mod memory;
pub mod value;

pub use keyspace::{Access, Entry, Key, Keyspace, NO_EXPIRE};
pub use value::{StrValue, Value};
