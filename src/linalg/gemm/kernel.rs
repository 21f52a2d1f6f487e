//! The micro-kernel and the blocked loops around it (the BLIS "five loops").
//!
//! One generic body, `driver::<T, MR, NR, FMA>`, is compiled three times for
//! each float type: under `#[target_feature(enable = "avx512f,...")]`, under
//! `"avx2,fma"`, and with no extra features (the portable path). Inside a
//! function compiled with the `fma` feature, `mul_add` becomes one
//! vfmadd instruction; the portable path uses `a * b + c` instead, because
//! there `mul_add` would be a slow library call.
//!
//! The micro-kernel keeps an MR × NR tile of C in a fixed-size array. Its inner
//! loops have constant trip counts, so LLVM unrolls them, keeps the tile in
//! vector registers, and turns the `j` loop into vector FMAs: for each `p`, it
//! loads NR values of packed B, broadcasts each of the MR values of packed A,
//! and does MR·NR multiply-adds.

use super::pack::{pack_a, pack_b};
use super::{Kernel, Op, PackedB};
use crate::linalg::simd::vectorized;
use crate::linalg::{pool, MatRef, Scalar};
use std::cell::RefCell;

/// Blocking parameters of one path for one element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiles {
    /// Rows of the micro-tile (values of A broadcast per step).
    pub mr: usize,
    /// Columns of the micro-tile (values of B loaded as vectors per step).
    pub nr: usize,
    /// Depth of a packed block: a B sliver of KC·NR stays in L1.
    pub kc: usize,
    /// Rows of a packed A block (a multiple of MR): MC·KC stays in L2.
    pub mc: usize,
    /// Columns of a packed B block (a multiple of NR), sized for half of a
    /// 1 MiB L2; widened at run time where the L2 is larger (`Task::nc`).
    pub nc: usize,
    /// B slivers packed per pass when a small A block meets a plain B (see
    /// `driver`): few enough that they are still in L1 or L2 when the kernel
    /// reads them, enough that each pass reads a long run of each row of B.
    pub pass: usize,
}

/// Where a task reads op(B) from.
#[derive(Clone, Copy)]
pub(crate) enum BSource<'a, T> {
    /// A plain matrix, packed block by block as the task goes.
    Plain(Op, MatRef<'a, T>),
    /// Packed once beforehand (for example W_hh, reused at every time step).
    Packed(&'a PackedB<T>),
}

/// A raw pointer to element (0, 0) of C, and its row stride. Tasks write
/// disjoint rectangles of C through it (see `store_tile`).
#[derive(Clone, Copy)]
pub(crate) struct CPtr<T> {
    pub ptr: *mut T,
    pub ldc: usize,
}
// SAFETY: a CPtr is only shared between the tasks of one parallel GEMM call,
// which write disjoint rectangles of C while the caller holds C's `&mut`.
unsafe impl<T: Send> Send for CPtr<T> {}
// SAFETY: as above; no two tasks write the same element.
unsafe impl<T: Send> Sync for CPtr<T> {}

/// One rectangle of C = α·op(A)·op(B) + β·C, computed by one thread.
pub(crate) struct Task<'a, T> {
    pub op_a: Op,
    /// (m, k) if `op_a == N`, else (k, m).
    pub a: MatRef<'a, T>,
    pub b: BSource<'a, T>,
    pub alpha: T,
    pub beta: T,
    pub c: CPtr<T>,
    pub k: usize,
    /// Rows of C this task computes.
    pub i0: usize,
    /// One past the last row.
    pub i1: usize,
    /// Columns of C this task computes (j0 is a multiple of NR).
    pub j0: usize,
    /// One past the last column.
    pub j1: usize,
    /// Columns of a packed B block: the path's NC, or more where the L2
    /// holds more (see `block_columns` in mod.rs).
    pub nc: usize,
}

/// Per-type tile sizes and the three compiled paths.
pub trait GemmScalar: Sized + Copy + 'static {
    /// Blocking parameters for a path.
    fn tiles(kernel: Kernel) -> Tiles;
    /// Runs one task on the given path; with `sums`, also adds the row sums
    /// of the task's rows of op(A) into it (see `gemm_tn_col_sums`).
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn run_task(kernel: Kernel, task: &Task<'_, Self>, sums: Option<&mut [Self]>);
    /// Lends this thread's two packing buffers (reused across calls, so the
    /// time loop of an RNN does not allocate).
    #[doc(hidden)]
    fn with_buffers<R>(f: impl FnOnce(&mut Vec<Self>, &mut Vec<Self>) -> R) -> R;
}

/// How many k-steps ahead the micro-kernel asks for packed B (see `prefetch`).
const PREFETCH_STEPS: usize = 8;

/// The R × W micro-kernel: returns Σ_p a[p·MR + i] · b[p·NR + j] for
/// `i < R ≤ MR` and `j < W ≤ NR`, over the `kc` steps of one packed A sliver
/// and one packed B sliver (`kc ≥ 1`). R is MR except on a block's last,
/// shorter sliver (see `tile`); W is NR except on its last, narrower one.
///
/// The tile starts from the first step's products rather than from zeros
/// (the same numbers, since 0 + x rounds to x) so no zeroing pass is needed.
#[inline(always)]
fn micro_kernel<
    T: Scalar,
    const MR: usize,
    const NR: usize,
    const R: usize,
    const W: usize,
    const FMA: bool,
>(
    a: &[T], // packed sliver: kc × MR, of which the first R rows are used
    b: &[T], // packed sliver: kc × NR, of which the first W columns are used
) -> [[T; W]; R] {
    // Each step's values as a fixed-size array, so every index below is a
    // constant. (With `chunks_exact` slices, LLVM compiled the AVX-512 f32
    // kernel of the plain-B path (`Tiles::pass`) with the step lengths as
    // run-time values and the tile in memory: (32, 512, 2048) ran at 17
    // GFLOP/s instead of 179 on an AMD EPYC Zen 5, while the pre-packed
    // path, the same code inlined elsewhere, ran at 230.)
    let kc = a.len() / MR;
    let a_step = |p: usize| -> &[T; MR] { a[p * MR..(p + 1) * MR].try_into().expect("MR values") };
    let b_step = |p: usize| -> &[T; NR] { b[p * NR..(p + 1) * NR].try_into().expect("NR values") };
    let (a0, b0) = (a_step(0), b_step(0));
    let mut ab = [[T::ZERO; W]; R];
    for i in 0..R {
        for j in 0..W {
            ab[i][j] = a0[i] * b0[j];
        }
    }
    for p in 1..kc {
        let (ap, bp) = (a_step(p), b_step(p));
        // B streams from L2: ask for the slivers a few steps ahead.
        let ahead = bp.as_ptr().wrapping_add(PREFETCH_STEPS * NR);
        for line in 0..(W * T::BYTES).div_ceil(64) {
            prefetch(ahead.wrapping_add(line * 64 / T::BYTES));
        }
        for i in 0..R {
            let ai = ap[i];
            for j in 0..W {
                ab[i][j] = if FMA {
                    ai.mul_add(bp[j], ab[i][j])
                } else {
                    ab[i][j] + ai * bp[j]
                };
            }
        }
    }
    ab
}

/// Asks the CPU to start loading the cache line holding `p` into L1. A hint
/// only: it changes no value and never faults, even for an address past the end.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint; it never faults and never reads memory
    // architecturally, whatever the address. SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// One tile: the micro-kernel on an A sliver and the first `cols` columns of a
