//! Sorted-set values: unique members ordered by score, then member.
//!
//! Small collections are a [`Pack`](crate::pack::Pack), which `OBJECT
//! ENCODING` reports as `listpack`.

use crate::pack::Pack;

#[derive(Clone, Debug, PartialEq)]
pub enum ZSetValue {
    /// The compact representation (`listpack`).
    Pack(Pack),
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::Pack(Pack::new())
    }
}

impl ZSetValue {
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSetValue::Pack(_) => "listpack",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            ZSetValue::Pack(p) => p.heap_size(),
        }
    }
}
