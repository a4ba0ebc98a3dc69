//! Operations support for valkey-tiered: INFO rendering helpers, offline tools.
