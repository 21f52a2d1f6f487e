//! The sequence unroll shared by all cells, the dispatch over `CellKind`, and
//! truncated BPTT.
//!
//! Every cell's sequence pass has the same frame (DERIVATIONS.md, "Sequence
//! unroll"):
//!
//! ```text
//! forward:   Z_x = X·W_ihᵀ + b_ih            one GEMM for all T steps, (T·B, G·H)
//!            pack W_hhᵀ once
//!            for t = 1 … T:  z⟨t⟩ = Z_x⟨t⟩ + a⟨t−1⟩·W_hhᵀ + b_hh, then the fused gate pass
//! backward:  for t = T … 1:  the gate pass backward, then ∂L/∂a⟨t−1⟩ = ∂L/∂z⟨t⟩·W_hh + …
//!            dW_ih += dZᵀ·X,  dX = dZ·W_ih,  dW_hh += dZᵀ·A_prev    one GEMM each
//! ```
//!
//! where A_prev stacks a⟨0⟩ … a⟨T−1⟩. The helpers here are that frame; the
//! time loops live in the cell files. When the loop would leave a second
//! thread idle (batch 1), the LSTM computes Z_x, and dX, block by block on
//! that thread while its loops run (`inputs_beside_the_loop`): the same
//! rows, the same bits.

use super::gru::{gru_backward_ws, gru_forward_ws, GruCache};
use super::lstm::{lstm_backward_ws, lstm_forward_ws, LstmCache};
use super::vanilla::{rnn_backward_ws, rnn_forward_ws, RnnCache};
use super::{CellKind, CellParams, State};
use crate::linalg::pool;
use crate::linalg::simd::vectorized;
use crate::linalg::{gemm, gemm_tn_col_sums, MatRef, Matrix, Op, Scalar, Workspace};

/// Values a pass over a whole sequence (all T·B rows: the bias of Z_x, the
/// bias gradients, the copy into [A_prev | X]) must cover before it is split
/// over the pool's threads. Such a pass runs while the pool's workers would
/// otherwise wait: at the (64, 32, 64, 256) LSTM each is 8 MiB of f32.
/// Per-step blocks stay below it and on the calling thread.
const PARALLEL_PASS_MIN: usize = 1 << 16;

/// Into how many parts a pass over `len` values, divisible into `units`
/// independent pieces, is cut: one below `PARALLEL_PASS_MIN`, else one per
/// thread. Each value is computed by one part in the same order whatever the
/// cut, so the bits never depend on it.
fn pass_parts(len: usize, units: usize) -> usize {
    if len < PARALLEL_PASS_MIN {
        1
    } else {
        pool::threads().min(units).max(1)
    }
}

/// Runs `f` on every part, as one task per part on the pool's threads (see
/// `gate_pass_in_parts`), or inline when there is only one: a pass called
/// at every step (a per-step bias) then allocates nothing.
fn run_parts<P: Send>(parts: impl Iterator<Item = P>, f: &(dyn Fn(&mut P) + Sync)) {
    let mut parts = parts.peekable();
    let Some(mut first) = parts.next() else {
        return;
    };
    if parts.peek().is_none() {
        f(&mut first);
    } else {
        gate_pass_in_parts(std::iter::once(first).chain(parts).collect(), f);
    }
}

/// Adds the row vector `bias` (length G·H) to every row of a row-major
/// block, in blocks of rows on the pool's threads when the block is large.
pub(crate) fn add_bias<T: Scalar>(block: &mut [T], bias: &[T]) {
    let w = bias.len();
    if w == 0 || block.is_empty() {
        return;
    }
    let rows = block.len() / w;
    let per = rows.div_ceil(pass_parts(block.len(), rows));
    run_parts(block.chunks_mut(per * w), &|part: &mut &mut [T]| {
        vectorized(
            #[inline(always)]
            || {
                for row in part.chunks_exact_mut(w) {
                    for (v, &b) in row.iter_mut().zip(bias) {
                        *v += b;
                    }
                }
            },
        )
    });
}

/// `dst += src`, where `dst` is the row-major storage of a matrix shaped like `src`.
pub(crate) fn add_rows<T: Scalar>(src: MatRef<T>, dst: &mut [T]) {
    let w = src.cols();
    vectorized(
        #[inline(always)]
        || {
            for i in 0..src.rows() {
                for (d, &s) in dst[i * w..(i + 1) * w].iter_mut().zip(src.row(i)) {
                    *d += s;
                }
            }
        },
    );
}

/// Copies a (possibly strided) view into row-major storage.
pub(crate) fn copy_rows<T: Scalar>(src: MatRef<T>, dst: &mut [T]) {
    let w = src.cols();
    for i in 0..src.rows() {
        dst[i * w..(i + 1) * w].copy_from_slice(src.row(i));
    }
}

