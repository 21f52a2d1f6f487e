//! The LSTM: update (input) gate Γu, forget gate Γf, output gate Γo and the
//! candidate c̃, with a memory cell c⟨t⟩ beside the hidden state a⟨t⟩.
//!
//! PyTorch's gate order [i | f | g | o] maps to the course's names as
//! i = Γu, f = Γf, g = c̃, o = Γo. For a batch (one example per row):
//!
//! ```text
//! z = x⟨t⟩·W_ihᵀ + b_ih + a⟨t−1⟩·W_hhᵀ + b_hh        (B, 4H) = [z_i | z_f | z_g | z_o]
//! Γu = σ(z_i)   Γf = σ(z_f)   c̃ = tanh(z_g)   Γo = σ(z_o)
//! c⟨t⟩ = Γf ⊙ c⟨t−1⟩ + Γu ⊙ c̃
//! a⟨t⟩ = Γo ⊙ tanh(c⟨t⟩)
//! ```
//!
//! Backward: DERIVATIONS.md, "LSTM".

use super::sequence::{
    add_bias, add_rows, carry_padded_rows, copy_rows, gate_pass_in_parts, gate_rows_per_part,
    input_gradients, input_projection, inputs_beside_the_loop, is_pad, mask_at, split_steps,
    weight_gradients, weight_hh_gradient, STEPS_PER_BLOCK,
};
use super::{CellParams, State};
use crate::linalg::gemm::gemm_prepacked_with;
use crate::linalg::simd::vectorized;
use crate::linalg::{
    gemm, gemm_prepacked, pool, MatMut, MatRef, Matrix, Op, PackedB, Scalar, Workspace,
};

/// The fused non-linearities of one step, over a whole (B, 4H) gate block.
///
/// On entry `gates` holds the pre-activations without b_hh,
/// (x⟨t⟩·W_ihᵀ + b_ih) + a⟨t−1⟩·W_hhᵀ; the pass adds `bias_hh` (4H) to each
/// (the same single rounding as adding it to the block first, but on the
/// pool's threads and in the same sweep) and on exit `gates` holds
/// [Γu | Γf | c̃ | Γo]. Writes c⟨t⟩ and a⟨t⟩ (each (B, H)).
#[inline(always)]
fn lstm_step_forward<T: Scalar>(
    gates: &mut [T],
    bias_hh: &[T],
    c_prev: &[T],
    c: &mut [T],
    h: &mut [T],
    hidden: usize,
) {
    let g4 = 4 * hidden;
    let (bi, rest) = bias_hh.split_at(hidden);
    let (bf, rest) = rest.split_at(hidden);
    let (bg, bo) = rest.split_at(hidden);
    // Cut to H: of unknown length, b_o kept a bounds check in the loop, and
    // LLVM did not vectorise it (batch-1 LSTM 5% slower).
    let bo = &bo[..hidden];
    for (n, row) in gates.chunks_exact_mut(g4).enumerate() {
        let (zi, rest) = row.split_at_mut(hidden);
        let (zf, rest) = rest.split_at_mut(hidden);
        let (zg, zo) = rest.split_at_mut(hidden);
        let cp = &c_prev[n * hidden..(n + 1) * hidden];
        let cn = &mut c[n * hidden..(n + 1) * hidden];
        let hn = &mut h[n * hidden..(n + 1) * hidden];
        for j in 0..hidden {
            let u = (zi[j] + bi[j]).fast_sigmoid(); // Γu
            let f = (zf[j] + bf[j]).fast_sigmoid(); // Γf
            let cand = (zg[j] + bg[j]).fast_tanh(); // c̃
            let o = (zo[j] + bo[j]).fast_sigmoid(); // Γo
            zi[j] = u;
            zf[j] = f;
            zg[j] = cand;
            zo[j] = o;
            cn[j] = f * cp[j] + u * cand;
            hn[j] = o * cn[j].fast_tanh();
        }
    }
}

