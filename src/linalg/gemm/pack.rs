//! Packing: copying a block of op(A) or op(B) into the order the micro-kernel
//! reads it, so that the kernel's inner loop walks memory with stride 1.
//!
//! A block of op(A) with `mc` rows and `kc` columns becomes ⌈mc/MR⌉ *slivers*.
//! Sliver s holds rows `s·MR .. s·MR+MR`, stored column by column:
//! `sliver[p·MR + i] = op(A)[s·MR + i, p]`.
//!
//! A block of op(B) with `kc` rows and `nc` columns becomes ⌈nc/NR⌉ slivers.
//! Sliver s holds columns `s·NR .. s·NR+NR`, stored row by row:
//! `sliver[p·NR + j] = op(B)[p, s·NR + j]`.
//!
//! Rows or columns past the edge of the matrix are filled with zeros, so the
//! kernel always computes a full MR × NR tile and the edge needs no other code.

use super::Op;
use crate::linalg::{MatRef, Scalar};

/// Packs rows `i0 .. i0+mc` and columns `p0 .. p0+kc` of op(A) into `dst`
/// as ⌈mc/MR⌉ slivers of `MR·kc` elements.
/// `a`: (m, k) if `op == N`, else (k, m).
#[inline(always)]
pub(crate) fn pack_a<T: Scalar, const MR: usize>(
    op: Op,
    a: &MatRef<T>,
    i0: usize,
    mc: usize,
    p0: usize,
    kc: usize,
    dst: &mut [T],
) {
    let lda = a.stride();
    let src = a.data();
    let slivers = mc.div_ceil(MR);
    match op {
        Op::N => {
            for s in 0..slivers {
                let out = &mut dst[s * MR * kc..(s + 1) * MR * kc];
                let r0 = i0 + s * MR;
                let valid = MR.min(i0 + mc - r0);
                // op(A)[r, p] = A[r, p]: the MR rows of A, side by side.
                let mut rows: [&[T]; MR] = [&[]; MR];
                for (i, row) in rows.iter_mut().enumerate().take(valid) {
                    let start = (r0 + i) * lda + p0;
                    *row = &src[start..start + kc];
                }
                interleave_rows(&rows, valid, kc, out);
            }
        }
        Op::T => {
            // op(A)[r, p] = A[p, r]: row p of A holds the MR values of every
            // sliver contiguously.
            rows_to_slivers::<T, MR>(src, lda, (p0, kc), (i0, mc), A_ROWS_PER_PASS, dst);
        }
    }
}

/// Rows of A that `pack_a` (op T) copies per pass over the slivers. This is
/// how the weight gradients dW = dZᵀ·X read ∂L/∂Z, whose rows are 4H values
/// long (4 KiB at H = 256). Sliver by sliver over all kc rows (the old order)
/// reads MR values from each row in turn, and the rows fall in one L1 set.
/// Timed on dZᵀ·X with a pass of 1, 2, 4, 8, 16, 32, 64 and 256 rows, f32,
/// H = 256 and 512 (dW_ih at n = I = 64, 128 and dW_hh at n = H), alternated
/// with the old order: 16 was fastest, dW_ih (1024, 2048, 64) 5.3 → 4.3 ms
/// and dW_hh (1024, 2048, 256) 12.5 → 11.5 ms.
const A_ROWS_PER_PASS: usize = 16;

