//! The GRU: memory cell c⟨t⟩ (= a⟨t⟩), candidate c̃⟨t⟩, update gate Γu and
//! relevance (reset) gate Γr, in both published forms. PyTorch's gate blocks
//! are [r | z | n]: r = Γr, n = c̃, and z is the update gate.
//!
//! **ResetAfter** (PyTorch / cuDNN), for a batch with one example per row:
//!
//! ```text
//! r  = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)
//! z  = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
//! n  = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn))
//! h′ = (1 − z) ⊙ n + z ⊙ h
//! ```
//!
//! **ResetBefore** (the course; Cho et al. 2014), on the same packed tensors:
//!
//! ```text
//! Γr = σ(x·W_irᵀ + b_ir + c·W_hrᵀ + b_hr)
//! Γu = σ(x·W_izᵀ + b_iz + c·W_hzᵀ + b_hz)
//! c̃  = tanh(x·W_inᵀ + b_in + (Γr ⊙ c)·W_hnᵀ + b_hn)
//! c′ = Γu ⊙ c̃ + (1 − Γu) ⊙ c
//! ```
//!
//! The two differ where the gate multiplies (after or before the recurrent
//! product) and in which of n/c̃ and h/c the update gate weights. DERIVATIONS.md
//! ("GRU") derives both backward passes and maps each onto the packed tensors.

use super::sequence::{
    add_rows, carry_padded_rows, copy_rows, input_gradients, input_product, is_pad, mask_at,
    split_steps, weight_hh_gradient,
};
use super::{CellKind, CellParams, GruVariant, State};
use crate::linalg::simd::vectorized;
use crate::linalg::{gemm, gemm_prepacked, MatRef, Matrix, Op, Scalar, Workspace};

/// The r, z and n blocks of a bias (3H), each H long.
#[inline(always)]
fn gate_blocks<T>(bias: &[T], hidden: usize) -> (&[T], &[T], &[T]) {
    let (r, rest) = bias[..3 * hidden].split_at(hidden);
    let (z, n) = rest.split_at(hidden);
    (r, z, n)
}

fn variant<T>(p: &CellParams<T>) -> GruVariant {
    match p.kind {
        CellKind::Gru(v) => v,
        other => panic!("GRU function called with {} parameters", other.name()),
    }
}

/// ResetAfter, fused step: `zx` (B, 3H) holds x·W_ihᵀ on entry and
/// [r | z | n] on exit; `gh` (B, 3H) is h·W_hhᵀ. The pass adds the biases
/// `b_ih` and `b_hh` (3H each) as (x·W_ihᵀ + b_ih) + (h·W_hhᵀ + b_hh), the
/// sums a bias pass over each product would form first, without those two
/// passes (one of them over all T·B rows of x·W_ihᵀ). Writes `hn` = the
/// n-block of h·W_hhᵀ + b_hh (kept for the backward pass) and h′ (B, H).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gru_after_step_forward<T: Scalar>(
    zx: &mut [T],
    gh: &[T],
    b_ih: &[T],
    b_hh: &[T],
    h_prev: &[T],
    hn: &mut [T],
    h: &mut [T],
    hidden: usize,
) {
    let g3 = 3 * hidden;
    let (b_ir, b_iz, b_in) = gate_blocks(b_ih, hidden);
    let (b_hr, b_hz, b_hn) = gate_blocks(b_hh, hidden);
    for (row, (zrow, grow)) in zx.chunks_exact_mut(g3).zip(gh.chunks_exact(g3)).enumerate() {
        let o = row * hidden;
        for j in 0..hidden {
            let r = ((zrow[j] + b_ir[j]) + (grow[j] + b_hr[j])).fast_sigmoid();
            let z = ((zrow[hidden + j] + b_iz[j]) + (grow[hidden + j] + b_hz[j])).fast_sigmoid();
            let hnj = grow[2 * hidden + j] + b_hn[j];
            let n = ((zrow[2 * hidden + j] + b_in[j]) + r * hnj).fast_tanh();
            zrow[j] = r;
            zrow[hidden + j] = z;
            zrow[2 * hidden + j] = n;
            hn[o + j] = hnj;
            h[o + j] = (T::ONE - z) * n + z * h_prev[o + j];
        }
    }
}

