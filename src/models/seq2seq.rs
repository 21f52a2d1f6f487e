//! Many-to-many with Tx ≠ Ty: an encoder reads the whole input, and its
//! summary — the final state of each layer — initialises a decoder that writes
//! the output, as in the seed's machine-translation example.
//!
//! ```text
//! encoder:  s_l = final state of encoder layer l           (both directions concatenated
//!                                                            if the encoder is bidirectional)
//! decoder:  a⟨0⟩_l = s_l;  inputs y⟨0⟩ = <BOS>, y⟨1⟩, …, y⟨Ty−1⟩  (teacher forcing)
//!           z⟨t⟩ = Wya a_top⟨t⟩ + by;  L = mean CE(softmax(z⟨t⟩), y⟨t⟩) over real positions
//! ```
//!
//! The decoder has the encoder's number of layers and D·H hidden units, so
//! the summary fits it exactly. Decoding at test time is greedy: feed back the
//! argmax until `<EOS>` or a length limit. Backward (DERIVATIONS.md, "Models"):
//! the decoder's gradient with respect to its initial states is the
//! gradient of the encoder's final states.

use super::tagger::argmax;
use super::{
    prefixed, EncoderCache, InputGrads, InputLayer, Inputs, Parameters, SeqBatch, SeqEncoder,
};
use crate::linalg::{Matrix, Scalar};
use crate::nn::{
    linear_backward, linear_forward, softmax_cross_entropy_backward, softmax_cross_entropy_forward,
    Linear, LossSum,
};
use crate::rng::Rng;
use crate::rnn::{stack_forward, CellKind, State};

/// The encoder–decoder.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2Seq<T> {
    /// Reads the source sequence.
    pub encoder: SeqEncoder<T>,
    /// Writes the target sequence, unidirectional, D·H hidden units.
    pub decoder: SeqEncoder<T>,
    /// (V_out, D·H).
    pub head: Linear<T>,
}

/// What `Seq2Seq::backward` needs from `Seq2Seq::forward`.
#[derive(Clone, Debug)]
pub struct Seq2SeqCache<T> {
    /// The encoder's cache.
    pub enc: EncoderCache<T>,
    /// The decoder's cache.
    pub dec: EncoderCache<T>,
    /// z⟨t⟩ of every decoder step: (Ty·B, V_out).
    pub logits: Matrix<T>,
}