/// B sliver, then `C ← α·AB + β·C` on the valid `rows × cols` corner at
/// `(i0, j0)`. A block's last sliver is often narrower than NR (n = 256 with
/// NR = 48 leaves 16 columns); the full-width kernel would waste up to two
/// thirds of its FMAs there, so copies of the kernel 8, 16 or 32 columns wide
/// take such slivers. Likewise a block's last A sliver is often short (a batch
/// of B = 32 rows is three slivers of 9 and one of 5): a copy of the
/// full-width kernel 5 rows tall takes a sliver of up to 5 rows. `bench gemm
/// --prepacked` at (32, 256, 1024) and (32, 512, 2048), 3 alternations: 107
/// → 116 and 104 → 112 GFLOP/s. (A 3-row copy ran the whole product at 5
/// GFLOP/s: LLVM vectorised its i loop.) On AVX2 (MR = 6) the same batch
/// ends in a sliver of 2 rows, which a 2-row copy takes: `bench gemm
/// --prepacked` at (32, 512, 2048) f32 on an AMD EPYC (Zen 3), 7
/// alternations each, two sets: medians 56.3 → 62.1 and 60.5 → 64.4
/// GFLOP/s (f64 within the noise). Each element is still the same sum in the
/// same order, so neither width nor height changes a bit of the result
/// (`tests/gemm.rs`, `rows_are_bit_identical_whatever_tile_they_fall_in`).
#[inline(always)]
fn tile<T: Scalar, const MR: usize, const NR: usize, const FMA: bool>(
    a_sliver: &[T],
    b_sliver: &[T],
    c: CPtr<T>,
    (i0, j0): (usize, usize),
    (rows, cols): (usize, usize),
    alpha: T,
    beta: T,
) {
    if NR > 8 && cols <= 8 {
        let ab = micro_kernel::<T, MR, NR, MR, 8, FMA>(a_sliver, b_sliver);
        store_tile::<T, MR, 8>(c, i0, j0, rows, cols, &ab, alpha, beta);
    } else if NR > 16 && cols <= 16 {
        let ab = micro_kernel::<T, MR, NR, MR, 16, FMA>(a_sliver, b_sliver);
        store_tile::<T, MR, 16>(c, i0, j0, rows, cols, &ab, alpha, beta);
    } else if NR > 32 && cols <= 32 {
        let ab = micro_kernel::<T, MR, NR, MR, 32, FMA>(a_sliver, b_sliver);
        store_tile::<T, MR, 32>(c, i0, j0, rows, cols, &ab, alpha, beta);
    } else if MR > 5 && rows <= 2 {
        let ab = micro_kernel::<T, MR, NR, 2, NR, FMA>(a_sliver, b_sliver);
        store_tile::<T, 2, NR>(c, i0, j0, rows, cols, &ab, alpha, beta);
    } else if MR > 5 && rows <= 5 {
        let ab = micro_kernel::<T, MR, NR, 5, NR, FMA>(a_sliver, b_sliver);
        store_tile::<T, 5, NR>(c, i0, j0, rows, cols, &ab, alpha, beta);
    } else {
        let ab = micro_kernel::<T, MR, NR, MR, NR, FMA>(a_sliver, b_sliver);
        store_tile::<T, MR, NR>(c, i0, j0, rows, cols, &ab, alpha, beta);
    }
}

/// Writes the valid `rows × cols` corner of a tile into C at `(i0, j0)`:
/// `C ← α·ab + β·C`, or `C ← α·ab` when β = 0 (C is then not read, so NaN in
/// an uninitialised C does not leak through).
///
/// A whole tile, the usual case, is written by a loop over all MR rows, in
/// which every row of `ab` has a constant index once LLVM unrolls it; only
/// then can the tile stay in registers from the kernel to C. A corner is
/// written from a copy of the tile, since its loop, bounded by `rows`, indexes
/// rows at run time and needs them in memory. (Before, both went through the
/// bounded loop, which kept every tile in memory: a `memset` of it (1.7 KiB),
/// then its stores and loads, per tile. `perf`: 10% of (2048, 64, 1024) f64;
/// removing it took 3–17% off the six products of an LSTM's training step at
/// (64, 32, 64, 256) f64, and 64³ f64 from 16.4 to 14.8 µs.)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn store_tile<T: Scalar, const MR: usize, const NR: usize>(
    c: CPtr<T>,
    i0: usize,
    j0: usize,
    rows: usize,
    cols: usize,
    ab: &[[T; NR]; MR],
    alpha: T,
    beta: T,
) {
    if rows == MR && cols == NR {
        for (i, ab_row) in ab.iter().enumerate() {
            store_full_row(c, i0 + i, j0, ab_row, alpha, beta);
        }
        return;
    }
    let ab = *ab;
    for (i, ab_row) in ab.iter().enumerate().take(rows) {
        if cols == NR {
            store_full_row(c, i0 + i, j0, ab_row, alpha, beta);
        } else {
            store_row(c, i0 + i, j0, &ab_row[..cols], alpha, beta);
        }
    }
}

/// The C row `(i, j0 .. j0 + len)` as a slice.
#[inline(always)]
fn c_row<'a, T>(c: CPtr<T>, i: usize, j0: usize, len: usize) -> &'a mut [T] {
    // SAFETY: (i, j0 .. j0 + len) lies inside C: the task's rectangle is inside
    // C and the callers clip rows and columns to it. C is borrowed mutably by
    // the `gemm` call for its whole duration, and tasks write disjoint
    // rectangles, so this slice aliases nothing else while it lives.
    unsafe { std::slice::from_raw_parts_mut(c.ptr.add(i * c.ldc + j0), len) }
}

/// `store_row` for a whole row of NR values. The result is formed in a local
/// array and copied out, a shape LLVM vectorises (it cannot prove the C row
/// and the tile apart when they are read and written in one loop).
#[inline(always)]
fn store_full_row<T: Scalar, const NR: usize>(
    c: CPtr<T>,
    i: usize,
    j0: usize,
    values: &[T; NR],
    alpha: T,
    beta: T,
) {
    let row: &mut [T; NR] = c_row(c, i, j0, NR).try_into().expect("NR values");
    let mut out = [T::ZERO; NR];
    if beta == T::ZERO {
        for j in 0..NR {
            out[j] = alpha * values[j];
        }
    } else {
        let old = *row;
        for j in 0..NR {
            out[j] = alpha * values[j] + beta * old[j];
        }
    }
    *row = out;
}

/// `C[i, j0 ..] ← α·values + β·C[i, j0 ..]` (C not read when β = 0).
#[inline(always)]
fn store_row<T: Scalar>(c: CPtr<T>, i: usize, j0: usize, values: &[T], alpha: T, beta: T) {
    let row = c_row(c, i, j0, values.len());
    if beta == T::ZERO {
        for (x, &v) in row.iter_mut().zip(values) {
            *x = alpha * v;
        }
    } else {
        for (x, &v) in row.iter_mut().zip(values) {
            *x = alpha * v + beta * *x;
        }
    }
}

