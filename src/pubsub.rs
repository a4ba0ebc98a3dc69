//! Pub/Sub: the channel, pattern and shard-channel registries, message
//! delivery to other connections, and the output-buffer limit of
//! subscribers.
//!
//! How delivery works, and why this way:
//!
//! * Every connection owns an [`Outbox`]: bytes waiting to be written to it
//!   that were produced by *other* connections (messages), plus a
//!   notification. [`publish`] runs under the executor lock, encodes the
//!   message once per protocol version, appends it to each receiver's
//!   outbox and notifies the receiver's task. The outbox has its own small
//!   lock, so a subscriber's task takes its messages and writes them
//!   without touching the executor lock at all.
//! * A connection task waits for input, CLIENT KILL, or its outbox. When
//!   it runs a batch of commands it first moves its outbox into its reply
//!   buffer (under the executor lock, so nothing can be published
//!   meanwhile): messages published before the batch come before its
//!   replies, and a message never lands inside a reply.
//! * Messages a connection sends to itself (a RESP3 client publishing on a
//!   channel it subscribes to, or subscribed to the keyspace events of its
//!   own commands) go to [`PubSub::own_pending`] instead. A keyspace event
//!   is moved into the command's reply buffer at once
//!   (`Ctx::take_own_messages`), so it lands before, after or inside the
//!   reply exactly where Redis writes it; anything left is inserted by the
//!   executor before the reply of the command that produced it.
//! * Push frames (subscription confirmations and messages) are sent even
//!   when `CLIENT REPLY OFF|SKIP` silences replies, as Redis 7.0 does; the
//!   executor keeps the byte ranges recorded in [`PubSub::push_marks`].
//! * `client-output-buffer-limit pubsub <hard> <soft> <secs>` is checked on
//!   every append, as Redis checks it on every reply it queues: over the
//!   hard limit, or over the soft limit for more than `secs` seconds, the
//!   client is closed and its pending messages dropped.
//!
//! The registry is Redis 7.0's: channel → subscribers in subscription
//! order, pattern → subscribers, shard channel → subscribers (standalone
//! shard channels are a separate namespace reached by SPUBLISH only), and
//! per client the channels, patterns and shard channels it holds.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tracing::warn;

use crate::server::{ClientInfo, State};

type Map = HashMap<Bytes, Vec<u64>, ahash::RandomState>;

/// The server-wide registry.
#[derive(Default)]
pub struct PubSub {
    channels: Map,
    patterns: Map,
    shard: Map,
    /// The connection whose command is running (its own messages go to
    /// `own_pending`, not to its outbox).
    pub exec_client: Option<u64>,
    /// Messages for `exec_client`, already encoded for its protocol.
    pub own_pending: Vec<u8>,
    /// Byte ranges of push frames in the running command's reply buffer
    /// (kept when `CLIENT REPLY OFF|SKIP` drops the rest).
    pub push_marks: Vec<(usize, usize)>,
}

impl PubSub {
    /// Channels with at least one subscriber (`pubsub_channels`).
    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }
    /// Distinct patterns subscribed (`pubsub_patterns`, PUBSUB NUMPAT).
    pub fn num_patterns(&self) -> usize {
        self.patterns.len()
    }
    /// Shard channels with a subscriber (`pubsubshard_channels`).
    pub fn num_shard_channels(&self) -> usize {
        self.shard.len()
    }
}

/// What one client subscribes to, in subscription order (UNSUBSCRIBE
/// without arguments walks them in this order).
#[derive(Default)]
pub struct ClientSubs {
    pub channels: Vec<Bytes>,
    pub patterns: Vec<Bytes>,
    pub shard: Vec<Bytes>,
}

impl ClientSubs {
    /// The count SUBSCRIBE/UNSUBSCRIBE/PSUBSCRIBE/PUNSUBSCRIBE report.
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
    /// Any subscription at all: the client is in Pub/Sub mode (flag `P`,
    /// client type `pubsub`, the RESP2 command restriction).
    pub fn active(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }
}

