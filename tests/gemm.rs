//! GEMM against the naive reference on every kernel path this CPU supports,
//! for all four transpose combinations, at awkward shapes; the pre-packed
//! operand against the plain one; and bit-exact results across thread counts.

use seqmodels::linalg::gemm::{gemm_naive, gemm_prepacked_with, gemm_tn_col_sums_with, gemm_with};
use seqmodels::linalg::{Kernel, MatMut, MatRef, Matrix, Op, PackedB, Scalar};
use seqmodels::rng::Rng;

const OPS: [(Op, Op); 4] = [
    (Op::N, Op::N),
    (Op::N, Op::T),
    (Op::T, Op::N),
    (Op::T, Op::T),
];

/// Stored shapes of A and B for op(A) (m, k) and op(B) (k, n).
fn stored(op: Op, r: usize, c: usize) -> (usize, usize) {
    if op == Op::N {
        (r, c)
    } else {
        (c, r)
    }
}

/// Random op(A) (m, k) and op(B) (k, n), in their stored shapes, and a C
/// (m, n) to start from, all uniform in [−1, 1].
fn operands<T: Scalar>(
    rng: &mut Rng,
    (op_a, op_b): (Op, Op),
    (m, k, n): (usize, usize, usize),
) -> (Matrix<T>, Matrix<T>, Matrix<T>) {
    let (ar, ac) = stored(op_a, m, k);
    let (br, bc) = stored(op_b, k, n);
    let a = Matrix::random_uniform(ar, ac, -1.0, 1.0, rng);
    let b = Matrix::random_uniform(br, bc, -1.0, 1.0, rng);
    let c0 = Matrix::random_uniform(m, n, -1.0, 1.0, rng);
    (a, b, c0)
}

/// Largest error of `c` against `reference`, relative to the size of the terms
/// that made each element: |α|·Σ_p |op(A)_ip|·|op(B)_pj| + |β|·|C0_ij|.
#[allow(clippy::too_many_arguments)]
fn max_scaled_error<T: Scalar>(
    op_a: Op,
    op_b: Op,
    alpha: T,
    a: &Matrix<T>,
    b: &Matrix<T>,
    beta: T,
    c0: &Matrix<T>,
    c: &Matrix<T>,
    reference: &Matrix<T>,
) -> f64 {
    let abs_a = a.map(|x| x.abs());
    let abs_b = b.map(|x| x.abs());
    let mut scale = Matrix::<T>::zeros(c.rows(), c.cols());
    gemm_naive(
        op_a,
        op_b,
        alpha.abs(),
        abs_a.view(),
        abs_b.view(),
        T::ZERO,
        scale.view_mut(),
    );
    let mut worst = 0.0f64;
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let s = scale.get(i, j).to_f64() + beta.abs().to_f64() * c0.get(i, j).abs().to_f64();
            let e = (c.get(i, j).to_f64() - reference.get(i, j).to_f64()).abs() / s.max(1e-30);
            worst = worst.max(e);
        }
    }
    worst
}