/// Cell values (B·H) a step needs before its gate pass is split between
/// threads. Below it, waking a worker costs more than the half pass saves.
const PARALLEL_GATE_MIN: usize = 4096;

/// Rows of the batch per part when a step's gate pass is split over the
/// pool's threads (`b` itself when it is not split). Each row of a gate pass
/// depends only on that row, so the split changes no bit of the result.
pub(crate) fn gate_rows_per_part(b: usize, hidden: usize) -> usize {
    let threads = pool::threads();
    if threads < 2 || b < 2 || b * hidden < PARALLEL_GATE_MIN {
        b.max(1)
    } else {
        b.div_ceil(threads.min(b))
    }
}

/// Steps per block of Z_x (or of ∂L/∂Z) that `inputs_beside_the_loop` hands
/// between the time loop and the thread beside it.
pub(crate) const STEPS_PER_BLOCK: usize = 8;

/// Whether the input products, Z_x = X·W_ihᵀ + b_ih before a time loop and
/// dX = dZ·W_ih after it, should run beside the loop on a second thread,
/// block by block (`pool::side_by_side`), rather than before and after it.
/// Yes when the pool has a second thread and the loop would leave it idle:
/// a step product too small to split (`gemm::parallel_min_macs_packed`) and
/// a gate pass run whole (`gate_rows_per_part`), as at batch 1; the
/// sequence is two blocks long or more (one step at a time, as in sampling,
/// leaves nothing to overlap, and handing the work over costs more); and X
/// is not one-hot (its projection is then a gather, and dX is not formed).
/// Each row of Z_x and dX is the same sum either way, so nothing changes a
/// bit: only when the rows are computed.
pub(crate) fn inputs_beside_the_loop<T: Scalar>(
    x: MatRef<T>,
    b: usize,
    hidden: usize,
    gates: usize,
) -> bool {
    pool::threads() >= 2
        && b > 0
        && hidden > 0
        && x.cols() > 0
        && x.rows() >= 2 * STEPS_PER_BLOCK * b
        && b.saturating_mul(gates * hidden).saturating_mul(hidden)
            < crate::linalg::gemm::parallel_min_macs_packed()
        && gate_rows_per_part(b, hidden) == b
        && one_hot_positions(x).is_none()
}

/// Runs `f` on every part, one task per part on the pool's threads. A part
/// holds one block of rows of every buffer a gate pass reads or writes, cut
/// with `gate_rows_per_part`; each task locks only its own part.
pub(crate) fn gate_pass_in_parts<P: Send>(parts: Vec<P>, f: &(dyn Fn(&mut P) + Sync)) {
    pool::parallel_parts(parts.len(), parts, f);
}

/// In a buffer of consecutive (B, H) step blocks (block 0 = the initial
/// state), returns step `t`'s previous block (read) and its new block (write).
pub(crate) fn split_steps<T>(buf: &mut [T], t: usize, block: usize) -> (&[T], &mut [T]) {
    let (before, after) = buf.split_at_mut((t + 1) * block);
    (&before[t * block..], &mut after[..block])
}

/// Step `t`'s slice of a time-major mask of length T·B (1 = a real position,
/// 0 = padding after the end of a shorter sequence).
pub(crate) fn mask_at<T>(mask: Option<&[T]>, t: usize, b: usize) -> Option<&[T]> {
    mask.map(|m| &m[t * b..(t + 1) * b])
}

/// True if row `n` of a step is padding.
#[inline]
pub(crate) fn is_pad<T: Scalar>(mask_t: Option<&[T]>, n: usize) -> bool {
    mask_t.is_some_and(|m| m[n] == T::ZERO)
}

/// Forward masking: a padded row keeps its previous state, so after a
/// sequence ends its state is carried unchanged to step T (the final state is
/// then each sequence's own last state). `prev`, `next`: (B, H).
pub(crate) fn carry_padded_rows<T: Scalar>(
    mask_t: Option<&[T]>,
    prev: &[T],
    next: &mut [T],
    hidden: usize,
) {
    if let Some(m) = mask_t {
        for (n, &mn) in m.iter().enumerate() {
            if mn == T::ZERO {
                next[n * hidden..(n + 1) * hidden]
                    .copy_from_slice(&prev[n * hidden..(n + 1) * hidden]);
            }
        }
    }
}