/// ResetAfter, element-wise backward of one step. Inputs: `gates` [r | z | n],
/// `hn` = h·W_hnᵀ + b_hn, `h_prev`, `dh` = ∂L/∂h′ (all (B, ·)). Writes
/// `dzx` = ∂L/∂(input pre-activations) and `dzh` = ∂L/∂(h·W_hhᵀ + b_hh), each
/// (B, 3H), `dzh_n` = the n block of `dzh` again (B, H), and `dh_direct` =
/// the part of ∂L/∂h that bypasses W_hh (z ⊙ dh′).
///
/// The r and z blocks of `dzh` equal those of `dzx`, so only the n block is
/// kept for all steps (`dzh_n`, for dW_hn); `dzh` is one step's scratch for
/// the product with W_hh. (Keeping all of `dzh`, (T·B, 3H), wrote twice as
/// much per step; see `gru_backward_ws`.)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gru_after_step_backward<T: Scalar>(
    gates: &[T],
    hn: &[T],
    h_prev: &[T],
    dh: &[T],
    mask: Option<&[T]>,
    dzx: &mut [T],
    dzh: &mut [T],
    dzh_n: &mut [T],
    dh_direct: &mut [T],
    hidden: usize,
) {
    let g3 = 3 * hidden;
    for row in 0..gates.len() / g3.max(1) {
        let (g, dx, dhh) = (
            &gates[row * g3..(row + 1) * g3],
            &mut dzx[row * g3..(row + 1) * g3],
            &mut dzh[row * g3..(row + 1) * g3],
        );
        let o = row * hidden;
        if is_pad(mask, row) {
            // A padded row did not step: the state passes through whole.
            dx.iter_mut()
                .chain(dhh.iter_mut())
                .chain(dzh_n[o..o + hidden].iter_mut())
                .for_each(|v| *v = T::ZERO);
            dh_direct[o..o + hidden].copy_from_slice(&dh[o..o + hidden]);
            continue;
        }
        for j in 0..hidden {
            let (r, z, n) = (g[j], g[hidden + j], g[2 * hidden + j]);
            let d = dh[o + j];
            // h′ = (1 − z) ⊙ n + z ⊙ h
            let dn = d * (T::ONE - z);
            let dz = d * (h_prev[o + j] - n);
            dh_direct[o + j] = d * z;
            // n = tanh(a_n),  a_n = x-part + r ⊙ hn
            let dan = dn * (T::ONE - n * n);
            let dr = dan * hn[o + j];
            let dar = dr * r * (T::ONE - r);
            let daz = dz * z * (T::ONE - z);
            dx[j] = dar;
            dx[hidden + j] = daz;
            dx[2 * hidden + j] = dan;
            dhh[j] = dar;
            dhh[hidden + j] = daz;
            let dhn = dan * r;
            dhh[2 * hidden + j] = dhn;
            dzh_n[o + j] = dhn;
        }
    }
}

/// ResetBefore, first half of a step: `zx` (B, 3H) holds x·W_ihᵀ;
/// `gh_ru` (B, 2H) = c·[W_hr; W_hz]ᵀ. Adds the biases (`b_ih`: 3H, `b_hh`:
/// 3H, of which the r and z blocks are used) as `gru_after_step_forward`
/// does, and writes Γr, Γu into the first two blocks of `zx` and Γr ⊙ c into
/// `rh` (B, H).
#[inline(always)]
fn gru_before_gates_forward<T: Scalar>(
    zx: &mut [T],
    gh_ru: &[T],
    b_ih: &[T],
    b_hh: &[T],
    h_prev: &[T],
    rh: &mut [T],
    hidden: usize,
) {
    let (g3, g2) = (3 * hidden, 2 * hidden);
    let (b_ir, b_iz, _) = gate_blocks(b_ih, hidden);
    let (b_hr, b_hz, _) = gate_blocks(b_hh, hidden);
    for (row, (zrow, grow)) in zx
        .chunks_exact_mut(g3)
        .zip(gh_ru.chunks_exact(g2))
        .enumerate()
    {
        let o = row * hidden;
        for j in 0..hidden {
            let r = ((zrow[j] + b_ir[j]) + (grow[j] + b_hr[j])).fast_sigmoid();
            zrow[j] = r;
            zrow[hidden + j] =
                ((zrow[hidden + j] + b_iz[j]) + (grow[hidden + j] + b_hz[j])).fast_sigmoid();
            rh[o + j] = r * h_prev[o + j];
        }
    }
}

