//! Micro-benchmarks of the set type's hot paths, straight on
//! `tiering::SetValue` (no networking, no dispatch): SADD (insert of a new
//! member, then its removal so the set keeps its size), SISMEMBER and SREM
//! on an intset, a listpack and a 100k-member table, and the core of SINTER
//! on two 10k-member sets (walk the smaller, test the other).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tiering::{Limits, SetValue};

fn members(n: usize, ints: bool) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            if ints {
                (i * 3).to_string().into_bytes()
            } else {
                format!("member:{i}").into_bytes()
            }
        })
        .collect()
}

fn filled(ms: &[Vec<u8>], limits: &Limits) -> SetValue {
    let mut s = SetValue::for_insert(&ms[0], ms.len(), limits);
    for m in ms {
        s.insert(m, limits);
    }
    s
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("set");
    g.throughput(Throughput::Elements(1));
    for (label, n, ints) in [
        ("intset_256", 256usize, true),
        ("listpack_64", 64, false),
        ("hashtable_100k", 100_000, false),
    ] {
        let ms = members(n, ints);
        // Absent members of the same kind (intset: odd integers between
        // the members, so the array stays at its width).
        let fresh: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                if ints {
                    (i * 3 + 1).to_string().into_bytes()
                } else {
                    format!("other:{i}").into_bytes()
                }
            })
            .collect();
        let mut s = filled(&ms, &limits);
        assert_eq!(
            s.encoding(),
            label.split('_').next().expect("label has a kind")
        );
        let mut i = 0;
        g.bench_function(format!("sismember/{label}"), |b| {
            b.iter(|| {
                i = (i + 7) % n;
                std::hint::black_box(s.contains(&ms[i]))
            })
        });
        g.bench_function(format!("sadd_new+srem/{label}"), |b| {
            b.iter(|| {
                i = (i + 7) % n;
                let added = s.insert(&fresh[i], &limits);
                let removed = s.remove(&fresh[i]);
                std::hint::black_box((added, removed))
            })
        });
        g.bench_function(format!("sadd_existing/{label}"), |b| {
            b.iter(|| {
                i = (i + 7) % n;
                std::hint::black_box(s.insert(&ms[i], &limits))
            })
        });
        assert_eq!(s.len(), n);
    }
    // SINTER of two 10k sets sharing half their members.
    let a = filled(&members(10_000, false), &limits);
    let b_members: Vec<Vec<u8>> = (5_000..15_000)
        .map(|i| format!("member:{i}").into_bytes())
        .collect();
    let b = filled(&b_members, &limits);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("sinter/two_tables_10k", |bch| {
        bch.iter(|| {
            let mut n = 0usize;
            a.for_each(|m| {
                if b.contains(m) {
                    n += m.len();
                }
            });
            std::hint::black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
