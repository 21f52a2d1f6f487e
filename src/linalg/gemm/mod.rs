//! GEMM: `C ← α·op(A)·op(B) + β·C`, with op = identity (`Op::N`) or transpose (`Op::T`).
//!
//! Every matrix product in the crate goes through here: the RNN input
//! projection `X · W_ihᵀ` for all steps at once, the recurrent product
//! `a⟨t−1⟩ · W_hhᵀ` at each step, and the weight gradients after BPTT.
//!
//! The design is BLIS's (Van Zee and van de Geijn, 2015):
//! 1. split op(B) into blocks of `KC × NC`, and pack each into NR-wide slivers;
//! 2. split op(A) into blocks of `MC × KC`, and pack each into MR-tall slivers;
//! 3. for each pair of slivers, the micro-kernel computes an MR × NR tile of C.
//!
//! See `kernel.rs` for the micro-kernel and the compiled paths, `pack.rs` for
//! the packed layouts, and `dispatch.rs` for how a path is chosen.
//!
//! Threads: output columns (in whole NR slivers) are split over the pool, or
//! rows (in whole MR slivers) when C has too few columns. Either way each
//! element is summed in the same order, so any thread count gives the same bits.
//! Products below about 2¹⁸ multiply-adds (2¹⁵ with a pre-packed B) stay on
//! one thread.

mod dispatch;
mod kernel;
mod pack;

pub use dispatch::Kernel;
pub(crate) use kernel::aligned_start;
pub use kernel::{GemmScalar, Tiles};

use super::pool;
use super::{MatMut, MatRef, Scalar};
use kernel::{BSource, CPtr, Task};
use std::sync::OnceLock;

/// op(X): use X as stored, or its transpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// op(X) = X.
    N,
    /// op(X) = Xᵀ.
    T,
}

/// Below this many multiply-adds a product runs on one thread.
pub const PARALLEL_MIN_MACS: usize = 1 << 18;

/// The same threshold for a product with a pre-packed B, on an AMD CPU (see
/// `parallel_min_macs_packed`). Such a product packs nothing, so splitting it
/// costs only the pool's hand-off (0.4 µs on two cores when this was set,
/// about 0.25 now): at B = 1 the step product of a GRU or LSTM with H = 128
/// (49 152 and 65 536 multiply-adds, 1–1.4 µs on one core of an AMD EPYC Zen
/// 5, each core then reading its half of W_hh from its own L2) is worth
/// splitting, and a vanilla RNN's (16 384) is not.
pub const PARALLEL_MIN_MACS_PACKED_AMD: usize = 1 << 15;

/// The threshold for a product with a pre-packed B on other CPUs. On a 2-core
/// Intel Xeon (Sapphire Rapids class; the pool's empty job 0.41 µs), `bench
/// gemm --m 1 --prepacked`, 1 thread against 2, two runs each: (k, n) =
/// (128, 512) 1.8–1.9 → 2.0 µs and (512, 128) 1.8–1.9 → 2.5–2.9 µs (65 536
/// multiply-adds: splitting loses), (256, 512) 3.6 → 2.9–3.6 and (512, 256)
/// 3.3–3.5 → 2.5–2.6 µs (131 072: it wins), (256, 1024) 6.8–7.1 → 4.7 µs.
pub const PARALLEL_MIN_MACS_PACKED: usize = 1 << 17;

/// `PARALLEL_MIN_MACS_PACKED_AMD` on an AMD CPU, else
/// `PARALLEL_MIN_MACS_PACKED`: where the split starts to pay depends on how
/// fast the two cores hand work over, which no feature flag tells, so the
/// vendor decides, as for the AVX-512 tile (`Kernel::best`). Either way the
/// split changes no value (each element is the same sum).
pub fn parallel_min_macs_packed() -> usize {
    static MIN: OnceLock<usize> = OnceLock::new();
    *MIN.get_or_init(|| {
        if dispatch::cpu_is_amd() {
            PARALLEL_MIN_MACS_PACKED_AMD
        } else {
            PARALLEL_MIN_MACS_PACKED
        }
    })
}

/// The most bytes of pre-packed B that a product splits over rows rather
/// than columns: half of one core's L2 (0 where its size is unknown). See
/// `gemm_prepacked_with`.
fn packed_rows_split_max_bytes() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| dispatch::l2_cache_bytes().unwrap_or(0) / 2)
}

