//! `valkey-tiered-check-aof`: verifies an append-only file — a multi-part
//! AOF through its manifest, or one file — with the server's own readers
//! (`persistence::aof` for the command log, `persistence::file` for an
//! RDB base or preamble), and says whether `--fix` can repair it.
//!
//! What can be repaired is what a crash leaves behind: the end of the
//! last file torn (a command cut short, a `MULTI` whose `EXEC` was never
//! written, or zero bytes after the last complete command, which some
//! file systems leave when they extend a file). Cutting the last file
//! after its last complete command loses only what was never
//! acknowledged. Damage anywhere else — a base file, an earlier
//! incremental file, garbage followed by more data — is not a torn tail;
//! cutting there would throw away acknowledged writes, so the tool
//! refuses and says where the damage is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use persistence::aof::{is_rdb, AofFile, Commands, FileKind, Manifest, ReadError};
use persistence::file::read_rdb;

/// What is wrong in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file ends inside a command or a transaction: everything from
    /// `cut_at` on is a torn tail. `detail` says what was cut short.
    Torn { cut_at: usize, detail: String },
    /// Bytes at `offset` are not a command (or break the MULTI/EXEC
    /// nesting); `cut_at` is the end of the last complete command before.
    /// `at_end`: no complete command can be read anywhere after `cut_at`,
    /// so the damage is the file's end (a torn write with garbage).
    Bad {
        offset: usize,
        cut_at: usize,
        detail: String,
        at_end: bool,
    },
    /// The RDB base or preamble is damaged.
    Rdb { offset: usize, detail: String },
    /// The file cannot be read.
    Unreadable(String),
}

impl Problem {
    /// The offset to report as the first bad one.
    pub fn offset(&self) -> usize {
        match self {
            Problem::Torn { cut_at, .. } => *cut_at,
            Problem::Bad { offset, .. } | Problem::Rdb { offset, .. } => *offset,
            Problem::Unreadable(_) => 0,
        }
    }
}

/// The check of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub size: usize,
    /// For a file starting with an RDB: its version, keys and length.
    pub rdb: Option<(u16, u64, usize)>,
    pub commands: u64,
    pub problem: Option<Problem>,
}

/// Checks one file's bytes: an optional RDB (base file or preamble), then
/// commands.
pub fn check_bytes(data: &[u8]) -> FileCheck {
    let mut c = FileCheck {
        size: data.len(),
        rdb: None,
        commands: 0,
        problem: None,
    };
    let mut from = 0;
    if is_rdb(data) {
        let mut keys = 0u64;
        match read_rdb(data, |e| {
            if let persistence::file::Event::Key(_) = e {
                keys += 1;
            }
            Ok(())
        }) {
            Ok(l) => {
                c.rdb = Some((l.version, keys, l.length));
                from = l.length;
            }
            Err(e) => {
                let offset = e.offset;
                let full = e.to_string();
                let detail = full
                    .strip_suffix(&format!(" at offset {offset}"))
                    .unwrap_or(&full)
                    .to_string();
                c.problem = Some(Problem::Rdb { offset, detail });
                return c;
            }
        }
    }
    let log = &data[from..];
    let mut reader = Commands::new(log);
    // Where the open transaction started.
    let mut multi_at: Option<usize> = None;
    let mut problem = None;
    while let Some(item) = reader.next() {
        match item {
            Ok((at, args)) => {
                c.commands += 1;
                let name = args[0];
                if name.eq_ignore_ascii_case(b"multi") {
                    if multi_at.is_some() {
                        problem = Some(Problem::Bad {
                            offset: from + at,
                            cut_at: from + at,
                            detail: "a MULTI inside a transaction".into(),
                            at_end: false,
                        });
                        break;
                    }
                    multi_at = Some(at);
                } else if name.eq_ignore_ascii_case(b"exec") {
                    if multi_at.is_none() {
                        problem = Some(Problem::Bad {
                            offset: from + at,
                            cut_at: from + at,
                            detail: "an EXEC without MULTI".into(),
                            at_end: false,
                        });
                        break;
                    }
                    multi_at = None;
                }
            }
            Err(ReadError::Truncated { offset }) => {
                problem = Some(Problem::Torn {
                    cut_at: from + offset,
                    detail: format!(
                        "the file ends inside the command at offset {}",
                        from + offset
                    ),
                });
            }
            Err(ReadError::Bad { offset, what }) => {
                // The reader stays at the start of the command it could
                // not read: the end of the last complete one.
                let last_end = from + reader.position();
                // Zeros from the end of the last command to the end of
                // the file: a torn write, not damage.
                if data[last_end..].iter().all(|&b| b == 0) {
                    problem = Some(Problem::Torn {
                        cut_at: last_end,
                        detail: format!(
                            "{} zero bytes follow the last complete command",
                            data.len() - last_end
                        ),
                    });
                } else {
                    problem = Some(Problem::Bad {
                        offset: from + offset,
                        cut_at: last_end,
                        detail: what.to_string(),
                        at_end: !command_follows(log, last_end - from),
                    });
                }
            }
        }
    }
    // A transaction left open at the end is torn too: cut before MULTI.
    if let Some(at) = multi_at {
        match &mut problem {
            Some(Problem::Bad {
                cut_at,
                at_end: true,
                ..
            }) => *cut_at = from + at,
            None | Some(Problem::Torn { .. }) => {
                problem = Some(Problem::Torn {
                    cut_at: from + at,
                    detail: format!(
                        "the transaction started by MULTI at offset {} has no EXEC",
                        from + at
                    ),
                });
            }
            _ => {}
        }
    }
    c.problem = problem;
    c
}

