//! Set values: unordered collections of unique members.
//!
//! Small collections are a [`Pack`](crate::pack::Pack), which `OBJECT
//! ENCODING` reports as `listpack`.

use crate::pack::Pack;

#[derive(Clone, Debug, PartialEq)]
pub enum SetValue {
    /// The compact representation (`listpack`).
    Pack(Pack),
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::Pack(Pack::new())
    }
}

impl SetValue {
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Pack(_) => "listpack",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            SetValue::Pack(p) => p.heap_size(),
        }
    }
}
