//! The vanilla RNN of the seed: a⟨t⟩ = g(Waa a⟨t−1⟩ + Wax x⟨t⟩ + ba), with
//! g = tanh or ReLU and a⟨0⟩ = 0.
//!
//! In PyTorch's layout (`nn.RNN`), with one example per row:
//!
//! ```text
//! z⟨t⟩ = x⟨t⟩·W_ihᵀ + b_ih + a⟨t−1⟩·W_hhᵀ + b_hh      (B, H)
//! a⟨t⟩ = g(z⟨t⟩)
//! ```
//!
//! so Wax = W_ih, Waa = W_hh and ba = b_ih + b_hh. Backward: DERIVATIONS.md,
//! "Vanilla RNN".

use super::sequence::{
    add_rows, carry_padded_rows, copy_rows, input_gradients, input_projection, is_pad, mask_at,
    split_steps, weight_gradients, weight_hh_gradient,
};
use super::{CellKind, CellParams, State};
use crate::linalg::simd::vectorized;
use crate::linalg::{gemm, gemm_prepacked, MatMut, MatRef, Matrix, Op, Scalar, Workspace};
use crate::nn::Activation;

fn activation<T>(p: &CellParams<T>) -> Activation {
    match p.kind {
        CellKind::Rnn(g) => g,
        other => panic!(
            "vanilla RNN function called with {} parameters",
            other.name()
        ),
    }
}

/// The fused non-linearity of one step: a⟨t⟩ = g(z + b_hh) into `h`, where
/// `z` (B, H) = (x⟨t⟩·W_ihᵀ + b_ih) + a⟨t−1⟩·W_hhᵀ. Adding b_hh here is the
/// same single rounding as adding it to `z` first, without a second pass.
#[inline(always)]
fn rnn_step_forward<T: Scalar>(g: Activation, z: &[T], bias_hh: &[T], h: &mut [T]) {
    let hidden = bias_hh.len();
    if hidden == 0 {
        return;
    }
    for (hn, zn) in h.chunks_exact_mut(hidden).zip(z.chunks_exact(hidden)) {
        for ((hj, &zj), &bj) in hn.iter_mut().zip(zn).zip(bias_hh) {
            *hj = g.apply(zj + bj);
        }
    }
}

/// The element-wise part of one backward step: ∂L/∂z = ∂L/∂a ⊙ g′, with g′
/// written in terms of a = g(z). All (B, H). Padded rows (mask 0) did not
/// step: their ∂L/∂z is 0 and ∂L/∂a passes whole into `direct` (the part of
/// ∂L/∂a⟨t−1⟩ that bypasses W_hh; 0 for real rows).
#[inline(always)]
fn rnn_step_backward<T: Scalar>(
    g: Activation,
    h: &[T],
    dh: &[T],
    mask: Option<&[T]>,
    dz: &mut [T],
    direct: &mut [T],
    hidden: usize,
) {
    for n in 0..dz.len() / hidden.max(1) {
        let r = n * hidden..(n + 1) * hidden;
        if is_pad(mask, n) {
            dz[r.clone()].iter_mut().for_each(|d| *d = T::ZERO);
            direct[r.clone()].copy_from_slice(&dh[r]);
            continue;
        }
        for j in r {
            dz[j] = dh[j] * g.derivative_from_output(h[j]);
            direct[j] = T::ZERO;
        }
    }
}

/// What `rnn_cell_backward` needs from `rnn_cell_forward`.
#[derive(Clone, Debug)]
pub struct RnnCellCache<T> {
    /// x⟨t⟩: (B, I).
    pub x: Matrix<T>,
    /// a⟨t−1⟩: (B, H).
    pub h_prev: Matrix<T>,
    /// a⟨t⟩: (B, H).
    pub h: Matrix<T>,
}