/// The blocked loops for one task. Every element of C is summed in the same
/// order whatever the task split: over KC blocks in order, and within a block
/// over p in order. That is why results do not depend on the thread count, and
/// why a pre-packed B gives the same bits as a plain one.
///
/// Cache plan (BLIS): a `KC × NC` block of packed B stays in L2 and its NR-wide
/// slivers stream through the innermost loop; one MR-tall sliver of packed A
/// (`MR × KC`) stays in L1 while it meets every B sliver; the `MC × KC` block of
/// packed A lives in L3.
#[inline(always)]
pub(crate) fn driver<T: Scalar + GemmScalar, const MR: usize, const NR: usize, const FMA: bool>(
    task: &Task<'_, T>,
    t: Tiles,
    mut sums: Option<&mut [T]>,
    abuf: &mut Vec<T>,
    bbuf: &mut Vec<T>,
) {
    debug_assert!(t.mr == MR && t.nr == NR, "tile constants disagree");
    if task.i1 - task.i0 == 1 && sums.is_none() {
        match task.b {
            BSource::Packed(pb) => return row_times_packed::<T, NR, FMA>(task, t.kc, pb, abuf),
            BSource::Plain(Op::N, b) => return row_times_plain::<T, FMA>(task, t.kc, &b, abuf),
            BSource::Plain(Op::T, _) => {}
        }
    }
    let (m0, m1, n0, n1, k) = (task.i0, task.i1, task.j0, task.j1, task.k);
    // Blocks of NC columns. A last block under a tenth of NC would re-pack
    // all of A for a sliver of work (n = 1100 with NC = 528 would end in a
    // block of 44 columns), so it joins the block before it instead. Rows in
    // blocks of MC alike.
    let col_blocks = blocks(n0, n1, task.nc);
    let row_blocks = blocks(m0, m1, t.mc);
    let a_len = row_blocks
        .clone()
        .map(|(_, len)| len)
        .max()
        .unwrap_or(0)
        .div_ceil(MR)
        * MR
        * t.kc;
    let abuf = aligned(abuf, a_len);
    let b_len = match task.b {
        BSource::Plain(..) => {
            let widest = col_blocks.clone().map(|(_, len)| len).max().unwrap_or(0);
            widest.div_ceil(NR) * NR * t.kc
        }
        BSource::Packed(_) => 0,
    };
    let bbuf = aligned(bbuf, b_len);
    let one_row_block = row_blocks.clone().nth(1).is_none();
    let several_col_blocks = col_blocks.clone().nth(1).is_some();
    // A small A block (an RNN step's batch) against a B still to be packed.
    let small_a_plain_b = (m1 - m0) * t.kc.min(k) * T::BYTES <= SMALL_A_BLOCK_BYTES
        && matches!(task.b, BSource::Plain(..));
    if one_row_block && (several_col_blocks || small_a_plain_b) {
        // All of op(A) fits one row block: pack each KC slice of A once and
        // run every column block against it. (The loop order below would pack
        // A once per column block: five times for f64 at 1024³.) Each element
        // is still summed over the KC blocks in order, so the bits are the
        // same.
        let mut pc = 0;
        while pc < k {
            let kc = t.kc.min(k - pc);
            // The first KC block applies β; later blocks add to what is there.
            let beta = if pc == 0 { task.beta } else { T::ONE };
            pack_a::<T, MR>(task.op_a, &task.a, m0, m1 - m0, pc, kc, abuf);
            if let Some(sums) = sums.as_deref_mut() {
                add_row_sums::<T, MR>(abuf, m1 - m0, kc, sums);
            }
            for (jc, nc) in col_blocks.clone() {
                if let (true, BSource::Plain(op_b, b)) = (small_a_plain_b, task.b) {
                    // As GotoBLAS does: pack B a few slivers at a time and
                    // run the kernel on them at once, while they are still in
                    // L1 or L2, rather than packing the whole KC × NC block
                    // first and reading it back from L2 or L3.
                    let per = NR * t.pass;
                    for jr in (jc..jc + nc).step_by(per) {
                        let cols = per.min(jc + nc - jr);
                        pack_b::<T, NR>(op_b, &b, pc, kc, jr, cols, bbuf);
                        let passed = &bbuf[..cols.div_ceil(NR) * NR * kc];
                        a_block_times_b_block::<T, MR, NR, FMA>(
                            task,
                            abuf,
                            passed,
                            (m0, m1 - m0),
                            (jr, cols),
                            kc,
                            beta,
                        );
                    }
                    continue;
                }
                let bblock = b_block::<T, NR>(task, pc, kc, jc, nc, bbuf);
                a_block_times_b_block::<T, MR, NR, FMA>(
                    task,
                    abuf,
                    bblock,
                    (m0, m1 - m0),
                    (jc, nc),
                    kc,
                    beta,
                );
            }
            pc += kc;
        }
        return;
    }
    // Loop 5: blocks of NC columns.
    for (jc, nc) in col_blocks {
        // Loop 4: blocks of KC along the shared dimension.
        let mut pc = 0;
        while pc < k {
            let kc = t.kc.min(k - pc);
            let bblock = b_block::<T, NR>(task, pc, kc, jc, nc, bbuf);
            let beta = if pc == 0 { task.beta } else { T::ONE };
            // Loop 3: blocks of MC rows.
            for (ic, mc) in row_blocks.clone() {
                pack_a::<T, MR>(task.op_a, &task.a, ic, mc, pc, kc, abuf);
                // Row sums once, in the first column block (A is packed
                // again for every other one).
                if let (true, Some(sums)) = (jc == n0, sums.as_deref_mut()) {
                    add_row_sums::<T, MR>(abuf, mc, kc, &mut sums[ic - m0..ic - m0 + mc]);
                }
                a_block_times_b_block::<T, MR, NR, FMA>(
                    task,
                    abuf,
                    bblock,
                    (ic, mc),
                    (jc, nc),
                    kc,
                    beta,
                );
            }
            pc += kc;
        }
    }
}

/// `sums[i] += op(A)[i, p]` for each of the `kc` steps p of a packed A block
/// of `mc` rows, in order of p, read from the packed copy (the block is in
/// L1 or L2 right after `pack_a`). Called once per KC block, in order, so
/// each sum adds the values of its row of op(A) one by one in order of p: the
/// sum a pass down the rows of A forms (see `gemm_tn_col_sums`).
#[inline(always)]
fn add_row_sums<T: Scalar, const MR: usize>(packed: &[T], mc: usize, kc: usize, sums: &mut [T]) {
    let slivers = packed.chunks_exact(MR * kc).take(mc.div_ceil(MR));
    for (s, sliver) in slivers.enumerate() {
        let rows = MR.min(mc - s * MR);
        let mut acc = [T::ZERO; MR];
        acc[..rows].copy_from_slice(&sums[s * MR..s * MR + rows]);
        for step in sliver.chunks_exact(MR) {
            for i in 0..MR {
                acc[i] += step[i];
            }
        }
        sums[s * MR..s * MR + rows].copy_from_slice(&acc[..rows]);
    }
}

/// `len` values of `buf` that start on a 64-byte boundary (a cache line),
/// growing `buf` if needed; the values are scratch. Packed B slivers start
/// there, so the kernel's vector loads of B never straddle two lines. (A Vec
/// of f32 is only 16-byte aligned: `bench gemm` at 1024³ then ran at 60 to
/// 97 GFLOP/s from run to run, depending on where the buffer landed.)
fn aligned<T: Scalar>(buf: &mut Vec<T>, len: usize) -> &mut [T] {
    let start = aligned_start(buf, len);
    &mut buf[start..start + len]
}

/// Where `aligned` starts: grows `buf` to hold `len` values from a 64-byte
/// boundary and returns that boundary's index.
pub(crate) fn aligned_start<T: Scalar>(buf: &mut Vec<T>, len: usize) -> usize {
    let pad = 64 / T::BYTES;
    if buf.len() < len + pad {
        buf.resize(len + pad, T::ZERO);
    }
    buf.as_ptr().align_offset(64).min(pad)
}

/// Splits `lo .. hi` into blocks of `size` as (start, length), a last block
/// under a tenth of `size` joining the one before it. (An iterator rather
/// than a list, so a GEMM call inside an RNN's time loop does not allocate.)
fn blocks(lo: usize, hi: usize, size: usize) -> impl Iterator<Item = (usize, usize)> + Clone {
    let mut at = lo;
    std::iter::from_fn(move || {
        if at >= hi {
            return None;
        }
        let mut len = size.min(hi - at);
        if hi - at - len < size / 10 {
            len = hi - at;
        }
        let block = (at, len);
        at += len;
        Some(block)
    })
}

