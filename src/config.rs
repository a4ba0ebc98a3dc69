//! Configuration: one table of directives drives the config file parser,
//! command-line `--directive value` overrides, `CONFIG GET/SET/REWRITE`.
//!
//! Values are kept in canonical text form (what `CONFIG GET` prints: memory
//! in bytes, booleans as yes/no, enums in lower case) and parsed into typed
//! [`Tunables`] after every change, so hot paths read plain fields.
//!
//! Directives for features a build does not have yet are accepted only at
//! their default value (so stock config files load) and refused otherwise,
//! rather than silently ignored.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int { min: i64, max: i64 },
    Mem { min: i64, max: i64 },
    Enum(&'static [&'static str]),
    Str,
    Save,
    ClientOutputBufferLimit,
    NotifyEvents,
    List,
}

pub const IMMUTABLE: u8 = 1;
/// Only the default value is accepted: the feature is not in this build.
pub const DEFAULT_ONLY: u8 = 2;
/// Hidden from `CONFIG REWRITE` when equal to the default.
pub const SENSITIVE: u8 = 4;

pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    pub flags: u8,
}

const fn d(name: &'static str, kind: Kind, default: &'static str, flags: u8) -> Directive {
    Directive {
        name,
        alias: None,
        kind,
        default,
        flags,
    }
}

const fn da(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
    flags: u8,
) -> Directive {
    Directive {
        name,
        alias: Some(alias),
        kind,
        default,
        flags,
    }
}

const BOOL: Kind = Kind::Bool;
const STR: Kind = Kind::Str;
const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}
const fn mem(min: i64, max: i64) -> Kind {
    Kind::Mem { min, max }
}
const I32: i64 = i32::MAX as i64;
const LL: i64 = i64::MAX;