/// ResetBefore, second half: `gh_n` (B, H) = (Γr ⊙ c)·W_hnᵀ. Adds the n
/// blocks of the biases as the first half does, writes c̃ into the third
/// block of `zx` and c′ = Γu ⊙ c̃ + (1 − Γu) ⊙ c into `h`.
#[inline(always)]
fn gru_before_update_forward<T: Scalar>(
    zx: &mut [T],
    gh_n: &[T],
    b_ih: &[T],
    b_hh: &[T],
    h_prev: &[T],
    h: &mut [T],
    hidden: usize,
) {
    let g3 = 3 * hidden;
    let (_, _, b_in) = gate_blocks(b_ih, hidden);
    let (_, _, b_hn) = gate_blocks(b_hh, hidden);
    for (row, zrow) in zx.chunks_exact_mut(g3).enumerate() {
        let o = row * hidden;
        for j in 0..hidden {
            let u = zrow[hidden + j];
            let cand = ((zrow[2 * hidden + j] + b_in[j]) + (gh_n[o + j] + b_hn[j])).fast_tanh();
            zrow[2 * hidden + j] = cand;
            h[o + j] = u * cand + (T::ONE - u) * h_prev[o + j];
        }
    }
}

/// ResetBefore, first half of a backward step. From `gates` [Γr | Γu | c̃],
/// `h_prev` = c and `dh` = ∂L/∂c′, writes into `dz` (B, 3H) the Γu and c̃
/// pre-activation gradients (blocks 2 and 3) and `dh_direct` = (1 − Γu) ⊙ dc′.
#[inline(always)]
fn gru_before_step_backward_update<T: Scalar>(
    gates: &[T],
    h_prev: &[T],
    dh: &[T],
    mask: Option<&[T]>,
    dz: &mut [T],
    dh_direct: &mut [T],
    hidden: usize,
) {
    let g3 = 3 * hidden;
    for row in 0..gates.len() / g3.max(1) {
        let (g, d) = (
            &gates[row * g3..(row + 1) * g3],
            &mut dz[row * g3..(row + 1) * g3],
        );
        let o = row * hidden;
        if is_pad(mask, row) {
            // A padded row did not step: the state passes through whole, and the
            // zero n block makes the reset half add nothing either.
            d.iter_mut().for_each(|v| *v = T::ZERO);
            dh_direct[o..o + hidden].copy_from_slice(&dh[o..o + hidden]);
            continue;
        }
        for j in 0..hidden {
            let (u, cand) = (g[hidden + j], g[2 * hidden + j]);
            let dc = dh[o + j];
            // c′ = Γu ⊙ c̃ + (1 − Γu) ⊙ c
            let dcand = dc * u;
            let du = dc * (cand - h_prev[o + j]);
            dh_direct[o + j] = dc * (T::ONE - u);
            d[hidden + j] = du * u * (T::ONE - u);
            d[2 * hidden + j] = dcand * (T::ONE - cand * cand);
        }
    }
}

/// ResetBefore, second half: `drh` = ∂L/∂(Γr ⊙ c) = dz_n · W_hn (B, H). Writes
/// the Γr pre-activation gradient (block 1 of `dz`) and adds Γr ⊙ drh into
/// `dh_direct`.
#[inline(always)]
fn gru_before_step_backward_reset<T: Scalar>(
    gates: &[T],
    h_prev: &[T],
    drh: &[T],
    dz: &mut [T],
    dh_direct: &mut [T],
    hidden: usize,
) {
    let g3 = 3 * hidden;
    for row in 0..gates.len() / g3.max(1) {
        let (g, d) = (
            &gates[row * g3..(row + 1) * g3],
            &mut dz[row * g3..(row + 1) * g3],
        );
        let o = row * hidden;
        for j in 0..hidden {
            let r = g[j];
            let dr = drh[o + j] * h_prev[o + j];
            d[j] = dr * r * (T::ONE - r);
            dh_direct[o + j] += drh[o + j] * r;
        }
    }
}