/// The packed `kc × nc` block of op(B) at (pc, jc): packed into `bbuf` now,
/// or the slivers of a pre-packed B.
#[inline(always)]
fn b_block<'b, T: Scalar + GemmScalar, const NR: usize>(
    task: &'b Task<'_, T>,
    pc: usize,
    kc: usize,
    jc: usize,
    nc: usize,
    bbuf: &'b mut [T],
) -> &'b [T] {
    match task.b {
        BSource::Plain(op_b, b) => {
            pack_b::<T, NR>(op_b, &b, pc, kc, jc, nc, bbuf);
            &bbuf[..nc.div_ceil(NR) * NR * kc]
        }
        BSource::Packed(pb) => {
            let first = jc / NR;
            let last = (jc + nc).div_ceil(NR);
            &pb.block(pc, kc)[first * NR * kc..last * NR * kc]
        }
    }
}

/// Loops 2 and 1: every MR-tall sliver of a packed A block (rows
/// `ic .. ic + mc`) against every NR-wide sliver of a packed B block (columns
/// `jc .. jc + nc`), each tile added into C.
#[inline(always)]
fn a_block_times_b_block<
    T: Scalar + GemmScalar,
    const MR: usize,
    const NR: usize,
    const FMA: bool,
>(
    task: &Task<'_, T>,
    ablock: &[T],
    bblock: &[T],
    (ic, mc): (usize, usize),
    (jc, nc): (usize, usize),
    kc: usize,
    beta: T,
) {
    // Loops 2 and 1. Usually one A sliver (MR rows) at a time, kept in L1,
    // meets every B sliver of the block, which streams from L2. A small A
    // block (an RNN step's batch) stays in L2 whole, so the loops swap: each
    // B sliver is taken once and meets every A sliver, and B, the large
    // operand, streams in from L3 or memory once per call rather than once
    // per A sliver.
    let b_outer = mc * kc * T::BYTES <= SMALL_A_BLOCK_BYTES;
    let (outer, outer_step, inner, inner_step) = if b_outer {
        (nc, NR, mc, MR)
    } else {
        (mc, MR, nc, NR)
    };
    for o in (0..outer).step_by(outer_step) {
        for i in (0..inner).step_by(inner_step) {
            let (ir, jr) = if b_outer { (i, o) } else { (o, i) };
            let a_sliver = &ablock[(ir / MR) * MR * kc..(ir / MR + 1) * MR * kc];
            let b_sliver = &bblock[(jr / NR) * NR * kc..(jr / NR + 1) * NR * kc];
            let (rows, cols) = (MR.min(mc - ir), NR.min(nc - jr));
            // The C tile is read and written once the kernel is done; ask for
            // its lines now so they arrive meanwhile.
            for r in 0..rows {
                let row = task
                    .c
                    .ptr
                    .wrapping_add((ic + ir + r) * task.c.ldc + jc + jr);
                for line in 0..(cols * T::BYTES).div_ceil(64) {
                    prefetch(row.wrapping_add(line * 64 / T::BYTES));
                }
            }
            tile::<T, MR, NR, FMA>(
                a_sliver,
                b_sliver,
                task.c,
                (ic + ir, jc + jr),
                (rows, cols),
                task.alpha,
                beta,
            );
        }
    }
}

/// The size up to which a packed A block is walked B sliver by B sliver (see
/// `a_block_times_b_block`): 128 rows of f32 at KC = 256.
const SMALL_A_BLOCK_BYTES: usize = 128 * 1024;

/// One row of op(A) times a pre-packed B (an RNN step with batch 1): a
/// vector–matrix product over columns `j0 .. j1`. Padding that one row to
/// MR rows would multiply the work by MR. Instead the row meets three or four
/// packed B slivers at once (`row_times_three_slivers`,
/// `row_times_four_slivers`): one step of p is then 3·NR or 4·NR independent
/// multiply-adds. Sliver by sliver, a step had only NR of them, each waiting
/// on the one before (a multiply-add takes 4 cycles), and the product of an
/// RNN step at H = 100 ran at 1.1 µs, latency-bound. With AVX2 (NR = two
/// vectors) three slivers are six sums in flight, still short of the eight
/// that two multiply-adds per cycle of 4-cycle latency need; four are eight
/// (`bench gemm --m 1 --k 100 --n 100 --prepacked`: 20 → 28 GFLOP/s on an
/// AMD EPYC). Any one or two slivers left go through the micro-kernel as a
/// tile of two rows (the row and a row of zeros: with a single row LLVM
/// splits the tile into odd vector widths). Every value is the sum the micro-kernel forms (first
/// product, then one multiply-add per step in order of p, per KC block), so
/// the bits are those of the tile path.
#[inline(always)]
pub(crate) fn row_times_packed<T: Scalar + GemmScalar, const NR: usize, const FMA: bool>(
    task: &Task<'_, T>,
    kc_max: usize,
    pb: &PackedB<T>,
    abuf: &mut Vec<T>,
) {
    let (i, k, j0, j1) = (task.i0, task.k, task.j0, task.j1);
    if abuf.len() < 2 * k {
        abuf.resize(2 * k, T::ZERO);
    }
    // A two-row sliver [op(A)[i, p], 0] for every p.
    match task.op_a {
        Op::N => {
            for (pair, &v) in abuf.chunks_exact_mut(2).zip(task.a.row(i)) {
                pair[0] = v;
                pair[1] = T::ZERO;
            }
        }
        Op::T => {
            for (p, pair) in abuf.chunks_exact_mut(2).take(k).enumerate() {
                pair[0] = task.a.at(p, i);
                pair[1] = T::ZERO;
            }
        }
    }
    let (s_first, s_end) = (j0 / NR, j1.div_ceil(NR));
    let mut pc = 0;
    while pc < k {
        let kc = kc_max.min(k - pc);
        let slivers = pb.block(pc, kc);
        let a_sliver = &abuf[2 * pc..2 * (pc + kc)];
        let beta = if pc == 0 { task.beta } else { T::ONE };
        let sliver = |s: usize| &slivers[s * NR * kc..(s + 1) * NR * kc];
        // Where a sliver is two vectors wide (every path but AVX-512), four
        // slivers at once keep eight sums in flight, enough to hide the
        // multiply-add latency; three keep six. The count of slivers is
        // split into fours and threes (7 = 4 + 3, 13 = 4 + 3 + 3 + 3), and
        // one or two left over (only when there are 1, 2 or 5) take the tile.
        let count = s_end - s_first;
        // Where a sliver is four vectors wide (AVX-512 f32), three slivers
        // at once keep twelve sums in flight and two keep eight; a count
        // that threes leave 2 of ends in a two.
        let twos = if NR >= 64 { count % 3 / 2 } else { 0 };
        let (fours, threes) = if NR > 16 {
            (0, count / 3)
        } else {
            let threes = match count % 4 {
                0 => 0,
                3 => 1,
                2 if count >= 6 => 2,
                1 if count >= 9 => 3,
                _ => 0,
            };
            ((count - 3 * threes) / 4, threes)
        };
        let mut s = s_first;
        for _ in 0..fours {
            let four = [sliver(s), sliver(s + 1), sliver(s + 2), sliver(s + 3)];
            let sums = row_times_four_slivers::<T, NR, FMA>(a_sliver, four);
            for (q, sum) in sums.iter().enumerate() {
                let j = (s + q) * NR;
                if j + NR <= j1 {
                    store_full_row(task.c, i, j, sum, task.alpha, beta);
                } else {
                    store_row(task.c, i, j, &sum[..j1 - j], task.alpha, beta);
                }
            }
            s += 4;
        }
        for _ in 0..threes {
            let three = [sliver(s), sliver(s + 1), sliver(s + 2)];
            // The third sliver may be the narrow last one (n = 100 with NR =
            // 48 leaves 4 columns): only as many of its columns as needed are
            // read (8 at H = 100: one cache line per step instead of three).
            let last = NR.min(j1 - (s + 2) * NR);
            let at = (task, s * NR, j1, beta);
            if NR > 8 && last <= 8 {
                let (s0, s1, s2) = row_times_three_slivers::<T, NR, 8, FMA>(a_sliver, three);
                store_three_rows(at, &s0, &s1, &s2);
            } else if NR > 16 && last <= 16 {
                let (s0, s1, s2) = row_times_three_slivers::<T, NR, 16, FMA>(a_sliver, three);
                store_three_rows(at, &s0, &s1, &s2);
            } else if NR > 32 && last <= 32 {
                let (s0, s1, s2) = row_times_three_slivers::<T, NR, 32, FMA>(a_sliver, three);
                store_three_rows(at, &s0, &s1, &s2);
            } else {
                let (s0, s1, s2) = row_times_three_slivers::<T, NR, NR, FMA>(a_sliver, three);
                store_three_rows(at, &s0, &s1, &s2);
            }
            s += 3;
        }
        for _ in 0..twos {
            let two = [sliver(s), sliver(s + 1)];
            // The second sliver may be the narrow last one (n = 100 with NR
            // = 64 leaves 36 columns): only as many of its columns as needed
            // are read.
            let last = NR.min(j1 - (s + 1) * NR);
            let at = (task, s * NR, j1, beta);
            if NR > 8 && last <= 8 {
                let (s0, s1) = row_times_two_slivers::<T, NR, 8, FMA>(a_sliver, two);
                store_two_rows(at, &s0, &s1);
            } else if NR > 16 && last <= 16 {
                let (s0, s1) = row_times_two_slivers::<T, NR, 16, FMA>(a_sliver, two);
                store_two_rows(at, &s0, &s1);
            } else if NR > 32 && last <= 32 {
                let (s0, s1) = row_times_two_slivers::<T, NR, 32, FMA>(a_sliver, two);
                store_two_rows(at, &s0, &s1);
            } else if NR > 48 && last <= 48 {
                let (s0, s1) = row_times_two_slivers::<T, NR, 48, FMA>(a_sliver, two);
                store_two_rows(at, &s0, &s1);
            } else {
                let (s0, s1) = row_times_two_slivers::<T, NR, NR, FMA>(a_sliver, two);
                store_two_rows(at, &s0, &s1);
            }
            s += 2;
        }
        while s < s_end {
            let jr = s * NR;
            tile::<T, 2, NR, FMA>(
                a_sliver,
                sliver(s),
                task.c,
                (i, jr),
                (1, NR.min(j1 - jr)),
                task.alpha,
                beta,
            );
            s += 1;
        }
        pc += kc;
    }
}

