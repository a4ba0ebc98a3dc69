//! Listener, connection tasks and the server cron.
//!
//! A connection task reads whatever bytes are available, parses every
//! complete command in them, runs the whole batch under one acquisition of
//! the executor lock, and writes the replies back in order. Pipelined
//! commands therefore cost one lock round-trip per read, not per command.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

use crate::exec;
use crate::pubsub::Outbox;
use crate::reply::{Proto, Reply};
use crate::resp::{Limits, RequestParser};
use crate::server::{now_ms, KillSwitch, Shared};

const READ_CHUNK: usize = 16 * 1024;

/// Binds `addrs` on `port`. `*` means every IPv4 address, `::*` every
/// IPv6 one; a leading `-` marks an address that may be missing. Plain
/// (blocking) sockets, so CONFIG SET can rebind from inside a command.
pub fn bind_addrs(addrs: &[String], port: u16) -> std::io::Result<Vec<std::net::TcpListener>> {
    let default = vec!["*".to_string(), "-::*".to_string()];
    let addrs = if addrs.is_empty() { &default } else { addrs };
    let mut out = Vec::new();
    for a in addrs {
        let (optional, a) = match a.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, a.as_str()),
        };
        let host = match a {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        let sa = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let bound = match sa.parse::<SocketAddr>() {
            Ok(addr) => listen_on(addr),
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("bad bind address '{a}'"),
            )),
        };
        match bound {
            Ok(l) => out.push(l),
            Err(e) if optional => debug!("skipping optional bind address {a}: {e}"),
            Err(e) => {
                warn!("Could not create server TCP listening socket {sa}: {e}");
                return Err(e);
            }
        }
    }
    if out.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "no address to listen on",
        ));
    }
    Ok(out)
}

fn listen_on(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let sock = if addr.is_ipv6() {
        tokio::net::TcpSocket::new_v6()
    } else {
        tokio::net::TcpSocket::new_v4()
    }?;
    sock.set_reuseaddr(true)?;
    if addr.is_ipv6() {
        set_v6only(&sock);
    }
    sock.bind(addr)?;
    let l = sock.listen(511)?;
    let std = l.into_std()?;
    std.set_nonblocking(true)?;
    Ok(std)
}

/// Starts accepting on `listeners`, replacing the accept loops of any
/// earlier binding. Must run inside the runtime.
pub fn serve_listeners(
    shared: &Arc<Shared>,
    st: &mut crate::server::State,
    listeners: Vec<std::net::TcpListener>,
) -> std::io::Result<()> {
    let mut tasks = Vec::new();
    for l in listeners {
        let l = TcpListener::from_std(l)?;
        if let Ok(a) = l.local_addr() {
            st.tcp_port = a.port();
        }
        tasks.push(tokio::spawn(accept_loop(shared.clone(), l)));
    }
    for old in std::mem::replace(&mut st.accept_tasks, tasks) {
        old.abort();
    }
    Ok(())
}

fn set_v6only(sock: &tokio::net::TcpSocket) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket fd and a pointer to a live c_int of the right
    // size.
    unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_V6ONLY,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

fn set_keepalive(stream: &TcpStream, secs: u64) {
    use std::os::fd::AsRawFd;
    if secs == 0 {
        return;
    }
    let fd = stream.as_raw_fd();
    let set = |level: libc::c_int, opt: libc::c_int, val: libc::c_int| {
        // SAFETY: valid socket fd and a pointer to a live c_int.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                opt,
                &val as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    };
    let secs = secs.min(i32::MAX as u64) as libc::c_int;
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (secs / 3).max(1));
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

pub async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                warn!("Accepting client connection: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            handle_connection(shared, stream, addr).await;
        });
    }
}

const PROTECTED_MODE_MSG: &str = "-DENIED Running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers, you may: 1) Disable protected mode by sending 'CONFIG SET protected-mode no' from the loopback interface on this server. 2) Set a password with 'CONFIG SET requirepass <password>' or a 'requirepass' line in the configuration file, and restart. 3) Start the server with '--protected-mode no'. 4) Bind only the interfaces that should accept connections.\r\n";