/// What `gru_cell_backward` needs from `gru_cell_forward`.
#[derive(Clone, Debug)]
pub struct GruCellCache<T> {
    /// x⟨t⟩: (B, I).
    pub x: Matrix<T>,
    /// h⟨t−1⟩ (= c⟨t−1⟩): (B, H).
    pub h_prev: Matrix<T>,
    /// [r | z | n] (ResetAfter) or [Γr | Γu | c̃] (ResetBefore): (B, 3H).
    pub gates: Matrix<T>,
    /// ResetAfter: h·W_hnᵀ + b_hn. ResetBefore: Γr ⊙ c. (B, H).
    pub aux: Matrix<T>,
}

/// One GRU step, in the form `p.kind` names. Returns (h′, cache).
/// `x`: (B, I), `h_prev`: (B, H).
pub fn gru_cell_forward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h_prev: MatRef<T>,
) -> (Matrix<T>, GruCellCache<T>) {
    let (b, hsz) = h_prev.shape();
    // x·W_ihᵀ, as `gru_forward` forms it for all steps (the gate passes add
    // the biases).
    let mut gates = input_product(p, x, &mut Workspace::new());
    let hp = h_prev.to_matrix();
    let mut aux = Matrix::zeros(b, hsz);
    let mut h = Matrix::zeros(b, hsz);
    match variant(p) {
        GruVariant::ResetAfter => {
            let mut gh = Matrix::zeros(b, 3 * hsz);
            gemm(
                Op::N,
                Op::T,
                T::ONE,
                h_prev,
                p.weight_hh.view(),
                T::ZERO,
                gh.view_mut(),
            );
            vectorized(
                #[inline(always)]
                || {
                    gru_after_step_forward(
                        gates.as_mut_slice(),
                        gh.as_slice(),
                        &p.bias_ih,
                        &p.bias_hh,
                        hp.as_slice(),
                        aux.as_mut_slice(),
                        h.as_mut_slice(),
                        hsz,
                    )
                },
            );
        }
        GruVariant::ResetBefore => {
            let mut gh_ru = Matrix::zeros(b, 2 * hsz);
            gemm(
                Op::N,
                Op::T,
                T::ONE,
                h_prev,
                p.weight_hh.rows_range(0, 2 * hsz),
                T::ZERO,
                gh_ru.view_mut(),
            );
            vectorized(
                #[inline(always)]
                || {
                    gru_before_gates_forward(
                        gates.as_mut_slice(),
                        gh_ru.as_slice(),
                        &p.bias_ih,
                        &p.bias_hh,
                        hp.as_slice(),
                        aux.as_mut_slice(),
                        hsz,
                    )
                },
            );
            let mut gh_n = Matrix::zeros(b, hsz);
            gemm(
                Op::N,
                Op::T,
                T::ONE,
                aux.view(),
                p.weight_hh.rows_range(2 * hsz, 3 * hsz),
                T::ZERO,
                gh_n.view_mut(),
            );
            vectorized(
                #[inline(always)]
                || {
                    gru_before_update_forward(
                        gates.as_mut_slice(),
                        gh_n.as_slice(),
                        &p.bias_ih,
                        &p.bias_hh,
                        hp.as_slice(),
                        h.as_mut_slice(),
                        hsz,
                    )
                },
            );
        }
    }
    let cache = GruCellCache {
        x: x.to_matrix(),
        h_prev: hp,
        gates,
        aux,
    };
    (h, cache)
}

