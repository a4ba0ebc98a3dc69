//! Micro-benchmarks of the large sorted-set representation at 1M members,
//! straight on `tiering::ZSetValue` (no networking, no dispatch): the
//! operations behind ZADD (new member, score update), ZREM, ZSCORE, ZRANK,
//! ZRANGE by rank and ZRANGEBYSCORE.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tiering::{Limits, ZSetValue};

const N: usize = 1_000_000;

fn member(i: usize) -> Vec<u8> {
    format!("member:{i}").into_bytes()
}

/// Scores are uniform in [0, N), so a score interval of width 10 holds
/// about 10 members.
fn filled(rng: &mut SmallRng, limits: &Limits) -> ZSetValue {
    let mut z = ZSetValue::default();
    for i in 0..N {
        z.set(&member(i), rng.gen_range(0.0..N as f64), limits);
    }
    z
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut rng = SmallRng::seed_from_u64(7);
    let mut z = filled(&mut rng, &limits);
    let names: Vec<Vec<u8>> = (0..N).map(member).collect();
    let mut g = c.benchmark_group("zset_1m");
    g.throughput(Throughput::Elements(1));

    // New members are inserted timed and removed untimed, so the set stays
    // at about 1M members however many iterations criterion asks for.
    let mut fresh = N;
    g.bench_function("zadd_new", |b| {
        b.iter_custom(|iters| {
            let added: Vec<Vec<u8>> = (0..iters)
                .map(|_| {
                    fresh += 1;
                    member(fresh)
                })
                .collect();
            let scores: Vec<f64> = (0..iters).map(|_| rng.gen_range(0.0..N as f64)).collect();
            let t = Instant::now();
            for (m, s) in added.iter().zip(&scores) {
                z.set(m, *s, &limits);
            }
            let d = t.elapsed();
            for m in &added {
                z.remove(m);
            }
            d
        })
    });
    g.bench_function("zadd_update", |b| {
        b.iter(|| {
            let i = rng.gen_range(0..N);
            z.set(&names[i], rng.gen_range(0.0..N as f64), &limits)
        })
    });
    // Members are removed timed and put back untimed.
    g.bench_function("zrem", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let k = left.min(10_000);
                left -= k;
                let picked: Vec<(usize, f64)> = (0..k)
                    .map(|_| rng.gen_range(0..N))
                    .filter_map(|i| z.score(&names[i]).map(|s| (i, s)))
                    .collect();
                let t = Instant::now();
                for (i, _) in &picked {
                    z.remove(&names[*i]);
                }
                total += t.elapsed();
                for (i, s) in &picked {
                    z.set(&names[*i], *s, &limits);
                }
            }
            total
        })
    });
    g.bench_function("zscore", |b| {
        b.iter(|| std::hint::black_box(z.score(&names[rng.gen_range(0..N)])))
    });
    g.bench_function("zrank", |b| {
        b.iter(|| std::hint::black_box(z.rank(&names[rng.gen_range(0..N)])))
    });
    g.bench_function("zrange_10_at_random_rank", |b| {
        b.iter(|| {
            let r = rng.gen_range(0..N - 10);
            let mut n = 0usize;
            z.for_range(r, r + 10, |m, s| n += m[m.len() - 1] as usize + s as usize);
            n
        })
    });
    g.bench_function("zrangebyscore_10", |b| {
        b.iter(|| {
            let lo = rng.gen_range(0.0..(N - 10) as f64);
            let hi = lo + 10.0;
            let start = z.count_before(|s, _| s < lo);
            let end = z.count_before(|s, _| s <= hi);
            let mut n = 0usize;
            z.for_range(start, end, |m, s| n += m[m.len() - 1] as usize + s as usize);
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