/// NC, the columns of one packed `KC × NC` block of B: the path's own NC
/// (`Tiles::nc`, sized for half of a 1 MiB L2), or as many whole slivers as
/// fill half of one core's L2 where that is more. Products a little wider
/// than the path's NC (the weight gradients' H + I = 640 columns at H = 512)
/// then take one column block, and A, which is packed again for every
/// column block, is packed once. Only the blocking depends on it, never a
/// value: each element is summed over p in the same order.
fn block_columns(t: Tiles, bytes: usize) -> usize {
    columns_in(t, bytes, packed_rows_split_max_bytes())
}

/// The NC of `block_columns` for a budget of `bytes_max` bytes of packed B.
fn columns_in(t: Tiles, bytes: usize, bytes_max: usize) -> usize {
    let slivers = bytes_max / (t.kc * t.nr * bytes);
    t.nc.max(slivers * t.nr)
}

fn op_shape(op: Op, (r, c): (usize, usize)) -> (usize, usize) {
    match op {
        Op::N => (r, c),
        Op::T => (c, r),
    }
}

/// `C ← α·op(A)·op(B) + β·C` on the active kernel path and the default thread count.
///
/// Shapes: op(A) is (m, k), op(B) is (k, n), C is (m, n). A mismatch panics
/// with all three shapes. With β = 0, C is overwritten without being read.
#[track_caller]
pub fn gemm<T: Scalar>(
    op_a: Op,
    op_b: Op,
    alpha: T,
    a: MatRef<T>,
    b: MatRef<T>,
    beta: T,
    c: MatMut<T>,
) {
    gemm_with(
        Kernel::active(),
        pool::threads(),
        op_a,
        op_b,
        alpha,
        a,
        b,
        beta,
        c,
    )
}

/// `gemm` on an explicit kernel path and thread count (tests use this to cover
/// every path and to compare thread counts). Panics if `kernel` is not
/// supported by this CPU.
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn gemm_with<T: Scalar>(
    kernel: Kernel,
    threads: usize,
    op_a: Op,
    op_b: Op,
    alpha: T,
    a: MatRef<T>,
    b: MatRef<T>,
    beta: T,
    c: MatMut<T>,
) {
    let (m, k) = op_shape(op_a, a.shape());
    let (kb, n) = op_shape(op_b, b.shape());
    check_shapes(
        op_a,
        a.shape(),
        op_b,
        b.shape(),
        c.shape(),
        k == kb && c.shape() == (m, n),
    );
    run(
        kernel,
        threads,
        op_a,
        a,
        BSource::Plain(op_b, b),
        alpha,
        beta,
        c,
        (m, n, k),
        None,
    );
}

/// `C ← α·Aᵀ·B + β·C`, and `sums[i] += Σ_p A[p, i]`: a weight gradient
/// dW = dZᵀ·X together with its bias gradient db = Σ_rows dZ. The sums are
/// read from the packed copy of Aᵀ the product makes anyway, instead of in a
/// second pass over all of A (8 MiB of f32 at an LSTM's (64, 32, 64, 256)),
/// and each is formed as that pass forms it: `sums[i] += A[p, i]` for p in
/// order, from the value `sums[i]` holds. So the sums have the bits of
/// `Matrix::add_column_sums_into`, on every path and thread count, and C
/// those of `gemm`.
/// `a`: (k, m), `b`: (k, n), `c`: (m, n), `sums`: m values.
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn gemm_tn_col_sums<T: Scalar>(
    alpha: T,
    a: MatRef<T>,
    b: MatRef<T>,
    beta: T,
    c: MatMut<T>,
    sums: &mut [T],
) {
    gemm_tn_col_sums_with(
        Kernel::active(),
        pool::threads(),
        alpha,
        a,
        b,
        beta,
        c,
        sums,
    )
}

/// `gemm_tn_col_sums` on an explicit kernel path and thread count.
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn gemm_tn_col_sums_with<T: Scalar>(
    kernel: Kernel,
    threads: usize,
    alpha: T,
    a: MatRef<T>,
    b: MatRef<T>,
    beta: T,
    c: MatMut<T>,
    sums: &mut [T],
) {
    let (k, m) = a.shape();
    let (kb, n) = b.shape();
    check_shapes(
        Op::T,
        a.shape(),
        Op::N,
        b.shape(),
        c.shape(),
        k == kb && c.shape() == (m, n),
    );
    assert_eq!(
        sums.len(),
        m,
        "gemm_tn_col_sums: {} sums for the {m} columns of A",
        sums.len()
    );
    run(
        kernel,
        threads,
        Op::T,
        a,
        BSource::Plain(Op::N, b),
        alpha,
        beta,
        c,
        (m, n, k),
        Some(sums),
    );
}

