//! One-to-many: a start input (a class or a first token), then the model's
//! own samples fed back, as in the seed's music generation; the same network
//! is the language model of the seed's language-model section.
//!
//! Training uses teacher forcing: the input at step t is the true token
//! y⟨t−1⟩ (the start token at t = 1), the target is y⟨t⟩, and the loss is the
//! mean cross-entropy of softmax(Wya a⟨t⟩ + by) — exactly a `Tagger` over the
//! vocabulary, so `Generator` wraps one. Generation (`generate`) runs one step
//! at a time, drawing each token from the softmax and feeding it back until a
//! stop token or a length limit. Backward: DERIVATIONS.md, "Models".

use super::tagger::argmax;
use super::{
    InputGrads, InputLayer, Inputs, OutputKind, Parameters, SeqBatch, Tagger, TaggerCache,
};
use crate::linalg::{Matrix, Scalar, Workspace};
use crate::nn::{linear_forward, Dropout, LossSum};
use crate::rng::Rng;
use crate::rnn::{stack_forward, CellKind, State};

/// How the next token is chosen from the softmax.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampling {
    /// The most likely token.
    Greedy,
    /// A draw from softmax(z / temperature), restricted to the `top_k` most
    /// likely tokens if `top_k > 0`, then to the nucleus of probability
    /// `top_p` if `top_p < 1`.
    Sample {
        /// τ > 0: below 1 sharpens, above 1 flattens the distribution.
        temperature: f64,
        /// Keep only the k most likely tokens (0 = all).
        top_k: usize,
        /// Keep only the fewest most likely tokens whose probabilities (after
        /// the temperature and top-k) sum to at least p, 0 < p ≤ 1 (1 = all):
        /// nucleus sampling, Holtzman et al. 2019, "The curious case of
        /// neural text degeneration".
        top_p: f64,
    },
}

/// The one-to-many generator / language model.
#[derive(Clone, Debug, PartialEq)]
pub struct Generator<T> {
    /// A unidirectional softmax tagger over the vocabulary.
    pub net: Tagger<T>,
}

/// The generator's forward cache (a tagger's).
pub type GeneratorCache<T> = TaggerCache<T>;

impl<T: Scalar> Generator<T> {
    /// A new generator over `vocab` tokens.
    pub fn new(
        input: InputLayer<T>,
        kind: CellKind,
        hidden: usize,
        layers: usize,
        vocab: usize,
        rng: &mut Rng,
    ) -> Generator<T> {
        Generator {
            net: Tagger::new(
                input,
                kind,
                hidden,
                layers,
                false,
                vocab,
                OutputKind::Softmax,
                rng,
            ),
        }
    }

    /// All zeros with the same shapes (a gradient buffer).
    pub fn zeros_like(&self) -> Generator<T> {
        Generator {
            net: self.net.zeros_like(),
        }
    }

    /// V, the vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.net.head.outputs()
    }

    /// Teacher-forced forward pass over a batch of input tokens.
    pub fn forward(&self, batch: &SeqBatch<T>, states0: Option<&[State<T>]>) -> GeneratorCache<T> {
        self.net.forward(batch, states0)
    }

    /// `forward` with the encoder's buffers taken from `ws` (a training loop
    /// keeps one; see `linalg::Workspace`). The same bits either way.
    pub fn forward_ws(
        &self,
        batch: &SeqBatch<T>,
        states0: Option<&[State<T>]>,
        ws: &mut Workspace<T>,
    ) -> GeneratorCache<T> {
        self.net.forward_ws(batch, states0, ws)
    }

    /// `forward_ws` for training with dropout (`Tagger::forward_train_ws`).
    pub fn forward_train_ws(
        &self,
        batch: &SeqBatch<T>,
        states0: Option<&[State<T>]>,
        dropout: Option<&mut Dropout>,
        ws: &mut Workspace<T>,
    ) -> GeneratorCache<T> {
        self.net.forward_train_ws(batch, states0, dropout, ws)
    }

    /// The mean cross-entropy of predicting `targets` (time-major, one per
    /// (t, b)) over real positions.
    pub fn loss(&self, cache: &GeneratorCache<T>, targets: &[usize]) -> LossSum {
        self.net.loss(cache, targets)
    }

    /// Backward of the mean loss. Adds into `grads`.
    pub fn backward(
        &self,
        batch: &SeqBatch<T>,
        cache: &GeneratorCache<T>,
        targets: &[usize],
        grads: &mut Generator<T>,
    ) -> InputGrads<T> {
        self.net.backward(batch, cache, targets, &mut grads.net)
    }

    /// `backward` with the encoder's buffers taken from `ws`. The same bits
    /// either way.
    pub fn backward_ws(
        &self,
        batch: &SeqBatch<T>,
        cache: &GeneratorCache<T>,
        targets: &[usize],
        grads: &mut Generator<T>,
        ws: &mut Workspace<T>,
    ) -> InputGrads<T> {
        self.net
            .backward_ws(batch, cache, targets, &mut grads.net, ws)
    }

    /// `loss` and `backward_ws` in one (see `Tagger::loss_and_backward_ws`).
    pub fn loss_and_backward_ws(
        &self,
        batch: &SeqBatch<T>,
        cache: &GeneratorCache<T>,
        targets: &[usize],
        grads: &mut Generator<T>,
        ws: &mut Workspace<T>,
    ) -> (LossSum, InputGrads<T>) {
        self.net
            .loss_and_backward_ws(batch, cache, targets, &mut grads.net, ws)
    }

    /// One step for a batch of B tokens from the given states: returns the
    /// logits (B, V) and the new states.
    pub fn step(&self, tokens: &[usize], states: &[State<T>]) -> (Matrix<T>, Vec<State<T>>) {
        let x = self.net.encoder.input.encode(&Inputs::Ids(tokens.to_vec()));
        let cache = stack_forward(&self.net.encoder.rnn, x.view(), states, None);
        let mut logits = Matrix::zeros(tokens.len(), self.vocab_size());
        linear_forward(&self.net.head, cache.outputs(), logits.view_mut());
        (logits, cache.final_states())
    }

    /// Feeds `prefix` (at least one token: the start input), then generates
    /// up to `max_len` tokens, stopping after `stop` if given. Returns the
    /// generated tokens (without the prefix, with the stop token if drawn).
    pub fn generate(
        &self,
        prefix: &[usize],
        max_len: usize,
        stop: Option<usize>,
        sampling: Sampling,
        rng: &mut Rng,
    ) -> Vec<usize> {
        assert!(
            !prefix.is_empty(),
            "Generator::generate needs a start input"
        );
        let mut states = self.net.encoder.rnn.zero_states(1);
        let mut logits = Matrix::zeros(1, self.vocab_size());
        for &tok in prefix {
            let (l, s) = self.step(&[tok], &states);
            logits = l;
            states = s;
        }
        let mut out = Vec::new();
        while out.len() < max_len {
            let next = choose(logits.row(0), sampling, rng);
            out.push(next);
            if Some(next) == stop {
                break;
            }
            let (l, s) = self.step(&[next], &states);
            logits = l;
            states = s;
        }
        out
    }
}

