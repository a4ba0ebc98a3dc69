//! The `valkey-tiered` binary: `valkey-tiered [config file] [--directive value ...]`.

use std::path::PathBuf;

/// mimalloc rather than the system allocator: its size classes carry no
/// per-allocation header, which on a keyspace of many small allocations
/// saves ~15% of RAM against glibc malloc (measured in
/// benches/server-vs-redis.sh), and it is faster under contention.
#[global_allocator]
static ALLOC: tiering::memory::CountingAlloc<mimalloc::MiMalloc> =
    tiering::memory::CountingAlloc(mimalloc::MiMalloc);

const USAGE: &str = "Usage: valkey-tiered [/path/to/valkey-tiered.conf] [options] [-]
       valkey-tiered - (read config from stdin)
       valkey-tiered -v or --version
       valkey-tiered -h or --help

Examples:
       valkey-tiered (run the server with default config)
       valkey-tiered /etc/valkey-tiered.conf
       valkey-tiered --port 7777
       valkey-tiered /etc/valkey-tiered.conf --loglevel verbose --save ''
";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Cli {
    /// The config file, if one was named.
    file: Option<PathBuf>,
    /// Directive lines: each `--name` starts one; the words after it are
    /// its arguments.
    lines: Vec<Vec<String>>,
    /// Read further config lines from standard input (`-`).
    stdin: bool,
}

fn parse_cli(args: &[String]) -> Result<Cli, String> {
    let mut file = None;
    let mut stdin = false;
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    if let Some(first) = args.first() {
        if first == "-" {
            stdin = true;
            i = 1;
        } else if !first.starts_with("--") {
            file = Some(PathBuf::from(first));
            i = 1;
            if args.get(1).map(String::as_str) == Some("-") {
                stdin = true;
                i = 2;
            }
        }
    }
    while i < args.len() {
        let a = &args[i];
        if let Some(name) = a.strip_prefix("--") {
            if name.is_empty() {
                return Err("empty option name".into());
            }
            lines.push(vec![name.to_string()]);
        } else {
            match lines.last_mut() {
                Some(l) => l.push(a.clone()),
                None => return Err(format!("unexpected argument '{a}'")),
            }
        }
        i += 1;
    }
    Ok(Cli { file, lines, stdin })
}

fn init_logging(level: &str, logfile: &str) {
    use tracing_subscriber::filter::LevelFilter;
    let filter = match level {
        "debug" => LevelFilter::TRACE,
        "verbose" => LevelFilter::DEBUG,
        "notice" => LevelFilter::INFO,
        "warning" => LevelFilter::WARN,
        _ => LevelFilter::OFF,
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_max_level(filter)
        .with_target(false)
        .with_ansi(ansi);
    if logfile.is_empty() {
        builder.init();
    } else {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
        {
            Ok(f) => builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .init(),
            Err(e) => {
                eprintln!("Can't open the log file {logfile}: {e}");
                std::process::exit(1);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!(
            "valkey-tiered v={} (Redis {} compatible) bits=64",
            valkey_tiered::VERSION,
            valkey_tiered::REDIS_COMPAT_VERSION
        );
        return;
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return;
    }
    let Cli {
        file,
        mut lines,
        stdin,
    } = match parse_cli(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            std::process::exit(1);
        }
    };
    if stdin {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text);
        let mut from_stdin: Vec<Vec<String>> = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(words) = valkey_tiered::resp::split_args(line.as_bytes()) {
                from_stdin.push(
                    words
                        .into_iter()
                        .map(|w| String::from_utf8_lossy(&w).into_owned())
                        .collect(),
                );
            }
        }
        from_stdin.append(&mut lines);
        lines = from_stdin;
    }
    let config = match valkey_tiered::config::Config::load(file.as_deref(), &lines) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    init_logging(
        config.get("loglevel").unwrap_or("notice"),
        config.get("logfile").unwrap_or(""),
    );
    let dir = config.tun.dir.clone();
    if !dir.is_empty() {
        if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| std::env::set_current_dir(&dir))
        {
            tracing::error!("Can't chdir to '{dir}': {e}");
            std::process::exit(1);
        }
    }
    let threads = config
        .get("io-threads")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .thread_name("vt-io")
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(valkey_tiered::run(config));
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::parse_cli;

    #[test]
    fn cli_lines() {
        let a: Vec<String> = ["x.conf", "--port", "7000", "--save", "", "--dir", "/tmp/x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cli = parse_cli(&a).unwrap();
        assert_eq!(cli.file.unwrap().to_str(), Some("x.conf"));
        assert!(!cli.stdin);
        assert_eq!(
            cli.lines,
            vec![
                vec!["port".to_string(), "7000".into()],
                vec!["save".into(), "".into()],
                vec!["dir".into(), "/tmp/x".into()]
            ]
        );
    }
}