/// The position of each row's single 1 if every row of `x` is a one-hot
/// vector o_j (one entry 1, every other 0), else `None`.
///
/// Then x⟨t⟩·W_ihᵀ = (W_ih·o_j)ᵀ is column j of W_ih, the seed's E·o_j = e_j:
/// `input_projection` and `input_gradients` gather and scatter columns
/// instead of multiplying by zeros. A dense input stops the scan at its first
/// row that is not one-hot. Each row is scanned once, without a branch per
/// value (a loop that stopped at the first stray value was a chain of
/// unpredictable branches, 4% of a min-char-rnn step): it counts the row's
/// non-zeros and its ones and sums the positions of its ones, which for a
/// one-hot row is the position of its 1. (Before, a second pass searched
/// for the 1, and the backward pass scanned X twice. `perf` of min-char-rnn
/// training, 27 columns: this function and `input_gradients`, into which
/// one scan was inlined, took 4.6% of a step then and 2.6% now.)
fn one_hot_positions<T: Scalar>(x: MatRef<T>) -> Option<Vec<usize>> {
    if x.rows() == 0 || x.cols() == 0 || x.cols() > u32::MAX as usize {
        return None;
    }
    let mut ids = Vec::with_capacity(x.rows());
    for i in 0..x.rows() {
        let (mut nonzero, mut ones, mut at) = (0u32, 0u32, 0u32);
        for (j, &v) in x.row(i).iter().enumerate() {
            let one = (v == T::ONE) as u32;
            nonzero += (v != T::ZERO) as u32;
            ones += one;
            at = at.wrapping_add(one * j as u32);
        }
        if nonzero != 1 || ones != 1 {
            return None;
        }
        ids.push(at as usize);
    }
    Some(ids)
}

/// Z_x = X · W_ihᵀ + b_ih for all steps at once: `x` (T·B, I) → (T·B, G·H).
///
/// One-hot rows (see `one_hot_positions`) take a gather: row n of Z_x is
/// column id_n of W_ih. The GEMM would form the same sum, that value plus
/// zeros (products with the zeros of o_j), so the values are the same (up to
/// the sign of a zero); `one_hot_paths_match_the_gemm_f32` and `_f64` check
/// the bits. Only non-finite weights tell the two apart: the GEMM spreads an
/// ∞ or NaN of W_ih to every row (0·∞ = NaN), the gather only to the rows
/// whose token uses that column (likewise for ∂L/∂Z in `input_gradients`).
pub(crate) fn input_projection<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    ws: &mut Workspace<T>,
) -> Matrix<T> {
    let mut z = input_product(p, x, ws);
    add_bias(z.as_mut_slice(), &p.bias_ih);
    z
}

/// X · W_ihᵀ for all steps at once, without b_ih: `x` (T·B, I) → (T·B, G·H),
/// for a cell whose step pass adds b_ih itself (the GRU, whose pass adds
/// both biases: the same sums in the same order as `input_projection` and a
/// separate bias pass, without a read and write of all of Z_x).
pub(crate) fn input_product<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    ws: &mut Workspace<T>,
) -> Matrix<T> {
    let (gh, width) = p.weight_ih.shape(); // W_ih: (G·H, I)
    let mut z = ws.take(x.rows(), gh);
    if let Some(ids) = one_hot_positions(x) {
        let w = p.weight_ih.as_slice();
        for (z_n, &id) in z.as_mut_slice().chunks_exact_mut(gh).zip(&ids) {
            for (j, out) in z_n.iter_mut().enumerate() {
                *out = w[j * width + id]; // W_ih[j, id]
            }
        }
    } else {
        gemm(
            Op::N,
            Op::T,
            T::ONE,
            x,
            p.weight_ih.view(),
            T::ZERO,
            z.view_mut(),
        );
    }
    z
}

/// dW_ih += dZᵀ·X for one-hot rows: column id_n of dW_ih gains row n of dZ.
///
/// Summed as the GEMM sums it, so the bits are those of the GEMM: for each
/// block of `kc` rows (the GEMM's KC), the rows of dZ with the same id are
/// added in order (the GEMM adds them and the zero products of the other
/// rows), and that block's sum is then added to dW_ih. `ids`: (N), `dz`:
/// (N, G·H), `dw`: (G·H, I).
fn one_hot_weight_gradient<T: Scalar>(ids: &[usize], dz: MatRef<T>, dw: &mut Matrix<T>) {
    let (gh, width) = dw.shape();
    let kc = gemm::kc::<T>();
    let mut slot = vec![usize::MAX; width]; // where column j's sums are, if used
    let mut used: Vec<usize> = Vec::new(); // the columns used in this block
    let mut sums: Vec<T> = Vec::new(); // (used, G·H)
    for (b, block) in ids.chunks(kc).enumerate() {
        for (r, &id) in block.iter().enumerate() {
            if slot[id] == usize::MAX {
                slot[id] = used.len();
                used.push(id);
                sums.resize(used.len() * gh, T::ZERO);
            }
            let s = &mut sums[slot[id] * gh..(slot[id] + 1) * gh];
            for (s_j, &d) in s.iter_mut().zip(dz.row(b * kc + r)) {
                *s_j += d;
            }
        }
        let w = dw.as_mut_slice();
        for (u, &id) in used.iter().enumerate() {
            for (j, &s_j) in sums[u * gh..(u + 1) * gh].iter().enumerate() {
                w[j * width + id] = s_j + w[j * width + id];
            }
            slot[id] = usize::MAX;
        }
        used.clear();
        sums.clear();
    }
}

