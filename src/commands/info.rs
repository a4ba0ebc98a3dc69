//! INFO: the server's state in Redis's sections and field names, every
//! value real.

use bytes::Bytes;

use super::*;
use crate::exec::{lower, CmdResult, Ctx};
use crate::server::State;
use ops::info::{bytes_human, cpu_times, rss_bytes, total_system_memory, InfoWriter};

pub static COMMANDS: &[CommandDef] = &[CommandDef {
    name: "info",
    arity: -1,
    flags: LOADING | STALE,
    acl: C_DANGEROUS,
    group: "server",
    summary: "Returns information and statistics about the server.",
    complexity: "O(1)",
    tips: &[
        "nondeterministic_output",
        "request_policy:all_shards",
        "response_policy:special",
    ],
    handler: Some(info),
    ..BASE
}];

/// Every section, in the order INFO prints them, and whether it belongs to
/// the default set (`all`/`everything` select every one).
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("cluster", true),
    ("keyspace", true),
    // Ours: not in the default set, so tools that compare INFO with Redis
    // see the same sections.
    ("tiering", false),
];

/// The default sections, or every section when `all`.
fn sections(all: bool) -> impl Iterator<Item = String> {
    SECTIONS
        .iter()
        .filter(move |(_, d)| all || *d)
        .map(|(n, _)| n.to_string())
}

fn info(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut wanted: Vec<String> = Vec::new();
    for a in &args[1..] {
        match lower(a).as_str() {
            "default" => wanted.extend(sections(false)),
            "all" | "everything" => wanted.extend(sections(true)),
            s => wanted.push(s.to_string()),
        }
    }
    if wanted.is_empty() {
        wanted.extend(sections(false));
    }
    let text = render(ctx, &wanted);
    ctx.out.verbatim(&text);
    Ok(())
}

/// Renders the named sections, in Redis's section order.
pub fn render(ctx: &mut Ctx, wanted: &[String]) -> String {
    let mut w = InfoWriter::new();
    let port = ctx.st.tcp_port;
    for &(s, _) in SECTIONS {
        if !wanted.iter().any(|x| x == s) {
            continue;
        }
        let st: &State = ctx.st;
        match s {
            "server" => server(&mut w, st, port),
            "clients" => clients(&mut w, st),
            "memory" => memory(&mut w, st),
            "persistence" => persistence(&mut w, st),
            "stats" => stats(ctx, &mut w),
            "replication" => replication(&mut w, st),
            "cpu" => cpu(&mut w),
            "modules" => w.section("Modules"),
            "commandstats" => commandstats(&mut w, st),
            "errorstats" => errorstats(&mut w, st),
            "cluster" => {
                w.section("Cluster");
                w.field("cluster_enabled", 0);
            }
            "keyspace" => keyspace(&mut w, st),
            "tiering" => tiering_section(&mut w, st),
            _ => {}
        }
    }
    w.finish()
}