async fn handle_connection(shared: Arc<Shared>, mut stream: TcpStream, addr: SocketAddr) {
    use std::os::fd::AsRawFd;
    let _ = stream.set_nodelay(true);
    let laddr = stream.local_addr().unwrap_or(addr);
    let id = shared.next_client_id.fetch_add(1, Ordering::Relaxed);
    let kill = Arc::new(KillSwitch::default());
    // Registration, with the checks Redis makes on accept.
    let mut outbox = None;
    let refuse: Option<&'static [u8]> = {
        let mut st = shared.state.lock();
        st.stats.connections_received += 1;
        let t = &st.config.tun;
        set_keepalive(&stream, t.tcp_keepalive);
        if st.clients.len() >= t.maxclients {
            st.stats.rejected_connections += 1;
            Some(b"-ERR max number of clients reached\r\n")
        } else if t.protected_mode && t.requirepass.is_empty() && !addr.ip().is_loopback() {
            st.stats.rejected_connections += 1;
            Some(PROTECTED_MODE_MSG.as_bytes())
        } else {
            outbox = Some(st.register_client(id, addr, laddr, stream.as_raw_fd(), kill.clone()));
            None
        }
    };
    if let Some(msg) = refuse {
        let _ = stream.write_all(msg).await;
        return;
    }
    let Some(outbox) = outbox else {
        return;
    };
    debug!("Accepted {addr} (id {id})");
    let reason = serve(&shared, &mut stream, id, &kill, &outbox).await;
    debug!("Client id={id} addr={addr} closed: {reason}");
    shared.state.lock().unregister_client(id);
}

/// Writes `buf` to the client, unless it is killed meanwhile (a client
/// that does not read must not hold its task forever: CLIENT KILL and the
/// output-buffer limit close it).
async fn write_out(
    shared: &Shared,
    stream: &mut TcpStream,
    kill: &KillSwitch,
    buf: &[u8],
) -> Result<(), &'static str> {
    shared
        .net_out
        .fetch_add(buf.len() as u64, Ordering::Relaxed);
    tokio::select! {
        r = stream.write_all(buf) => r.map_err(|_| "write error"),
        _ = kill.wait() => Err("killed"),
    }
}

/// Writes the messages waiting in the outbox (other connections published
/// them while this one was idle).
async fn flush_outbox(
    shared: &Shared,
    stream: &mut TcpStream,
    kill: &KillSwitch,
    outbox: &Outbox,
    spare: &mut Vec<u8>,
) -> Result<(), &'static str> {
    outbox.take(spare);
    if spare.is_empty() {
        return Ok(());
    }
    let r = write_out(shared, stream, kill, spare).await;
    outbox.written();
    spare.clear();
    if spare.capacity() > 1 << 20 {
        spare.shrink_to(64 * 1024);
    }
    r
}