/// After the time loop: dW_ih += dZᵀ·X, db_ih += Σ_rows dZ, and returns
/// dX = dZ · W_ih, or an empty (0, I) matrix when `want_dx` is false (x is
/// data, such as one-hot tokens, whose gradient nobody uses). `x`: (N, I),
/// `dz`: (N, G·H).
pub(crate) fn input_gradients<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    dz: MatRef<T>,
    grads: &mut CellParams<T>,
    ws: &mut Workspace<T>,
    want_dx: bool,
) -> Matrix<T> {
    input_gradients_at(p, x, one_hot_positions(x), dz, grads, ws, want_dx)
}

/// `input_gradients` with the one-hot positions of `x` already found.
fn input_gradients_at<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    one_hot: Option<Vec<usize>>,
    dz: MatRef<T>,
    grads: &mut CellParams<T>,
    ws: &mut Workspace<T>,
    want_dx: bool,
) -> Matrix<T> {
    match one_hot {
        Some(ids) => {
            one_hot_weight_gradient(&ids, dz, &mut grads.weight_ih);
            column_sums_into(dz, &mut grads.bias_ih);
        }
        // db_ih from the packed copy of dZᵀ the product makes.
        None => gemm_tn_col_sums(
            T::ONE,
            dz,
            x,
            T::ONE,
            grads.weight_ih.view_mut(),
            &mut grads.bias_ih,
        ),
    }
    input_dx(p, dz, ws, want_dx)
}

/// dX = dZ · W_ih, or an empty (0, I) matrix when `want_dx` is false.
fn input_dx<T: Scalar>(
    p: &CellParams<T>,
    dz: MatRef<T>,
    ws: &mut Workspace<T>,
    want_dx: bool,
) -> Matrix<T> {
    let isz = p.weight_ih.cols();
    if !want_dx {
        return Matrix::zeros(0, isz);
    }
    let mut dx = ws.take(dz.rows(), isz);
    gemm(
        Op::N,
        Op::N,
        T::ONE,
        dz,
        p.weight_ih.view(),
        T::ZERO,
        dx.view_mut(),
    );
    dx
}

