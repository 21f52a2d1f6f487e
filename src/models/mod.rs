//! The seed's RNN architectures as complete models, each with `forward`,
//! `backward` and a loss, built from `rnn`'s stacks and `nn`'s layers with no
//! autodiff tape:
//!
//! - `tagger.rs` — many-to-many with Tx = Ty (name recognition: a label per word);
//! - `classifier.rs` — many-to-one (a star rating for a sentence);
//! - `language_model.rs` — one-to-many (music or text generation: a start
//!   input, then the model's own samples fed back); the language model;
//! - `seq2seq.rs` — many-to-many with Tx ≠ Ty, as an encoder and a decoder.
//!
//! This file holds what they share: the input layer (one-hot vectors as in
//! the seed, an embedding matrix E, or dense features), the token batch with
//! its padding mask, and the `SeqEncoder` (input layer + stacked RNN).

pub mod classifier;
pub mod language_model;
pub mod seq2seq;
pub mod tagger;

pub use classifier::{Classifier, ClassifierCache};
pub use language_model::{choose, Generator, GeneratorCache, Sampling};
pub use seq2seq::{Seq2Seq, Seq2SeqCache};
pub use tagger::{OutputKind, Tagger, TaggerCache};

use crate::linalg::{MatRef, Matrix, Scalar, Workspace};
use crate::nn::{dropout_backward, dropout_forward, Dropout};
use crate::nn::{embedding_backward, embedding_forward, Embedding, Linear};
use crate::rng::Rng;
use crate::rnn::{
    stack_backward_ws, stack_forward_train_ws, CellKind, StackCache, StackedRnn, State,
};

/// Named parameter tensors, in a fixed order, with PyTorch state_dict names.
/// The same struct filled with zeros holds a model's gradients, so
/// `Optimizer::step(model.tensors_mut(), grads.tensors())` updates a model.
pub trait Parameters<T> {
    /// (name, shape, values) of every tensor.
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])>;
    /// Mutable values of every tensor, in the order of `named_tensors`.
    fn tensors_mut(&mut self) -> Vec<&mut [T]>;
    /// The values of every tensor, in the order of `named_tensors`. (Models
    /// on a training path override it, so a step builds no names.)
    fn tensors(&self) -> Vec<&[T]> {
        self.named_tensors()
            .into_iter()
            .map(|(_, _, v)| v)
            .collect()
    }
    /// Sets every value to zero (before accumulating a gradient).
    fn fill_zero(&mut self)
    where
        T: Scalar,
    {
        for t in self.tensors_mut() {
            t.iter_mut().for_each(|x| *x = T::ZERO);
        }
    }
    /// Total number of values.
    fn num_values(&self) -> usize {
        self.named_tensors().iter().map(|(_, _, v)| v.len()).sum()
    }
}

/// Prefixes every name of `inner` with `prefix` and a dot (a child module).
pub fn prefixed<'a, T>(
    prefix: &str,
    inner: Vec<(String, Vec<usize>, &'a [T])>,
) -> Vec<(String, Vec<usize>, &'a [T])> {
    inner
        .into_iter()
        .map(|(n, s, v)| (format!("{prefix}.{n}"), s, v))
        .collect()
}

impl<T: Scalar> Parameters<T> for StackedRnn<T> {
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        StackedRnn::named_tensors(self)
    }
    fn tensors(&self) -> Vec<&[T]> {
        StackedRnn::tensors(self)
    }
    fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        StackedRnn::tensors_mut(self)
    }
}

impl<T: Scalar> Parameters<T> for Linear<T> {
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        vec![
            (
                "weight".to_string(),
                vec![self.weight.rows(), self.weight.cols()],
                self.weight.as_slice(),
            ),
            ("bias".to_string(), vec![self.bias.len()], &self.bias),
        ]
    }
    fn tensors(&self) -> Vec<&[T]> {
        vec![self.weight.as_slice(), &self.bias]
    }
    fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        vec![self.weight.as_mut_slice(), &mut self.bias]
    }
}