async fn serve(
    shared: &Arc<Shared>,
    stream: &mut TcpStream,
    id: u64,
    kill: &KillSwitch,
    outbox: &Outbox,
) -> &'static str {
    let mut inbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut parser = RequestParser::new();
    let mut out = Reply::new(Proto::Resp2);
    let mut spare = Vec::new();
    // After a blocking command was served, the rest of the input already
    // read runs before reading more.
    let mut resume = false;
    // A command that waited for cold values runs first when the loop
    // resumes (without planning loads again: its lookups load what went
    // cold in between).
    let mut pending: Option<Vec<Bytes>> = None;
    loop {
        if inbuf.capacity() - inbuf.len() < READ_CHUNK / 2 {
            inbuf.reserve(READ_CHUNK);
        }
        if !resume {
            let n = tokio::select! {
                r = stream.read_buf(&mut inbuf) => match r {
                    Ok(0) => return "connection closed by client",
                    Ok(n) => n,
                    Err(_) => return "read error",
                },
                _ = kill.wait() => return "killed",
                _ = outbox.wait() => {
                    if let Err(reason) = flush_outbox(shared, stream, kill, outbox, &mut spare).await {
                        return reason;
                    }
                    continue;
                }
            };
            shared.net_in.fetch_add(n as u64, Ordering::Relaxed);
        }
        resume = false;
        let mut close: Option<&'static str> = None;
        let mut blocked = false;
        let mut cold_wait: Option<crate::promote::Wait> = None;
        let aof_wait: Option<crate::aof::Wait>;
        {
            let mut st = shared.state.lock();
            let (mut limits, qbuf_limit) = {
                let Some(c) = st.clients.get(&id) else {
                    return "unregistered";
                };
                (
                    Limits {
                        max_bulk_len: st.config.tun.proto_max_bulk_len,
                        authenticated: c.authenticated,
                    },
                    st.config.tun.client_query_buffer_limit,
                )
            };
            // As Redis: a query buffer over the limit after a read closes the
            // client before anything in it runs (one oversized argument
            // included), without a reply.
            if inbuf.len() > qbuf_limit {
                warn!(
                    "Closing client id={id} that reached max query buffer length ({} bytes)",
                    inbuf.len()
                );
                return "query buffer limit";
            }
            // Messages published before this batch go out before its
            // replies (nothing is published while the lock is held).
            outbox.drain_into(&mut out.buf);
            let log_from = crate::aof::position(&st);
            prefetch_batch(&st, id, &parser, &inbuf);
            let mut clock = std::time::Instant::now();
            loop {
                let (args, planned) = match pending.take() {
                    Some(args) => (Ok(Some(args)), true),
                    None => (parser.next(&mut inbuf, limits), false),
                };
                match args {
                    Ok(Some(args)) => {
                        if args.is_empty() {
                            continue;
                        }
                        if !planned {
                            if let Some(w) = crate::promote::plan(&mut st, shared, id, &args) {
                                pending = Some(args);
                                cold_wait = Some(w);
                                break;
                            }
                        }
                        clock = exec::execute_at(&mut st, shared, id, &mut out, &args, clock);
                        if st.blocking.is_blocked(id) {
                            // The rest of the batch waits in `inbuf`.
                            blocked = true;
                            break;
                        }
                        let Some(c) = st.clients.get(&id) else {
                            close = Some("unregistered");
                            break;
                        };
                        // HELLO, RESET and AUTH change these for what follows.
                        out.proto = if c.resp == 3 {
                            Proto::Resp3
                        } else {
                            Proto::Resp2
                        };
                        limits.authenticated = c.authenticated;
                        if c.close_after_reply {
                            close = Some("quit");
                            break;
                        }
                        if st.shutdown_requested {
                            close = Some("shutdown");
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let msg = format!("ERR Protocol error: {}", e.0);
                        out.error(&msg);
                        st.stats.count_error(&msg);
                        debug!("Protocol error ({}) from client id={id}", e.0);
                        close = Some("protocol error");
                        break;
                    }
                }
            }
            if let Some(c) = st.clients.get_mut(&id) {
                c.qbuf = inbuf.len();
                c.omem = out.buf.len();
            }
            if st.shutdown_requested {
                shared.shutdown.notify_one();
            }
            aof_wait = crate::aof::submit(&mut st, log_from);
        }
        // The replies of writes wait until the log has them (written, or
        // synced with `appendfsync always`).
        if let Some(w) = aof_wait {
            w.done().await;
        }
        if !out.buf.is_empty() {
            if let Err(reason) = write_out(shared, stream, kill, &out.buf).await {
                return reason;
            }
            out.buf.clear();
            if out.buf.capacity() > 1 << 20 {
                out.buf.shrink_to(64 * 1024);
            }
        }
        if let Some(reason) = close {
            return reason;
        }
        if let Some(w) = cold_wait {
            tokio::select! {
                _ = crate::promote::wait_for(w) => {}
                _ = kill.wait() => return "killed",
            }
            resume = true;
            continue;
        }
        if blocked {
            let reply = match wait_blocked(shared, stream, id, kill, outbox, &mut inbuf, &mut spare)
                .await
            {
                Ok(r) => r,
                Err(reason) => return reason,
            };
            if let Err(reason) = write_out(shared, stream, kill, &reply).await {
                return reason;
            }
            resume = true;
            continue;
        }
        if inbuf.is_empty() && inbuf.capacity() > 1 << 20 {
            inbuf = BytesMut::with_capacity(READ_CHUNK);
        }
    }
}

/// Before a pipelined batch runs: prefetches what its commands will look
/// up, so their cache misses overlap instead of stalling one command at a
/// time. Commands on different keys get their keyspace entries (the first
/// argument is the key for most commands); a batch on one key (SADD myset
/// m1, SADD myset m2, ...) gets its second arguments (members, fields)
/// inside that collection. A guess that is not a key costs one useless
/// prefetch.
fn prefetch_batch(st: &crate::server::State, id: u64, parser: &RequestParser, inbuf: &[u8]) {
    let Some(db) = st.clients.get(&id).map(|c| c.db) else {
        return;
    };
    let mut keys: [&[u8]; 32] = [&[]; 32];
    let mut members: [&[u8]; 32] = [&[]; 32];
    let (mut n, mut m) = (0, 0);
    let mut one_key = true;
    parser.peek_args(inbuf, keys.len(), |name, a, b, last| {
        one_key &= n == 0 || keys[0] == a;
        // A batch on one list or small collection has nothing to prefetch:
        // stop scanning at its second command.
        if n == 1 && one_key && !st.ks.has_member_table(db, a) {
            return false;
        }
        keys[n] = a;
        n += 1;
        // The member is the second argument (SADD, HSET, ZSCORE...), but
        // the last one for a sorted set's score-first writes.
        let member = if name.eq_ignore_ascii_case(b"zadd") || name.eq_ignore_ascii_case(b"zincrby")
        {
            Some(last)
        } else {
            b
        };
        if let Some(b) = member {
            members[m] = b;
            m += 1;
        }
        true
    });
    if n < 2 {
        return;
    }
    if one_key {
        st.ks.prefetch_members(db, keys[0], &members[..m]);
    } else {
        st.ks.prefetch(db, &keys[..n]);
    }
}