/// After the time loop of a cell whose input and recurrent weights meet the
/// same ∂L/∂Z (RNN and LSTM): dW_hh += dZᵀ·A_prev, dW_ih += dZᵀ·X, db_hh and
/// db_ih += Σ_rows dZ, and returns dX as `input_gradients` does. `x`: (N, I),
/// `a_prev`: (N, H), `dz`: (N, G·H).
///
/// The course writes the two weights side by side, W_a = [W_aa | W_ax], to
/// act on [a⟨t−1⟩, x⟨t⟩]; so here: one GEMM dZᵀ·[A_prev | X] gives
/// [dW_hh | dW_ih]. Two GEMMs would each copy all of dZ (N·G·H values, 8 MiB
/// of f32 at the benchmark's (64, 32, 64, 256) LSTM) into packed form; one
/// copies it once; and the bias sums, one set for both biases, are taken
/// from that packed copy (`gemm_tn_col_sums`) instead of another pass over dZ.
/// With gradients starting from zero, as in training, each value has the same
/// bits as from the two GEMMs (the GEMM adds its KC blocks into a zero C in
/// the same order); accumulated onto nonzero gradients, it is one rounding
/// later. One-hot X keeps the separate paths (its dW_ih is a gather).
pub(crate) fn weight_gradients<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    a_prev: MatRef<T>,
    dz: MatRef<T>,
    grads: &mut CellParams<T>,
    ws: &mut Workspace<T>,
    want_dx: bool,
) -> Matrix<T> {
    let (n, hsz, isz) = (dz.rows(), a_prev.cols(), x.cols());
    let one_hot = one_hot_positions(x);
    if one_hot.is_some() || n == 0 {
        let dx = input_gradients_at(p, x, one_hot, dz, grads, ws, want_dx);
        weight_hh_gradient(dz, a_prev, 0, grads);
        return dx;
    }
    // [a⟨t−1⟩, x⟨t⟩] for every step: (N, H + I), in blocks of rows.
    let w = hsz + isz;
    let mut ax = ws.take(n, w);
    let per = n.div_ceil(pass_parts(n * w, n));
    let parts = ax.as_mut_slice().chunks_mut(per * w).enumerate();
    run_parts(parts, &|(i, block)| {
        for (r, row) in block.chunks_exact_mut(w).enumerate() {
            row[..hsz].copy_from_slice(a_prev.row(*i * per + r));
            row[hsz..].copy_from_slice(x.row(*i * per + r));
        }
    });
    // [dW_hh | dW_ih] = dZᵀ · [A_prev | X]: (G·H, H + I), and db_hh = db_ih
    // = Σ_rows dZ, summed once, from the packed copy of dZᵀ the product makes.
    let gh = dz.cols();
    let mut dw = ws.take(gh, w);
    let mut db = ws.take(1, gh);
    db.as_mut_slice().fill(T::ZERO);
    gemm_tn_col_sums(
        T::ONE,
        dz,
        ax.view(),
        T::ZERO,
        dw.view_mut(),
        db.as_mut_slice(),
    );
    let per = gh.div_ceil(pass_parts(gh * w, gh));
    let parts = dw
        .as_slice()
        .chunks(per * w)
        .zip(grads.weight_hh.as_mut_slice().chunks_mut(per * hsz))
        .zip(grads.weight_ih.as_mut_slice().chunks_mut(per * isz));
    run_parts(parts, &|((dw, g_hh), g_ih)| {
        vectorized(
            #[inline(always)]
            || {
                let rows = dw.chunks_exact(w).zip(g_hh.chunks_exact_mut(hsz));
                for ((d, g_hh), g_ih) in rows.zip(g_ih.chunks_exact_mut(isz)) {
                    let (d_hh, d_ih) = d.split_at(hsz);
                    for (g, &d) in g_hh.iter_mut().zip(d_hh) {
                        *g += d;
                    }
                    for (g, &d) in g_ih.iter_mut().zip(d_ih) {
                        *g += d;
                    }
                }
            },
        )
    });
    for ((g_hh, g_ih), &d) in grads
        .bias_hh
        .iter_mut()
        .zip(&mut grads.bias_ih)
        .zip(db.as_slice())
    {
        *g_hh += d;
        *g_ih += d;
    }
    ws.keep(ax);
    ws.keep(dw);
    ws.keep(db);
    input_dx(p, dz, ws, want_dx)
}

/// After the time loop: rows `row0 ..` of dW_hh += dZᵀ · A_prev and of db_hh
/// += Σ_rows dZ. `dz`: (N, k·H) for k gate blocks, `a_prev`: (N, H), the
/// recurrent inputs of those gate blocks at every step.
pub(crate) fn weight_hh_gradient<T: Scalar>(
    dz: MatRef<T>,
    a_prev: MatRef<T>,
    row0: usize,
    grads: &mut CellParams<T>,
) {
    let rows = dz.cols();
    let hsz = grads.weight_hh.cols();
    gemm_tn_col_sums(
        T::ONE,
        dz,
        a_prev,
        T::ONE,
        grads.weight_hh.block_mut(row0, 0, rows, hsz),
        &mut grads.bias_hh[row0..row0 + rows],
    );
}

/// `out[j] += Σ_i m[i, j]`, adding row by row in order. (Compiled for the
/// active vectors: at T·B = 2048 rows of 4H = 1024 this pass is a read of
/// 8 MiB, which is why a bias gradient beside a GEMM is summed inside it,
/// `gemm_tn_col_sums`, to the same bits; this pass is left for one-hot X.)
/// A large pass is cut into blocks of columns (multiples of 16) on the pool's
/// threads; each column is still summed in row order.
fn column_sums_into<T: Scalar>(m: MatRef<T>, out: &mut [T]) {
    let cols = out.len();
    if cols == 0 {
        return;
    }
    let parts = pass_parts(m.rows() * cols, cols.div_ceil(16));
    let per = cols.div_ceil(parts).next_multiple_of(16);
    run_parts(out.chunks_mut(per).enumerate(), &|(i, out)| {
        let j0 = *i * per;
        vectorized(
            #[inline(always)]
            || {
                for r in 0..m.rows() {
                    for (o, &v) in out.iter_mut().zip(&m.row(r)[j0..]) {
                        *o += v;
                    }
                }
            },
        )
    });
}

/// The forward cache of any cell.
#[derive(Clone, Debug)]
pub enum SeqCache<T> {
    /// Vanilla RNN.
    Rnn(RnnCache<T>),
    /// GRU (either form).
    Gru(GruCache<T>),
    /// LSTM.
    Lstm(LstmCache<T>),
}