/// Stores the sums of three consecutive slivers into row `task.i0` of C from
/// column `j` (`C ← α·sum + β·C`, columns before `j1` only). (A function
/// marked inline, not a closure: a closure that LLVM does not inline is
/// compiled without the caller's vector features.)
#[inline(always)]
fn store_three_rows<T: Scalar, const NR: usize, const W: usize>(
    (task, j, j1, beta): (&Task<'_, T>, usize, usize, T),
    s0: &[T; NR],
    s1: &[T; NR],
    s2: &[T; W],
) {
    // Only the third sliver can be the last, partial one.
    debug_assert!(j1 > j + 2 * NR);
    store_full_row(task.c, task.i0, j, s0, task.alpha, beta);
    store_full_row(task.c, task.i0, j + NR, s1, task.alpha, beta);
    let (j, cols) = (j + 2 * NR, W.min(j1 - j - 2 * NR));
    if cols == NR {
        let s2: &[T; NR] = s2[..].try_into().expect("NR sums");
        store_full_row(task.c, task.i0, j, s2, task.alpha, beta);
    } else {
        store_row(task.c, task.i0, j, &s2[..cols], task.alpha, beta);
    }
}

/// Stores the sums of two consecutive slivers into row `task.i0` of C from
/// column `j`, as `store_three_rows` does for three. (`store_three_rows`
/// calling this one for its last two slivers would be shorter, but LLVM then
/// compiled the 9 × 48 path's three-sliver loop worse: `SEQMODELS_KERNEL=avx512
/// bench gemm --m 1 --k 128 --n 512 --prepacked`, 3 alternations, 75–80 →
/// 63–64 GFLOP/s.)
#[inline(always)]
fn store_two_rows<T: Scalar, const NR: usize, const W: usize>(
    (task, j, j1, beta): (&Task<'_, T>, usize, usize, T),
    s0: &[T; NR],
    s1: &[T; W],
) {
    // Only the second sliver can be the last, partial one.
    debug_assert!(j1 > j + NR);
    store_full_row(task.c, task.i0, j, s0, task.alpha, beta);
    let (j, cols) = (j + NR, W.min(j1 - j - NR));
    if cols == NR {
        let s1: &[T; NR] = s1[..].try_into().expect("NR sums");
        store_full_row(task.c, task.i0, j, s1, task.alpha, beta);
    } else {
        store_row(task.c, task.i0, j, &s1[..cols], task.alpha, beta);
    }
}

/// Row 0 of a two-row A sliver times two packed B slivers: NR sums for the
/// first and the first W of the second, formed as `row_times_three_slivers`
/// forms them.
#[inline(always)]
fn row_times_two_slivers<T: Scalar, const NR: usize, const W: usize, const FMA: bool>(
    a: &[T],
    [b0, b1]: [&[T]; 2],
) -> ([T; NR], [T; W]) {
    // Each step's values as fixed-size arrays (see `micro_kernel`).
    let kc = a.len() / 2;
    let x = |b: &[T], p: usize| -> [T; NR] { b[p * NR..(p + 1) * NR].try_into().expect("NR") };
    let (x0, x1, a0) = (x(b0, 0), x(b1, 0), a[0]);
    let (mut s0, mut s1) = ([T::ZERO; NR], [T::ZERO; W]);
    for j in 0..NR {
        s0[j] = a0 * x0[j];
    }
    for j in 0..W {
        s1[j] = a0 * x1[j];
    }
    for p in 1..kc {
        let (x0, x1, ap) = (x(b0, p), x(b1, p), a[2 * p]);
        for j in 0..NR {
            s0[j] = if FMA {
                ap.mul_add(x0[j], s0[j])
            } else {
                s0[j] + ap * x0[j]
            };
        }
        for j in 0..W {
            s1[j] = if FMA {
                ap.mul_add(x1[j], s1[j])
            } else {
                s1[j] + ap * x1[j]
            };
        }
    }
    (s0, s1)
}

/// Row 0 of a two-row A sliver (`a`: kc·2 values, [row, 0] per step) times
/// three packed B slivers (kc·NR values each): the three rows of sums, NR
/// for the first two and the first W of the third.
/// The three slivers are named rather than looped over, so that LLVM
/// vectorises the j loop (a loop over three slivers is the shape it
/// vectorises the wrong way, as with a 3-row tile).
#[inline(always)]
fn row_times_three_slivers<T: Scalar, const NR: usize, const W: usize, const FMA: bool>(
    a: &[T],
    [b0, b1, b2]: [&[T]; 3],
) -> ([T; NR], [T; NR], [T; W]) {
    let mut steps = a
        .chunks_exact(2)
        .zip(b0.chunks_exact(NR))
        .zip(b1.chunks_exact(NR).zip(b2.chunks_exact(NR)));
    let (mut s0, mut s1, mut s2) = ([T::ZERO; NR], [T::ZERO; NR], [T::ZERO; W]);
    if let Some(((a0, x0), (x1, x2))) = steps.next() {
        for j in 0..NR {
            s0[j] = a0[0] * x0[j];
            s1[j] = a0[0] * x1[j];
        }
        for j in 0..W {
            s2[j] = a0[0] * x2[j];
        }
    }
    for ((ap, x0), (x1, x2)) in steps {
        let ap = ap[0];
        for j in 0..NR {
            if FMA {
                s0[j] = ap.mul_add(x0[j], s0[j]);
                s1[j] = ap.mul_add(x1[j], s1[j]);
            } else {
                s0[j] += ap * x0[j];
                s1[j] += ap * x1[j];
            }
        }
        for j in 0..W {
            s2[j] = if FMA {
                ap.mul_add(x2[j], s2[j])
            } else {
                s2[j] + ap * x2[j]
            };
        }
    }
    (s0, s1, s2)
}

/// Row 0 of a two-row A sliver times four full-width packed B slivers: four
/// rows of NR sums, formed as `row_times_three_slivers` forms them.
#[inline(always)]
fn row_times_four_slivers<T: Scalar, const NR: usize, const FMA: bool>(
    a: &[T],
    [b0, b1, b2, b3]: [&[T]; 4],
) -> [[T; NR]; 4] {
    let mut steps = a
        .chunks_exact(2)
        .zip(b0.chunks_exact(NR).zip(b1.chunks_exact(NR)))
        .zip(b2.chunks_exact(NR).zip(b3.chunks_exact(NR)));
    let (mut s0, mut s1, mut s2, mut s3) =
        ([T::ZERO; NR], [T::ZERO; NR], [T::ZERO; NR], [T::ZERO; NR]);
    if let Some(((a0, (x0, x1)), (x2, x3))) = steps.next() {
        for j in 0..NR {
            s0[j] = a0[0] * x0[j];
            s1[j] = a0[0] * x1[j];
            s2[j] = a0[0] * x2[j];
            s3[j] = a0[0] * x3[j];
        }
    }
    for ((ap, (x0, x1)), (x2, x3)) in steps {
        let ap = ap[0];
        for j in 0..NR {
            if FMA {
                s0[j] = ap.mul_add(x0[j], s0[j]);
                s1[j] = ap.mul_add(x1[j], s1[j]);
                s2[j] = ap.mul_add(x2[j], s2[j]);
                s3[j] = ap.mul_add(x3[j], s3[j]);
            } else {
                s0[j] += ap * x0[j];
                s1[j] += ap * x1[j];
                s2[j] += ap * x2[j];
                s3[j] += ap * x3[j];
            }
        }
    }
    [s0, s1, s2, s3]
}

/// One row of op(A) times a plain B (op(B) = B, stored (k, n)): a
/// vector–matrix product over columns `j0 .. j1`, without packing. Packing
/// B would read it, write a copy and read the copy back, three passes over
/// a matrix that the product itself reads once (at (1, 512, 2048) the
/// packing took longer than the multiply-adds). Here each row of B streams
/// through once, in storage order, into a row of sums kept in L1.
///
/// Each sum is formed exactly as the micro-kernel forms it: per KC block,
/// the first product, then one multiply-add per step in order of p; then
/// `C ← α·sum + β·C` with β replaced by 1 after the first block. So the bits
/// equal those of the packed paths (and of any thread split).
#[inline(always)]
fn row_times_plain<T: Scalar, const FMA: bool>(
    task: &Task<'_, T>,
    kc_max: usize,
    b: &MatRef<T>, // (k, n)
    abuf: &mut Vec<T>,
) {
    let (i, k, j0, j1) = (task.i0, task.k, task.j0, task.j1);
    let a_at = |p: usize| match task.op_a {
        Op::N => task.a.at(i, p),
        Op::T => task.a.at(p, i),
    };
    if abuf.len() < ROW_SUMS {
        abuf.resize(ROW_SUMS, T::ZERO);
    }
    let mut jc = j0;
    while jc < j1 {
        let w = ROW_SUMS.min(j1 - jc);
        let sums = &mut abuf[..w];
        let mut pc = 0;
        while pc < k {
            let kc = kc_max.min(k - pc);
            let a0 = a_at(pc);
            for (s, &x) in sums.iter_mut().zip(&b.row(pc)[jc..jc + w]) {
                *s = a0 * x;
            }
            // Four rows of B per pass over the sums (each sum still takes
            // its steps in order of p): a quarter of the loads and stores of
            // the sums, and four streams for the prefetchers to follow.
            let mut p = pc + 1;
            while p + 4 <= pc + kc {
                let ap = [a_at(p), a_at(p + 1), a_at(p + 2), a_at(p + 3)];
                let rows = [
                    &b.row(p)[jc..jc + w],
                    &b.row(p + 1)[jc..jc + w],
                    &b.row(p + 2)[jc..jc + w],
                    &b.row(p + 3)[jc..jc + w],
                ];
                for (j, s) in sums.iter_mut().enumerate() {
                    let mut v = *s;
                    for r in 0..4 {
                        v = if FMA {
                            ap[r].mul_add(rows[r][j], v)
                        } else {
                            v + ap[r] * rows[r][j]
                        };
                    }
                    *s = v;
                }
                p += 4;
            }
            for p in p..pc + kc {
                let ap = a_at(p);
                for (s, &x) in sums.iter_mut().zip(&b.row(p)[jc..jc + w]) {
                    *s = if FMA { ap.mul_add(x, *s) } else { *s + ap * x };
                }
            }
            let beta = if pc == 0 { task.beta } else { T::ONE };
            store_row(task.c, i, jc, sums, task.alpha, beta);
            pc += kc;
        }
        jc += w;
    }
}

/// How many sums `row_times_plain` keeps at once: 8 KiB of f32, so they stay
/// in L1 while the rows of B stream past.
const ROW_SUMS: usize = 2048;

/// Packs slivers `s0 .. s0 + count` of op(B) (k × n) for `PackedB`, into
/// `blocks`: one piece of storage per KC block, in order, each holding those
/// slivers of that block (`kc·NR` values each).
#[inline(always)]
fn pack_slivers<T: Scalar, const NR: usize>(
    op: Op,
    b: &MatRef<T>,
    (k, n, kc_max): (usize, usize, usize),
    (s0, count): (usize, usize),
    blocks: &mut [&mut [T]],
) {
    let j0 = s0 * NR;
    let nc = (count * NR).min(n - j0);
    let mut pc = 0;
    for block in blocks.iter_mut() {
        let kc = kc_max.min(k - pc);
        pack_b::<T, NR>(op, b, pc, kc, j0, nc, block);
        pc += kc;
    }
}

// ---------------------------------------------------------------------------
// The compiled paths. Each wrapper only fixes the type, the tile and the target
// features; the body is the generic `driver` above.
// ---------------------------------------------------------------------------

// Tile shapes. The micro-kernel holds MR × NR/lanes accumulators, loads
// NR/lanes vectors of B and broadcasts MR values of A per step:
// - AVX-512, 32 zmm registers: 9 × 3 vectors = 27 accumulators
//   (f32: 9 × 48, f64: 9 × 24), three loads and 9 broadcasts per 27 FMAs.
//   Measured against 11 × 32, 12 × 32, 10 × 48 (spills), 7 × 64 and 6 × 64,
//   side by side on an Intel Xeon: 9 × 48 was fastest at every shape tried
//   (square 512–1024, the recurrent products, the weight gradients).
// - AVX-512 on an AMD EPYC Zen 5 (`Kernel::Avx512Wide`, the default on AMD):
//   6 × 4 vectors = 24 accumulators (f32: 6 × 64), four loads and 6
//   broadcasts per 24 FMAs. Against 9 × 48, `bench gemm --threads 1`, two
//   alternations: 64³ 143 → 186 GFLOP/s, 256³–1024³ 3–5% faster, the input
//   projection (2048, 64, 1024) 195 → 230; and `bench rnn`, three
//   alternations, old / new time: 1.02–1.12 on every row tried (LSTM (64, 1,
//   64, 128) 1.12 on one thread, 1.09 on two; (64, 32, 64, 256) 1.02 and
//   1.05; GRU and RNN at (64, 32, 64, 256) 1.04–1.07). Powers of two fill
//   its 64 columns whole, where 48 left a 16-column sliver (n = 256: five of
//   48 and one of 16, also an uneven split over two threads). What it costs:
//   min-char-rnn training 6% (27 179 → 25 542 iterations/s, 5 alternations),
//   its (25, 100, 27) output product taking 4.1 µs instead of 2.0 (LLVM
//   keeps the 6 × 32 tile of a 27-column sliver in memory); so a plain B
//   of at most 48 columns now runs on 9 × 48 (`run` in mod.rs), and
//   min-char-rnn went 26 359 → 27 668 it/s (4 alternations). 12 × 32 was
//   slower at every shape (square 180 against 220 GFLOP/s).
// - AVX2, 16 ymm registers: 6 × 2 vectors = 12 accumulators.
// - Portable (SSE2 on x86_64): 6 × 2 vectors of 128 bits.
// MR is never a power of two (nor 13 or 14): then LLVM vectorises the i loop
// (with gathers) instead of the j loop, and the kernel runs 50× slower.
// Blocking: one A sliver (MR × KC) stays in L1; the KC × NC block of packed B
// streams from L2 (528 KiB for f32, 480 KiB for f64, about half of this
// machine's 1 MiB L2); MC × KC of A sits in L3. A B block that filled the L2
// left the kernel waiting on its loads of B (`perf annotate`: the FMAs that
// first use each load were the hot spots). Halving NC, measured with
// `bench gemm`, alternated 5–8 times (the fast half of each set; this
// machine also has slow minutes when every variant runs at a third less):
// - f32 1024³, NC = 960 (one block of 1024 columns, 1 MiB): 94–102 GFLOP/s;
//   NC = 528: 108–113 (480 and 336 alike). 512³ and the recurrent shapes
//   were unchanged.
// - f64 1024³, NC = 480: 43–45 GFLOP/s; NC = 240: 48–51 (288 and 336 close
//   behind). 512³: 42–45 against 48–52. The recurrent shapes were unchanged.
// NC changes no bits: each element is summed over p in the same order.
// Where one core's L2 is larger, `block_columns` (mod.rs) widens NC to half
// of it: on the 2-core Xeon with 2 MiB of L2 per core, f32 NC = 1008 and f64
// 504. A product of 640 columns (the weight gradients [dW_hh | dW_ih] at
// H = 512, I = 128) then takes one column block instead of 528 + 112, and its
// A is packed once, not twice. `bench gemm --threads 1`, 3 alternations,
// GFLOP/s: (1536, 2048, 640) f32 138–146 → 150–155, f64 65–67 → 69–70;
// 1024³ f32 147–162 → 155–161, f64 74–77 → 75–78; on 2 threads (1536, 2048,
// 640) 292–294 → 296–301 and 1024³ 277–290 → 287–291.
//
// `pass`, the B slivers packed per pass when a small A block meets a plain B
// (see `driver`), holds a run of each row of B about 1 KiB long:
// - AVX-512 (the Xeon above): of 1, 2, 4, 8 and 16 slivers, 4 was the
//   fastest over the recurrent shapes (768 bytes of each row).
// - AVX2 (a 2-core AMD EPYC, Zen 3, 512 KiB L2 per core, about 8.6 GB/s of
//   memory reads from one core): with 4 slivers (256 bytes of a row) `perf
//   annotate` put 40% of (32, 1024, 4096) f32 on the loads of B in
//   `pack_b`: each pass read 4 lines of each of 256 rows 4 KiB or more
//   apart, which the prefetchers do not follow. A software prefetch of the
//   next pass's lines did not help. 16 slivers (1 KiB of a row), `bench
//   gemm`, alternated 3–5 times, GFLOP/s (the machine's own noise is about
//   ±15%): f32 (32, 1024, 4096) 29 → 38–44, (32, 512, 2048) 30–40 → 41–49;
//   f64 (32, 512, 2048) 12–16 → 17–23, (32, 1024, 4096) 13–17 → 16–21;
//   (64, 256, 1024) unchanged in both (8 and 16 alike there; 32 slivers
//   was slower on f32 (32, 1024, 4096)).
// `pass` changes no bits either.
const F32_AVX512: Tiles = Tiles {
    mr: 9,
    nr: 48,
    kc: 256,
    mc: 960,
    nc: 528,
    pass: 4,
};
const F32_AVX512_WIDE: Tiles = Tiles {
    mr: 6,
    nr: 64,
    kc: 256,
    mc: 960,
    nc: 512,
    pass: 4,
};
const F32_AVX2: Tiles = Tiles {
    mr: 6,
    nr: 16,
    kc: 256,
    mc: 960,
    nc: 512,
    pass: 16,
};
const F32_PORTABLE: Tiles = Tiles {
    mr: 6,
    nr: 8,
    kc: 256,
    mc: 960,
    nc: 512,
    pass: 4,
};
const F64_AVX512: Tiles = Tiles {
    mr: 9,
    nr: 24,
    kc: 256,
    mc: 960,
    nc: 240,
    pass: 4,
};
const F64_AVX2: Tiles = Tiles {
    mr: 6,
    nr: 8,
    kc: 256,
    mc: 960,
    nc: 256,
    pass: 16,
};
const F64_PORTABLE: Tiles = Tiles {
    mr: 6,
    nr: 4,
    kc: 256,
    mc: 960,
    nc: 256,
    pass: 4,
};

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn f32_avx512(
    task: &Task<'_, f32>,
    sums: Option<&mut [f32]>,
    abuf: &mut Vec<f32>,
    bbuf: &mut Vec<f32>,
) {
    driver::<f32, 9, 48, true>(task, F32_AVX512, sums, abuf, bbuf)
}
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn f32_avx512_wide(
    task: &Task<'_, f32>,
    sums: Option<&mut [f32]>,
    abuf: &mut Vec<f32>,
    bbuf: &mut Vec<f32>,
) {
    driver::<f32, 6, 64, true>(task, F32_AVX512_WIDE, sums, abuf, bbuf)
}
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn f32_avx2(
    task: &Task<'_, f32>,
    sums: Option<&mut [f32]>,
    abuf: &mut Vec<f32>,
    bbuf: &mut Vec<f32>,
) {
    driver::<f32, 6, 16, true>(task, F32_AVX2, sums, abuf, bbuf)
}
fn f32_portable(
    task: &Task<'_, f32>,
    sums: Option<&mut [f32]>,
    abuf: &mut Vec<f32>,
    bbuf: &mut Vec<f32>,
) {
    driver::<f32, 6, 8, false>(task, F32_PORTABLE, sums, abuf, bbuf)
}
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn f64_avx512(
    task: &Task<'_, f64>,
    sums: Option<&mut [f64]>,
    abuf: &mut Vec<f64>,
    bbuf: &mut Vec<f64>,
) {
    driver::<f64, 9, 24, true>(task, F64_AVX512, sums, abuf, bbuf)
}
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn f64_avx2(
    task: &Task<'_, f64>,
    sums: Option<&mut [f64]>,
    abuf: &mut Vec<f64>,
    bbuf: &mut Vec<f64>,
) {
    driver::<f64, 6, 8, true>(task, F64_AVX2, sums, abuf, bbuf)
}
fn f64_portable(
    task: &Task<'_, f64>,
    sums: Option<&mut [f64]>,
    abuf: &mut Vec<f64>,
    bbuf: &mut Vec<f64>,
) {
    driver::<f64, 6, 4, false>(task, F64_PORTABLE, sums, abuf, bbuf)
}

thread_local! {
    static F32_BUFFERS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    static F64_BUFFERS: RefCell<(Vec<f64>, Vec<f64>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl GemmScalar for f32 {
    fn tiles(kernel: Kernel) -> Tiles {
        match kernel {
            Kernel::Avx512 => F32_AVX512,
            Kernel::Avx512Wide => F32_AVX512_WIDE,
            Kernel::Avx2 => F32_AVX2,
            Kernel::Portable => F32_PORTABLE,
        }
    }
    #[allow(private_interfaces)]
    fn run_task(kernel: Kernel, task: &Task<'_, f32>, sums: Option<&mut [f32]>) {
        match kernel {
            // SAFETY: `Kernel::Avx512` is only ever selected after
            // `Kernel::supported` has confirmed avx512f, avx2 and fma.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => Self::with_buffers(|a, b| unsafe { f32_avx512(task, sums, a, b) }),
            // SAFETY: as for `Kernel::Avx512`, whose features it needs.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Wide => {
                Self::with_buffers(|a, b| unsafe { f32_avx512_wide(task, sums, a, b) })
            }
            // SAFETY: `Kernel::Avx2` is only selected after avx2 and fma are detected.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => Self::with_buffers(|a, b| unsafe { f32_avx2(task, sums, a, b) }),
            _ => Self::with_buffers(|a, b| f32_portable(task, sums, a, b)),
        }
    }
    fn with_buffers<R>(f: impl FnOnce(&mut Vec<f32>, &mut Vec<f32>) -> R) -> R {
        F32_BUFFERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut bufs) => {
                let (a, b) = &mut *bufs;
                f(a, b)
            }
            Err(_) => f(&mut Vec::new(), &mut Vec::new()),
        })
    }
}