/// Backward of one GRU step (DERIVATIONS.md, "GRU"). `dh`: ∂L/∂h′ (B, H).
/// Adds into `grads`; returns (∂L/∂x⟨t⟩ (B, I), ∂L/∂h⟨t−1⟩ (B, H)).
pub fn gru_cell_backward<T: Scalar>(
    p: &CellParams<T>,
    cache: &GruCellCache<T>,
    dh: MatRef<T>,
    grads: &mut CellParams<T>,
) -> (Matrix<T>, Matrix<T>) {
    let (b, hsz) = cache.h_prev.shape();
    let dh = dh.to_matrix();
    let mut dzx = Matrix::zeros(b, 3 * hsz);
    let mut dh_prev = Matrix::zeros(b, hsz);
    match variant(p) {
        GruVariant::ResetAfter => {
            let mut dzh = Matrix::zeros(b, 3 * hsz);
            let mut dzh_n = Matrix::zeros(b, hsz); // (a copy of dzh's n block)
            vectorized(
                #[inline(always)]
                || {
                    gru_after_step_backward(
                        cache.gates.as_slice(),
                        cache.aux.as_slice(),
                        cache.h_prev.as_slice(),
                        dh.as_slice(),
                        None,
                        dzx.as_mut_slice(),
                        dzh.as_mut_slice(),
                        dzh_n.as_mut_slice(),
                        dh_prev.as_mut_slice(),
                        hsz,
                    )
                },
            );
            gemm(
                Op::N,
                Op::N,
                T::ONE,
                dzh.view(),
                p.weight_hh.view(),
                T::ONE,
                dh_prev.view_mut(),
            );
            weight_hh_gradient(dzh.view(), cache.h_prev.view(), 0, grads);
        }
        GruVariant::ResetBefore => {
            vectorized(
                #[inline(always)]
                || {
                    gru_before_step_backward_update(
                        cache.gates.as_slice(),
                        cache.h_prev.as_slice(),
                        dh.as_slice(),
                        None,
                        dzx.as_mut_slice(),
                        dh_prev.as_mut_slice(),
                        hsz,
                    )
                },
            );
            let mut drh = Matrix::zeros(b, hsz);
            gemm(
                Op::N,
                Op::N,
                T::ONE,
                dzx.block(0, 2 * hsz, b, hsz),
                p.weight_hh.rows_range(2 * hsz, 3 * hsz),
                T::ZERO,
                drh.view_mut(),
            );
            vectorized(
                #[inline(always)]
                || {
                    gru_before_step_backward_reset(
                        cache.gates.as_slice(),
                        cache.h_prev.as_slice(),
                        drh.as_slice(),
                        dzx.as_mut_slice(),
                        dh_prev.as_mut_slice(),
                        hsz,
                    )
                },
            );
            gemm(
                Op::N,
                Op::N,
                T::ONE,
                dzx.block(0, 0, b, 2 * hsz),
                p.weight_hh.rows_range(0, 2 * hsz),
                T::ONE,
                dh_prev.view_mut(),
            );
            weight_hh_gradient(dzx.block(0, 0, b, 2 * hsz), cache.h_prev.view(), 0, grads);
            weight_hh_gradient(
                dzx.block(0, 2 * hsz, b, hsz),
                cache.aux.view(),
                2 * hsz,
                grads,
            );
        }
    }
    let dx = input_gradients(
        p,
        cache.x.view(),
        dzx.view(),
        grads,
        &mut Workspace::new(),
        true,
    );
    (dx, dh_prev)
}

/// What `gru_backward` needs from `gru_forward`, and where the outputs live.
#[derive(Clone, Debug)]
pub struct GruCache<T> {
    /// Batch size B.
    pub batch: usize,
    /// The padding mask the forward pass used (length T·B), if any.
    pub mask: Option<Vec<T>>,
    /// h⟨0⟩ … h⟨T⟩: ((T+1)·B, H). Rows B.. are the outputs.
    pub h: Matrix<T>,
    /// The gates of every step: (T·B, 3H).
    pub gates: Matrix<T>,
    /// ResetAfter: h·W_hnᵀ + b_hn; ResetBefore: Γr ⊙ c; every step: (T·B, H).
    pub aux: Matrix<T>,
    /// Whether the backward pass computes ∂L/∂x. True after the forward
    /// pass; set it false (`SeqCache::skip_input_grad`) when x is data whose
    /// gradient nobody uses, such as one-hot tokens: the backward pass then
    /// skips the product ∂L/∂Z · W_ih and returns an empty (0, I) ∂L/∂x.
    pub input_grad: bool,
}