pub const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// Every directive, sorted by name.
pub static DIRECTIVES: &[Directive] = &[
    d(
        "acl-pubsub-default",
        Kind::Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
        0,
    ),
    d("aclfile", STR, "", IMMUTABLE | DEFAULT_ONLY),
    d("acllog-max-len", int(0, LL), "128", 0),
    d("active-defrag-cycle-max", int(1, 99), "25", 0),
    d("active-defrag-cycle-min", int(1, 99), "1", 0),
    d("active-defrag-ignore-bytes", mem(1, LL), "104857600", 0),
    d("active-defrag-max-scan-fields", int(1, LL), "1000", 0),
    d("active-defrag-threshold-lower", int(0, 1000), "10", 0),
    d("active-defrag-threshold-upper", int(0, 1000), "100", 0),
    d("active-expire-effort", int(1, 10), "1", 0),
    d("activedefrag", BOOL, "no", 0),
    d("activerehashing", BOOL, "yes", 0),
    d("always-show-logo", BOOL, "no", IMMUTABLE),
    d("aof-disable-auto-gc", BOOL, "no", 0),
    d("aof-load-truncated", BOOL, "yes", 0),
    d("aof-rewrite-incremental-fsync", BOOL, "yes", 0),
    d("aof-timestamp-enabled", BOOL, "no", 0),
    d("aof-use-rdb-preamble", BOOL, "yes", 0),
    d("appenddirname", STR, "appendonlydir", IMMUTABLE),
    d("appendfilename", STR, "appendonly.aof", IMMUTABLE),
    d(
        "appendfsync",
        Kind::Enum(&["everysec", "always", "no"]),
        "everysec",
        0,
    ),
    d("appendonly", BOOL, "no", 0),
    d("auto-aof-rewrite-min-size", mem(0, LL), "67108864", 0),
    d("auto-aof-rewrite-percentage", int(0, I32), "100", 0),
    d("bind", Kind::List, "* -::*", 0),
    d("busy-reply-threshold", int(0, LL), "5000", 0),
    d(
        "client-output-buffer-limit",
        Kind::ClientOutputBufferLimit,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        0,
    ),
    d(
        "client-query-buffer-limit",
        mem(1024 * 1024, LL),
        "1073741824",
        0,
    ),
    d("cluster-enabled", BOOL, "no", IMMUTABLE | DEFAULT_ONLY),
    d("daemonize", BOOL, "no", IMMUTABLE | DEFAULT_ONLY),
    d("databases", int(1, I32), "16", IMMUTABLE),
    d("dbfilename", STR, "dump.rdb", 0),
    d("dir", STR, "", 0),
    d("disable-thp", BOOL, "yes", IMMUTABLE),
    d("dynamic-hz", BOOL, "yes", 0),
    d(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        IMMUTABLE,
    ),
    d(
        "enable-module-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        IMMUTABLE,
    ),
    d(
        "enable-protected-configs",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        IMMUTABLE,
    ),
    da(
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        int(0, LL),
        "512",
        0,
    ),
    da(
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        int(0, LL),
        "64",
        0,
    ),
    d("hll-sparse-max-bytes", mem(0, LL), "3000", 0),
    d("hz", int(0, I32), "10", 0),
    d("io-threads", int(1, 128), "1", IMMUTABLE),
    d("io-threads-do-reads", BOOL, "no", IMMUTABLE),
    d("latency-monitor-threshold", int(0, LL), "0", 0),
    d("latency-tracking", BOOL, "yes", 0),
    d(
        "latency-tracking-info-percentiles",
        Kind::List,
        "50 99 99.9",
        0,
    ),
    d("lazyfree-lazy-eviction", BOOL, "no", 0),
    d("lazyfree-lazy-expire", BOOL, "no", 0),
    d("lazyfree-lazy-server-del", BOOL, "no", 0),
    d("lazyfree-lazy-user-del", BOOL, "no", 0),
    d("lazyfree-lazy-user-flush", BOOL, "no", 0),
    d("lfu-decay-time", int(0, I32), "1", 0),
    d("lfu-log-factor", int(0, I32), "10", 0),
    d("list-compress-depth", int(0, I32), "0", 0),
    da(
        "list-max-listpack-size",
        "list-max-ziplist-size",
        int(i32::MIN as i64, I32),
        "-2",
        0,
    ),
    d("logfile", STR, "", IMMUTABLE),
    d(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        "notice",
        0,
    ),
    d("lua-time-limit", int(0, LL), "5000", 0),
    d("masterauth", STR, "", SENSITIVE),
    d("masteruser", STR, "", 0),
    d("maxclients", int(1, u32::MAX as i64), "10000", 0),
    d("maxmemory", mem(0, LL), "0", 0),
    d("maxmemory-clients", mem(0, LL), "0", 0),
    d("maxmemory-eviction-tenacity", int(0, 100), "10", 0),
    d("maxmemory-policy", Kind::Enum(POLICIES), "noeviction", 0),
    d("maxmemory-samples", int(1, I32), "5", 0),
    da(
        "min-replicas-max-lag",
        "min-slaves-max-lag",
        int(0, I32),
        "10",
        0,
    ),
    da(
        "min-replicas-to-write",
        "min-slaves-to-write",
        int(0, I32),
        "0",
        0,
    ),
    d("no-appendfsync-on-rewrite", BOOL, "no", 0),
    d("notify-keyspace-events", Kind::NotifyEvents, "", 0),
    d(
        "oom-score-adj",
        Kind::Enum(&["no", "yes", "relative", "absolute"]),
        "no",
        0,
    ),
    d("oom-score-adj-values", Kind::List, "0 200 800", 0),
    d("pidfile", STR, "", IMMUTABLE),
    d("port", int(0, 65535), "6379", 0),
    d(
        "proc-title-template",
        STR,
        "{title} {listen-addr} {server-mode}",
        0,
    ),
    d("protected-mode", BOOL, "yes", 0),
    d("proto-max-bulk-len", mem(1024 * 1024, LL), "536870912", 0),
    d("rdb-del-sync-files", BOOL, "no", 0),
    d("rdb-save-incremental-fsync", BOOL, "yes", 0),
    d("rdbchecksum", BOOL, "yes", IMMUTABLE),
    d("rdbcompression", BOOL, "yes", 0),
    d("repl-backlog-size", mem(1, LL), "1048576", 0),
    d("repl-backlog-ttl", int(0, I32), "3600", 0),
    d("repl-diskless-sync", BOOL, "yes", 0),
    d("repl-diskless-sync-delay", int(0, I32), "5", 0),
    da(
        "repl-ping-replica-period",
        "repl-ping-slave-period",
        int(1, I32),
        "10",
        0,
    ),
    d("repl-timeout", int(1, I32), "60", 0),
    da("replica-read-only", "slave-read-only", BOOL, "yes", 0),
    da(
        "replica-serve-stale-data",
        "slave-serve-stale-data",
        BOOL,
        "yes",
        0,
    ),
    da(
        "replicaof",
        "slaveof",
        Kind::List,
        "",
        IMMUTABLE | DEFAULT_ONLY,
    ),
    d("requirepass", STR, "", SENSITIVE),
    d(
        "sanitize-dump-payload",
        Kind::Enum(&["no", "yes", "clients"]),
        "no",
        0,
    ),
    d("save", Kind::Save, "3600 1 300 100 60 10000", 0),
    d("set-max-intset-entries", int(0, LL), "512", 0),
    d("set-max-listpack-entries", int(0, LL), "128", 0),
    d("set-max-listpack-value", int(0, LL), "64", 0),
    d("set-proc-title", BOOL, "yes", IMMUTABLE),
    d("shutdown-on-sigint", Kind::List, "default", 0),
    d("shutdown-on-sigterm", Kind::List, "default", 0),
    d("shutdown-timeout", int(0, I32), "10", 0),
    d("slowlog-log-slower-than", int(-1, LL), "10000", 0),
    d("slowlog-max-len", int(0, LL), "128", 0),
    d("stop-writes-on-bgsave-error", BOOL, "yes", 0),
    d("stream-node-max-bytes", mem(0, LL), "4096", 0),
    d("stream-node-max-entries", int(0, LL), "100", 0),
    d(
        "supervised",
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
        IMMUTABLE,
    ),
    d("syslog-enabled", BOOL, "no", IMMUTABLE | DEFAULT_ONLY),
    d("tcp-backlog", int(0, I32), "511", IMMUTABLE),
    d("tcp-keepalive", int(0, I32), "300", 0),
    // Tiering (ours; see docs/tiering.md).
    d("tiering", BOOL, "no", IMMUTABLE),
    d(
        "tiering-admission",
        Kind::Enum(&["frequency", "always"]),
        "frequency",
        0,
    ),
    d(
        "tiering-compression",
        Kind::Enum(&["lz4", "zstd", "none"]),
        "lz4",
        0,
    ),
    d("tiering-dir", STR, "", IMMUTABLE),
    d("tiering-estimator-samples", int(0, 65536), "8192", 0),
    d("tiering-force-cold", BOOL, "no", 0),
    d("tiering-force-cold-inflight", BOOL, "no", 0),
    d("tiering-io-threads", int(0, 64), "0", IMMUTABLE),
    d("tiering-min-value-size", mem(0, LL), "64", 0),
    d("timeout", int(0, I32), "0", 0),
    d("tls-port", int(0, 65535), "0", IMMUTABLE | DEFAULT_ONLY),
    d("tracking-table-max-keys", int(0, LL), "1000000", 0),
    d("unixsocket", STR, "", IMMUTABLE | DEFAULT_ONLY),
    d("unixsocketperm", int(0, 0o777), "0", IMMUTABLE),
    da(
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        int(0, LL),
        "128",
        0,
    ),
    da(
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        int(0, LL),
        "64",
        0,
    ),
];

