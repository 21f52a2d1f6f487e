//! criterion benchmarks of the recurrent cells, f32: one step forward and one
//! step backward (`*_cell_forward` / `*_cell_backward`), and a whole sequence
//! forward + backward (`sequence_forward` + `sequence_backward`) with
//! loss = sum of outputs, at (T, B, I, H) = (64, 1, 64, 128) and (64, 32, 128, 512).
//!
//!     cargo bench --bench cells
//!     cargo bench --bench cells -- lstm     (a subset)

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use seqmodels::linalg::Matrix;
use seqmodels::rng::Rng;
use seqmodels::rnn::*;
use std::hint::black_box;
use std::time::Duration;

const SHAPES: [(usize, usize, usize, usize); 2] = [(64, 1, 64, 128), (64, 32, 128, 512)];

fn benches(c: &mut Criterion) {
    for kind in [
        CellKind::parse("rnn").unwrap(),
        CellKind::parse("gru").unwrap(),
        CellKind::Lstm,
    ] {
        let mut group = c.benchmark_group(kind.name());
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(3));
        for &(t, b, i, h) in &SHAPES {
            let mut rng = Rng::new(1);
            let p = CellParams::<f32>::new(kind, i, h, &mut rng);
            let x = Matrix::<f32>::random_uniform(t * b, i, -1.0, 1.0, &mut rng);
            let s0 = State::zeros(kind, b, h);
            let ones = Matrix::<f32>::filled(t * b, h, 1.0);
            let id = format!("T{t}_B{b}_I{i}_H{h}");
            let x1 = x.rows_range(0, b).to_matrix();
            let dh = Matrix::<f32>::filled(b, h, 1.0);
            let mut g = p.zeros_like();
            match kind {
                CellKind::Rnn(_) => {
                    let (_, cache) = rnn_cell_forward(&p, x1.view(), s0.h.view());
                    group.bench_function(BenchmarkId::new("step_forward", &id), |bch| {
                        bch.iter(|| black_box(rnn_cell_forward(&p, x1.view(), s0.h.view())))
                    });
                    group.bench_function(BenchmarkId::new("step_backward", &id), |bch| {
                        bch.iter(|| black_box(rnn_cell_backward(&p, &cache, dh.view(), &mut g)))
                    });
                }
                CellKind::Gru(_) => {
                    let (_, cache) = gru_cell_forward(&p, x1.view(), s0.h.view());
                    group.bench_function(BenchmarkId::new("step_forward", &id), |bch| {
                        bch.iter(|| black_box(gru_cell_forward(&p, x1.view(), s0.h.view())))
                    });
                    group.bench_function(BenchmarkId::new("step_backward", &id), |bch| {
                        bch.iter(|| black_box(gru_cell_backward(&p, &cache, dh.view(), &mut g)))
                    });
                }
                CellKind::Lstm => {
                    let c0 = s0.cell();
                    let (_, _, cache) = lstm_cell_forward(&p, x1.view(), s0.h.view(), c0.view());
                    group.bench_function(BenchmarkId::new("step_forward", &id), |bch| {
                        bch.iter(|| {
                            black_box(lstm_cell_forward(&p, x1.view(), s0.h.view(), c0.view()))
                        })
                    });
                    group.bench_function(BenchmarkId::new("step_backward", &id), |bch| {
                        bch.iter(|| {
                            black_box(lstm_cell_backward(&p, &cache, dh.view(), dh.view(), &mut g))
                        })
                    });
                }
            }
            group.bench_function(BenchmarkId::new("sequence_fwd_bwd", &id), |bch| {
                bch.iter(|| {
                    let cache = sequence_forward(&p, x.view(), &s0, None);
                    black_box(sequence_backward(
                        &p,
                        x.view(),
                        &cache,
                        ones.view(),
                        None,
                        &mut g,
                    ))
                })
            });
        }
        group.finish();
    }
}

criterion_group!(cell_benches, benches);
criterion_main!(cell_benches);