/// Which registry a command works on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn map(self, ps: &mut PubSub) -> &mut Map {
        match self {
            Kind::Channel => &mut ps.channels,
            Kind::Pattern => &mut ps.patterns,
            Kind::Shard => &mut ps.shard,
        }
    }
    fn list(self, subs: &mut ClientSubs) -> &mut Vec<Bytes> {
        match self {
            Kind::Channel => &mut subs.channels,
            Kind::Pattern => &mut subs.patterns,
            Kind::Shard => &mut subs.shard,
        }
    }
    /// The count a confirmation of this kind reports.
    pub fn count(self, subs: &ClientSubs) -> usize {
        match self {
            Kind::Shard => subs.shard.len(),
            _ => subs.count(),
        }
    }
}

/// `client-output-buffer-limit` for one client class; 0 disables a limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_secs: u64,
}

/// Bytes for one connection from other connections (see the module
/// comment).
#[derive(Default)]
pub struct Outbox {
    inner: Mutex<OutboxInner>,
    notify: Notify,
}

#[derive(Default)]
struct OutboxInner {
    buf: Vec<u8>,
    /// Bytes taken by the task and being written now (they still count
    /// against the limit: the client has not read them).
    inflight: usize,
    soft_since: Option<Instant>,
    /// The limit was passed: the client is being closed, drop everything.
    closed: bool,
}

impl Outbox {
    /// Appends `bytes`; false if that passed `limit` (the outbox is then
    /// closed and emptied, and the caller closes the client).
    fn push(&self, bytes: &[u8], limit: ObufLimit) -> bool {
        let mut o = self.inner.lock();
        if o.closed {
            return true;
        }
        o.buf.extend_from_slice(bytes);
        let used = (o.buf.len() + o.inflight) as u64;
        let hard = limit.hard > 0 && used >= limit.hard;
        let mut soft = false;
        if limit.soft > 0 && used >= limit.soft {
            // Over the soft limit for longer than `soft_secs` (the first
            // time only starts the clock).
            match o.soft_since {
                None => o.soft_since = Some(Instant::now()),
                Some(t) => soft = t.elapsed().as_secs() > limit.soft_secs,
            }
        } else {
            o.soft_since = None;
        }
        if hard || soft {
            o.closed = true;
            o.buf = Vec::new();
            return false;
        }
        drop(o);
        self.notify.notify_one();
        true
    }

    /// Moves the pending bytes to the end of `into` (the task is about to
    /// write them with its replies).
    pub fn drain_into(&self, into: &mut Vec<u8>) {
        let mut o = self.inner.lock();
        if o.buf.is_empty() {
            return;
        }
        if into.is_empty() {
            std::mem::swap(into, &mut o.buf);
        } else {
            into.extend_from_slice(&o.buf);
            o.buf.clear();
        }
    }

    /// Takes the pending bytes for writing (swapped with `spare`, an empty
    /// buffer whose capacity is reused); they count as in flight until
    /// [`Outbox::written`].
    pub fn take(&self, spare: &mut Vec<u8>) {
        let mut o = self.inner.lock();
        std::mem::swap(spare, &mut o.buf);
        o.inflight = spare.len();
    }

    /// The bytes taken by [`Outbox::take`] were written.
    pub fn written(&self) {
        self.inner.lock().inflight = 0;
    }

    /// Bytes not yet written to the client (`omem` of CLIENT LIST).
    pub fn pending(&self) -> usize {
        let o = self.inner.lock();
        o.buf.len() + o.inflight
    }

    /// Resolves when bytes were appended since the last call.
    pub async fn wait(&self) {
        self.notify.notified().await
    }
}