impl<T: Scalar> Seq2Seq<T> {
    /// A new encoder–decoder: `src_input` feeds an encoder of `layers` layers
    /// of `hidden` units (optionally bidirectional); `tgt_input` feeds the
    /// decoder; the head predicts `tgt_vocab` tokens.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        src_input: InputLayer<T>,
        tgt_input: InputLayer<T>,
        kind: CellKind,
        hidden: usize,
        layers: usize,
        bidirectional: bool,
        tgt_vocab: usize,
        rng: &mut Rng,
    ) -> Seq2Seq<T> {
        let encoder = SeqEncoder::new(src_input, kind, hidden, layers, bidirectional, rng);
        let dh = encoder.rnn.output_size();
        let decoder = SeqEncoder::new(tgt_input, kind, dh, layers, false, rng);
        let head = Linear::new(dh, tgt_vocab, rng);
        Seq2Seq {
            encoder,
            decoder,
            head,
        }
    }

    /// All zeros with the same shapes (a gradient buffer).
    pub fn zeros_like(&self) -> Seq2Seq<T> {
        Seq2Seq {
            encoder: self.encoder.zeros_like(),
            decoder: self.decoder.zeros_like(),
            head: Linear::zeros(self.head.inputs(), self.head.outputs()),
        }
    }

    /// The decoder's initial states from the encoder's final states: for each
    /// layer, the directions' states side by side, (B, D·H).
    pub fn summary(&self, enc_final: &[State<T>]) -> Vec<State<T>> {
        let d = self.encoder.rnn.directions();
        let h = self.encoder.rnn.hidden_size();
        let concat = |parts: Vec<&Matrix<T>>| {
            let b = parts[0].rows();
            Matrix::from_fn(b, d * h, |n, j| parts[j / h].get(n, j % h))
        };
        (0..self.encoder.rnn.num_layers)
            .map(|l| State {
                h: concat((0..d).map(|k| &enc_final[l * d + k].h).collect()),
                c: enc_final[l * d]
                    .c
                    .as_ref()
                    .map(|_| concat((0..d).map(|k| enc_final[l * d + k].cell()).collect())),
            })
            .collect()
    }

    /// Teacher-forced forward pass: `src` is the input batch, `tgt_in` the
    /// decoder's inputs (`<BOS>`, y⟨1⟩, …); `states0`: the encoder's initial
    /// states (zeros if `None`).
    pub fn forward(
        &self,
        src: &SeqBatch<T>,
        tgt_in: &SeqBatch<T>,
        states0: Option<&[State<T>]>,
    ) -> Seq2SeqCache<T> {
        let enc = self.encoder.forward(src, states0);
        let init = self.summary(&enc.rnn.final_states());
        let dec = self.decoder.forward(tgt_in, Some(&init));
        let mut logits = Matrix::zeros(tgt_in.steps * tgt_in.batch, self.head.outputs());
        linear_forward(&self.head, dec.rnn.outputs(), logits.view_mut());
        Seq2SeqCache { enc, dec, logits }
    }

    /// The mean cross-entropy of the targets (time-major, one per decoder
    /// step and sequence) over real positions.
    pub fn loss(&self, cache: &Seq2SeqCache<T>, targets: &[usize]) -> LossSum {
        let mut probs = Matrix::zeros(cache.logits.rows(), cache.logits.cols());
        softmax_cross_entropy_forward(
            cache.logits.view(),
            targets,
            cache.dec.mask.as_deref(),
            &mut probs,
        )
    }

    /// Backward of the mean loss (DERIVATIONS.md, "Models"). Adds into `grads`.
    /// Returns the encoder's input gradients.
    pub fn backward(
        &self,
        src: &SeqBatch<T>,
        tgt_in: &SeqBatch<T>,
        cache: &Seq2SeqCache<T>,
        targets: &[usize],
        grads: &mut Seq2Seq<T>,
    ) -> InputGrads<T> {
        let (n, v) = cache.logits.shape();
        let mask = cache.dec.mask.as_deref();
        let mut probs = Matrix::zeros(n, v);
        let l = softmax_cross_entropy_forward(cache.logits.view(), targets, mask, &mut probs);
        let mut dz = Matrix::zeros(n, v);
        softmax_cross_entropy_backward(
            &probs,
            targets,
            mask,
            T::from_f64(1.0 / l.count.max(1) as f64),
            dz.view_mut(),
        );
        let mut da = Matrix::zeros(n, self.head.inputs());
        linear_backward(
            &self.head,
            cache.dec.rnn.outputs(),
            dz.view(),
            &mut grads.head,
            Some(da.view_mut()),
        );
        let dec = self
            .decoder
            .backward(tgt_in, &cache.dec, da.view(), None, &mut grads.decoder);
        // The decoder's initial state of layer l was [s_{l,→} ; s_{l,←}]:
        // split its gradient back into the encoder's final states.
        let d = self.encoder.rnn.directions();
        let h = self.encoder.rnn.hidden_size();
        let b = src.batch;
        let mut d_final = self.encoder.rnn.zero_states(b);
        for (l, ds) in dec.d_states0.iter().enumerate() {
            for k in 0..d {
                let dst = &mut d_final[l * d + k];
                for r in 0..b {
                    dst.h
                        .row_mut(r)
                        .copy_from_slice(&ds.h.row(r)[k * h..(k + 1) * h]);
                    if let (Some(c), Some(dc)) = (dst.c.as_mut(), ds.c.as_ref()) {
                        c.row_mut(r).copy_from_slice(&dc.row(r)[k * h..(k + 1) * h]);
                    }
                }
            }
        }
        let dy = Matrix::zeros(src.steps * b, self.encoder.rnn.output_size());
        self.encoder.backward(
            src,
            &cache.enc,
            dy.view(),
            Some(&d_final),
            &mut grads.encoder,
        )
    }

    /// Greedy decoding for a batch: encodes `src`, then feeds `bos` and each
    /// argmax back, for at most `max_len` steps; each output stops at `eos`
    /// (not included).
    pub fn greedy_decode(
        &self,
        src: &SeqBatch<T>,
        bos: usize,
        eos: usize,
        max_len: usize,
    ) -> Vec<Vec<usize>> {
        let enc = self.encoder.forward(src, None);
        let mut states = self.summary(&enc.rnn.final_states());
        let b = src.batch;
        let mut tokens = vec![bos; b];
        let mut out = vec![Vec::new(); b];
        let mut done = vec![false; b];
        for _ in 0..max_len {
            let x = self.decoder.input.encode(&Inputs::Ids(tokens.clone()));
            let cache = stack_forward(&self.decoder.rnn, x.view(), &states, None);
            let mut logits = Matrix::zeros(b, self.head.outputs());
            linear_forward(&self.head, cache.outputs(), logits.view_mut());
            states = cache.final_states();
            for r in 0..b {
                let next = argmax(logits.row(r));
                tokens[r] = next;
                if !done[r] {
                    if next == eos {
                        done[r] = true;
                    } else {
                        out[r].push(next);
                    }
                }
            }
            if done.iter().all(|&x| x) {
                break;
            }
        }
        out
    }
}

impl<T: Scalar> Parameters<T> for Seq2Seq<T> {
    fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[T])> {
        let mut out = prefixed("encoder", self.encoder.named_tensors());
        out.extend(prefixed("decoder", self.decoder.named_tensors()));
        out.extend(prefixed("head", self.head.named_tensors()));
        out
    }
    fn tensors_mut(&mut self) -> Vec<&mut [T]> {
        let mut out = self.encoder.tensors_mut();
        out.extend(self.decoder.tensors_mut());
        out.extend(self.head.tensors_mut());
        out
    }
}