impl<T: Scalar> SeqCache<T> {
    /// a⟨1⟩ … a⟨T⟩: (T·B, H).
    pub fn outputs(&self) -> MatRef<'_, T> {
        match self {
            SeqCache::Rnn(c) => c.outputs(),
            SeqCache::Gru(c) => c.outputs(),
            SeqCache::Lstm(c) => c.outputs(),
        }
    }

    /// The state after the last step.
    pub fn final_state(&self) -> State<T> {
        match self {
            SeqCache::Rnn(c) => c.final_state(),
            SeqCache::Gru(c) => c.final_state(),
            SeqCache::Lstm(c) => c.final_state(),
        }
    }

    /// Makes the backward pass skip ∂L/∂x (it returns an empty (0, I)
    /// matrix instead): for inputs that are data, such as one-hot tokens.
    /// Parameter gradients are unchanged, bit for bit.
    pub fn skip_input_grad(&mut self) {
        match self {
            SeqCache::Rnn(c) => c.input_grad = false,
            SeqCache::Gru(c) => c.input_grad = false,
            SeqCache::Lstm(c) => c.input_grad = false,
        }
    }

    /// Hands the cache's memory to `ws` for the next pass.
    pub fn recycle(self, ws: &mut Workspace<T>) {
        match self {
            SeqCache::Rnn(c) => c.recycle(ws),
            SeqCache::Gru(c) => c.recycle(ws),
            SeqCache::Lstm(c) => c.recycle(ws),
        }
    }
}

/// Runs any cell over a sequence. `x`: (T·B, I) time-major; `state0`: the
/// initial state, (B, H) each; `mask`: optional, length T·B, 1 for real
/// positions and 0 for padding (a padded row carries its state unchanged, so
/// sequences of different lengths share a batch; see DERIVATIONS.md, "Masking").
pub fn sequence_forward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    state0: &State<T>,
    mask: Option<&[T]>,
) -> SeqCache<T> {
    sequence_forward_ws(p, x, state0, mask, &mut Workspace::new())
}

/// `sequence_forward` with its buffers taken from `ws` (see
/// `linalg::Workspace`; the same bits either way).
pub fn sequence_forward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    state0: &State<T>,
    mask: Option<&[T]>,
    ws: &mut Workspace<T>,
) -> SeqCache<T> {
    if let Some(m) = mask {
        assert!(
            m.len() == x.rows(),
            "sequence_forward: mask of length {} for {} rows",
            m.len(),
            x.rows()
        );
    }
    let (h0, c0) = (state0.h.view(), state0.c.as_ref().map(|c| c.view()));
    match p.kind {
        CellKind::Rnn(_) => SeqCache::Rnn(rnn_forward_ws(p, x, h0, mask, ws)),
        CellKind::Gru(_) => SeqCache::Gru(gru_forward_ws(p, x, h0, mask, ws)),
        CellKind::Lstm => {
            let c0 = c0.expect("LSTM state needs a memory cell c");
            SeqCache::Lstm(lstm_forward_ws(p, x, h0, c0, mask, ws))
        }
    }
}

/// Backward of `sequence_forward` (dispatches to `rnn_backward`,
/// `gru_backward` or `lstm_backward`). `dy`: ∂L/∂a⟨t⟩ for every step
/// (T·B, H); `d_final`: the gradient of the final state, if the loss uses it.
/// Adds into `grads`; returns (∂L/∂x (T·B, I), ∂L/∂state0).
pub fn sequence_backward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &SeqCache<T>,
    dy: MatRef<T>,
    d_final: Option<&State<T>>,
    grads: &mut CellParams<T>,
) -> (Matrix<T>, State<T>) {
    sequence_backward_ws(p, x, cache, dy, d_final, grads, &mut Workspace::new())
}

/// `sequence_backward` with its buffers taken from `ws` (see
/// `linalg::Workspace`; the same bits either way).
pub fn sequence_backward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &SeqCache<T>,
    dy: MatRef<T>,
    d_final: Option<&State<T>>,
    grads: &mut CellParams<T>,
    ws: &mut Workspace<T>,
) -> (Matrix<T>, State<T>) {
    let (tb, hsz) = dy.shape();
    let batch = match cache {
        SeqCache::Rnn(c) => c.batch,
        SeqCache::Gru(c) => c.batch,
        SeqCache::Lstm(c) => c.batch,
    };
    debug_assert!(batch == 0 || tb % batch == 0);
    let zeros = State::zeros(p.kind, batch, hsz);
    let d_final = d_final.unwrap_or(&zeros);
    match cache {
        SeqCache::Rnn(c) => {
            let (dx, dh0) = rnn_backward_ws(p, x, c, dy, d_final.h.view(), grads, ws);
            (dx, State { h: dh0, c: None })
        }
        SeqCache::Gru(c) => {
            let (dx, dh0) = gru_backward_ws(p, x, c, dy, d_final.h.view(), grads, ws);
            (dx, State { h: dh0, c: None })
        }
        SeqCache::Lstm(c) => {
            let (dx, dh0, dc0) = lstm_backward_ws(
                p,
                x,
                c,
                dy,
                d_final.h.view(),
                d_final.cell().view(),
                grads,
                ws,
            );
            (
                dx,
                State {
                    h: dh0,
                    c: Some(dc0),
                },
            )
        }
    }
}