#[track_caller]
fn check_shapes(
    op_a: Op,
    a: (usize, usize),
    op_b: Op,
    b: (usize, usize),
    c: (usize, usize),
    ok: bool,
) {
    assert!(
        ok,
        "gemm: op(A) = {op_a:?}({}, {}), op(B) = {op_b:?}({}, {}), C = ({}, {}): need op(A) (m, k), op(B) (k, n), C (m, n)",
        a.0, a.1, b.0, b.1, c.0, c.1
    );
}

/// op(B) packed once into the micro-kernel's sliver layout, for reuse across
/// many products with the same right-hand operand. An RNN multiplies by the
/// same W_hh at every time step, so it packs `W_hhᵀ` once per sequence and
/// each step skips the packing (and reads B in the order the kernel wants).
///
/// A `PackedB` records the kernel path it was packed for, and products with it
/// run on that path. Results are bit-identical to `gemm` with the unpacked
/// matrix on the same path.
#[derive(Clone, Debug)]
pub struct PackedB<T> {
    kernel: Kernel,
    tiles: Tiles,
    k: usize,
    n: usize,
    data: Vec<T>,
    /// Where in `data` the packing starts (a 64-byte boundary).
    start: usize,
}

impl<T: Scalar> PackedB<T> {
    /// Packs op(B) on the active path. `b`: (k, n) if `op == N`, else (n, k).
    pub fn new(op: Op, b: MatRef<T>) -> PackedB<T> {
        PackedB::new_with(Kernel::active(), op, b)
    }

    /// Packs op(B) for an explicit kernel path.
    pub fn new_with(kernel: Kernel, op: Op, b: MatRef<T>) -> PackedB<T> {
        let mut p = PackedB {
            kernel,
            tiles: T::tiles(kernel),
            k: 0,
            n: 0,
            data: Vec::new(),
            start: 0,
        };
        p.repack(op, b);
        p
    }

    /// Packs op(B) on the active path into `storage`, a buffer from an
    /// earlier `into_storage` (see `Workspace::take_packed`): no allocation
    /// when its capacity suffices. Its old values are all overwritten.
    pub fn new_in(op: Op, b: MatRef<T>, storage: Vec<T>) -> PackedB<T> {
        let kernel = Kernel::active();
        let mut p = PackedB {
            kernel,
            tiles: T::tiles(kernel),
            k: 0,
            n: 0,
            data: storage,
            start: 0,
        };
        p.repack(op, b);
        p
    }

    /// How many values `new_in` stores for op(B) on the active path. `b`:
    /// the shape of B, (k, n) if `op == N`, else (n, k).
    pub fn storage_len(op: Op, b: (usize, usize)) -> usize {
        let (k, n) = op_shape(op, b);
        let nr = T::tiles(Kernel::active()).nr;
        n.div_ceil(nr) * nr * k + 64 / T::BYTES
    }

    /// Gives back the storage, for the next `new_in`.
    pub fn into_storage(self) -> Vec<T> {
        self.data
    }

    /// Packs new values into the same storage (no allocation if the shape is unchanged).
    pub fn repack(&mut self, op: Op, b: MatRef<T>) {
        let (k, n) = op_shape(op, b.shape());
        self.k = k;
        self.n = n;
        self.start = kernel::pack_for(self.kernel, op, &b, k, n, &mut self.data);
    }

    /// `(k, n)`: the shape of op(B).
    pub fn shape(&self) -> (usize, usize) {
        (self.k, self.n)
    }

    /// The path this operand was packed for.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The slivers of the KC block starting at row `pc` (`kc` rows deep).
    pub(crate) fn block(&self, pc: usize, kc: usize) -> &[T] {
        let s = self.n.div_ceil(self.tiles.nr) * self.tiles.nr;
        &self.data[self.start + pc * s..self.start + (pc + kc) * s]
    }
}