impl GemmScalar for f64 {
    fn tiles(kernel: Kernel) -> Tiles {
        match kernel {
            Kernel::Avx512 | Kernel::Avx512Wide => F64_AVX512,
            Kernel::Avx2 => F64_AVX2,
            Kernel::Portable => F64_PORTABLE,
        }
    }
    #[allow(private_interfaces)]
    fn run_task(kernel: Kernel, task: &Task<'_, f64>, sums: Option<&mut [f64]>) {
        match kernel {
            // SAFETY: `Kernel::Avx512` is only ever selected after
            // `Kernel::supported` has confirmed avx512f, avx2 and fma.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 | Kernel::Avx512Wide => {
                Self::with_buffers(|a, b| unsafe { f64_avx512(task, sums, a, b) })
            }
            // SAFETY: `Kernel::Avx2` is only selected after avx2 and fma are detected.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => Self::with_buffers(|a, b| unsafe { f64_avx2(task, sums, a, b) }),
            _ => Self::with_buffers(|a, b| f64_portable(task, sums, a, b)),
        }
    }
    fn with_buffers<R>(f: impl FnOnce(&mut Vec<f64>, &mut Vec<f64>) -> R) -> R {
        F64_BUFFERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut bufs) => {
                let (a, b) = &mut *bufs;
                f(a, b)
            }
            Err(_) => f(&mut Vec::new(), &mut Vec::new()),
        })
    }
}

