//! criterion benchmarks of t-SNE: one Barnes-Hut gradient step and one exact
//! gradient step at a realistic map, the input affinities, and a full short
//! run, on the generated clustered data (`tsne::gaussian_clusters`).
//!
//!     cargo bench --bench tsne
//!     cargo bench --bench tsne -- gradient      (a subset)
//!
//! The thread count is `SEQMODELS_THREADS` (default: all cores). For the
//! side-by-side comparison with scikit-learn see `benches/compare_tsne.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use seqmodels::linalg::Matrix;
use seqmodels::tsne::{
    exact_gradient, gaussian_clusters, joint_probabilities, tsne, BarnesHut, Method, TsneConfig,
};
use std::hint::black_box;
use std::time::Duration;

/// A map after 300 Barnes-Hut iterations, so the tree has realistic clusters.
fn realistic_map(x: &Matrix<f64>) -> Matrix<f64> {
    let cfg = TsneConfig {
        method: Method::BarnesHut,
        iterations: 300,
        ..TsneConfig::default()
    };
    tsne(x, &cfg).expect("tsne").y
}

fn gradients(c: &mut Criterion) {
    let threads = seqmodels::linalg::pool::threads();
    let mut group = c.benchmark_group("gradient");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    for &n in &[1000usize, 2000] {
        let (x, _) = gaussian_clusters(n, 50, 10, 1.0, 42);
        let y = realistic_map(&x);
        let p = joint_probabilities(&x, 30.0, 90, threads);
        let mut grad = Matrix::zeros(n, 2);
        let mut bh = BarnesHut::new();
        group.bench_with_input(BenchmarkId::new("barnes-hut", n), &n, |b, _| {
            b.iter(|| {
                bh.gradient(&p, &y, 0.5, 1.0, &mut grad, false, threads);
                black_box(&grad);
            })
        });
        if n == 1000 {
            let dense = p.to_dense();
            group.bench_with_input(BenchmarkId::new("exact", n), &n, |b, _| {
                b.iter(|| {
                    exact_gradient(&dense, &y, 1.0, &mut grad, false, threads);
                    black_box(&grad);
                })
            });
        }
    }
    group.finish();
}

fn affinities_and_runs(c: &mut Criterion) {
    let threads = seqmodels::linalg::pool::threads();
    let mut group = c.benchmark_group("tsne");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let (x, _) = gaussian_clusters(2000, 50, 10, 1.0, 42);
    group.bench_function("affinities/2000x50", |b| {
        b.iter(|| black_box(joint_probabilities(&x, 30.0, 90, threads)))
    });
    let (x, _) = gaussian_clusters(500, 50, 5, 1.0, 42);
    let cfg = TsneConfig {
        method: Method::BarnesHut,
        iterations: 300,
        ..TsneConfig::default()
    };
    group.bench_function("run/barnes-hut/500x50/300it", |b| {
        b.iter(|| black_box(tsne(&x, &cfg).expect("tsne")))
    });
    group.finish();
}

criterion_group!(benches, gradients, affinities_and_runs);
criterion_main!(benches);