/// KC on the active path: every element of C is summed over the shared
/// dimension in blocks of this many steps, and each block's sum is added to
/// C in order. Code that forms a product's sums itself and wants the GEMM's
/// bits (the one-hot input gradient of the RNN layers) blocks the same way.
pub fn kc<T: Scalar>() -> usize {
    T::tiles(Kernel::active()).kc
}

/// `C ← α·op(A)·B + β·C` with a pre-packed right operand, on the default thread count.
#[track_caller]
pub fn gemm_prepacked<T: Scalar>(
    op_a: Op,
    alpha: T,
    a: MatRef<T>,
    b: &PackedB<T>,
    beta: T,
    c: MatMut<T>,
) {
    gemm_prepacked_with(pool::threads(), op_a, alpha, a, b, beta, c)
}

/// `gemm_prepacked` on an explicit thread count.
#[track_caller]
pub fn gemm_prepacked_with<T: Scalar>(
    threads: usize,
    op_a: Op,
    alpha: T,
    a: MatRef<T>,
    b: &PackedB<T>,
    beta: T,
    c: MatMut<T>,
) {
    let (m, k) = op_shape(op_a, a.shape());
    let (kb, n) = b.shape();
    check_shapes(
        op_a,
        a.shape(),
        Op::N,
        (kb, n),
        c.shape(),
        k == kb && c.shape() == (m, n),
    );
    run(
        b.kernel,
        threads,
        op_a,
        a,
        BSource::Packed(b),
        alpha,
        beta,
        c,
        (m, n, k),
        None,
    );
}

