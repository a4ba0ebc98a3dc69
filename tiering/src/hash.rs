//! Hash values: field → value maps.
//!
//! Small collections are a [`Pack`](crate::pack::Pack), which `OBJECT
//! ENCODING` reports as `listpack`.

use crate::pack::Pack;

#[derive(Clone, Debug, PartialEq)]
pub enum HashValue {
    /// The compact representation (`listpack`).
    Pack(Pack),
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Pack(Pack::new())
    }
}

impl HashValue {
    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Pack(_) => "listpack",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            HashValue::Pack(p) => p.heap_size(),
        }
    }
}
