//! Operations support for valkey-tiered: INFO rendering, process
//! readings (RSS, CPU), offline tools.

pub mod check_aof;
pub mod check_rdb;
pub mod info;

use std::path::Path;

/// A file's bytes for the offline tools: mapped, so that checking a file
/// larger than memory does not need that memory.
pub enum Mapped {
    Map(memmap2::Mmap),
    /// Empty files (which cannot be mapped).
    Empty,
}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Mapped::Map(m) => m,
            Mapped::Empty => &[],
        }
    }
}

/// Maps `path` read-only.
pub fn map_file(path: &Path) -> std::io::Result<Mapped> {
    let f = std::fs::File::open(path)?;
    if f.metadata()?.len() == 0 {
        return Ok(Mapped::Empty);
    }
    // SAFETY: the map is only read. A file another process truncates
    // while it is mapped would fault on access; the tools are meant for
    // files no server is writing (docs/operations.md says so), as the
    // server's own RDB load maps a file nothing else writes.
    let m = unsafe { memmap2::Mmap::map(&f) }?;
    Ok(Mapped::Map(m))
}
