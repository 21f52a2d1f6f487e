//! Deep RNNs: L recurrent layers stacked, each reading the sequence of the
//! layer below, optionally bidirectional — PyTorch's
//! `nn.RNN/GRU/LSTM(num_layers = L, bidirectional = …)`.
//!
//! Layer 0 reads x (width I); layer l > 0 reads the outputs of layer l − 1
//! (width D·H, D = 2 if bidirectional). Parameters are named as in a torch
//! state_dict: `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
//! `bias_hh_l{k}`, with the suffix `_reverse` for the backward direction.
//! Initial and final states are ordered as torch's h_n: index l·D + d.
//! For training, `stack_forward_train_ws` can put dropout between layers:
//! layer l > 0 then reads m_l ⊙ (outputs of layer l − 1).
//! Backward pass: DERIVATIONS.md, "Stacked RNN".

use super::bidirectional::{bidirectional_backward, bidirectional_forward, BiCache};
use super::sequence::{sequence_backward_ws, sequence_forward_ws, SeqCache};
use super::{CellKind, CellParams, State};
use crate::linalg::{MatRef, Matrix, Scalar, Workspace};
use crate::nn::dropout::{dropout_backward, dropout_forward, Dropout, Dropped};
use crate::rng::Rng;

/// The parameters of an L-layer, D-direction recurrent network.
#[derive(Clone, Debug, PartialEq)]
pub struct StackedRnn<T> {
    /// The cell of every layer.
    pub kind: CellKind,
    /// L.
    pub num_layers: usize,
    /// D = 2 if true, else 1.
    pub bidirectional: bool,
    /// One `CellParams` per (layer, direction), at index l·D + d.
    pub layers: Vec<CellParams<T>>,
}

impl<T: Scalar> StackedRnn<T> {
    /// Initialised as torch does: layer by layer, forward direction before
    /// backward, each with `CellParams::new` (U(−1/√H, 1/√H)).
    pub fn new(
        kind: CellKind,
        input_size: usize,
        hidden_size: usize,
        num_layers: usize,
        bidirectional: bool,
        rng: &mut Rng,
    ) -> StackedRnn<T> {
        let d = if bidirectional { 2 } else { 1 };
        let mut layers = Vec::with_capacity(num_layers * d);
        for l in 0..num_layers {
            let inp = if l == 0 { input_size } else { d * hidden_size };
            for _ in 0..d {
                layers.push(CellParams::new(kind, inp, hidden_size, rng));
            }
        }
        StackedRnn {
            kind,
            num_layers,
            bidirectional,
            layers,
        }
    }

    /// All zeros with the same shapes (a gradient buffer).
    pub fn zeros_like(&self) -> StackedRnn<T> {
        StackedRnn {
            kind: self.kind,
            num_layers: self.num_layers,
            bidirectional: self.bidirectional,
            layers: self.layers.iter().map(|p| p.zeros_like()).collect(),
        }
    }

    /// D: 2 if bidirectional, else 1.
    pub fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// I, the width of the input sequence.
    pub fn input_size(&self) -> usize {
        self.layers[0].input_size()
    }

    /// H, the hidden width of every layer.
    pub fn hidden_size(&self) -> usize {
        self.layers[0].hidden_size()
    }

    /// D·H, the width of the output sequence.
    pub fn output_size(&self) -> usize {
        self.directions() * self.hidden_size()
    }

    /// The zero initial state for every (layer, direction).
    pub fn zero_states(&self, batch: usize) -> Vec<State<T>> {
        (0..self.layers.len())
            .map(|_| State::zeros(self.kind, batch, self.hidden_size()))
            .collect()
    }

    /// Sets every element to zero.
    pub fn fill_zero(&mut self) {
        self.layers.iter_mut().for_each(|p| p.fill_zero());
    }

    /// The same values in another float type.
    pub fn cast<U: Scalar>(&self) -> StackedRnn<U> {
        StackedRnn {
            kind: self.kind,
            num_layers: self.num_layers,
            bidirectional: self.bidirectional,
            layers: self.layers.iter().map(|p| p.cast()).collect(),
        }
    }

    /// Every tensor with its torch state_dict name and shape, in state_dict
    /// order (layer by layer, forward then `_reverse`; weight_ih, weight_hh,
    /// bias_ih, bias_hh). Biases have the 1-D shape [G·H].
    pub fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        let d = self.directions();
        let mut out = Vec::new();
        for (i, p) in self.layers.iter().enumerate() {
            let suffix = format!("_l{}{}", i / d, if i % d == 1 { "_reverse" } else { "" });
            for (name, (r, c), data) in p.named() {
                let shape = if name.starts_with("bias") {
                    vec![c]
                } else {
                    vec![r, c]
                };
                out.push((format!("{name}{suffix}"), shape, data));
            }
        }
        out
    }

    /// Every tensor's elements, in the order of `named_tensors` (without
    /// building the names, which a training step does not need).
    pub fn tensors(&self) -> Vec<&[T]> {
        self.layers.iter().flat_map(|p| p.tensors()).collect()
    }

    /// Mutable access to every tensor's elements, in the order of `named_tensors`.
    pub fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        self.layers
            .iter_mut()
            .flat_map(|p| p.tensors_mut())
            .collect()
    }
}