/// The element-wise part of one backward step.
///
/// `gates`: (B, 4H) = [Γu | Γf | c̃ | Γo]; `c_prev`, `c`: (B, H); `dh`: ∂L/∂a⟨t⟩
/// (B, H); `dc`: on entry ∂L/∂c⟨t⟩ from later steps, on exit ∂L/∂c⟨t−1⟩.
/// Writes `dz`: ∂L/∂z (B, 4H), the gradient of the pre-activations, and
/// `direct`: the part of ∂L/∂a⟨t−1⟩ that bypasses W_hh (0, except for padded
/// rows, which did not step: there dz = 0 and dh, dc pass through whole).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lstm_step_backward<T: Scalar>(
    gates: &[T],
    c_prev: &[T],
    c: &[T],
    dh: &[T],
    mask: Option<&[T]>,
    dc: &mut [T],
    dz: &mut [T],
    direct: &mut [T],
    hidden: usize,
) {
    let g4 = 4 * hidden;
    for n in 0..dz.len() / g4.max(1) {
        let r = n * hidden..(n + 1) * hidden;
        let d = &mut dz[n * g4..(n + 1) * g4];
        if is_pad(mask, n) {
            d.iter_mut().for_each(|x| *x = T::ZERO);
            direct[r.clone()].copy_from_slice(&dh[r]);
            continue; // dc passes through unchanged
        }
        let g = &gates[n * g4..(n + 1) * g4];
        let (cp, cn, dhn) = (&c_prev[r.clone()], &c[r.clone()], &dh[r.clone()]);
        direct[r.clone()].iter_mut().for_each(|x| *x = T::ZERO);
        let dcn = &mut dc[r];
        for j in 0..hidden {
            let (u, f, cand, o) = (g[j], g[hidden + j], g[2 * hidden + j], g[3 * hidden + j]);
            let tc = cn[j].fast_tanh();
            // a = Γo ⊙ tanh(c):  ∂L/∂Γo = da ⊙ tanh(c),  ∂L/∂c += da ⊙ Γo ⊙ (1 − tanh²c)
            let do_ = dhn[j] * tc;
            let dcj = dcn[j] + dhn[j] * o * (T::ONE - tc * tc);
            // c = Γf ⊙ c_prev + Γu ⊙ c̃
            let du = dcj * cand;
            let df = dcj * cp[j];
            let dcand = dcj * u;
            // ∂L/∂c⟨t−1⟩
            dcn[j] = dcj * f;
            // through σ and tanh, in terms of their outputs
            d[j] = du * u * (T::ONE - u);
            d[hidden + j] = df * f * (T::ONE - f);
            d[2 * hidden + j] = dcand * (T::ONE - cand * cand);
            d[3 * hidden + j] = do_ * o * (T::ONE - o);
        }
    }
}

/// What `lstm_cell_backward` needs from `lstm_cell_forward`.
#[derive(Clone, Debug)]
pub struct LstmCellCache<T> {
    /// x⟨t⟩: (B, I).
    pub x: Matrix<T>,
    /// a⟨t−1⟩: (B, H).
    pub h_prev: Matrix<T>,
    /// c⟨t−1⟩: (B, H).
    pub c_prev: Matrix<T>,
    /// [Γu | Γf | c̃ | Γo]: (B, 4H).
    pub gates: Matrix<T>,
    /// c⟨t⟩: (B, H).
    pub c: Matrix<T>,
}

/// One LSTM step: returns (a⟨t⟩, c⟨t⟩, cache).
///
/// `x`: (B, I), `h_prev`: (B, H), `c_prev`: (B, H).
pub fn lstm_cell_forward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h_prev: MatRef<T>,
    c_prev: MatRef<T>,
) -> (Matrix<T>, Matrix<T>, LstmCellCache<T>) {
    let (b, hsz) = h_prev.shape();
    // z = (x·W_ihᵀ + b_ih) + a⟨t−1⟩·W_hhᵀ + b_hh, in the same order as `lstm_forward`.
    let mut gates = input_projection(p, x, &mut Workspace::new());
    gemm(
        Op::N,
        Op::T,
        T::ONE,
        h_prev,
        p.weight_hh.view(),
        T::ONE,
        gates.view_mut(),
    );
    let c_prev = c_prev.to_matrix();
    let mut c = Matrix::zeros(b, hsz);
    let mut h = Matrix::zeros(b, hsz);
    vectorized(
        #[inline(always)]
        || {
            lstm_step_forward(
                gates.as_mut_slice(),
                &p.bias_hh,
                c_prev.as_slice(),
                c.as_mut_slice(),
                h.as_mut_slice(),
                hsz,
            )
        },
    );
    let cache = LstmCellCache {
        x: x.to_matrix(),
        h_prev: h_prev.to_matrix(),
        c_prev,
        gates,
        c: c.clone(),
    };
    (h, c, cache)
}