/// Packs a whole op(B) for `PackedB` with the tile width of `kernel`, from
/// a cache-line boundary in `dst`; returns the index where the packing starts.
///
/// The layout: KC blocks in order, each as ⌈n/NR⌉ slivers of `kc·NR`. Above
/// `PARALLEL_PACK_MIN` values the slivers are shared out in runs, one per
/// thread of the pool (a copy: the split changes no value). An RNN packs
/// W_hhᵀ and W_hh for every pass, and one thread packing them while the
/// others waited was 5% of a batch-1 LSTM on 2 threads.
pub(crate) fn pack_for<T: Scalar + GemmScalar>(
    kernel: Kernel,
    op: Op,
    b: &MatRef<T>,
    k: usize,
    n: usize,
    dst: &mut Vec<T>,
) -> usize {
    let t = T::tiles(kernel);
    let slivers = n.div_ceil(t.nr);
    // Packing writes every value, padding included, so storage reused from
    // an earlier packing is not cleared first (only new length is zeroed).
    let len = slivers * t.nr * k;
    let start = aligned_start(dst, len);
    let parts = if len >= PARALLEL_PACK_MIN {
        pool::threads().min(slivers).max(1)
    } else {
        1
    };
    let per = slivers.div_ceil(parts).max(1);
    // pieces[i]: (i·per, for every KC block the storage of slivers i·per ..
    // i·per + per of that block).
    let mut pieces: Vec<(usize, Vec<&mut [T]>)> = Vec::new();
    let mut rest = &mut dst[start..start + len];
    let mut pc = 0;
    while pc < k {
        let kc = t.kc.min(k - pc);
        let (block, tail) = rest.split_at_mut(slivers * t.nr * kc);
        rest = tail;
        for (i, piece) in block.chunks_mut(per * t.nr * kc).enumerate() {
            if i == pieces.len() {
                pieces.push((i * per, Vec::new()));
            }
            pieces[i].1.push(piece);
        }
        pc += kc;
    }
    let part = |(s0, blocks): &mut (usize, Vec<&mut [T]>)| {
        let count = per.min(slivers - *s0);
        let shape = (k, n, t.kc);
        // Compiled for the active path's vectors: the transposing copy (op(B)
        // = Bᵀ, an RNN's W_hhᵀ) ran at about 1 ns per value with the
        // baseline's 128-bit vectors.
        vectorized(
            #[inline(always)]
            || match t.nr {
                4 => pack_slivers::<T, 4>(op, b, shape, (*s0, count), blocks),
                8 => pack_slivers::<T, 8>(op, b, shape, (*s0, count), blocks),
                16 => pack_slivers::<T, 16>(op, b, shape, (*s0, count), blocks),
                24 => pack_slivers::<T, 24>(op, b, shape, (*s0, count), blocks),
                32 => pack_slivers::<T, 32>(op, b, shape, (*s0, count), blocks),
                48 => pack_slivers::<T, 48>(op, b, shape, (*s0, count), blocks),
                64 => pack_slivers::<T, 64>(op, b, shape, (*s0, count), blocks),
                nr => unreachable!("no packing body for NR = {nr}"),
            },
        )
    };
    if pieces.len() <= 1 {
        pieces.iter_mut().for_each(part);
    } else {
        pool::parallel_parts(pieces.len(), pieces, &part);
    }
    start
}

/// Values of a packed B (padding included) from which `pack_for` shares the
/// slivers out over the pool's threads: W_hhᵀ of a batch-1 LSTM at H = 128 is
/// 65 536. Below, waking a worker would cost about what half the copy saves.
const PARALLEL_PACK_MIN: usize = 1 << 15;