/// How token ids (or features) become the RNN's input vectors x⟨t⟩.
#[derive(Clone, Debug, PartialEq)]
pub enum InputLayer<T> {
    /// The seed's one-hot vectors o_j of a vocabulary of this size: x⟨t⟩ = o_{id}.
    OneHot(usize),
    /// An embedding matrix E (V, D): `x⟨t⟩ = E[id] = E·o_{id}`.
    Embedding(Embedding<T>),
    /// Dense features of this width, given directly (no ids).
    Dense(usize),
}

impl<T: Scalar> InputLayer<T> {
    /// The width of x⟨t⟩.
    pub fn width(&self) -> usize {
        match self {
            InputLayer::OneHot(v) => *v,
            InputLayer::Embedding(e) => e.dim(),
            InputLayer::Dense(d) => *d,
        }
    }

    /// An input layer for a vocabulary of `vocab` tokens: one-hot if
    /// `embed_dim` is 0 (the seed's choice), else an embedding of that width.
    pub fn for_vocab(vocab: usize, embed_dim: usize, rng: &mut Rng) -> InputLayer<T> {
        if embed_dim == 0 {
            InputLayer::OneHot(vocab)
        } else {
            InputLayer::Embedding(Embedding::new(vocab, embed_dim, rng))
        }
    }

    /// Builds x (N, width) for the given inputs.
    pub fn encode(&self, inputs: &Inputs<T>) -> Matrix<T> {
        match (self, inputs) {
            (InputLayer::OneHot(v), Inputs::Ids(ids)) => {
                let mut x = Matrix::zeros(ids.len(), *v);
                for (n, &id) in ids.iter().enumerate() {
                    assert!(id < *v, "token id {id} outside a vocabulary of {v}");
                    x.set(n, id, T::ONE);
                }
                x
            }
            (InputLayer::Embedding(e), Inputs::Ids(ids)) => {
                let mut x = Matrix::zeros(ids.len(), e.dim());
                embedding_forward(e, ids, x.view_mut());
                x
            }
            (InputLayer::Dense(d), Inputs::Dense(x)) => {
                assert!(
                    x.cols() == *d,
                    "dense input of width {} for a layer of width {d}",
                    x.cols()
                );
                x.clone()
            }
            _ => {
                panic!("InputLayer::encode: ids given to a dense layer or features to an id layer")
            }
        }
    }

    /// Backward of `encode`: adds ∂L/∂E into `grad` for an embedding (only the
    /// rows used); nothing to do for one-hot vectors. Returns ∂L/∂x for dense
    /// inputs (their gradient is a result, not a parameter), else `None`.
    pub fn encode_backward(
        &self,
        inputs: &Inputs<T>,
        dx: Matrix<T>,
        grad: &mut InputLayer<T>,
    ) -> Option<Matrix<T>> {
        match (inputs, grad) {
            (Inputs::Ids(ids), InputLayer::Embedding(g)) => {
                embedding_backward(ids, dx.view(), &mut g.weight);
                None
            }
            (Inputs::Dense(_), _) => Some(dx),
            _ => None,
        }
    }

    /// All zeros of the same shape (a gradient buffer).
    pub fn zeros_like(&self) -> InputLayer<T> {
        match self {
            InputLayer::Embedding(e) => InputLayer::Embedding(Embedding {
                weight: Matrix::zeros(e.vocab_size(), e.dim()),
            }),
            other => other.clone(),
        }
    }

    /// The embedding's tensor, named `weight`, if there is one.
    pub fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        match self {
            InputLayer::Embedding(e) => vec![(
                "weight".to_string(),
                vec![e.vocab_size(), e.dim()],
                e.weight.as_slice(),
            )],
            _ => Vec::new(),
        }
    }

    /// The values of `named_tensors`.
    pub fn tensors(&self) -> Vec<&[T]> {
        match self {
            InputLayer::Embedding(e) => vec![e.weight.as_slice()],
            _ => Vec::new(),
        }
    }

    /// Mutable values of `named_tensors`.
    pub fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        match self {
            InputLayer::Embedding(e) => vec![e.weight.as_mut_slice()],
            _ => Vec::new(),
        }
    }
}