/// Backward of one LSTM step (DERIVATIONS.md, "LSTM").
///
/// `dh`, `dc`: ∂L/∂a⟨t⟩ and ∂L/∂c⟨t⟩, each (B, H). Adds the parameter
/// gradients into `grads` and returns (∂L/∂x⟨t⟩ (B, I), ∂L/∂a⟨t−1⟩ (B, H),
/// ∂L/∂c⟨t−1⟩ (B, H)).
pub fn lstm_cell_backward<T: Scalar>(
    p: &CellParams<T>,
    cache: &LstmCellCache<T>,
    dh: MatRef<T>,
    dc: MatRef<T>,
    grads: &mut CellParams<T>,
) -> (Matrix<T>, Matrix<T>, Matrix<T>) {
    let (b, hsz) = cache.c.shape();
    let mut dz = Matrix::zeros(b, 4 * hsz);
    let mut dc_prev = dc.to_matrix();
    let dh = dh.to_matrix();
    let mut dh_prev = Matrix::zeros(b, hsz);
    vectorized(
        #[inline(always)]
        || {
            lstm_step_backward(
                cache.gates.as_slice(),
                cache.c_prev.as_slice(),
                cache.c.as_slice(),
                dh.as_slice(),
                None,
                dc_prev.as_mut_slice(),
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
    (dx, dh_prev, dc_prev)
}

/// What `lstm_backward` needs from `lstm_forward`, and where the outputs live.
#[derive(Clone, Debug)]
pub struct LstmCache<T> {
    /// Batch size B.
    pub batch: usize,
    /// The padding mask the forward pass used (length T·B), if any.
    pub mask: Option<Vec<T>>,
    /// a⟨0⟩ … a⟨T⟩: ((T+1)·B, H). Rows B.. are the outputs.
    pub h: Matrix<T>,
    /// c⟨0⟩ … c⟨T⟩: ((T+1)·B, H).
    pub c: Matrix<T>,
    /// [Γu | Γf | c̃ | Γo] for every step: (T·B, 4H).
    pub gates: Matrix<T>,
    /// Whether the backward pass computes ∂L/∂x. True after the forward
    /// pass; set it false (`SeqCache::skip_input_grad`) when x is data whose
    /// gradient nobody uses, such as one-hot tokens: the backward pass then
    /// skips the product ∂L/∂Z · W_ih and returns an empty (0, I) ∂L/∂x.
    pub input_grad: bool,
    /// W_hh packed for the backward loop (`PackedB::new(Op::N, W_hh)`) when
    /// the forward pass had a second thread to pack it beside its loop
    /// (`inputs_beside_the_loop`); the backward pass then packs nothing.
    /// Like x, the parameters given to the backward pass must be the ones
    /// the forward pass used.
    pub w_hh: Option<Box<PackedB<T>>>,
}

impl<T: Scalar> LstmCache<T> {
    /// a⟨1⟩ … a⟨T⟩: (T·B, H).
    pub fn outputs(&self) -> MatRef<'_, T> {
        self.h.rows_range(self.batch, self.h.rows())
    }

    /// The final state (a⟨T⟩, c⟨T⟩).
    pub fn final_state(&self) -> State<T> {
        let n = self.h.rows();
        State {
            h: self.h.rows_range(n - self.batch, n).to_matrix(),
            c: Some(self.c.rows_range(n - self.batch, n).to_matrix()),
        }
    }

    /// Hands the cache's memory to `ws` for the next pass.
    pub fn recycle(self, ws: &mut Workspace<T>) {
        ws.keep(self.h);
        ws.keep(self.c);
        ws.keep(self.gates);
        if let Some(w) = self.w_hh {
            ws.keep_packed(*w);
        }
    }
}

/// The LSTM over a whole sequence. `x`: (T·B, I), time-major; `h0`, `c0`:
/// (B, H); `mask`: optional padding mask of length T·B (see
/// `sequence_forward`). Returns the cache, which holds the outputs
/// a⟨1⟩ … a⟨T⟩ and the final state.
///
/// Same arithmetic as `lstm_cell_forward` at each step, with the input
/// projection for all steps done as one GEMM before the loop and W_hhᵀ packed
/// once for all steps. Where the loop would leave a second thread idle (see
/// `inputs_beside_the_loop`: batch 1 on two threads), that thread computes
/// the projection block by block while this one packs W_hhᵀ and runs the
/// loop, then packs W_hh for the backward loop (kept in the cache), and
/// `lstm_backward` likewise forms ∂L/∂X beside its loop. On the 2-core
/// Intel Xeon of the Sapphire Rapids class, `bench rnn --cell lstm --seq 64
/// --batch 1 --input 64 --hidden 128 --threads 2`, 4 alternations: 0.488–0.504
/// ms before, 0.473–0.480 with the projection and ∂L/∂X beside the loops in
/// blocks of 8 steps (4: 0.472–0.481, 16: 0.474–0.484); with W_hh packed
/// there too, 6 alternations, 0.407–0.437 against 0.453–0.468 before both.
/// The forward pass, timed inside: 205–220 µs (projection 27–35, packing
/// W_hhᵀ 17–21, loop about 160) before, 179–184 after. Each row of the
/// projection and of ∂L/∂X is the same sum, and the packed W_hh the same
/// values, so no bit changes (`tests/rnn_threads.rs`).
pub fn lstm_forward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h0: MatRef<T>,
    c0: MatRef<T>,
    mask: Option<&[T]>,
) -> LstmCache<T> {
    lstm_forward_ws(p, x, h0, c0, mask, &mut Workspace::new())
}

/// `lstm_forward` with its buffers taken from `ws` (see `linalg::Workspace`;
/// the same bits either way).
pub fn lstm_forward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    h0: MatRef<T>,
    c0: MatRef<T>,
    mask: Option<&[T]>,
    ws: &mut Workspace<T>,
) -> LstmCache<T> {
    let (b, hsz) = h0.shape();
    let steps = x.rows() / b.max(1);
    let beside = inputs_beside_the_loop(x, b, hsz, 4);
    // z for all steps: X·W_ihᵀ + b_ih, (T·B, 4H): one GEMM now, or block by
    // block on a second thread while this one packs W_hhᵀ and runs the loop.
    let mut gates = if beside {
        ws.take(steps * b, 4 * hsz)
    } else {
        input_projection(p, x, ws)
    };
    let w_hh_t = if beside {
        None
    } else {
        Some(ws.take_packed(Op::T, p.weight_hh.view())) // W_hhᵀ: (H, 4H)
    };
    let mut h = ws.take((steps + 1) * b, hsz);
    let mut c = ws.take((steps + 1) * b, hsz);
    copy_rows(h0, &mut h.as_mut_slice()[..b * hsz]);
    copy_rows(c0, &mut c.as_mut_slice()[..b * hsz]);
    let (hs, cs) = (h.as_mut_slice(), c.as_mut_slice());
    let mut w_hh_back = None;
    if let Some(w_hh_t) = w_hh_t {
        lstm_forward_steps(p, &w_hh_t, 0, gates.as_mut_slice(), hs, cs, mask, b);
        ws.keep_packed(w_hh_t);
    } else {
        let block_rows = STEPS_PER_BLOCK * b;
        let store_ih = ws.take(1, PackedB::<T>::storage_len(Op::T, p.weight_ih.shape()));
        let store_hh = ws.take(1, PackedB::<T>::storage_len(Op::T, p.weight_hh.shape()));
        let store_back = ws.take(1, PackedB::<T>::storage_len(Op::N, p.weight_hh.shape()));
        let (mut w_ih_t, mut w_hh_t) = (None, None);
        let blocks = gates.as_mut_slice().chunks_mut(block_rows * 4 * hsz);
        pool::side_by_side(
            |send| {
                // W_ihᵀ: (I, 4H)
                let w = PackedB::new_in(Op::T, p.weight_ih.view(), store_ih.into_vec());
                for (i, z) in blocks.enumerate() {
                    let n = z.len() / (4 * hsz);
                    let x_i = x.rows_range(i * block_rows, i * block_rows + n);
                    let z_i = MatMut::from_slice(z, n, 4 * hsz);
                    gemm_prepacked_with(1, Op::N, T::ONE, x_i, &w, T::ZERO, z_i);
                    add_bias(z, &p.bias_ih);
                    send(z);
                }
                w_ih_t = Some(w);
                // Then W_hh for the backward loop: (4H, H).
                let back = PackedB::new_in(Op::N, p.weight_hh.view(), store_back.into_vec());
                w_hh_back = Some(Box::new(back));
            },
            |next| {
                // W_hhᵀ: (H, 4H)
                let w = PackedB::new_in(Op::T, p.weight_hh.view(), store_hh.into_vec());
                let mut t = 0;
                while t < steps {
                    let z = next();
                    lstm_forward_steps(p, &w, t, z, hs, cs, mask, b);
                    t += z.len() / (4 * hsz * b);
                }
                w_hh_t = Some(w);
            },
            false,
        );
        for w in [w_ih_t, w_hh_t].into_iter().flatten() {
            ws.keep_packed(w);
        }
    }
    LstmCache {
        batch: b,
        mask: mask.map(|m| m.to_vec()),
        h,
        c,
        gates,
        input_grad: true,
        w_hh: w_hh_back,
    }
}

