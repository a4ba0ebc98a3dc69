//! Operations support for valkey-tiered: INFO rendering, process
//! readings (RSS, CPU), offline tools.

pub mod info;
