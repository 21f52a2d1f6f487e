//! Many-to-one: one label for a whole sequence, as in the seed's sentiment
//! example (a star rating for a sentence).
//!
//! ```text
//! a⟨1…T⟩ = RNN(x⟨1…T⟩)                       any cell, L layers, uni- or bidirectional
//! f      = a_top⟨T_b⟩                            the top layer's final state (per sequence:
//!          or [a→_top⟨T_b⟩ ; a←_top⟨1⟩]          padded steps carry it), both directions if BRNN
//! z      = W f + b                              (B, C)
//! L      = mean over the batch of CE(softmax(z), y)
//! ```
//!
//! Backward: DERIVATIONS.md, "Models": the gradient enters the recurrent
//! stack only through the top layer's final state(s).

use super::tagger::argmax;
use super::{prefixed, EncoderCache, InputGrads, InputLayer, Parameters, SeqBatch, SeqEncoder};
use crate::linalg::{Matrix, Scalar};
use crate::nn::{
    linear_backward, linear_forward, softmax_cross_entropy_backward, softmax_cross_entropy_forward,
    Linear, LossSum,
};
use crate::rng::Rng;
use crate::rnn::{CellKind, State};

/// The many-to-one classifier.
#[derive(Clone, Debug, PartialEq)]
pub struct Classifier<T> {
    /// Input layer and recurrent stack.
    pub encoder: SeqEncoder<T>,
    /// (C, D·H).
    pub head: Linear<T>,
}

/// What `Classifier::backward` needs from `Classifier::forward`.
#[derive(Clone, Debug)]
pub struct ClassifierCache<T> {
    /// The encoder's cache.
    pub enc: EncoderCache<T>,
    /// f, the top layer's final state(s): (B, D·H).
    pub features: Matrix<T>,
    /// z: (B, C).
    pub logits: Matrix<T>,
}

impl<T: Scalar> Classifier<T> {
    /// A new classifier over `classes` classes.
    pub fn new(
        input: InputLayer<T>,
        kind: CellKind,
        hidden: usize,
        layers: usize,
        bidirectional: bool,
        classes: usize,
        rng: &mut Rng,
    ) -> Classifier<T> {
        let encoder = SeqEncoder::new(input, kind, hidden, layers, bidirectional, rng);
        let head = Linear::new(encoder.rnn.output_size(), classes, rng);
        Classifier { encoder, head }
    }

    /// All zeros with the same shapes (a gradient buffer).
    pub fn zeros_like(&self) -> Classifier<T> {
        Classifier {
            encoder: self.encoder.zeros_like(),
            head: Linear::zeros(self.head.inputs(), self.head.outputs()),
        }
    }

    /// The indices, in h_n order, of the top layer's states: one or two.
    fn top(&self) -> std::ops::Range<usize> {
        let d = self.encoder.rnn.directions();
        let l = self.encoder.rnn.num_layers - 1;
        l * d..(l + 1) * d
    }

    /// Runs the classifier; `states0`: the stack's initial states (zeros if `None`).
    pub fn forward(&self, batch: &SeqBatch<T>, states0: Option<&[State<T>]>) -> ClassifierCache<T> {
        let enc = self.encoder.forward(batch, states0);
        let finals = enc.rnn.final_states();
        let h = self.encoder.rnn.hidden_size();
        let mut features = Matrix::zeros(batch.batch, self.head.inputs());
        for (k, s) in self.top().enumerate() {
            for b in 0..batch.batch {
                features.row_mut(b)[k * h..(k + 1) * h].copy_from_slice(finals[s].h.row(b));
            }
        }
        let mut logits = Matrix::zeros(batch.batch, self.head.outputs());
        linear_forward(&self.head, features.view(), logits.view_mut());
        ClassifierCache {
            enc,
            features,
            logits,
        }
    }

    /// The mean cross-entropy over the batch; `labels`: one class per sequence.
    pub fn loss(&self, cache: &ClassifierCache<T>, labels: &[usize]) -> LossSum {
        let mut probs = Matrix::zeros(cache.logits.rows(), cache.logits.cols());
        softmax_cross_entropy_forward(cache.logits.view(), labels, None, &mut probs)
    }

    /// Backward of the mean loss (DERIVATIONS.md, "Models"). Adds into `grads`.
    pub fn backward(
        &self,
        batch: &SeqBatch<T>,
        cache: &ClassifierCache<T>,
        labels: &[usize],
        grads: &mut Classifier<T>,
    ) -> InputGrads<T> {
        let (b, c) = cache.logits.shape();
        let mut probs = Matrix::zeros(b, c);
        softmax_cross_entropy_forward(cache.logits.view(), labels, None, &mut probs);
        let mut dz = Matrix::zeros(b, c);
        softmax_cross_entropy_backward(
            &probs,
            labels,
            None,
            T::from_f64(1.0 / b.max(1) as f64),
            dz.view_mut(),
        );
        let mut df = Matrix::zeros(b, self.head.inputs());
        linear_backward(
            &self.head,
            cache.features.view(),
            dz.view(),
            &mut grads.head,
            Some(df.view_mut()),
        );
        // f is the top layer's final state(s): its gradient is their gradient;
        // every other final state, and every output, gets none.
        let h = self.encoder.rnn.hidden_size();
        let mut d_final = self.encoder.rnn.zero_states(b);
        for (k, s) in self.top().enumerate() {
            for n in 0..b {
                d_final[s]
                    .h
                    .row_mut(n)
                    .copy_from_slice(&df.row(n)[k * h..(k + 1) * h]);
            }
        }
        let dy = Matrix::zeros(batch.steps * b, self.encoder.rnn.output_size());
        self.encoder.backward(
            batch,
            &cache.enc,
            dy.view(),
            Some(&d_final),
            &mut grads.encoder,
        )
    }

    /// The predicted class of every sequence.
    pub fn predict(&self, batch: &SeqBatch<T>) -> Vec<usize> {
        let cache = self.forward(batch, None);
        (0..cache.logits.rows())
            .map(|r| argmax(cache.logits.row(r)))
            .collect()
    }
}

impl<T: Scalar> Parameters<T> for Classifier<T> {
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        let mut out = self.encoder.named_tensors();
        out.extend(prefixed("head", self.head.named_tensors()));
        out
    }
    fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        let mut out = self.encoder.tensors_mut();
        out.extend(self.head.tensors_mut());
        out
    }
}