/// The forward loop over steps t0, t0 + 1, …: one step per (B, 4H) block of
/// `z`, which holds X·W_ihᵀ + b_ih for those steps on entry and
/// [Γu | Γf | c̃ | Γo] on exit. `h`, `c`: (T + 1)·B rows of H, every step's
/// state (rows 0 .. B: the initial state), written from step t0 on.
#[allow(clippy::too_many_arguments)]
fn lstm_forward_steps<T: Scalar>(
    p: &CellParams<T>,
    w_hh_t: &PackedB<T>,
    t0: usize,
    z: &mut [T],
    h: &mut [T],
    c: &mut [T],
    mask: Option<&[T]>,
    b: usize,
) {
    let hsz = p.hidden_size();
    let block = b * 4 * hsz;
    if block == 0 {
        return;
    }
    let rows = gate_rows_per_part(b, hsz);
    for (i, z) in z.chunks_exact_mut(block).enumerate() {
        let t = t0 + i;
        let (h_prev, h_next) = split_steps(h, t, b * hsz);
        // z += a⟨t−1⟩·W_hhᵀ (the gate pass adds b_hh)
        gemm_prepacked(
            Op::N,
            T::ONE,
            MatRef::from_slice(h_prev, b, hsz),
            w_hh_t,
            T::ONE,
            MatMut::from_slice(z, b, 4 * hsz),
        );
        let (c_prev, c_next) = split_steps(c, t, b * hsz);
        if rows == b {
            vectorized(
                #[inline(always)]
                || lstm_step_forward(z, &p.bias_hh, c_prev, c_next, h_next, hsz),
            );
        } else {
            // The same pass, in blocks of rows on the pool's threads.
            let parts: Vec<_> = z
                .chunks_mut(rows * 4 * hsz)
                .zip(c_prev.chunks(rows * hsz))
                .zip(c_next.chunks_mut(rows * hsz))
                .zip(h_next.chunks_mut(rows * hsz))
                .collect();
            gate_pass_in_parts(parts, &|(((z, c_prev), c_next), h_next)| {
                vectorized(
                    #[inline(always)]
                    || lstm_step_forward(z, &p.bias_hh, c_prev, c_next, h_next, hsz),
                )
            });
        }
        carry_padded_rows(mask_at(mask, t, b), h_prev, h_next, hsz);
        carry_padded_rows(mask_at(mask, t, b), c_prev, c_next, hsz);
    }
}