/// One step: returns (a⟨t⟩, cache). `x`: (B, I), `h_prev`: (B, H).
pub fn rnn_cell_forward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h_prev: MatRef<T>,
) -> (Matrix<T>, RnnCellCache<T>) {
    let (b, hsz) = h_prev.shape();
    // z = (x·W_ihᵀ + b_ih) + a⟨t−1⟩·W_hhᵀ + b_hh, in the same order as `rnn_forward`.
    let mut z = input_projection(p, x, &mut Workspace::new());
    gemm(
        Op::N,
        Op::T,
        T::ONE,
        h_prev,
        p.weight_hh.view(),
        T::ONE,
        z.view_mut(),
    );
    let mut h = Matrix::zeros(b, hsz);
    vectorized(
        #[inline(always)]
        || rnn_step_forward(activation(p), z.as_slice(), &p.bias_hh, h.as_mut_slice()),
    );
    let cache = RnnCellCache {
        x: x.to_matrix(),
        h_prev: h_prev.to_matrix(),
        h: h.clone(),
    };
    (h, cache)
}

/// Backward of one step (DERIVATIONS.md, "Vanilla RNN"). `dh`: ∂L/∂a⟨t⟩ (B, H).
/// Adds into `grads`; returns (∂L/∂x⟨t⟩ (B, I), ∂L/∂a⟨t−1⟩ (B, H)).
pub fn rnn_cell_backward<T: Scalar>(
    p: &CellParams<T>,
    cache: &RnnCellCache<T>,
    dh: MatRef<T>,
    grads: &mut CellParams<T>,
) -> (Matrix<T>, Matrix<T>) {
    let (b, hsz) = cache.h.shape();
    let mut dz = Matrix::zeros(b, hsz);
    let mut dh_prev = Matrix::zeros(b, hsz);
    vectorized(
        #[inline(always)]
        || {
            rnn_step_backward(
                activation(p),
                cache.h.as_slice(),
                dh.to_matrix().as_slice(),
                None,
                dz.as_mut_slice(),
                dh_prev.as_mut_slice(),
                hsz,
            )
        },
    );
    let dx = input_gradients(
        p,
        cache.x.view(),
        dz.view(),
        grads,
        &mut Workspace::new(),
        true,
    );
    weight_hh_gradient(dz.view(), cache.h_prev.view(), 0, grads);
    gemm(
        Op::N,
        Op::N,
        T::ONE,
        dz.view(),
        p.weight_hh.view(),
        T::ONE,
        dh_prev.view_mut(),
    );
    (dx, dh_prev)
}

/// What `rnn_backward` needs from `rnn_forward`, and where the outputs live.
#[derive(Clone, Debug)]
pub struct RnnCache<T> {
    /// Batch size B.
    pub batch: usize,
    /// The padding mask the forward pass used (length T·B), if any.
    pub mask: Option<Vec<T>>,
    /// a⟨0⟩ … a⟨T⟩: ((T+1)·B, H). Rows B.. are the outputs.
    pub h: Matrix<T>,
    /// Whether the backward pass computes ∂L/∂x. True after the forward
    /// pass; set it false (`SeqCache::skip_input_grad`) when x is data whose
    /// gradient nobody uses, such as one-hot tokens: the backward pass then
    /// skips the product ∂L/∂Z · W_ih and returns an empty (0, I) ∂L/∂x.
    pub input_grad: bool,
}

impl<T: Scalar> RnnCache<T> {
    /// a⟨1⟩ … a⟨T⟩: (T·B, H).
    pub fn outputs(&self) -> MatRef<'_, T> {
        self.h.rows_range(self.batch, self.h.rows())
    }

    /// The final state a⟨T⟩.
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
    }
}

/// The RNN over a whole sequence. `x`: (T·B, I) time-major; `h0`: (B, H);
/// `mask`: optional padding mask of length T·B (see `sequence_forward`).
pub fn rnn_forward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h0: MatRef<T>,
    mask: Option<&[T]>,
) -> RnnCache<T> {
    rnn_forward_ws(p, x, h0, mask, &mut Workspace::new())
}

