//! Persistence formats (RDB, DUMP/RESTORE, AOF) for valkey-tiered.

pub mod aof;
pub mod crc64;
pub mod encodings;
pub mod file;
pub mod lzf;
pub mod object;
pub mod rdb;
