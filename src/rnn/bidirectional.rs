//! The bidirectional RNN (BRNN) of the seed: one RNN reads the sequence left
//! to right, another right to left, and the output at step t is
//! [a→⟨t⟩ ; a←⟨t⟩], so a prediction at t can use the future ("Teddy bears"
//! versus "Teddy Roosevelt"). The price: the whole sequence must be known.
//!
//! Works over any cell. The layout follows PyTorch: outputs are (T·B, 2H)
//! with the forward direction in columns 0..H and the backward direction in
//! columns H..2H, and the backward direction's final state is its state after
//! reading x⟨1⟩.
//!
//! With a padding mask, reversing the padded batch in time puts each short
//! sequence's padding *first*; padded steps carry the initial state (see
//! `sequence_forward`), so the backward direction starts reading exactly at
//! each sequence's last real token. Backward pass: DERIVATIONS.md,
//! "Bidirectional RNN".

use super::sequence::{sequence_backward, sequence_forward, SeqCache};
use super::{CellParams, State};
use crate::linalg::{MatRef, Matrix, Scalar, Workspace};

/// Reverses the time order of a time-major (T·B, F) matrix: block t becomes
/// block T−1−t (rows within a block keep their order).
pub fn reverse_time<T: Scalar>(x: MatRef<T>, batch: usize) -> Matrix<T> {
    let (rows, f) = x.shape();
    let steps = rows / batch.max(1);
    let mut out = Matrix::zeros(rows, f);
    for t in 0..steps {
        for b in 0..batch {
            out.row_mut((steps - 1 - t) * batch + b)
                .copy_from_slice(x.row(t * batch + b));
        }
    }
    out
}

/// `reverse_time` for a mask of length T·B.
pub fn reverse_mask<T: Scalar>(mask: &[T], batch: usize) -> Vec<T> {
    let steps = mask.len() / batch.max(1);
    let mut out = vec![T::ZERO; mask.len()];
    for t in 0..steps {
        out[(steps - 1 - t) * batch..(steps - t) * batch]
            .copy_from_slice(&mask[t * batch..(t + 1) * batch]);
    }
    out
}

/// What `bidirectional_backward` needs from `bidirectional_forward`.
#[derive(Clone, Debug)]
pub struct BiCache<T> {
    /// Batch size B.
    pub batch: usize,
    /// The forward direction's cache (input x).
    pub forward: SeqCache<T>,
    /// The input reversed in time, as the backward direction read it.
    pub x_reversed: Matrix<T>,
    /// The backward direction's cache (input `x_reversed`).
    pub backward: SeqCache<T>,
    /// [a→⟨t⟩ ; a←⟨t⟩] for every t: (T·B, 2H).
    pub outputs: Matrix<T>,
}

impl<T: Scalar> BiCache<T> {
    /// Final states in PyTorch's order: [forward, backward].
    pub fn final_states(&self) -> [State<T>; 2] {
        [self.forward.final_state(), self.backward.final_state()]
    }

    /// Hands the cache's memory to `ws` for the next pass.
    pub fn recycle(self, ws: &mut Workspace<T>) {
        self.forward.recycle(ws);
        self.backward.recycle(ws);
        ws.keep(self.x_reversed);
        ws.keep(self.outputs);
    }
}

/// A bidirectional layer. `fwd`, `bwd`: the two directions' parameters (same
/// cell and sizes); `x`: (T·B, I); `s0`: [forward, backward] initial states,
/// (B, H) each; `mask`: optional padding mask of length T·B.
pub fn bidirectional_forward<T: Scalar>(
    fwd: &CellParams<T>,
    bwd: &CellParams<T>,
    x: MatRef<T>,
    s0: [&State<T>; 2],
    mask: Option<&[T]>,
) -> BiCache<T> {
    let b = s0[0].h.rows();
    let hsz = fwd.hidden_size();
    let forward = sequence_forward(fwd, x, s0[0], mask);
    let x_reversed = reverse_time(x, b);
    let mask_reversed = mask.map(|m| reverse_mask(m, b));
    let backward = sequence_forward(bwd, x_reversed.view(), s0[1], mask_reversed.as_deref());
    // outputs[t] = [a→⟨t⟩ ; a←⟨t⟩], where a←⟨t⟩ is the backward RNN's output at
    // its own step T−1−t.
    let rows = x.rows();
    let steps = rows / b.max(1);
    let mut outputs = Matrix::zeros(rows, 2 * hsz);
    let (of, ob) = (forward.outputs(), backward.outputs());
    for t in 0..steps {
        for n in 0..b {
            let r = t * b + n;
            let out = outputs.row_mut(r);
            out[..hsz].copy_from_slice(of.row(r));
            out[hsz..].copy_from_slice(ob.row((steps - 1 - t) * b + n));
        }
    }
    BiCache {
        batch: b,
        forward,
        x_reversed,
        backward,
        outputs,
    }
}

/// Backward of `bidirectional_forward` (DERIVATIONS.md, "Bidirectional RNN").
///
/// `dy`: ∂L/∂outputs (T·B, 2H); `d_final`: gradients of the final states
/// [forward, backward], if the loss uses them. Adds into `grads_fwd` and
/// `grads_bwd`; returns (∂L/∂x (T·B, I), [∂L/∂s0 forward, ∂L/∂s0 backward]).
pub fn bidirectional_backward<T: Scalar>(
    fwd: &CellParams<T>,
    bwd: &CellParams<T>,
    x: MatRef<T>,
    cache: &BiCache<T>,
    dy: MatRef<T>,
    d_final: Option<[&State<T>; 2]>,
    grads_fwd: &mut CellParams<T>,
    grads_bwd: &mut CellParams<T>,
) -> (Matrix<T>, [State<T>; 2]) {
    let b = cache.batch;
    let hsz = fwd.hidden_size();
    // The forward direction sees columns 0..H of dy as they are.
    let (mut dx, ds_f) = sequence_backward(
        fwd,
        x,
        &cache.forward,
        dy.block(0, 0, dy.rows(), hsz),
        d_final.map(|d| d[0]),
        grads_fwd,
    );
    // The backward direction produced columns H..2H in reversed time.
    let dy_b = reverse_time(dy.block(0, hsz, dy.rows(), hsz), b);
    let (dx_rev, ds_b) = sequence_backward(
        bwd,
        cache.x_reversed.view(),
        &cache.backward,
        dy_b.view(),
        d_final.map(|d| d[1]),
        grads_bwd,
    );
    // x⟨t⟩ fed both directions: add the backward direction's gradient, un-reversed.
    dx.add_assign(&reverse_time(dx_rev.view(), b));
    (dx, [ds_f, ds_b])
}
