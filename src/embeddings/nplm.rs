//! The neural probabilistic language model (Bengio, Ducharme, Vincent &
//! Jauvin 2003): the first model the course uses to learn E.
//!
//! Where it sits in the course: "I want a glass of orange ___": look up the
//! embeddings of the n previous words, concatenate them, pass them through a
//! tanh hidden layer and a softmax over the vocabulary, and train everything —
//! E included — to predict the next word. Words that predict alike (orange,
//! apple) end up with similar rows of E.
//!
//! For a batch of B windows, with E: (V, D), n context words, H hidden units:
//!
//! ```text
//! x  = [E[w_{t−n}] | … | E[w_{t−1}]]          (B, n·D)   lookups, concatenated
//! a  = tanh(x · Hᵀ + d)                        (B, H)     H: (H, n·D), d: (H)
//! z  = a · Uᵀ + b                              (B, V)     U: (V, H),  b: (V)
//! L  = (1/B) Σ −log softmax(z)[w_t]
//! ```
//! (Bengio et al. also add direct connections W·x to z; they are optional in
//! the paper and left out here.)
//!
//! Backward (DERIVATIONS.md, "Neural language model"), reusing the blocks of
//! `nn`: dz = (p − onehot)/B (`softmax_cross_entropy_backward`), then
//! `linear_backward` for U, b and da; dpre = da ⊙ (1 − a²); `linear_backward`
//! for H, d and dx; then dx is split into its n blocks of D and each goes to
//! its word's row of E (`embedding_backward`).
//!
//! Training: mini-batches in corpus order, Adagrad on every parameter, with
//! E updated row by row (only the rows of words in the batch, see
//! `nn::embedding`). Every window lies within one line.

use super::corpus::{Corpus, Vocab};
use super::vectors::WordVectors;
use super::word2vec::{Progress, ProgressFn};
use crate::err;
use crate::error::Result;
use crate::linalg::{MatRef, Matrix, Scalar};
use crate::nn::{
    embedding_backward, linear_backward, linear_forward, softmax_cross_entropy_backward,
    softmax_cross_entropy_forward, Embedding, Linear, LossSum, RowGrads,
};
use crate::rng::Rng;
use std::time::Instant;

/// The model's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Nplm<T> {
    /// E: (V, D).
    pub emb: Embedding<T>,
    /// The hidden layer H: (H, n·D), d: (H).
    pub hidden: Linear<T>,
    /// The output layer U: (V, H), b: (V).
    pub out: Linear<T>,
    /// n, the number of previous words.
    pub context: usize,
}

/// Gradients of an `Nplm`, with E's gradient dense (V, D) but touched only in
/// the rows of words that were looked up.
#[derive(Clone, Debug)]
pub struct NplmGrads<T> {
    /// ∂L/∂E: (V, D).
    pub emb: Matrix<T>,
    /// ∂L/∂H, ∂L/∂d.
    pub hidden: Linear<T>,
    /// ∂L/∂U, ∂L/∂b.
    pub out: Linear<T>,
}

/// What the forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
pub struct NplmCache<T> {
    /// The context ids, B·n of them, window by window.
    pub ids: Vec<usize>,
    /// x: (B, n·D).
    pub x: Matrix<T>,
    /// a: (B, H).
    pub a: Matrix<T>,
    /// softmax(z): (B, V).
    pub probs: Matrix<T>,
}

impl<T: Scalar> Nplm<T> {
    /// E from N(0, 1)·0.1, the layers with PyTorch's default initialisation.
    pub fn new(vocab: usize, dim: usize, context: usize, hidden: usize, rng: &mut Rng) -> Nplm<T> {
        let emb = Embedding {
            weight: Matrix::random_normal(vocab, dim, 0.1, rng),
        };
        let hidden = Linear::new(context * dim, hidden, rng);
        let out = Linear::new(hidden.outputs(), vocab, rng);
        Nplm {
            emb,
            hidden,
            out,
            context,
        }
    }

    /// Zeroed gradient buffers.
    pub fn zero_grads(&self) -> NplmGrads<T> {
        NplmGrads {
            emb: Matrix::zeros(self.emb.vocab_size(), self.emb.dim()),
            hidden: Linear::zeros(self.hidden.inputs(), self.hidden.outputs()),
            out: Linear::zeros(self.out.inputs(), self.out.outputs()),
        }
    }
}

