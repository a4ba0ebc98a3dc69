//! Persistence formats (RDB, DUMP/RESTORE, AOF) for valkey-tiered.