/// Packs rows `p0 .. p0+kc` and columns `j0 .. j0+nc` of op(B) into `dst`
/// as ⌈nc/NR⌉ slivers of `NR·kc` elements.
/// `b`: (k, n) if `op == N`, else (n, k).
#[inline(always)]
pub(crate) fn pack_b<T: Scalar, const NR: usize>(
    op: Op,
    b: &MatRef<T>,
    p0: usize,
    kc: usize,
    j0: usize,
    nc: usize,
    dst: &mut [T],
) {
    let ldb = b.stride();
    let src = b.data();
    let slivers = nc.div_ceil(NR);
    match op {
        Op::N => {
            // op(B)[p, c] = B[p, c]: row p of B holds the NR values of every
            // sliver contiguously.
            rows_to_slivers::<T, NR>(src, ldb, (p0, kc), (j0, nc), ROWS_PER_PASS, dst);
        }
        Op::T => {
            for s in 0..slivers {
                let out = &mut dst[s * NR * kc..(s + 1) * NR * kc];
                let c0 = j0 + s * NR;
                let valid = NR.min(j0 + nc - c0);
                // op(B)[p, c] = B[c, p]: the NR rows of B, side by side.
                let mut rows: [&[T]; NR] = [&[]; NR];
                for (j, row) in rows.iter_mut().enumerate().take(valid) {
                    let start = (c0 + j) * ldb + p0;
                    *row = &src[start..start + kc];
                }
                interleave_rows(&rows, valid, kc, out);
            }
        }
    }
}

/// Rows of B that `pack_b` (op N) copies per pass over the slivers. One row
/// per pass reads B in memory order but writes to every sliver in turn, and
/// the slivers start kc·NR values apart (48 KiB at kc = 256), so all those
/// writes fall in one L1 set; a whole sliver per pass writes in order but
/// reads one piece of each of kc rows, a row apart, which the prefetcher does
/// not follow. Four rows per pass was the fastest of 1, 4, 8, 16, 64 and kc
/// at (32, 512, 2048) and (64, 256, 1024), f32 and f64 (`bench gemm`).
const ROWS_PER_PASS: usize = 4;

/// The slivers of W columns of a row-major source (row stride `ld`) whose
/// rows hold each sliver's W values contiguously (op(A) = Aᵀ, op(B) = B):
/// rows `p0 .. p0+kc`, columns `x0 .. x0+len`, into ⌈len/W⌉ slivers of
/// `kc·W` values in `dst` (`sliver[p·W + i]` = row p0+p, column x0+s·W+i;
/// columns past the edge are zeros). Copies `per_pass` rows at a time, sliver
/// by sliver: see `ROWS_PER_PASS` and `A_ROWS_PER_PASS` for why not one row
/// or one sliver at a time.
#[inline(always)]
fn rows_to_slivers<T: Scalar, const W: usize>(
    src: &[T],
    ld: usize,
    (p0, kc): (usize, usize),
    (x0, len): (usize, usize),
    per_pass: usize,
    dst: &mut [T],
) {
    for pg in (0..kc).step_by(per_pass) {
        for s in 0..len.div_ceil(W) {
            let c0 = x0 + s * W;
            let valid = W.min(x0 + len - c0);
            for p in pg..(pg + per_pass).min(kc) {
                let dst_p = &mut dst[(s * kc + p) * W..(s * kc + p + 1) * W];
                copy_padded::<T, W>(dst_p, &src[(p0 + p) * ld + c0..], valid);
            }
        }
    }
}

/// `dst` (N values) ← the first `valid` values of `src`, then zeros. The
/// common case, all N valid, is a fixed-size copy: a few vector moves.
#[inline(always)]
fn copy_padded<T: Scalar, const N: usize>(dst: &mut [T], src: &[T], valid: usize) {
    if valid == N {
        let from: &[T; N] = src[..N].try_into().expect("N values");
        dst.copy_from_slice(from);
    } else {
        // Value by value, straight into `dst`: `copy_from_slice` and `fill`
        // of a run this short were two calls into libc (6% of a 64³ f64
        // product, whose last sliver is 16 of NR = 24 columns wide), and a
        // scratch row copied out whole stalled store forwarding (its masked
        // stores, then full-width loads of them: 3% of min-char-rnn).
        let src = &src[..valid];
        let dst: &mut [T; N] = dst.try_into().expect("N values");
        for (j, x) in dst.iter_mut().enumerate() {
            *x = if j < valid { src[j] } else { T::ZERO };
        }
    }
}