pub fn find(name: &str) -> Option<(usize, &'static Directive)> {
    let lname = name.to_ascii_lowercase();
    DIRECTIVES
        .iter()
        .enumerate()
        .find(|(_, d)| d.name == lname || d.alias == Some(lname.as_str()))
}

/// One class's limits from the canonical `client-output-buffer-limit`
/// value (`<class> <hard> <soft> <secs>` repeated, sizes in bytes).
fn obuf_class(v: &str, class: &str) -> crate::pubsub::ObufLimit {
    let parts: Vec<&str> = v.split_whitespace().collect();
    let num = |s: &str| parse_memory(s).map_or(0, |n| n.max(0) as u64);
    parts
        .chunks(4)
        .find(|c| c.len() == 4 && c[0].eq_ignore_ascii_case(class))
        .map(|c| crate::pubsub::ObufLimit {
            hard: num(c[1]),
            soft: num(c[2]),
            soft_secs: c[3].parse().unwrap_or(0),
        })
        .unwrap_or_default()
}

/// Parses a memory value as Redis's `memtoull`: digits with an optional
/// unit (b, k, kb, m, mb, g, gb; k = 1000, kb = 1024), case-insensitive.
pub fn parse_memory(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let (num, mul): (&str, i64) = if let Some(n) = lower.strip_suffix("gb") {
        (n, 1 << 30)
    } else if let Some(n) = lower.strip_suffix("mb") {
        (n, 1 << 20)
    } else if let Some(n) = lower.strip_suffix("kb") {
        (n, 1 << 10)
    } else if let Some(n) = lower.strip_suffix('g') {
        (n, 1_000_000_000)
    } else if let Some(n) = lower.strip_suffix('m') {
        (n, 1_000_000)
    } else if let Some(n) = lower.strip_suffix('k') {
        (n, 1_000)
    } else if let Some(n) = lower.strip_suffix('b') {
        (n, 1)
    } else {
        (lower.as_str(), 1)
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<i64>().ok()?.checked_mul(mul)
}

/// The reason a value was refused (the text after `- ` in Redis's error).
pub type SetError = String;

/// Canonical form of `args` for directive `d`, or why they are refused.
pub fn canonicalize(d: &Directive, args: &[String]) -> Result<String, SetError> {
    let one = || -> Result<&str, SetError> {
        if args.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        Ok(args[0].as_str())
    };
    let v = match d.kind {
        Kind::Bool => match one()?.to_ascii_lowercase().as_str() {
            "yes" => "yes".to_string(),
            "no" => "no".to_string(),
            _ => return Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max } => {
            let s = one()?;
            let n: i64 = tiering::value::parse_strict_i64(s.as_bytes())
                .or_else(|| s.parse().ok())
                .ok_or("argument couldn't be parsed into an integer")?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            n.to_string()
        }
        Kind::Mem { min, max } => {
            let s = one()?;
            let n = parse_memory(s).ok_or("argument must be a memory value")?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            n.to_string()
        }
        Kind::Enum(options) => {
            let s = one()?.to_ascii_lowercase();
            if !options.contains(&s.as_str()) {
                return Err(format!(
                    "argument(s) must be one of the following: {}",
                    options.join(", ")
                ));
            }
            s
        }
        Kind::Str => one()?.to_string(),
        Kind::List => args.join(" "),
        Kind::Save => {
            let parts: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
            if parts.is_empty() || (parts.len() == 1 && parts[0].is_empty()) {
                String::new()
            } else {
                if parts.len() % 2 != 0 {
                    return Err("Invalid save parameters".into());
                }
                let mut nums = Vec::new();
                for p in &parts {
                    let n: i64 = p
                        .parse()
                        .map_err(|_| "Invalid save parameters".to_string())?;
                    if n < 0 {
                        return Err("Invalid save parameters".into());
                    }
                    nums.push(n.to_string());
                }
                nums.join(" ")
            }
        }
        Kind::ClientOutputBufferLimit => {
            let parts: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
            if parts.is_empty() || parts.len() % 4 != 0 {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut classes = [
                ("normal", [0i64; 3]),
                ("slave", [268435456, 67108864, 60]),
                ("pubsub", [33554432, 8388608, 60]),
            ];
            for chunk in parts.chunks(4) {
                let class = match chunk[0].to_ascii_lowercase().as_str() {
                    "normal" => 0,
                    "slave" | "replica" => 1,
                    "pubsub" => 2,
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let hard = parse_memory(chunk[1]);
                let soft = parse_memory(chunk[2]);
                let secs = chunk[3].parse::<i64>().ok().filter(|s| *s >= 0);
                match (hard, soft, secs) {
                    (Some(h), Some(s), Some(t)) => classes[class].1 = [h, s, t],
                    _ => return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into()),
                }
            }
            let mut out = String::new();
            for (i, (name, [h, s, t])) in classes.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{name} {h} {s} {t}");
            }
            out
        }
        Kind::NotifyEvents => {
            let s = one()?;
            let flags = crate::notify::parse_flags(s)
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            crate::notify::flags_to_string(flags)
        }
    };
    if d.flags & DEFAULT_ONLY != 0 && v != d.default {
        return Err(format!("'{}' is not supported by this server", d.name));
    }
    Ok(v)
}

/// Typed copies of the values hot paths need.
#[derive(Clone, Debug)]
pub struct Tunables {
    pub port: u16,
    pub bind: Vec<String>,
    pub databases: usize,
    pub hz: u32,
    pub maxclients: usize,
    pub timeout_secs: u64,
    pub tcp_keepalive: u64,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    pub requirepass: String,
    pub protected_mode: bool,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: usize,
    pub maxmemory_eviction_tenacity: u32,
    pub lazyfree_lazy_eviction: bool,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    /// `tiering yes`: `maxmemory` bounds the hot tier, cold values go to
    /// the cold store instead of being evicted.
    pub tiering: bool,
    pub tiering_min_value_size: usize,
    /// Demote every eligible value before each command (testing aid).
    pub tiering_force_cold: bool,
    /// With it, every other command runs while the demotions before it
    /// are still being written (testing aid).
    pub tiering_force_cold_inflight: bool,
    pub active_expire_effort: u32,
    pub activerehashing: bool,
    pub enable_debug_command: String,
    pub notify_flags: u32,
    /// The `pubsub` class of `client-output-buffer-limit`.
    pub pubsub_obuf: crate::pubsub::ObufLimit,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    pub dir: String,
    /// Collection representation limits (`*-max-listpack-*` & co.).
    pub limits: tiering::Limits,
}

/// The configuration: canonical values for every directive, plus where
/// they came from (for `CONFIG REWRITE`).
#[derive(Clone, Debug)]
pub struct Config {
    values: Vec<String>,
    /// The config file this server started with, if any (absolute).
    pub file: Option<PathBuf>,
    pub tun: Tunables,
}

/// An error in the config file or command line, rendered like valkey's
/// start-up error.
#[derive(Debug)]
pub struct LoadError {
    pub file: String,
    pub line_no: usize,
    pub line: String,
    pub reason: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (valkey-tiered {}) ***",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(
            f,
            "Reading the configuration file {}, at line {}",
            self.file, self.line_no
        )?;
        writeln!(f, ">>> '{}'", self.line)?;
        write!(f, "{}", self.reason)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    pub fn new() -> Config {
        let values = DIRECTIVES.iter().map(|d| d.default.to_string()).collect();
        let mut c = Config {
            values,
            file: None,
            tun: Tunables {
                port: 6379,
                bind: vec![],
                databases: 16,
                hz: 10,
                maxclients: 10000,
                timeout_secs: 0,
                tcp_keepalive: 300,
                proto_max_bulk_len: 512 << 20,
                client_query_buffer_limit: 1 << 30,
                requirepass: String::new(),
                protected_mode: true,
                maxmemory: 0,
                maxmemory_policy: "noeviction".into(),
                maxmemory_samples: 5,
                maxmemory_eviction_tenacity: 10,
                lazyfree_lazy_eviction: false,
                lfu_log_factor: 10,
                lfu_decay_time: 1,
                tiering: false,
                tiering_min_value_size: 64,
                tiering_force_cold: false,
                tiering_force_cold_inflight: false,
                active_expire_effort: 1,
                activerehashing: true,
                enable_debug_command: "no".into(),
                notify_flags: 0,
                pubsub_obuf: Default::default(),
                slowlog_log_slower_than: 10000,
                slowlog_max_len: 128,
                dir: String::new(),
                limits: tiering::Limits::default(),
            },
        };
        c.refresh();
        c
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        find(name).map(|(i, _)| self.values[i].as_str())
    }

    pub fn num(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name) == Some("yes")
    }

    fn refresh(&mut self) {
        let t = Tunables {
            port: self.num("port") as u16,
            bind: self
                .get("bind")
                .unwrap_or("")
                .split_whitespace()
                .map(String::from)
                .collect(),
            databases: self.num("databases") as usize,
            hz: self.num("hz").clamp(1, 500) as u32,
            maxclients: self.num("maxclients") as usize,
            timeout_secs: self.num("timeout") as u64,
            tcp_keepalive: self.num("tcp-keepalive") as u64,
            proto_max_bulk_len: self.num("proto-max-bulk-len"),
            client_query_buffer_limit: self.num("client-query-buffer-limit") as usize,
            requirepass: self.get("requirepass").unwrap_or("").to_string(),
            protected_mode: self.flag("protected-mode"),
            maxmemory: self.num("maxmemory") as u64,
            maxmemory_policy: self
                .get("maxmemory-policy")
                .unwrap_or("noeviction")
                .to_string(),
            maxmemory_samples: self.num("maxmemory-samples").max(1) as usize,
            maxmemory_eviction_tenacity: self.num("maxmemory-eviction-tenacity") as u32,
            lazyfree_lazy_eviction: self.flag("lazyfree-lazy-eviction"),
            lfu_log_factor: self.num("lfu-log-factor") as u32,
            lfu_decay_time: self.num("lfu-decay-time") as u32,
            tiering: self.flag("tiering"),
            tiering_min_value_size: self.num("tiering-min-value-size").max(0) as usize,
            tiering_force_cold: self.flag("tiering") && self.flag("tiering-force-cold"),
            tiering_force_cold_inflight: self.flag("tiering-force-cold-inflight"),
            active_expire_effort: self.num("active-expire-effort") as u32,
            activerehashing: self.flag("activerehashing"),
            enable_debug_command: self.get("enable-debug-command").unwrap_or("no").to_string(),
            notify_flags: crate::notify::parse_flags(
                self.get("notify-keyspace-events").unwrap_or(""),
            )
            .unwrap_or(0),
            pubsub_obuf: obuf_class(
                self.get("client-output-buffer-limit").unwrap_or(""),
                "pubsub",
            ),
            slowlog_log_slower_than: self.num("slowlog-log-slower-than"),
            slowlog_max_len: self.num("slowlog-max-len") as usize,
            dir: self.get("dir").unwrap_or("").to_string(),
            limits: tiering::Limits {
                hash_max_listpack_entries: self.num("hash-max-listpack-entries") as usize,
                hash_max_listpack_value: self.num("hash-max-listpack-value") as usize,
                list_max_listpack_size: self.num("list-max-listpack-size"),
                list_compress_depth: self.num("list-compress-depth") as usize,
                set_max_intset_entries: self.num("set-max-intset-entries") as usize,
                set_max_listpack_entries: self.num("set-max-listpack-entries") as usize,
                set_max_listpack_value: self.num("set-max-listpack-value") as usize,
                zset_max_listpack_entries: self.num("zset-max-listpack-entries") as usize,
                zset_max_listpack_value: self.num("zset-max-listpack-value") as usize,
                hll_sparse_max_bytes: self.num("hll-sparse-max-bytes") as usize,
            },
        };
        self.tun = t;
    }

    /// Sets one directive at start-up (immutable ones allowed).
    fn set_startup(
        &mut self,
        name: &str,
        args: &[String],
        seen_save: &mut bool,
    ) -> Result<(), String> {
        let (i, d) =
            find(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        let args: Vec<String> = if matches!(d.kind, Kind::Save) {
            // Each `save` line adds points; `save ""` clears them.
            let mut all = if *seen_save {
                self.values[i]
                    .split_whitespace()
                    .map(String::from)
                    .collect()
            } else {
                Vec::new()
            };
            *seen_save = true;
            if args.len() == 1 && args[0].is_empty() {
                all.clear();
            } else {
                all.extend(args.iter().cloned());
            }
            all
        } else if matches!(d.kind, Kind::ClientOutputBufferLimit) {
            self.with_current_classes(i, args)
        } else {
            args.to_vec()
        };
        let v = canonicalize(d, &args)?;
        self.values[i] = v;
        Ok(())
    }

    /// `client-output-buffer-limit` names only the classes it changes: the
    /// others keep their current limits (as in Redis), so the new classes
    /// are applied over the current value.
    fn with_current_classes(&self, i: usize, args: &[String]) -> Vec<String> {
        let mut all: Vec<String> = self.values[i]
            .split_whitespace()
            .map(String::from)
            .collect();
        all.extend(
            args.iter()
                .flat_map(|a| a.split_whitespace().map(String::from)),
        );
        all
    }

    /// `CONFIG SET` of one directive at run time.
    pub fn set_runtime(&mut self, name: &str, value: &str) -> Result<(), SetError> {
        let (i, d) = find(name).ok_or_else(|| "unknown".to_string())?;
        if d.flags & IMMUTABLE != 0 {
            return Err("can't set immutable config".into());
        }
        let args: Vec<String> = match d.kind {
            Kind::ClientOutputBufferLimit => {
                let new: Vec<String> = value.split_whitespace().map(String::from).collect();
                if new.is_empty() || new.len() % 4 != 0 {
                    // Refused as Redis does, before merging.
                    new
                } else {
                    self.with_current_classes(i, &new)
                }
            }
            Kind::Save | Kind::List => value.split_whitespace().map(String::from).collect(),
            _ => vec![value.to_string()],
        };
        let v = canonicalize(d, &args)?;
        self.values[i] = v;
        self.refresh();
        Ok(())
    }

    /// Directives whose name (or alias) matches the glob, with their
    /// values, in table order (aliases listed under the alias name).
    pub fn matching(&self, pattern: &[u8]) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for (i, d) in DIRECTIVES.iter().enumerate() {
            if tiering::glob::matches(pattern, d.name.as_bytes(), true) {
                out.push((d.name, self.values[i].as_str()));
            }
            if let Some(a) = d.alias {
                if tiering::glob::matches(pattern, a.as_bytes(), true) {
                    out.push((a, self.values[i].as_str()));
                }
            }
        }
        out
    }

    /// Loads config-file text plus command-line overrides.
    pub fn load(file: Option<&Path>, overrides: &[Vec<String>]) -> Result<Config, LoadError> {
        let mut c = Config::new();
        let mut seen_save = false;
        if let Some(f) = file {
            let abs = std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
            c.file = Some(abs);
            c.load_file(f, &mut seen_save, 0)?;
        }
        for (n, args) in overrides.iter().enumerate() {
            if args.is_empty() {
                continue;
            }
            c.set_startup(&args[0], &args[1..], &mut seen_save)
                .map_err(|reason| LoadError {
                    file: "(command line)".into(),
                    line_no: n + 1,
                    line: args.join(" "),
                    reason,
                })?;
        }
        c.refresh();
        Ok(c)
    }

    fn load_file(
        &mut self,
        path: &Path,
        seen_save: &mut bool,
        depth: usize,
    ) -> Result<(), LoadError> {
        let name = path.display().to_string();
        let err = |line_no: usize, line: &str, reason: String| LoadError {
            file: name.clone(),
            line_no,
            line: line.to_string(),
            reason,
        };
        if depth > 16 {
            return Err(err(0, "", "include nesting too deep".into()));
        }
        let text = std::fs::read(path).map_err(|e| {
            err(
                0,
                "",
                format!("Fatal error, can't open config file '{name}': {e}"),
            )
        })?;
        let text = String::from_utf8_lossy(&text);
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let args = crate::resp::split_args(line.as_bytes()).ok_or_else(|| {
                err(
                    i + 1,
                    line,
                    "Unbalanced quotes in configuration line".into(),
                )
            })?;
            let args: Vec<String> = args
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect();
            if args.is_empty() {
                continue;
            }
            if args[0].eq_ignore_ascii_case("include") {
                if args.len() != 2 {
                    return Err(err(
                        i + 1,
                        line,
                        "Bad directive or wrong number of arguments".into(),
                    ));
                }
                self.load_file(Path::new(&args[1]), seen_save, depth + 1)?;
                continue;
            }
            self.set_startup(&args[0], &args[1..], seen_save)
                .map_err(|r| err(i + 1, line, r))?;
        }
        Ok(())
    }

    /// Renders the config file for `CONFIG REWRITE`: the original file's
    /// lines are kept (comments included), directives that changed are
    /// updated in place, and non-default ones that were absent are appended.
    pub fn rewrite_text(&self, original: &str) -> String {
        let mut out = String::new();
        let mut written = vec![false; DIRECTIVES.len()];
        for raw in original.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("include") {
                out.push_str(raw);
                out.push('\n');
                continue;
            }
            let name = line.split_whitespace().next().unwrap_or("");
            match find(name) {
                Some((i, _)) => {
                    if !written[i] {
                        written[i] = true;
                        out.push_str(&self.render_line(i));
                    }
                }
                None => {
                    out.push_str(raw);
                    out.push('\n');
                }
            }
        }
        let mut header = false;
        for (i, d) in DIRECTIVES.iter().enumerate() {
            if written[i] || self.values[i] == d.default {
                continue;
            }
            if !header {
                out.push_str("# Generated by CONFIG REWRITE\n");
                header = true;
            }
            out.push_str(&self.render_line(i));
        }
        out
    }

    fn render_line(&self, i: usize) -> String {
        let d = &DIRECTIVES[i];
        let v = &self.values[i];
        match d.kind {
            Kind::Save if v.is_empty() => "save \"\"\n".to_string(),
            Kind::Save => {
                let parts: Vec<&str> = v.split_whitespace().collect();
                parts
                    .chunks(2)
                    .map(|c| format!("save {}\n", c.join(" ")))
                    .collect()
            }
            Kind::ClientOutputBufferLimit => {
                let parts: Vec<&str> = v.split_whitespace().collect();
                parts
                    .chunks(4)
                    .map(|c| format!("client-output-buffer-limit {}\n", c.join(" ")))
                    .collect()
            }
            Kind::List => format!("{} {}\n", d.name, v),
            _ => format!("{} {}\n", d.name, quote(v)),
        }
    }
}