/// Forward pass for B windows: `contexts` holds B·n word ids (window after
/// window, oldest word first), `targets` the B next words. Returns the summed
/// loss and B; fills `cache`.
pub fn nplm_forward<T: Scalar>(
    m: &Nplm<T>,
    contexts: &[usize],
    targets: &[usize],
) -> (LossSum, NplmCache<T>) {
    let (n, d) = (m.context, m.emb.dim());
    let b = targets.len();
    assert_eq!(
        contexts.len(),
        b * n,
        "nplm_forward: {} ids for {b} windows",
        contexts.len()
    );
    let mut x = Matrix::zeros(b, n * d);
    for r in 0..b {
        for k in 0..n {
            let id = contexts[r * n + k];
            x.row_mut(r)[k * d..(k + 1) * d].copy_from_slice(m.emb.weight.row(id));
        }
    }
    let mut a = Matrix::zeros(b, m.hidden.outputs());
    linear_forward(&m.hidden, x.view(), a.view_mut());
    a.as_mut_slice().iter_mut().for_each(|v| *v = v.tanh());
    let mut z = Matrix::zeros(b, m.out.outputs());
    linear_forward(&m.out, a.view(), z.view_mut());
    let mut probs = Matrix::zeros(b, m.out.outputs());
    let loss = softmax_cross_entropy_forward(z.view(), targets, None, &mut probs);
    let cache = NplmCache {
        ids: contexts.to_vec(),
        x,
        a,
        probs,
    };
    (loss, cache)
}

/// Backward of `nplm_forward` for the loss `scale · Σ` (scale = 1/B for the
/// mean) (DERIVATIONS.md, "Neural language model"). Adds into `grads`.
pub fn nplm_backward<T: Scalar>(
    m: &Nplm<T>,
    cache: &NplmCache<T>,
    targets: &[usize],
    scale: T,
    grads: &mut NplmGrads<T>,
) {
    let (n, d) = (m.context, m.emb.dim());
    let b = targets.len();
    let mut dz = Matrix::zeros(b, m.out.outputs());
    softmax_cross_entropy_backward(&cache.probs, targets, None, scale, dz.view_mut());
    let mut da = Matrix::zeros(b, m.hidden.outputs());
    linear_backward(
        &m.out,
        cache.a.view(),
        dz.view(),
        &mut grads.out,
        Some(da.view_mut()),
    );
    // Through tanh: dpre = da ⊙ (1 − a²).
    for (g, &a) in da.as_mut_slice().iter_mut().zip(cache.a.as_slice()) {
        *g *= T::ONE - a * a;
    }
    let mut dx = Matrix::zeros(b, n * d);
    linear_backward(
        &m.hidden,
        cache.x.view(),
        da.view(),
        &mut grads.hidden,
        Some(dx.view_mut()),
    );
    // Block k of row r of dx belongs to word contexts[r·n + k]: viewing dx as
    // (B·n, D) lines the blocks up with the ids.
    embedding_backward(
        &cache.ids,
        MatRef::from_slice(dx.as_slice(), b * n, d),
        &mut grads.emb,
    );
}

/// Training settings.
#[derive(Clone, Debug)]
pub struct NplmConfig {
    /// n, previous words per window.
    pub context: usize,
    /// D, the embedding size.
    pub size: usize,
    /// H, hidden units.
    pub hidden: usize,
    /// Passes over the corpus.
    pub iter: usize,
    /// Windows per mini-batch.
    pub batch: usize,
    /// Adagrad learning rate.
    pub lr: f64,
    /// Words rarer than this are dropped.
    pub min_count: u64,
    /// Seed for initialisation.
    pub seed: u64,
    /// Lower-case the corpus while tokenizing.
    pub lowercase: bool,
}

impl Default for NplmConfig {
    fn default() -> NplmConfig {
        NplmConfig {
            context: 3,
            size: 50,
            hidden: 64,
            iter: 3,
            batch: 64,
            lr: 0.1,
            min_count: 5,
            seed: 1,
            lowercase: false,
        }
    }
}

/// What `train_nplm` returns.
#[derive(Clone, Debug)]
pub struct TrainedNplm {
    /// E with the vocabulary.
    pub vectors: WordVectors,
    /// The whole model.
    pub model: Nplm<f32>,
    /// The vocabulary.
    pub vocab: Vocab,
    /// Mean cross-entropy per window over the last epoch.
    pub loss: f64,
    /// Seconds spent training.
    pub seconds: f64,
}

/// One Adagrad step: G += g², w −= lr·g/(√G + 1e-8) (a minimal local optimizer).
pub(crate) fn adagrad(w: &mut [f32], g: &[f32], acc: &mut [f32], lr: f32) {
    for k in 0..w.len() {
        acc[k] += g[k] * g[k];
        w[k] -= lr * g[k] / (acc[k].sqrt() + 1e-8);
    }
}

