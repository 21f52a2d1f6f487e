//! Sentiment classification by averaging word embeddings: the course's
//! first transfer-learning model.
//!
//! Where it sits in the course: with embeddings pre-trained on a large
//! corpus, a small labelled set is enough to train a classifier. The simplest
//! one averages the vectors of a review's words and applies a softmax layer:
//!
//! ```text
//! avg = (1/n) Σ_{t=1..n} E[w_t]          (D)     the mean embedding of the n known words
//! z   = W · avg + b                       (C)     W: (C, D), b: (C)
//! L   = −log softmax(z)[y]
//! ```
//! E is either **frozen** (only W, b learn) or **fine-tuned** (E learns too,
//! but only the rows of words in the training set move). Averaging ignores
//! word order, so "not good" and "good … not" look alike, and negation
//! (see `reviews`) defeats it; a sequence model fixes that.
//!
//! Backward (DERIVATIONS.md, "Averaging sentiment classifier"): dz = p − onehot(y)
//! (times the scale), `linear_backward` gives dW, db and d avg, and each
//! word's row gets d avg / n (once per occurrence). Test: `tests/embeddings_grad.rs`,
//! `averaging_classifier_gradients`.

use super::nplm::adagrad;
use super::vectors::WordVectors;
use crate::err;
use crate::error::Result;
use crate::linalg::{Matrix, Scalar};
use crate::models::{Classifier, InputLayer, Parameters, SeqBatch};
use crate::nn::{
    linear_backward, linear_forward, softmax_cross_entropy_backward, softmax_cross_entropy_forward,
    Embedding, Linear, LossSum,
};
use crate::optim::{clip_by_global_norm, OptimKind, Optimizer};
use crate::rng::Rng;
use crate::rnn::CellKind;

/// The model.
#[derive(Clone, Debug, PartialEq)]
pub struct AvgClassifier<T> {
    /// E: (V, D), from pre-trained vectors.
    pub emb: Embedding<T>,
    /// W: (C, D), b: (C).
    pub linear: Linear<T>,
}

/// Gradients of an `AvgClassifier`.
#[derive(Clone, Debug)]
pub struct AvgGrads<T> {
    /// ∂L/∂E: (V, D) (rows of unused words stay zero).
    pub emb: Matrix<T>,
    /// ∂L/∂W, ∂L/∂b.
    pub linear: Linear<T>,
}

/// What the forward pass keeps.
#[derive(Clone, Debug)]
pub struct AvgCache<T> {
    /// The word ids of each document.
    pub docs: Vec<Vec<usize>>,
    /// avg: (B, D).
    pub avg: Matrix<T>,
    /// softmax(z): (B, C).
    pub probs: Matrix<T>,
}

impl<T: Scalar> AvgClassifier<T> {
    /// A classifier over E with `classes` outputs (W, b initialised as PyTorch's).
    pub fn new(emb: Matrix<T>, classes: usize, rng: &mut Rng) -> AvgClassifier<T> {
        let d = emb.cols();
        AvgClassifier {
            emb: Embedding { weight: emb },
            linear: Linear::new(d, classes, rng),
        }
    }

    /// Zeroed gradient buffers.
    pub fn zero_grads(&self) -> AvgGrads<T> {
        AvgGrads {
            emb: Matrix::zeros(self.emb.vocab_size(), self.emb.dim()),
            linear: Linear::zeros(self.linear.inputs(), self.linear.outputs()),
        }
    }
}

/// Forward pass over B documents (lists of word ids; an empty one averages to
/// the zero vector). Returns the summed loss over the batch and the cache.
pub fn avg_classifier_forward<T: Scalar>(
    m: &AvgClassifier<T>,
    docs: &[Vec<usize>],
    labels: &[usize],
) -> (LossSum, AvgCache<T>) {
    let b = docs.len();
    assert_eq!(labels.len(), b, "avg_classifier_forward: labels");
    let d = m.emb.dim();
    let mut avg = Matrix::zeros(b, d);
    for (r, doc) in docs.iter().enumerate() {
        if doc.is_empty() {
            continue;
        }
        let inv = T::ONE / T::from_usize(doc.len());
        let row = avg.row_mut(r);
        for &id in doc {
            for (a, &e) in row.iter_mut().zip(m.emb.weight.row(id)) {
                *a += e * inv;
            }
        }
    }
    let mut z = Matrix::zeros(b, m.linear.outputs());
    linear_forward(&m.linear, avg.view(), z.view_mut());
    let mut probs = Matrix::zeros(b, m.linear.outputs());
    let loss = softmax_cross_entropy_forward(z.view(), labels, None, &mut probs);
    (
        loss,
        AvgCache {
            docs: docs.to_vec(),
            avg,
            probs,
        },
    )
}