fn server(w: &mut InfoWriter, st: &State, port: u16) {
    let now = crate::server::now_us();
    let uptime = st.start.elapsed().as_secs();
    w.section("Server");
    w.field("redis_version", crate::REDIS_COMPAT_VERSION);
    w.field("valkey_tiered_version", crate::VERSION);
    w.field("redis_git_sha1", "00000000");
    w.field("redis_git_dirty", 0);
    w.field("redis_build_id", "0");
    w.field("redis_mode", "standalone");
    w.field("os", os_string());
    w.field("arch_bits", 64);
    w.field("monotonic_clock", "POSIX clock_gettime");
    w.field("multiplexing_api", "epoll");
    w.field("process_id", std::process::id());
    w.field("process_supervised", "no");
    w.field("run_id", &st.run_id);
    w.field("tcp_port", port);
    w.field("server_time_usec", now);
    w.field("uptime_in_seconds", uptime);
    w.field("uptime_in_days", uptime / 86400);
    w.field("hz", st.config.tun.hz);
    w.field("configured_hz", st.config.tun.hz);
    w.field("lru_clock", tiering::lfu::lru_clock(now as u64 / 1000));
    w.field("executable", &st.executable);
    w.field(
        "config_file",
        st.config
            .file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    w.field("io_threads_active", 0);
}

fn os_string() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{} {} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

fn clients(w: &mut InfoWriter, st: &State) {
    let max_in = st.clients.values().map(|c| c.qbuf).max().unwrap_or(0);
    let max_out = st.clients.values().map(|c| c.omem).max().unwrap_or(0);
    w.section("Clients");
    w.field("connected_clients", st.clients.len());
    w.field("cluster_connections", 0);
    w.field("maxclients", st.config.tun.maxclients);
    w.field("client_recent_max_input_buffer", max_in);
    w.field("client_recent_max_output_buffer", max_out);
    w.field("blocked_clients", st.blocking.len());
    w.field("tracking_clients", 0);
    w.field("clients_in_timeout_table", 0);
}

fn memory(w: &mut InfoWriter, st: &State) {
    let used = tiering::memory::used_memory() as u64;
    let rss = rss_bytes();
    let total = total_system_memory();
    let maxmemory = st.config.tun.maxmemory;
    w.section("Memory");
    w.field("used_memory", used);
    w.field("used_memory_human", bytes_human(used));
    w.field("used_memory_rss", rss);
    w.field("used_memory_rss_human", bytes_human(rss));
    w.field("used_memory_peak", st.stats_peak_memory());
    w.field(
        "used_memory_peak_human",
        bytes_human(st.stats_peak_memory()),
    );
    w.field("total_system_memory", total);
    w.field("total_system_memory_human", bytes_human(total));
    w.field("maxmemory", maxmemory);
    w.field("maxmemory_human", bytes_human(maxmemory));
    w.field("maxmemory_policy", &st.config.tun.maxmemory_policy);
    let frag = if used > 0 {
        rss as f64 / used as f64
    } else {
        0.0
    };
    w.field("mem_fragmentation_ratio", format!("{frag:.2}"));
    w.field("mem_fragmentation_bytes", rss as i64 - used as i64);
    w.field("mem_allocator", "mimalloc");
    w.field(
        "lazyfree_pending_objects",
        tiering::keyspace::lazyfree_pending(),
    );
    w.field("lazyfreed_objects", tiering::keyspace::lazyfreed_objects());
}

fn persistence(w: &mut InfoWriter, st: &State) {
    w.section("Persistence");
    w.field("loading", u8::from(st.loading.is_some()));
    w.field("async_loading", 0);
    if let Some(l) = &st.loading {
        let total = l.total_bytes.max(1);
        let perc = l.loaded_bytes as f64 * 100.0 / total as f64;
        let secs = l.started.elapsed().as_secs_f64();
        // Time left at the rate so far (1 until something loaded).
        let eta = if l.loaded_bytes == 0 {
            1
        } else {
            ((total - l.loaded_bytes.min(total)) as f64 * secs / l.loaded_bytes as f64) as u64
        };
        w.field("loading_start_time", l.start_unix);
        w.field("loading_total_bytes", l.total_bytes);
        w.field("loading_rdb_used_mem", 0);
        w.field("loading_loaded_bytes", l.loaded_bytes);
        w.field("loading_loaded_perc", format!("{perc:.2}"));
        w.field("loading_eta_seconds", eta);
    }
    w.field("rdb_changes_since_last_save", st.dirty);
    w.field(
        "rdb_bgsave_in_progress",
        u8::from(st.bgsave.as_ref().is_some_and(|b| b.is_rdb())),
    );
    w.field("rdb_last_save_time", st.last_save_unix);
    w.field(
        "rdb_last_bgsave_status",
        if st.persist.last_status_ok {
            "ok"
        } else {
            "err"
        },
    );
    w.field("rdb_last_bgsave_time_sec", st.persist.last_bgsave_secs);
    w.field(
        "rdb_current_bgsave_time_sec",
        st.bgsave
            .as_ref()
            .filter(|b| b.is_rdb())
            .map_or(-1, |b| b.started.elapsed().as_secs() as i64),
    );
    w.field("rdb_saves", st.persist.saves);
    let aof = &st.aof;
    w.field("aof_enabled", u8::from(aof.on || aof.wait_rewrite));
    w.field("aof_rewrite_in_progress", u8::from(aof.rewrite.is_some()));
    w.field("aof_rewrite_scheduled", u8::from(aof.rewrite_scheduled));
    w.field("aof_last_rewrite_time_sec", aof.last_rewrite_secs);
    w.field(
        "aof_current_rewrite_time_sec",
        aof.rewrite
            .as_ref()
            .map_or(-1, |r| r.started.elapsed().as_secs() as i64),
    );
    let ok = |b: bool| if b { "ok" } else { "err" };
    w.field("aof_last_bgrewrite_status", ok(aof.last_rewrite_ok));
    w.field("aof_rewrites", aof.rewrites);
    w.field("aof_rewrites_consecutive_failures", aof.rewrite_failures);
    let write_error = aof.write_error();
    w.field("aof_last_write_status", ok(write_error.is_none()));
    if aof.on {
        w.field("aof_current_size", aof.current_size);
        w.field("aof_base_size", aof.base_size);
        w.field("aof_pending_rewrite", u8::from(aof.rewrite_scheduled));
        w.field("aof_buffer_length", aof.buffered());
        w.field("aof_pending_bio_fsync", 0);
        w.field("aof_delayed_fsync", 0);
    }
}

fn stats(ctx: &mut Ctx, w: &mut InfoWriter) {
    let net_in = ctx.shared.net_in.load(std::sync::atomic::Ordering::Relaxed);
    let net_out = ctx
        .shared
        .net_out
        .load(std::sync::atomic::Ordering::Relaxed);
    let st = &ctx.st;
    let s = &st.stats;
    let k = &st.ks.stats;
    w.section("Stats");
    w.field("total_connections_received", s.connections_received);
    w.field("total_commands_processed", s.commands_processed);
    w.field("instantaneous_ops_per_sec", s.instantaneous_ops());
    w.field("total_net_input_bytes", net_in);
    w.field("total_net_output_bytes", net_out);
    w.field(
        "instantaneous_input_kbps",
        format!("{:.2}", s.instantaneous_in_kbps()),
    );
    w.field(
        "instantaneous_output_kbps",
        format!("{:.2}", s.instantaneous_out_kbps()),
    );
    w.field("rejected_connections", s.rejected_connections);
    w.field("sync_full", 0);
    w.field("sync_partial_ok", 0);
    w.field("sync_partial_err", 0);
    w.field("expired_keys", k.expired_keys);
    w.field(
        "expired_stale_perc",
        format!("{:.2}", k.expired_stale_perc * 100.0),
    );
    w.field(
        "expired_time_cap_reached_count",
        k.expired_time_cap_reached_count,
    );
    w.field(
        "expire_cycle_cpu_milliseconds",
        k.expire_cycle_cpu_milliseconds,
    );
    w.field("evicted_keys", s.evicted_keys);
    w.field("evicted_clients", 0);
    let current = s
        .eviction_exceeded_since
        .map_or(0, |t| t.elapsed().as_millis() as u64);
    w.field(
        "total_eviction_exceeded_time",
        s.eviction_exceeded_total.as_millis() as u64 + current,
    );
    w.field("current_eviction_exceeded_time", current);
    w.field("keyspace_hits", k.hits);
    w.field("keyspace_misses", k.misses);
    w.field("pubsub_channels", ctx.st.pubsub.num_channels());
    w.field("pubsub_patterns", ctx.st.pubsub.num_patterns());
    w.field("pubsubshard_channels", ctx.st.pubsub.num_shard_channels());
    w.field("latest_fork_usec", 0);
    w.field("total_forks", 0);
    w.field("total_error_replies", s.error_replies);
    w.field("unexpected_error_replies", 0);
}

fn replication(w: &mut InfoWriter, st: &State) {
    w.section("Replication");
    w.field("role", "master");
    w.field("connected_slaves", 0);
    w.field("master_failover_state", "no-failover");
    w.field("master_replid", &st.replid);
    w.field("master_replid2", &st.replid2);
    w.field("master_repl_offset", 0);
    w.field("second_repl_offset", -1);
    w.field("repl_backlog_active", 0);
    w.field(
        "repl_backlog_size",
        st.config.get("repl-backlog-size").unwrap_or("1048576"),
    );
    w.field("repl_backlog_first_byte_offset", 0);
    w.field("repl_backlog_histlen", 0);
}

fn cpu(w: &mut InfoWriter) {
    let (sys, user) = cpu_times();
    w.section("CPU");
    w.field("used_cpu_sys", format!("{sys:.6}"));
    w.field("used_cpu_user", format!("{user:.6}"));
    w.field("used_cpu_sys_children", "0.000000");
    w.field("used_cpu_user_children", "0.000000");
}

fn commandstats(w: &mut InfoWriter, st: &State) {
    w.section("Commandstats");
    let mut all: Vec<&crate::server::CmdStat> = st.stats.commands.values().collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    for c in all {
        let n = &c.name;
        if c.calls == 0 && c.rejected == 0 && c.failed == 0 {
            continue;
        }
        let per = if c.calls > 0 {
            c.usec as f64 / c.calls as f64
        } else {
            0.0
        };
        w.field(
            &format!("cmdstat_{n}"),
            format!(
                "calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                c.calls, c.usec, per, c.rejected, c.failed
            ),
        );
    }
}

fn errorstats(w: &mut InfoWriter, st: &State) {
    w.section("Errorstats");
    for (code, n) in &st.stats.errors {
        w.field(&format!("errorstat_{code}"), format!("count={n}"));
    }
}

fn keyspace(w: &mut InfoWriter, st: &State) {
    w.section("Keyspace");
    for i in 0..st.ks.db_count() {
        let d = st.ks.db(i);
        if d.is_empty() {
            continue;
        }
        w.field(
            &format!("db{i}"),
            format!(
                "keys={},expires={},avg_ttl={}",
                d.len(),
                d.volatile_len(),
                d.avg_ttl
            ),
        );
    }
}

/// `INFO tiering`: what is where (docs/tiering.md describes each field).
fn tiering_section(w: &mut InfoWriter, st: &State) {
    w.section("Tiering");
    let cold = st.ks.cold_keys();
    let used = tiering::memory::used_memory() as u64;
    let tier = &st.ks.tier;
    w.field("tiering_enabled", u8::from(st.ks.cold().is_some()));
    w.field("hot_keys", st.ks.hot_keys());
    w.field("cold_keys", cold);
    w.field("hot_bytes", used);
    let stats = st.ks.cold().map(|c| c.stats.clone()).unwrap_or_default();
    w.field("cold_bytes_logical", stats.bytes_logical);
    w.field(
        "cold_bytes_on_disk",
        st.ks.cold().map_or(0, |c| c.disk_bytes()),
    );
    let ratio = if stats.demoted_stored > 0 {
        stats.demoted_logical as f64 / stats.demoted_stored as f64
    } else {
        1.0
    };
    w.field("compression_ratio", format!("{ratio:.2}"));
    w.field("hot_hits", tier.hot_hits);
    w.field("cold_hits", stats.cold_hits);
    w.field("header_hits", tier.header_hits);
    w.field("promotions", stats.promotions);
    w.field("demotions", stats.demotions);
    w.field("demotion_queue", st.ks.demotion_queue());
    w.field("free_demotions", stats.free_demotions);
    w.field("clean_copies", stats.clean_copies);
    w.field("cold_read_p50_us", stats.read_us.quantile(0.50));
    w.field("cold_read_p99_us", stats.read_us.quantile(0.99));
    // A cold key keeps its table node (key, header, chain link) and, if
    // it has one, its expiry record; the value itself costs nothing.
    w.field("ram_per_cold_key_bytes", st.ks.ram_per_cold_key());
    w.field("cold_sync_loads", tier.sync_loads);
    let adm = &st.ks.admission;
    w.field("admission", if adm.gated { "frequency" } else { "always" });
    w.field("admitted", adm.admitted);
    w.field("not_admitted", adm.on_probation);
    w.field("probation_len", adm.probation_len());
    w.field("probation_demotions", adm.probation_demotions);
    w.field(
        "cold_engine_memory",
        st.ks.cold().map_or(0, |c| c.engine_memory()),
    );
    w.field("cold_read_errors", stats.read_errors + tier.failed_loads);
    w.field("cold_write_errors", stats.write_errors);
    estimate_fields(w, st);
}

/// The hit-ratio estimate (`TIERING ADVISE` gives the whole curve): the
/// ratio at shares of `maxmemory`, and the `maxmemory` each target ratio
/// needs (-1: not reached by the curve). Absent while there is no
/// estimate yet.
fn estimate_fields(w: &mut InfoWriter, st: &State) {
    use super::tiering_cmd::{advice, AT_PERCENT, FOR_PERCENT};
    let est = &st.ks.estimator;
    if st.ks.cold().is_none() || !est.enabled() {
        return;
    }
    w.field("estimator_sample_keys", est.sample_len());
    w.field("estimator_sample_rate", format!("{:.8}", est.rate()));
    let Some(a) = advice(st) else {
        return;
    };
    w.field("estimator_fixed_bytes", a.fixed);
    if let Some(m) = est.measured() {
        w.field("estimator_measured_hit_ratio", format!("{m:.4}"));
    }
    w.field("estimator_factor", format!("{:.3}", a.factor));
    let maxmemory = st.config.tun.maxmemory;
    if maxmemory > 0 {
        for p in AT_PERCENT {
            let at = (maxmemory as u128 * p as u128 / 100) as u64;
            if let Some(h) = a.hit_ratio_at(at) {
                w.field(&format!("hit_ratio_at_{p}pct"), format!("{h:.4}"));
            }
        }
    }
    for p in FOR_PERCENT {
        let need = a.ram_for(p as f64 / 100.0).map_or(-1, |b| b as i64);
        w.field(&format!("ram_for_hit_ratio_{p}pct"), need);
    }
}