/// Quotes a config value if it needs it.
fn quote(v: &str) -> String {
    if !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\')
    {
        return v.to_string();
    }
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pubsub_output_buffer_limit_follows_the_directive() {
        let mut c = Config::new();
        let d = c.tun.pubsub_obuf;
        assert_eq!((d.hard, d.soft, d.soft_secs), (32 << 20, 8 << 20, 60));
        c.set_runtime("client-output-buffer-limit", "pubsub 1mb 512kb 5")
            .expect("valid");
        let l = c.tun.pubsub_obuf;
        assert_eq!((l.hard, l.soft, l.soft_secs), (1 << 20, 512 << 10, 5));
        // Other classes leave it alone.
        c.set_runtime("client-output-buffer-limit", "normal 1 1 1")
            .expect("valid");
        assert_eq!(c.tun.pubsub_obuf, l);
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for w in DIRECTIVES.windows(2) {
            assert!(w[0].name < w[1].name, "{} before {}", w[0].name, w[1].name);
        }
        for d in DIRECTIVES {
            let v: Vec<String> = match d.kind {
                Kind::Save | Kind::ClientOutputBufferLimit | Kind::List => {
                    d.default.split_whitespace().map(String::from).collect()
                }
                _ => vec![d.default.to_string()],
            };
            let v = if v.is_empty() { vec![String::new()] } else { v };
            assert_eq!(
                canonicalize(d, &v).as_deref(),
                Ok(d.default),
                "default of {}",
                d.name
            );
        }
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1K"), Some(1000));
        assert_eq!(parse_memory("2gb"), Some(2 << 30));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("1xb"), None);
        assert_eq!(parse_memory("-1"), None);
    }

    #[test]
    fn set_errors_match_redis() {
        let mut c = Config::new();
        assert_eq!(
            c.set_runtime("hz", "abc").unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            c.set_runtime("appendfsync", "bad").unwrap_err(),
            "argument(s) must be one of the following: everysec, always, no"
        );
        assert_eq!(
            c.set_runtime("databases", "4").unwrap_err(),
            "can't set immutable config"
        );
        c.set_runtime("maxmemory", "1mb").unwrap();
        assert_eq!(c.get("maxmemory"), Some("1048576"));
        assert_eq!(c.tun.maxmemory, 1048576);
        c.set_runtime("hash-max-ziplist-entries", "7").unwrap();
        assert_eq!(c.get("hash-max-listpack-entries"), Some("7"));
    }

    #[test]
    fn file_with_include_and_overrides() {
        let dir = std::env::temp_dir().join(format!("vt-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inc = dir.join("inc.conf");
        std::fs::write(&inc, "hz 20\n").unwrap();
        let main = dir.join("main.conf");
        std::fs::write(
            &main,
            format!(
                "# comment\nport 7001\ninclude {}\nsave 900 1\nsave 60 100\n",
                inc.display()
            ),
        )
        .unwrap();
        let c = Config::load(Some(&main), &[vec!["port".into(), "7002".into()]]).unwrap();
        assert_eq!(c.tun.port, 7002);
        assert_eq!(c.tun.hz, 20);
        assert_eq!(c.get("save"), Some("900 1 60 100"));
        std::fs::write(&main, "port 7001\nbogus 1\n").unwrap();
        let e = Config::load(Some(&main), &[]).unwrap_err();
        assert_eq!(e.line_no, 2);
        assert!(e.to_string().contains("Bad directive"));
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[cfg(test)]
mod limit_tests {
    #[test]
    fn collection_limit_defaults_match_the_directives() {
        assert_eq!(super::Config::new().tun.limits, tiering::Limits::default());
    }
}

#[cfg(test)]
mod doc_tests {
    #[test]
    fn every_directive_is_documented() {
        let doc = include_str!("../docs/configuration.md");
        for d in super::DIRECTIVES {
            assert!(
                doc.contains(&format!("| `{}`", d.name)),
                "docs/configuration.md lacks {}",
                d.name
            );
        }
    }
}