#[allow(clippy::too_many_arguments)]
fn run<T: Scalar>(
    kernel: Kernel,
    threads: usize,
    op_a: Op,
    a: MatRef<T>,
    b: BSource<T>,
    alpha: T,
    beta: T,
    mut c: MatMut<T>,
    (m, n, k): (usize, usize, usize),
    mut sums: Option<&mut [T]>,
) {
    assert!(
        kernel.supported(),
        "gemm: kernel path {} is not supported by this CPU",
        kernel.name()
    );
    if m == 0 || n == 0 || k == 0 || alpha == T::ZERO {
        // No product to pack A for: the row sums of op(A) by a plain loop.
        if let Some(sums) = sums.as_deref_mut() {
            for p in 0..k {
                for (i, s) in sums.iter_mut().enumerate() {
                    *s += match op_a {
                        Op::N => a.row(i)[p],
                        Op::T => a.row(p)[i],
                    };
                }
            }
        }
    }
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        // α·op(A)·op(B) contributes nothing: C ← β·C.
        for i in 0..m {
            for x in c.row_mut(i) {
                *x = if beta == T::ZERO { T::ZERO } else { beta * *x };
            }
        }
        return;
    }
    // A plain B no wider than 48 columns fills one sliver of the 9 × 48
    // tile, while the 6 × 64 tile computes it as a narrow 32-column tail,
    // which LLVM compiles with the tile kept in memory: the output product of
    // min-char-rnn, (25, 100, 27), took 4.1 µs there and 2.0 on 9 × 48. Both
    // form each sum the same way (first product, then one multiply-add per
    // step, per KC = 256 block), so the bits do not change; `tests/gemm.rs`
    // compares the plain product with the pre-packed one (still 6 × 64).
    let kernel = match b {
        BSource::Plain(..) if kernel == Kernel::Avx512Wide && n <= 48 => Kernel::Avx512,
        _ => kernel,
    };
    let t = T::tiles(kernel);
    let cptr = CPtr {
        ptr: c.data_mut().as_mut_ptr(),
        ldc: c.stride(),
    };
    let nc = block_columns(t, T::BYTES);
    let task = |i0: usize, i1: usize, j0: usize, j1: usize| Task {
        op_a,
        a,
        b,
        alpha,
        beta,
        c: cptr,
        k,
        i0,
        i1,
        j0,
        j1,
        nc,
    };
    let col_slivers = n.div_ceil(t.nr);
    let row_slivers = m.div_ceil(t.mr);
    let min_macs = if matches!(b, BSource::Packed(_)) {
        parallel_min_macs_packed()
    } else {
        PARALLEL_MIN_MACS
    };
    let threads = if m * n * k < min_macs {
        1
    } else {
        threads.max(1)
    };
    if threads == 1 {
        T::run_task(kernel, &task(0, m, 0, n), sums);
        return;
    }
    // Split the output between the threads. Each thread packs its own copy of
    // the operand the parts share: all of A when split over columns, all of B
    // when split over rows. A plain B: see `plain_split_by_columns`.
    //
    // A pre-packed B (W_hh in an RNN's time loop) is split over columns, each
    // core reading its part of B, unless B fits in half of one core's L2 and
    // there are MR rows or more for each thread: then over rows, so that each
    // core packs only its own rows of A (the step's batch) and keeps all of B
    // in its L2. At B = 32, H = 256 the column split had each core pack all of
    // ∂L/∂z⟨t⟩ (32 × 1024) for the backward step product, and gave one core 144
    // of W_hh's 256 columns (three slivers of 48) and the other 112. On a
    // 2-core Intel Xeon (2 MiB L2 per core), `bench rnn --threads 2 --seq 64
    // --batch 32`, old and new binaries alternated 4 times: LSTM (I, H) = (64,
    // 256) 17.7–18.3 → 17.4–17.6 ms, GRU 18.2–19.0 → 17.0–17.8, RNN 5.71–5.73
    // → 5.09–5.28, RNN (128, 512) 18.4–18.8 → 16.9–17.6; the LSTM and GRU at
    // H = 512 (W_hh 3–4 MiB) keep the column split. No value changes: each
    // element is the same sum either way.
    let by_cols = if matches!(b, BSource::Packed(_)) {
        m < threads * t.mr || k * n * T::BYTES > packed_rows_split_max_bytes()
    } else {
        plain_split_by_columns((m, n), (t.mr, t.nr), threads)
    };
    let parts = if by_cols { col_slivers } else { row_slivers }.min(threads);
    let cols = |p: usize| part_range(p, parts, col_slivers, t.nr, n);
    let rows = |p: usize| part_range(p, parts, row_slivers, t.mr, m);
    let Some(sums) = sums else {
        let run_part = |p: usize| {
            if by_cols {
                let (j0, j1) = cols(p);
                T::run_task(kernel, &task(0, m, j0, j1), None);
            } else {
                let (i0, i1) = rows(p);
                T::run_task(kernel, &task(i0, i1, 0, n), None);
            }
        };
        pool::parallel_for(threads, parts, &run_part);
        return;
    };
    // With row sums: split over columns, every part packs all of A, and the
    // first part alone sums it; split over rows, each part sums its rows.
    let mut pieces: Vec<(usize, Option<&mut [T]>)> = Vec::with_capacity(parts);
    let mut rest = Some(sums);
    for p in 0..parts {
        let piece = if by_cols {
            rest.take()
        } else {
            let (i0, i1) = rows(p);
            let (head, tail) = rest.take().unwrap_or_default().split_at_mut(i1 - i0);
            rest = Some(tail);
            Some(head)
        };
        pieces.push((p, piece));
    }
    pool::parallel_parts(threads, pieces, &|(p, piece)| {
        let ((i0, i1), (j0, j1)) = if by_cols {
            ((0, m), cols(*p))
        } else {
            (rows(*p), (0, n))
        };
        T::run_task(kernel, &task(i0, i1, j0, j1), piece.as_deref_mut());
    });
}

/// Whether a product with a plain B (C is `m × n`, tiles `mr × nr`) is split
/// between `threads` threads over columns rather than rows. Each thread packs
/// its own copy of the operand the parts share (all of A when split over
/// columns, all of B over rows), so columns when A is the smaller operand
/// (m ≤ n) and rows otherwise, unless that direction has fewer slivers than
/// threads; and rows after all at m ≤ n when the columns split unevenly and
/// the rows do not. n = 64 is one sliver of 48 columns and one of 16, so one
/// thread would do three times the other's work (∂L/∂X = ∂L/∂Z·W_ih at
/// I = 64): rows are taken when their largest part is at most 3/4 of the
/// columns' (rows must win clearly: each thread then packs all of B, the
/// larger operand). No value depends on it: each element is the same sum.
fn plain_split_by_columns(
    (m, n): (usize, usize),
    (mr, nr): (usize, usize),
    threads: usize,
) -> bool {
    let (row_slivers, col_slivers) = (m.div_ceil(mr), n.div_ceil(nr));
    if m > n {
        return row_slivers < threads && col_slivers > row_slivers;
    }
    let by_cols = col_slivers >= threads || col_slivers >= row_slivers;
    let largest = |slivers: usize, width: usize, len: usize| {
        let parts = threads.min(slivers);
        let size = |p: usize| {
            let (start, end) = part_range(p, parts, slivers, width, len);
            end - start
        };
        (0..parts).map(size).max().unwrap_or(0)
    };
    let col_part = m * largest(col_slivers, nr, n);
    let row_part = n * largest(row_slivers, mr, m);
    by_cols && !(row_slivers >= threads && 4 * row_part <= 3 * col_part)
}

