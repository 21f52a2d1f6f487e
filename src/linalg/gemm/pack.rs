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
            // op(A)[r, p] = A[p, r]: row p of A holds MR values of every
            // sliver contiguously. Row by row, so A is read in memory order.
            for p in 0..kc {
                let row = &src[(p0 + p) * lda..];
                for s in 0..slivers {
                    let r0 = i0 + s * MR;
                    let valid = MR.min(i0 + mc - r0);
                    let dst_p = &mut dst[(s * kc + p) * MR..(s * kc + p + 1) * MR];
                    if valid == MR {
                        let from: &[T; MR] = row[r0..r0 + MR].try_into().expect("MR elements");
                        dst_p.copy_from_slice(from);
                    } else {
                        dst_p[..valid].copy_from_slice(&row[r0..r0 + valid]);
                        dst_p[valid..].fill(T::ZERO);
                    }
                }
            }
        }
    }
}

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
            // op(B)[p, c] = B[p, c]: row p of B holds NR values of every
            // sliver contiguously. Row by row, so B is read in memory order
            // (a sliver at a time would jump a whole row between reads).
            for p in 0..kc {
                let row = &src[(p0 + p) * ldb..];
                for s in 0..slivers {
                    let c0 = j0 + s * NR;
                    let valid = NR.min(j0 + nc - c0);
                    let dst_p = &mut dst[(s * kc + p) * NR..(s * kc + p + 1) * NR];
                    if valid == NR {
                        // A fixed-size copy: compiled to a few vector moves.
                        let from: &[T; NR] = row[c0..c0 + NR].try_into().expect("NR elements");
                        dst_p.copy_from_slice(from);
                    } else {
                        dst_p[..valid].copy_from_slice(&row[c0..c0 + valid]);
                        dst_p[valid..].fill(T::ZERO);
                    }
                }
            }
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
#[inline(always)]
fn interleave_rows<T: Scalar, const R: usize>(
    rows: &[&[T]; R],
    valid: usize,
    kc: usize,
    out: &mut [T],
) {
    let full = kc / 16 * 16;
    for (g, dst) in out[..full * R].chunks_exact_mut(16 * R).enumerate() {
        let mut block = [[T::ZERO; 16]; R];
        for i in 0..valid {
            block[i] = rows[i][g * 16..g * 16 + 16].try_into().expect("16 values");
        }
        for q in 0..16 {
            for i in 0..R {
                dst[q * R + i] = block[i][q];
            }
        }
    }
    for p in full..kc {
        for i in 0..R {
            out[p * R + i] = if i < valid { rows[i][p] } else { T::ZERO };
        }
    }
}