/// Whether a complete command can be read starting at some `*` after
/// `start` (the start of the unreadable command): if one can, the damage
/// is in the middle of the log and acknowledged writes follow it. A value
/// that happens to hold RESP text counts too, which errs on the side of
/// refusing to cut.
fn command_follows(log: &[u8], start: usize) -> bool {
    (start + 1..log.len())
        .filter(|&p| log[p] == b'*')
        .any(|p| matches!(Commands::new(&log[p..]).next(), Some(Ok(_))))
}

/// One file of the AOF as checked, in replay order.
#[derive(Debug)]
pub struct Checked {
    pub path: PathBuf,
    pub kind: Option<FileKind>,
    pub check: FileCheck,
}

/// The check of a whole AOF.
#[derive(Debug)]
pub struct AofCheck {
    /// The manifest, for a multi-part AOF.
    pub manifest: Option<(PathBuf, Manifest)>,
    /// Files in replay order, up to and including the first with a
    /// problem.
    pub files: Vec<Checked>,
    /// How many files the AOF has (the check stops at the first problem).
    pub total_files: usize,
}

impl AofCheck {
    /// The first problem: the file's index and the problem.
    pub fn problem(&self) -> Option<(usize, &Problem)> {
        self.files
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.check.problem.as_ref().map(|p| (i, p)))
    }

    /// Where `--fix` would cut: (file, offset), or why it cannot.
    pub fn fix_plan(&self) -> Result<Option<(&Path, usize)>, String> {
        let Some((i, p)) = self.problem() else {
            return Ok(None);
        };
        let f = &self.files[i];
        let last = i + 1 == self.total_files;
        match p {
            Problem::Torn { cut_at, .. }
            | Problem::Bad {
                cut_at,
                at_end: true,
                ..
            } => {
                if last {
                    Ok(Some((&f.path, *cut_at)))
                } else {
                    Err(format!(
                        "{} is not the last file of the AOF: its end was not the \
                         last write, and cutting it would lose the files after it",
                        f.path.display()
                    ))
                }
            }
            Problem::Bad { offset, .. } => Err(format!(
                "the damage at offset {offset} of {} is not a torn end of the AOF: \
                 cutting there would lose the data that follows it",
                f.path.display()
            )),
            Problem::Rdb { .. } => Err(format!(
                "the RDB part of {} is damaged; it cannot be repaired by cutting",
                f.path.display()
            )),
            Problem::Unreadable(e) => Err(e.clone()),
        }
    }
}

