//! Many-to-many with Tx = Ty: a label ŷ⟨t⟩ for every input x⟨t⟩, as in the
//! seed's name recognition (is each word part of a person's name?).
//!
//! ```text
//! a⟨1…T⟩ = RNN(x⟨1…T⟩)           any cell, L layers, uni- or bidirectional
//! z⟨t⟩   = Wya a⟨t⟩ + by          (T·B, C)
//! L      = mean over real positions of CE(softmax(z⟨t⟩), y⟨t⟩)       (Softmax)
//!        or of BCE(σ(z⟨t⟩), y⟨t⟩) with one logit per step           (Sigmoid)
//! ```
//!
//! A bidirectional RNN lets the label at t depend on the words after t.
//! For training, `forward_train_ws` can apply dropout (`nn::dropout`) to the
//! embedded inputs, between the layers and to a⟨t⟩ before the head.
//! Backward: DERIVATIONS.md, "Models".

use super::{prefixed, EncoderCache, InputGrads, InputLayer, Parameters, SeqBatch, SeqEncoder};
use crate::linalg::{Matrix, Scalar, Workspace};
use crate::nn::{
    dropout_backward, dropout_forward, linear_backward, linear_forward, sigmoid_bce_backward,
    sigmoid_bce_forward, softmax_cross_entropy_backward, softmax_cross_entropy_forward, Dropout,
    Dropped, Linear, LossSum,
};
use crate::rng::Rng;
use crate::rnn::{CellKind, State};

/// How a per-step label is predicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// One of C classes, softmax cross-entropy.
    Softmax,
    /// A 0/1 label, one logit, sigmoid binary cross-entropy.
    Sigmoid,
}

/// The many-to-many tagger.
#[derive(Clone, Debug, PartialEq)]
pub struct Tagger<T> {
    /// Input layer and recurrent stack.
    pub encoder: SeqEncoder<T>,
    /// Wya, by: (C, D·H), C = 1 for `Sigmoid`.
    pub head: Linear<T>,
    /// Softmax over classes or a sigmoid.
    pub output: OutputKind,
}

/// What `Tagger::backward` needs from `Tagger::forward`.
#[derive(Clone, Debug)]
pub struct TaggerCache<T> {
    /// The encoder's cache.
    pub enc: EncoderCache<T>,
    /// z⟨t⟩ for every step: (T·B, C).
    pub logits: Matrix<T>,
    /// With dropout: the head's input m ⊙ a⟨t⟩ and its mask. `None` without.
    pub head_in: Option<Dropped<T>>,
}