/// `rnn_forward` with its buffers taken from (and z given back to) `ws` (see
/// `linalg::Workspace`; the same bits either way).
pub fn rnn_forward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h0: MatRef<T>,
    mask: Option<&[T]>,
    ws: &mut Workspace<T>,
) -> RnnCache<T> {
    let g = activation(p);
    let (b, hsz) = h0.shape();
    let steps = x.rows() / b.max(1);
    let mut z = input_projection(p, x, ws); // (T·B, H)
    let w_hh_t = ws.take_packed(Op::T, p.weight_hh.view()); // W_hhᵀ: (H, H)
    let mut h = ws.take((steps + 1) * b, hsz);
    copy_rows(h0, &mut h.as_mut_slice()[..b * hsz]);
    for t in 0..steps {
        let zt = &mut z.as_mut_slice()[t * b * hsz..(t + 1) * b * hsz];
        let (h_prev, h_next) = split_steps(h.as_mut_slice(), t, b * hsz);
        gemm_prepacked(
            Op::N,
            T::ONE,
            MatRef::from_slice(h_prev, b, hsz),
            &w_hh_t,
            T::ONE,
            MatMut::from_slice(zt, b, hsz),
        );
        vectorized(
            #[inline(always)]
            || rnn_step_forward(g, zt, &p.bias_hh, h_next),
        );
        carry_padded_rows(mask_at(mask, t, b), h_prev, h_next, hsz);
    }
    ws.keep(z);
    ws.keep_packed(w_hh_t);
    RnnCache {
        batch: b,
        mask: mask.map(|m| m.to_vec()),
        h,
        input_grad: true,
    }
}

/// Backward of `rnn_forward`: BPTT (DERIVATIONS.md, "Vanilla RNN" and
/// "Sequence unroll"). `x`: (T·B, I); `dy`: ∂L/∂a⟨t⟩ (T·B, H); `dh_n`:
/// ∂L/∂a⟨T⟩ from beyond the sequence (B, H). Adds into `grads`; returns
/// (∂L/∂x (T·B, I), ∂L/∂a⟨0⟩ (B, H)).
pub fn rnn_backward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &RnnCache<T>,
    dy: MatRef<T>,
    dh_n: MatRef<T>,
    grads: &mut CellParams<T>,
) -> (Matrix<T>, Matrix<T>) {
    rnn_backward_ws(p, x, cache, dy, dh_n, grads, &mut Workspace::new())
}

/// `rnn_backward` with its buffers taken from (and ∂L/∂z given back to)
/// `ws` (see `linalg::Workspace`; the same bits either way).
pub fn rnn_backward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &RnnCache<T>,
    dy: MatRef<T>,
    dh_n: MatRef<T>,
    grads: &mut CellParams<T>,
    ws: &mut Workspace<T>,
) -> (Matrix<T>, Matrix<T>) {
    let g = activation(p);
    let b = cache.batch;
    let hsz = p.hidden_size();
    let steps = (cache.h.rows() / b.max(1)).saturating_sub(1);
    let w_hh = ws.take_packed(Op::N, p.weight_hh.view()); // W_hh: (H, H)
    let mut dz = ws.take(steps * b, hsz);
    let mut dh = dh_n.to_matrix();
    let mut dh_prev = Matrix::zeros(b, hsz);
    for t in (0..steps).rev() {
        add_rows(dy.rows_range(t * b, (t + 1) * b), dh.as_mut_slice());
        let dz_t = &mut dz.as_mut_slice()[t * b * hsz..(t + 1) * b * hsz];
        vectorized(
            #[inline(always)]
            || {
                rnn_step_backward(
                    g,
                    &cache.h.as_slice()[(t + 1) * b * hsz..(t + 2) * b * hsz],
                    dh.as_slice(),
                    mask_at(cache.mask.as_deref(), t, b),
                    dz_t,
                    dh_prev.as_mut_slice(),
                    hsz,
                )
            },
        );
        // ∂L/∂a⟨t−1⟩ = (carried part) + ∂L/∂z⟨t⟩ · W_hh
        gemm_prepacked(
            Op::N,
            T::ONE,
            MatRef::from_slice(dz_t, b, hsz),
            &w_hh,
            T::ONE,
            dh_prev.view_mut(),
        );
        std::mem::swap(&mut dh, &mut dh_prev);
    }
    let a_prev = cache.h.rows_range(0, steps * b);
    let dx = weight_gradients(p, x, a_prev, dz.view(), grads, ws, cache.input_grad);
    ws.keep(dz);
    ws.keep_packed(w_hh);
    (dx, dh)
}