/// Backward of `lstm_forward`: BPTT over the whole sequence (DERIVATIONS.md,
/// "LSTM" and "Sequence unroll").
///
/// `p`: the parameters of the forward pass (the cache may hold W_hh packed
/// from them); `x`: (T·B, I), the forward input; `dy`: ∂L/∂a⟨t⟩ for every
/// step (T·B, H); `dh_n`, `dc_n`: ∂L/∂a⟨T⟩ and ∂L/∂c⟨T⟩ from beyond the
/// sequence (B, H). Adds into `grads` and returns (∂L/∂x (T·B, I), ∂L/∂a⟨0⟩,
/// ∂L/∂c⟨0⟩).
pub fn lstm_backward<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &LstmCache<T>,
    dy: MatRef<T>,
    dh_n: MatRef<T>,
    dc_n: MatRef<T>,
    grads: &mut CellParams<T>,
) -> (Matrix<T>, Matrix<T>, Matrix<T>) {
    lstm_backward_ws(p, x, cache, dy, dh_n, dc_n, grads, &mut Workspace::new())
}

/// `lstm_backward` with its buffers taken from (and ∂L/∂z given back to)
/// `ws` (see `linalg::Workspace`; the same bits either way).
#[allow(clippy::too_many_arguments)]
pub fn lstm_backward_ws<T: Scalar>(
    p: &CellParams<T>,
    x: MatRef<T>,
    cache: &LstmCache<T>,
    dy: MatRef<T>,
    dh_n: MatRef<T>,
    dc_n: MatRef<T>,
    grads: &mut CellParams<T>,
    ws: &mut Workspace<T>,
) -> (Matrix<T>, Matrix<T>, Matrix<T>) {
    let b = cache.batch;
    let hsz = p.hidden_size();
    let isz = p.weight_ih.cols();
    let steps = cache.gates.rows() / b.max(1);
    // The forward pass ran beside its loop (and packed W_hh there) exactly
    // when `inputs_beside_the_loop` said so; the backward pass follows it.
    let beside = cache.input_grad && cache.w_hh.is_some();
    // W_hh: (4H, H), packed by the forward pass beside its loop, or now.
    let mut packed_now = None;
    let w_hh: &PackedB<T> = match cache.w_hh.as_deref() {
        Some(w) => w,
        None => packed_now.insert(ws.take_packed(Op::N, p.weight_hh.view())),
    };
    let mut dz = ws.take(steps * b, 4 * hsz);
    let mut dh = dh_n.to_matrix();
    let mut dc = dc_n.to_matrix();
    let mut dh_prev = Matrix::zeros(b, hsz);
    let a_prev = cache.h.rows_range(0, steps * b);
    let (dh_r, dc_r, dh_prev_r) = (&mut dh, &mut dc, &mut dh_prev);
    let dx = if !beside {
        let dz_all = dz.as_mut_slice();
        lstm_backward_steps(p, w_hh, 0, dz_all, cache, dy, dh_r, dc_r, dh_prev_r);
        weight_gradients(p, x, a_prev, dz.view(), grads, ws, cache.input_grad)
    } else {
        // The loop on this thread; dX = dZ·W_ih (T·B, I) block by block on a
        // second one, as the loop finishes each block of ∂L/∂Z.
        let mut dx = ws.take(steps * b, isz);
        let block_rows = STEPS_PER_BLOCK * b;
        let store_ih = ws.take(1, PackedB::<T>::storage_len(Op::N, p.weight_ih.shape()));
        let mut w_ih = None;
        let dz_blocks = dz.as_mut_slice().chunks_mut(block_rows * 4 * hsz);
        let dx_blocks = dx.as_mut_slice().chunks_mut(block_rows * isz);
        pool::side_by_side(
            |send| {
                for (i, dz_i) in dz_blocks.enumerate().rev() {
                    let t0 = i * STEPS_PER_BLOCK;
                    lstm_backward_steps(p, w_hh, t0, dz_i, cache, dy, dh_r, dc_r, dh_prev_r);
                    send(&*dz_i);
                }
            },
            |next| {
                // W_ih: (4H, I). The blocks come from the last step back.
                let w = PackedB::new_in(Op::N, p.weight_ih.view(), store_ih.into_vec());
                for dx_i in dx_blocks.rev() {
                    let dz_i = next();
                    let n = dz_i.len() / (4 * hsz);
                    let dz_i = MatRef::from_slice(dz_i, n, 4 * hsz);
                    let dx_i = MatMut::from_slice(dx_i, n, isz);
                    gemm_prepacked_with(1, Op::N, T::ONE, dz_i, &w, T::ZERO, dx_i);
                }
                w_ih = Some(w);
            },
            true,
        );
        if let Some(w) = w_ih {
            ws.keep_packed(w);
        }
        weight_gradients(p, x, a_prev, dz.view(), grads, ws, false);
        dx
    };
    ws.keep(dz);
    if let Some(w) = packed_now {
        ws.keep_packed(w);
    }
    (dx, dh, dc)
}