impl<T: Scalar> Tagger<T> {
    /// A new tagger with `classes` labels (ignored for `Sigmoid`, which has one logit).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        input: InputLayer<T>,
        kind: CellKind,
        hidden: usize,
        layers: usize,
        bidirectional: bool,
        classes: usize,
        output: OutputKind,
        rng: &mut Rng,
    ) -> Tagger<T> {
        let encoder = SeqEncoder::new(input, kind, hidden, layers, bidirectional, rng);
        let c = if output == OutputKind::Sigmoid {
            1
        } else {
            classes
        };
        let head = Linear::new(encoder.rnn.output_size(), c, rng);
        Tagger {
            encoder,
            head,
            output,
        }
    }

    /// All zeros with the same shapes (a gradient buffer).
    pub fn zeros_like(&self) -> Tagger<T> {
        Tagger {
            encoder: self.encoder.zeros_like(),
            head: Linear::zeros(self.head.inputs(), self.head.outputs()),
            output: self.output,
        }
    }

    /// Runs the tagger; `states0` are the stack's initial states (zeros if `None`).
    pub fn forward(&self, batch: &SeqBatch<T>, states0: Option<&[State<T>]>) -> TaggerCache<T> {
        self.forward_ws(batch, states0, &mut Workspace::new())
    }

    /// `forward` with the encoder's buffers taken from `ws` (see
    /// `linalg::Workspace`; the same bits either way).
    pub fn forward_ws(
        &self,
        batch: &SeqBatch<T>,
        states0: Option<&[State<T>]>,
        ws: &mut Workspace<T>,
    ) -> TaggerCache<T> {
        self.forward_train_ws(batch, states0, None, ws)
    }

    /// `forward_ws` for training with dropout: on embedded inputs and between
    /// the recurrent layers (`SeqEncoder::forward_train_ws`), and on the
    /// head's input, z⟨t⟩ = Wya (m⟨t⟩ ⊙ a⟨t⟩) + by (char-rnn's placement).
    /// Masks are drawn from `dropout.rng` bottom up, the head's last. With
    /// `None`, exactly `forward_ws`.
    pub fn forward_train_ws(
        &self,
        batch: &SeqBatch<T>,
        states0: Option<&[State<T>]>,
        mut dropout: Option<&mut Dropout>,
        ws: &mut Workspace<T>,
    ) -> TaggerCache<T> {
        let enc = self
            .encoder
            .forward_train_ws(batch, states0, dropout.as_deref_mut(), ws);
        let head_in = dropout.map(|d| dropout_forward(enc.rnn.outputs(), d));
        let a = match &head_in {
            Some(dropped) => dropped.out.view(),
            None => enc.rnn.outputs(),
        };
        let mut logits = Matrix::zeros(batch.steps * batch.batch, self.head.outputs());
        linear_forward(&self.head, a, logits.view_mut());
        TaggerCache {
            enc,
            logits,
            head_in,
        }
    }

    /// The mean loss over real (unpadded) positions. `targets`: one label per
    /// (t, b), time-major (0/1 for `Sigmoid`).
    pub fn loss(&self, cache: &TaggerCache<T>, targets: &[usize]) -> LossSum {
        let mask = cache.enc.mask.as_deref();
        match self.output {
            OutputKind::Softmax => {
                let mut probs = Matrix::zeros(cache.logits.rows(), cache.logits.cols());
                softmax_cross_entropy_forward(cache.logits.view(), targets, mask, &mut probs)
            }
            OutputKind::Sigmoid => {
                let y = binary_targets(targets);
                sigmoid_bce_forward(cache.logits.view(), y.view(), mask)
            }
        }
    }

    /// Backward of the mean loss (DERIVATIONS.md, "Models"). Adds into `grads`.
    pub fn backward(
        &self,
        batch: &SeqBatch<T>,
        cache: &TaggerCache<T>,
        targets: &[usize],
        grads: &mut Tagger<T>,
    ) -> InputGrads<T> {
        self.backward_ws(batch, cache, targets, grads, &mut Workspace::new())
    }

    /// `backward` with the encoder's buffers taken from `ws` (see
    /// `linalg::Workspace`; the same bits either way).
    pub fn backward_ws(
        &self,
        batch: &SeqBatch<T>,
        cache: &TaggerCache<T>,
        targets: &[usize],
        grads: &mut Tagger<T>,
        ws: &mut Workspace<T>,
    ) -> InputGrads<T> {
        self.loss_and_backward_ws(batch, cache, targets, grads, ws)
            .1
    }

    /// `loss` and `backward_ws` in one: the softmax that the loss needs is
    /// the one the backward pass starts from, so it is computed once (a
    /// training step wants both). The same loss and the same bits.
    pub fn loss_and_backward_ws(
        &self,
        batch: &SeqBatch<T>,
        cache: &TaggerCache<T>,
        targets: &[usize],
        grads: &mut Tagger<T>,
        ws: &mut Workspace<T>,
    ) -> (LossSum, InputGrads<T>) {
        let mask = cache.enc.mask.as_deref();
        let n = cache.logits.rows();
        let mut dz = Matrix::zeros(n, cache.logits.cols());
        let loss = match self.output {
            OutputKind::Softmax => {
                let mut probs = Matrix::zeros(n, cache.logits.cols());
                let l =
                    softmax_cross_entropy_forward(cache.logits.view(), targets, mask, &mut probs);
                let scale = T::from_f64(1.0 / l.count.max(1) as f64);
                softmax_cross_entropy_backward(&probs, targets, mask, scale, dz.view_mut());
                l
            }
            OutputKind::Sigmoid => {
                // One logit per row, so the loss's count is the number of
                // real positions, as for the softmax.
                let y = binary_targets(targets);
                let l = sigmoid_bce_forward(cache.logits.view(), y.view(), mask);
                let scale = T::from_f64(1.0 / l.count.max(1) as f64);
                sigmoid_bce_backward(cache.logits.view(), y.view(), mask, scale, dz.view_mut());
                l
            }
        };
        let mut da = Matrix::zeros(n, self.head.inputs());
        let a = match &cache.head_in {
            Some(dropped) => dropped.out.view(),
            None => cache.enc.rnn.outputs(),
        };
        linear_backward(
            &self.head,
            a,
            dz.view(),
            &mut grads.head,
            Some(da.view_mut()),
        );
        if let Some(dropped) = &cache.head_in {
            dropout_backward(&mut da, &dropped.mask);
        }
        let input_grads =
            self.encoder
                .backward_ws(batch, &cache.enc, da.view(), None, &mut grads.encoder, ws);
        (loss, input_grads)
    }

    /// The predicted label at every (t, b), time-major.
    pub fn predict(&self, batch: &SeqBatch<T>) -> Vec<usize> {
        let cache = self.forward(batch, None);
        (0..cache.logits.rows())
            .map(|r| {
                let z = cache.logits.row(r);
                match self.output {
                    OutputKind::Sigmoid => usize::from(z[0] > T::ZERO),
                    OutputKind::Softmax => argmax(z),
                }
            })
            .collect()
    }
}

/// The index of the largest value (the first one on ties).
pub fn argmax<T: Scalar>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

fn binary_targets<T: Scalar>(targets: &[usize]) -> Matrix<T> {
    Matrix::from_fn(targets.len(), 1, |i, _| {
        if targets[i] != 0 {
            T::ONE
        } else {
            T::ZERO
        }
    })
}

impl<T: Scalar> Parameters<T> for Tagger<T> {
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        let mut out = self.encoder.named_tensors();
        out.extend(prefixed("head", self.head.named_tensors()));
        out
    }
    fn tensors(&self) -> Vec<&[T]> {
        let mut out = self.encoder.tensors();
        out.extend(self.head.tensors());
        out
    }
    fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        let mut out = self.encoder.tensors_mut();
        out.extend(self.head.tensors_mut());
        out
    }
}
