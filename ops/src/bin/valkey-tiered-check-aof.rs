//! `valkey-tiered-check-aof [--fix [-y]] <manifest|dir|file>`: checks an
//! append-only file offline and repairs a torn end.
//!
//! Exit status: 0 if the AOF is valid (or was repaired), 1 if it is not,
//! 2 for a usage error.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ops::check_aof;

const USAGE: &str =
    "Usage: valkey-tiered-check-aof [--fix [-y|--yes]] <manifest | AOF directory | AOF file>\n\
    Checks every file of a multi-part AOF in the manifest's order (or one\n\
    AOF file) and reports the first bad offset. --fix cuts a torn end of\n\
    the last file (a command cut short, a MULTI without EXEC, trailing\n\
    zeros) after its last complete command, after asking; -y does not ask.\n\
    Exit status 0 if valid or repaired, 1 if not.\n";

fn main() -> ExitCode {
    let (mut fix, mut yes, mut target) = (false, false, None);
    for a in std::env::args_os().skip(1) {
        match a.to_str() {
            Some("--fix") => fix = true,
            Some("-y") | Some("--yes") => yes = true,
            Some("-h") | Some("--help") => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            Some(s) if s.starts_with('-') => {
                eprintln!("unknown option {s}");
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
            _ if target.is_none() => target = Some(PathBuf::from(a)),
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(target) = target else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let report = match check_aof::check(&target) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", check_aof::render(&report));
    let plan = match report.fix_plan() {
        Ok(None) => return ExitCode::SUCCESS,
        Ok(Some(plan)) => plan,
        Err(why) => {
            println!("Cannot be repaired by --fix: {why}");
            return ExitCode::FAILURE;
        }
    };
    let (path, cut_at) = plan;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if !fix {
        println!(
            "Run with --fix to cut {} at offset {cut_at} ({} bytes lost)",
            path.display(),
            size.saturating_sub(cut_at as u64)
        );
        return ExitCode::FAILURE;
    }
    println!(
        "This cuts {} from {size} to {cut_at} bytes ({} bytes lost).",
        path.display(),
        size.saturating_sub(cut_at as u64)
    );
    if !yes {
        print!("Continue? [y/N]: ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        let a = answer.trim();
        if !(a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes")) {
            println!("Not repaired.");
            return ExitCode::FAILURE;
        }
    }
    let cut = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| {
            f.set_len(cut_at as u64)?;
            f.sync_all()
        });
    if let Err(e) = cut {
        eprintln!("cannot cut {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    // Check again: the repaired AOF must now be valid.
    match check_aof::check(&target) {
        Ok(r) if r.problem().is_none() => {
            println!(
                "Repaired: {} cut to {cut_at} bytes. AOF is valid",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Ok(r) => {
            print!("{}", check_aof::render(&r));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