fn check_paths<T: Scalar>(tol: f64, seed: u64) {
    let mut rng = Rng::new(seed);
    // Sizes: 1, primes, and sizes that are not multiples of any MR or NR,
    // plus a few larger than one KC / NC block so every loop runs twice.
    let sizes = [
        1usize, 2, 3, 5, 7, 13, 17, 31, 33, 64, 97, 130, 257, 300, 521,
    ];
    let mut shapes = vec![
        (1, 1, 1),
        (1, 300, 521),
        (521, 1, 3),
        (13, 257, 1),
        (97, 300, 130),
        // m ≡ 2 (mod 6): with MR = 6 (AVX2, portable) a block ends in a
        // sliver of 2 rows, which a 2-row copy of the kernel takes (a batch
        // of 32 is 5 · 6 + 2).
        (32, 300, 130),
        (8, 40, 17),
        (20, 257, 33),
        // Wider than NC (528 / 240 for the AVX-512 paths, 512 / 256 for the
        // others): a last column block under a tenth of NC joins the block
        // before it. It does at n = 1100 for f32 AVX-512 (528 + 572), at 970
        // for f64 AVX-512 (4 × 240 + 10) and at 1030 for the others; at
        // 1000 it never does.
        (11, 40, 970),
        (11, 40, 1000),
        (11, 40, 1030),
        (11, 40, 1100),
        // Several column blocks and two KC blocks with all rows in one row
        // block: the path that packs each KC slice of A once.
        (11, 300, 1100),
        // The same past NC as widened for a 2 MiB L2 (1008 for f32 AVX-512,
        // 504 for f64): 2 · 1008 + 84 joins its last block, 2300 does not.
        (11, 40, 2100),
        (11, 300, 2300),
    ];
    for _ in 0..10 {
        shapes.push((
            sizes[rng.below(sizes.len())],
            sizes[rng.below(sizes.len())],
            sizes[rng.below(sizes.len())],
        ));
    }
    for kernel in Kernel::supported_paths() {
        for &(m, k, n) in &shapes {
            for (op_a, op_b) in OPS {
                let (a, b, c0) = operands::<T>(&mut rng, (op_a, op_b), (m, k, n));
                let alpha = T::from_f64(-0.7);
                let beta = T::from_f64(1.3);
                let mut reference = c0.clone();
                gemm_naive(
                    op_a,
                    op_b,
                    alpha,
                    a.view(),
                    b.view(),
                    beta,
                    reference.view_mut(),
                );
                let mut c = c0.clone();
                gemm_with(
                    kernel,
                    1,
                    op_a,
                    op_b,
                    alpha,
                    a.view(),
                    b.view(),
                    beta,
                    c.view_mut(),
                );
                let err = max_scaled_error(op_a, op_b, alpha, &a, &b, beta, &c0, &c, &reference);
                assert!(
                    err < tol,
                    "{} {} {op_a:?}{op_b:?} (m, k, n) = ({m}, {k}, {n}): scaled error {err:e} ≥ {tol:e}",
                    kernel.name(),
                    T::DTYPE
                );
            }
        }
    }
}

#[test]
fn every_path_matches_the_reference_f32() {
    check_paths::<f32>(1e-5, 1);
}

#[test]
fn every_path_matches_the_reference_f64() {
    check_paths::<f64>(1e-12, 2);
}

#[test]
fn every_supported_path_is_tested() {
    let paths = Kernel::supported_paths();
    assert!(paths.contains(&Kernel::Portable));
    println!(
        "kernel paths on this CPU: {:?}",
        paths.iter().map(|k| k.name()).collect::<Vec<_>>()
    );
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        assert!(paths.contains(&Kernel::Avx512));
        assert!(paths.contains(&Kernel::Avx512Wide));
    }
}

#[test]
fn beta_zero_ignores_nan_in_c_and_alpha_zero_scales() {
    let mut rng = Rng::new(3);
    let a = Matrix::<f64>::random_uniform(7, 9, -1.0, 1.0, &mut rng);
    let b = Matrix::<f64>::random_uniform(9, 5, -1.0, 1.0, &mut rng);
    for kernel in Kernel::supported_paths() {
        let mut c = Matrix::filled(7, 5, f64::NAN);
        gemm_with(
            kernel,
            1,
            Op::N,
            Op::N,
            1.0,
            a.view(),
            b.view(),
            0.0,
            c.view_mut(),
        );
        assert!(
            c.all_finite(),
            "{}: NaN leaked through β = 0",
            kernel.name()
        );
        let mut c2 = Matrix::filled(7, 5, 2.0);
        gemm_with(
            kernel,
            1,
            Op::N,
            Op::N,
            0.0,
            a.view(),
            b.view(),
            0.5,
            c2.view_mut(),
        );
        assert!(c2.as_slice().iter().all(|&x| x == 1.0));
    }
}

