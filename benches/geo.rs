//! GEO hot paths: turning coordinates into a score (every GEOADD point),
//! a score back into coordinates and a distance (every member a search
//! examines), and planning a search's cells.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tiering::geo::{self, Search, Shape};

fn maths(c: &mut Criterion) {
    c.bench_function("geo/encode", |b| {
        b.iter(|| geo::score_of(black_box(13.361389), black_box(38.115556)))
    });
    c.bench_function("geo/decode+distance", |b| {
        b.iter(|| {
            let (x, y) = geo::decode_score(black_box(3479099956230698.0));
            geo::distance(15.0, 37.0, x, y)
        })
    });
    let s = Search {
        lon: 15.0,
        lat: 37.0,
        shape: Shape::Radius(200.0),
        to_metres: 1000.0,
    };
    c.bench_function("geo/cells", |b| b.iter(|| geo::cells(black_box(&s))));
}

criterion_group!(benches, maths);
criterion_main!(benches);
