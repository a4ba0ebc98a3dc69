//! `valkey-tiered-check-rdb <file>`: checks an RDB file offline.
//!
//! Exit status: 0 if the file is valid, 1 if it is damaged or cannot be
//! read, 2 for a usage error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

const USAGE: &str = "Usage: valkey-tiered-check-rdb <file.rdb>\n\
    Reads the whole file as the server loads it and reports its version,\n\
    auxiliary fields, keys per database and type, and its checksum; on\n\
    damage, the offset and the reason. Exit status 0 if valid, 1 if not.\n";

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.len() == 1 && (args[0] == "-h" || args[0] == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if args.len() != 1 || args[0].to_string_lossy().starts_with('-') {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    }
    let path = PathBuf::from(&args[0]);
    let data = match ops::map_file(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let report = ops::check_rdb::check(&data, now_ms);
    print!(
        "{}",
        ops::check_rdb::render(&path.display().to_string(), &report)
    );
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