#[test]
fn strided_views_touch_only_their_block() {
    // C is the (5, 6) block at (2, 3) of a (10, 12) matrix; A and B are blocks too.
    let mut rng = Rng::new(4);
    let big_a = Matrix::<f64>::random_uniform(9, 11, -1.0, 1.0, &mut rng);
    let big_b = Matrix::<f64>::random_uniform(8, 13, -1.0, 1.0, &mut rng);
    let a = big_a.block(1, 2, 5, 7);
    let b = big_b.block(0, 4, 7, 6);
    for kernel in Kernel::supported_paths() {
        let mut big_c = Matrix::<f64>::filled(10, 12, 9.0);
        gemm_with(
            kernel,
            1,
            Op::N,
            Op::N,
            1.0,
            a,
            b,
            0.0,
            big_c.block_mut(2, 3, 5, 6),
        );
        let mut want = Matrix::<f64>::zeros(5, 6);
        gemm_naive(Op::N, Op::N, 1.0, a, b, 0.0, want.view_mut());
        for i in 0..10 {
            for j in 0..12 {
                let inside = (2..7).contains(&i) && (3..9).contains(&j);
                let v = big_c.get(i, j);
                if inside {
                    assert!((v - want.get(i - 2, j - 3)).abs() < 1e-12);
                } else {
                    assert_eq!(
                        v,
                        9.0,
                        "{} wrote outside its block at ({i}, {j})",
                        kernel.name()
                    );
                }
            }
        }
    }
}

fn prepacked_equals_plain<T: Scalar>() {
    let mut rng = Rng::new(5);
    for kernel in Kernel::supported_paths() {
        for &(m, k, n) in &[
            // m = 1 meets 1, 2, 5, 6, 7, 8, 9 … slivers: every way the batch-1
            // path splits them into fours, threes and a remainder.
            (1, 20, 10),
            (1, 50, 20),
            (1, 30, 70),
            (1, 33, 90),
            (1, 64, 128),
            (1, 70, 100),
            (1, 40, 112),
            (1, 300, 130),
            (1, 263, 2500),
            (32, 512, 2048),
            // RNN and LSTM steps at B = 32, H = 256: a pre-packed B this
            // small is split over rows on two threads (where the L2 size is
            // known), a larger one over columns.
            (32, 256, 256),
            (32, 1024, 256),
            (7, 300, 130),
            (33, 257, 97),
            // n ≤ 48 with a plain B runs on the 9 × 48 tile under avx512-wide
            // (the pre-packed product stays 6 × 64): the two tiles must agree.
            (25, 100, 27),
            (7, 300, 48),
            // A plain product with 64 or 50 columns (a sliver of 48 and one
            // of 16 or 2) and enough rows is split over rows on two threads.
            (64, 512, 64),
            (50, 300, 50),
        ] {
            for op_b in [Op::N, Op::T] {
                for op_a in [Op::N, Op::T] {
                    let (a, b, c0) = operands::<T>(&mut rng, (op_a, op_b), (m, k, n));
                    let packed = PackedB::new_with(kernel, op_b, b.view());
                    for threads in [1, 2] {
                        let mut plain = c0.clone();
                        gemm_with(
                            kernel,
                            threads,
                            op_a,
                            op_b,
                            T::from_f64(0.5),
                            a.view(),
                            b.view(),
                            T::from_f64(-2.0),
                            plain.view_mut(),
                        );
                        let mut pre = c0.clone();
                        gemm_prepacked_with(
                            threads,
                            op_a,
                            T::from_f64(0.5),
                            a.view(),
                            &packed,
                            T::from_f64(-2.0),
                            pre.view_mut(),
                        );
                        assert!(
                            plain.as_slice() == pre.as_slice(),
                            "{} {}: pre-packed differs from plain at ({m}, {k}, {n}) {op_a:?}{op_b:?}",
                            kernel.name(),
                            T::DTYPE
                        );
                    }
                }
            }
        }
    }
}