/// Waits while client `id` is blocked (see [`crate::blocking`]): until it
/// is served or unblocked (the reply was stored for it), its deadline
/// passes (it answers nil), it is killed, or its socket closes. Keeps
/// reading into `inbuf` meanwhile, to notice a disconnect, and writes the
/// messages published to it (RESP3 clients may be subscribed). Returns the
/// reply to write.
async fn wait_blocked(
    shared: &Arc<Shared>,
    stream: &mut TcpStream,
    id: u64,
    kill: &KillSwitch,
    outbox: &Outbox,
    inbuf: &mut BytesMut,
    spare: &mut Vec<u8>,
) -> Result<Vec<u8>, &'static str> {
    loop {
        let (deadline, wake) = {
            let mut st = shared.state.lock();
            if let Some(r) = st.blocking.take_done(id) {
                // The write that served it is in the log before the reply
                // goes (the log position now covers it).
                (None, Some((r, crate::aof::submit(&mut st, 0))))
            } else {
                match st.blocking.wait_info(id) {
                    Some(w) => (Some(w), None),
                    // Neither blocked nor answered: nothing to write.
                    None => return Ok(Vec::new()),
                }
            }
        };
        let (deadline, wake) = match (deadline, wake) {
            (_, Some((reply, logged))) => {
                if let Some(w) = logged {
                    w.done().await;
                }
                return Ok(reply);
            }
            (Some(w), None) => w,
            (None, None) => return Ok(Vec::new()),
        };
        let sleep = async {
            match deadline {
                Some(d) => {
                    let left = (d - now_ms()).max(0) as u64;
                    tokio::time::sleep(Duration::from_millis(left)).await
                }
                None => std::future::pending().await,
            }
        };
        if inbuf.capacity() - inbuf.len() < READ_CHUNK / 2 {
            inbuf.reserve(READ_CHUNK);
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = sleep => {
                let mut st = shared.state.lock();
                if st.blocking.is_blocked(id) {
                    crate::blocking::time_out(&mut st, id);
                }
            }
            r = stream.read_buf(inbuf) => match r {
                Ok(0) => return Err("connection closed by client"),
                Ok(n) => {
                    shared.net_in.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(_) => return Err("read error"),
            },
            _ = kill.wait() => return Err("killed"),
            _ = outbox.wait() => flush_outbox(shared, stream, kill, outbox, spare).await?,
        }
    }
}

/// The periodic work Redis does in `serverCron`, `hz` times a second:
/// active expiry, incremental rehashing, client timeouts, statistics.
pub async fn cron(shared: Arc<Shared>) {
    loop {
        let hz = shared.state.lock().config.tun.hz.max(1);
        tokio::time::sleep(Duration::from_millis(1000 / hz as u64)).await;
        let mut st = shared.state.lock();
        let now = now_ms();
        if st.active_expire_enabled {
            let effort = st.config.tun.active_expire_effort.clamp(1, 10) as u64;
            // 25% of the cron period (plus more with effort), as Redis.
            let budget_us = (25 + 2 * (effort - 1)) * 1_000_000 / hz as u64 / 100;
            st.ks
                .active_expire_cycle(now, Duration::from_micros(budget_us));
            st.drain_expired();
        }
        crate::persist::check_save_points(&shared, &mut st);
        // Eviction that ran out of time keeps going between commands.
        st.ks.tier_cron();
        st.ks.estimator_step();
        crate::evict::perform_evictions(&mut st);
        // After the cron's own deletions (expiry, eviction): they are
        // logged as one unit.
        crate::aof::cron(&shared, &mut st);
        if st.config.tun.activerehashing {
            st.ks.rehash_step(1);
        }
        let timeout = st.config.tun.timeout_secs;
        if timeout > 0 {
            for c in st.clients.values() {
                // A blocked client is waiting, not idle (as Redis).
                if c.last_interaction.elapsed() > Duration::from_secs(timeout)
                    && !st.blocking.is_blocked(c.id)
                {
                    info!("Closing idle client id={}", c.id);
                    c.kill.kill();
                }
            }
        }
        let processed = st.stats.commands_processed;
        let (nin, nout) = (
            shared.net_in.load(Ordering::Relaxed),
            shared.net_out.load(Ordering::Relaxed),
        );
        let stats = &mut st.stats;
        stats.peak_memory = stats.peak_memory.max(tiering::memory::used_memory() as u64);
        push_sample(&mut stats.ops_samples, now, processed);
        push_sample(&mut stats.net_samples_in, now, nin);
        push_sample(&mut stats.net_samples_out, now, nout);
    }
}

fn push_sample(v: &mut Vec<(i64, u64)>, now: i64, value: u64) {
    v.push((now, value));
    if v.len() > 16 {
        v.remove(0);
    }
}
