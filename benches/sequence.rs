//! criterion benchmarks of recurrent training speed: one forward + backward
//! pass (loss = sum of outputs, input gradients included) of each cell at the
//! default rows of `seqmodels bench rnn`, in f32, plus the f64 LSTM row of the
//! targets. The same work in PyTorch: benches/peers/rnn_pytorch.py.
//!
//!     cargo bench --bench sequence
//!     SEQMODELS_THREADS=1 cargo bench --bench sequence -- lstm

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use seqmodels::linalg::{Matrix, Scalar};
use seqmodels::rng::Rng;
use seqmodels::rnn::{stack_backward, stack_forward, CellKind, StackedRnn};
use std::hint::black_box;
use std::time::Duration;

const ROWS: [(usize, usize, usize, usize); 4] = [
    (64, 1, 64, 128),
    (64, 32, 64, 256),
    (64, 32, 128, 512),
    (128, 64, 256, 1024),
];

fn row<T: Scalar>(c: &mut Criterion, kind: CellKind, (t, b, i, h): (usize, usize, usize, usize)) {
    let mut rng = Rng::new(42);
    let p = StackedRnn::<T>::new(kind, i, h, 1, false, &mut rng);
    let x = Matrix::<T>::random_uniform(t * b, i, -1.0, 1.0, &mut rng);
    let s0 = p.zero_states(b);
    let dy = Matrix::<T>::filled(t * b, h, T::ONE);
    let mut g = p.zeros_like();
    let mut group = c.benchmark_group(format!("{}/{}", kind.name(), T::DTYPE));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function(
        BenchmarkId::from_parameter(format!("T{t}_B{b}_I{i}_H{h}")),
        |bch| {
            bch.iter(|| {
                let cache = stack_forward(&p, x.view(), &s0, None);
                black_box(stack_backward(
                    &p,
                    x.view(),
                    &cache,
                    dy.view(),
                    None,
                    &mut g,
                ))
            })
        },
    );
    group.finish();
}

fn benches(c: &mut Criterion) {
    for name in ["rnn", "gru", "lstm"] {
        let kind = CellKind::parse(name).expect("cell");
        for r in ROWS {
            row::<f32>(c, kind, r);
        }
    }
    row::<f64>(c, CellKind::Lstm, (64, 32, 64, 256));
}

criterion_group!(sequence_benches, benches);
criterion_main!(sequence_benches);