/// Backward of `avg_classifier_forward` for the loss `scale · Σ`
/// (DERIVATIONS.md, "Averaging sentiment classifier"). Adds into `grads`;
/// E's gradient only if `fine_tune`.
pub fn avg_classifier_backward<T: Scalar>(
    m: &AvgClassifier<T>,
    cache: &AvgCache<T>,
    labels: &[usize],
    scale: T,
    fine_tune: bool,
    grads: &mut AvgGrads<T>,
) {
    let b = labels.len();
    let mut dz = Matrix::zeros(b, m.linear.outputs());
    softmax_cross_entropy_backward(&cache.probs, labels, None, scale, dz.view_mut());
    let mut davg = Matrix::zeros(b, m.emb.dim());
    linear_backward(
        &m.linear,
        cache.avg.view(),
        dz.view(),
        &mut grads.linear,
        Some(davg.view_mut()),
    );
    if !fine_tune {
        return;
    }
    for (r, doc) in cache.docs.iter().enumerate() {
        if doc.is_empty() {
            continue;
        }
        let inv = T::ONE / T::from_usize(doc.len());
        for &id in doc {
            for (g, &da) in grads.emb.row_mut(id).iter_mut().zip(davg.row(r)) {
                *g += da * inv;
            }
        }
    }
}

/// Maps a text to the ids of its words known to `wv` (unknown words dropped).
pub fn encode(wv: &WordVectors, text: &str) -> Vec<usize> {
    let mut buf = String::new();
    let mut ids = Vec::new();
    super::corpus::for_each_token(text, true, &mut buf, |w| {
        if let Some(i) = wv.index_of(w) {
            ids.push(i);
        }
    });
    ids
}

/// Training settings.
#[derive(Clone, Debug)]
pub struct ClassifierConfig {
    /// Number of classes C.
    pub classes: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Documents per mini-batch.
    pub batch: usize,
    /// Adagrad learning rate.
    pub lr: f64,
    /// Train E too.
    pub fine_tune: bool,
    /// Seed for initialisation and shuffling.
    pub seed: u64,
}

/// Trains on (documents, labels) with Adagrad and returns the model.
pub fn train_avg_classifier(
    wv: &WordVectors,
    docs: &[Vec<usize>],
    labels: &[usize],
    cfg: &ClassifierConfig,
) -> Result<AvgClassifier<f32>> {
    if docs.is_empty() || docs.len() != labels.len() {
        return Err(err!(
            "classifier: need as many labels as documents, and at least one"
        ));
    }
    if let Some(&y) = labels.iter().find(|&&y| y >= cfg.classes) {
        return Err(err!(
            "classifier: label {y} but only {} classes",
            cfg.classes
        ));
    }
    let mut rng = Rng::new(cfg.seed);
    let mut m = AvgClassifier::new(wv.matrix().clone(), cfg.classes, &mut rng);
    let mut acc = m.zero_grads();
    let mut g = m.zero_grads();
    let lr = cfg.lr as f32;
    let mut order: Vec<usize> = (0..docs.len()).collect();
    for _ in 0..cfg.epochs {
        rng.shuffle(&mut order);
        for chunk in order.chunks(cfg.batch.max(1)) {
            let bd: Vec<Vec<usize>> = chunk.iter().map(|&i| docs[i].clone()).collect();
            let bl: Vec<usize> = chunk.iter().map(|&i| labels[i]).collect();
            let (_, cache) = avg_classifier_forward(&m, &bd, &bl);
            g.linear.fill_zero();
            avg_classifier_backward(
                &m,
                &cache,
                &bl,
                1.0 / bl.len() as f32,
                cfg.fine_tune,
                &mut g,
            );
            adagrad(
                m.linear.weight.as_mut_slice(),
                g.linear.weight.as_slice(),
                acc.linear.weight.as_mut_slice(),
                lr,
            );
            adagrad(&mut m.linear.bias, &g.linear.bias, &mut acc.linear.bias, lr);
            if cfg.fine_tune {
                for doc in &bd {
                    for &id in doc {
                        let (w, gr, a) = (
                            m.emb.weight.row_mut(id),
                            g.emb.row_mut(id),
                            acc.emb.row_mut(id),
                        );
                        adagrad(w, gr, a, lr);
                        gr.iter_mut().for_each(|x| *x = 0.0);
                    }
                }
            }
        }
    }
    Ok(m)
}

