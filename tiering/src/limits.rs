//! The size limits that decide a collection's representation (the
//! `*-max-listpack-*`, `set-max-intset-entries` and `list-*` directives).
//! Commands pass them to the value types, which convert from the compact
//! representation to the large one when a limit is passed, as Redis does.

/// Representation limits, with Redis's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    /// Positive: entries per list node; negative: node size class
    /// (-1 = 4 KiB ... -5 = 64 KiB).
    pub list_max_listpack_size: i64,
    pub list_compress_depth: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub hll_sparse_max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            hll_sparse_max_bytes: 3000,
        }
    }
}