/// Chooses a token from logits `z` by the sampling rule. Never panics: with
/// non-finite logits (no distribution to draw from) it returns the first
/// candidate.
///
/// With `Sample`, the weights are p_i ∝ exp((z_i − max z) / τ) over the
/// candidates: all tokens, or the `top_k` largest logits, then, if `top_p <
/// 1`, the fewest of those (most likely first) whose weights sum to at least
/// `top_p` of their total. The draw is over the kept tokens in index order,
/// so a filter that keeps every token changes no draw.
pub fn choose<T: Scalar>(z: &[T], sampling: Sampling, rng: &mut Rng) -> usize {
    match sampling {
        Sampling::Greedy => argmax(z),
        Sampling::Sample {
            temperature,
            top_k,
            top_p,
        } => {
            let tau = temperature.max(1e-6);
            let cut_k = top_k > 0 && top_k < z.len();
            let cut_p = top_p < 1.0;
            let mut order: Vec<usize> = (0..z.len()).collect();
            if cut_k || cut_p {
                // Stable order: by logit descending, then by index.
                order.sort_by(|&a, &b| z[b].to_f64().total_cmp(&z[a].to_f64()).then(a.cmp(&b)));
            }
            if cut_k {
                order.truncate(top_k);
            }
            let m = order
                .iter()
                .map(|&i| z[i].to_f64())
                .fold(f64::NEG_INFINITY, f64::max);
            let mut p: Vec<f64> = order
                .iter()
                .map(|&i| ((z[i].to_f64() - m) / tau).exp())
                .collect();
            // Logits that are NaN or infinite (a diverged or hostile model)
            // give no distribution to draw from: fall back to the first
            // token rather than panic. The callers check logits for finiteness.
            let total: f64 = p.iter().sum();
            if !(total.is_finite() && total > 0.0) || p.iter().any(|x| x.is_nan()) {
                return order[0];
            }
            if cut_p {
                // The nucleus: weights in descending order, kept until their
                // sum reaches top_p of the total (at least one token).
                let mut kept = 0;
                let mut sum = 0.0;
                while kept < p.len() && (kept == 0 || sum < top_p * total) {
                    sum += p[kept];
                    kept += 1;
                }
                order.truncate(kept);
                p.truncate(kept);
            }
            if cut_k || cut_p {
                // Back to index order, weights with their tokens.
                let mut pairs: Vec<(usize, f64)> = order.into_iter().zip(p).collect();
                pairs.sort_unstable_by_key(|&(i, _)| i);
                (order, p) = pairs.into_iter().unzip();
            }
            order[rng.categorical(&p)]
        }
    }
}

impl<T: Scalar> Parameters<T> for Generator<T> {
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        self.net.named_tensors()
    }
    fn tensors(&self) -> Vec<&[T]> {
        self.net.tensors()
    }
    fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        self.net.tensors_mut()
    }
}
