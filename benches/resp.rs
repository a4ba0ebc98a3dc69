//! Micro-benchmarks of the request path: RESP parsing of pipelined
//! commands, and dispatch (table lookup, checks, execution, reply
//! encoding) of GET/SET through the executor.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use valkey_tiered::config::Config;
use valkey_tiered::exec;
use valkey_tiered::reply::{Proto, Reply};
use valkey_tiered::resp::{Limits, RequestParser};
use valkey_tiered::server::{KillSwitch, Shared};

fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Parses every command in `buf`; returns the number of arguments.
fn parse_all(buf: &mut BytesMut, lim: Limits) -> usize {
    let mut p = RequestParser::new();
    let mut n = 0;
    while let Ok(Some(cmd)) = p.next(buf, lim) {
        n += cmd.len();
    }
    n
}

fn parse(c: &mut Criterion) {
    let lim = Limits {
        max_bulk_len: 512 << 20,
        authenticated: true,
    };
    let mut pipeline = Vec::new();
    for i in 0..100 {
        pipeline.extend(encode(&[
            b"SET",
            format!("key:{i:08}").as_bytes(),
            &[b'x'; 100],
        ]));
    }
    let mut g = c.benchmark_group("resp_parse");
    g.throughput(Throughput::Elements(100));
    g.bench_function("set_100b_x100", |b| {
        b.iter_batched(
            || BytesMut::from(&pipeline[..]),
            |mut buf| parse_all(&mut buf, lim),
            BatchSize::SmallInput,
        )
    });
    let inline = b"PING\r\n".repeat(100);
    g.bench_function("inline_ping_x100", |b| {
        b.iter_batched(
            || BytesMut::from(&inline[..]),
            |mut buf| parse_all(&mut buf, lim),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn dispatch(c: &mut Criterion) {
    let shared: Arc<Shared> = Shared::new(Config::new());
    let addr = "127.0.0.1:1".parse().expect("addr");
    shared
        .state
        .lock()
        .register_client(1, addr, addr, -1, Arc::new(KillSwitch::default()));
    let keys: Vec<Bytes> = (0..10_000)
        .map(|i| Bytes::from(format!("key:{i:08}")))
        .collect();
    let value = Bytes::from(vec![b'x'; 100]);
    let set = Bytes::from_static(b"SET");
    let get = Bytes::from_static(b"GET");
    let mut out = Reply::new(Proto::Resp2);
    let mut g = c.benchmark_group("dispatch");
    let mut i = 0usize;
    g.bench_function("set", |b| {
        b.iter(|| {
            let mut st = shared.state.lock();
            let args = [set.clone(), keys[i % keys.len()].clone(), value.clone()];
            exec::execute(&mut st, &shared, 1, &mut out, &args);
            out.buf.clear();
            i += 1;
        })
    });
    g.bench_function("get", |b| {
        b.iter(|| {
            let mut st = shared.state.lock();
            let args = [get.clone(), keys[i % keys.len()].clone()];
            exec::execute(&mut st, &shared, 1, &mut out, &args);
            out.buf.clear();
            i += 1;
        })
    });
    g.finish();
}

criterion_group!(benches, parse, dispatch);
criterion_main!(benches);