impl<T: Scalar> GruCache<T> {
    /// h⟨1⟩ … h⟨T⟩: (T·B, H).
    pub fn outputs(&self) -> MatRef<'_, T> {
        self.h.rows_range(self.batch, self.h.rows())
    }

    /// The final state h⟨T⟩.
    pub fn final_state(&self) -> State<T> {
        let n = self.h.rows();
        State {
            h: self.h.rows_range(n - self.batch, n).to_matrix(),
            c: None,
        }
    }

    /// Hands the cache's memory to `ws` for the next pass.
    pub fn recycle(self, ws: &mut Workspace<T>) {
        ws.keep(self.h);
        ws.keep(self.gates);
        ws.keep(self.aux);
    }
}

/// The GRU over a whole sequence. `x`: (T·B, I) time-major; `h0`: (B, H);
/// `mask`: optional padding mask of length T·B (see `sequence_forward`).
pub fn gru_forward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h0: MatRef<T>,
    mask: Option<&[T]>,
) -> GruCache<T> {
    gru_forward_ws(p, x, h0, mask, &mut Workspace::new())
}

/// `gru_forward` with its buffers taken from `ws` (see `linalg::Workspace`;
/// the same bits either way).
pub fn gru_forward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h0: MatRef<T>,
    mask: Option<&[T]>,
    ws: &mut Workspace<T>,
) -> GruCache<T> {
    let (b, hsz) = h0.shape();
    let steps = x.rows() / b.max(1);
    let mut gates = input_product(p, x, ws); // x·W_ihᵀ: (T·B, 3H); the step passes add b_ih
    let mut h = ws.take((steps + 1) * b, hsz);
    copy_rows(h0, &mut h.as_mut_slice()[..b * hsz]);
    let mut aux = ws.take(steps * b, hsz);
    let (g3, bh) = (3 * hsz, b * hsz);
    match variant(p) {
        GruVariant::ResetAfter => {
            let w_hh_t = ws.take_packed(Op::T, p.weight_hh.view()); // W_hhᵀ: (H, 3H)
            let mut gh = Matrix::zeros(b, g3);
            for t in 0..steps {
                let (h_prev, h_next) = split_steps(h.as_mut_slice(), t, bh);
                gemm_prepacked(
                    Op::N,
                    T::ONE,
                    MatRef::from_slice(h_prev, b, hsz),
                    &w_hh_t,
                    T::ZERO,
                    gh.view_mut(),
                );
                let zx = &mut gates.as_mut_slice()[t * b * g3..(t + 1) * b * g3];
                vectorized(
                    #[inline(always)]
                    || {
                        gru_after_step_forward(
                            zx,
                            gh.as_slice(),
                            &p.bias_ih,
                            &p.bias_hh,
                            h_prev,
                            &mut aux.as_mut_slice()[t * bh..(t + 1) * bh],
                            h_next,
                            hsz,
                        )
                    },
                );
                carry_padded_rows(mask_at(mask, t, b), h_prev, h_next, hsz);
            }
            ws.keep_packed(w_hh_t);
        }
        GruVariant::ResetBefore => {
            let w_ru_t = ws.take_packed(Op::T, p.weight_hh.rows_range(0, 2 * hsz)); // (H, 2H)
            let w_n_t = ws.take_packed(Op::T, p.weight_hh.rows_range(2 * hsz, g3)); // (H, H)
            let mut gh_ru = Matrix::zeros(b, 2 * hsz);
            let mut gh_n = Matrix::zeros(b, hsz);
            for t in 0..steps {
                let (h_prev, h_next) = split_steps(h.as_mut_slice(), t, bh);
                gemm_prepacked(
                    Op::N,
                    T::ONE,
                    MatRef::from_slice(h_prev, b, hsz),
                    &w_ru_t,
                    T::ZERO,
                    gh_ru.view_mut(),
                );
                let zx = &mut gates.as_mut_slice()[t * b * g3..(t + 1) * b * g3];
                let rh = &mut aux.as_mut_slice()[t * bh..(t + 1) * bh];
                vectorized(
                    #[inline(always)]
                    || {
                        gru_before_gates_forward(
                            zx,
                            gh_ru.as_slice(),
                            &p.bias_ih,
                            &p.bias_hh,
                            h_prev,
                            rh,
                            hsz,
                        )
                    },
                );
                gemm_prepacked(
                    Op::N,
                    T::ONE,
                    MatRef::from_slice(rh, b, hsz),
                    &w_n_t,
                    T::ZERO,
                    gh_n.view_mut(),
                );
                vectorized(
                    #[inline(always)]
                    || {
                        gru_before_update_forward(
                            zx,
                            gh_n.as_slice(),
                            &p.bias_ih,
                            &p.bias_hh,
                            h_prev,
                            h_next,
                            hsz,
                        )
                    },
                );
                carry_padded_rows(mask_at(mask, t, b), h_prev, h_next, hsz);
            }
            ws.keep_packed(w_ru_t);
            ws.keep_packed(w_n_t);
        }
    }
    GruCache {
        batch: b,
        mask: mask.map(|m| m.to_vec()),
        h,
        gates,
        aux,
        input_grad: true,
    }
}