/// Part `p` of `parts` when `slivers` slivers of `width` rows or columns
/// (the last cut short at `len`) are shared out in order, as evenly as whole
/// slivers allow: its first row or column and one past its last.
fn part_range(p: usize, parts: usize, slivers: usize, width: usize, len: usize) -> (usize, usize) {
    let start = |q: usize| (q * slivers / parts * width).min(len);
    (start(p), start(p + 1))
}

/// The reference: a naive triple loop, accumulating each dot product in f64.
/// Slow and simple; the tests measure every fast path against it.
pub fn gemm_naive<T: Scalar>(
    op_a: Op,
    op_b: Op,
    alpha: T,
    a: MatRef<T>,
    b: MatRef<T>,
    beta: T,
    mut c: MatMut<T>,
) {
    let (m, k) = op_shape(op_a, a.shape());
    let (kb, n) = op_shape(op_b, b.shape());
    check_shapes(
        op_a,
        a.shape(),
        op_b,
        b.shape(),
        c.shape(),
        k == kb && c.shape() == (m, n),
    );
    let at = |i: usize, p: usize| {
        if op_a == Op::N {
            a.at(i, p)
        } else {
            a.at(p, i)
        }
    };
    let bt = |p: usize, j: usize| {
        if op_b == Op::N {
            b.at(p, j)
        } else {
            b.at(j, p)
        }
    };
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                s += at(i, p).to_f64() * bt(p, j).to_f64();
            }
            let old = c.row(i)[j];
            let v = alpha.to_f64() * s
                + if beta == T::ZERO {
                    0.0
                } else {
                    beta.to_f64() * old.to_f64()
                };
            c.row_mut(i)[j] = T::from_f64(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{columns_in, part_range, plain_split_by_columns, GemmScalar, Kernel};

    #[test]
    fn uneven_columns_are_split_over_rows() {
        let (mr, nr) = (9, 48);
        // n = 64: slivers of 48 and 16 columns; 64 rows in 8 slivers of 9.
        assert!(!plain_split_by_columns((64, 64), (mr, nr), 2));
        assert!(!plain_split_by_columns((50, 50), (mr, nr), 2));
        // Even enough: 100 = 48 + 52 (two slivers and a 4-column one).
        assert!(plain_split_by_columns((64, 100), (mr, nr), 2));
        assert!(plain_split_by_columns((64, 512), (mr, nr), 2));
        // Too few rows to share: columns, however uneven.
        assert!(plain_split_by_columns((9, 64), (mr, nr), 2));
        // m > n: rows, unless there are fewer row slivers than threads.
        assert!(!plain_split_by_columns((512, 64), (mr, nr), 2));
        assert_eq!(part_range(0, 2, 2, 48, 64), (0, 48));
        assert_eq!(part_range(1, 2, 2, 48, 64), (48, 64));
        assert_eq!(part_range(1, 2, 8, 9, 64), (36, 64));
    }

    #[test]
    fn block_columns_fill_half_the_l2_in_whole_slivers() {
        let (f32_tiles, f64_tiles) = (f32::tiles(Kernel::Avx512), f64::tiles(Kernel::Avx512));
        // Half of a 2 MiB L2: 1 MiB of 256-deep slivers, 48 (f32) or 24 (f64) wide.
        assert_eq!(columns_in(f32_tiles, 4, 1 << 20), 21 * 48);
        assert_eq!(columns_in(f64_tiles, 8, 1 << 20), 21 * 24);
        // Half of a 1 MiB L2, or an unknown L2: the path's own NC.
        assert_eq!(columns_in(f32_tiles, 4, 1 << 19), f32_tiles.nc);
        assert_eq!(columns_in(f64_tiles, 8, 0), f64_tiles.nc);
    }
}