/// One layer's cache.
#[derive(Clone, Debug)]
pub enum LayerCache<T> {
    /// A unidirectional layer.
    Uni(SeqCache<T>),
    /// A bidirectional layer (boxed: it holds two caches).
    Bi(Box<BiCache<T>>),
}

impl<T: Scalar> LayerCache<T> {
    /// The layer's outputs: (T·B, D·H).
    pub fn outputs(&self) -> MatRef<'_, T> {
        match self {
            LayerCache::Uni(c) => c.outputs(),
            LayerCache::Bi(c) => c.outputs.view(),
        }
    }

    /// Hands the cache's memory to `ws` for the next pass.
    pub fn recycle(self, ws: &mut Workspace<T>) {
        match self {
            LayerCache::Uni(c) => c.recycle(ws),
            LayerCache::Bi(c) => c.recycle(ws),
        }
    }
}

/// What `stack_backward` needs from `stack_forward`.
#[derive(Clone, Debug)]
pub struct StackCache<T> {
    /// Batch size B.
    pub batch: usize,
    /// One cache per layer, bottom first.
    pub layers: Vec<LayerCache<T>>,
    /// With dropout between layers: entry l is layer l's output as dropped
    /// for layer l + 1 (L − 1 entries). Empty without dropout.
    pub between: Vec<Dropped<T>>,
}

impl<T: Scalar> StackCache<T> {
    /// Makes the backward pass skip ∂L/∂x of the bottom layer's input (see
    /// `SeqCache::skip_input_grad`); `stack_backward` then returns an empty
    /// (0, I) ∂L/∂x. For one-hot token inputs, whose gradient nobody uses.
    pub fn skip_input_grad(&mut self) {
        match self.layers.first_mut() {
            Some(LayerCache::Uni(c)) => c.skip_input_grad(),
            Some(LayerCache::Bi(c)) => {
                c.forward.skip_input_grad();
                c.backward.skip_input_grad();
            }
            None => {}
        }
    }

    /// The top layer's outputs: (T·B, D·H).
    pub fn outputs(&self) -> MatRef<'_, T> {
        self.layers.last().expect("at least one layer").outputs()
    }

    /// The final state of every (layer, direction), in torch's h_n order l·D + d.
    pub fn final_states(&self) -> Vec<State<T>> {
        let mut out = Vec::new();
        for c in &self.layers {
            match c {
                LayerCache::Uni(c) => out.push(c.final_state()),
                LayerCache::Bi(c) => out.extend(c.final_states()),
            }
        }
        out
    }

    /// Hands the cache's memory to `ws` for the next pass.
    pub fn recycle(self, ws: &mut Workspace<T>) {
        for c in self.layers {
            c.recycle(ws);
        }
    }
}

/// Runs the stack over a sequence. `x`: (T·B, I) time-major; `states0`: one
/// initial state per (layer, direction), in h_n order; `mask`: optional
/// padding mask of length T·B.
pub fn stack_forward<T: Scalar>(
    p: &StackedRnn<T>,
    x: MatRef<T>,
    states0: &[State<T>],
    mask: Option<&[T]>,
) -> StackCache<T> {
    stack_forward_ws(p, x, states0, mask, &mut Workspace::new())
}

/// `stack_forward` with the unidirectional layers' buffers taken from `ws`
/// (see `linalg::Workspace`; the same bits either way).
pub fn stack_forward_ws<T: Scalar>(
    p: &StackedRnn<T>,
    x: MatRef<T>,
    states0: &[State<T>],
    mask: Option<&[T]>,
    ws: &mut Workspace<T>,
) -> StackCache<T> {
    stack_forward_train_ws(p, x, states0, mask, None, ws)
}