/// What `tbptt` returns.
#[derive(Clone, Debug)]
pub struct TbpttResult<T> {
    /// a⟨1⟩ … a⟨T⟩: (T·B, H).
    pub outputs: Matrix<T>,
    /// The state after the last step.
    pub final_state: State<T>,
    /// ∂L/∂x: (T·B, I), each chunk's own BPTT.
    pub dx: Matrix<T>,
    /// ∂L/∂state0, from the first chunk only (gradients stop at chunk boundaries).
    pub d_state0: State<T>,
}

/// Truncated BPTT (DERIVATIONS.md, "Truncated BPTT"): runs the sequence in
/// chunks of `chunk` steps. Each chunk starts from the previous chunk's final
/// state (carried forward as a constant) and backpropagates only within
/// itself; `d_final` enters the last chunk only. Parameter gradients of all
/// chunks are added into `grads`.
///
/// With `chunk ≥ T` this is exactly `sequence_forward` + `sequence_backward`.
pub fn tbptt<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    state0: &State<T>,
    chunk: usize,
    dy: MatRef<T>,
    d_final: Option<&State<T>>,
    grads: &mut CellParams<T>,
) -> TbpttResult<T> {
    let b = state0.h.rows();
    let hsz = p.hidden_size();
    let steps = x.rows() / b.max(1);
    let chunk = chunk.max(1);
    let mut outputs = Matrix::zeros(steps * b, hsz);
    let mut dx = Matrix::zeros(steps * b, p.input_size());
    let mut state = state0.clone();
    let mut d_state0 = State::zeros(p.kind, b, hsz);
    let mut t0 = 0;
    while t0 < steps {
        let t1 = (t0 + chunk).min(steps);
        let xc = x.rows_range(t0 * b, t1 * b);
        let cache = sequence_forward(p, xc, &state, None);
        let last = t1 == steps;
        let (dxc, ds0) = sequence_backward(
            p,
            xc,
            &cache,
            dy.rows_range(t0 * b, t1 * b),
            if last { d_final } else { None },
            grads,
        );
        copy_rows(
            cache.outputs(),
            &mut outputs.as_mut_slice()[t0 * b * hsz..t1 * b * hsz],
        );
        copy_rows(
            dxc.view(),
            &mut dx.as_mut_slice()[t0 * b * p.input_size()..t1 * b * p.input_size()],
        );
        if t0 == 0 {
            d_state0 = ds0;
        }
        state = cache.final_state();
        t0 = t1;
    }
    TbpttResult {
        outputs,
        final_state: state,
        dx,
        d_state0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn one_hot<T: Scalar>(ids: &[usize], width: usize) -> Matrix<T> {
        let mut x = Matrix::zeros(ids.len(), width);
        for (n, &id) in ids.iter().enumerate() {
            x.set(n, id, T::ONE);
        }
        x
    }

    #[test]
    fn one_hot_positions_accepts_only_one_hot_rows() {
        let x = one_hot::<f32>(&[2, 0, 2], 3);
        assert_eq!(one_hot_positions(x.view()), Some(vec![2, 0, 2]));
        let mut two_ones = x.clone();
        two_ones.set(1, 1, 1.0);
        assert_eq!(one_hot_positions(two_ones.view()), None);
        let mut no_one = x.clone();
        no_one.set(2, 2, 0.0);
        assert_eq!(one_hot_positions(no_one.view()), None);
        let mut other = x.clone();
        other.set(0, 1, 0.5);
        assert_eq!(one_hot_positions(other.view()), None);
        assert_eq!(one_hot_positions(Matrix::<f32>::zeros(0, 3).view()), None);
    }

    /// The gather and the scatter give the GEMM's bits, over several KC
    /// blocks of rows and with ids that repeat, in f32 (where a different
    /// order of the additions shows) and f64.
    fn one_hot_paths_match_the_gemm<T: Scalar>() {
        let mut rng = Rng::new(5);
        let (n, vocab, hidden) = (2 * gemm::kc::<T>() + 77, 9, 6);
        let kind = CellKind::Lstm;
        let p = CellParams::<T>::new(kind, vocab, hidden, &mut rng);
        let ids: Vec<usize> = (0..n).map(|_| rng.below(vocab)).collect();
        let x = one_hot::<T>(&ids, vocab);
        let gh = 4 * hidden;

        let z = input_projection(&p, x.view(), &mut Workspace::new());
        let mut want = Matrix::zeros(n, gh);
        gemm(
            Op::N,
            Op::T,
            T::ONE,
            x.view(),
            p.weight_ih.view(),
            T::ZERO,
            want.view_mut(),
        );
        add_bias(want.as_mut_slice(), &p.bias_ih);
        let bits = |m: &Matrix<T>| {
            m.as_slice()
                .iter()
                .map(|v| v.to_f64().to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&z), bits(&want), "Z_x");

        let dz = Matrix::<T>::random_uniform(n, gh, -1.0, 1.0, &mut rng);
        let mut grads = CellParams::<T>::new(kind, vocab, hidden, &mut rng); // not zero: += is tested
        let mut want = grads.weight_ih.clone();
        let dx = input_gradients(
            &p,
            x.view(),
            dz.view(),
            &mut grads,
            &mut Workspace::new(),
            false,
        );
        assert_eq!(dx.shape(), (0, vocab));
        gemm(
            Op::T,
            Op::N,
            T::ONE,
            dz.view(),
            x.view(),
            T::ONE,
            want.view_mut(),
        );
        assert_eq!(bits(&grads.weight_ih), bits(&want), "dW_ih");
    }

    #[test]
    fn one_hot_paths_match_the_gemm_f32() {
        one_hot_paths_match_the_gemm::<f32>();
    }

    #[test]
    fn one_hot_paths_match_the_gemm_f64() {
        one_hot_paths_match_the_gemm::<f64>();
    }

    /// `weight_gradients` (one GEMM on [A_prev | X], one pass of bias sums)
    /// against `input_gradients` and `weight_hh_gradient` (two GEMMs, two
    /// passes): the same bits from zero gradients, over several KC blocks of
    /// rows and with dX; from nonzero gradients, the same values to a few
    /// roundings.
    fn fused_weight_gradients_match_the_two_gemms<T: Scalar>(tol: f64) {
        let mut rng = Rng::new(8);
        let (n, input, hidden) = (2 * gemm::kc::<T>() + 41, 7, 5);
        let p = CellParams::<T>::new(CellKind::Lstm, input, hidden, &mut rng);
        let x = Matrix::<T>::random_uniform(n, input, -1.0, 1.0, &mut rng);
        let a_prev = Matrix::<T>::random_uniform(n, hidden, -1.0, 1.0, &mut rng);
        let dz = Matrix::<T>::random_uniform(n, 4 * hidden, -1.0, 1.0, &mut rng);
        let tensors = |g: &CellParams<T>, dx: &Matrix<T>| {
            [
                g.weight_ih.as_slice(),
                g.weight_hh.as_slice(),
                &g.bias_ih,
                &g.bias_hh,
                dx.as_slice(),
            ]
            .map(|t| t.iter().map(|v| v.to_f64()).collect::<Vec<f64>>())
        };
        for start in ["zero", "nonzero"] {
            let mut start_grads = p.zeros_like();
            if start == "nonzero" {
                for w in [&mut start_grads.weight_ih, &mut start_grads.weight_hh] {
                    for v in w.as_mut_slice() {
                        *v = T::from_f64(rng.normal());
                    }
                }
                for b in [&mut start_grads.bias_ih, &mut start_grads.bias_hh] {
                    for v in b.iter_mut() {
                        *v = T::from_f64(rng.normal());
                    }
                }
            }
            let mut fused = start_grads.clone();
            let mut ws = Workspace::new();
            let dx = weight_gradients(
                &p,
                x.view(),
                a_prev.view(),
                dz.view(),
                &mut fused,
                &mut ws,
                true,
            );
            let mut two = start_grads.clone();
            let dx_two = input_gradients(&p, x.view(), dz.view(), &mut two, &mut ws, true);
            weight_hh_gradient(dz.view(), a_prev.view(), 0, &mut two);
            let (got, want) = (tensors(&fused, &dx), tensors(&two, &dx_two));
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.len(), w.len());
                for (a, b) in g.iter().zip(w) {
                    if start == "zero" {
                        assert_eq!(a.to_bits(), b.to_bits(), "tensor {k}: {a} vs {b}");
                    } else {
                        let err = (a - b).abs() / b.abs().max(1.0);
                        assert!(err <= tol, "tensor {k}, {start}: {a} vs {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn fused_weight_gradients_match_the_two_gemms_f32() {
        fused_weight_gradients_match_the_two_gemms::<f32>(1e-5);
    }

    #[test]
    fn fused_weight_gradients_match_the_two_gemms_f64() {
        fused_weight_gradients_match_the_two_gemms::<f64>(1e-13);
    }
}