fn read(path: &Path) -> Result<crate::Mapped, String> {
    crate::map_file(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Finds what `target` names: a manifest (a `.manifest` file, or a
/// directory holding exactly one), or else a single AOF file.
pub fn locate(target: &Path) -> Result<(Option<PathBuf>, PathBuf), String> {
    if target.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(target)
            .map_err(|e| format!("cannot list {}: {e}", target.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "manifest"))
            .collect();
        found.sort();
        return match found.len() {
            1 => {
                let m = found.remove(0);
                Ok((Some(m.clone()), m))
            }
            0 => Err(format!("no AOF manifest in {}", target.display())),
            _ => Err(format!(
                "several AOF manifests in {}: name one",
                target.display()
            )),
        };
    }
    if target.extension().is_some_and(|x| x == "manifest") {
        return Ok((Some(target.to_path_buf()), target.to_path_buf()));
    }
    Ok((None, target.to_path_buf()))
}

/// Checks the AOF `target` names (see [`locate`]), file by file in replay
/// order, stopping at the first problem.
pub fn check(target: &Path) -> Result<AofCheck, String> {
    let (manifest_path, path) = locate(target)?;
    let Some(mpath) = manifest_path else {
        let data = read(&path)?;
        return Ok(AofCheck {
            manifest: None,
            files: vec![Checked {
                check: check_bytes(&data),
                path,
                kind: None,
            }],
            total_files: 1,
        });
    };
    let text = read(&mpath)?;
    let manifest = Manifest::parse(&text).map_err(|e| format!("{}: {e}", mpath.display()))?;
    let dir = mpath.parent().unwrap_or(Path::new(".")).to_path_buf();
    let order: Vec<AofFile> = manifest.replay_order().cloned().collect();
    let mut files = Vec::new();
    for f in &order {
        let path = dir.join(&f.name);
        let check = match read(&path) {
            Ok(data) => check_bytes(&data),
            Err(e) => FileCheck {
                size: 0,
                rdb: None,
                commands: 0,
                problem: Some(Problem::Unreadable(e)),
            },
        };
        let stop = check.problem.is_some();
        files.push(Checked {
            path,
            kind: Some(f.kind),
            check,
        });
        if stop {
            break;
        }
    }
    Ok(AofCheck {
        manifest: Some((mpath, manifest)),
        files,
        total_files: order.len(),
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The check as the tool prints it.
pub fn render(c: &AofCheck) -> String {
    let mut o = String::new();
    if let Some((p, m)) = &c.manifest {
        let _ = writeln!(
            o,
            "Manifest {}: {} base file, {} incremental, {} history (not checked)",
            p.display(),
            if m.base.is_some() { "a" } else { "no" },
            m.incrs.len(),
            m.history.len()
        );
    }
    for f in &c.files {
        let ch = &f.check;
        let kind = match f.kind {
            Some(FileKind::Base) => "base ",
            Some(FileKind::Incr) => "incr ",
            _ => "",
        };
        let _ = write!(o, "{kind}{}: {} bytes", file_name(&f.path), ch.size);
        if let Some((v, keys, len)) = ch.rdb {
            let _ = write!(o, ", RDB version {v} with {keys} keys ({len} bytes)");
        }
        let _ = write!(o, ", {} commands", ch.commands);
        match &ch.problem {
            None => o.push_str(": OK\n"),
            Some(Problem::Torn { cut_at, detail }) => {
                let _ = writeln!(
                    o,
                    "\n  truncated: {detail}; valid up to offset {cut_at} ({} bytes after it)",
                    ch.size - cut_at
                );
            }
            Some(Problem::Bad {
                offset,
                cut_at,
                detail,
                at_end,
            }) => {
                let _ = writeln!(
                    o,
                    "\n  bad format at offset {offset}: {detail}; valid up to offset {cut_at}{}",
                    if *at_end {
                        " (nothing readable follows: a torn end)"
                    } else {
                        ""
                    }
                );
            }
            Some(Problem::Rdb { offset, detail }) => {
                let _ = writeln!(o, "\n  bad RDB at offset {offset}: {detail}");
            }
            Some(Problem::Unreadable(e)) => {
                let _ = writeln!(o, "\n  {e}");
            }
        }
    }
    match c.problem() {
        None => {
            let _ = writeln!(o, "AOF is valid");
        }
        Some((i, p)) => {
            let _ = writeln!(
                o,
                "AOF is NOT valid: the first bad offset is {} in {}",
                p.offset(),
                file_name(&c.files[i].path)
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use persistence::aof::encode_command;

    fn log(cmds: &[&[&str]]) -> Vec<u8> {
        let mut out = Vec::new();
        for c in cmds {
            encode_command(&mut out, c);
        }
        out
    }

    #[test]
    fn good_logs_and_torn_ends() {
        let good = log(&[&["SET", "a", "1"], &["MULTI"], &["INCR", "a"], &["EXEC"]]);
        let c = check_bytes(&good);
        assert_eq!((c.commands, c.problem), (4, None));
        // Cut anywhere inside the last command: torn at its start.
        let last = good.len() - log(&[&["EXEC"]]).len();
        for cut in last + 1..good.len() {
            let c = check_bytes(&good[..cut]);
            // Without EXEC the transaction is open: cut before MULTI.
            let multi = log(&[&["SET", "a", "1"]]).len();
            assert!(
                matches!(c.problem, Some(Problem::Torn { cut_at, .. }) if cut_at == multi),
                "{cut}: {c:?}"
            );
        }
        let mut zeros = good.clone();
        zeros.extend([0u8; 100]);
        assert!(matches!(
            check_bytes(&zeros).problem,
            Some(Problem::Torn { cut_at, .. }) if cut_at == good.len()
        ));
    }

    #[test]
    fn garbage_and_bad_nesting_are_not_torn_ends() {
        let mut bad = log(&[&["SET", "a", "1"]]);
        let first = bad.len();
        bad.extend_from_slice(b"garbage\r\n");
        bad.extend(log(&[&["SET", "b", "2"]]));
        assert_eq!(
            check_bytes(&bad).problem,
            Some(Problem::Bad {
                offset: first,
                cut_at: first,
                detail: "expected '*' (the start of a command)".into(),
                at_end: false,
            })
        );
        // Garbage with nothing readable after it is a torn end.
        let mut tail = log(&[&["SET", "a", "1"]]);
        tail.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1x\r\n");
        assert!(matches!(
            check_bytes(&tail).problem,
            Some(Problem::Bad { cut_at, at_end: true, .. }) if cut_at == first
        ));
        let nested = log(&[&["MULTI"], &["MULTI"]]);
        assert!(matches!(
            check_bytes(&nested).problem,
            Some(Problem::Bad { .. })
        ));
        let exec = log(&[&["EXEC"]]);
        assert!(matches!(
            check_bytes(&exec).problem,
            Some(Problem::Bad { offset: 0, .. })
        ));
    }

    #[test]
    fn an_rdb_preamble_is_read_first() {
        let w = persistence::file::RdbWriter::new(true, -2);
        let mut data = w.finish(true);
        let rdb_len = data.len();
        data.extend(log(&[&["SET", "a", "1"], &["SET", "b"]]));
        data.truncate(data.len() - 3);
        let c = check_bytes(&data);
        assert_eq!(c.rdb, Some((10, 0, rdb_len)));
        assert_eq!(c.commands, 1);
        let second = rdb_len + log(&[&["SET", "a", "1"]]).len();
        assert!(matches!(c.problem, Some(Problem::Torn { cut_at, .. }) if cut_at == second));
        let c = check_bytes(&data[..rdb_len - 1]);
        assert!(matches!(c.problem, Some(Problem::Rdb { .. })));
    }
}