/// `stack_forward_ws` for training with dropout between layers: the input of
/// every layer above the first is the layer below's output with inverted
/// dropout (`nn::dropout`), as in PyTorch's `nn.RNN/GRU/LSTM(dropout=p)`.
/// Masks are drawn bottom boundary first. With `None`, exactly
/// `stack_forward_ws`.
pub fn stack_forward_train_ws<T: Scalar>(
    p: &StackedRnn<T>,
    x: MatRef<T>,
    states0: &[State<T>],
    mask: Option<&[T]>,
    mut dropout: Option<&mut Dropout>,
    ws: &mut Workspace<T>,
) -> StackCache<T> {
    assert!(
        states0.len() == p.layers.len(),
        "stack_forward: {} initial states for {} layer-directions",
        states0.len(),
        p.layers.len()
    );
    let b = states0[0].h.rows();
    let d = p.directions();
    let mut layers: Vec<LayerCache<T>> = Vec::with_capacity(p.num_layers);
    let mut between: Vec<Dropped<T>> = Vec::new();
    for l in 0..p.num_layers {
        if l > 0 {
            if let Some(drop) = dropout.as_deref_mut() {
                between.push(dropout_forward(layers[l - 1].outputs(), drop));
            }
        }
        let input = match (layers.last(), between.last()) {
            (None, _) => x,
            (Some(_), Some(dropped)) => dropped.out.view(),
            (Some(c), None) => c.outputs(),
        };
        let cache = if d == 2 {
            LayerCache::Bi(Box::new(bidirectional_forward(
                &p.layers[2 * l],
                &p.layers[2 * l + 1],
                input,
                [&states0[2 * l], &states0[2 * l + 1]],
                mask,
            )))
        } else {
            LayerCache::Uni(sequence_forward_ws(
                &p.layers[l],
                input,
                &states0[l],
                mask,
                ws,
            ))
        };
        layers.push(cache);
    }
    StackCache {
        batch: b,
        layers,
        between,
    }
}

/// Backward of `stack_forward` (DERIVATIONS.md, "Stacked RNN"). `x`: the
/// forward input (T·B, I); `dy`: ∂L/∂(top outputs) (T·B, D·H); `d_final`:
/// gradients of the final states in h_n order, if the loss uses them. Adds into
/// `grads`; returns (∂L/∂x (T·B, I), ∂L/∂states0 in h_n order).
pub fn stack_backward<T: Scalar>(
    p: &StackedRnn<T>,
    x: MatRef<T>,
    cache: &StackCache<T>,
    dy: MatRef<T>,
    d_final: Option<&[State<T>]>,
    grads: &mut StackedRnn<T>,
) -> (Matrix<T>, Vec<State<T>>) {
    stack_backward_ws(p, x, cache, dy, d_final, grads, &mut Workspace::new())
}

/// `stack_backward` with the unidirectional layers' buffers taken from `ws`
/// (see `linalg::Workspace`; the same bits either way).
pub fn stack_backward_ws<T: Scalar>(
    p: &StackedRnn<T>,
    x: MatRef<T>,
    cache: &StackCache<T>,
    dy: MatRef<T>,
    d_final: Option<&[State<T>]>,
    grads: &mut StackedRnn<T>,
    ws: &mut Workspace<T>,
) -> (Matrix<T>, Vec<State<T>>) {
    let mut d_states: Vec<Option<State<T>>> = vec![None; p.layers.len()];
    // The gradient flowing into the current layer's outputs, top layer first.
    let mut d_out: Option<Matrix<T>> = None;
    for l in (0..p.num_layers).rev() {
        let input = if l == 0 {
            x
        } else if let Some(dropped) = cache.between.get(l - 1) {
            dropped.out.view()
        } else {
            cache.layers[l - 1].outputs()
        };
        let dy_l = match &d_out {
            None => dy,
            Some(m) => m.view(),
        };
        let dx = match &cache.layers[l] {
            LayerCache::Uni(c) => {
                let (dx, ds) = sequence_backward_ws(
                    &p.layers[l],
                    input,
                    c,
                    dy_l,
                    d_final.map(|f| &f[l]),
                    &mut grads.layers[l],
                    ws,
                );
                d_states[l] = Some(ds);
                dx
            }
            LayerCache::Bi(c) => {
                let (g_f, g_b) = grads.layers.split_at_mut(2 * l + 1);
                let (dx, [ds_f, ds_b]) = bidirectional_backward(
                    &p.layers[2 * l],
                    &p.layers[2 * l + 1],
                    input,
                    c,
                    dy_l,
                    d_final.map(|f| [&f[2 * l], &f[2 * l + 1]]),
                    &mut g_f[2 * l],
                    &mut g_b[0],
                );
                d_states[2 * l] = Some(ds_f);
                d_states[2 * l + 1] = Some(ds_b);
                dx
            }
        };
        // Layer l's input is layer l−1's output (times the dropout mask, if
        // any): its gradient flows down.
        let mut dx = dx;
        if l > 0 {
            if let Some(dropped) = cache.between.get(l - 1) {
                dropout_backward(&mut dx, &dropped.mask);
            }
        }
        if let Some(used) = d_out.replace(dx) {
            ws.keep(used);
        }
    }
    let dx = d_out.expect("at least one layer");
    let d_states = d_states
        .into_iter()
        .map(|s| s.expect("every layer visited"))
        .collect();
    (dx, d_states)
}
