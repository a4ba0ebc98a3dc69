//! List values: sequences with fast push/pop at both ends.
//!
//! Small collections are a [`Pack`](crate::pack::Pack), which `OBJECT
//! ENCODING` reports as `listpack`.

use crate::pack::Pack;

#[derive(Clone, Debug, PartialEq)]
pub enum ListValue {
    /// The compact representation (`listpack`).
    Pack(Pack),
}

impl Default for ListValue {
    fn default() -> Self {
        ListValue::Pack(Pack::new())
    }
}

impl ListValue {
    pub fn encoding(&self) -> &'static str {
        match self {
            ListValue::Pack(_) => "listpack",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            ListValue::Pack(p) => p.heap_size(),
        }
    }
}