/// The bits of every value, so that −0 and +0 differ.
fn bits<T: Scalar>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn col_sums_match_the_plain_pass<T: Scalar>() {
    let mut rng = Rng::new(11);
    for kernel in Kernel::supported_paths() {
        for &(m, k, n) in &[
            (1, 50, 30),      // one column of A: the batch-1 shortcut must not skip the sums
            (40, 600, 90),    // one row block, several KC blocks
            (1024, 300, 64),  // split over rows on 2 and 3 threads
            (40, 300, 2000),  // split over columns: one part sums
            (1300, 70, 1200), // several row and column blocks (A packed once per column block)
            (30, 0, 20),      // k = 0: nothing to add
            (30, 20, 0),      // n = 0: no product, the sums still
        ] {
            for alpha in [0.5, 0.0] {
                let (a, b, c0) = operands::<T>(&mut rng, (Op::T, Op::N), (m, k, n));
                let s0: Vec<T> = (0..m).map(|i| T::from_f64(0.25 * i as f64 - 3.0)).collect();
                let mut want_sums = s0.clone();
                a.add_column_sums_into(&mut want_sums);
                let mut want_c = c0.clone();
                gemm_with(
                    kernel,
                    1,
                    Op::T,
                    Op::N,
                    T::from_f64(alpha),
                    a.view(),
                    b.view(),
                    T::from_f64(-2.0),
                    want_c.view_mut(),
                );
                for threads in [1, 2, 3] {
                    let (mut c, mut sums) = (c0.clone(), s0.clone());
                    gemm_tn_col_sums_with(
                        kernel,
                        threads,
                        T::from_f64(alpha),
                        a.view(),
                        b.view(),
                        T::from_f64(-2.0),
                        c.view_mut(),
                        &mut sums,
                    );
                    let at = format!(
                        "{} {} ({m}, {k}, {n}) α = {alpha}, {threads} threads",
                        kernel.name(),
                        T::DTYPE
                    );
                    assert_eq!(bits(&sums), bits(&want_sums), "{at}: sums differ");
                    assert_eq!(
                        bits(c.as_slice()),
                        bits(want_c.as_slice()),
                        "{at}: C differs"
                    );
                }
            }
        }
    }
}

#[test]
fn col_sums_of_the_packed_a_are_bit_identical_to_a_plain_pass() {
    col_sums_match_the_plain_pass::<f32>();
    col_sums_match_the_plain_pass::<f64>();
}

#[test]
fn prepacked_is_bit_identical_to_plain() {
    prepacked_equals_plain::<f32>();
    prepacked_equals_plain::<f64>();
}

#[test]
fn repack_reuses_the_operand() {
    let mut rng = Rng::new(6);
    let b1 = Matrix::<f32>::random_uniform(40, 50, -1.0, 1.0, &mut rng);
    let b2 = Matrix::<f32>::random_uniform(40, 50, -1.0, 1.0, &mut rng);
    let a = Matrix::<f32>::random_uniform(3, 40, -1.0, 1.0, &mut rng);
    let mut p = PackedB::new(Op::N, b1.view());
    p.repack(Op::N, b2.view());
    let mut c1 = Matrix::zeros(3, 50);
    gemm_prepacked_with(1, Op::N, 1.0, a.view(), &p, 0.0, c1.view_mut());
    let c2 = Matrix::matmul(&a, Op::N, &b2, Op::N);
    assert_eq!(c1.as_slice(), c2.as_slice());
}

#[test]
#[should_panic(expected = "op(A) = N(3, 4), op(B) = N(5, 6), C = (3, 6)")]
fn shape_mismatch_names_all_shapes() {
    let a = Matrix::<f32>::zeros(3, 4);
    let b = Matrix::<f32>::zeros(5, 6);
    let mut c = Matrix::<f32>::zeros(3, 6);
    seqmodels::linalg::gemm(Op::N, Op::N, 1.0, a.view(), b.view(), 0.0, c.view_mut());
}

