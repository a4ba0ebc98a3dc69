//! valkey-tiered: a Valkey/Redis-compatible server for datasets larger than
//! RAM. The data path, as in docs/architecture.md:
//!
//! socket → [`net`] (read, [`resp`] parse) → [`exec`] (command table
//! lookup in [`commands`], checks, execute under the executor lock) →
//! [`reply`] encode → socket.

pub mod aof;
pub mod blocking;
pub mod commands;
pub mod config;
pub mod evict;
pub mod exec;
pub mod ldouble;
pub mod net;
pub mod notify;
pub mod persist;
pub mod promote;
pub mod pubsub;
pub mod reply;
pub mod resp;
pub mod server;
pub mod values;
pub mod watch;

use std::sync::Arc;

use tracing::{info, warn};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The Redis version we answer as (`redis_version` in INFO, HELLO): clients
/// gate features on it.
pub const REDIS_COMPAT_VERSION: &str = "7.2.4";

/// Runs the server until SHUTDOWN or a signal. Returns the process exit code.
pub async fn run(config: config::Config) -> i32 {
    if config.get("disable-thp") == Some("yes") {
        disable_thp();
    }
    let port = config.tun.port;
    let file = config.file.clone();
    let shared = server::Shared::new(config);
    {
        let mut st = shared.state.lock();
        if let Err(e) = open_cold_tier(&mut st) {
            tracing::error!("Fatal error opening the cold tier: {e}. Exiting.");
            return 1;
        }
        // Clients connecting while the dataset loads are answered: INFO
        // shows the progress, commands that need the data `-LOADING`.
        st.loading = Some(server::LoadingInfo {
            started: std::time::Instant::now(),
            start_unix: server::now_ms() / 1000,
            total_bytes: 0,
            loaded_bytes: 0,
        });
    }
    let addrs = shared.state.lock().config.tun.bind.clone();
    let bound = net::bind_addrs(&addrs, port).and_then(|l| {
        let mut st = shared.state.lock();
        net::serve_listeners(&shared, &mut st, l)
    });
    if let Err(e) = bound {
        tracing::error!("Failed listening on port {port} (tcp), aborting: {e}");
        return 1;
    }
    let loader = shared.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let mut acc = server::StateAccess::Lock(&loader);
        // As Redis: with the AOF on, the AOF is the dataset (the RDB file
        // is not read, even when there is no AOF yet).
        if acc.with(|st| st.config.get("appendonly") == Some("yes")) {
            aof::load(&mut acc).and_then(|_| acc.with(aof::open_on_start))
        } else {
            persist::load(&mut acc).map(|_| ())
        }
    })
    .await
    .unwrap_or_else(|e| Err(format!("the loader failed: {e}")));
    {
        let mut st = shared.state.lock();
        st.loading = None;
        if let Err(e) = loaded {
            if st.shutdown_requested {
                info!("Shutdown requested while loading: exiting");
                return 0;
            }
            tracing::error!("Fatal error loading the DB: {e}. Exiting.");
            return 1;
        }
    }
    let actual_port = shared.state.lock().tcp_port;
    info!(
        "valkey-tiered {VERSION} (Redis {REDIS_COMPAT_VERSION} compatible) starting: pid={}, port={actual_port}, config file={}",
        std::process::id(),
        file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none)".into())
    );
    tokio::spawn(net::cron(shared.clone()));
    info!("Ready to accept connections tcp");
    wait_for_shutdown(&shared).await;
    {
        let mut st = shared.state.lock();
        // Everything acknowledged is in the log, synced, before exiting.
        if st.aof.on || st.aof.wait_rewrite {
            info!("Calling fsync() on the AOF file.");
            if let Err(e) = aof::flush_and_sync(&mut st) {
                warn!("Error syncing the AOF at shutdown: {e}");
            }
        }
        for c in st.clients.values() {
            c.kill.kill();
        }
    }
    info!("valkey-tiered is now ready to exit, bye bye...");
    0
}

/// With `tiering yes`, recreates the cold tier's directory
/// (`tiering-dir`, by default `cold` under `dir`) and attaches the store:
/// what an earlier run left there is stale, RDB/AOF being the source of
/// truth.
fn open_cold_tier(st: &mut server::State) -> Result<(), String> {
    if !st.config.tun.tiering {
        return Ok(());
    }
    let dir = match st.config.get("tiering-dir") {
        Some(d) if !d.is_empty() => std::path::PathBuf::from(d),
        _ => std::path::PathBuf::from("cold"),
    };
    let opts = tiering::cold::ColdOptions {
        dir,
        compression: st
            .config
            .get("tiering-compression")
            .and_then(tiering::cold::Compression::parse)
            .unwrap_or(tiering::cold::Compression::Lz4),
        block_cache: 8 << 20,
        write_buffer: 16 << 20,
    };
    let store = tiering::cold::ColdStore::open(&opts, Arc::new(values::ColdCodec))?;
    info!("Cold tier at {}", store.dir().display());
    st.ks.attach_cold(store);
    Ok(())
}

/// On a signal: saves the dataset if save points are configured, as
/// Redis does. A failed save keeps the server running (the data would be
/// lost otherwise); returns whether to exit.
fn save_before_exit(shared: &server::Shared) -> bool {
    let mut st = shared.state.lock();
    if !persist::has_save_points(&st) {
        return true;
    }
    info!("Saving the final RDB snapshot before exiting.");
    persist::abort_bgsave(&mut st);
    match persist::save(&mut st) {
        Ok(()) => true,
        Err(_) => {
            tracing::error!("Error trying to save the DB, can't exit.");
            false
        }
    }
}

async fn wait_for_shutdown(shared: &Arc<server::Shared>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            warn!("cannot install SIGTERM handler: {e}");
            shared.shutdown.notified().await;
            return;
        }
    };
    let mut int = match signal(SignalKind::interrupt()) {
        Ok(s) => s,
        Err(_) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = shared.shutdown.notified() => {}
            }
            return;
        }
    };
    loop {
        tokio::select! {
            _ = term.recv() => {
                warn!("Received SIGTERM scheduling shutdown...");
                if save_before_exit(shared) { return; }
            }
            _ = int.recv() => {
                warn!("Received SIGINT scheduling shutdown...");
                if save_before_exit(shared) { return; }
            }
            _ = shared.shutdown.notified() => {
                if shared.state.lock().shutdown_requested {
                    warn!("User requested shutdown...");
                    return;
                }
            }
        }
    }
}

/// `disable-thp yes` (the default, as Redis): transparent huge pages off
/// for this process. The allocator asks for huge pages where the kernel
/// allows them (`madvise` mode); each first touch then zeroes 2 MiB at
/// once, which showed as a fifth of the CPU time of a growing dataset
/// (LPUSH onto a long list) and as latency spikes.
fn disable_thp() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and
    // changes only this process's memory policy.
    let r = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if r != 0 {
        tracing::warn!(
            "Could not disable transparent huge pages: {}",
            std::io::Error::last_os_error()
        );
    }
}
