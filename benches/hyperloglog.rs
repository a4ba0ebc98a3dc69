//! HyperLogLog hot paths: adding an element to a sparse and to a dense
//! sketch, and computing the estimate (what PFCOUNT does when the cached
//! one is stale), both on the sketch code alone and through the executor
//! (lookup, checks, reply).

use std::cell::RefCell;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use tiering::hll::{self, Editor, REGISTERS};
use valkey_tiered::config::Config;
use valkey_tiered::exec;
use valkey_tiered::reply::{Proto, Reply};
use valkey_tiered::server::{KillSwitch, Shared};

/// A sketch of `n` distinct elements, cache stale.
fn sketch(n: usize, sparse_max: usize) -> Vec<u8> {
    let mut v = hll::empty();
    let mut ed = Editor::new(&mut v);
    for i in 0..n {
        ed.add(format!("element:{i}").as_bytes(), sparse_max)
            .expect("valid sketch");
    }
    hll::invalidate(ed.bytes_mut());
    drop(ed);
    v
}

fn algorithm(c: &mut Criterion) {
    // 1000 elements: about 1.9 KB sparse, the upper range of what the
    // default 3000-byte limit keeps sparse.
    let sparse = sketch(1000, 3000);
    let dense = sketch(20_000, 3000);
    assert_eq!(hll::check(&sparse), Some(hll::Encoding::Sparse));
    assert_eq!(hll::check(&dense), Some(hll::Encoding::Dense));
    let mut g = c.benchmark_group("hll");
    let mut i = 0u64;
    g.bench_function("add_sparse_1000", |b| {
        b.iter_batched_ref(
            || sparse.clone(),
            |v| {
                i += 1;
                Editor::new(v).add(&i.to_le_bytes(), 3000)
            },
            BatchSize::SmallInput,
        )
    });
    let mut d = dense.clone();
    g.bench_function("add_dense", |b| {
        b.iter(|| {
            i += 1;
            Editor::new(&mut d).add(&i.to_le_bytes(), 3000)
        })
    });
    g.bench_function("count_sparse_1000", |b| b.iter(|| hll::count(&sparse)));
    g.bench_function("count_dense", |b| b.iter(|| hll::count(&dense)));
    let other = sketch(5000, 0);
    g.bench_function("union_of_2_dense", |b| {
        b.iter(|| {
            let mut max = [0u8; REGISTERS];
            hll::merge_into(&mut max, &dense).expect("valid");
            hll::merge_into(&mut max, &other).expect("valid");
            hll::count_registers(&max)
        })
    });
    g.finish();
}

fn commands(c: &mut Criterion) {
    let shared: Arc<Shared> = Shared::new(Config::new());
    let addr = "127.0.0.1:1".parse().expect("addr");
    shared
        .state
        .lock()
        .register_client(1, addr, addr, -1, Arc::new(KillSwitch::default()));
    // Shared by the setup and measured closures of a benchmark.
    let out = RefCell::new(Reply::new(Proto::Resp2));
    let run = |args: &[Bytes]| {
        let mut out = out.borrow_mut();
        let mut st = shared.state.lock();
        exec::execute(&mut st, &shared, 1, &mut out, args);
        out.buf.clear();
    };
    let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
    let sparse = Bytes::from(sketch(1000, 3000));
    let dense = Bytes::from(sketch(20_000, 3000));
    run(&[b("SET"), b("dense"), dense.clone()]);

    let mut g = c.benchmark_group("hll_commands");
    let mut i = 0u64;
    g.bench_function("pfadd_sparse_1000", |bn| {
        bn.iter_batched(
            || run(&[b("SET"), b("sparse"), sparse.clone()]),
            |()| {
                i += 1;
                run(&[b("PFADD"), b("sparse"), Bytes::from(i.to_string())]);
            },
            // One key: each measured call must find it freshly set.
            BatchSize::PerIteration,
        )
    });
    g.bench_function("pfadd_dense", |bn| {
        bn.iter(|| {
            i += 1;
            run(&[b("PFADD"), b("dense"), Bytes::from(i.to_string())]);
        })
    });
    for (name, bytes) in [("sparse_1000", &sparse), ("dense", &dense)] {
        g.bench_function(format!("pfcount_stale_{name}"), |bn| {
            bn.iter_batched(
                || run(&[b("SET"), b("stale"), bytes.clone()]),
                |()| run(&[b("PFCOUNT"), b("stale")]),
                BatchSize::PerIteration,
            )
        });
    }
    g.bench_function("pfcount_cached", |bn| {
        run(&[b("PFCOUNT"), b("dense")]);
        bn.iter(|| run(&[b("PFCOUNT"), b("dense")]))
    });
    g.bench_function("pfcount_2_keys", |bn| {
        bn.iter(|| run(&[b("PFCOUNT"), b("dense"), b("sparse")]))
    });
    g.finish();
}

criterion_group!(benches, algorithm, commands);
criterion_main!(benches);