#[test]
fn matrix_helpers() {
    let m = Matrix::from_vec(2, 3, vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(m.transpose().as_slice(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let mut y = m.clone();
    y.axpy(2.0, &m);
    assert_eq!(y.as_slice(), &[3.0, 6.0, 9.0, 12.0, 15.0, 18.0]);
    y.scale(0.5);
    y.sub_assign(&m);
    assert_eq!(y.as_slice(), &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    let mut s = [0.0; 3];
    m.add_column_sums_into(&mut s);
    assert_eq!(s, [5.0, 7.0, 9.0]);
    let v = MatRef::from_slice(m.as_slice(), 3, 2);
    assert_eq!(v.row(2), &[5.0, 6.0]);
    let mut data = vec![0.0f64; 6];
    let mut mm = MatMut::from_slice(&mut data, 2, 3);
    mm.row_mut(1)[2] = 7.0;
    assert_eq!(data[5], 7.0);
}

#[test]
#[should_panic(expected = "Matrix::add_assign: shape mismatch (2, 3) vs (3, 2)")]
fn elementwise_mismatch_names_both_shapes() {
    let mut a = Matrix::<f32>::zeros(2, 3);
    a.add_assign(&Matrix::zeros(3, 2));
}

#[test]
#[should_panic(expected = "needs 6 elements, got 5")]
fn from_vec_checks_the_length() {
    let _ = Matrix::from_vec(2, 3, vec![0.0f32; 5]);
}

/// Each element of C is the same sum in the same order wherever its row
/// falls: in a full MR-row tile, in a shorter copy of the micro-kernel for a
/// block's last rows (5 or 2 rows tall), or on the one-row path. So the rows
/// of a product are bit-identical to the same rows of a taller product.
fn rows_keep_their_bits_in_any_tile<T: Scalar>() {
    let mut rng = Rng::new(8);
    let (m, k, n) = (40, 300, 100);
    for kernel in Kernel::supported_paths() {
        for (op_a, op_b) in OPS {
            let (a, b, c0) = operands::<T>(&mut rng, (op_a, op_b), (m, k, n));
            let (alpha, beta) = (T::from_f64(0.5), T::from_f64(-2.0));
            let mut full = c0.clone();
            gemm_with(
                kernel,
                1,
                op_a,
                op_b,
                alpha,
                a.view(),
                b.view(),
                beta,
                full.view_mut(),
            );
            // Rows r0 .. r1 of op(A) alone: every remainder 1 ..= 40 at the
            // end of the block, and every offset of a row within a tile.
            for (r0, r1) in (1..=m).map(|r1| (0, r1)).chain((1..m).map(|r0| (r0, m))) {
                let sub_a = match op_a {
                    Op::N => Matrix::from_fn(r1 - r0, k, |i, p| a.get(r0 + i, p)),
                    Op::T => Matrix::from_fn(k, r1 - r0, |p, i| a.get(p, r0 + i)),
                };
                let mut sub = Matrix::from_fn(r1 - r0, n, |i, j| c0.get(r0 + i, j));
                gemm_with(
                    kernel,
                    1,
                    op_a,
                    op_b,
                    alpha,
                    sub_a.view(),
                    b.view(),
                    beta,
                    sub.view_mut(),
                );
                assert!(
                    sub.as_slice() == &full.as_slice()[r0 * n..r1 * n],
                    "{} {}: rows {r0}..{r1} of ({m}, {k}, {n}) {op_a:?}{op_b:?} differ from the whole product",
                    kernel.name(),
                    T::DTYPE
                );
            }
        }
    }
}

#[test]
fn rows_are_bit_identical_whatever_tile_they_fall_in() {
    rows_keep_their_bits_in_any_tile::<f32>();
    rows_keep_their_bits_in_any_tile::<f64>();
}