/// Publishes `message` on `channel`: every client subscribed to the
/// channel gets `message`, every client subscribed to a matching pattern
/// gets `pmessage`. Returns the number of receivers (what PUBLISH
/// answers). Callable from any command handler (and, for keyspace events,
/// from anywhere holding the state): messages to the running client come
/// before its reply, messages to others are queued to their connections.
pub fn publish(st: &mut State, channel: &[u8], message: &[u8]) -> usize {
    let limit = pubsub_limit(&st.config);
    let State {
        pubsub, clients, ..
    } = st;
    let mut receivers = 0;
    let mut enc = Encoded::default();
    if let Some(ids) = pubsub.channels.get(channel) {
        for &id in ids {
            receivers += 1;
            deliver(
                clients,
                &mut pubsub.own_pending,
                pubsub.exec_client,
                id,
                limit,
                &mut enc,
                |p| frame(p, b"message", None, channel, message),
            );
        }
    }
    if !pubsub.patterns.is_empty() {
        for (pat, ids) in &pubsub.patterns {
            if !tiering::glob::matches(pat, channel, false) {
                continue;
            }
            let mut enc = Encoded::default();
            for &id in ids {
                receivers += 1;
                deliver(
                    clients,
                    &mut pubsub.own_pending,
                    pubsub.exec_client,
                    id,
                    limit,
                    &mut enc,
                    |p| frame(p, b"pmessage", Some(pat), channel, message),
                );
            }
        }
    }
    receivers
}

/// SPUBLISH: `smessage` to the subscribers of shard channel `channel`.
pub fn spublish(st: &mut State, channel: &[u8], message: &[u8]) -> usize {
    let limit = pubsub_limit(&st.config);
    let State {
        pubsub, clients, ..
    } = st;
    let mut enc = Encoded::default();
    let Some(ids) = pubsub.shard.get(channel) else {
        return 0;
    };
    for &id in ids {
        deliver(
            clients,
            &mut pubsub.own_pending,
            pubsub.exec_client,
            id,
            limit,
            &mut enc,
            |p| frame(p, b"smessage", None, channel, message),
        );
    }
    ids.len()
}

/// The `pubsub` class of `client-output-buffer-limit`.
fn pubsub_limit(c: &crate::config::Config) -> ObufLimit {
    c.tun.pubsub_obuf
}

/// One message encoded for RESP2 and RESP3, each done once when first
/// needed.
#[derive(Default)]
struct Encoded {
    resp2: Option<Vec<u8>>,
    resp3: Option<Vec<u8>>,
}

fn deliver(
    clients: &std::collections::BTreeMap<u64, ClientInfo>,
    own: &mut Vec<u8>,
    exec_client: Option<u64>,
    id: u64,
    limit: ObufLimit,
    enc: &mut Encoded,
    make: impl Fn(bool) -> Vec<u8>,
) {
    let Some(c) = clients.get(&id) else {
        return;
    };
    let resp3 = c.resp == 3;
    let slot = if resp3 {
        &mut enc.resp3
    } else {
        &mut enc.resp2
    };
    let bytes = slot.get_or_insert_with(|| make(resp3));
    if exec_client == Some(id) {
        own.extend_from_slice(bytes);
        return;
    }
    if !c.outbox.push(bytes, limit) {
        warn!(
            "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
            c.id, c.addr
        );
        c.kill.kill();
    }
}

/// `message`/`smessage` (3 items) or `pmessage` (4) as a push frame.
fn frame(resp3: bool, kind: &[u8], pattern: Option<&[u8]>, channel: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut r = crate::reply::Reply::new(if resp3 {
        crate::reply::Proto::Resp3
    } else {
        crate::reply::Proto::Resp2
    });
    r.buf.clear();
    r.push(if pattern.is_some() { 4 } else { 3 });
    r.bulk(kind);
    if let Some(p) = pattern {
        r.bulk(p);
    }
    r.bulk(channel);
    r.bulk(msg);
    r.buf
}