/// What a batch feeds in: token ids (time-major, length T·B) or dense
/// features (T·B, F).
#[derive(Clone, Debug, PartialEq)]
pub enum Inputs<T> {
    /// Token ids, row t·B + b = step t of sequence b.
    Ids(Vec<usize>),
    /// Dense features, (T·B, F).
    Dense(Matrix<T>),
}

/// A padded batch of B sequences of T steps, time-major, with each
/// sequence's real length (positions past it are padding).
#[derive(Clone, Debug, PartialEq)]
pub struct SeqBatch<T> {
    /// T, the padded length.
    pub steps: usize,
    /// B.
    pub batch: usize,
    /// The inputs at every (t, b).
    pub inputs: Inputs<T>,
    /// Each sequence's real length, 1 … T.
    pub lengths: Vec<usize>,
}

impl<T: Scalar> SeqBatch<T> {
    /// Pads token sequences (each at least one token long) into a batch; the
    /// padding id is `pad` (it is masked, so any valid id will do).
    pub fn from_sequences(seqs: &[Vec<usize>], pad: usize) -> SeqBatch<T> {
        let batch = seqs.len();
        let steps = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        let mut ids = vec![pad; steps * batch];
        for (b, s) in seqs.iter().enumerate() {
            for (t, &id) in s.iter().enumerate() {
                ids[t * batch + b] = id;
            }
        }
        SeqBatch {
            steps,
            batch,
            inputs: Inputs::Ids(ids),
            lengths: seqs.iter().map(|s| s.len()).collect(),
        }
    }

    /// The padding mask (length T·B): 1 where t < length, else 0; `None` if
    /// every sequence has the full length.
    pub fn mask(&self) -> Option<Vec<T>> {
        if self.lengths.iter().all(|&l| l == self.steps) {
            return None;
        }
        let mut m = vec![T::ZERO; self.steps * self.batch];
        for t in 0..self.steps {
            for (b, &len) in self.lengths.iter().enumerate() {
                if t < len {
                    m[t * self.batch + b] = T::ONE;
                }
            }
        }
        Some(m)
    }
}

/// An input layer followed by a stacked (optionally bidirectional) RNN: the
/// part every model starts with.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqEncoder<T> {
    /// How inputs become x⟨t⟩.
    pub input: InputLayer<T>,
    /// The recurrent layers.
    pub rnn: StackedRnn<T>,
}

/// What `SeqEncoder::backward` needs from `SeqEncoder::forward`.
#[derive(Clone, Debug)]
pub struct EncoderCache<T> {
    /// x: (T·B, I), as the stack read it (after dropout, if any).
    pub x: Matrix<T>,
    /// With dropout on embedded inputs: its mask, (T·B, I).
    pub x_mask: Option<Matrix<T>>,
    /// The padding mask used, if any.
    pub mask: Option<Vec<T>>,
    /// The stack's cache.
    pub rnn: StackCache<T>,
}

/// What a backward pass returns besides parameter gradients.
#[derive(Clone, Debug)]
pub struct InputGrads<T> {
    /// ∂L/∂x for dense inputs, (T·B, F); `None` for token inputs (their
    /// gradient went into the embedding).
    pub dx: Option<Matrix<T>>,
    /// ∂L/∂(initial states), in h_n order.
    pub d_states0: Vec<State<T>>,
}

impl<T: Scalar> SeqEncoder<T> {
    /// A new encoder: `input`, then `layers` layers of `hidden` units.
    pub fn new(
        input: InputLayer<T>,
        kind: CellKind,
        hidden: usize,
        layers: usize,
        bidirectional: bool,
        rng: &mut Rng,
    ) -> SeqEncoder<T> {
        let rnn = StackedRnn::new(kind, input.width(), hidden, layers, bidirectional, rng);
        SeqEncoder { input, rnn }
    }

    /// All zeros with the same shapes (a gradient buffer).
    pub fn zeros_like(&self) -> SeqEncoder<T> {
        SeqEncoder {
            input: self.input.zeros_like(),
            rnn: self.rnn.zeros_like(),
        }
    }

