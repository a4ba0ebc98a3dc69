//! Micro-benchmarks of the list type's hot paths: pushing and popping at
//! both ends of a small (listpack) and a large (quicklist) list.

use criterion::{criterion_group, criterion_main, Criterion};
use tiering::{End, ListValue};

/// Redis's default `list-max-listpack-size`.
const FILL: i64 = -2;

fn push_pop(c: &mut Criterion) {
    let item = b"element-0123456789";
    for (name, base) in [("small", 16usize), ("large", 100_000)] {
        let mut l = ListValue::default();
        for _ in 0..base {
            l.push(End::Tail, &[item], FILL);
        }
        c.bench_function(&format!("lpush+lpop {name} list"), |b| {
            b.iter(|| {
                l.push(End::Head, &[item], FILL);
                std::hint::black_box(l.pop(End::Head, 1, FILL));
            })
        });
        c.bench_function(&format!("rpush+lpop {name} list"), |b| {
            b.iter(|| {
                l.push(End::Tail, &[item], FILL);
                std::hint::black_box(l.pop(End::Head, 1, FILL));
            })
        });
    }
    c.bench_function("lpush 1000 then lpop 1000", |b| {
        b.iter(|| {
            let mut l = ListValue::default();
            for _ in 0..1000 {
                l.push(End::Head, &[item], FILL);
            }
            for _ in 0..1000 {
                std::hint::black_box(l.pop(End::Head, 1, FILL));
            }
        })
    });
}

criterion_group!(benches, push_pop);
criterion_main!(benches);
