//! Micro-benchmarks of the hash type's hot paths: HSET and HGET on a small
//! (`listpack`) hash and on a big (`hashtable`) one, straight on
//! `tiering::HashValue` (no networking, no dispatch).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tiering::{HashValue, Limits};

fn fields(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("field:{i}").into_bytes()).collect()
}

fn filled(n: usize, limits: &Limits) -> HashValue {
    let mut h = HashValue::default();
    for f in fields(n) {
        h.set(&f, b"some value", limits);
    }
    h
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Elements(1));
    for (label, n) in [
        ("listpack_16", 16usize),
        ("listpack_128", 128),
        ("table_100k", 100_000),
    ] {
        let fs = fields(n);
        let mut h = filled(n, &limits);
        let mut i = 0;
        g.bench_function(format!("hget/{label}"), |b| {
            b.iter(|| {
                i = (i + 7) % n;
                std::hint::black_box(h.get(&fs[i]).map(<[u8]>::len))
            })
        });
        g.bench_function(format!("hset_existing/{label}"), |b| {
            b.iter(|| {
                i = (i + 7) % n;
                h.set(&fs[i], b"other value", &limits)
            })
        });
    }
    g.bench_function("hset_new/build_table_10k", |b| {
        let fs = fields(10_000);
        b.iter(|| {
            let mut h = HashValue::default();
            for f in &fs {
                h.set(f, b"v", &limits);
            }
            h.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