/// Builds the vocabulary and trains the model (see the module docs).
pub fn train_nplm(
    corpus: &Corpus,
    cfg: &NplmConfig,
    progress: Option<ProgressFn>,
) -> Result<TrainedNplm> {
    if cfg.context == 0 || cfg.size == 0 || cfg.hidden == 0 || cfg.iter == 0 || cfg.batch == 0 {
        return Err(err!(
            "nplm: context, size, hidden, iter and batch must be at least 1"
        ));
    }
    if !(cfg.lr > 0.0 && cfg.lr.is_finite()) {
        return Err(err!("nplm: the learning rate must be positive"));
    }
    let vocab = Vocab::build(corpus, cfg.min_count, cfg.lowercase)?;
    if vocab.len() < 2 {
        return Err(err!(
            "{}: only {} word(s) occur at least {} times; the model needs at least 2",
            corpus.name(),
            vocab.len(),
            cfg.min_count
        ));
    }
    let start = Instant::now();
    let mut rng = Rng::new(cfg.seed);
    let mut m = Nplm::<f32>::new(vocab.len(), cfg.size, cfg.context, cfg.hidden, &mut rng);
    let mut acc = m.zero_grads();
    let mut grads = m.zero_grads();
    let lr = cfg.lr as f32;
    let n = cfg.context;
    let (mut ctx, mut tgt) = (Vec::new(), Vec::new());
    let (mut buf, mut ids) = (String::new(), Vec::new());
    let mut loss = 0.0;
    let total = cfg.iter as u64 * vocab.total;
    let mut done = 0u64;
    for _epoch in 0..cfg.iter {
        let (mut ep_sum, mut ep_n) = (0.0, 0usize);
        let mut step = |ctx: &mut Vec<usize>, tgt: &mut Vec<usize>, m: &mut Nplm<f32>| {
            let (l, cache) = nplm_forward(m, ctx, tgt);
            ep_sum += l.sum;
            ep_n += l.count;
            let scale = 1.0 / tgt.len() as f32;
            grads.hidden.fill_zero();
            grads.out.fill_zero();
            nplm_backward(m, &cache, tgt, scale, &mut grads);
            adagrad(
                m.hidden.weight.as_mut_slice(),
                grads.hidden.weight.as_slice(),
                acc.hidden.weight.as_mut_slice(),
                lr,
            );
            adagrad(
                &mut m.hidden.bias,
                &grads.hidden.bias,
                &mut acc.hidden.bias,
                lr,
            );
            adagrad(
                m.out.weight.as_mut_slice(),
                grads.out.weight.as_slice(),
                acc.out.weight.as_mut_slice(),
                lr,
            );
            adagrad(&mut m.out.bias, &grads.out.bias, &mut acc.out.bias, lr);
            // E: only the rows looked up in this batch (then zero them again).
            let mut rows: Vec<usize> = cache.ids.clone();
            rows.sort_unstable();
            rows.dedup();
            let d = m.emb.dim();
            let mut rg = RowGrads {
                rows: rows.clone(),
                grads: Matrix::zeros(rows.len(), d),
            };
            for (r, &v) in rows.iter().enumerate() {
                rg.grads.row_mut(r).copy_from_slice(grads.emb.row(v));
                grads.emb.row_mut(v).iter_mut().for_each(|g| *g = 0.0);
            }
            rg.adagrad_update(&mut m.emb.weight, &mut acc.emb, lr, 1e-8);
            ctx.clear();
            tgt.clear();
        };
        corpus.for_each_line(0, 1, |line| {
            vocab.encode_line(line, cfg.lowercase, &mut buf, &mut ids);
            done += ids.len() as u64;
            for t in n..ids.len() {
                ctx.extend(ids[t - n..t].iter().map(|&i| i as usize));
                tgt.push(ids[t] as usize);
                if tgt.len() == cfg.batch {
                    step(&mut ctx, &mut tgt, &mut m);
                }
            }
            Ok(())
        })?;
        if !tgt.is_empty() {
            step(&mut ctx, &mut tgt, &mut m);
        }
        loss = ep_sum / ep_n.max(1) as f64;
        if !loss.is_finite() {
            return Err(err!(
                "nplm: the loss became non-finite (lower the learning rate?)"
            ));
        }
        if let Some(p) = progress {
            p(&Progress {
                words_done: done,
                words_total: total,
                loss,
                alpha: cfg.lr,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
    }
    let vectors = WordVectors::new(vocab.words.clone(), m.emb.weight.clone())?;
    Ok(TrainedNplm {
        vectors,
        model: m,
        vocab,
        loss,
        seconds: start.elapsed().as_secs_f64(),
    })
}