/// The backward loop over steps t0 + n − 1, …, t0, the n steps whose ∂L/∂z
/// `dz` ((n·B, 4H)) receives. On entry `dh` and `dc` hold ∂L/∂a⟨t0+n⟩ from
/// the steps after (without the output's own gradient, which each step adds
/// from `dy`) and ∂L/∂c⟨t0+n⟩; on exit ∂L/∂a⟨t0⟩ and ∂L/∂c⟨t0⟩. `dh_prev`:
/// (B, H) scratch.
#[allow(clippy::too_many_arguments)]
fn lstm_backward_steps<T: Scalar>(
    p: &CellParams<T>,
    w_hh: &PackedB<T>,
    t0: usize,
    dz: &mut [T],
    cache: &LstmCache<T>,
    dy: MatRef<T>,
    dh: &mut Matrix<T>,
    dc: &mut Matrix<T>,
    dh_prev: &mut Matrix<T>,
) {
    let b = cache.batch;
    let hsz = p.hidden_size();
    let block = b * 4 * hsz;
    if block == 0 {
        return;
    }
    let part = gate_rows_per_part(b, hsz);
    for (i, dz_t) in dz.chunks_exact_mut(block).enumerate().rev() {
        let t = t0 + i;
        // ∂L/∂a⟨t⟩ = from the output at t + from step t+1
        add_rows(dy.rows_range(t * b, (t + 1) * b), dh.as_mut_slice());
        let rows = t * b * hsz..(t + 1) * b * hsz;
        let next = (t + 1) * b * hsz..(t + 2) * b * hsz;
        let gates = &cache.gates.as_slice()[t * block..(t + 1) * block];
        let (c_prev, c_t) = (&cache.c.as_slice()[rows], &cache.c.as_slice()[next]);
        let mask_t = mask_at(cache.mask.as_deref(), t, b);
        if part == b {
            vectorized(
                #[inline(always)]
                || {
                    lstm_step_backward(
                        gates,
                        c_prev,
                        c_t,
                        dh.as_slice(),
                        mask_t,
                        dc.as_mut_slice(),
                        dz_t,
                        dh_prev.as_mut_slice(),
                        hsz,
                    )
                },
            );
        } else {
            // The same pass, in blocks of `part` rows on the pool's threads.
            let (h_rows, g_rows) = (part * hsz, part * 4 * hsz);
            let parts: Vec<_> = (0..b.div_ceil(part))
                .map(|i| mask_t.map(|m| &m[i * part..((i + 1) * part).min(b)]))
                .zip(gates.chunks(g_rows))
                .zip(c_prev.chunks(h_rows).zip(c_t.chunks(h_rows)))
                .zip(dh.as_slice().chunks(h_rows))
                .zip(dc.as_mut_slice().chunks_mut(h_rows))
                .zip(dz_t.chunks_mut(g_rows))
                .zip(dh_prev.as_mut_slice().chunks_mut(h_rows))
                .collect();
            gate_pass_in_parts(parts, &|(
                (((((mask, gates), (c_prev, c_t)), dh), dc), dz),
                direct,
            )| {
                vectorized(
                    #[inline(always)]
                    || lstm_step_backward(gates, c_prev, c_t, dh, *mask, dc, dz, direct, hsz),
                )
            });
        }
        // ∂L/∂a⟨t−1⟩ = (carried part) + ∂L/∂z · W_hh
        gemm_prepacked(
            Op::N,
            T::ONE,
            MatRef::from_slice(dz_t, b, 4 * hsz),
            w_hh,
            T::ONE,
            dh_prev.view_mut(),
        );
        std::mem::swap(dh, dh_prev);
    }
}
