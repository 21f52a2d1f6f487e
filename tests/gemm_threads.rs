//! GEMM results are bit-identical for 1, 2 and 3 threads. This file is its own
//! test binary so that no other test keeps the worker pool busy (a busy pool
//! makes a call run on one thread, which would pass without testing anything);
//! the test also checks that workers really ran tasks.

use seqmodels::linalg::gemm::{gemm_prepacked_with, gemm_with};
use seqmodels::linalg::{pool, Kernel, Matrix, Op, PackedB, Scalar};
use seqmodels::rng::Rng;

const OPS: [(Op, Op); 4] = [
    (Op::N, Op::N),
    (Op::N, Op::T),
    (Op::T, Op::N),
    (Op::T, Op::T),
];

fn stored(op: Op, r: usize, c: usize) -> (usize, usize) {
    if op == Op::N {
        (r, c)
    } else {
        (c, r)
    }
}

fn bits<T: Scalar>(m: &Matrix<T>) -> Vec<u64> {
    m.as_slice().iter().map(|x| x.to_f64().to_bits()).collect()
}

fn threads_bit_exact<T: Scalar>() {
    let mut rng = Rng::new(8);
    // Large enough to be split (≥ 2^18 multiply-adds), with ragged edges, and
    // shapes that split by columns (m ≤ n) and by rows (m > n, including
    // (700, 130, 500), where C is also wide enough for a column split). The
    // batch-1 shapes below 2^18 are split only with a pre-packed B (≥ 2^15):
    // the step products of an LSTM with H = 128 forward and backward, and
    // n = 130 (nine slivers on AVX2, which three threads take three each).
    for &(m, k, n) in &[
        (97, 300, 521),
        (32, 512, 2048),
        (1, 700, 1500),
        (1000, 300, 20),
        (200, 1100, 3),
        (700, 130, 500),
        (1, 128, 512),
        (1, 512, 128),
        (1, 300, 130),
    ] {
        for (op_a, op_b) in OPS {
            let (ar, ac) = stored(op_a, m, k);
            let (br, bc) = stored(op_b, k, n);
            let a = Matrix::<T>::random_uniform(ar, ac, -1.0, 1.0, &mut rng);
            let b = Matrix::<T>::random_uniform(br, bc, -1.0, 1.0, &mut rng);
            let c0 = Matrix::<T>::random_uniform(m, n, -1.0, 1.0, &mut rng);
            for kernel in Kernel::supported_paths() {
                let mut outs = Vec::new();
                for threads in [1, 2, 3] {
                    let mut c = c0.clone();
                    gemm_with(
                        kernel,
                        threads,
                        op_a,
                        op_b,
                        T::from_f64(1.1),
                        a.view(),
                        b.view(),
                        T::from_f64(0.3),
                        c.view_mut(),
                    );
                    outs.push(bits(&c));
                }
                let packed = PackedB::new_with(kernel, op_b, b.view());
                for threads in [2, 3] {
                    let mut c = c0.clone();
                    gemm_prepacked_with(
                        threads,
                        op_a,
                        T::from_f64(1.1),
                        a.view(),
                        &packed,
                        T::from_f64(0.3),
                        c.view_mut(),
                    );
                    outs.push(bits(&c));
                }
                assert!(
                    outs.iter().all(|o| *o == outs[0]),
                    "{} {}: results differ across 1/2/3 threads at ({m}, {k}, {n}) {op_a:?}{op_b:?}",
                    kernel.name(),
                    T::DTYPE
                );
            }
        }
    }
}

#[test]
fn one_two_and_three_threads_give_the_same_bits() {
    // The only test in this binary, so the pool is free for it.
    let before = pool::worker_tasks_run();
    threads_bit_exact::<f32>();
    threads_bit_exact::<f64>();
    let ran = pool::worker_tasks_run() - before;
    println!("tasks run on worker threads: {ran}");
    assert!(
        ran > 0,
        "no task ran on a worker thread: the parallel path was not tested"
    );
}
