//! criterion benchmarks of the packed GEMM: square sizes and the recurrent
//! shapes (batch × hidden) · (hidden × gates·hidden), plain and pre-packed, in
//! f32 and f64. Throughput is reported in FLOP/s (criterion's "elements/s",
//! counting 2·m·k·n per product).
//!
//!     cargo bench --bench gemm
//!     cargo bench --bench gemm -- recurrent/f32      (a subset)
//!     cargo bench --bench gemm -- pool                (the pool's hand-off)
//!
//! The thread count is `SEQMODELS_THREADS` (default: all cores).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use seqmodels::linalg::gemm::{gemm_prepacked_with, gemm_with};
use seqmodels::linalg::{pool, Kernel, Matrix, Op, PackedB, Scalar};
use seqmodels::rng::Rng;
use std::hint::black_box;
use std::time::Duration;

const SQUARE: [usize; 4] = [64, 256, 512, 1024];
const RECURRENT: [(usize, usize, usize); 4] = [
    (32, 512, 2048),
    (32, 1024, 4096),
    (64, 256, 1024),
    (1, 512, 2048),
];

fn bench_type<T: Scalar>(c: &mut Criterion) {
    let kernel = Kernel::active();
    let threads = pool::threads();
    let mut rng = Rng::new(42);
    let mut group = c.benchmark_group(format!("square/{}", T::DTYPE));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    for &n in &SQUARE {
        let a = Matrix::<T>::random_uniform(n, n, -1.0, 1.0, &mut rng);
        let b = Matrix::<T>::random_uniform(n, n, -1.0, 1.0, &mut rng);
        let mut out = Matrix::<T>::zeros(n, n);
        group.throughput(Throughput::Elements((2 * n * n * n) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |bch, _| {
            bch.iter(|| {
                gemm_with(
                    kernel,
                    threads,
                    Op::N,
                    Op::N,
                    T::ONE,
                    a.view(),
                    b.view(),
                    T::ZERO,
                    black_box(out.view_mut()),
                )
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("recurrent/{}", T::DTYPE));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    for &(m, k, n) in &RECURRENT {
        let a = Matrix::<T>::random_uniform(m, k, -1.0, 1.0, &mut rng);
        let b = Matrix::<T>::random_uniform(k, n, -1.0, 1.0, &mut rng);
        let packed = PackedB::new_with(kernel, Op::N, b.view());
        let mut out = Matrix::<T>::zeros(m, n);
        let id = format!("{m}x{k}x{n}");
        group.throughput(Throughput::Elements((2 * m * n * k) as u64));
        group.bench_function(BenchmarkId::new("plain", &id), |bch| {
            bch.iter(|| {
                gemm_with(
                    kernel,
                    threads,
                    Op::N,
                    Op::N,
                    T::ONE,
                    a.view(),
                    b.view(),
                    T::ZERO,
                    black_box(out.view_mut()),
                )
            })
        });
        group.bench_function(BenchmarkId::new("prepacked", &id), |bch| {
            bch.iter(|| {
                gemm_prepacked_with(
                    threads,
                    Op::N,
                    T::ONE,
                    a.view(),
                    &packed,
                    T::ZERO,
                    black_box(out.view_mut()),
                )
            })
        });
    }
    group.finish();
}

/// The cost of one parallel job on 2 threads: what any split product pays on
/// top of its work (the caller posts the job, a worker takes one of the two
/// tasks, the caller waits for it to leave). Once with empty tasks, and once
/// with tasks of about a microsecond each, like the halves of a batch-1 step
/// product; compare the latter with `one_task_alone`.
fn bench_pool(c: &mut Criterion) {
    let work = |i: usize| {
        let mut x = i as u64 + 1;
        for _ in 0..1000 {
            x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        black_box(x);
    };
    let mut group = c.benchmark_group("pool");
    group.bench_function("empty_job/2_threads", |bch| {
        bch.iter(|| {
            pool::parallel_for(2, 2, &|i| {
                black_box(i);
            })
        })
    });
    group.bench_function("one_task_alone", |bch| bch.iter(|| work(0)));
    group.bench_function("two_tasks/2_threads", |bch| {
        bch.iter(|| pool::parallel_for(2, 2, &work))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_type::<f32>(c);
    bench_type::<f64>(c);
    bench_pool(c);
}

criterion_group!(gemm_benches, benches);
criterion_main!(gemm_benches);