/// Writes R rows side by side: `out[p·R + i] = rows[i][p]` for p < `kc`, with
/// rows `valid..R` read as zeros (`rows[i]` holds `kc` values for i < valid).
/// Both packings that turn rows of the source into columns of a sliver
/// (op(A) = A, op(B) = Bᵀ) come here.
///
/// The rows are read sixteen columns (one 64-byte line of f32) at a time:
/// sixteen values from each row, then the 16 × R block written out column by
/// column, contiguous. Taking a whole line of each row at once matters when
/// the rows are 4 KiB apart: R of them map to one 8-way L1 set, and a line
/// left half-read is evicted before its second half is wanted. (Writing one
/// row at a time into place i of every column is a store with stride R,
/// which LLVM turns into scatters; reading one value of every row per column
/// costs a bounds check per value. Each measured about three times slower.)
///
/// All R rows valid is the usual case; it gets its own copy of the loop, in
/// which the block is declared inside the loop and wholly overwritten, so
/// LLVM drops its zeros. With fewer valid rows the block is zeroed once per
/// call, outside the loop (zeroed per group of 16 columns, it was a `memset`
/// call taking 6% of a 64³ product).
#[inline(always)]
fn interleave_rows<T: Scalar, const R: usize>(
    rows: &[&[T]; R],
    valid: usize,
    kc: usize,
    out: &mut [T],
) {
    let full = kc / 16 * 16;
    if valid == R {
        for (g, dst) in out[..full * R].chunks_exact_mut(16 * R).enumerate() {
            let mut block = [[T::ZERO; 16]; R];
            for i in 0..R {
                block[i] = rows[i][g * 16..g * 16 + 16].try_into().expect("16 values");
            }
            transpose_block(&block, dst);
        }
    } else {
        // Rows valid..R stay zero; rows below are overwritten for every group.
        let mut block = [[T::ZERO; 16]; R];
        for (g, dst) in out[..full * R].chunks_exact_mut(16 * R).enumerate() {
            for i in 0..valid {
                block[i] = rows[i][g * 16..g * 16 + 16].try_into().expect("16 values");
            }
            transpose_block(&block, dst);
        }
    }
    for p in full..kc {
        for i in 0..R {
            out[p * R + i] = if i < valid { rows[i][p] } else { T::ZERO };
        }
    }
}

/// `dst[q·R + i] = block[i][q]`: a 16 × R block of rows written out as R-wide
/// columns. (A function marked inline, not a closure: a closure that LLVM
/// does not inline is compiled without the caller's vector features.)
///
/// Eight rows at a time: the 16 × 8 part is first written column by column
/// into a small contiguous array, a pattern LLVM's vectoriser turns into
/// shuffles (an interleave of 8 streams), and then copied out eight values
/// at a time. Written straight into `dst`, the stores of one row fall R
/// values apart, and with AVX-512 LLVM made them scatters (`vscatterdps`,
/// one per row): on an AMD EPYC Zen 5 that was 11% of min-char-rnn's
/// training (packing W_hhᵀ for every chunk). Timed alone, 16 × R blocks of
/// f32 through a 256-step sliver: 0.35 → 0.16 ns a value at R = 48, 0.27 →
/// 0.07 at 16, 0.26 → 0.08 at 9, and 0.24 → 0.22 at 48 with AVX2; R = 8
/// and 6 unchanged. The rows past the last multiple of 8 go value by value.
/// For f64 the same rewrite was slower with AVX-512 (0.48 → 0.60 ns at R =
/// 24) and no better in groups of 2 or 4, so f64 keeps the plain loop.
#[inline(always)]
fn transpose_block<T: Scalar, const R: usize>(block: &[[T; 16]; R], dst: &mut [T]) {
    let whole = if T::BYTES == 4 { R / 8 * 8 } else { 0 };
    for c in (0..whole).step_by(8) {
        let mut part = [T::ZERO; 128]; // part[q·8 + i] = block[c + i][q]
        for q in 0..16 {
            for i in 0..8 {
                part[q * 8 + i] = block[c + i][q];
            }
        }
        for q in 0..16 {
            dst[q * R + c..q * R + c + 8].copy_from_slice(&part[q * 8..q * 8 + 8]);
        }
    }
    for q in 0..16 {
        for i in whole..R {
            dst[q * R + i] = block[i][q];
        }
    }
}