    /// Runs the input layer and the stack. `states0`: initial states in h_n
    /// order, or zeros if `None`.
    pub fn forward(&self, batch: &SeqBatch<T>, states0: Option<&[State<T>]>) -> EncoderCache<T> {
        self.forward_ws(batch, states0, &mut Workspace::new())
    }

    /// `forward` with the stack's buffers taken from `ws` (see
    /// `linalg::Workspace`; the same bits either way).
    pub fn forward_ws(
        &self,
        batch: &SeqBatch<T>,
        states0: Option<&[State<T>]>,
        ws: &mut Workspace<T>,
    ) -> EncoderCache<T> {
        self.forward_train_ws(batch, states0, None, ws)
    }

    /// `forward_ws` for training with dropout: on embedded inputs x⟨t⟩ = E·o_id
    /// (one-hot and dense inputs are data and are not dropped), then between
    /// the stack's layers (`rnn::stack_forward_train_ws`). Masks are drawn in
    /// that order. With `None`, exactly `forward_ws`.
    pub fn forward_train_ws(
        &self,
        batch: &SeqBatch<T>,
        states0: Option<&[State<T>]>,
        mut dropout: Option<&mut Dropout>,
        ws: &mut Workspace<T>,
    ) -> EncoderCache<T> {
        let mut x = self.input.encode(&batch.inputs);
        let mut x_mask = None;
        if let (InputLayer::Embedding(_), Some(d)) = (&self.input, dropout.as_deref_mut()) {
            let dropped = dropout_forward(x.view(), d);
            x = dropped.out;
            x_mask = Some(dropped.mask);
        }
        let zeros;
        let s0 = match states0 {
            Some(s) => s,
            None => {
                zeros = self.rnn.zero_states(batch.batch);
                &zeros
            }
        };
        let mask = batch.mask();
        let mut rnn = stack_forward_train_ws(&self.rnn, x.view(), s0, mask.as_deref(), dropout, ws);
        if let InputLayer::OneHot(_) = self.input {
            // One-hot vectors are data: nothing uses ∂L/∂x, so the backward
            // pass skips the product ∂L/∂Z · W_ih that would form it.
            rnn.skip_input_grad();
        }
        EncoderCache {
            x,
            x_mask,
            mask,
            rnn,
        }
    }

    /// Backward through the stack and the input layer: `dy` = ∂L/∂outputs
    /// (T·B, D·H), `d_final` = ∂L/∂(final states) if used. Adds into `grads`.
    pub fn backward(
        &self,
        batch: &SeqBatch<T>,
        cache: &EncoderCache<T>,
        dy: MatRef<T>,
        d_final: Option<&[State<T>]>,
        grads: &mut SeqEncoder<T>,
    ) -> InputGrads<T> {
        self.backward_ws(batch, cache, dy, d_final, grads, &mut Workspace::new())
    }

    /// `backward` with the stack's buffers taken from `ws` (see
    /// `linalg::Workspace`; the same bits either way).
    pub fn backward_ws(
        &self,
        batch: &SeqBatch<T>,
        cache: &EncoderCache<T>,
        dy: MatRef<T>,
        d_final: Option<&[State<T>]>,
        grads: &mut SeqEncoder<T>,
        ws: &mut Workspace<T>,
    ) -> InputGrads<T> {
        let (dx, d_states0) = stack_backward_ws(
            &self.rnn,
            cache.x.view(),
            &cache.rnn,
            dy,
            d_final,
            &mut grads.rnn,
            ws,
        );
        let mut dx = dx;
        if let Some(m) = &cache.x_mask {
            dropout_backward(&mut dx, m);
        }
        let dx = self
            .input
            .encode_backward(&batch.inputs, dx, &mut grads.input);
        InputGrads { dx, d_states0 }
    }
}

impl<T: Scalar> Parameters<T> for SeqEncoder<T> {
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        let mut out = prefixed("embedding", self.input.named_tensors());
        out.extend(prefixed("rnn", self.rnn.named_tensors()));
        out
    }
    fn tensors(&self) -> Vec<&[T]> {
        let mut out = self.input.tensors();
        out.extend(self.rnn.tensors());
        out
    }
    fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        let mut out = self.input.tensors_mut();
        out.extend(self.rnn.tensors_mut());
        out
    }
}