/// Fraction of documents whose arg-max class equals the label.
pub fn accuracy(m: &AvgClassifier<f32>, docs: &[Vec<usize>], labels: &[usize]) -> f64 {
    if docs.is_empty() {
        return 0.0;
    }
    let (_, cache) = avg_classifier_forward(m, docs, labels);
    let mut ok = 0;
    for (r, &y) in labels.iter().enumerate() {
        let p = cache.probs.row(r);
        let best = (0..p.len()).fold(0, |b, c| if p[c] > p[b] { c } else { b });
        ok += (best == y) as usize;
    }
    ok as f64 / docs.len() as f64
}

/// Settings for the LSTM transfer classifier.
#[derive(Clone, Debug)]
pub struct LstmClassifierConfig {
    /// Number of classes C.
    pub classes: usize,
    /// Hidden units of the LSTM.
    pub hidden: usize,
    /// Read the review in both directions.
    pub bidirectional: bool,
    /// Passes over the training set.
    pub epochs: usize,
    /// Documents per mini-batch.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Train E too (otherwise E stays the pre-trained vectors).
    pub fine_tune: bool,
    /// Seed for initialisation and shuffling.
    pub seed: u64,
}

/// The sequence form of transfer: E (the pre-trained vectors, frozen or
/// fine-tuned) → LSTM → the many-to-one `models::Classifier`, trained with
/// Adam and clipping by global norm. Unlike averaging, the LSTM reads the
/// words in order, so "not good" and "good" reach the classifier differently.
/// Documents must be non-empty (encode drops unknown words).
pub fn train_lstm_classifier(
    wv: &WordVectors,
    docs: &[Vec<usize>],
    labels: &[usize],
    cfg: &LstmClassifierConfig,
) -> Result<Classifier<f32>> {
    if docs.is_empty() || docs.len() != labels.len() {
        return Err(err!(
            "classifier: need as many labels as documents, and at least one"
        ));
    }
    if let Some(i) = docs.iter().position(|d| d.is_empty()) {
        return Err(err!("classifier: document {i} has no known words"));
    }
    if let Some(&y) = labels.iter().find(|&&y| y >= cfg.classes) {
        return Err(err!(
            "classifier: label {y} but only {} classes",
            cfg.classes
        ));
    }
    let mut rng = Rng::new(cfg.seed);
    let input = InputLayer::Embedding(Embedding {
        weight: wv.matrix().clone(),
    });
    let mut m = Classifier::new(
        input,
        CellKind::Lstm,
        cfg.hidden,
        1,
        cfg.bidirectional,
        cfg.classes,
        &mut rng,
    );
    let mut grads = m.zeros_like();
    let mut opt = Optimizer::<f32>::new(OptimKind::parse("adam")?, cfg.lr);
    // With E frozen, the optimizer sees every tensor but the first
    // (`embedding.weight`).
    let skip = usize::from(!cfg.fine_tune);
    let mut order: Vec<usize> = (0..docs.len()).collect();
    for _ in 0..cfg.epochs {
        rng.shuffle(&mut order);
        for chunk in order.chunks(cfg.batch.max(1)) {
            let seqs: Vec<Vec<usize>> = chunk.iter().map(|&i| docs[i].clone()).collect();
            let ys: Vec<usize> = chunk.iter().map(|&i| labels[i]).collect();
            let batch = SeqBatch::from_sequences(&seqs, 0);
            grads.fill_zero();
            let cache = m.forward(&batch, None);
            m.backward(&batch, &cache, &ys, &mut grads);
            let mut g = grads.tensors_mut();
            clip_by_global_norm(&mut g[skip..], 5.0);
            let g: Vec<&[f32]> = grads.tensors();
            opt.step(&mut m.tensors_mut()[skip..], &g[skip..]);
        }
    }
    Ok(m)
}

/// Fraction of documents the classifier labels correctly.
pub fn lstm_accuracy(m: &Classifier<f32>, docs: &[Vec<usize>], labels: &[usize]) -> f64 {
    if docs.is_empty() {
        return 0.0;
    }
    let mut ok = 0;
    for (seqs, ys) in docs.chunks(256).zip(labels.chunks(256)) {
        let pred = m.predict(&SeqBatch::from_sequences(seqs, 0));
        ok += pred.iter().zip(ys).filter(|(p, y)| p == y).count();
    }
    ok as f64 / docs.len() as f64
}