/// Backward of `gru_forward`: BPTT (DERIVATIONS.md, "GRU" and "Sequence
/// unroll"). `x`: (T·B, I); `dy`: ∂L/∂h⟨t⟩ (T·B, H); `dh_n`: ∂L/∂h⟨T⟩ from
/// beyond the sequence (B, H). Adds into `grads`; returns (∂L/∂x, ∂L/∂h⟨0⟩).
pub fn gru_backward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &GruCache<T>,
    dy: MatRef<T>,
    dh_n: MatRef<T>,
    grads: &mut CellParams<T>,
) -> (Matrix<T>, Matrix<T>) {
    gru_backward_ws(p, x, cache, dy, dh_n, grads, &mut Workspace::new())
}

/// `gru_backward` with its buffers taken from (and the ∂L/∂z buffers given
/// back to) `ws` (see `linalg::Workspace`; the same bits either way).
pub fn gru_backward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &GruCache<T>,
    dy: MatRef<T>,
    dh_n: MatRef<T>,
    grads: &mut CellParams<T>,
    ws: &mut Workspace<T>,
) -> (Matrix<T>, Matrix<T>) {
    let b = cache.batch;
    let hsz = p.hidden_size();
    let steps = cache.gates.rows() / b.max(1);
    let (g3, bh) = (3 * hsz, b * hsz);
    let mut dzx = ws.take(steps * b, g3);
    let mut dh = dh_n.to_matrix();
    let mut dh_prev = Matrix::zeros(b, hsz);
    match variant(p) {
        GruVariant::ResetAfter => {
            let w_hh = ws.take_packed(Op::N, p.weight_hh.view()); // W_hh: (3H, H)
            let mut dzh_n = ws.take(steps * b, hsz); // n block of ∂L/∂(h·W_hhᵀ + b_hh)
            let mut dzh = ws.take(b, g3); // this step's ∂L/∂(h·W_hhᵀ + b_hh)
            for t in (0..steps).rev() {
                add_rows(dy.rows_range(t * b, (t + 1) * b), dh.as_mut_slice());
                let dzh_t = dzh.as_mut_slice();
                vectorized(
                    #[inline(always)]
                    || {
                        gru_after_step_backward(
                            &cache.gates.as_slice()[t * b * g3..(t + 1) * b * g3],
                            &cache.aux.as_slice()[t * bh..(t + 1) * bh],
                            &cache.h.as_slice()[t * bh..(t + 1) * bh],
                            dh.as_slice(),
                            mask_at(cache.mask.as_deref(), t, b),
                            &mut dzx.as_mut_slice()[t * b * g3..(t + 1) * b * g3],
                            dzh_t,
                            &mut dzh_n.as_mut_slice()[t * bh..(t + 1) * bh],
                            dh_prev.as_mut_slice(),
                            hsz,
                        )
                    },
                );
                // ∂L/∂h⟨t−1⟩ = z ⊙ dh′ + ∂L/∂(h·W_hhᵀ) · W_hh
                gemm_prepacked(
                    Op::N,
                    T::ONE,
                    MatRef::from_slice(dzh_t, b, g3),
                    &w_hh,
                    T::ONE,
                    dh_prev.view_mut(),
                );
                std::mem::swap(&mut dh, &mut dh_prev);
            }
            // dW_hh and db_hh: the r and z rows from ∂L/∂Z_x's r and z blocks
            // (the same values), the n rows from `dzh_n`. Row by row of dW_hh
            // this is the one product dzhᵀ · H_prev, with the same sums.
            let h_prev = cache.h.rows_range(0, steps * b);
            weight_hh_gradient(dzx.block(0, 0, steps * b, 2 * hsz), h_prev, 0, grads);
            weight_hh_gradient(dzh_n.view(), h_prev, 2 * hsz, grads);
            ws.keep(dzh_n);
            ws.keep(dzh);
            ws.keep_packed(w_hh);
        }
        GruVariant::ResetBefore => {
            let w_n = ws.take_packed(Op::N, p.weight_hh.rows_range(2 * hsz, g3)); // W_hn: (H, H)
            let w_ru = ws.take_packed(Op::N, p.weight_hh.rows_range(0, 2 * hsz)); // [W_hr; W_hz]: (2H, H)
            let mut drh = Matrix::zeros(b, hsz);
            for t in (0..steps).rev() {
                add_rows(dy.rows_range(t * b, (t + 1) * b), dh.as_mut_slice());
                let gates_t = &cache.gates.as_slice()[t * b * g3..(t + 1) * b * g3];
                let h_prev = &cache.h.as_slice()[t * bh..(t + 1) * bh];
                let dz_t = &mut dzx.as_mut_slice()[t * b * g3..(t + 1) * b * g3];
                vectorized(
                    #[inline(always)]
                    || {
                        gru_before_step_backward_update(
                            gates_t,
                            h_prev,
                            dh.as_slice(),
                            mask_at(cache.mask.as_deref(), t, b),
                            dz_t,
                            dh_prev.as_mut_slice(),
                            hsz,
                        )
                    },
                );
                // ∂L/∂(Γr ⊙ c) = ∂L/∂a_n · W_hn
                let dz_view = MatRef::new(dz_t, b, g3, g3);
                gemm_prepacked(
                    Op::N,
                    T::ONE,
                    dz_view.block(0, 2 * hsz, b, hsz),
                    &w_n,
                    T::ZERO,
                    drh.view_mut(),
                );
                vectorized(
                    #[inline(always)]
                    || {
                        gru_before_step_backward_reset(
                            gates_t,
                            h_prev,
                            drh.as_slice(),
                            dz_t,
                            dh_prev.as_mut_slice(),
                            hsz,
                        )
                    },
                );
                let dz_view = MatRef::new(dz_t, b, g3, g3);
                gemm_prepacked(
                    Op::N,
                    T::ONE,
                    dz_view.block(0, 0, b, 2 * hsz),
                    &w_ru,
                    T::ONE,
                    dh_prev.view_mut(),
                );
                std::mem::swap(&mut dh, &mut dh_prev);
            }
            let a_prev = cache.h.rows_range(0, steps * b);
            weight_hh_gradient(dzx.block(0, 0, steps * b, 2 * hsz), a_prev, 0, grads);
            weight_hh_gradient(
                dzx.block(0, 2 * hsz, steps * b, hsz),
                cache.aux.view(),
                2 * hsz,
                grads,
            );
            ws.keep_packed(w_n);
            ws.keep_packed(w_ru);
        }
    }
    let dx = input_gradients(p, x, dzx.view(), grads, ws, cache.input_grad);
    ws.keep(dzx);
    (dx, dh)
}