/// Subscribes client `id` to `name` in registry `kind`; false if it
/// already was.
pub fn subscribe(st: &mut State, id: u64, kind: Kind, name: &Bytes) -> bool {
    let Some(c) = st.clients.get_mut(&id) else {
        return false;
    };
    let list = kind.list(&mut c.subs);
    if list.iter().any(|n| n == name) {
        return false;
    }
    list.push(name.clone());
    kind.map(&mut st.pubsub)
        .entry(name.clone())
        .or_default()
        .push(id);
    true
}

/// Unsubscribes client `id` from `name`; false if it was not subscribed.
pub fn unsubscribe(st: &mut State, id: u64, kind: Kind, name: &[u8]) -> bool {
    let Some(c) = st.clients.get_mut(&id) else {
        return false;
    };
    let list = kind.list(&mut c.subs);
    let Some(pos) = list.iter().position(|n| n == name) else {
        return false;
    };
    list.remove(pos);
    let map = kind.map(&mut st.pubsub);
    if let Some(ids) = map.get_mut(name) {
        ids.retain(|&x| x != id);
        if ids.is_empty() {
            map.remove(name);
        }
    }
    true
}

/// The names client `id` subscribes to in `kind`, in subscription order.
pub fn subscriptions(st: &State, id: u64, kind: Kind) -> Vec<Bytes> {
    let Some(c) = st.clients.get(&id) else {
        return Vec::new();
    };
    match kind {
        Kind::Channel => c.subs.channels.clone(),
        Kind::Pattern => c.subs.patterns.clone(),
        Kind::Shard => c.subs.shard.clone(),
    }
}

/// Drops every subscription of client `id`, without confirmations (RESET,
/// disconnect).
pub fn forget(st: &mut State, id: u64) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in subscriptions(st, id, kind) {
            unsubscribe(st, id, kind, &name);
        }
    }
}

/// Channels (or shard channels) with subscribers, matching `pattern` if
/// given (PUBSUB CHANNELS / SHARDCHANNELS).
pub fn active(st: &State, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
    let map = if shard {
        &st.pubsub.shard
    } else {
        &st.pubsub.channels
    };
    map.keys()
        .filter(|ch| pattern.is_none_or(|p| tiering::glob::matches(p, ch, false)))
        .cloned()
        .collect()
}

/// Subscribers of `channel` (PUBSUB NUMSUB / SHARDNUMSUB), patterns not
/// counted.
pub fn num_subscribers(st: &State, shard: bool, channel: &[u8]) -> usize {
    let map = if shard {
        &st.pubsub.shard
    } else {
        &st.pubsub.channels
    };
    map.get(channel).map_or(0, Vec::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_resp_push_messages() {
        assert_eq!(
            frame(false, b"message", None, b"ch", b"hi"),
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            frame(true, b"pmessage", Some(b"c*"), b"ch", b""),
            b">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n"
        );
    }

    #[test]
    fn outbox_limits() {
        let o = Outbox::default();
        let hard = ObufLimit {
            hard: 10,
            soft: 0,
            soft_secs: 0,
        };
        assert!(o.push(b"12345", hard));
        assert_eq!(o.pending(), 5);
        let mut spare = Vec::new();
        o.take(&mut spare);
        assert_eq!(spare, b"12345");
        // In-flight bytes still count.
        assert!(!o.push(b"67890", hard));
        assert_eq!(o.pending(), 5);
        // Closed: further messages are dropped silently.
        assert!(o.push(b"x", hard));
        o.written();
        assert_eq!(o.pending(), 0);

        let o = Outbox::default();
        let soft = ObufLimit {
            hard: 0,
            soft: 4,
            soft_secs: 0,
        };
        // The first time over only starts the clock; going under resets it.
        assert!(o.push(b"12345", soft));
        let mut spare = Vec::new();
        o.take(&mut spare);
        o.written();
        assert!(o.push(b"1", soft));
        assert!(o.push(b"2345", soft));
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(!o.push(b"6", soft));
    }
}
