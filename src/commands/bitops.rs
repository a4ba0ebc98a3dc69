//! Bit commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD, BITFIELD_RO.

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
